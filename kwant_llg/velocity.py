r"""Response of the spin density to the magnetisation velocity: nonlocal electronic damping.

A moving texture changes the Hamiltonian at the rate Ḣ = Σ_j X_j·ṁ_j (X_j^b = ∂H/∂m_j^b,
J σ^b for the seed's onsite exchange J σ·m_j; Sec. IV A of Xu et al., PRB 108, 144409
(2023)). To first order in ṁ the electrons answer with the density of
:mod:`kwant_llg.adiabatic` (Apps. A, C; Eq. 15 with ḃ/2 = J ṁ),

    ⟨σ^a⟩_i^(1) = Σ_jb χ^{ab}_ij ṁ_j^b,      χ^{ab}_ij = Tr[σ^a ρ^(1)_ii[Ḣ = X_j^b]],

and with all leads at (μ, kT) the split into a Fermi-surface and a retarded-only Fermi-sea
term gives (docs/theory.md, "Adiabatic first-order density"; the same split as
:mod:`kwant_llg.coefficients_sea`)

    χ^{ab}_ij = (1/2π) ∫ dE (−∂f/∂E) Tr[σ^a G^r_ij X_j^b G^a_ji]                (surface)
              − (1/2π) { 2 Re Φ^{ab}_ij + Tr[σ^a G_ij X_j^b G_ji](E_min) },      (sea)

    Φ^{ab}_ij = ∫_{E_min}^{∞} dE f(E) Tr[σ^a (∂_E G^r)_ij X_j^b G^r_ji],

Φ on the complex Fermi contour of :mod:`kwant_llg.contour`. Contracted with X_i^a this is
the site-resolved Gilbert damping of Eq. (19): α^{ab}_ij = ½ Tr[X_i^a ρ^(1)[X_j^b]], i.e.
α_ij = ½ J_i χ_ij for X_i = J_i σ, and Σ_ij α_ij is :func:`kwant_llg.coefficients.gilbert_damping`
(tested). The electron field on the spins, h_i = −J_i ⟨σ⟩_i^(1) = −J_i Σ_j χ_ij ṁ_j, makes the
LLG equation implicit in ṁ (solved by :func:`kwant_llg.llg.llg_rhs_nonlocal`); its symmetric
part damps the texture, the antisymmetric part renormalises the precession.

Cost per energy: one factorisation and, for the sea, two sparse solves with the 2k
orbitals of the k magnetic sites as right-hand sides, plus O(k²) for the traces (dense
k × k blocks of G^r): meant for small and medium devices (the tensor has (3k)² entries).
"""

from dataclasses import dataclass, field

import numpy as np

from ._common import KwantLLGError, SIGMA, check_finite
from . import adiabatic_sea as _sea
from . import contour as _contour
from .coefficients_sea import _Evaluator as _EvaluatorEq19
from .coefficients_sea import magnetic_sites, real_fermi_integral

__all__ = ["VelocityResponse", "velocity_response", "pair_traces"]


def pair_traces(left, x, right_t):
    """K^{ab}_ij = Tr[σ^a L_ij X_j^b R_ji] for 2×2 blocks (pure NumPy).

    Parameters
    ----------
    left : ndarray (k, k, 2, 2)
        L_ij.
    x : ndarray (k, 3, 2, 2)
        X_j^b.
    right_t : ndarray (k, k, 2, 2)
        R_ji laid out at [i, j] (the transpose of the block array of R).

    Returns
    -------
    ndarray (k, 3, k, 3), complex
    """
    lx = np.einsum("ijxy,jbyz->ijbxz", left, x, optimize=True)
    return np.einsum("awx,ijbxz,ijzw->iajb", SIGMA, lx, right_t, optimize=True)


def _blocks(g, k):
    """(2k × 2k) matrix → its 2×2 blocks G_ij, shape (k, k, 2, 2)."""
    return g.reshape(k, 2, k, 2).transpose(0, 2, 1, 3)


class _Evaluator(_EvaluatorEq19):
    """Site-pair traces of G^r and ∂_z G^r on the magnetic sites (the columns of
    :class:`kwant_llg.coefficients_sea._Evaluator`, one factorisation per energy)."""

    def __init__(self, greens, m, sites, xblk, onsite_values):
        super().__init__(greens, m, sites, xblk, onsite_values)
        self.x, self.k = xblk, len(sites)

    def surface(self, e):
        """Tr[σ^a G^r_ij X_j^b G^a_ji] at a real energy (real)."""
        g = _blocks(self._columns(float(e))[self.orbs], self.k)
        out = pair_traces(g, self.x, np.conj(np.swapaxes(g, 2, 3))).real
        return check_finite(out, "Fermi-surface velocity response")

    def sea(self, z):
        """Tr[σ^a (∂_z G)_ij X_j^b G_ji] at complex z."""
        c, d = self._columns_and_derivative(z)
        g = _blocks(c[self.orbs], self.k)
        out = pair_traces(_blocks(d[self.orbs], self.k), self.x, np.swapaxes(g, 0, 1))
        return check_finite(out, "Fermi-sea velocity response")

    def below(self, e):
        """Tr[σ^a G_ij X_j^b G_ji] below the spectrum (G Hermitian there; real)."""
        g = _blocks(self._columns(float(e))[self.orbs], self.k)
        return check_finite(pair_traces(g, self.x, np.swapaxes(g, 0, 1)).real,
                            "velocity response at E_min")


@dataclass(frozen=True)
class VelocityResponse:
    """First-order response of the spin density to the magnetisation velocity.

    Attributes
    ----------
    sites : ndarray of int (k,)
        The magnetic sites (nonzero exchange) of the chosen sites, in order.
    value : ndarray (k, 3, k, 3)
        χ^{ab}_ij = ∂⟨σ^a⟩_i/∂ṁ_j^b (module docstring) on those sites.
    fermi_surface, fermi_sea : ndarray (k, 3, k, 3) or None
        The two parts (``fermi_sea`` None if it was not computed).
    error : float
        Estimated absolute error of ``value``.
    exchange : ndarray (k, 3, 2, 2)
        X_j^b on the sites.
    info : dict
        ``evaluations`` (factorisations), ``mu``, ``kT``, ``e_min``.
    """

    sites: np.ndarray
    value: np.ndarray
    fermi_surface: np.ndarray
    fermi_sea: np.ndarray
    error: float
    exchange: np.ndarray
    info: dict = field(default_factory=dict)

    def spin(self, m_dot):
        """⟨σ⟩^(1) on :attr:`sites` for the velocities ``m_dot`` (k, 3) of those sites."""
        m_dot = np.asarray(m_dot, dtype=float)
        k = len(self.sites)
        if m_dot.shape != (k, 3) or not np.all(np.isfinite(m_dot)):
            raise KwantLLGError(f"m_dot must be a finite array of shape ({k}, 3) (the velocities "
                                "of the sites of this response).")
        return np.einsum("iajb,jb->ia", self.value, m_dot)

    def field_response(self, couplings, num_sites):
        """K^{ab}_ij = ∂h_i^a/∂ṁ_j^b = −J_i χ^{ab}_ij of the electron field h_i = −J_i⟨σ⟩_i,
        shape (num_sites, 3, num_sites, 3), zero on sites outside :attr:`sites`: the
        ``response`` of :func:`kwant_llg.llg.llg_rhs_nonlocal`.

        Parameters
        ----------
        couplings : array_like (num_sites,)
            J_i of every site.
        num_sites : int
        """
        couplings = np.asarray(couplings, dtype=float)
        s = self.sites
        out = np.zeros((num_sites, 3, num_sites, 3))
        out[np.ix_(s, range(3), s, range(3))] = -couplings[s, None, None, None] * self.value
        return out

    def damping(self):
        """Site-resolved Eq. (19) tensor α^{ab}_ij = ½ Tr[X_i^a ρ^(1)[X_j^b]], (k, 3, k, 3).

        Needs exchange blocks of the form X_i^a = J_i σ^a (raises otherwise); the sum over
        i, j is :func:`kwant_llg.coefficients.gilbert_damping` on the same sites.
        """
        j = np.einsum("iaxy,ayx->i", self.exchange, SIGMA).real / 6
        if np.abs(self.exchange - j[:, None, None, None] * SIGMA).max(initial=0) > 1e-10:
            raise KwantLLGError("damping() needs an exchange of the form J_i σ·m_i; contract "
                                "value with your exchange blocks instead.")
        return 0.5 * j[:, None, None, None] * self.value


def velocity_response(greens, m, *, mu, kT=0.0, fermi_sea=True, sites=None, onsite_values=None,
                      tol=1e-8, n_points=8, e_min=None, max_points=6000, n_poles=None):
    r"""χ^{ab}_ij = ∂⟨σ^a⟩_i/∂ṁ_j^b: the spin density of a moving texture (module docstring).

    Parameters
    ----------
    greens : FrozenGreens
    m : array_like (num_sites, 3) or callable
        The (frozen) texture.
    mu, kT : float
        Chemical potential and temperature (>= 0) of all leads.
    fermi_sea : bool
        Include the Fermi-sea term (default). Without it only the Fermi-surface term is
        computed (one factorisation at kT = 0).
    sites : sequence of int, optional
        Sites whose velocity and density are considered (default all); sites without
        exchange are left out (see :attr:`VelocityResponse.sites`).
    onsite_values : dict, optional
        Values of the declared onsite parameters (gate potentials).
    tol : float
        Accuracy relative to the size of the Fermi-surface term (contour and, at kT > 0,
        Fermi-window integrals).
    n_points, e_min, max_points, n_poles
        As for :func:`kwant_llg.coefficients_sea.equilibrium_gilbert_damping`.

    Returns
    -------
    VelocityResponse

    Raises
    ------
    KwantLLGError
        Bad input; ConvergenceError if ``tol`` is not reached within ``max_points``.
    """
    marr = greens.magnetization_array(m)
    mu, kT = _contour._check_mu_kT(mu, kT)
    tol = _contour._check_tol(tol)
    n_points = _contour._check_n_points(n_points)
    sites, xblk = magnetic_sites(greens, sites)
    ev = _Evaluator(greens, marr, sites, xblk, onsite_values)
    at_mu = ev.surface(mu)
    low = None
    if fermi_sea:
        if e_min is None:
            e_min = _contour._default_e_min(greens, onsite_values)
            if not mu > e_min:
                raise KwantLLGError(f"The chemical potential {mu} lies below the spectrum "
                                    f"(>= {e_min:.6g}): nothing is occupied.")
        low = ev.below(e_min)
    scale = max(np.abs(at_mu).max(), 0.0 if low is None else np.abs(low).max(), 1e-300)
    atol = tol * scale
    shape = at_mu.shape
    if kT == 0:
        surface, surface_error = at_mu, 0.0
    else:
        surface, surface_error, _ = _sea.fermi_window_integral(
            greens, ev.surface, shape, mu=mu, kT=kT, scale=scale,
            tol=atol / 2 if fermi_sea else atol, n_points=n_points, max_points=max_points)
        surface = surface.real
    surface = surface / (2 * np.pi)
    error, sea = surface_error / (2 * np.pi), None
    if fermi_sea:
        phi, sea_error = real_fermi_integral(
            ev.sea, shape, e_min=e_min, mu=mu, kT=kT, n_poles=n_poles, n_points=n_points,
            tol=atol / 2, max_points=max_points,
            what="Fermi-sea (contour) integral of the velocity response")
        sea = -(2 * phi + low) / (2 * np.pi)
        error += 2 * sea_error / (2 * np.pi)
    value = surface if sea is None else surface + sea
    info = dict(evaluations=ev.count, mu=mu, kT=kT,
                e_min=None if e_min is None else float(e_min))
    return VelocityResponse(sites, value, surface, sea, float(error), xblk, info)
