"""Every validation rule of the equipment instance, each naming the field and the numbers."""

from __future__ import annotations

import copy
import re

import pytest

from optmodels.equipment import EquipmentInstance
from optmodels.errors import InstanceError
from optmodels.io import read_document


@pytest.fixture(scope="module")
def base(instances_dir) -> dict:
    return read_document(instances_dir / "equipment" / "tiny_cost.toml")


def _bad(base: dict, change) -> str:
    data = copy.deepcopy(base)
    change(data)
    with pytest.raises(InstanceError) as info:
        EquipmentInstance.from_dict(data, file="case.toml")
    text = str(info.value)
    assert text.startswith("case.toml")
    return text


def test_valid_base(base):
    assert EquipmentInstance.from_dict(base).data.n_hospitals == 4


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["hospitals"][0].update(region="Nowhere"), r"hospitals\[0\].*region.*Nowhere"),
        (lambda d: d["regions"][1].update(population=[-5, 1, 1]), r"regions\[1\]\.population.*> 0.*-5"),
        (lambda d: d.update(gini={"lo": 0.4, "hi": 0.3}), r"lo <= hi.*0\.4.*0\.3"),
        (lambda d: d.update(colour="red"), r"colour.*unknown field"),
        (lambda d: d.pop("budget"), r"budget.*required"),
        (lambda d: d.update(budget="lots"), r"budget.*expected.*number.*lots"),
        (lambda d: d["hospitals"][1].update(arrival_rate=[1.0]), r"arrival_rate.*expected 3 values, found 1"),
        (lambda d: d["hospitals"].append(dict(d["hospitals"][0])), r"duplicate hospital id"),
        (lambda d: d["regions"].append(dict(d["regions"][0])), r"duplicate region id"),
        (lambda d: d.update(price=[3.0, 3.0]), r"price.*expected 3 values.*found 2"),
        (lambda d: d.update(yearly_budget=[1, -1, 1]), r"yearly_budget.*>= 0"),
        (lambda d: d.update(demand={"Atlantis": [1, 2, 3]}), r"demand\.Atlantis.*region id"),
        (lambda d: d["hospitals"][0].update(capacity=0), r"capacity': expected a number > 0, found 0"),
        (lambda d: d["hospitals"][0].pop("arrival_rate"), r"arrival rates.*or a regional demand"),
        (lambda d: d.update(gini={"lo": 0.2, "hi": 0.3, "mode": "median"}), r"gini\.mode.*mean.*each_year.*median"),
    ],
)
def test_schema_and_cross_field_errors(base, change, expected):
    text = _bad(base, change)
    assert re.search(expected, text, flags=re.IGNORECASE), text


def test_budget_below_cheapest_plan(base):
    text = _bad(base, lambda d: d.update(budget=5.0))
    assert "budget below the cheapest plan" in text
    assert "found 5.0" in text


def test_queue_unstable_whatever_is_added(base):
    # N2 has no set now and mu = 2.5: with 3 years it can reach 3 sets, stable below 7.5/h.
    text = _bad(base, lambda d: d["hospitals"][1].update(arrival_rate=[0.5, 1.0, 9.0]))
    assert "queue instability" in text
    assert "N2" in text
    assert "9" in text


def test_demand_beyond_every_addition(base):
    text = _bad(base, lambda d: d.update(demand={"South": [1e6, 1e6, 1e6]}))
    assert "demand above what every allowed addition" in text
    assert "South" in text


def test_demand_table_splits_by_existing_capacity(base):
    data = copy.deepcopy(base)
    for h in data["hospitals"]:
        h.pop("arrival_rate")
    data["demand"] = {"North": [9000, 9000, 9000], "South": [3000, 3000, 3000], "East": [6000, 6000, 6000]}
    d = EquipmentInstance.from_dict(data).data
    # North: N1 has 1 set x 6000, N2 none -> N1 carries all 9000 exams = 3/h over 3000 h.
    assert d.lam[0].tolist() == pytest.approx([3.0, 3.0, 3.0])
    assert d.lam[1].tolist() == pytest.approx([0.0, 0.0, 0.0])


def test_hospitals_from_a_csv_table(tmp_path, base):
    rows = ["id,region,existing,capacity,service_rate,arrival_rate_1,arrival_rate_2,arrival_rate_3"]
    for h in base["hospitals"]:
        rows.append(",".join(map(str, [h["id"], h["region"], h["existing"], h["capacity"], h["service_rate"], *h["arrival_rate"]])))
    (tmp_path / "hospitals.csv").write_text("\n".join(rows) + "\n")
    data = copy.deepcopy(base)
    data["hospitals"] = {"table": "hospitals.csv"}
    inst = EquipmentInstance.from_dict(data, base=tmp_path, file=tmp_path / "x.toml")
    assert inst.data.lam.tolist() == EquipmentInstance.from_dict(base).data.lam.tolist()


def test_gini_lo_omitted_is_the_seeds_0_2_and_zero_means_no_lower_side(tmp_path, instances_dir):
    from optmodels.equipment import solve_instance

    text = (instances_dir / "equipment" / "tiny_gini_lower.toml").read_text()
    band = 'gini = { lo = 0.1, hi = 0.3, mode = "mean" }'
    assert band in text
    omitted = tmp_path / "omitted.toml"
    omitted.write_text(text.replace(band, 'gini = { hi = 0.3, mode = "mean" }'))
    assert EquipmentInstance.from_file(omitted).data.gini_lo == 0.2
    none = tmp_path / "none.toml"
    none.write_text(text.replace(band, 'gini = { lo = 0, hi = 0.3, mode = "mean" }'))
    sol = solve_instance(EquipmentInstance.from_file(none))
    # The band-free optimum (mean Gini 0.065, below the file's lo = 0.1) is accepted with lo = 0.
    assert sol.result.objective == pytest.approx(63.75654517954058, rel=1e-9)
    assert sol.evaluation.feasible
