"""First-order (adiabatic) correction to the frozen density matrix for a slowly varying H(t).

For a Hamiltonian that changes slowly in time, the lesser Green's function is expanded in
the time derivative Ḣ (Xu et al., PRB 108, 144409 (2023), Apps. A and C; Eq. (15) is the
case Ḣ = σ·ḃ/2). This module holds that expansion for onsite (block-diagonal) Ḣ given as
2×2 blocks on a set of sites.

Fermi-surface term (zero temperature, energy E_F):

    ρ_FS^(1) = (1/2π) G^r(E_F) Ḣ G^a(E_F).

It is Hermitian and positive for Ḣ > 0: a level that is pushed up is emptied with a lag,
so its occupation exceeds the instantaneous equilibrium one.
"""

import numpy as np

from ._common import KwantLLGError, SIGMA, check_finite

__all__ = ["fermi_surface_density", "density_blocks_to_spin"]


def _check_hdot(hdot, sites, num_sites):
    hdot = np.asarray(hdot, dtype=complex)
    sites = np.asarray(sites, dtype=int).ravel()
    if hdot.shape != (len(sites), 2, 2):
        raise KwantLLGError(f"hdot must have shape (len(sites), 2, 2) = ({len(sites)}, 2, 2), "
                            f"got {hdot.shape}.")
    if sites.size and (sites.min() < 0 or sites.max() >= num_sites):
        raise KwantLLGError(f"sites must be site indices in [0, {num_sites}).")
    if np.abs(hdot - hdot.conj().transpose(0, 2, 1)).max(initial=0) > 1e-12:
        raise KwantLLGError("hdot must be Hermitian 2×2 blocks (Ḣ of a Hermitian H(t)).")
    return hdot, sites


def fermi_surface_density(gf, hdot, sites, *, columns=None):
    """Onsite blocks of the Fermi-surface density ρ_FS^(1) = (1/2π) G^r Ḣ G^a (Apps. A, C).

    Parameters
    ----------
    gf : kwant_llg.GreensFunction
        G^r at the (real) Fermi energy, from :meth:`FrozenGreens.factorize`.
    hdot : array_like, shape (len(sites), 2, 2)
        Onsite blocks of Ḣ = dH/dt on ``sites`` (e.g. dV_p/dt σ0 on the gate columns).
    sites : array_like of int
        Site indices (rows of ``fsyst.sites``) where Ḣ is nonzero.
    columns : ndarray, optional
        G^r[:, orbitals of sites] if already computed (reused, e.g. for Eq. 40).

    Returns
    -------
    ndarray, shape (num_sites, 2, 2)
        ρ_ii^(1), Hermitian; the spin density is Tr[σ ρ_ii] (see :func:`density_blocks_to_spin`).
    """
    n_sites = gf.num_orbitals // 2
    hdot, sites = _check_hdot(hdot, sites, n_sites)
    if columns is None:
        orbs = (2 * sites[:, None] + np.arange(2)).ravel()
        columns = gf.columns(orbs)
    c = np.asarray(columns).reshape(n_sites, 2, len(sites), 2)
    rho = np.einsum("iagb,gbc,idgc->iad", c, hdot, c.conj(), optimize=True) / (2 * np.pi)
    return check_finite(rho, "Fermi-surface density")


def density_blocks_to_spin(rho):
    """Spin density ⟨σ⟩_i = Tr[σ ρ_ii] and charge Tr ρ_ii from onsite blocks (num_sites, 2, 2)."""
    rho = np.asarray(rho)
    spin = np.einsum("axy,iyx->ia", SIGMA, rho).real
    charge = np.einsum("ixx->i", rho).real
    return spin, charge
