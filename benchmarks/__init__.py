"""Benchmarks that time HiGHS on scaled instances of every family, and the suite around it.

Run ``python -m benchmarks --profile quick|standard|full`` (or ``optmodels bench ...``); see
``benchmarks/README.md``. Families are reached only through :mod:`optmodels.registry`.
"""

from __future__ import annotations
