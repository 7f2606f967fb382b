"""Analysis shared by the families: Gini coefficient and Lorenz curves, M/M/c queues."""

from optmodels.analysis.gini import (
    gini,
    gini_band,
    gini_lorenz_fit,
    gini_pairwise,
    gini_trapezoid,
    lorenz_curve,
)
from optmodels.analysis.queueing import MMC, mmc, optimal_servers

__all__ = [
    "MMC",
    "gini",
    "gini_band",
    "gini_lorenz_fit",
    "gini_pairwise",
    "gini_trapezoid",
    "lorenz_curve",
    "mmc",
    "optimal_servers",
]
