"""Break-even lines: the seed's Model 1 late stage gives 134.5/60, not the printed 2.3868."""

from __future__ import annotations

from pathlib import Path

import pytest

from optmodels.pricing.breakeven import SEED_LATE_BREAKEVEN, breakeven, breakeven_text
from optmodels.pricing.evaluate import evaluate
from optmodels.pricing.instance import from_file


@pytest.fixture
def model1(instances_dir: Path):
    return from_file(instances_dir / "pricing" / "seed_model1.yaml")


def test_model1_late_stage_breakeven_is_134_5_over_60(model1) -> None:
    info = breakeven(model1)
    assert info["late_stage_f_plus_e"] == pytest.approx(134.5 / 60, rel=1e-12)
    assert info["late_stage_line"] == pytest.approx({"a": 60.0, "b": 60.0, "K": 134.5})
    assert info["late_stage_diagonal_f_plus_e"] == pytest.approx(134.5 / 60, rel=1e-9)
    assert info["late_stage_f_plus_e_conditional"] == pytest.approx(2.2203, abs=5e-5)  # spec §2
    assert SEED_LATE_BREAKEVEN == 2.3868


def test_expected_profit_line_is_where_U_vanishes(model1) -> None:
    line = breakeven(model1)["expected_profit_line"]
    for f in (0.5, 1.0, 2.0):
        e = (line["K"] - line["a"] * f) / line["b"]
        assert float(evaluate(model1, f, e).U) == pytest.approx(0.0, abs=1e-9)


def test_printout_shows_both_numbers_and_why(model1) -> None:
    text = breakeven_text(breakeven(model1))
    assert "2.2417" in text
    assert "2.3868" in text
    assert "why they differ" in text


def test_elastic_breakeven_on_the_diagonal(instances_dir: Path) -> None:
    inst = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    info = breakeven(inst, t=0.5)
    x = info["late_stage_diagonal_f_plus_e"] / 2
    assert float(evaluate(inst, x, x, 0.5).s[3]) == pytest.approx(0.0, abs=1e-8)
    assert "late_stage_line" not in info


def test_explanation_is_computed_for_the_file(instances_dir: Path) -> None:
    """A lambda = 80 file: the text gives this file's Model 1 line (80 f + 80 e > 162.5, i.e.
    f + e > 2.03125), and the seed's 2.2417 is derived from the seed's values, labelled as such."""
    from optmodels.pricing.instance import from_dict

    data = from_file(instances_dir / "pricing" / "elastic_model2.yaml").model_dump()
    inst = from_dict({**data, "alpha_M": 0.0, "alpha_N": 0.0})
    info = breakeven(inst)
    assert info["model1_late_stage_line"] == pytest.approx({"a": 80.0, "b": 80.0, "K": 0.8 * 80 + 50 + 0.6 * 80 + 0.5})
    assert "This file read as Model 1 gives 80 f + 80 e > 162.5, i.e. f + e > 2.0312" in info["explanation"]
    assert info["seed_printed_formula_f_plus_e"] == pytest.approx(134.5 / 60)
    text = breakeven_text(info)
    assert "2.0312" in text
    assert "at the seed's values" in text


def test_no_mass_above_the_threshold_prints_no_nan(instances_dir: Path) -> None:
    from optmodels.pricing.instance import from_dict

    data = from_file(instances_dir / "pricing" / "seed_model1.yaml").model_dump()
    pmf = {"kind": "pmf", "counts": [40, 50], "probabilities": [0.5, 0.5]}
    inst = from_dict({**data, "lam_M": None, "dist_M": pmf, "EQ": 40.0})
    text = breakeven_text(breakeven(inst))
    assert "nan" not in text.lower()
    assert "no mass where M > M0 (the late stage never occurs)" in text
    assert "f has no effect" in text


def test_the_docs_notes_on_the_seeds_claims(model1) -> None:
    """docs/pricing.md: Model 1's mid stage is never profitable on [0, 2]^2 (best -19.5); the
    late-stage slope in f and e is 60 in all three models; at t = 1 the deposit brings 360 against
    240 of fee revenue at the caps."""
    import numpy as np

    axis = np.linspace(0.0, 2.0, 201)
    f, e = np.meshgrid(axis, axis, indexing="ij")
    mid = evaluate(model1, f, e).mid
    assert mid.max() == pytest.approx(-19.5, abs=1e-9)
    for model in ("model1", "model2", "model3"):
        inst = model1.with_model(model)
        base = float(evaluate(inst, 0.0, 0.0, 0.5, 1.0).s[3])
        assert float(evaluate(inst, 1.0, 0.0, 0.5, 1.0).s[3]) - base == pytest.approx(60.0)
        assert float(evaluate(inst, 0.0, 1.0, 0.5, 1.0).s[3]) - base == pytest.approx(60.0)
    m2 = model1.with_model("model2")
    assert 1.0 * m2.EQ * m2.EP == 360.0
    assert 60 * m2.f0 + 60 * m2.e0 == 240.0
