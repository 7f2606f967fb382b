"""Facility siting and accessibility (seeds 000 and 001): where to open clinics so that people
can reach care -- coverage, distance, cost and equity.

Location models: :mod:`optmodels.siting.formulation`; accessibility (2SFCA family):
:mod:`optmodels.siting.access`; equity models: :mod:`optmodels.siting.equity`.
"""

from optmodels.siting.instance import SitingInstance, load

__all__ = ["SitingInstance", "load"]
