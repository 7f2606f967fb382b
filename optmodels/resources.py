"""How much memory this process may still use, and the guard that asks before a big allocation.

A siting model at population-grid scale, built densely, needs tens of gigabytes; the OS then
kills the process and the analyst gets nothing, not even a message. So the suite *estimates*
what a step needs before taking it, and compares that with what the process may still use:

- the memory the kernel reports available (``MemAvailable`` in ``/proc/meminfo``);
- the cgroup's limit less its usage (containers, batch schedulers: ``memory.max`` /
  ``memory.current`` in cgroup v2, ``memory.limit_in_bytes`` / ``usage_in_bytes`` in v1);
- the address-space limit (``ulimit -v``, ``RLIMIT_AS``) less the address space in use.

The smallest wins. :func:`check_memory` raises :class:`MemoryLimitError` -- a
:class:`~optmodels.errors.UsageError`, so the CLI exits 2 -- naming the step, the estimate, what
is available and what to change (a cut-off, a radius, a scheduler). Only a fraction
(:data:`HEADROOM`) of what is available is promised to one step: estimates are estimates, and
the step's transient copies are not all counted.

On a platform without these files the guard knows nothing and lets the step run.
"""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path

from optmodels.errors import UsageError

#: the share of the available memory one estimated step may claim
HEADROOM = 0.8


class MemoryLimitError(UsageError):
    """A step would need more memory than this process may use (see the module docstring)."""

    def __init__(self, what: str, needed: int, available: int, advice: str = "") -> None:
        self.what, self.needed, self.available, self.advice = what, needed, available, advice
        text = (
            f"not enough memory for {what}: it needs about {_gib(needed)}, "
            f"and this process may use about {_gib(available)} more"
        )
        if advice:
            text += f"; {advice}"
        super().__init__(text)


def _gib(n: float) -> str:
    """A byte count as a person reads it (GiB above a quarter GiB, MiB above a quarter MiB)."""
    if n >= 2**28:
        return f"{n / 2**30:.1f} GiB"
    if n >= 2**18:
        return f"{n / 2**20:.1f} MiB"
    return f"{n / 2**10:.1f} KiB"


def _meminfo_available() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def _cgroup_available() -> int | None:
    base = Path("/sys/fs/cgroup")
    pairs = ((base / "memory.max", base / "memory.current"),
             (base / "memory" / "memory.limit_in_bytes", base / "memory" / "memory.usage_in_bytes"))
    for limit_file, usage_file in pairs:
        with contextlib.suppress(OSError, ValueError):
            limit = limit_file.read_text().strip()
            if limit == "max":
                return None
            value = int(limit)
            if value >= 2**60:  # v1's "no limit" is a huge number
                return None
            return max(0, value - int(usage_file.read_text().strip()))
    return None


def _address_space_available() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    used = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                used = int(line.split()[1]) * 1024
    return max(0, soft - used)


def available_memory() -> int | None:
    """Bytes this process may still allocate (the smallest of the limits above), or ``None``
    when nothing is known."""
    found = [v for v in (_meminfo_available(), _cgroup_available(), _address_space_available()) if v is not None]
    override = os.environ.get("OPTMODELS_MEMORY_LIMIT")
    if override:  # a user's own cap, e.g. to leave room for other jobs on a shared machine
        with contextlib.suppress(ValueError):
            found.append(int(float(override)))
    return min(found) if found else None


def fits(needed: int) -> bool:
    """Whether a step estimated at ``needed`` bytes fits (see :func:`check_memory`)."""
    available = available_memory()
    return available is None or needed <= HEADROOM * available


def check_memory(needed: int, *, what: str, advice: str = "") -> None:
    """Raise :class:`MemoryLimitError` when ``needed`` bytes exceed :data:`HEADROOM` of what the
    process may still use."""
    available = available_memory()
    if available is not None and needed > HEADROOM * available:
        raise MemoryLimitError(what, int(needed), int(available), advice)
