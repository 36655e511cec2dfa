"""Kwant builders for the devices of Xu et al., PRB 108, 144409 (2023).

Only this module and the adapters in :mod:`kwant_llg.greens` import Kwant.
"""

import numpy as np
import kwant

from ._common import SIGMA, SIGMA_0

__all__ = ["skyrmion_device", "seed_params", "exchange_onsite"]


def exchange_onsite(m_vec, J):
    """Onsite exchange J σ·m (2×2), the seed's convention (see docs/conventions.md)."""
    return J * np.tensordot(m_vec, SIGMA, axes=1)


def seed_params(**overrides):
    """Default parameters of :func:`skyrmion_device` (Sec. V): t = 1, J = 2, no gate voltage.

    The magnetisation ``m`` is not included: give it to the kwant_llg call
    (or wrap an array with :func:`kwant_llg.site_field` for Kwant's own solvers).
    """
    params = dict(t=1.0, J=2.0, V1=0.0, V2=0.0)
    params.update(overrides)
    return params


# Value functions at module level, so that the finalized system can be pickled (checkpoints
# of runs whose state holds the Kwant system).
def _onsite(site, t, J, m):
    return 4 * t * SIGMA_0 + exchange_onsite(m(site), J)


def _onsite_gate1(site, t, J, m, V1):
    return (4 * t + V1) * SIGMA_0 + exchange_onsite(m(site), J)


def _onsite_gate2(site, t, J, m, V2):
    return (4 * t + V2) * SIGMA_0 + exchange_onsite(m(site), J)


def _hopping(site1, site2, t):
    return -t * SIGMA_0


def _lead_onsite(site, t):
    return 4 * t * SIGMA_0


class _MagneticLeadOnsite:
    """Onsite 4t σ0 + J σ·m_lead of a lead magnetised along a fixed direction."""

    def __init__(self, direction):
        m = np.asarray(direction, dtype=float)
        if m.shape != (3,) or not np.all(np.isfinite(m)) or not np.linalg.norm(m) > 0:
            raise ValueError(f"lead_magnetization must be a nonzero 3-vector, got {direction!r}.")
        self.m = m / np.linalg.norm(m)

    def __call__(self, site, t, J):
        return 4 * t * SIGMA_0 + exchange_onsite(self.m, J)


def skyrmion_device(L=40, W=40, *, gates=(0, 4), lead_magnetization=None):
    """The seed's two-terminal device (Sec. V, Fig. 2) as an unfinalized Kwant builder.

    An L×W square lattice (lattice constant a = 1, sites at x = 0…L−1, y = 0…W−1), two
    orbitals per site ordered (up, down), with

    * onsite ``(4t + V(x)) σ0 + J σ·m_i``, where ``m_i = m(site)`` is the local
      magnetisation (a callable from ``params["m"]``) and V(x) = V1 on column
      ``x = gates[0]``, V2 on column ``x = gates[1]``, zero elsewhere;
    * nearest-neighbour hopping ``−t σ0``;
    * two metallic leads along x (onsite 4t σ0, hopping −t σ0): lead 0 on the left
      (x < 0), lead 1 on the right (x ≥ L).

    Parameters
    ----------
    L, W : int
        Length (along the transport direction x) and width.
    gates : pair of int or None
        0-based column indices of the two pumping gates. The default ``(0, 4)`` is the
        paper's l1 = 1, l2 = 5 ("first and fifth column layers", counted from 1).
        ``None``: no gates (then ``V1``, ``V2`` are not parameters).
    lead_magnetization : array_like (3,), optional
        If given, the leads are ferromagnetic with onsite 4t σ0 + J σ·m_lead.

    Returns
    -------
    kwant.Builder
        Value-function parameters: ``t, J, m, V1, V2`` (see :func:`seed_params`).
    """
    L, W = int(L), int(W)
    if L < 1 or W < 1:
        raise ValueError(f"L and W must be positive, got L={L}, W={W}.")
    g1, g2 = (-1, -1) if gates is None else (int(g) for g in gates)
    for g in () if gates is None else (g1, g2):
        if not 0 <= g < L:
            raise ValueError(f"Gate column {g} is outside the device (0 <= x < {L}).")
    lat = kwant.lattice.square(a=1, norbs=2)

    syst = kwant.Builder()
    for x in range(L):
        value = _onsite_gate1 if x == g1 else _onsite_gate2 if x == g2 else _onsite
        for y in range(W):
            syst[lat(x, y)] = value
    syst[lat.neighbors()] = _hopping

    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    if lead_magnetization is None:
        lead_onsite = _lead_onsite
    else:
        lead_onsite = _MagneticLeadOnsite(lead_magnetization)
    lead[(lat(0, y) for y in range(W))] = lead_onsite
    lead[lat.neighbors()] = _hopping
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def site_positions(fsyst):
    """Positions of the sites of a finalized system, shape (num_sites, dim)."""
    return np.array([s.pos for s in fsyst.sites], dtype=float)
