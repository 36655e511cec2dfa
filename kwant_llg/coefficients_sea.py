r"""Eq. (19) without the real-axis Fermi sea: a Fermi-surface term plus a retarded-only term.

The Gilbert damping of Eq. (19) of Xu et al., PRB 108, 144409 (2023) is an integral over the
whole Fermi sea of Tr[G^< X_i (−∂_E G^r) X_j], a product of lesser and retarded functions. On
the real axis it converges only where G^r is smooth: in a two-dimensional device with a
texture, quasi-bound states (subbands of the magnetic region below the thresholds of the
leads, coupled to the open channels only through the texture) make the integrand spiky, and
a true bound state in the continuum turns −∂_E G^r into a double pole. With all leads in
equilibrium at f(E) the tensor splits exactly (docs/theory.md, "Eq. (19) as Fermi surface
plus Fermi sea"; the same split as the first-order density of :mod:`kwant_llg.adiabatic`,
α_ij = ½ Tr[X_i ρ^(1)[Ḣ = X_j]]) into

    α_ij = (1/4π) { ∫ dE (−∂f/∂E) Tr[X_i G^r X_j G^a]              (Fermi surface)
                    − 2 Re Φ_ij − Tr[X_i G X_j G](E_min) },           (Fermi sea)

    Φ_ij = ∫_{E_min}^{∞} dE f(E) Tr[X_i ∂_E G^r X_j G^r],

with ∂_E G^r = −G^r (1 − ∂_E Σ^r) G^r (energy-dependent lead self-energies included). Φ has
retarded functions only and is integrated on the complex Fermi contour of
:mod:`kwant_llg.contour` (away from the real axis, where narrow resonances are smooth);
below E_min (under the whole spectrum) G is Hermitian and the integrand's real part is the
total derivative ½ ∂_E Tr[X_i G X_j G], which gives the last term. At kT = 0 the
Fermi-surface term is one evaluation at μ. With a bias, the occupation of the lead with the
lowest chemical potential is the equilibrium reference and the rest, Σ_α (f_α − f_ref)
ψ_α ψ_α^†, is a real-axis integral over the bias window only
(:func:`kwant_llg.coefficients.gilbert_damping`).

Cost per contour point: one factorisation of z − H − Σ(z) and two sparse solves with 2k
right-hand sides (k: the magnetic sites rotated), plus O(k²) for the traces (:func:`_traces`);
for the uniform tensor of a whole device k is every site, i.e. two full inverses per point.
"""

import numpy as np

from ._common import KwantLLGError, SIGMA, SIGMA_0, check_finite
from . import adiabatic_sea as _sea
from . import contour as _contour
from .sparse_lu import unit_columns

__all__ = ["equilibrium_gilbert_damping", "magnetic_sites", "real_fermi_integral"]


def magnetic_sites(greens, sites):
    """The sites of ``sites`` (default all) with a nonzero exchange, and their blocks.

    Returns
    -------
    sites : ndarray of int (k,)
    blocks : ndarray (k, 3, 2, 2)
        X_i on each site (``greens.exchange``).
    """
    from .coefficients import _site_array
    sites = _site_array(greens, sites)
    blocks = greens.exchange[sites]
    keep = np.abs(blocks).reshape(len(sites), -1).max(axis=1) > 0
    if not keep.any():
        raise KwantLLGError("The exchange ∂H/∂m vanishes on the chosen sites: there is no "
                            "magnetisation there (check J and sites=).")
    return sites[keep], blocks[keep]


_PAULI = np.array([SIGMA_0, *SIGMA])


class _Exchange:
    """The exchange blocks x_is of the rotated sites in low-rank form, x_is = Σ_p u_sp y_pi.

    The Pauli components ξ^μ_is = tr[σ_μ x_is]/2 form a (k sites × 12) matrix Ξ = U S V^T;
    with orthonormal U (k × r) the 2×2 matrices y_pi = Σ_μ (S V^T)_{p,(i,μ)} σ_μ. For the
    seed's J_s σ_i on every site r = 1 (u ∝ J_s), whatever J_s is.
    """

    def __init__(self, blocks):
        k = blocks.shape[0]
        xi = 0.5 * np.einsum("siab,mba->sim", blocks, _PAULI).real.reshape(k, 12)
        u, sv, vt = np.linalg.svd(xi, full_matrices=False)
        r = max(1, int(np.sum(sv > 1e-13 * sv[0])))
        self.k, self.u = k, u[:, :r]
        coef = (sv[:r, None] * vt[:r]).reshape(r, 3, 4)
        self.y = np.einsum("pim,mab->piab", coef, _PAULI)
        self.uniform = r == 1 and np.ptp(np.abs(self.u)) <= 1e-13 * np.abs(self.u).max()
        self._buffers = None

    def buffers(self):
        """Reused work arrays (4, k, k) ×3: fresh arrays of this size cost page faults."""
        if self._buffers is None:
            self._buffers = [np.empty((4, self.k, self.k), dtype=complex) for _ in range(3)]
        return self._buffers


def _traces(ex, left, right):
    """T_ij = Tr[X_i L X_j R] for (2k × 2k) L, R on the rotated sites (:class:`_Exchange`).

    T_ij = Σ_pq Σ_abcd (y_pi)_ab (y_qj)_cd Z^pq_bcda with the 16 site sums
    Z^pq_bcda = Σ_st u_sp u_tq L[sb, tc] R[td, sa]: the blocks of L and of R^T are laid out
    by spin pair (one strided copy each), and the site sums are one matrix product of
    (4 × k²) by (k² × 4) — instead of 2×2 products for every site pair and every (i, j).
    """
    k, u = ex.k, ex.u
    r = u.shape[1]
    lp, rt, tmp = ex.buffers()
    l4, r4 = left.reshape(k, 2, k, 2), right.reshape(k, 2, k, 2)
    for b in range(2):
        for c in range(2):
            np.copyto(lp[2 * b + c], l4[:, b, :, c])
    for a in range(2):
        for d in range(2):
            np.copyto(rt[2 * a + d], r4[:, d, :, a].T)
    rtf = rt.reshape(4, -1)
    z = np.empty((r, r, 4, 4), dtype=complex)
    for p in range(r):
        for q in range(r):
            if ex.uniform:
                scaled, factor = lp, u[0, p] * u[0, q]
            else:
                scaled, factor = tmp, 1.0
                np.multiply(lp, u[:, p, None] * u[None, :, q], out=tmp)
            z[p, q] = factor * (scaled.reshape(4, -1) @ rtf.T)
    z = z.reshape(r, r, 2, 2, 2, 2)
    return np.einsum("piab,qjcd,pqbcad->ij", ex.y, ex.y, z)


class _Evaluator:
    """G^r (and ∂_z G^r) on the magnetic sites at any energy, on one factorisation each."""

    def __init__(self, greens, m, sites, xblk, onsite_values):
        self.greens, self.m, self.xblk = greens, m, _Exchange(xblk)
        self.onsite_values = onsite_values
        self.ws = _sea._workspace(greens)
        self.orbs = greens.site_orbitals(sites)
        self.count = 0

    def _columns(self, z):
        lead_data = self.greens.lead_data(z)
        self.ws.factor.factor(self.greens._full_data(z, self.m, lead_data, self.onsite_values))
        self.count += 1
        return self.ws.factor.solve(unit_columns(self.orbs, self.greens._norb))

    def _columns_and_derivative(self, z):
        """G[:, sites] and ∂_z G[:, sites] = −G (1 − ∂_z Σ) G[:, sites] at complex z."""
        c = self._columns(z)
        rhs = c.copy()
        for orbs, ds in zip(self.greens.lead_orbitals, self.ws.dsigma_at(self.greens, z)):
            rhs[orbs] -= ds @ c[orbs]
        return c, -self.ws.factor.solve(rhs)

    def sea(self, z):
        """Tr[X_i ∂_z G X_j G] at complex z (3 × 3)."""
        c, d = self._columns_and_derivative(z)
        out = _traces(self.xblk, d[self.orbs], c[self.orbs])
        return check_finite(out, "Fermi-sea integrand of Eq. (19)")

    def surface(self, e):
        """Tr[X_i G^r X_j G^a] at a real energy (3 × 3, real)."""
        g = self._columns(float(e))[self.orbs]
        out = _traces(self.xblk, g, g.conj().T).real
        return check_finite(out, "Fermi-surface term of Eq. (19)")

    def below(self, e):
        """Tr[X_i G X_j G] at a real energy below the spectrum (G Hermitian there)."""
        g = self._columns(float(e))[self.orbs]
        return check_finite(_traces(self.xblk, g, g).real, "Eq. (19) at E_min")


def real_fermi_integral(func, shape, *, e_min, mu, kT, n_poles, n_points, tol, max_points, what):
    """Re ∫_{E_min}^∞ f(E) func(E) dE for a retarded (analytic) ``func``, on the Fermi contour.

    ``func(z)`` returns an array of ``shape`` at one complex z. Adaptive Gauss–Legendre
    panels (:func:`kwant_llg.contour._integrate`, absolute ``tol``) plus the Matsubara poles
    at kT > 0. Returns (value of ``shape``, error).
    """
    segments, poles, pole_w = _contour._contour(e_min, mu, kT, n_poles)

    def evaluate(z):
        return np.array([func(zk) for zk in z])

    def contract(w, vals):
        return np.einsum("k,k...->...", w, vals).real.ravel()

    value, error, _ = _contour._integrate(segments, evaluate, contract, n_points, tol,
                                          max_points, what)
    if len(poles):
        value = value + contract(pole_w, evaluate(poles))
    return value.reshape(shape), error


def equilibrium_gilbert_damping(greens, m, *, mu, kT=0.0, sites=None, onsite_values=None,
                                tol=1e-10, n_points=8, e_min=None, max_points=6000,
                                n_poles=None):
    r"""Eq. (19) with all leads at (μ, kT), by the Fermi-surface + contour split.

    Project sign convention (as :func:`kwant_llg.coefficients.gilbert_damping`: the paper's
    Eq. (19) with −∂_E G^r for (G^r)², and the overall sign of the project's LLG). See the
    module docstring for the formula.

    Parameters
    ----------
    greens : FrozenGreens
    m : ndarray (num_sites, 3)
        Validated magnetisation.
    mu, kT : float
        Chemical potential and temperature (>= 0) of all leads.
    sites : sequence of int, optional
        Sites rotated together (default all).
    tol : float
        Accuracy relative to the size of the Fermi-surface term, for the contour integral
        and (kT > 0) the Fermi-window integral.
    n_points, e_min, max_points, n_poles
        As for :func:`kwant_llg.contour.equilibrium_density` (Gauss–Legendre nodes per
        panel, start of the contour below the spectrum, budget of G evaluations, Matsubara
        poles). Short panels (8 nodes) are cheapest here: on the seed's device at kT = 0
        the adaptive refinement towards z = μ sets the cost (10×10 and 20×20, tol 1e-8:
        380 evaluations with 8 nodes, 716–800 with 24, the same tensor to 1e-12).

    Returns
    -------
    value : ndarray (3, 3)
    error : float
        Estimated absolute error.
    info : dict
        ``evaluations`` (factorisations), ``fermi_surface``, ``fermi_sea`` (the two parts).
    """
    mu, kT = _contour._check_mu_kT(mu, kT)
    tol = _contour._check_tol(tol)
    n_points = _contour._check_n_points(n_points)
    sites, xblk = magnetic_sites(greens, sites)
    ev = _Evaluator(greens, m, sites, xblk, onsite_values)
    if e_min is None:
        e_min = _contour._default_e_min(greens, onsite_values)
        if not mu > e_min:
            raise KwantLLGError(f"The chemical potential {mu} lies below the spectrum "
                                f"(>= {e_min:.6g}): nothing is occupied.")
    low = ev.below(e_min)
    at_mu = ev.surface(mu)
    scale = max(np.abs(at_mu).max(), np.abs(low).max(), 1e-300)
    atol = tol * scale
    if kT == 0:
        surface, surface_error = at_mu, 0.0
    else:
        surface, surface_error, _ = _sea.fermi_window_integral(
            greens, ev.surface, (3, 3), mu=mu, kT=kT, scale=scale, tol=atol / 2,
            n_points=n_points, max_points=max_points)
        surface = surface.real
    phi, sea_error = real_fermi_integral(
        ev.sea, (3, 3), e_min=e_min, mu=mu, kT=kT, n_poles=n_poles, n_points=n_points,
        tol=atol / 2, max_points=max_points,
        what="Fermi-sea (contour) integral of the Gilbert damping (Eq. 19)")
    sea = -(2 * phi + low) / (4 * np.pi)
    surface = surface / (4 * np.pi)
    error = (surface_error + 2 * sea_error) / (4 * np.pi)
    info = dict(evaluations=ev.count, fermi_surface=surface, fermi_sea=sea, e_min=float(e_min),
                mu=mu, kT=kT)
    return surface + sea, error, info
