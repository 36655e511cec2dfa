"""First-order (adiabatic) correction to the frozen density matrix for a slowly varying H(t).

For a Hamiltonian that changes slowly in time, the lesser Green's function is expanded in
the time derivative Ḣ (Xu et al., PRB 108, 144409 (2023), Apps. A and C; Eq. (15) is the
case Ḣ = σ·ḃ/2). This module holds that expansion for onsite (block-diagonal) Ḣ given as
2×2 blocks on a set of sites. The derivation is in docs/theory.md ("Adiabatic first-order
density"): with the leads in equilibrium at f(E) (chemical potential μ, temperature kT),

    ρ^(1) = ∫ dE (−∂f/∂E) (1/2π) G^r Ḣ G^a  −  (1/2π) ∫ dE f [∂_E G^r Ḣ G^r + h.c.],

a Fermi-surface term and a Fermi-sea term that contains retarded functions only
(∂_E G^r = −G^r (1 − ∂_E Σ^r) G^r; −G^r G^r in the wide-band limit). At kT = 0 the first is
(1/2π) G^r(μ) Ḣ G^a(μ). It is Hermitian and positive for Ḣ > 0: a level that is pushed up
is emptied with a lag, so its occupation exceeds the instantaneous equilibrium one.

Units: ρ^(1) is the first-order density matrix per unit of time derivative, in the units
ħ = 1 of docs/conventions.md (Ḣ in energy per time); spins are ⟨σ⟩ = Tr[σ ρ_ii].
"""

from dataclasses import dataclass, field

import numpy as np

from ._common import KwantLLGError, SIGMA, check_finite
from . import adiabatic_sea as _sea
from . import contour as _contour

__all__ = ["fermi_surface_density", "density_blocks_to_spin", "Perturbation", "perturbation",
           "AdiabaticDensity", "fermi_sea_density", "first_order_density"]


def _check_hdot(hdot, sites, num_sites, *, batch=False):
    hdot = np.asarray(hdot, dtype=complex)
    sites = np.asarray(sites, dtype=int).ravel()
    if hdot.shape[-3:] != (len(sites), 2, 2) or hdot.ndim not in ((3, 4) if batch else (3,)):
        lead = "[P, ]" if batch else ""
        raise KwantLLGError(f"hdot must have shape {lead}(len(sites), 2, 2) = {lead}"
                            f"({len(sites)}, 2, 2), got {hdot.shape}.")
    if sites.size and (sites.min() < 0 or sites.max() >= num_sites):
        raise KwantLLGError(f"sites must be site indices in [0, {num_sites}).")
    if np.abs(hdot - np.conj(np.swapaxes(hdot, -1, -2))).max(initial=0) > 1e-12:
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
    rho = _sea._pair_blocks(np.asarray(columns), np.conj(columns), hdot[None],
                            np.arange(n_sites), np.arange(n_sites))[0] / (2 * np.pi)
    return check_finite(rho, "Fermi-surface density")


def density_blocks_to_spin(rho):
    """Spin density ⟨σ⟩_i = Tr[σ ρ_ii] and charge Tr ρ_ii from onsite blocks.

    ``rho`` has shape ([P, ]num_sites, 2, 2); returns spin ([P, ]num_sites, 3), charge.
    """
    rho = np.asarray(rho)
    spin = np.einsum("axy,...iyx->...ia", SIGMA, rho).real
    charge = np.einsum("...ixx->...i", rho).real
    return spin, charge


@dataclass(frozen=True)
class Perturbation:
    """An onsite Ḣ: 2×2 blocks ``hdot`` on the site indices ``sites``."""

    hdot: np.ndarray
    sites: np.ndarray


def perturbation(greens, *, m_dot=None, onsite_rates=None, atol=0.0):
    """Onsite Ḣ of a FrozenGreens from the velocities of its time-dependent parts.

    Ḣ_i = Σ_a ṁ_i^a X_i^a + Σ_p v̇_p Y_p,i, with X^a the exchange matrices (J σ^a for the
    seed's device, so the first part is the magnetisation-velocity term J σ·ṁ_i of
    Sec. IV A, Eq. 15 with ḃ/2 = J ṁ) and Y_p the matrices of the declared onsite parameters
    (gate potentials: v̇_p = dV_p/dt).

    Parameters
    ----------
    greens : FrozenGreens
    m_dot : array_like (num_sites, 3), optional
        dm/dt per site.
    onsite_rates : dict, optional
        ``{name: dv/dt}`` for onsite parameters declared in ``greens``.
    atol : float
        Sites whose block has all entries <= atol are left out.

    Returns
    -------
    Perturbation
    """
    blocks = np.zeros((greens.num_sites, 2, 2), dtype=complex)
    if m_dot is not None:
        m_dot = np.asarray(m_dot, dtype=float)
        if m_dot.shape != (greens.num_sites, 3) or not np.all(np.isfinite(m_dot)):
            raise KwantLLGError(f"m_dot must be a finite array of shape ({greens.num_sites}, 3).")
        blocks += np.einsum("ia,iaxy->ixy", m_dot, greens.exchange)
    for name, rate in (onsite_rates or {}).items():
        if name not in greens.onsite_terms:
            raise KwantLLGError(f"'{name}' is not an onsite parameter of this FrozenGreens "
                                f"(declared: {list(greens.onsite_terms) or 'none'}).")
        if not np.isfinite(rate):
            raise KwantLLGError(f"The rate of '{name}' must be finite, got {rate!r}.")
        blocks += float(rate) * greens.onsite_terms[name]
    sites = np.flatnonzero(np.abs(blocks).max(axis=(1, 2)) > atol)
    return Perturbation(blocks[sites], sites)


@dataclass(frozen=True)
class AdiabaticDensity:
    """First-order (adiabatic) density: onsite blocks ρ_ii^(1) and their parts.

    Attributes
    ----------
    blocks : ndarray ([P, ]num_sites, 2, 2)
        ρ_ii^(1) (Hermitian; leading axis P for a batch of perturbations) =
        ``fermi_surface`` + ``fermi_sea`` (those that were computed).
    fermi_surface, fermi_sea : ndarray (num_sites, 2, 2) or None
        The two terms of the module docstring.
    bonds : ndarray (n_bonds, 2) of int, or None
        Site pairs (i, j) whose off-diagonal blocks were requested;
    bond_blocks : ndarray (n_bonds, 2, 2) or None
        ρ_ij^(1) for those pairs (e.g. for bond currents −2 Im Tr[H_ji ρ_ij]).
    error : float
        Estimated absolute error of every matrix element.
    n_points : int
        Green's-function factorisations used.
    info : dict
        ``mu``, ``kT``, ``e_min``, ``n_poles`` and the parts' errors.
    """

    blocks: np.ndarray
    fermi_surface: np.ndarray = None
    fermi_sea: np.ndarray = None
    bonds: np.ndarray = None
    bond_blocks: np.ndarray = None
    error: float = 0.0
    n_points: int = 0
    info: dict = field(default_factory=dict)

    @property
    def spin(self):
        """⟨σ⟩^(1) = Tr[σ ρ_ii^(1)], shape ([P, ]num_sites, 3); the paper's s_D^(1) is half."""
        return density_blocks_to_spin(self.blocks)[0]

    @property
    def charge(self):
        """Tr ρ_ii^(1) per site (first-order change of the electron number)."""
        return density_blocks_to_spin(self.blocks)[1]


def _prepare(greens, m, hdot, sites, mu, kT, tol, bonds):
    m = greens.magnetization_array(m)
    hdot, sites = _check_hdot(hdot, sites, greens.num_sites, batch=True)
    batched = hdot.ndim == 4
    hdot = hdot if batched else hdot[None]
    if len(np.unique(sites)) != len(sites):
        raise KwantLLGError("sites must not repeat; add the Ḣ blocks of a site together.")
    mu, kT = _contour._check_mu_kT(mu, kT)
    scale = max(np.linalg.norm(hdot, ord=2, axis=(-2, -1)).max(initial=0.0), 1e-300)
    tol = _contour._check_tol(tol) * (scale if tol is None else 1.0)
    n = greens.num_sites
    rows, cols = np.arange(n), np.arange(n)
    if bonds is not None:
        bonds = np.asarray(bonds, dtype=int).reshape(-1, 2)
        if bonds.size and (bonds.min() < 0 or bonds.max() >= n):
            raise KwantLLGError(f"bonds must be pairs of site indices in [0, {n}).")
        rows = np.concatenate([rows, bonds[:, 0]])
        cols = np.concatenate([cols, bonds[:, 1]])
    orbs = greens.site_orbitals(sites)
    return m, hdot, orbs, rows, cols, mu, kT, tol, bonds, batched


def _result(batched, n, bonds, total, fs, sea, error, count, info):
    """AdiabaticDensity from (P, pairs, 2, 2) arrays: onsite pairs first, then the bonds."""
    def part(b, sl):
        if b is None:
            return None
        b = b[:, sl]
        return b if batched else b[0]
    return AdiabaticDensity(part(total, slice(0, n)), part(fs, slice(0, n)),
                            part(sea, slice(0, n)), bonds,
                            part(total, slice(n, None)) if bonds is not None else None,
                            float(error), int(count), info)


def fermi_sea_density(greens, m, hdot, sites, *, mu, kT=0.0, onsite_values=None, tol=None,
                      n_points=24, e_min=None, max_points=4000, n_poles=None, bonds=None):
    """Fermi-sea term of the first-order density, −(1/2π) ∫ f [∂_E G^r Ḣ G^r + h.c.] dE.

    Retarded functions only, so it is integrated on the complex contour of
    :mod:`kwant_llg.contour` (Matsubara poles at kT > 0), with adaptive Gauss–Legendre
    panels; see :mod:`kwant_llg.adiabatic_sea` for the evaluation (three sparse solves with
    2·len(sites) right-hand sides per contour point, ∂_E Σ of the leads included). This is
    the general-Ḣ form of the retarded part of Eq. (15) (Apps. A, C; derivation in
    docs/theory.md).

    Parameters
    ----------
    greens : FrozenGreens
    m : array_like (num_sites, 3) or callable
    hdot : array_like ([P, ]len(sites), 2, 2)
        Hermitian onsite blocks of Ḣ (see :func:`perturbation`); with a leading axis, P
        perturbations on the same sites at once (e.g. the response to each gate rate): the
        sparse solves do not depend on Ḣ, so this costs little more than one.
    sites : array_like of int
        Sites where Ḣ acts.
    mu, kT : float
        Chemical potential of all leads and temperature (>= 0).
    onsite_values : dict, optional
        Values of the declared onsite parameters (gate potentials) at this time.
    tol : float, optional
        Absolute accuracy target of every matrix element of ρ^(1); default 1e-8 times the
        largest ‖Ḣ_i‖₂.
    n_points, e_min, max_points, n_poles
        As for :func:`kwant_llg.contour.equilibrium_density`.
    bonds : array_like (n_bonds, 2), optional
        Site pairs whose off-diagonal blocks are also returned.

    Returns
    -------
    AdiabaticDensity
        With ``fermi_surface`` None; arrays have the leading axis P if ``hdot`` had it.

    Raises
    ------
    KwantLLGError
        Bad input; ConvergenceError if ``tol`` is not reached within ``max_points``.
    """
    m, hdot, orbs, rows, cols, mu, kT, tol, bonds, batched = _prepare(
        greens, m, hdot, sites, mu, kT, tol, bonds)
    n_points = _contour._check_n_points(n_points)
    if e_min is None:
        e_min = _contour._default_e_min(greens, onsite_values)
    blocks, error, count, info = _sea.integrate_sea(
        greens, m, hdot, orbs, rows, cols, mu=mu, kT=kT, n_points=n_points, e_min=e_min,
        tol=tol, max_points=max_points, n_poles=n_poles, onsite_values=onsite_values)
    return _result(batched, greens.num_sites, bonds, blocks, None, blocks, error, count, info)


def first_order_density(greens, m, hdot, sites, *, mu, kT=0.0, fermi_sea=True,
                        onsite_values=None, tol=None, n_points=24, e_min=None,
                        max_points=4000, n_poles=None, bonds=None):
    """First-order (adiabatic) density ρ^(1) = Fermi-surface + Fermi-sea term (Apps. A, C).

    ρ^(1) = ∫ dE (−∂f/∂E) (1/2π) G^r Ḣ G^a − (1/2π) ∫ dE f [∂_E G^r Ḣ G^r + h.c.]
    for leads in equilibrium at (μ, kT); with Ḣ = σ·ḃ/2 this is Eq. (15) (⟨σ⟩^(1) = 2 s_D^(1)),
    with Ḣ = dV_p/dt Y_p the pumped density. At kT = 0 the Fermi-surface term is evaluated
    at μ; at kT > 0 it is integrated over the Fermi window on the real axis (G^r Ḣ G^a is not
    analytic), adaptively to ``tol``.

    Parameters
    ----------
    greens, m, hdot, sites, mu, kT, onsite_values, tol, n_points, e_min, max_points, n_poles, bonds
        As for :func:`fermi_sea_density`.
    fermi_sea : bool
        Include the Fermi-sea term (default). Without it only the Fermi-surface term is
        computed (one factorisation at kT = 0).

    Returns
    -------
    AdiabaticDensity
    """
    m, hdot, orbs, rows, cols, mu, kT, tol, bonds, batched = _prepare(
        greens, m, hdot, sites, mu, kT, tol, bonds)
    n_points = _contour._check_n_points(n_points)
    if kT == 0:
        fs = _sea.fermi_surface_blocks(greens, mu, m, hdot, orbs, rows, cols,
                                       onsite_values=onsite_values)
        fs_error, fs_count = 0.0, 1
    else:
        fs, fs_error, fs_count = _sea.integrate_fermi_window(
            greens, m, hdot, orbs, rows, cols, mu=mu, kT=kT, n_points=n_points,
            tol=tol / 2 if fermi_sea else tol, max_points=max_points,
            onsite_values=onsite_values)
    info = dict(mu=mu, kT=kT, fermi_surface_error=fs_error)
    total, error, count, sea = fs, fs_error, fs_count, None
    if fermi_sea:
        if e_min is None:
            e_min = _contour._default_e_min(greens, onsite_values)
        sea, sea_error, sea_count, sea_info = _sea.integrate_sea(
            greens, m, hdot, orbs, rows, cols, mu=mu, kT=kT, n_points=n_points, e_min=e_min,
            tol=tol / 2, max_points=max_points, n_poles=n_poles, onsite_values=onsite_values)
        total, error, count = fs + sea, error + sea_error, count + sea_count
        info.update(sea_info, fermi_sea_error=sea_error)
    return _result(batched, greens.num_sites, bonds, total, fs, sea, error, count, info)
