r"""The coverage models over merged demand (cover-set groups), as Pyomo MILPs built in bulk.

Symbols
-------
======================  ========================================================================
``J``                   the free candidate sites (not fixed open, not closed by a reduction)
``G``                   the groups: demand points merged by cover set, restricted to ``J``
                        (:mod:`optmodels.siting.coverage.groups`); ``N_g`` a group's sites in
                        ``J``, ``W_g`` its population
``c_j``                 the cost of opening ``j`` (LSCP's objective)
``q``                   sites still to open: ``p`` less the sites fixed open
``y_j`` in {0,1}        site ``j`` opened
``z_g`` in [0,1]        group ``g`` covered (MCLP)
``u_g`` in [0,1]        group ``g`` covered twice (backup coverage)
``k_g`` in {0,1,2}      sites covering ``g`` already open (fixed), capped at 2
======================  ========================================================================

Models (the constants -- cost and coverage of what is fixed -- are added by the caller)::

    lscp     min  sum_j c_j y_j        s.t.  sum_{j in N_g} y_j >= 1          g in G  (cover)
    mclp     max  sum_g W_g z_g        s.t.  z_g <= sum_{j in N_g} y_j         g in G  (covered)
                                              sum_j y_j = q  (and/or  sum_j c_j y_j <= B)
    lscp_b   max  sum_g W_g u_g        s.t.  sum_{j in N_g} y_j >= 1 - k_g + u_g  g in G  (backup)
                                              sum_j y_j = q

Groups already covered by fixed sites are left out of ``cover`` and ``covered``; in ``backup``
a group covered once by fixed sites needs only ``u_g <= sum y`` and a group covered twice is a
constant. ``z`` and ``u`` are continuous: at an integer ``y`` their best values are 0 or 1.

Rows are ``LinearExpression``s made from the groups' CSR arrays, one Python call per row.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression

from solvers import gc_paused


def _rows(A: sp.csr_matrix) -> list[list[int]]:
    return [A.indices[a:b].tolist() for a, b in zip(A.indptr[:-1], A.indptr[1:], strict=True)]


def _sites(mdl: pyo.ConcreteModel, m: int, relax: bool) -> None:
    mdl.J = pyo.RangeSet(0, m - 1, doc="free candidate sites (after the reductions)")
    mdl.y = pyo.Var(mdl.J, domain=pyo.UnitInterval if relax else pyo.Binary, doc="1 if site j is opened")


def _count(mdl: pyo.ConcreteModel, q: int | None, cost: np.ndarray, budget: float | None) -> None:
    y = mdl.y
    if q is not None:
        mdl.q = pyo.Param(initialize=q, doc="sites still to open (p less those fixed open)")
        mdl.facility_count = pyo.Constraint(
            expr=LinearExpression(constant=0.0, linear_coefs=[1.0] * len(mdl.J), linear_vars=list(y.values())) == q,
            doc="exactly q more sites open",
        )
    if budget is not None:
        mdl.budget = pyo.Constraint(
            expr=LinearExpression(constant=0.0, linear_coefs=cost.tolist(), linear_vars=list(y.values())) <= budget,
            doc="cost of the opened sites within what is left of the budget",
        )


@gc_paused
def build_lscp(A: sp.csr_matrix, cost: np.ndarray, *, relax: bool = False) -> pyo.ConcreteModel:
    """``min c y`` s.t. every row of ``A`` (groups x free sites) covered."""
    mdl = pyo.ConcreteModel(name="lscp_groups")
    _sites(mdl, A.shape[1], relax)
    mdl.G = pyo.RangeSet(0, A.shape[0] - 1, doc="groups left to cover")
    ys = list(mdl.y.values())
    rows = _rows(A)
    mdl.cover = pyo.Constraint(
        mdl.G, rule=lambda _, g: LinearExpression(constant=0.0, linear_coefs=[1.0] * len(rows[g]),
                                                  linear_vars=[ys[j] for j in rows[g]]) >= 1.0,
        doc="every group covered by an opened site within the radius",
    )
    mdl.cost = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=cost.tolist(), linear_vars=ys),
                             sense=pyo.minimize, doc="cost of the opened sites")
    return mdl


@gc_paused
def build_mclp(A: sp.csr_matrix, weight: np.ndarray, q: int | None, cost: np.ndarray, budget: float | None, *,
               relax: bool = False) -> pyo.ConcreteModel:
    """``max W z`` s.t. ``z_g <= sum_{N_g} y``, ``q`` sites and/or the budget."""
    mdl = pyo.ConcreteModel(name="mclp_groups")
    _sites(mdl, A.shape[1], relax)
    mdl.G = pyo.RangeSet(0, A.shape[0] - 1, doc="groups not covered by fixed sites")
    mdl.z = pyo.Var(mdl.G, domain=pyo.UnitInterval, doc="1 if group g is covered")
    ys, zs = list(mdl.y.values()), list(mdl.z.values())
    rows = _rows(A)
    mdl.covered = pyo.Constraint(
        mdl.G, rule=lambda _, g: LinearExpression(constant=0.0, linear_coefs=[1.0] + [-1.0] * len(rows[g]),
                                                  linear_vars=[zs[g]] + [ys[j] for j in rows[g]]) <= 0.0,
        doc="covered only if an opened site lies within the radius",
    )
    _count(mdl, q, cost, budget)
    mdl.coverage = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=weight.tolist(), linear_vars=zs),
                                 sense=pyo.maximize, doc="population covered (beyond the fixed sites')")
    return mdl


@gc_paused
def build_backup(A: sp.csr_matrix, weight: np.ndarray, fixed_count: np.ndarray, q: int, *,
                 relax: bool = False) -> pyo.ConcreteModel:
    """``max W u`` s.t. ``sum_{N_g} y >= 1 - k_g + u_g``, ``q`` sites (``k_g`` in {0, 1})."""
    mdl = pyo.ConcreteModel(name="lscp_b_groups")
    _sites(mdl, A.shape[1], relax)
    mdl.G = pyo.RangeSet(0, A.shape[0] - 1, doc="groups not covered twice by fixed sites")
    mdl.u = pyo.Var(mdl.G, domain=pyo.UnitInterval, doc="1 if group g is covered twice")
    ys, us = list(mdl.y.values()), list(mdl.u.values())
    rows = _rows(A)
    need = (1.0 - fixed_count).tolist()
    mdl.backup = pyo.Constraint(
        mdl.G, rule=lambda _, g: LinearExpression(constant=0.0, linear_coefs=[1.0] * len(rows[g]) + [-1.0],
                                                  linear_vars=[ys[j] for j in rows[g]] + [us[g]]) >= need[g],
        doc="covered once (counting fixed sites), twice where u_g = 1",
    )
    _count(mdl, q, np.zeros(A.shape[1]), None)
    mdl.backup_coverage = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=weight.tolist(), linear_vars=us),
                                        sense=pyo.maximize, doc="population covered twice (beyond the fixed sites')")
    return mdl


def chosen(mdl: pyo.ConcreteModel) -> np.ndarray:
    """The opened free sites of a solved model (bool per free site)."""
    return np.array([(v.value or 0.0) > 0.5 for v in mdl.y.values()], dtype=bool)
