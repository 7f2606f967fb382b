"""Instance schema and data checks: every shipped file loads; each bad input is an InstanceError
naming the field and the numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from optmodels.errors import InstanceError
from optmodels.pricing.instance import from_dict, from_file

SHIPPED = ["seed_model1", "seed_model2", "seed_model3", "elastic_model2", "no_viable_model1"]


@pytest.fixture
def seed(instances_dir: Path) -> dict:
    return yaml.safe_load((instances_dir / "pricing" / "seed_model3.yaml").read_text())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_instances_load(instances_dir: Path, name: str) -> None:
    instance = from_file(instances_dir / "pricing" / f"{name}.yaml")
    assert instance.M0 == 50
    assert instance.lam_M in (60, 80)
    assert instance.cM == 0.8
    assert instance.oM == 0.95
    assert instance.R == 1


def test_seed_values_are_the_papers(seed: dict) -> None:
    instance = from_dict(seed)
    expected = {"lam_M": 60, "lam_N": 60, "M0": 50, "N0": 50, "cM": 0.8, "cN": 0.6, "oM": 0.95,
                "oN": 0.8, "w": 1.5, "F": 0.5, "R": 1, "theta": 0.1}
    assert {k: getattr(instance, k) for k in expected} == expected
    # every value the seed does not give is documented
    documented = " ".join(instance.notes)
    for field in ("f0", "e0", "t0", "g0", "EQ", "EP", "ENs", "ES"):
        assert field in documented


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"oM": 0.7}, r"field 'oM': expected oM > cM .*found oM = 0.7, cM = 0.8"),
        ({"oN": 0.6}, r"field 'oN': expected oN > cN .*found oN = 0.6, cN = 0.6"),
        ({"cM": 0.0, "oM": 0.95}, r"field 'cM': expected cM > 0"),
        ({"cN": -0.1}, r"field 'cN': expected cN > 0"),
        ({"f0": 0.9}, r"field 'f0': expected the cap f0 >= oM \+ epsilon = 0.950001.*found f0 = 0.9"),
        ({"e0": 0.5}, r"field 'e0': expected the cap e0 >= oN \+ epsilon = 0.800001.*found e0 = 0.5"),
        ({"EQ": 70}, r"field 'EQ': expected EQ <= E\[M\] = 60 .*found 70"),
        ({"ES": 61}, r"field 'ES': expected ES <= E\[N\] = 60 .*found 61"),
        ({"theta": None}, r"field 'theta': required for model3"),
        ({"dist_M": {"kind": "pmf", "counts": [40, 60], "probabilities": [0.5, 0.4]}, "lam_M": None},
         r"field 'dist_M.probabilities': expected probabilities summing to 1, found sum 0.9"),
        ({"dist_N": {"kind": "pmf", "counts": [40, 60], "probabilities": [0.5, 0.5]}},
         r"field 'lam_N': the pmf table of dist_N has mean 50"),
        ({"dist_M": {"kind": "pmf", "counts": [40, 60], "probabilities": [0.5, 0.5]}, "lam_M": None,
          "alpha_M": 0.1}, r"field 'alpha_M': price elasticity needs a Poisson"),
        ({"dist_M": {"kind": "negative_binomial"}}, r"needs 'dispersion'"),
        ({"lam_M": None}, r"field 'lam_M': required for a poisson dist_M"),
        ({"colour": "red"}, r"field 'colour': unknown field"),
        ({"M0": -1}, r"field 'M0': expected a number >= 0, found -1"),
    ],
)
def test_bad_data_names_field_and_numbers(seed: dict, change: dict, pattern: str) -> None:
    data = {**seed, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(InstanceError, match=pattern):
        from_dict(data, file="bad.yaml")


def test_several_problems_reported_together(seed: dict) -> None:
    with pytest.raises(InstanceError) as info:
        from_dict({**seed, "oM": 0.5, "oN": 0.5}, file="bad.yaml")
    assert "2 problem(s)" in str(info.value)
    assert "'oM'" in str(info.value)
    assert "'oN'" in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_model1_does_not_need_model2_fields() -> None:
    instance = from_dict({"model": "model1", "lam_M": 60, "lam_N": 60, "M0": 50, "N0": 50,
                          "cM": 0.8, "cN": 0.6, "F": 0.5, "R": 1, "f0": 2, "e0": 2})
    assert instance.fees == ("f", "e")
    assert instance.lower_bounds() == pytest.approx({"f": 0.800001, "e": 0.600001})


def test_model3_lower_bound_stays_offline_cost(seed: dict) -> None:
    # eq. 19 prints f > cM, but Model 3 keeps the offline service: the bound stays oM (spec §2)
    instance = from_dict(seed)
    assert instance.lower_bounds()["f"] == pytest.approx(0.95 + 1e-6)
    assert instance.lower_bounds()["e"] == pytest.approx(0.8 + 1e-6)


def test_pmf_table_from_csv(tmp_path: Path, seed: dict) -> None:
    (tmp_path / "pmf.csv").write_text("count,probability\n40,0.25\n55,0.5\n70,0.25\n")
    data = {**seed, "dist_M": {"kind": "pmf", "table": "pmf.csv"}}
    data.pop("lam_M")
    path = tmp_path / "inst.yaml"
    path.write_text(yaml.safe_dump(data))
    instance = from_file(path)
    assert instance.base_mean("M") == pytest.approx(55.0)
    (tmp_path / "pmf.csv").write_text("count,prob\n40,1\n")
    with pytest.raises(InstanceError, match="columns 'count' and 'probability'"):
        from_file(path)
