"""optmodels: optimisation models for healthcare resource planning, on Pyomo and HiGHS."""

__version__ = "0.1.0"
