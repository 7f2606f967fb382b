r"""Exact reductions of the coverage models: sites another site does at least as well.

**Dominated sites.** With ``R(j)`` the groups site ``j`` covers, ``j`` is *dominated* by ``k``
when ``R(j) \subseteq R(k)`` and ``c_k <= c_j`` (``c``: the cost that counts -- the objective of
the LSCP, the budget of an MCLP; all zero when only ``p`` counts). Then in any plan that opens
``j``:

* LSCP: opening ``k`` instead covers every group ``j`` covered and costs no more;
* MCLP with ``p`` and/or a budget: if ``k`` is closed, swap ``j`` for ``k`` (coverage cannot
  drop, cost cannot rise); if ``k`` is open too, ``j`` adds nothing and closing it (opening any
  other site if ``p`` must be met) loses nothing.

So some optimal plan opens no dominated site, and they are closed before the MILP. Sites with
equal ``R`` and cost dominate each other: the lowest index is kept. Chains are fine: a site
dominated by a dominated site is dominated by that one's dominator too. (Backup coverage counts
*how many* open sites cover a group, so there two sites are not interchangeable and nothing is
closed.)

``R(j) \subseteq R(k)`` is read off ``A^T A`` (sites x sites, ``|R(j) \cap R(k)|``), computed
in column blocks; sites share groups only within two radii of each other, so it is sparse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: sites per block of ``A^T A`` (bounds its transient memory)
BLOCK = 1024


def dominated_sites(A: sp.csr_matrix, cost: np.ndarray, *, tol: float = 1e-12) -> np.ndarray:
    """Bool per column of ``A`` (groups x sites): dominated by another column (module docstring)."""
    A = A.tocsc().astype(np.int32)
    degree = np.diff(A.indptr)
    m = A.shape[1]
    out = np.zeros(m, bool)
    AT = A.T.tocsr()
    for start in range(0, m, BLOCK):
        cols = np.arange(start, min(start + BLOCK, m))
        overlap = (AT[cols] @ A).tocoo()  # (j in block, k): |R(j) & R(k)|
        j = cols[overlap.row]
        k = overlap.col
        contained = (overlap.data == degree[j]) & (j != k) & (degree[j] > 0)
        cheaper = cost[k] < cost[j] - tol
        same_cost = np.abs(cost[k] - cost[j]) <= tol
        # equal cover sets at equal cost: keep the lowest index; a strictly larger set at no
        # more cost, or an equal set strictly cheaper, dominates outright
        larger = degree[k] > degree[j]
        dom = contained & (cheaper | (same_cost & (larger | (k < j))))
        out[np.unique(j[dom])] = True
    out[degree == 0] = True  # a site covering nothing left to cover helps no plan
    return out
