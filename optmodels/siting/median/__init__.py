"""The p-median: the radius formulation with row generation, its Lagrangian bound and
reductions, and the vertex-substitution local search."""
