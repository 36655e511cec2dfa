"""Energy-integrated (Fermi-sea) densities at temperature kT >= 0 and lead biases.

The local spin density of Eqs. (14) and (33) of Xu et al., PRB 108, 144409 (2023),

    s_D(x) = −(i/2) ∫ dE/2π Tr_s[σ G^<(E)]_xx,

needs G^< integrated over all occupied energies. With lead chemical potentials μ_α and
μ_ref = min_α μ_α, the density matrix is an equilibrium part plus a bias window,

    ρ = ρ_eq(μ_ref) + Σ_α ∫ dE/2π (f_α − f_ref) G^r Γ_α G^a,                     (1)
    ρ_eq = (i/2π) (F − F^†),   F = ∫_{E_min}^{∞} f(E) G^r(E) dE                   (2)

(the part below E_min, the bottom of the spectrum, is Hermitian and drops out). F is
computed on a contour in the upper half plane, where G^r is analytic (Eq. A5):

* kT = 0: a half circle from E_min to μ;
* kT > 0: a circular arc from E_min to x_0 + iγ (x_0 = max(μ − 40kT, (E_min + μ)/2),
  γ = 2NπkT between two Matsubara poles), the line Im z = γ from x_0 to μ + 40kT (on it
  f(z) = f(Re z) as exp(iβγ) = 1; beyond, f < 5e-18), and the N Matsubara poles
  z_p = μ + i(2p + 1)πkT, p = 0 … N−1, enclosed by the real axis and that path. The
  residue of f at z_p is −kT, so each pole adds −2πi kT G^r(z_p).

Each piece is integrated with Gauss–Legendre panels, bisected adaptively until the
estimated error (n-point rule minus a coarser rule, per panel) is below ``tol``; the bias
window of (1) likewise on the real axis, from :meth:`FrozenGreens.solve`.

Spin densities are returned in units of ⟨σ⟩, Tr_s[σ ρ_ii], like everything in
kwant_llg; the paper's s_D of Eqs. (11), (14) and (33) is half of this (``.s_d``).
"""

import heapq
import itertools
from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ._common import SIGMA, ConvergenceError, KwantLLGError
from . import leads as _leads

__all__ = ["fermi", "fermi_quadrature", "spectral_bounds", "FermiSeaDensity",
           "equilibrium_density", "nonequilibrium_spin_density", "fermi_sea_spin_density"]

#: Fermi tails are cut at μ ± TAIL·kT, where f or 1 − f is below exp(−40) ≈ 4e-18.
TAIL = 40.0
#: Default accuracy target: absolute error of ⟨σ⟩ and of the charge per site.
DEFAULT_TOL = 1e-8


def fermi(energy, mu, kT):
    """Fermi–Dirac occupation f(E) = 1 / (exp((E − μ)/kT) + 1), overflow-safe.

    Parameters
    ----------
    energy : float or array_like of float
    mu, kT : float
        Chemical potential and temperature; kT = 0 gives the step θ(μ − E), f(μ) = 1/2.

    Returns
    -------
    float or ndarray
    """
    mu, kT = _check_mu_kT(mu, kT)
    if np.iscomplexobj(energy):
        raise KwantLLGError("fermi() takes real energies; on the contour kwant_llg evaluates "
                            "f(z) itself (see fermi_quadrature).")
    out = _fermi_real(np.asarray(energy, dtype=float), mu, kT)
    return out[()] if out.ndim == 0 else out


def _fermi_real(energy, mu, kT):
    """Vectorised f(E) without validation (``mu`` may be an array)."""
    if kT == 0:
        return np.where(energy < mu, 1.0, np.where(energy > mu, 0.0, 0.5))
    return expit(-(energy - mu) / kT)


def _fermi_complex(z, mu, kT):
    """f(z) for Re z <= μ, where |exp(β(z − μ))| <= 1 (no overflow)."""
    return 1.0 / (np.exp((z - mu) / kT) + 1.0)


def _check_real(value, what, *, nonnegative=False):
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise KwantLLGError(f"The {what} must be a real number, got {value!r}.") from exc
    if not np.isfinite(value) or (nonnegative and value < 0):
        extra = " and >= 0" if nonnegative else ""
        raise KwantLLGError(f"The {what} must be finite{extra}, got {value!r}.")
    return value


def _check_mu_kT(mu, kT):
    return _check_real(mu, "chemical potential mu"), _check_kT(kT)


def _check_kT(kT):
    return _check_real(kT, "temperature kT", nonnegative=True)


def _check_n_points(value, name="n_points (Gauss–Legendre nodes per panel)", minimum=2):
    number = isinstance(value, (int, float, np.integer, np.floating)) and value is not True
    if not (number and float(value).is_integer() and value >= minimum):
        raise KwantLLGError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_tol(tol):
    number = isinstance(tol, (int, float, np.integer, np.floating))
    if tol is not None and not (number and tol > 0):       # also rejects NaN
        raise KwantLLGError(f"tol must be positive (use np.inf for a fixed rule), got {tol!r}.")
    return DEFAULT_TOL if tol is None else float(tol)


#: A path s ↦ z(s), s in [a, b]; ``weight(s)`` returns (z(s), f(z) dz/ds).
_Segment = namedtuple("_Segment", "a b weight")


def _contour(e_min, mu, kT, n_poles=None):
    """Segments and Matsubara poles of the Fermi contour (module docstring, Eq. 2)."""
    mu, kT = _check_mu_kT(mu, kT)
    e_min = _check_real(e_min, "lower energy bound e_min")
    if not e_min < mu:
        raise KwantLLGError(
            f"e_min = {e_min!r} must lie below the chemical potential mu = {mu!r} (and below "
            "the whole spectrum of the system and its leads); use e_min=None for a safe bound.")
    if kT == 0:
        c, r = 0.5 * (e_min + mu), 0.5 * (mu - e_min)

        def arc0(s):
            e = np.exp(1j * np.pi * (1 - s))
            return c + r * e, -1j * np.pi * r * e
        return [_Segment(0.0, 1.0, arc0)], np.empty(0, complex), np.empty(0, complex)
    x0 = max(mu - TAIL * kT, 0.5 * (e_min + mu))
    if n_poles is None:
        gamma_target = min(TAIL * kT, max(mu - e_min, 2 * np.pi * kT))
        n_poles = max(1, int(round(gamma_target / (2 * np.pi * kT))))
    n_poles = _check_n_points(n_poles, "n_poles (Matsubara poles, kT > 0)", 1)
    gamma = 2 * np.pi * n_poles * kT
    # circle centred on the real axis through e_min and x0 + iγ
    c = ((x0 ** 2 + gamma ** 2) - e_min ** 2) / (2 * (x0 - e_min))
    r = c - e_min
    th1 = np.arctan2(gamma, x0 - c)

    def arc(s):
        th = np.pi + s * (th1 - np.pi)
        z = c + r * np.exp(1j * th)
        return z, _fermi_complex(z, mu, kT) * 1j * r * np.exp(1j * th) * (th1 - np.pi)

    def line(x):
        return x + 1j * gamma, _fermi_real(x, mu, kT).astype(complex)

    segments = [_Segment(0.0, 1.0, arc), _Segment(x0, mu, line),
                _Segment(mu, mu + TAIL * kT, line)]
    poles = mu + 1j * np.pi * kT * (2 * np.arange(n_poles) + 1)
    return segments, poles, np.full(n_poles, -2j * np.pi * kT)


def _panel_rule(seg, a, b, n):
    x, w = np.polynomial.legendre.leggauss(n)
    half = 0.5 * (b - a)
    z, fw = seg.weight(0.5 * (a + b) + half * x)
    return z, (half * w).reshape((-1,) + (1,) * (np.ndim(fw) - 1)) * fw


def fermi_quadrature(e_min, mu, kT=0.0, n_points=64, *, n_poles=None):
    """Complex nodes and weights for ∫_{E_min}^{∞} f(E) F(E) dE ≈ Σ_k w_k F(z_k).

    Converges (exponentially in n_points) for every F analytic in the upper half plane
    and continuous up to the real axis, such as F = G^r of Eq. (A5). Contour: see the
    module docstring.

    Parameters
    ----------
    e_min : float
        Start of the integral, below the spectrum of the system and its leads.
    mu, kT : float
        Chemical potential and temperature (>= 0).
    n_points : int
        Gauss–Legendre nodes on each piece (arc; line [x_0, μ]; line [μ, μ + 40kT]).
    n_poles : int, optional
        Matsubara poles N (kT > 0); default: γ = 2NπkT ≈ min(40kT, μ − e_min).

    Returns
    -------
    z, w : ndarray of complex
        Nodes (Im z > 0) and weights; the last N nodes are the poles, with weight −2πi kT.
    """
    n_points = _check_n_points(n_points)
    segments, poles, pole_w = _contour(e_min, mu, kT, n_poles)
    rules = [_panel_rule(s, s.a, s.b, n_points) for s in segments]
    z = np.concatenate([r[0] for r in rules] + [poles])
    w = np.concatenate([r[1] for r in rules] + [pole_w])
    return z, w


# 15-point Gauss–Kronrod rule and its embedded 7-point Gauss rule on [−1, 1] (Kronrod nodes
# from 1 down to 0; the Gauss nodes are every second one), as tabulated in QUADPACK (Piessens
# et al. 1983). The pair is exact for polynomials of degree 22 and 13 (tested).
_KRONROD_X = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.0])
_KRONROD_W = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714])
_GAUSS7_W = np.array([0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                      0.381830050505118944950369775488975, 0.417959183673469387755102040816327])


def kronrod15():
    """Nodes x (15,), Kronrod weights (15,) and embedded 7-point Gauss weights (15,; zero
    off the Gauss nodes) on [−1, 1]."""
    x = np.concatenate([-_KRONROD_X[:-1], _KRONROD_X[::-1]])
    wk = np.concatenate([_KRONROD_W[:-1], _KRONROD_W[::-1]])
    wg = np.zeros(15)
    wg[1::2] = np.concatenate([_GAUSS7_W[:-1], _GAUSS7_W[::-1]])
    return x, wk, wg


def _kronrod_panel(seg, a, b):
    x, wk, wg = kronrod15()
    half = 0.5 * (b - a)
    z, fw = seg.weight(0.5 * (a + b) + half * x)
    shape = (-1,) + (1,) * (np.ndim(fw) - 1)
    return z, (half * wk).reshape(shape) * fw, (half * wg).reshape(shape) * fw


def _integrate(segments, evaluate, contract, n, tol, max_points, what, *, rule="gauss",
               first_pass=None):
    """Adaptive panels on all segments; returns (value, error, evaluations).

    ``evaluate(z)`` gives the integrand at the nodes, ``contract(w, values)`` the real
    observable array Σ_k w_k values_k. With ``rule="gauss"`` the error of a panel is the
    largest difference between its n-point Gauss–Legendre rule and a coarser (3n/4)-point
    one (n + 3n/4 evaluations); with ``rule="kronrod"`` (n ignored) between the 15-point
    Gauss–Kronrod rule and its embedded 7-point Gauss rule (15 evaluations for a rule exact
    to degree 22; the estimate is the error of the 7-point rule, pessimistic for smooth
    integrands). Panels with the largest error are bisected until the sum of the errors is
    below ``tol``.

    ``first_pass(tasks)``, optional, computes the first panel of every segment at once (in
    whatever order of the nodes suits the integrand): ``tasks`` is a list of ``(z, (w_fine,
    w_coarse))``, and it returns ``[(Σ_k w_fine_k values_k, Σ_k w_coarse_k values_k), ...]``
    contracted like ``contract``.
    """
    m = max(1, (3 * n) // 4)
    count = 0
    heap = []
    ticket = itertools.count()

    def panel(k, a, b):
        nonlocal count
        if rule == "kronrod":
            z, wf, wc = _kronrod_panel(segments[k], a, b)
            vals = evaluate(z)
            count += len(z)
            fine = contract(wf, vals)
            err = float(np.abs(fine - contract(wc, vals)).max(initial=0.0))
        else:
            zf, wf = _panel_rule(segments[k], a, b, n)
            zc, wc = _panel_rule(segments[k], a, b, m)
            vals = evaluate(np.concatenate([zf, zc]))
            count += n + m
            fine = contract(wf, vals[:n])
            err = float(np.abs(fine - contract(wc, vals[n:])).max(initial=0.0))
        heapq.heappush(heap, (-err, next(ticket), k, a, b, fine))

    if first_pass is None:
        for k, seg in enumerate(segments):
            panel(k, seg.a, seg.b)
    else:
        tasks = []
        for seg in segments:
            if rule == "kronrod":
                z, wf, wc = _kronrod_panel(seg, seg.a, seg.b)
            else:
                zf, wf = _panel_rule(seg, seg.a, seg.b, n)
                zc, wc = _panel_rule(seg, seg.a, seg.b, m)
                z = np.concatenate([zf, zc])
                wf, wc = (np.concatenate([wf, np.zeros_like(wc)]),
                          np.concatenate([np.zeros_like(wf), wc]))
            tasks.append((z, (wf, wc)))
            count += len(z)
        for k, (seg, (fine, coarse)) in enumerate(zip(segments, first_pass(tasks))):
            err = float(np.abs(fine - coarse).max(initial=0.0))
            heapq.heappush(heap, (-err, next(ticket), k, seg.a, seg.b, fine))
    while True:
        error = sum(-p[0] for p in heap)
        if error <= tol:
            break
        if count + 2 * (15 if rule == "kronrod" else n + m) > max_points:
            raise ConvergenceError(
                f"The {what} did not converge: estimated error {error:.2e} > tol = {tol:.2e} "
                f"after {count} Green's-function evaluations (max_points = {max_points}). "
                "Fixes: raise max_points or n_points, loosen tol, use a higher temperature kT, "
                "or move the chemical potential away from a sharp resonance or band edge.")
        _, _, k, a, b, _ = heapq.heappop(heap)
        mid = 0.5 * (a + b)
        if not a < mid < b:
            raise ConvergenceError(f"The {what} did not converge: a panel shrank to machine "
                                   "precision at a singularity. Use kT > 0 or move the "
                                   "chemical potential away from it.")
        panel(k, a, mid)
        panel(k, mid, b)
    value = sum(p[5] for p in heap)
    return value, error, count


def _density_observables(blocks):
    """[s_x, s_y, s_z, n] per site from 2×2 blocks ρ_ii: Tr[σ^a ρ_ii] and Tr ρ_ii."""
    spin = np.einsum("axy,iyx->ia", SIGMA, blocks).real
    return np.concatenate([spin, np.einsum("ixx->i", blocks).real[:, None]], axis=1)


def _rho_from_f(f_blocks):
    """ρ_ii = (i/2π)(F_ii − F_ii^†), Eq. (2) of the module docstring."""
    return (0.5j / np.pi) * (f_blocks - np.conj(np.swapaxes(f_blocks, -1, -2)))


def _contract_greens(w, values):
    return _density_observables(_rho_from_f(np.einsum("k,kixy->ixy", w, values)))


def spectral_bounds(greens, *, onsite_values=None):
    """Gershgorin bounds (lower, upper) on the spectrum of the system with its leads.

    Valid for every unit magnetisation (see :func:`_exchange_bound`). Rows of the
    scattering region include their coupling to the leads; each lead's Bloch Hamiltonian
    h0 + v e^{ik} + h.c. is bounded row by row. ``onsite_values``: values of the declared
    onsite parameters (default: those of ``greens``). Returns (lower, upper).
    """
    static = greens.static.tocsr()
    diag = static.diagonal().real
    radius = np.asarray(abs(static).sum(axis=1)).ravel() - np.abs(static.diagonal())
    shift = _exchange_bound(greens.exchange)
    for name, value in greens._onsite_values(onsite_values).items():
        shift = shift + abs(value) * np.linalg.norm(greens.onsite_terms[name], ord=2,
                                                    axis=(-2, -1))
    radius += np.repeat(shift, 2)
    lower, upper = [], []
    for lead, iface in zip(greens.fsyst.leads, greens.fsyst.lead_interfaces):
        h0, v = _leads.lead_matrices(lead, params=greens.params)
        orbs = (2 * np.asarray(iface)[:, None] + np.arange(2)).ravel()
        np.add.at(radius, orbs, np.abs(v).sum(axis=0))      # coupling to the first lead cell
        rad = np.abs(h0).sum(axis=1) - np.abs(np.diag(h0)) + np.abs(v).sum(axis=1)
        rad[:v.shape[1]] += np.abs(v).sum(axis=0)
        lower.append(np.min(np.diag(h0).real - rad))
        upper.append(np.max(np.diag(h0).real + rad))
    lower.append(np.min(diag - radius))
    upper.append(np.max(diag + radius))
    return float(min(lower)), float(max(upper))


def _exchange_bound(exchange):
    """max over unit m of ||Σ_a m^a X_i^a||₂ per site, bounded by |c| + ||D||₂.

    A Hermitian 2×2 X_a = c_a σ_0 + Σ_b D_ab σ_b gives Σ_a m^a X_a eigenvalues
    c·m ± |Dᵀm|, so the bound is exact for X_a = J σ_a (it gives |J|).
    """
    c = 0.5 * np.einsum("iaxx->ia", exchange).real                       # (n, 3)
    d = 0.5 * np.einsum("iaxy,byx->iab", exchange, SIGMA).real          # (n, 3, 3)
    return np.linalg.norm(c, axis=1) + np.linalg.norm(d, ord=2, axis=(-2, -1))


def _default_e_min(greens, onsite_values):
    lower, upper = spectral_bounds(greens, onsite_values=onsite_values)
    return lower - 0.05 * (upper - lower) - 0.1


@dataclass(frozen=True)
class FermiSeaDensity:
    """Energy-integrated local densities of the scattering region.

    Attributes
    ----------
    spin : ndarray, shape (num_sites, 3)
        Tr_s[σ ρ_ii] in units of ⟨σ⟩ (the paper's s_D of Eqs. 14/33 is ``spin / 2``).
    charge : ndarray, shape (num_sites,)
        Electrons per site, Tr_s ρ_ii.
    error : float
        Estimated absolute error of every component (conservative: the coarser rule's
        deviation, summed over panels).
    n_points : int
        Green's-function evaluations (complex energies) or scattering solves (real ones).
    info : dict
        ``e_min``, ``n_poles``, ``mu`` or ``mus``, ``kT``; for :func:`fermi_sea_spin_density`
        also the parts ``equilibrium`` and ``nonequilibrium`` (FermiSeaDensity objects).
    """

    spin: np.ndarray
    charge: np.ndarray
    error: float
    n_points: int
    info: dict = field(default_factory=dict)

    @property
    def s_d(self):
        """The paper's s_D(x) of Eqs. (14) and (33): ``spin / 2`` (spin ħ/2 per electron)."""
        return 0.5 * self.spin


def _result(obs, error, count, info):
    return FermiSeaDensity(obs[:, :3].copy(), obs[:, 3].copy(), float(error), int(count), info)


def equilibrium_density(greens, m, *, mu, kT=0.0, n_points=24, e_min=None, tol=None,
                        max_points=20000, n_poles=None, onsite_values=None):
    """Equilibrium local spin and charge density, ρ_eq of Eq. (2) (module docstring).

    s_i^a = Tr_s[σ^a ρ_ii] with ρ_ii = (i/2π)(F_ii − F_ii^†), F = ∫ f(E) G^r(E) dE,
    integrated on a contour in the upper half plane. This is the quasistatic density of
    Eq. (14) (times 2, see ``FermiSeaDensity.s_d``) when all leads share the chemical
    potential μ. Bound states below μ are included (they are poles of G^r).

    Parameters
    ----------
    greens : FrozenGreens
    m : array_like (num_sites, 3) or callable
        Magnetisation texture.
    mu, kT : float
        Chemical potential and temperature (>= 0).
    n_points : int
        Gauss–Legendre nodes per panel (>= 2).
    e_min : float, optional
        Start of the contour, below the whole spectrum (default: :func:`spectral_bounds`
        minus a margin).
    tol : float, optional
        Absolute accuracy target for every component of spin and charge (default 1e-8);
        ``np.inf`` gives a fixed rule of one panel per contour piece.
    max_points, n_poles : int, optional
        Most Green's-function evaluations; Matsubara poles (see :func:`fermi_quadrature`).
    onsite_values : dict, optional
        Values of the onsite parameters declared in ``greens``.

    Returns
    -------
    FermiSeaDensity

    Raises
    ------
    KwantLLGError
        Bad input (kT < 0, non-finite μ, e_min >= μ, n_points < 2, tol <= 0).
    ConvergenceError
        If the estimated error exceeds ``tol`` after ``max_points`` evaluations.
    """
    n_points, tol = _check_n_points(n_points), _check_tol(tol)
    m = greens.magnetization_array(m)
    if e_min is None:
        e_min = _default_e_min(greens, onsite_values)
    segments, poles, pole_w = _contour(e_min, mu, kT, n_poles)
    mu, kT = _check_mu_kT(mu, kT)

    def evaluate(z):
        return np.array([greens.greens_diagonal(zk, m, onsite_values=onsite_values) for zk in z])

    obs, error, count = _integrate(segments, evaluate, _contract_greens, n_points, tol,
                                   max_points, "equilibrium (contour) integral")
    if len(poles):
        obs = obs + _contract_greens(pole_w, evaluate(poles))
        count += len(poles)
    return _result(obs, error, count, dict(mu=mu, kT=kT, e_min=float(e_min), n_poles=len(poles)))


def _check_mus(greens, mus):
    num_leads = len(greens.fsyst.leads)
    mus = np.array([_check_real(mu, "lead chemical potential in mus") for mu in np.ravel(mus)])
    if len(mus) != num_leads or num_leads == 0:
        raise KwantLLGError(f"mus must give one chemical potential per lead ({num_leads} "
                            f"leads), got {len(mus)}.")
    return mus


def nonequilibrium_spin_density(greens, m, *, mus, kT=0.0, n_points=24, tol=None,
                                max_points=4000, onsite_values=None):
    """Bias-window part of Eq. (1): Σ_α ∫ dE/2π (f_α − f_ref) Tr_s[σ G^r Γ_α G^a]_ii.

    Integrated on the real axis with adaptive Gauss–Legendre panels over
    [μ_ref, max μ_α] at kT = 0 (extended by ±40kT at kT > 0, split at every μ_α), from the
    scattering states of :meth:`FrozenGreens.solve` (Eq. 33 with
    G^< = Σ_α i f_α G^r Γ_α G^a). The reference is μ_ref = min_α μ_α.

    Parameters
    ----------
    greens, m, kT, n_points, tol, onsite_values
        As for :func:`equilibrium_density` (kT is the same in all leads).
    mus : sequence of float
        Chemical potential of every lead, in the order of ``fsyst.leads``.
    max_points : int
        Most scattering solves allowed.

    Returns
    -------
    FermiSeaDensity
        ``spin`` in units of ⟨σ⟩, ``charge`` the extra electrons per site. Errors are
        raised as by :func:`equilibrium_density`, and for ``mus`` of the wrong length.
    """
    n_points, tol = _check_n_points(n_points), _check_tol(tol)
    mus, kT = _check_mus(greens, mus), _check_kT(kT)
    m = greens.magnetization_array(m)
    mu_ref = mus.min()
    info = dict(mus=mus.tolist(), kT=kT)
    biased = np.flatnonzero(mus > mu_ref)
    if len(biased) == 0:
        return _result(np.zeros((greens.num_sites, 4)), 0.0, 0, info)
    points = np.unique(mus)
    if kT > 0:
        points = np.unique(np.concatenate([[mu_ref - TAIL * kT], points, [mus.max() + TAIL * kT]]))

    def weight(e):
        occ = _fermi_real(e[:, None], mus[None, biased], kT)
        return e, occ - _fermi_real(e, mu_ref, kT)[:, None]

    segments = [_Segment(a, b, weight) for a, b in zip(points[:-1], points[1:])]

    def evaluate(energies):
        out = np.empty((len(energies), len(biased), greens.num_sites, 4))
        for k, e in enumerate(energies):
            sol = greens.solve(m, e, onsite_values=onsite_values)
            out[k, :, :, :3] = sol.spin_density(lead=biased, per_lead=True)
            out[k, :, :, 3] = [sol.ldos(lead=a) for a in biased]
        return out

    obs, error, count = _integrate(segments, evaluate,
                                   lambda w, vals: np.einsum("ka,kaix->ix", w.real, vals),
                                   n_points, tol, max_points, "bias-window (real-axis) integral")
    return _result(obs, error, count, info)


def fermi_sea_spin_density(greens, m, *, mus, kT=0.0, n_points=24, e_min=None, tol=None,
                           max_points=20000, onsite_values=None):
    """Total local spin and charge density with biased leads, Eq. (1) (module docstring).

    ρ = ρ_eq(μ_ref) + bias window, μ_ref = min_α μ_α: the contour integral of
    :func:`equilibrium_density` plus :func:`nonequilibrium_spin_density`. Half of
    ``spin`` is the paper's s_D of Eq. (33) in the frozen (quasistatic) limit, Eq. (14).

    Parameters
    ----------
    greens, m, kT, n_points, e_min, max_points, onsite_values
        As for :func:`equilibrium_density` (``max_points`` applies to each part).
    mus : sequence of float
        Chemical potential of every lead.
    tol : float, optional
        Accuracy target of the total (default 1e-8), split equally between the parts.

    Returns
    -------
    FermiSeaDensity
        The total; ``info["equilibrium"]`` and ``info["nonequilibrium"]`` hold the parts.
    """
    tol = _check_tol(tol)
    mus = _check_mus(greens, mus)
    eq = equilibrium_density(greens, m, mu=mus.min(), kT=kT, n_points=n_points, e_min=e_min,
                             tol=tol / 2, max_points=max_points, onsite_values=onsite_values)
    neq = nonequilibrium_spin_density(greens, m, mus=mus, kT=kT, n_points=n_points,
                                      tol=tol / 2, max_points=max_points,
                                      onsite_values=onsite_values)
    info = dict(eq.info, mus=mus.tolist(), equilibrium=eq, nonequilibrium=neq)
    return FermiSeaDensity(spin=eq.spin + neq.spin, charge=eq.charge + neq.charge,
                           error=eq.error + neq.error, n_points=eq.n_points + neq.n_points,
                           info=info)
