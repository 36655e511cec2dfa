r"""Brataas–Tserkovnyak–Bauer scattering-matrix Gilbert damping, Eq. (D1) of Xu et al.

    α^BTB_ij = (1/4π) Re Tr[∂S/∂m_i (∂S/∂m_j)^†]                                   (D1)

(Brataas, Tserkovnyak, Bauer, PRL 101, 037207 (2008); the paper's Eq. (D1) writes
∂S/∂m_j without the dagger, which is not real or positive for a general S; the original
formula has S^†.) S is the scattering matrix of all leads at the Fermi energy and ∂/∂m_i a
uniform rotation of the magnetisation of ``sites``.

Two evaluations:

* ``method="analytic"``: Fisher–Lee S = −1 + i W^† G^r W with ∂G^r/∂m_i = G^r X_i G^r
  (X_i = ∂H/∂m_i from the exchange), i.e. ∂S/∂m_i = i W^† G^r X_i G^r W.
* ``method="finite_difference"``: central differences of Kwant's own ``kwant.smatrix``
  with the magnetisation rotated, m ± h e_i, renormalised per site (the tangent of the
  unit sphere; the component along m gives ∂S·m which is the radial derivative and is also
  reported, as Kwant does not care about |m|).

Relation to Eq. (19) (docs/theory.md): at zero temperature and no bias the symmetric part of
:func:`kwant_llg.coefficients.gilbert_damping` equals α^BTB / 2 = (1/8π) Tr[X_i A X_j A],
A = i(G^r − G^a). α^BTB itself is the damping of the macrospin of :mod:`kwant_llg.macrospin`
(γ = 1, unit angular momentum): the exact response (Eq. 30) gives 2 × Eq. (19).

Public API
----------
btb_damping(greens, m, energy, *, sites=None, method="analytic", step=1e-5,
            onsite_values=None) -> ndarray (3, 3)
smatrix_derivatives(greens, m, energy, *, sites=None, onsite_values=None) -> list of 3 arrays
"""

import numpy as np
import kwant

from ._common import KwantLLGError
from .coefficients import exchange_operators, _site_array

__all__ = ["btb_damping", "smatrix_derivatives"]


def smatrix_derivatives(greens, m, energy, *, sites=None, onsite_values=None):
    r"""∂S/∂m_i = i W^† G^r X_i G^r W (all leads, W of :meth:`FrozenGreens.lead_data`)."""
    energy = float(energy)
    if not np.isfinite(energy):
        raise KwantLLGError(f"energy must be finite, got {energy!r}.")
    gf = greens.factorize(energy, m, onsite_values=onsite_values)
    norb = gf.num_orbitals
    cols = []
    for (_, w, _), orbs in zip(gf.lead_data, gf.lead_orbitals):
        rhs = np.zeros((norb, w.shape[1]), dtype=complex)
        rhs[orbs] = w
        cols.append(rhs)
    wfull = np.hstack(cols)
    if wfull.shape[1] == 0:
        raise KwantLLGError(f"No propagating modes at E = {energy}: S is empty there.")
    psi = gf.solve(wfull)                       # G^r W
    xs = exchange_operators(greens, sites)
    out = []
    for x in xs:
        y = gf.solve(x @ psi)                   # G^r X G^r W
        out.append(1j * wfull.conj().T @ y)
    return out


def _btb(ds):
    return np.array([[np.trace(a @ b.conj().T).real for b in ds] for a in ds]) / (4 * np.pi)


def btb_damping(greens, m, energy, *, sites=None, method="analytic", step=1e-5,
                onsite_values=None):
    r"""Gilbert damping (1/4π) Re Tr[∂_i S ∂_j S^†] of Eq. (D1), 3×3.

    Parameters
    ----------
    greens : FrozenGreens
    m : array_like (num_sites, 3) or callable
    energy : float
        Fermi energy.
    sites : sequence of int, optional
        Sites rotated together (default all).
    method : {"analytic", "finite_difference"}
        Fisher–Lee with ∂G = G X G, or central differences of ``kwant.smatrix``.
    step : float
        Finite-difference step of m (finite_difference only).
    """
    if method == "analytic":
        return _btb(smatrix_derivatives(greens, m, energy, sites=sites,
                                        onsite_values=onsite_values))
    if method != "finite_difference":
        raise KwantLLGError(f"Unknown method {method!r}; use 'analytic' or 'finite_difference'.")
    if onsite_values:
        raise KwantLLGError("finite_difference uses kwant.smatrix with greens.params; pass the "
                            "onsite values in the params of the FrozenGreens instead.")
    m = greens.magnetization_array(m)
    sites = _site_array(greens, sites)
    fsyst = greens.fsyst
    index = {s: i for i, s in enumerate(fsyst.sites)}

    def smat(marr):
        field = lambda site: marr[index[site]]      # noqa: E731
        params = dict(greens.params, **{greens.magnetization: field})
        return kwant.smatrix(fsyst, float(energy), params=params).data

    ds = []
    for i in range(3):
        plus, minus = m.copy(), m.copy()
        plus[sites, i] += step
        minus[sites, i] -= step
        ds.append((smat(plus) - smat(minus)) / (2 * step))
    return _btb(ds)
