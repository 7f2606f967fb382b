"""Sweeps reach the pricing and siting families through the contract alone (document paths,
table columns, the family's own verdicts)."""

from __future__ import annotations

import pytest

from optmodels.sweep import sweep

SF_MCLP_P4 = 875247  # spopt's reference coverage (instances/siting/sf/sf_mclp.json)


def test_siting_table_column_scaled(instances_dir):
    """Halving every tract's population (a column of the referenced CSV) halves the maximal
    coverage exactly: the same sites stay optimal for a uniformly scaled objective."""
    frame = sweep(instances_dir / "siting" / "sf" / "sf_mclp.json", {"demand[*].POP2000": "x1,0.5"})
    assert frame["status"].tolist() == ["optimal", "optimal"]
    assert frame["objective"].tolist() == pytest.approx([SF_MCLP_P4, SF_MCLP_P4 / 2], rel=1e-9)
    assert "demand[*].POP2000 (factor)" in frame.columns


def test_pricing_no_viable_fee_is_a_row(instances_dir):
    """Elastic Model 2 at lambda 80: alpha 0.1 puts the patient fee at its cap 2.0; alpha 0.6
    leaves no viable fee, which is the family's verdict, not an error."""
    frame = sweep(instances_dir / "pricing" / "elastic_model2.yaml", {"alpha_*": "0.1,0.6"})
    assert frame["status"].tolist() == ["optimal", "no_viable_fee"]
    assert frame.loc[0, "metric.f"] == pytest.approx(2.0)
    assert frame.loc[0, "objective"] > 0
    assert "no fee makes expected profit non-negative" in frame.loc[1, "message"]
