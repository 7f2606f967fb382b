r"""Pyomo formulation of the platform fee-pricing model (spec §2, seed 002).

Symbols
-------
=======================  ====================================================================
``f, e, t, g``           patient fee, HP fee, offline deposit (Models 2-3), sharing fee (Model 3)
``p[s]``                 stage probability, s in {s1, s2, s3, s4}
``s[s]``                 stage profit (linear in the fees for given participation means)
``U``                    expected profit :math:`\sum_s p_s\,s_s`
``viability``            :math:`U \ge 0` (seed eqs. 11, 16, 22)
``profit``               objective: max U
``patient_burden``       objective: min f + t (t = 0 in Model 1)
``participation``        objective: max E[M] + E[N]
=======================  ====================================================================

Stage profits (``m = E[M]``, ``n = E[N]``, :math:`\delta_2` = Models 2-3, :math:`\delta_3` = Model 3):
``s1 = -(cM+R)m - cN n - F``; ``s2 = n e - (cM+R)m - cN n - F + δ3(θ g ENs ES - w n)``;
``s3 = m f - cM m - R M0 - cN n - F + δ2(t EQ EP - oM m - oN n)``;
``s4 = s3 + n e + δ3(θ g ENs ES - w n)``.

Bounds: strict inequalities are ``>= bound + epsilon`` (``epsilon`` from the instance):
Model 1 ``cM+ε <= f <= f0``, ``cN+ε <= e <= e0``; Models 2-3 ``oM+ε <= f``, ``oN+ε <= e`` (the
seed's eq. 19 writes f > cM for Model 3, but Model 3 keeps Model 2's offline service and its
costs, so the bound stays oM); ``ε <= t <= t0``, ``ε <= g <= g0``.

Price-independent participation (``alpha_M = alpha_N = 0``, the seed)
    ``p`` and ``m, n`` are constants, ``U`` is linear in the fees with coefficients
    ``∂U/∂f = m P(M>M0)``, ``∂U/∂e = n P(N>N0)``, ``∂U/∂t = EQ EP P(M>M0)``,
    ``∂U/∂g = θ ENs ES P(N>N0)`` -- all non-negative -- so the LP's profit optimum is at the caps
    (each cap binds with that coefficient as its reduced cost). ``participation`` is then a
    constant (prices do not move it): the objective exists for the multi-objective front-ends
    and is meaningful only with elasticity.

Price-elastic participation (``lam_M(f) = lam_M0 exp(-alpha_M f)``, likewise ``N(e)``)
    Stage probabilities and means depend on f (M side) and e (N side), so U is nonconvex.
    It is solved *exactly on a fee lattice* (:func:`~optmodels.pricing.evaluate.fee_lattice`:
    multiples of ``lattice_step`` in ``[lower, cap]`` plus the cap) as a MILP:

    - ``u[i]`` binary, f at level i; ``v[j]`` binary, e at level j; ``Σu = Σv = 1``
      (``f_choice``, ``e_choice``); ``f = Σ f_level[i] u[i]``, ``e = Σ e_level[j] v[j]``.
    - Every term of U is a constant of the pair (i, j) times the product ``u_i v_j``
      (the M-side probability/mean depend on i, the N-side on j, and Model 2's ``oN n(e)
      P(M>M0)(f)`` couples them). The product is ``y[i,j]`` in the *aggregated* linearisation
      ``Σ_j y_ij = u_i`` (``pair_f``), ``Σ_i y_ij = v_j`` (``pair_e``), ``y >= 0``: with
      ``u``, ``v`` unit vectors this forces ``y = u v^T`` exactly. It is chosen over the
      three McCormick rows per pair because it has |I|+|J| rows instead of 3|I||J| and is
      tighter: its LP relaxation is the set of joint distributions over pairs, whose vertices are
      the pure pairs, so without side constraints the relaxation is already integral.
    - ``t`` and ``g`` stay continuous. U is linear in t with coefficient
      ``EQ EP P(M>M0)(f_i)`` (depends on f only) and in g with ``θ ENs ES P(N>N0)(e_j)``; the
      products ``t u_i`` and ``g v_j`` are ``zt[i]``, ``zg[j]`` with ``ε u_i <= zt_i <= t0 u_i``
      and ``t = Σ zt`` (exact for binary u; ``t_link_lower/upper``, likewise g). For the profit
      objective t and g go to their caps (positive coefficients), but other objectives (patient
      burden) push t down, so they are kept as variables rather than fixed.

    The result is exact for the lattice: the optimum equals brute-force enumeration of the same
    lattice (:func:`~optmodels.pricing.evaluate.brute_force`, tested); the distance to the
    continuous optimum is at most what one lattice step changes. For one objective,
    :func:`~optmodels.pricing.solve.solve_pricing` enumerates the same lattice instead (faster at
    every size, :mod:`~optmodels.pricing.lattice`); this MILP is what the front-ends solve, and
    it takes at most ``MILP_MAX_PAIRS`` pairs (one column each), checked before building.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optmodels.pricing.evaluate import STAGES, fee_lattice, participation_means
from optmodels.pricing.instance import MILP_MAX_PAIRS, OBJECTIVES, PricingInstance
from optmodels.pricing.lattice import lattice_terms, stage_coefficients, stage_probabilities
from solvers import gc_paused

__all__ = ["OBJECTIVES", "build", "fee_values", "stage_coefficients", "stage_probabilities"]


@gc_paused
def build(
    instance: PricingInstance,
    *,
    objective: str = "profit",
    viability: bool = True,
    lattice_step: float | None = None,
    relax: bool = False,
) -> pyo.ConcreteModel:
    """The pricing model: an LP (price-independent participation) or a lattice MILP (elastic).

    Parameters
    ----------
    objective
        Which of :data:`OBJECTIVES` is active; all three exist as ``Objective`` components named
        as the objective, the others deactivated.
    viability
        Impose ``U >= 0``. Without it the model returns the best achievable profit even when no
        fee is viable (used to report the verdict's number).
    lattice_step
        Fee lattice step for the elastic MILP (default: the instance's ``lattice_step``).
    relax
        Relax the lattice binaries to ``[0, 1]`` (elastic case only).
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    model = pyo.ConcreteModel(name=f"pricing {instance.model}" + (" (elastic, lattice)" if instance.elastic else ""))
    model.STAGES = pyo.Set(initialize=STAGES, ordered=True, doc="participation stages")
    if instance.elastic:
        _add_lattice(model, instance, lattice_step, relax)
        _add_lattice_profit(model, instance)
    else:
        _add_fees(model, instance)
        _add_profit(model, instance)
    if viability:
        constant = getattr(model, "constant_profit", None)
        if constant is None:
            model.viability = pyo.Constraint(expr=model.U >= 0, doc="expected profit is non-negative (seed eq. 11/16/22)")
        else:
            # U does not depend on any fee: the row would hold no variable (a solver cannot take
            # it), so it is decided here; ``viability_fails`` tells the caller every fee is unviable.
            model.viability_fails = constant < 0
    _add_objectives(model, instance, objective)
    return model


# -- price-independent participation: an LP ----------------------------------------------------


def _add_fees(model: pyo.ConcreteModel, instance: PricingInstance) -> None:
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    docs = {"f": "patient fee", "e": "HP fee", "t": "offline deposit per HP chosen", "g": "data-sharing fee"}
    for fee in instance.fees:
        model.add_component(fee, pyo.Var(bounds=(lower[fee], upper[fee]), doc=f"{docs[fee]} "
                                         f"[{instance.lower_reason(fee)}, {fee}0]"))


def _add_profit(model: pyo.ConcreteModel, instance: PricingInstance) -> None:
    m, n = participation_means(instance, 0.0, 0.0)
    p = stage_probabilities(instance, m, n)
    c = stage_coefficients(instance, m, n)
    model.EM = pyo.Param(initialize=float(m), doc="E[M], expected patients")
    model.EN = pyo.Param(initialize=float(n), doc="E[N], expected HPs")
    model.p = pyo.Param(model.STAGES, initialize=dict(zip(STAGES, p.tolist(), strict=False)), doc="stage probability")
    fees = {fee: model.component(fee) for fee in instance.fees}

    def stage_rule(model, s):
        k = STAGES.index(s)
        expr = float(c["K"][k])
        for fee, key in (("f", "Af"), ("e", "Ae"), ("t", "At"), ("g", "Ag")):
            coef = float(c[key][k])
            if fee in fees and coef != 0.0:
                expr = expr + coef * fees[fee]
        return expr

    slopes = {key: float((p * c[key]).sum()) for fee, key in (("f", "Af"), ("e", "Ae"), ("t", "At"), ("g", "Ag"))
              if fee in fees}
    # With no mass past a threshold (or zero volumes) every fee's slope can vanish: U is a constant.
    model.constant_profit = None if any(slopes.values()) else float((p * c["K"]).sum())
    model.s = pyo.Expression(model.STAGES, rule=stage_rule, doc="stage profit")
    model.U = pyo.Expression(expr=pyo.quicksum(model.p[s] * model.s[s] for s in model.STAGES),
                             doc="expected profit")
    model.participation_value = pyo.Expression(expr=model.EM + model.EN,
                                               doc="expected participants (constant without elasticity)")
    model.burden = pyo.Expression(expr=model.f + (model.t if "t" in fees else 0.0), doc="f + t")


# -- price-elastic participation: a MILP on the fee lattice ------------------------------------


def _add_lattice(model: pyo.ConcreteModel, instance: PricingInstance, step: float | None, relax: bool) -> None:
    instance.check_lattice(step, limit=MILP_MAX_PAIRS, what="the lattice MILP (one column per pair)")
    f_levels = fee_lattice(instance, "f", step)
    e_levels = fee_lattice(instance, "e", step)
    model.lattice_step = step if step is not None else instance.lattice_step
    model.I = pyo.RangeSet(0, len(f_levels) - 1, doc="levels of the patient fee f")
    model.J = pyo.RangeSet(0, len(e_levels) - 1, doc="levels of the HP fee e")
    model.f_level = pyo.Param(model.I, initialize=dict(enumerate(f_levels.tolist())), doc="f at level i")
    model.e_level = pyo.Param(model.J, initialize=dict(enumerate(e_levels.tolist())), doc="e at level j")
    domain = pyo.UnitInterval if relax else pyo.Binary
    model.u = pyo.Var(model.I, domain=domain, doc="1 if f is at level i")
    model.v = pyo.Var(model.J, domain=domain, doc="1 if e is at level j")
    model.y = pyo.Var(model.I, model.J, bounds=(0, 1), doc="u_i * v_j (aggregated linearisation)")
    model.f_choice = pyo.Constraint(expr=pyo.quicksum(model.u[i] for i in model.I) == 1, doc="one level of f")
    model.e_choice = pyo.Constraint(expr=pyo.quicksum(model.v[j] for j in model.J) == 1, doc="one level of e")
    model.pair_f = pyo.Constraint(
        model.I, rule=lambda mdl, i: pyo.quicksum(mdl.y[i, j] for j in mdl.J) == mdl.u[i],
        doc="row sums of y are u")
    model.pair_e = pyo.Constraint(
        model.J, rule=lambda mdl, j: pyo.quicksum(mdl.y[i, j] for i in mdl.I) == mdl.v[j],
        doc="column sums of y are v")
    model.f = pyo.Expression(expr=pyo.quicksum(model.f_level[i] * model.u[i] for i in model.I), doc="patient fee")
    model.e = pyo.Expression(expr=pyo.quicksum(model.e_level[j] * model.v[j] for j in model.J), doc="HP fee")
    eps = instance.epsilon
    if "t" in instance.fees:
        model.zt = pyo.Var(model.I, bounds=(0, instance.t0), doc="t * u_i")
        model.t_link_lower = pyo.Constraint(model.I, rule=lambda mdl, i: mdl.zt[i] >= eps * mdl.u[i],
                                            doc="t >= epsilon at the chosen f level")
        model.t_link_upper = pyo.Constraint(model.I, rule=lambda mdl, i: mdl.zt[i] <= instance.t0 * mdl.u[i],
                                            doc="t <= t0 at the chosen f level, 0 elsewhere")
        model.t = pyo.Expression(expr=pyo.quicksum(model.zt[i] for i in model.I), doc="offline deposit")
    if "g" in instance.fees:
        model.zg = pyo.Var(model.J, bounds=(0, instance.g0), doc="g * v_j")
        model.g_link_lower = pyo.Constraint(model.J, rule=lambda mdl, j: mdl.zg[j] >= eps * mdl.v[j],
                                            doc="g >= epsilon at the chosen e level")
        model.g_link_upper = pyo.Constraint(model.J, rule=lambda mdl, j: mdl.zg[j] <= instance.g0 * mdl.v[j],
                                            doc="g <= g0 at the chosen e level, 0 elsewhere")
        model.g = pyo.Expression(expr=pyo.quicksum(model.zg[j] for j in model.J), doc="data-sharing fee")


def _add_lattice_profit(model: pyo.ConcreteModel, instance: PricingInstance) -> None:
    f_levels = np.array([model.f_level[i] for i in model.I])
    e_levels = np.array([model.e_level[j] for j in model.J])
    lt = lattice_terms(instance, f_levels, e_levels)
    U0, t_coef, g_coef, m, n = lt.U0, lt.t_coef, lt.g_coef, lt.m, lt.n
    model.EM_level = pyo.Param(model.I, initialize=dict(enumerate(m.tolist())), doc="E[M] at f level i")
    model.EN_level = pyo.Param(model.J, initialize=dict(enumerate(n.tolist())), doc="E[N] at e level j")
    terms = [float(U0[i, j]) * model.y[i, j] for i in model.I for j in model.J]
    if "t" in instance.fees:
        terms += [float(t_coef[i]) * model.zt[i] for i in model.I]
    if "g" in instance.fees:
        terms += [float(g_coef[j]) * model.zg[j] for j in model.J]
    model.U = pyo.Expression(expr=pyo.quicksum(terms), doc="expected profit on the lattice")
    model.participation_value = pyo.Expression(
        expr=pyo.quicksum(model.EM_level[i] * model.u[i] for i in model.I)
        + pyo.quicksum(model.EN_level[j] * model.v[j] for j in model.J),
        doc="expected participants E[M](f) + E[N](e)")
    model.burden = pyo.Expression(expr=model.f + (model.t if "t" in instance.fees else 0.0), doc="f + t")


# -- objectives ---------------------------------------------------------------------------------


def _add_objectives(model: pyo.ConcreteModel, instance: PricingInstance, active: str) -> None:
    model.profit = pyo.Objective(expr=model.U, sense=pyo.maximize, doc="expected profit U (max)")
    model.patient_burden = pyo.Objective(expr=model.burden, sense=pyo.minimize,
                                         doc="patients' fee burden f + t (min)")
    model.participation = pyo.Objective(
        expr=model.participation_value, sense=pyo.maximize,
        doc="expected participants E[M] + E[N] (max; constant unless participation is price-elastic)")
    for name in OBJECTIVES:
        model.component(name).deactivate()
    model.component(active).activate()


def fee_values(model: pyo.ConcreteModel, instance: PricingInstance) -> dict[str, float]:
    """The fees of a solved model (works for the LP and the lattice MILP).

    A fee whose coefficient is zero everywhere (e.g. ``t`` when ``EQ = 0``) enters no row and not
    the objective, so the solver never sees it and it has no value: it changes nothing, and is
    reported at its cap (:func:`optmodels.pricing.solve.solve_pricing` states so in a note).
    """
    caps = instance.upper_bounds()
    if instance.elastic and model.component("u") is not None:
        return _lattice_fees(model, instance)
    out = {}
    for fee in instance.fees:
        value = pyo.value(model.component(fee), exception=False)
        out[fee] = float(caps[fee]) if value is None else float(value)
    return out


def _lattice_fees(model: pyo.ConcreteModel, instance: PricingInstance) -> dict[str, float]:
    """The lattice MILP's fees read at the chosen levels: the level of the largest ``u`` (``v``),
    and ``t``, ``g`` from that level's link variable only. Summing ``f_level * u`` over all levels
    instead would mix in the solver's near-zero values (binaries are integral only to a
    tolerance), giving fees between levels."""
    i = max(model.I, key=lambda k: pyo.value(model.u[k], exception=False) or 0.0)
    j = max(model.J, key=lambda k: pyo.value(model.v[k], exception=False) or 0.0)
    out = {"f": float(model.f_level[i]), "e": float(model.e_level[j])}
    if "t" in instance.fees:
        out["t"] = float(pyo.value(model.zt[i]))
    if "g" in instance.fees:
        out["g"] = float(pyo.value(model.zg[j]))
    return out
