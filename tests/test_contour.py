"""Fermi-sea (contour) integration: quadrature rule, equilibrium density, bias window.

Tolerances are stated per test. The reference calculations are independent of the
contour: real-axis quadratures of the scattering-state density (Eq. 33 with
G^< = Σ_α i f_α G^r Γ_α G^a) or of G^r(E + iη), and closed-form integrals.
"""

import numpy as np
import pytest
import kwant
import scipy.special as ss

import kwant_llg as kl
from kwant_llg import contour as ct

SIGMA_0 = np.eye(2)


# ----------------------------------------------------------------- systems
@pytest.fixture(scope="module")
def skyrmion():
    """The seed device, 6×5 sites, with a skyrmion; it has bound states below the leads' band."""
    fsyst = kl.devices.skyrmion_device(6, 5).finalized()
    greens = kl.FrozenGreens(fsyst, params=kl.devices.seed_params())
    return greens, kl.textures.skyrmion(fsyst, (2.5, 2.0), 1.5)


def _repulsive_system(seed=3, L=4, W=3):
    """Random texture on a potential that is >= 0 everywhere (no bound states below the band).

    Onsite (4t + J + u_i) σ0 + J σ·m_i with 0 <= u_i <= 0.5: H − H_clean >= 0, so the
    spectrum starts at the band bottom of the clean strip; the scattering states then
    carry the whole density below μ (disorder makes bound states in the continuum
    non-generic). Leads: onsite 4t, hopping −t, width W, subband thresholds
    4 − 2cos(nπ/(W+1)) ∓ 2t.
    """
    rng = np.random.default_rng(seed)
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()
    u = {(x, y): 0.5 * rng.random() for x in range(L) for y in range(W)}

    def onsite(site, t, J, m):
        return (4 * t + J + u[tuple(site.tag)]) * SIGMA_0 + kl.devices.exchange_onsite(m(site), J)

    syst[(lat(x, y) for x in range(L) for y in range(W))] = onsite
    syst[lat.neighbors()] = lambda s1, s2, t: -t * SIGMA_0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(W))] = lambda site, t: 4 * t * SIGMA_0
    lead[lat.neighbors()] = lambda s1, s2, t: -t * SIGMA_0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    fsyst = syst.finalized()
    m = rng.normal(size=(len(fsyst.sites), 3))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    greens = kl.FrozenGreens(fsyst, params=dict(t=1.0, J=1.0))
    kk = np.pi * np.arange(1, W + 1) / (W + 1)
    thresholds = np.sort(np.concatenate([4 - 2 * np.cos(kk) - 2, 4 - 2 * np.cos(kk) + 2]))
    return greens, m, thresholds


@pytest.fixture(scope="module")
def repulsive():
    return _repulsive_system()


def _real_axis_density(greens, m, mu, kT, thresholds, n=80):
    """Σ_α ∫ f(E) (1/2π) Tr[σ G^r Γ_α G^a] dE on the real axis (the scattering states).

    Intervals split at the subband thresholds and at μ; on each, E = (a+b)/2 − (b−a)/2 cos(πs)
    makes the square-root threshold behaviour analytic in s, so Gauss–Legendre in s
    converges exponentially.
    """
    top = mu + ct.TAIL * kT
    cuts = np.unique(np.concatenate([thresholds[thresholds < top], [mu, top]]))
    cuts = cuts[cuts >= thresholds[0]]
    x, w = np.polynomial.legendre.leggauss(n)
    s, ws = 0.5 * (x + 1), 0.5 * w
    spin, charge = 0.0, 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        energies = 0.5 * (a + b) - 0.5 * (b - a) * np.cos(np.pi * s)
        jac = 0.5 * (b - a) * np.pi * np.sin(np.pi * s)
        for e, wk in zip(energies, ws * jac * ct.fermi(energies, mu, kT)):
            sol = greens.solve(m, e)
            spin = spin + wk * sol.spin_density()
            charge = charge + wk * sol.ldos()
    return spin, charge


# ------------------------------------------------------------- pure parts
def test_fermi_values_and_overflow():
    with np.errstate(all="raise"):
        f = ct.fermi(np.array([-1e6, -1.0, 0.5, 2.0, 1e6]), 0.5, 1e-3)
    assert np.array_equal(f, [1.0, 1.0, 0.5, 0.0, 0.0])
    assert ct.fermi(0.3, 0.0, 0.1) == pytest.approx(1 / (np.exp(3) + 1), rel=1e-14)
    assert np.array_equal(ct.fermi([-1, 0, 1], 0, 0), [1, 0.5, 0])
    assert ct.fermi(0.2, 0.5, 0.0) == 1.0


def _exact_fermi_integral(e_min, mu, kT, a):
    """∫_{E_min}^∞ f(E)/(E − a) dE for Im a < 0 in closed form (up to exp(−(μ−E_min)/kT)).

    Over the real line, ∫ [f − θ(μ−E)]/(E − a) dE = ψ(1/2 + x) − log x, x = iβ(a−μ)/2π.
    """
    principal = np.log(mu - a) - np.log(e_min - a)
    if kT == 0:
        return principal
    x = 1j * (a - mu) / (2 * np.pi * kT)
    return principal + ss.psi(0.5 + x) - np.log(x)


@pytest.mark.parametrize("kT", [0.0, 1e-3, 0.02, 0.1])
def test_quadrature_is_exact_for_analytic_functions(kT):
    """Σ w_k F(z_k) equals ∫ f F dE for F analytic in the upper half plane: 1e-10 absolute."""
    e_min, mu = -3.0, 1.9
    poles = np.array([1.5 - 0.3j, 1.95 - 0.05j, -2.0 - 0.5j, 4.0 - 0.2j])
    z, w = ct.fermi_quadrature(e_min, mu, kT, n_points=160)
    assert np.all(z.imag > 0)
    for a in poles:
        assert abs(np.sum(w / (z - a)) - _exact_fermi_integral(e_min, mu, kT, a)) < 1e-10
    # F = 1: ∫ f dE = kT log(1 + exp((μ − E_min)/kT)) (= μ − E_min at kT = 0)
    exact = mu - e_min if kT == 0 else kT * np.logaddexp(0, (mu - e_min) / kT)
    assert abs(np.sum(w) - exact) < 1e-10
    if kT > 0:     # the last nodes are the Matsubara poles with weight −2πi kT
        n_poles = int(round(np.sum(np.isclose(w, -2j * np.pi * kT))))
        assert n_poles >= 1
        assert np.allclose(z[-n_poles:], mu + 1j * np.pi * kT * (2 * np.arange(n_poles) + 1))


def test_quadrature_fixed_n_poles():
    z, w = ct.fermi_quadrature(-1.0, 0.0, 0.05, 100, n_poles=3)
    assert np.allclose(z[-3:].imag, np.pi * 0.05 * np.array([1, 3, 5]))
    a = 0.1 - 0.2j
    assert abs(np.sum(w / (z - a)) - _exact_fermi_integral(-1.0, 0.0, 0.05, a)) < 1e-10


# ------------------------------------------------------- equilibrium density
@pytest.mark.parametrize("kT", [0.0, 0.02])
def test_contour_rule_equals_real_axis_integral_of_shifted_greens(skyrmion, kT):
    """F = ∫ f(E) G^r(E + iη) dE on the real axis vs the contour rule: ρ agrees to 1e-9.

    G^r(z + iη) is analytic for Im z > −η, so the two are the same integral (Cauchy); the
    real-axis side is a dense Gauss–Legendre sum (panels of width 2η, 24 nodes).
    This holds with bound states present (the seed device has some below the band).
    """
    greens, m = skyrmion
    eta, mu = 0.1, 1.9
    e_min = ct._default_e_min(greens, None)
    z, w = ct.fermi_quadrature(e_min, mu, kT, n_points=64)
    f_contour = sum(wk * greens.greens_diagonal(zk + 1j * eta, m) for zk, wk in zip(z, w))
    top = mu + ct.TAIL * kT
    edges = np.unique(np.concatenate([np.arange(e_min, top, 2 * eta), [mu, top]]))
    x, wx = np.polynomial.legendre.leggauss(24)
    f_axis = 0
    for a, b in zip(edges[:-1], edges[1:]):
        energies = 0.5 * (a + b) + 0.5 * (b - a) * x
        weights = 0.5 * (b - a) * wx * ct.fermi(energies, mu, kT)
        f_axis = f_axis + sum(wk * greens.greens_diagonal(e + 1j * eta, m)
                              for e, wk in zip(energies, weights))
    obs = ct._density_observables(ct._rho_from_f(f_contour))
    ref = ct._density_observables(ct._rho_from_f(f_axis))
    assert np.abs(obs - ref).max() < 1e-9


@pytest.mark.parametrize("kT", [0.0, 0.05])
def test_equilibrium_density_matches_scattering_states(repulsive, kT):
    """Contour vs real-axis Σ_α ∫ f G^rΓ_αG^a/2π without bound states: 1e-10 absolute.

    (Measured agreement: ~1e-14; the spin density itself is ~3e-2.)
    """
    greens, m, thresholds = repulsive
    mu = 1.2
    spin, charge = _real_axis_density(greens, m, mu, kT, thresholds)
    spin60, _ = _real_axis_density(greens, m, mu, kT, thresholds, n=60)
    assert np.abs(spin60 - spin).max() < 1e-10          # the reference has converged
    res = ct.equilibrium_density(greens, m, mu=mu, kT=kT, tol=1e-10)
    assert res.error < 1e-10
    assert np.abs(res.spin - spin).max() < 1e-10
    assert np.abs(res.charge - charge).max() < 1e-10
    assert np.abs(res.spin).max() > 1e-2               # not trivially zero
    assert np.allclose(res.s_d, res.spin / 2)


def test_temperature_dependence_is_sommerfeld(repulsive):
    """s(kT) − s(0) = (π²/6) kT² ∂_E s'(μ) + O(kT⁴), s' the spin LDOS: 1e-2 relative.

    Checks the kT → 0 limit (continuity at kT = 1e-6: 1e-9) and the kT² law.
    """
    greens, m, _ = repulsive
    mu = 1.2
    kw = dict(mu=mu, tol=1e-11)
    s0 = ct.equilibrium_density(greens, m, kT=0.0, **kw).spin
    assert np.abs(ct.equilibrium_density(greens, m, kT=1e-6, **kw).spin - s0).max() < 1e-9
    d1 = ct.equilibrium_density(greens, m, kT=0.01, **kw).spin - s0
    d2 = ct.equilibrium_density(greens, m, kT=0.02, **kw).spin - s0
    h = 1e-3
    deriv = (greens.solve(m, mu + h).spin_density()
             - greens.solve(m, mu - h).spin_density()) / (2 * h)
    sommerfeld = np.pi ** 2 / 6 * 0.01 ** 2 * deriv
    assert np.abs(d1 - sommerfeld).max() < 1e-2 * np.abs(sommerfeld).max()
    assert np.abs(d2 - 4 * d1).max() < 2e-2 * np.abs(d2).max()


def test_density_is_physical_and_independent_of_e_min(skyrmion):
    """Real spin, 0 <= n_i <= 2, |s_i| <= min(n_i, 2 − n_i); e_min drops out (1e-8)."""
    greens, m = skyrmion
    res = ct.equilibrium_density(greens, m, mu=1.9, kT=0.02, tol=1e-9)
    assert res.spin.dtype == float and res.charge.dtype == float
    assert res.spin.shape == (greens.num_sites, 3) and res.charge.shape == (greens.num_sites,)
    assert np.all(np.isfinite(res.spin)) and np.all(np.isfinite(res.charge))
    n, s = res.charge, np.linalg.norm(res.spin, axis=1)
    assert np.all(n > -1e-8) and np.all(n < 2 + 1e-8)
    assert np.all(s <= np.minimum(n, 2 - n) + 1e-8)
    lower = res.info["e_min"] - 1.5
    other = ct.equilibrium_density(greens, m, mu=1.9, kT=0.02, tol=1e-9, e_min=lower)
    assert other.info["e_min"] == lower
    assert np.abs(other.spin - res.spin).max() < 1e-8
    assert np.abs(other.charge - res.charge).max() < 1e-8


def test_full_and_empty_bands(skyrmion):
    """μ above the spectrum: 2 electrons and zero spin per site; μ below it: nothing (1e-9)."""
    greens, m = skyrmion
    lower, upper = ct.spectral_bounds(greens)
    assert (lower, upper) == pytest.approx((-2.0, 10.0))   # 4t ± (4t + J) and lead 4t ± 4t
    full = ct.equilibrium_density(greens, m, mu=upper + 1.0, kT=0.0, tol=1e-10)
    assert np.abs(full.charge - 2).max() < 1e-9 and np.abs(full.spin).max() < 1e-9
    empty = ct.equilibrium_density(greens, m, mu=lower - 0.05, kT=0.0, tol=1e-10)
    assert np.abs(empty.charge).max() < 1e-9 and np.abs(empty.spin).max() < 1e-9


def test_spectral_bounds_contain_spectrum():
    """Gershgorin bounds enclose the eigenvalues of H(m) for random textures."""
    from conftest import random_system
    fsyst, m, params = random_system(11, num_leads=3, ferromagnetic_leads=True)
    greens = kl.FrozenGreens(fsyst, params=params)
    lower, upper = ct.spectral_bounds(greens)
    rng = np.random.default_rng(0)
    for _ in range(3):
        m = rng.normal(size=m.shape)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
        h = fsyst.hamiltonian_submatrix(params=dict(params, m=kl.site_field(fsyst, m)))
        ev = np.linalg.eigvalsh(h)
        assert lower <= ev.min() and ev.max() <= upper


# ------------------------------------------------------------- bias window
def test_bias_window_zero_without_bias(skyrmion):
    greens, m = skyrmion
    neq = ct.nonequilibrium_spin_density(greens, m, mus=[1.9, 1.9], kT=0.02)
    assert neq.n_points == 0 and not neq.spin.any() and not neq.charge.any()
    eq = ct.equilibrium_density(greens, m, mu=1.9, kT=0.02, tol=1e-9)
    tot = ct.fermi_sea_spin_density(greens, m, mus=[1.9, 1.9], kT=0.02, tol=2e-9)
    assert np.array_equal(tot.spin, eq.spin) and np.array_equal(tot.charge, eq.charge)
    assert tot.info["nonequilibrium"].n_points == 0


@pytest.mark.parametrize("kT", [0.0, 0.03])
def test_bias_window_consistent_with_equilibrium(repulsive, kT):
    """Both leads' windows [μ1, μ2] add up to ρ_eq(μ2) − ρ_eq(μ1) (1e-8, no bound states).

    So the total with mus = (μ1, μ2) is the same whichever lead is the reference.
    """
    greens, m, _ = repulsive
    mu1, mu2 = 1.0, 1.4
    lead1 = ct.nonequilibrium_spin_density(greens, m, mus=[mu1, mu2], kT=kT, tol=1e-9)
    lead0 = ct.nonequilibrium_spin_density(greens, m, mus=[mu2, mu1], kT=kT, tol=1e-9)
    eq1 = ct.equilibrium_density(greens, m, mu=mu1, kT=kT, tol=1e-9)
    eq2 = ct.equilibrium_density(greens, m, mu=mu2, kT=kT, tol=1e-9)
    assert np.abs(lead0.spin + lead1.spin - (eq2.spin - eq1.spin)).max() < 1e-8
    assert np.abs(lead0.charge + lead1.charge - (eq2.charge - eq1.charge)).max() < 1e-8
    total = ct.fermi_sea_spin_density(greens, m, mus=[mu1, mu2], kT=kT, tol=2e-9)
    assert np.abs(total.spin - (eq2.spin - lead0.spin)).max() < 1e-8
    assert total.error <= 2e-9
    assert total.info["equilibrium"].info["mu"] == mu1


def test_small_bias_is_linear_response(skyrmion):
    """A window of width δ gives δ times the biased lead's scattering-state density (+ O(δ²))."""
    greens, m = skyrmion
    mu, delta = 1.9, 1e-4
    neq = ct.nonequilibrium_spin_density(greens, m, mus=[mu, mu + delta])
    ref = greens.solve(m, mu + delta / 2).spin_density(lead=1) * delta
    assert np.abs(neq.spin - ref).max() < 1e-3 * np.abs(ref).max()


# ------------------------------------------------------------- bad input
NPOINTS = r"n_points \(Gauss–Legendre nodes per panel\) must be an integer >= 2"

def test_bad_input_raises(skyrmion):
    greens, m = skyrmion
    eq = ct.equilibrium_density
    with pytest.raises(kl.KwantLLGError, match="temperature kT must be finite and >= 0"):
        eq(greens, m, mu=1.0, kT=-0.1)
    with pytest.raises(kl.KwantLLGError, match="temperature kT must be finite"):
        eq(greens, m, mu=1.0, kT=np.nan)
    with pytest.raises(kl.KwantLLGError, match="chemical potential mu must be finite"):
        eq(greens, m, mu=np.nan)
    with pytest.raises(kl.KwantLLGError, match="chemical potential mu must be a real number"):
        eq(greens, m, mu="high")
    with pytest.raises(kl.KwantLLGError, match="must lie below the chemical potential"):
        eq(greens, m, mu=1.0, e_min=1.0)
    with pytest.raises(kl.KwantLLGError, match=NPOINTS):
        eq(greens, m, mu=1.0, n_points=1)
    with pytest.raises(kl.KwantLLGError, match=NPOINTS):
        eq(greens, m, mu=1.0, n_points=2.5)
    with pytest.raises(kl.KwantLLGError, match="tol must be positive"):
        eq(greens, m, mu=1.0, tol=0)
    with pytest.raises(kl.KwantLLGError, match="tol must be positive"):
        eq(greens, m, mu=1.0, tol=np.nan)
    with pytest.raises(kl.KwantLLGError, match=r"n_poles .* must be an integer >= 1"):
        eq(greens, m, mu=1.0, kT=0.1, n_poles=0)
    with pytest.raises(kl.KwantLLGError, match="shape"):
        eq(greens, m[:-1], mu=1.0)
    with pytest.raises(kl.KwantLLGError, match="one chemical potential per lead"):
        ct.nonequilibrium_spin_density(greens, m, mus=[1.0])
    with pytest.raises(kl.KwantLLGError, match="lead chemical potential in mus must be finite"):
        ct.fermi_sea_spin_density(greens, m, mus=[1.0, np.inf])
    with pytest.raises(kl.KwantLLGError, match="temperature kT must be finite and >= 0"):
        ct.nonequilibrium_spin_density(greens, m, mus=[1.0, 1.1], kT=-1)
    with pytest.raises(kl.KwantLLGError, match="real energies"):
        ct.fermi(1 + 1j, 0.0, 0.1)
    with pytest.raises(kl.KwantLLGError, match="temperature kT must be finite and >= 0"):
        ct.fermi(1.0, 0.0, -0.1)
    with pytest.raises(kl.KwantLLGError, match="must lie below"):
        ct.fermi_quadrature(2.0, 1.0, 0.0)
    with pytest.raises(kl.KwantLLGError, match=NPOINTS):
        ct.fermi_quadrature(-1.0, 1.0, 0.0, n_points=0)


def test_unconverged_integral_raises(skyrmion):
    greens, m = skyrmion
    with pytest.raises(kl.ConvergenceError, match="raise max_points or n_points"):
        ct.equilibrium_density(greens, m, mu=1.9, tol=1e-14, n_points=4, max_points=60)
    with pytest.raises(kl.ConvergenceError, match="bias-window"):
        ct.nonequilibrium_spin_density(greens, m, mus=[1.0, 1.9], tol=1e-14, n_points=4,
                                       max_points=30)


def test_fixed_rule_and_public_names(skyrmion):
    """tol = inf: one panel per piece, no refinement; the names are exported."""
    greens, m = skyrmion
    res = ct.equilibrium_density(greens, m, mu=1.9, kT=0.02, n_points=8, tol=np.inf)
    assert res.n_points == 3 * (8 + 6) + res.info["n_poles"]
    assert res.error > 0
    for name in ct.__all__:
        assert getattr(kl, name) is getattr(ct, name)


def test_kronrod_rule_degrees():
    """The 15-point Kronrod rule integrates x^k exactly up to k = 22 (not 24), its embedded
    7-point Gauss rule up to 13 (not 14), and the Gauss nodes and weights are NumPy's."""
    from kwant_llg.contour import kronrod15
    x, wk, wg = kronrod15()
    exact = lambda k: 2.0 / (k + 1) if k % 2 == 0 else 0.0
    for k in range(23):
        assert abs(wk @ x ** k - exact(k)) < 1e-14
    assert abs(wk @ x ** 24 - exact(24)) > 1e-10
    for k in range(14):
        assert abs(wg @ x ** k - exact(k)) < 1e-14
    assert abs(wg @ x ** 14 - exact(14)) > 1e-6
    xg, wgg = np.polynomial.legendre.leggauss(7)
    np.testing.assert_allclose(x[1::2], xg, atol=1e-15)
    np.testing.assert_allclose(wg[1::2], wgg, atol=1e-15)
    assert np.all(wg[0::2] == 0)
