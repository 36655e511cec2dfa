"""Recursive Green's function (RGF) for block-tridiagonal systems.

Used for the diagonal blocks of G^r(z) = A^{-1}, A = z − H − Σ, which Fermi-sea integrals
need at every contour point: a sparse LU would need one solve per orbital, RGF costs a few
dense operations per slice.

The slicing is generic: sites are layered by their graph distance from the interface of
lead 0 (breadth-first), so hoppings connect only equal or neighbouring layers; all layers
from the first one that touches another lead's interface to the end are merged into one,
so every lead self-energy lives inside a single slice (the first or the last).
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["layer_sites", "BlockTridiagonalPattern", "rgf_diagonal"]


def layer_sites(num_sites, site_rows, site_cols, lead_interfaces, *, max_slice=None):
    """Partition sites into slices making A block tridiagonal, or return None.

    Parameters
    ----------
    num_sites : int
    site_rows, site_cols : int arrays
        Site indices of the nonzero couplings of H.
    lead_interfaces : list of int arrays
    max_slice : int, optional
        Give up (return None) if a slice would have more sites than this.

    Returns
    -------
    list of int arrays (site indices per slice), or None if the system cannot be sliced
    usefully (disconnected parts, or a slice larger than ``max_slice``).
    """
    graph = sp.coo_matrix((np.ones(len(site_rows)), (site_rows, site_cols)),
                          shape=(num_sites, num_sites)).tocsr()
    sources = np.asarray(lead_interfaces[0]) if lead_interfaces else np.array([0])
    dist = csgraph.dijkstra(graph, directed=False, indices=sources, unweighted=True,
                            min_only=True)
    if not np.all(np.isfinite(dist)):
        return None
    dist = dist.astype(int)
    last = dist.max()
    for iface in lead_interfaces[1:]:
        last = min(last, dist[np.asarray(iface)].min())
    if last == 0 and len(lead_interfaces) > 1:
        return None
    dist = np.minimum(dist, last)
    slices = [np.flatnonzero(dist == d) for d in range(last + 1)]
    if max_slice is not None and max(len(s) for s in slices) > max_slice:
        return None
    return slices


class BlockTridiagonalPattern:
    """Maps the entries of a fixed sparse pattern into dense block-tridiagonal storage.

    Parameters
    ----------
    rows, cols : int arrays
        Orbital indices of the pattern (2 orbitals per site).
    slices : list of int arrays
        Site indices per slice (from :func:`layer_sites`).
    """

    def __init__(self, rows, cols, slices, norbs=2):
        self.sizes = [norbs * len(s) for s in slices]
        n_sites = sum(len(s) for s in slices)
        slice_of_site = np.empty(n_sites, dtype=int)
        local = np.empty(norbs * n_sites, dtype=int)
        for k, sites in enumerate(slices):
            slice_of_site[sites] = k
            orbs = (norbs * sites[:, None] + np.arange(norbs)).ravel()
            local[orbs] = np.arange(len(orbs))
        kr, kc = slice_of_site[rows // norbs], slice_of_site[cols // norbs]
        if np.any(np.abs(kr - kc) > 1):
            raise ValueError("pattern is not block tridiagonal in the given slices")
        # flat storage: [D_0, ..., D_K, U_0, ..., U_{K-1}, L_1, ..., L_K]
        sizes = np.array(self.sizes)
        d_off = np.concatenate([[0], np.cumsum(sizes ** 2)])
        u_off = d_off[-1] + np.concatenate([[0], np.cumsum(sizes[:-1] * sizes[1:])])
        l_off = u_off[-1] + np.concatenate([[0], np.cumsum(sizes[1:] * sizes[:-1])])
        self.size = int(l_off[-1])
        lr, lc = local[rows], local[cols]
        flat = np.empty(len(rows), dtype=np.int64)
        diag, up, down = kr == kc, kc == kr + 1, kc == kr - 1
        flat[diag] = d_off[kr[diag]] + lr[diag] * sizes[kr[diag]] + lc[diag]
        flat[up] = u_off[kr[up]] + lr[up] * sizes[kr[up] + 1] + lc[up]
        flat[down] = l_off[kc[down]] + lr[down] * sizes[kc[down]] + lc[down]
        self.flat = flat
        self._d_off, self._u_off, self._l_off = d_off, u_off, l_off
        self.slices = slices

    def blocks(self, data):
        """Split pattern values into (diagonal, upper, lower) lists of dense blocks."""
        buf = np.zeros(self.size, dtype=complex)
        buf[self.flat] = data
        s = self.sizes
        diag = [buf[self._d_off[k]:self._d_off[k + 1]].reshape(s[k], s[k]) for k in range(len(s))]
        upper = [buf[self._u_off[k]:self._u_off[k + 1]].reshape(s[k], s[k + 1])
                 for k in range(len(s) - 1)]
        lower = [buf[self._l_off[k]:self._l_off[k + 1]].reshape(s[k + 1], s[k])
                 for k in range(len(s) - 1)]
        return diag, upper, lower


def rgf_diagonal(diag, upper, lower):
    """Diagonal blocks of A^{-1} for block-tridiagonal A (left sweep, then back substitution).

    g_0 = D_0^{-1},  g_k = (D_k − L_k g_{k−1} U_{k−1})^{-1};
    G_KK = g_K,      G_kk = g_k + g_k U_k G_{k+1,k+1} L_k g_k,
    with D_k = A_kk, U_k = A_{k,k+1}, L_k = A_{k+1,k}.
    """
    n = len(diag)
    left = [np.linalg.inv(diag[0])]
    for k in range(1, n):
        left.append(np.linalg.inv(diag[k] - lower[k - 1] @ left[k - 1] @ upper[k - 1]))
    out = [None] * n
    out[-1] = left[-1]
    for k in range(n - 2, -1, -1):
        gu = left[k] @ upper[k]
        out[k] = left[k] + gu @ out[k + 1] @ (lower[k] @ left[k])
    return out
