"""The Python API's one exception hierarchy and ``optmodels.solve``'s keywords, in every family.

Input problems raise ``InstanceError``, bad choices one ``UsageError``; both are ``ValueError``
and ``OptmodelsError``. ``optmodels.solve`` takes a path or a loaded instance and the solver's
settings as keywords, so a caller needs no import of ``solvers``.
"""

from __future__ import annotations

import copy
import json

import pytest

import optmodels

FILES = {
    "equipment": "equipment/tiny_cost.toml",
    "pricing": "pricing/seed_model1.yaml",
    "siting": "siting/small/small_p_median.json",
}
KNOWN = {
    "equipment": (63.75654517954058, "cost, utilisation, equity"),
    "pricing": (78.58053034450668, "profit, patient_burden, participation"),
    "siting": (None, "cost, n_facilities, distance"),
}


def test_the_error_classes_are_exported_as_one_hierarchy():
    assert issubclass(optmodels.InstanceError, optmodels.OptmodelsError)
    assert issubclass(optmodels.UsageError, optmodels.OptmodelsError)
    assert issubclass(optmodels.InstanceError, ValueError)
    assert issubclass(optmodels.UsageError, ValueError)
    from optmodels import errors

    assert (optmodels.InstanceError, optmodels.UsageError) == (errors.InstanceError, errors.UsageError)


@pytest.mark.parametrize("family", FILES)
def test_a_bad_objective_is_one_usage_error_in_every_family(instances_dir, family):
    """Equipment raised a bare ValueError, pricing and siting a UsageError that was no ValueError
    and spoke of the flag only ("--objective: ...")."""
    path = instances_dir / FILES[family]
    expected = rf"objective='welfare' \(--objective\): expected one of {KNOWN[family][1]}"
    with pytest.raises(optmodels.UsageError, match=expected) as err:
        optmodels.solve(path, objective="welfare")
    assert isinstance(err.value, ValueError)
    fam, instance = optmodels.family(family), optmodels.load(path)
    with pytest.raises(optmodels.UsageError, match=expected):  # the family's own call, unchecked by the contract
        fam.solve(instance, objective="welfare")


@pytest.mark.parametrize(("family", "keyword", "choices"), [
    ("equipment", "strategy", "lazy, full, tight"),
    ("pricing", "method", "auto, enumerate, milp"),
    ("siting", "formulation", "auto, radius, assignment"),
])
def test_a_bad_choice_is_a_usage_error_naming_keyword_and_flag(instances_dir, family, keyword, choices):
    with pytest.raises(optmodels.UsageError, match=rf"{keyword}='fastest' \(--[a-z-]+\): expected one of {choices}"):
        optmodels.solve(instances_dir / FILES[family], **{keyword: "fastest"})


@pytest.mark.parametrize("family", FILES)
def test_an_unknown_keyword_names_itself_and_the_known_choices(instances_dir, family):
    """It was a TypeError about the private ``_solve()``."""
    with pytest.raises(optmodels.UsageError, match=r"unknown keyword\(s\) speed for the " + family) as err:
        optmodels.solve(instances_dir / FILES[family], speed=3)
    text = str(err.value)
    assert "_solve" not in text
    assert "time_limit, mip_gap, threads" in text
    own = {"equipment": "strategy (lazy, full, tight)", "pricing": "lattice_step, method (auto, enumerate, milp)",
           "siting": "formulation (auto, radius, assignment)"}[family]
    assert own in text


def test_an_instance_field_as_a_keyword_says_how_to_change_it(instances_dir):
    with pytest.raises(optmodels.UsageError, match=r"p change\(s\) the instance: optmodels.family\('siting'\).override"):
        optmodels.solve(instances_dir / FILES["siting"], p=3)


@pytest.mark.parametrize("family", ["equipment", "pricing"])
def test_solver_settings_are_keywords_and_a_loaded_instance_is_accepted(instances_dir, family):
    optimum, _ = KNOWN[family]
    path = instances_dir / FILES[family]
    for source in (path, str(path), optmodels.load(path)):
        solution = optmodels.solve(source, time_limit=30, mip_gap=0, threads=1)
        assert solution.verdict == "optimal"
        assert solution.result.objective == pytest.approx(optimum, rel=1e-9)
        options = solution.result.options
        assert (options.time_limit, options.mip_rel_gap, options.threads) == (pytest.approx(30), pytest.approx(0), 1)


def test_options_still_work_and_keywords_set_their_fields(instances_dir):
    from solvers import SolveOptions

    path = instances_dir / FILES["equipment"]
    solution = optmodels.solve(path, options=SolveOptions(time_limit=20, seed=3), threads=1)
    options = solution.result.options
    assert (options.time_limit, options.seed, options.threads) == (pytest.approx(20), 3, 1)
    assert solution.result.objective == pytest.approx(KNOWN["equipment"][0], rel=1e-9)


@pytest.mark.parametrize(("keyword", "value", "said"), [
    ("time_limit", -1, r"time_limit=-1 \(--time-limit\): .*> 0"),
    ("mip_gap", -0.5, r"mip_gap=-0.5 \(--mip-gap\): .*>= 0"),
    ("threads", 1000, r"threads=1000 \(--threads\): .*between 1 and 256"),
])
def test_a_bad_solver_setting_is_a_usage_error(instances_dir, keyword, value, said):
    with pytest.raises(optmodels.UsageError, match=said):
        optmodels.solve(instances_dir / FILES["pricing"], **{keyword: value})


def test_neither_a_path_nor_an_instance_is_a_usage_error(instances_dir):
    with pytest.raises(optmodels.UsageError, match="expected a path to an instance file or an instance object"):
        optmodels.solve({"family": "pricing"})
    with pytest.raises(optmodels.UsageError, match=r"family='spaceships' \(--family\): expected one of equipment"):
        optmodels.family("spaceships")


def test_bad_input_is_an_instance_error_naming_the_file(instances_dir, tmp_path):
    from optmodels.io import read_document

    doc = copy.deepcopy(read_document(instances_dir / FILES["equipment"]))
    doc["budget"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(optmodels.InstanceError, match=r"(?s)bad\.json: .*field 'budget'"):
        optmodels.solve(path)
    # a number the schema takes but HiGHS refuses once the model is built (a price at its
    # coefficient limit): the instance's number, so an InstanceError too, naming the file
    doc["budget"] = 16.5
    doc["price"] = [1e15, 3.1, 3.2]
    path.write_text(json.dumps(doc))
    with pytest.raises(optmodels.InstanceError, match=r"(?s)bad\.json: .*constraint budget"):
        optmodels.solve(path)
