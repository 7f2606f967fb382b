"""The pricing instance: every parameter of the fee-pricing model (spec §2, seed 002).

Symbols follow the spec (and the seed): ``lam_M, lam_N`` participation means, ``M0, N0``
thresholds, ``cM, cN`` online unit costs, ``oM, oN`` offline unit costs, ``w`` sharing cost
per HP, ``F`` fixed cost, ``R`` reward per patient below the threshold, ``theta`` the
platform's share of sharing fees, caps ``f0, e0, t0, g0``, volumes ``EQ = E[Q]``, ``EP = E[P]``,
``ENs = E[Ns]``, ``ES = E[S]``, ``epsilon`` for the strict inequalities, price elasticities
``alpha_M, alpha_N`` (``lam(f) = lam0 * exp(-alpha * f)``; 0 recovers the seed) and the fee
lattice step used when participation is price-elastic.

Which fields a variant needs: ``model1`` (online only) needs the common ones; ``model2`` adds the
offline service (``oM, oN, t0, EQ, EP``); ``model3`` adds data sharing (``w, theta, g0, ENs,
ES``) on top of Model 2. A field a variant does not use may still be given (the shipped
instances carry the whole seed parameter set so that the figures of all three models can be drawn
from any of them).

Data checks (each an :class:`~optmodels.errors.InstanceError` naming the field and the numbers):
every number finite (no NaN, no +-inf) and of magnitude below 1e20, which HiGHS reads as
infinite (:data:`optmodels.io.SOLVER_INFINITY`: a cap f0 = 1e21 is no cap to the LP);
thresholds ``M0, N0 <= 2**53`` and a negative-binomial size ``r >= 1e-6`` (the reasons are at
:data:`MAX_THRESHOLD` and :data:`MIN_DISPERSION`); the seed's chains ``oM > cM > 0`` and
``oN > cN > 0``; caps above the lower bounds of the fees (``f0 >= lower + epsilon`` etc.); a pmf
table's probabilities summing to 1; the volumes obeying the seed's eqs. (15), (20), (21)
(``Q <= M``, ``P_i <= N``, ``Ns <= N``, ``S_j <= N``) in expectation at the base participation
means. Under price elasticity the volumes ``EQ, EP, ENs, ES`` are held fixed (the seed gives them
no fee dependence); only ``E[M]`` and ``E[N]`` move.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optmodels.contract import Objective, objective_table
from optmodels.errors import InstanceError
from optmodels.io import Finite, FiniteInt

#: The objectives of the family: the one definition the formulation, the evaluator, the pymoo
#: Problem, the reports and the CLI read. ``participation`` moves only with price-elastic
#: participation (without it every fee gives the same E[M] + E[N]).
OBJECTIVES = objective_table(
    Objective("profit", "max", "expected profit U", "per month"),
    Objective("patient_burden", "min", "patients' fee burden f + t", "per patient per month"),
    Objective("participation", "max", "expected participants E[M] + E[N]", "participants"),
)

ModelName = Literal["model1", "model2", "model3"]

#: Fields each variant needs beyond the common ones.
REQUIRED: dict[str, tuple[str, ...]] = {
    "model1": (),
    "model2": ("oM", "oN", "t0", "EQ", "EP"),
    "model3": ("oM", "oN", "t0", "EQ", "EP", "w", "theta", "g0", "ENs", "ES"),
}

#: Every number is finite (pydantic rejects NaN and +-inf) and below HiGHS's infinity (every float
#: field is :data:`~optmodels.io.Finite`): an infinite cost, reward or cap has no meaning in the
#: profit model, and a cap of 1e20 or more reads as none to the solver (the LP turned unbounded).
_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

#: Largest participant threshold ``M0``/``N0``: 2**53, the largest integer that float64 (in which
#: the stage probabilities ``P(M <= M0)`` and the reward ``R * M0`` are computed) still holds
#: exactly. Beyond it two thresholds are the same number to the model, and scipy's cdf cannot
#: take a Python integer beyond int64 at all.
MAX_THRESHOLD = 2**53

#: Smallest negative-binomial size ``r``. Below it the distribution is degenerate for any
#: plausible mean (``r <= 1e-6`` and ``lam <= 1e9`` put at least 99.99 % of the mass on zero
#: participants) and ``P(X > threshold) ~ r * log(lam / r)`` drifts towards the rounding error of
#: ``1 - cdf`` (it is exactly 0 in float64 from ``r ~ 1e-17`` on), so the fee would lose its effect
#: through rounding rather than through the data. A size that small is a mis-scaled fit.
MIN_DISPERSION = 1e-6

#: Tolerance for "probabilities sum to 1".
PMF_TOL = 1e-6

#: The most (f, e) pairs a fee lattice may have: enumeration works through them in blocks of
#: bounded memory at about 0.35 s of CPU per million pairs (see ``lattice.py``), so this is
#: ~7 s of work and a few tens of MB. Finer steps change the optimum by less than a step's worth of fee -- below any
#: meaningful money unit long before this -- so the bound is on the file, checked at validation,
#: before anything is allocated.
LATTICE_MAX_PAIRS = 20_000_000
#: The most pairs the lattice MILP takes: one column per pair (the aggregated products ``y``);
#: 12,600 pairs solve in about a second, the build alone grows to tens of seconds beyond this.
MILP_MAX_PAIRS = 200_000


class Participation(BaseModel):
    """The distribution of one side's participant count (M patients or N providers).

    ``poisson`` (the seed): mean ``lam``. ``negative_binomial``: mean ``lam`` and size
    ``dispersion`` r > 0 (variance ``lam + lam**2 / r``; r -> inf recovers Poisson); the mean is
    what the elasticity scales, r is held fixed. ``pmf``: an explicit table ``counts`` /
    ``probabilities`` (or a CSV with columns ``count, probability`` beside the instance file,
    ``table: pmf.csv``); its mean is the table's, so ``lam`` of that side must then be omitted
    (or agree), and price elasticity is not defined for it (a table has no mean to scale).
    """

    model_config = _CONFIG

    kind: Literal["poisson", "negative_binomial", "pmf"] = "poisson"
    dispersion: Finite | None = Field(
        None, ge=MIN_DISPERSION,
        description=f"negative-binomial size r, >= {MIN_DISPERSION:g} (smaller is numerically degenerate)",
    )
    counts: tuple[FiniteInt, ...] | None = None
    probabilities: tuple[Finite, ...] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Participation:
        if self.kind == "negative_binomial" and self.dispersion is None:
            raise ValueError("a negative_binomial distribution needs 'dispersion' (size r > 0)")
        if self.kind != "negative_binomial" and self.dispersion is not None:
            raise ValueError(f"'dispersion' is only for negative_binomial, not {self.kind}")
        if self.kind == "pmf":
            if self.counts is None or self.probabilities is None:
                raise ValueError("a pmf distribution needs 'counts' and 'probabilities' (or 'table')")
            if len(self.counts) != len(self.probabilities):
                raise ValueError(
                    f"'counts' has {len(self.counts)} entries but 'probabilities' has "
                    f"{len(self.probabilities)}"
                )
            if any(c < 0 for c in self.counts) or len(set(self.counts)) != len(self.counts):
                raise ValueError("'counts' must be distinct non-negative integers")
            if any(not (p >= 0) for p in self.probabilities):
                raise ValueError("'probabilities' must all be >= 0")
        elif self.counts is not None or self.probabilities is not None:
            raise ValueError(f"'counts'/'probabilities' are only for kind pmf, not {self.kind}")
        return self

    @property
    def table_mean(self) -> float:
        return float(np.dot(self.counts, self.probabilities))


class PricingInstance(BaseModel):
    """A fee-pricing instance (spec §2). Frozen and validated: if it exists, it is consistent."""

    model_config = _CONFIG

    family: Literal["pricing"] = "pricing"
    name: str = ""
    source: str = ""
    notes: dict[str, str] = Field(default_factory=dict, description="why each value is what it is")
    model: ModelName = "model1"

    lam_M: Finite | None = Field(None, gt=0, description="mean number of patients (base, at fee 0)")
    lam_N: Finite | None = Field(None, gt=0, description="mean number of HPs (base, at fee 0)")
    M0: int = Field(..., ge=0, le=MAX_THRESHOLD, description="patient threshold (<= 2**53, exact in float64)")
    N0: int = Field(..., ge=0, le=MAX_THRESHOLD, description="HP threshold (<= 2**53, exact in float64)")
    dist_M: Participation = Field(default_factory=Participation)
    dist_N: Participation = Field(default_factory=Participation)
    alpha_M: Finite = Field(0.0, ge=0, description="price elasticity of patients, lam_M(f)")
    alpha_N: Finite = Field(0.0, ge=0, description="price elasticity of HPs, lam_N(e)")

    cM: Finite = Field(..., description="online cost per patient")
    cN: Finite = Field(..., description="online cost per HP")
    oM: Finite | None = Field(None, description="offline cost per patient (Models 2-3)")
    oN: Finite | None = Field(None, description="offline cost per HP (Models 2-3)")
    w: Finite | None = Field(None, ge=0, description="sharing cost per HP (Model 3)")
    F: Finite = Field(..., ge=0, description="fixed monthly cost")
    R: Finite = Field(..., ge=0, description="reward per patient while M <= M0")
    theta: Finite | None = Field(None, ge=0, le=1, description="platform share of sharing fees")

    f0: Finite = Field(..., gt=0, description="cap on the patient fee f")
    e0: Finite = Field(..., gt=0, description="cap on the HP fee e")
    t0: Finite | None = Field(None, gt=0, description="cap on the offline deposit t")
    g0: Finite | None = Field(None, gt=0, description="cap on the sharing fee g")

    EQ: Finite | None = Field(None, ge=0, description="E[Q], patients choosing offline service")
    EP: Finite | None = Field(None, ge=0, description="E[P], HPs each such patient chooses")
    ENs: Finite | None = Field(None, ge=0, description="E[Ns], HPs that share data")
    ES: Finite | None = Field(None, ge=0, description="E[S], partners each sharing HP has")

    epsilon: Finite = Field(1e-6, gt=0, description="strict inequality x > a is x >= a + epsilon")
    lattice_step: Finite = Field(0.01, gt=0, description="fee lattice step when elastic")

    @model_validator(mode="after")
    def _cross_checks(self) -> PricingInstance:
        problems: list[str] = []
        for field in REQUIRED[self.model]:
            if getattr(self, field) is None:
                problems.append(f"field '{field}': required for {self.model}, found nothing")
        for side, lam, dist, alpha in (
            ("M", self.lam_M, self.dist_M, self.alpha_M),
            ("N", self.lam_N, self.dist_N, self.alpha_N),
        ):
            if dist.kind == "pmf":
                total = float(sum(dist.probabilities))
                if abs(total - 1.0) > PMF_TOL:
                    problems.append(
                        f"field 'dist_{side}.probabilities': expected probabilities summing to 1, "
                        f"found sum {total:.10g}"
                    )
                elif lam is not None and abs(lam - dist.table_mean) > 1e-6 * max(1.0, lam):
                    problems.append(
                        f"field 'lam_{side}': the pmf table of dist_{side} has mean "
                        f"{dist.table_mean:.10g}, found lam_{side} = {lam:.10g} (omit it or make them agree)"
                    )
                if alpha > 0:
                    problems.append(
                        f"field 'alpha_{side}': price elasticity needs a Poisson or negative-binomial "
                        f"dist_{side} (a pmf table has no mean to scale), found alpha_{side} = {alpha}"
                    )
            elif lam is None:
                problems.append(
                    f"field 'lam_{side}': required for a {dist.kind} dist_{side}, found nothing"
                )
        # The seed's parameter chains (eq. 4/14): oM > cM > 0 and oN > cN > 0.
        for unit, offline, side in (("cM", "oM", "patient"), ("cN", "oN", "HP")):
            c = getattr(self, unit)
            if not c > 0:
                problems.append(f"field '{unit}': expected {unit} > 0 (the {side} online cost), found {c}")
            o = getattr(self, offline)
            if o is not None and not o > c:
                problems.append(
                    f"field '{offline}': expected {offline} > {unit} (seed chain {offline} > {unit} > 0), "
                    f"found {offline} = {o}, {unit} = {c}"
                )
        # Caps above the lower bounds of the fees.
        lower = self.lower_bounds()
        caps = self.upper_bounds()
        for fee, lo in lower.items():
            cap = caps[fee]
            if cap is not None and lo is not None and not cap >= lo:
                problems.append(
                    f"field '{fee}0': expected the cap {fee}0 >= {self.lower_reason(fee)} = {lo:.10g}, "
                    f"found {fee}0 = {cap}"
                )
        # Seed eqs. (15), (20), (21) in expectation, at the base means.
        em, en = self.base_mean("M"), self.base_mean("N")
        checks = (("EQ", em, "E[M]", "Q <= M, eq. 15"), ("EP", en, "E[N]", "P_i <= N, eq. 15"),
                  ("ENs", en, "E[N]", "Ns <= N, eq. 21"), ("ES", en, "E[N]", "S_j <= N, eq. 21"))
        for field, bound, label, why in checks:
            value = getattr(self, field)
            if value is not None and bound is not None and value > bound + 1e-9:
                problems.append(
                    f"field '{field}': expected {field} <= {label} = {bound:.10g} ({why}), found {value}"
                )
        if self.elastic and not problems and self.lattice_pairs() > LATTICE_MAX_PAIRS:
            try:
                self.check_lattice()
            except InstanceError as err:
                problems.append(str(err))
        if problems:
            if len(problems) == 1:
                raise InstanceError(problems[0])
            raise InstanceError(problems=problems)
        return self

    # -- derived ------------------------------------------------------------------------------
    @property
    def variant(self) -> int:
        return int(self.model[-1])

    @property
    def fees(self) -> tuple[str, ...]:
        """The decision variables of the variant."""
        return {1: ("f", "e"), 2: ("f", "e", "t"), 3: ("f", "e", "t", "g")}[self.variant]

    @property
    def elastic(self) -> bool:
        return self.alpha_M > 0 or self.alpha_N > 0

    def base_mean(self, side: str) -> float | None:
        dist = self.dist_M if side == "M" else self.dist_N
        if dist.kind == "pmf":
            return dist.table_mean if dist.probabilities is not None else None
        return self.lam_M if side == "M" else self.lam_N

    def lower_bounds(self) -> dict[str, float]:
        """Lower bounds of the fees: the strict inequalities of eqs. (10), (14), (19) plus epsilon.

        Model 1: f > cM, e > cN. Models 2 and 3: f > oM, e > oN (the seed's eq. 19 writes f > cM
        for Model 3, but Model 3 contains Model 2's offline service and its costs, so the bound
        stays oM -- spec §2). t > 0 and g > 0.
        """
        eps = self.epsilon
        if self.variant == 1:
            out = {"f": self.cM + eps, "e": self.cN + eps}
        else:
            out = {
                "f": (self.oM if self.oM is not None else self.cM) + eps,
                "e": (self.oN if self.oN is not None else self.cN) + eps,
            }
        out["t"] = eps
        out["g"] = eps
        return {k: v for k, v in out.items() if k in self.fees}

    def lower_reason(self, fee: str) -> str:
        if fee == "f":
            return "cM + epsilon" if self.variant == 1 else "oM + epsilon"
        if fee == "e":
            return "cN + epsilon" if self.variant == 1 else "oN + epsilon"
        return "epsilon"

    def upper_bounds(self) -> dict[str, float | None]:
        caps = {"f": self.f0, "e": self.e0, "t": self.t0, "g": self.g0}
        return {k: caps[k] for k in self.fees}

    def lattice_levels(self, fee: str, step: float | None = None) -> int:
        """How many levels :func:`~optmodels.pricing.evaluate.fee_lattice` gives ``fee``, counted
        without building them (so a tiny step is refused before memory is spent)."""
        step = self.lattice_step if step is None else step
        lo, hi = self.lower_bounds()[fee], self.upper_bounds()[fee]
        k0, k1 = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        if k1 - k0 > 2**60:
            return 2**60
        return max(k1 - k0 + 1, 0) + (abs(k1 * step - hi) > 1e-9)

    def lattice_pairs(self, step: float | None = None) -> int:
        """The number of (f, e) pairs of the fee lattice (an upper bound, exact up to one level)."""
        return self.lattice_levels("f", step) * self.lattice_levels("e", step)

    def check_lattice(self, step: float | None = None, *, limit: int = LATTICE_MAX_PAIRS,
                      what: str = "the fee lattice") -> None:
        """Raise if the lattice at ``step`` has more than ``limit`` pairs, naming its size and the
        smallest step that fits (pairs ~ (range_f / step) (range_e / step))."""
        pairs = self.lattice_pairs(step)
        if pairs <= limit:
            return
        used = self.lattice_step if step is None else step
        lo, hi = self.lower_bounds(), self.upper_bounds()
        span = (hi["f"] - lo["f"] + used) * (hi["e"] - lo["e"] + used)
        smallest = math.sqrt(span / limit)
        digit = 10.0 ** (math.floor(math.log10(smallest)) - 1)
        smallest = math.ceil(smallest / digit) * digit  # rounded up to two digits: it fits
        message = (f"step {used:g} gives {self.lattice_levels('f', step):,} levels of f x "
                   f"{self.lattice_levels('e', step):,} of e = {float(pairs):.3g} fee pairs; {what} takes at "
                   f"most {limit:,} (a step of at least {smallest:.2g})")
        from optmodels.errors import bad_choice

        if step is None:
            raise InstanceError(message, field="lattice_step")
        raise bad_choice("lattice_step", step, message)

    def with_model(self, model: str) -> PricingInstance:
        """The same parameters read as another variant (validated again)."""
        data = self.model_dump()
        data["model"] = model
        return from_dict(data)


def _validate(data: dict[str, Any], file: str | Path | None) -> PricingInstance:
    """Pydantic validation (:func:`optmodels.io.validate`: a cross-field InstanceError raised in
    the validator is passed on with the file)."""
    from optmodels.io import validate

    return validate(PricingInstance, data, file=file)


def _read_pmf_tables(data: dict[str, Any], base: Path | None, file: str | Path | None) -> dict[str, Any]:
    """Replace ``dist_X: {kind: pmf, table: pmf.csv}`` by inline counts/probabilities."""
    from optmodels.io import finite_numbers, read_table

    data = dict(data)
    for side in ("dist_M", "dist_N"):
        dist = data.get(side)
        if isinstance(dist, dict) and "table" in dist:
            dist = dict(dist)
            ref = dist.pop("table")
            frame = read_table(ref, base, file=file, field=f"{side}.table")
            shown = f"{file} -> {ref}" if file is not None and isinstance(ref, str) else file
            missing = {"count", "probability"} - set(frame.columns)
            if missing:
                raise InstanceError(
                    file=file, field=f"{side}.table",
                    expected="columns 'count' and 'probability'", found=list(frame.columns),
                )
            counts = finite_numbers(frame["count"], file=shown, field=f"{side}.table.count", minimum=0)
            probs = finite_numbers(frame["probability"], file=shown, field=f"{side}.table.probability", minimum=0)
            if (bad := np.flatnonzero(np.mod(counts, 1) != 0)).size:
                raise InstanceError(file=shown, field=f"{side}.table.count row {bad[0] + 1}",
                                    expected="a whole number", found=frame["count"].iloc[bad[0]])
            dist["counts"] = [int(c) for c in counts]
            dist["probabilities"] = [float(p) for p in probs]
            data[side] = dist
    return data


def from_dict(data: dict[str, Any], *, file: str | Path | None = None,
              base: Path | None = None) -> PricingInstance:
    """Validate a dict (as read from a file) into a :class:`PricingInstance`."""
    data = _read_pmf_tables(dict(data), base, file)
    return _validate(data, file)


def from_file(path: str | Path) -> PricingInstance:
    """Read and validate an instance file (JSON, YAML or TOML)."""
    from optmodels.io import read_document

    path = Path(path)
    data = read_document(path)
    return from_dict(data, file=path, base=path.parent)
