r"""Microscopic LLG coefficients from frozen Green's functions (Xu et al., PRB 108, 144409).

All functions take a :class:`kwant_llg.FrozenGreens` of any two-orbital system (the dot of
:mod:`kwant_llg.molecule`, a ribbon with a texture, a user device) and the frozen
magnetisation ``m`` (num_sites, 3). The "magnetisation perturbation" is

    X_i = ∂H/∂m_i = Σ_{s ∈ sites} J_s σ_i   (uniform rotation of the sites ``sites``),

taken from the exchange blocks of the FrozenGreens (``greens.exchange``), i.e. the paper's
(JM/2) σ_i of Eq. (A5) for the dot. ``sites=[k]`` gives the per-site (local) tensor; the
default (all sites) the tensor of a uniform rotation, which for a macrospin is the dot's.

Sign convention (docs/conventions.md, "Microscopic LLG coefficients"): the project's LLG is
ṁ = −γ m × H + m × (α ṁ) + m × (ᾱ m̈), so ``alpha`` and ``inertia`` returned here are
**minus** the paper's Eqs. (19) and (22) (the paper writes −m × (α ṁ), Eq. 18/21);
physical damping is then positive. Normalisation (docs/theory.md, "α̃(ω) ↔ α, ᾱ"): for a
macrospin with γ = 1 in the electron field −⟨X⟩ the exact response gives the damping
**2 α** (= α^BTB at T = 0) and the inertia ᾱ: Eq. (19) carries half the prefactor of Eqs. (22)/(30).

The Gilbert damping (Eq. 19) by default splits into a Fermi-surface term and a
retarded-only Fermi-sea term on the complex contour (:mod:`kwant_llg.coefficients_sea`),
which converges on 2D devices where the real axis does not; ``method="real-axis"`` and all
other coefficients use the real axis as follows.

Energy integrals run on the real axis (adaptive Gauss–Kronrod, ``scipy.integrate.quad_vec``)
from the lower Gershgorin bound of the spectrum to max μ_α + 40 kT, with the lead sub-band
thresholds and the μ_α as break points. The integrands mix G^r and G^a (G^< = G^r Σ^< G^a),
so the complex contour of :mod:`kwant_llg.contour` does not apply (it needs functions
analytic in the upper half plane). Occupations are per lead (bias and temperature), G^< =
i Σ_α f_α ψ_α ψ_α^† with ψ_α = G^r W_α (scattering states; bound states outside the lead
bands carry no weight in this Keldysh form).

With energy-dependent leads (G^r)² is replaced by −∂_E G^r = G^r (1 − ∂_E Σ^r) G^r (and
(G^r)³ by G^r (1 − ∂_E Σ)G^r (1 − ∂_E Σ) G^r); both reduce to the paper's expressions in the
wide-band limit and the first makes Eq. (19) ↔ Eq. (D1) exact (docs/theory.md).

Public API
----------
exchange_operators(greens, sites=None) -> list of 3 sparse (norb, norb)      X_i = ∂H/∂m_i
spin_operators(greens, sites=None) -> list of 3 sparse                        Σ_s σ_i
gilbert_damping(greens, m, *, mu, kT=0.0, sites=None, onsite_values=None, tol=1e-10, method="split")
    -> Coefficient (value (3,3), .symmetric, .antisymmetric)                   Eq. (19)
inertia_tensor(greens, m, *, mu, kT=0.0, sites=None, ...) -> Coefficient       Eq. (22)
dynamic_damping(greens, m, omega, *, mu, kT=0.0, ...) -> Coefficient (complex)  Eq. (30)
eta_tensor(greens, m, *, mu, kT=0.0, ...) -> Coefficient                       Eq. (B5)
effective_gyromagnetic_ratio(eta, gamma=1.0) -> (3,3)  γ' = γ (1 + η)^{-1}      Eq. (B5)
spin_density(greens, m, *, mu, kT=0.0, ...) -> SpinDensity                     Eqs. (11, 14)
time_reversal_split(greens, m, *, mu, kT, reversed_greens=None) -> (s_sym, s_anti)  Eq. (13)
spin_torque(m, spin, J, u) -> SpinTorque (torque, fieldlike, dampinglike)       Eq. (13)
(BTB scattering-matrix damping, Eq. (D1): :mod:`kwant_llg.scattering`.)
"""

import numpy as np
import scipy.sparse as sp
from scipy.integrate import quad_vec
from scipy.special import expit

from ._common import BandEdgeError, ConvergenceError, KwantLLGError, SIGMA
from . import contour as _contour
from . import leads as _leads

__all__ = ["exchange_operators", "spin_operators", "Coefficient", "gilbert_damping",
           "inertia_tensor", "dynamic_damping", "eta_tensor", "effective_gyromagnetic_ratio",
           "SpinDensity", "spin_density", "time_reversal_split", "SpinTorque", "spin_torque"]

_EDGE_SHIFT = 5e-7
#: Imaginary part (relative) of the quadrature energies; 0: exact real-axis lead modes.
#: Decimation at tiny Im E is inaccurate near a chain's band centre, so the default is 0.
ETA = 0.0


# ------------------------------------------------------------------ operators
def _site_array(greens, sites):
    n = greens.num_sites
    if sites is None:
        return np.arange(n)
    sites = np.unique(np.asarray(sites, dtype=int).ravel())
    if sites.size == 0 or sites.min() < 0 or sites.max() >= n:
        raise KwantLLGError(f"sites must be indices in [0, {n}), got {sites!r}.")
    return sites


def _block_operator(greens, blocks, sites):
    """Sparse block-diagonal operator with 2×2 blocks ``blocks[k]`` on ``sites[k]``."""
    rows = (2 * sites[:, None, None] + np.arange(2)[None, :, None]) * np.ones((1, 1, 2), int)
    cols = np.transpose(rows, (0, 2, 1))
    norb = 2 * greens.num_sites
    return sp.csr_matrix((blocks.ravel(), (rows.ravel(), cols.ravel())), shape=(norb, norb))


def exchange_operators(greens, sites=None):
    r"""X_i = ∂H/∂m_i for a uniform rotation of the magnetisation on ``sites`` (Eq. A5).

    For the exchange J_s σ·m_s of the seed this is Σ_s J_s σ_i (the paper's (JM/2) σ_i).
    Returns three sparse (norb × norb) matrices. Raises if the exchange vanishes on ``sites``.
    """
    sites = _site_array(greens, sites)
    ops = [_block_operator(greens, greens.exchange[sites, i], sites) for i in range(3)]
    if not any(op.count_nonzero() for op in ops):
        raise KwantLLGError("The exchange ∂H/∂m vanishes on the chosen sites: there is no "
                            "magnetisation there (check J and sites=).")
    return ops


def spin_operators(greens, sites=None):
    """Σ_s σ_i on ``sites`` (⟨σ⟩ convention; the paper's s = σ/2 is half of it)."""
    sites = _site_array(greens, sites)
    return [_block_operator(greens, np.broadcast_to(SIGMA[i], (len(sites), 2, 2)), sites)
            for i in range(3)]


# ------------------------------------------------------------------ occupations
def _per_lead(value, nleads, name):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.size == 1:
        arr = np.repeat(arr, nleads)
    if arr.shape != (nleads,) or not np.all(np.isfinite(arr)):
        raise KwantLLGError(f"{name} must be a finite number or one per lead ({nleads}), "
                            f"got {value!r}.")
    return arr


def _occupations(greens, mu, kT):
    nleads = len(greens.fsyst.leads)
    if nleads == 0:
        raise KwantLLGError("The system has no leads: the Keldysh G^< = G^r Σ^< G^a needs them.")
    mu = _per_lead(mu, nleads, "mu")
    kT = _per_lead(kT, nleads, "kT")
    if np.any(kT < 0):
        raise KwantLLGError(f"Temperatures must be >= 0, got kT = {kT}.")
    return mu, kT


def _energy_window(greens, mu, kT, onsite_values, e_min=None):
    points = set(float(x) for x in mu)
    bottom = np.inf
    for lead in greens.fsyst.leads:
        h0, v = _leads.lead_matrices(lead, params=greens.params)
        vfull = np.zeros_like(h0, dtype=complex)
        vfull[:, :v.shape[1]] = v
        for phase in (1, -1):
            edges = np.linalg.eigvalsh(h0 + phase * (vfull + vfull.conj().T))
            points.update(edges.tolist())
            bottom = min(bottom, edges.min())
    if e_min is None:
        # no scattering state below the lowest lead band edge (of the cosine-like bands
        # of nearest-neighbour leads, extrema at k = 0, π) nor below the spectrum
        lower, _ = _contour.spectral_bounds(greens, onsite_values=onsite_values)
        e_min = max(lower, bottom)
    e_min = float(e_min)
    e_max = float(np.max(mu + 40 * kT))
    if not e_max > e_min:
        raise KwantLLGError(f"The chemical potentials {mu} lie below the spectrum (>= {e_min:.6g}): "
                            "nothing is occupied.")
    points = sorted(p for p in points if e_min < p < e_max)
    return e_min, e_max, points


def _fermi(e, mu, kT):
    """Per-lead occupations at a real energy (kT = 0: the sharp step, f(μ) = 1/2)."""
    out = np.where(e < mu, 1.0, np.where(e == mu, 0.5, 0.0))
    warm = kT > 0
    if np.any(warm):
        out[warm] = expit(-(e - mu[warm]) / kT[warm])
    return out


# ------------------------------------------------------------------ frozen solves
class _Frozen:
    """Scattering states ψ_α = G^r W_α at one real energy and repeated solves on one LU."""

    def __init__(self, greens, e, m, onsite_values):
        if ETA:
            e = complex(e, ETA * max(1.0, abs(e)))
        else:
            _prefill_lead_data(greens, e)
        try:
            self.gf = greens.factorize(e, m, onsite_values=onsite_values)
        except BandEdgeError:
            # a quadrature node within 2e-7 of a lead threshold (a break point): the
            # integrand is continuous there, move the node off the threshold
            e = e + _EDGE_SHIFT
            self.gf = greens.factorize(e, m, onsite_values=onsite_values)
        norb = self.gf.num_orbitals
        blocks, labels = [], []
        for a, ((_, w, _), orbs) in enumerate(zip(self.gf.lead_data, self.gf.lead_orbitals)):
            rhs = np.zeros((norb, w.shape[1]), dtype=complex)
            rhs[orbs] = w
            blocks.append(rhs)
            labels.append(np.full(w.shape[1], a))
        self.labels = np.concatenate(labels)
        self.psi = self.gf.solve(np.hstack(blocks)) if self.labels.size else \
            np.zeros((norb, 0), complex)
        self._greens, self._e = greens, e

    def one_minus_dsigma(self, y):
        """(1 − ∂_E Σ^r) y, with ∂_E Σ of :func:`selfenergy_derivative_real`."""
        if not hasattr(self, "_dsigma"):
            self._dsigma = [selfenergy_derivative_real(lead, self._e, sigma,
                                                       params=self._greens.params)
                            for lead, (sigma, _, _) in zip(self._greens.fsyst.leads,
                                                           self.gf.lead_data)]
        out = y.copy()
        for d, orbs in zip(self._dsigma, self.gf.lead_orbitals):
            out[orbs] -= d @ y[orbs]
        return out


def selfenergy_derivative_real(lead, energy, sigma, *, params=None):
    r"""∂Σ^r/∂E of a Kwant lead at a real energy, from its self-energy Σ^r(E).

    The surface Green's function of the lead is g = (E − h0 − P Σ P^T)^{-1} (P: the interface
    orbitals, the first columns of the cell); differentiating g = (E − h0 − v^† g v)^{-1}
    gives the Stein equation ∂g = −g g + (g v^†) ∂g (v g), solved here directly (at real energies the doubling iteration does not converge: propagating modes
    have |λ| = 1), by diagonalising g v^† and v g (O(n³)). ∂Σ = v^† ∂g v. Singular only at
    band edges.
    """
    h0, v = _leads.lead_matrices(lead, params=params)
    n, k = v.shape
    vfull = np.zeros((n, n), dtype=complex)
    vfull[:, :k] = v
    pad = np.zeros((n, n), dtype=complex)
    pad[:k, :k] = sigma
    g = np.linalg.inv(energy * np.eye(n) - h0 - pad)
    left, right = g @ vfull.conj().T, vfull @ g
    # X − L X R = C by diagonalising L = P Λ P⁻¹ and R = Q M Q⁻¹: (P⁻¹XQ)_ij = (P⁻¹CQ)_ij/(1 − λ_i μ_j)
    lam, p = np.linalg.eig(left)
    mu, q = np.linalg.eig(right)
    rhs = np.linalg.solve(p, -(g @ g)) @ q
    dg = p @ (rhs / (1 - lam[:, None] * mu[None, :])) @ np.linalg.inv(q)
    return v.conj().T @ dg @ v


def _prefill_lead_data(greens, e):
    """Lead data at a real quadrature node without the band-edge probe of
    :meth:`FrozenGreens.lead_data` (which costs two extra mode solves per energy). Nodes never
    sit on a threshold: thresholds are panel ends, where the mapped rule has no node."""
    greens.lead_data(e, check_band_edge=False)


def _integrate(func, e_min, e_max, points, tol, what):
    """∫ func over [e_min, e_max], panel by panel between the break points.

    Each panel [a, b] is mapped by E = a + (b − a)(3u² − 2u³), whose Jacobian 6u(1 − u)
    vanishes at both ends: the square-root behaviour of the integrands at lead band edges
    (and the 1/√ of ∂_E Σ there) becomes smooth for Gauss–Kronrod.
    """
    edges = [e_min, *points, e_max]
    total, error = 0.0, 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        def mapped(u, a=a, b=b):
            return func(a + (b - a) * u * u * (3 - 2 * u)) * (6 * (b - a) * u * (1 - u))
        value, err = quad_vec(mapped, 0.0, 1.0, epsabs=0.0, epsrel=tol, limit=4000,
                              norm="max")
        total, error = total + value, error + err
    scale = np.max(np.abs(total))
    if not np.all(np.isfinite(total)) or error > max(100 * tol * scale, 1e-13):
        raise ConvergenceError(f"The energy integral of {what} did not converge (estimated error "
                               f"{error:.3g} for values of size {scale:.3g}); loosen tol or check "
                               "for bound states / singular energies.")
    return total, error


class Coefficient:
    """A 3×3 LLG coefficient tensor.

    Attributes
    ----------
    value : ndarray (3, 3)
    error : float
        Estimated absolute quadrature error.
    equation : str
        Equation of the paper it implements.
    info : dict
        How it was computed (method, number of evaluations, parts).
    """

    def __init__(self, value, error, equation, info=None):
        self.value, self.error, self.equation = value, float(error), equation
        self.info = {} if info is None else info

    @property
    def symmetric(self):
        """(A + A^T)/2 (Eq. D3)."""
        return (self.value + self.value.T) / 2

    @property
    def antisymmetric(self):
        """(A − A^T)/2."""
        return (self.value - self.value.T) / 2

    def __repr__(self):
        return f"Coefficient(Eq. {self.equation}, value=\n{self.value!r})"


def _setup(greens, m, mu, kT, sites, onsite_values, e_min):
    mu, kT = _occupations(greens, mu, kT)
    m = greens.magnetization_array(m)
    xs = exchange_operators(greens, sites)
    window = _energy_window(greens, mu, kT, onsite_values, e_min)
    return m, mu, kT, xs, window


def _response(greens, m, *, mu, kT, sites, onsite_values, tol, e_min, power, what, part,
              reference=None):
    """``part`` ("real"/"imag") of ∫ dE/2π Tr[G^< X_i K X_j], K = G(1−∂Σ)G (power 2) or
    G(1−∂Σ)G(1−∂Σ)G (power 3).

    Only the part the coefficient needs is integrated, so that the convergence check of
    :func:`_integrate` compares the error with that part (the other one can be orders of
    magnitude larger near quasi-bound states). With ``reference=(μ_r, kT_r)`` the
    occupations are f_α − f(μ_r, kT_r) (the bias part of a split, supported near the μ_α).
    """
    m, mu, kT, xs, (lo, hi, points) = _setup(greens, m, mu, kT, sites, onsite_values, e_min)
    ref_mu = ref_kT = None
    if reference is not None:
        ref_mu = np.full(len(mu), float(reference[0]))
        ref_kT = np.full(len(mu), float(reference[1]))
        start = min(mu.min(), ref_mu[0]) - 40 * max(kT.max(), ref_kT[0])
        if start > lo:
            lo = start
            points = [p for p in points if lo < p < hi]
    pick = np.real if part == "real" else np.imag

    def integrand(e):
        fr = _Frozen(greens, e, m, onsite_values)
        if fr.labels.size == 0:
            return np.zeros(9)
        w = _fermi(e, mu, kT)
        if ref_mu is not None:
            w = w - _fermi(e, ref_mu, ref_kT)
        w = w[fr.labels]
        y = fr.psi
        k = len(w)
        z = fr.gf.solve(np.hstack([x @ y for x in xs]))
        for _ in range(power - 1):
            z = fr.gf.solve(fr.one_minus_dsigma(z))
        left = [x @ (y * w) for x in xs]       # X_i ψ f  (X Hermitian)
        t = np.array([[1j * np.vdot(left[i], z[:, j * k:(j + 1) * k]) for j in range(3)]
                      for i in range(3)]) / (2 * np.pi)
        return pick(t).ravel()

    value, err = _integrate(integrand, lo, hi, points, tol, what)
    return value.reshape(3, 3), err


def gilbert_damping(greens, m, *, mu, kT=0.0, sites=None, onsite_values=None, tol=1e-10,
                    e_min=None, method="split", max_points=6000):
    r"""Gilbert damping tensor, Eq. (19), in the project's sign convention.

    α_ij = −∫ dE/2π Re Tr[G_f^< X_i (−∂_E G_f^r) X_j],   X_i = ∂H/∂m_i

    (the paper's (JM)²/4 σ_i … σ_j with −∂_E G^r = G^r G^r in the wide-band limit; the overall
    minus converts the paper's −m × (α ṁ) to the project's + m × (α ṁ), docs/theory.md).
    As printed, Eq. (19) is half the damping of the exact response: the macrospin of
    :mod:`kwant_llg.macrospin` (γ = 1, field −⟨X⟩) is damped by **2 α** (tested against
    Eq. 30 and :mod:`kwant_llg.adiabatic`; 2 α_sym = α^BTB at T = 0).

    Two evaluations of the same integral (tested against each other):

    * ``method="split"`` (default): the equilibrium part, with every lead at the occupation
      of the lead with the lowest μ, as a Fermi-surface term plus a retarded-only Fermi-sea
      term on the complex contour (:mod:`kwant_llg.coefficients_sea`); the rest of a bias,
      Σ_α (f_α − f_ref) ψ_α ψ_α^†, on the real axis over the bias window only. Converges
      on large devices with quasi-bound states, where the real axis does not.
    * ``method="real-axis"``: the whole Fermi sea on the real axis with the scattering
      states ψ_α (adaptive Gauss–Kronrod, cheap per energy: one solve with the open
      channels); fine for dots and small ribbons, raises ConvergenceError where narrow
      resonances make the integrand spiky.

    Parameters
    ----------
    greens : FrozenGreens
    m : array_like (num_sites, 3) or callable
    mu, kT : float or sequence (one per lead)
        Chemical potentials and temperatures of the leads (bias: different μ_α).
    sites : sequence of int, optional
        Sites rotated together (default all: the uniform-rotation / macrospin tensor).
    tol : float
        Relative tolerance of the energy quadratures ("split": relative to the size of the
        Fermi-surface term).
    e_min : float, optional
        Lower end of the energy integral ("real-axis" default: the bottom of the lead bands
        or the Gershgorin bound of the spectrum; "split": a bound below the whole spectrum).
    method : {"split", "real-axis"}
    max_points : int
        Budget of contour points ("split").

    Returns
    -------
    Coefficient
        With ``info`` (dict: method, evaluations and, for "split", the Fermi-surface and
        Fermi-sea parts of the equilibrium tensor).
    """
    what = "the Gilbert damping (Eq. 19)"
    if method == "real-axis":
        t, err = _response(greens, m, mu=mu, kT=kT, sites=sites, onsite_values=onsite_values,
                           tol=tol, e_min=e_min, power=2, what=what, part="real")
        return Coefficient(-t, err, "19", info=dict(method=method))
    if method != "split":
        raise KwantLLGError(f"method must be 'split' or 'real-axis', got {method!r}.")
    from . import coefficients_sea as _split
    mu, kT = _occupations(greens, mu, kT)
    marr = greens.magnetization_array(m)
    ref = int(np.lexsort((kT, mu))[0])
    value, err, info = _split.equilibrium_gilbert_damping(
        greens, marr, mu=mu[ref], kT=kT[ref], sites=sites, onsite_values=onsite_values,
        tol=tol, e_min=e_min, max_points=max_points)
    info.update(method=method, reference_lead=ref)
    if np.ptp(mu) > 0 or np.ptp(kT) > 0:
        t, bias_err = _response(greens, marr, mu=mu, kT=kT, sites=sites,
                                onsite_values=onsite_values, tol=tol, e_min=None, power=2,
                                what=what + ", bias window", part="real",
                                reference=(mu[ref], kT[ref]))
        value, err = value - t, err + bias_err
        info.update(bias=-t)
    return Coefficient(value, err, "19", info=info)


def inertia_tensor(greens, m, *, mu, kT=0.0, sites=None, onsite_values=None, tol=1e-10,
                   e_min=None):
    r"""Inertia tensor, Eq. (22), in the project's sign convention.

    ᾱ_ij = −2 ∫ dE/2π Im Tr[G_f^< X_i K₃ X_j],  K₃ = G^r (1 − ∂_E Σ) G^r (1 − ∂_E Σ) G^r

    (the paper's (JM)²/2 σ_i (G^r)³ σ_j; K₃ = (G^r)³ in the wide-band limit). With it the
    low-frequency damping of Eq. (30) is α̃(ω) = α̃(0) + 2iω α + ω² ᾱ + O(ω³) in the
    wide-band limit (docs/theory.md); ᾱ enters the macrospin LLG as it is.
    """
    t, err = _response(greens, m, mu=mu, kT=kT, sites=sites, onsite_values=onsite_values,
                       tol=tol, e_min=e_min, power=3, what="the inertia tensor (Eq. 22)",
                       part="imag")
    return Coefficient(-2 * t, 2 * err, "22")


def _two_energy(greens, m, omega, *, mu, kT, left, right, onsite_values, tol, e_min, what):
    """i ∫ dE/2π Tr[G^<(E) L_i G^r(E+ω) R_j + G^a(E) L_i G^<(E+ω) R_j] (Eq. 30 form)."""
    mu, kT = _occupations(greens, mu, kT)
    m = greens.magnetization_array(m)
    lo, hi, points = _energy_window(greens, mu, kT, onsite_values, e_min)
    lo = lo - max(omega, 0.0)
    hi = hi + max(-omega, 0.0)
    points = sorted(set(points) | {p - omega for p in points if lo < p - omega < hi})

    def integrand(e):
        a = _Frozen(greens, e, m, onsite_values)
        psi_a, fa = a.psi, _fermi(e, mu, kT)[a.labels]
        b = _Frozen(greens, e + omega, m, onsite_values)
        psi_b, fb = b.psi, _fermi(e + omega, mu, kT)[b.labels]
        # term 1: i Σ_c f_c(E) ψ_c(E)† L_i G^r(E+ω) R_j ψ_c(E)
        ka, kb = psi_a.shape[1], psi_b.shape[1]
        g1 = b.gf.solve(np.hstack([r @ psi_a for r in right])) if ka else None
        a = _Frozen(greens, e, m, onsite_values)      # refactorise at E
        # term 2: Tr[G^a(E) L_i G^<(E+ω) R_j] = i Σ_c f_c ψ'_c† R_j G^a(E) L_i ψ'_c
        #       = i Σ_c f_c (G^r(E) R_j ψ'_c)† L_i ψ'_c
        g2 = a.gf.solve(np.hstack([r @ psi_b for r in right])) if kb else None
        t = np.zeros((3, 3), dtype=complex)
        for i in range(3):
            for j in range(3):
                if ka:
                    t[i, j] += 1j * np.vdot(left[i] @ (psi_a * fa), g1[:, j * ka:(j + 1) * ka])
                if kb:
                    t[i, j] += 1j * np.vdot(g2[:, j * kb:(j + 1) * kb], left[i] @ (psi_b * fb))
        t = 1j * t / (2 * np.pi)
        return np.concatenate([t.real.ravel(), t.imag.ravel()])

    value, err = _integrate(integrand, lo, hi, points, tol, what)
    return value[:9].reshape(3, 3) + 1j * value[9:].reshape(3, 3), err


def dynamic_damping(greens, m, omega, *, mu, kT=0.0, sites=None, onsite_values=None,
                    tol=1e-10, e_min=None):
    r"""Frequency-dependent damping kernel α̃(ω), Eq. (30) (paper's sign, project operators).

    α̃_ij(ω) = i ∫ dE/2π Tr[G_0^<(E) X_i G_0^r(E+ω) X_j + G_0^a(E) X_i G_0^<(E+ω) X_j]

    (the paper's (i/4)(JM)² σ … σ). Complex in general. Its expansion (docs/theory.md):
    α̃(ω) = α̃(0) + 2iω α + ω² ᾱ + O(ω³) with α, ᾱ of :func:`gilbert_damping` and
    :func:`inertia_tensor` (project signs; exact in ω for the first order, wide-band limit
    for the second). In the project's signs the electron field at frequency ω is
    h(ω) = −⟨X⟩(ω) = +α̃(ω) m(ω) (δ⟨X⟩ = −α̃ m; the paper's Eq. 29 has −α̃ m with its
    H_eff = +δH/δM), i.e. h = α̃(0) m − 2α ṁ − ᾱ m̈ + … .
    """
    omega = float(omega)
    if not np.isfinite(omega):
        raise KwantLLGError(f"omega must be finite, got {omega!r}.")
    xs = exchange_operators(greens, sites)
    t, err = _two_energy(greens, m, omega, mu=mu, kT=kT, left=xs, right=xs,
                         onsite_values=onsite_values, tol=tol, e_min=e_min,
                         what="the dynamic damping (Eq. 30)")
    return Coefficient(t, err, "30")


def eta_tensor(greens, m, *, mu, kT=0.0, sites=None, onsite_values=None, tol=1e-10,
               e_min=None):
    r"""The η tensor of Eq. (B5): −ds_D^(0)/dt = −η ṁ.

    η_ij = −(i/2) ∫ dE/2π Tr[G^< S_i G^r X_j + G^a S_i G^< X_j],  S_i = Σ_s σ_i,

    i.e. η_ij = ∂s_{D,i}/∂m_j of the frozen spin density s_D = ⟨σ⟩/2 on ``sites`` (default: the
    sites with exchange; the
    paper's (iJM/4) Tr[… σ … σ] with the opposite sign: first-order perturbation theory of
    Eq. (14), δG^< = G^r δH G^< + G^< δH G^a, gives ds_D/dt = +η ṁ with this η, so the printed
    middle member of Eq. (B5) has a sign slip; docs/theory.md). Real up to quadrature error;
    returned as its real part. On a dot with one J, η = −α̃(0)/(2J).
    """
    xs = exchange_operators(greens, sites)
    if sites is None:       # the magnetic sites (the dot's levels, not its lead contacts)
        sites = np.flatnonzero(np.abs(greens.exchange).reshape(greens.num_sites, -1).max(1))
    ss = spin_operators(greens, sites)
    t, err = _two_energy(greens, m, 0.0, mu=mu, kT=kT, left=ss, right=xs,
                         onsite_values=onsite_values, tol=tol, e_min=e_min,
                         what="the η tensor (Eq. B5)")
    return Coefficient(-t.real / 2, err / 2, "B5")


def effective_gyromagnetic_ratio(eta, gamma=1.0):
    """γ' = γ (1 + η)^{-1} of Eq. (B5) (a 3×3 matrix; η a Coefficient or array)."""
    eta = np.asarray(getattr(eta, "value", eta), dtype=float)
    if eta.shape != (3, 3):
        raise KwantLLGError(f"eta must be 3×3, got shape {eta.shape}.")
    mat = np.eye(3) + eta
    if np.linalg.cond(mat) > 1e12:
        raise KwantLLGError("1 + η is singular: no effective gyromagnetic ratio.")
    return gamma * np.linalg.inv(mat)


# Spin density, its time-reversal split and the torque (Eqs. 11, 13, 14) live in
# :mod:`kwant_llg.spin_response` (they reuse the real-axis machinery above).
from .spin_response import (SpinDensity, spin_density, time_reversal_split,  # noqa: E402
                            SpinTorque, spin_torque)
