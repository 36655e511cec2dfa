"""Microscopic LLG coefficients (Eqs. 11–30, B5, D1 of Xu et al., PRB 108, 144409)."""

import numpy as np
import pytest
import kwant

from kwant_llg import coefficients as co
from kwant_llg import devices, greens, molecule
from kwant_llg import scattering as sc
from kwant_llg._common import KwantLLGError

MU = 0.05


def _unit(theta, phi):
    return np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])


def _dot(n, seed, *, lead_hopping=20.0, polarization=(0.0, 0.0), J=0.4, B=(0, 0, 0)):
    rng = np.random.default_rng(seed)
    tso = rng.normal(size=(n, n)) * 0.2
    builder = molecule.molecule(rng.normal(size=n) * 0.3, t_so=tso - tso.T,
                                gamma=rng.uniform(0.05, 0.2, 2), polarization=polarization,
                                lead_axis=(rng.normal(size=3), rng.normal(size=3)),
                                couplings=rng.uniform(0.5, 1, (2, n)), lead_hopping=lead_hopping)
    fsyst = builder.finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J, B=B))
    m = np.tile(_unit(*rng.uniform(0, [np.pi, 2 * np.pi])), (len(fsyst.sites), 1))
    return g, m


def _fermi_surface_form(g, m, energy):
    """(1/8π) Tr[X_i A X_j A] with dense G^r (independent of the quadrature)."""
    gf = g.factorize(energy, m)
    gr = gf.solve(np.eye(gf.num_orbitals))
    a = 1j * (gr - gr.conj().T)
    xs = [x.toarray() for x in co.exchange_operators(g)]
    return np.array([[np.trace(xi @ a @ xj @ a).real for xj in xs] for xi in xs]) / (8 * np.pi)


@pytest.mark.parametrize("method", ["split", "real-axis"])
@pytest.mark.parametrize("n, seed, pol, B", [(1, 0, (0, 0), (0, 0, 0)),
                                             (3, 2, (0.5, -0.7), (0.05, 0.08, 0.1))])
def test_eq19_symmetric_part_is_btb_on_dots(n, seed, pol, B, method):
    g, m = _dot(n, seed, polarization=pol, B=B)
    alpha = co.gilbert_damping(g, m, mu=MU, tol=1e-10, method=method)
    btb = sc.btb_damping(g, m, MU)
    # Eq. (19) integrated over the Fermi sea vs the Fermi-surface S-matrix formula (D1)
    np.testing.assert_allclose(2 * alpha.symmetric, btb, rtol=1e-8, atol=1e-8 * abs(btb).max())
    np.testing.assert_allclose(alpha.symmetric, _fermi_surface_form(g, m, MU), rtol=1e-8,
                               atol=1e-8 * abs(btb).max())
    assert np.linalg.eigvalsh(alpha.symmetric).min() > -1e-10 * abs(btb).max()


@pytest.mark.parametrize("method", ["split", "real-axis"])
def test_eq19_symmetric_part_is_btb_on_textured_ribbon(method):
    fsyst = devices.skyrmion_device(3, 2, gates=None).finalized()
    g = greens.FrozenGreens(fsyst, params=dict(t=1.0, J=0.7))
    rng = np.random.default_rng(5)
    m = rng.normal(size=(len(fsyst.sites), 3))
    m /= np.linalg.norm(m, axis=1)[:, None]
    alpha = co.gilbert_damping(g, m, mu=1.6, tol=1e-10, method=method)
    btb = sc.btb_damping(g, m, 1.6)
    np.testing.assert_allclose(2 * alpha.symmetric, btb, rtol=1e-8, atol=1e-8 * abs(btb).max())
    # analytic ∂S (Fisher–Lee, ∂G = G X G) against central differences of kwant.smatrix
    fd = sc.btb_damping(g, m, 1.6, method="finite_difference", step=1e-5)
    np.testing.assert_allclose(fd, btb, rtol=1e-6, atol=1e-7 * abs(btb).max())
    # per-site tensor (one rotated site) is the same formula with X = J σ on that site
    a1 = co.gilbert_damping(g, m, mu=1.6, sites=[2], tol=1e-10, method=method)
    np.testing.assert_allclose(2 * a1.symmetric, sc.btb_damping(g, m, 1.6, sites=[2]),
                               rtol=1e-8, atol=1e-8 * abs(btb).max())


def test_single_level_closed_form():
    eps, J, gl, gr, t_lead = 0.1, 0.4, 0.1, 0.2, 20.0
    fsyst = molecule.molecule([eps], gamma=(gl, gr), lead_hopping=t_lead).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J))
    m = np.tile([0.0, 0.0, 1.0], (len(fsyst.sites), 1))
    alpha = co.gilbert_damping(g, m, mu=MU, tol=1e-10).value
    sigma = (gl + gr) * t_lead / 2 * molecule.chain_surface_greens(MU, t_lead)
    spectral = {s: -2 * (1 / (MU - eps - s * J - sigma)).imag for s in (1, -1)}
    # docs/theory.md: α_xx = α_yy = J² A₊A₋ / 4π, α_zz = J² (A₊² + A₋²) / 8π, α_xy^sym = 0
    axx = J ** 2 * spectral[1] * spectral[-1] / (4 * np.pi)
    azz = J ** 2 * (spectral[1] ** 2 + spectral[-1] ** 2) / (8 * np.pi)
    np.testing.assert_allclose([alpha[0, 0], alpha[1, 1], alpha[2, 2]], [axx, axx, azz],
                               rtol=1e-10)
    assert abs(alpha[0, 1] + alpha[1, 0]) < 1e-10 * axx
    # wide-band limit: A_s = Γ / ((μ − ε_s)² + Γ²/4)
    gam = gl + gr
    wbl = {s: gam / ((MU - eps - s * J) ** 2 + gam ** 2 / 4) for s in (1, -1)}
    assert abs(axx / (J ** 2 * wbl[1] * wbl[-1] / (4 * np.pi)) - 1) < 0.02


@pytest.mark.slow
def test_bias_and_temperature_change_damping():
    g, m = _dot(1, 3)
    eq = co.gilbert_damping(g, m, mu=MU, kT=0.0, tol=1e-4).value
    biased = co.gilbert_damping(g, m, mu=(MU + 0.1, MU - 0.1), tol=1e-4).value
    warm = co.gilbert_damping(g, m, mu=MU, kT=0.02, tol=1e-4).value
    assert np.all(np.isfinite(biased)) and np.all(np.isfinite(warm))
    assert abs(biased - eq).max() > 1e-4 * abs(eq).max()
    assert abs(warm - eq).max() > 1e-4 * abs(eq).max()


def test_bad_input():
    g, m = _dot(1, 0)
    with pytest.raises(KwantLLGError, match="Temperatures"):
        co.gilbert_damping(g, m, mu=MU, kT=-0.1)
    with pytest.raises(KwantLLGError, match="one per lead"):
        co.gilbert_damping(g, m, mu=(0.1, 0.2, 0.3))
    with pytest.raises(KwantLLGError, match="below the spectrum"):
        co.gilbert_damping(g, m, mu=-1e3)
    with pytest.raises(KwantLLGError, match="gamma"):
        molecule.molecule([0.0], gamma=(-0.1, 0.1))
    with pytest.raises(KwantLLGError, match="polarization"):
        molecule.molecule([0.0], polarization=(1.0, 0.0))
    with pytest.raises(KwantLLGError, match="antisymmetric"):
        molecule.molecule([0.0, 0.1], t_so=np.ones((2, 2)))
    with pytest.raises(KwantLLGError, match="method"):
        sc.btb_damping(g, m, MU, method="bogus")
    with pytest.raises(KwantLLGError, match="sites"):
        co.gilbert_damping(g, m, mu=MU, sites=[99])
    with pytest.raises(KwantLLGError, match="vanishes"):
        co.gilbert_damping(g, m, mu=MU, sites=[1])        # a contact site: no exchange


def _tangent_fd(func, m, h=1e-4):
    """Central differences of func(m) along the two tangents of the uniform m (unit norm kept)."""
    m0 = m[0]
    t1 = np.cross(m0, [1.0, 0.3, 0.1])
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(m0, t1)
    out = []
    for t in (t1, t2):
        vals = []
        for sgn in (1, -1):
            v = m0 + sgn * h * t
            vals.append(func(np.tile(v / np.linalg.norm(v), (len(m), 1))))
        out.append((vals[0] - vals[1]) / (2 * h))
    return np.array([t1, t2]), np.array(out)


@pytest.mark.slow
def test_dynamic_damping_low_frequency_and_eta():
    fsyst = molecule.molecule([0.1], gamma=(0.1, 0.2), lead_hopping=20.0).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=0.4))
    m = np.tile([np.sin(0.5), 0, np.cos(0.5)], (len(fsyst.sites), 1))
    alpha = co.gilbert_damping(g, m, mu=MU, tol=1e-8, method="real-axis").value
    inertia = co.inertia_tensor(g, m, mu=MU, tol=1e-8).value
    w = 1e-2
    at = {x: co.dynamic_damping(g, m, x, mu=MU, tol=1e-8).value for x in (-w, 0.0, w)}
    # α̃(ω) = α̃(0) + 2iωα + ω²ᾱ + O(ω³) (docs/theory.md); central differences, error O(ω²)
    first = (at[w] - at[-w]) / (2 * w)
    second = (at[w] + at[-w] - 2 * at[0.0]) / (2 * w * w)
    np.testing.assert_allclose(first, 2j * alpha, atol=3e-3 * abs(alpha).max())
    np.testing.assert_allclose(second, inertia, atol=1e-3 * abs(inertia).max())
    # η (Eq. B5) = ∂s_D/∂m, and = −α̃(0)/2J on the dot
    eta = co.eta_tensor(g, m, mu=MU, tol=1e-8).value
    np.testing.assert_allclose(eta, -at[0.0].real / (2 * 0.4), atol=1e-7)
    tangents, fd = _tangent_fd(lambda mm: co.spin_density(g, mm, mu=MU, tol=1e-9).sigma[:1]
                               .sum(0) / 2, m)
    np.testing.assert_allclose(fd, tangents @ eta.T, atol=1e-6)


def test_spin_torque_components():
    m = np.array([0.0, 0.0, 1.0])
    res = co.spin_torque(m, [0.3, -0.2, 0.5], 0.7, [1.0, 0.0, 0.4])
    np.testing.assert_allclose(res.torque, 0.7 * np.cross(m, [0.3, -0.2, 0.5]), atol=1e-15)
    # u⊥ = x̂: m × u = ŷ, m × (m × u) = −x̂
    assert res.fieldlike == pytest.approx(0.7 * 0.3) and res.dampinglike == pytest.approx(-0.7 * 0.2)
    with pytest.raises(KwantLLGError, match="parallel"):
        co.spin_torque(m, [1, 0, 0], 1.0, [0, 0, 2.0])


def test_spin_density_matches_kwant_ldos_integral():
    # Eq. (14) at one lead energy window: the real-axis integrand is Σ_α f_α ψ†σψ/2π, the same
    # as kwant.operator.Density(σ) summed over kwant.wave_function modes (checked at one energy)
    g, m = _dot(2, 4)
    fsyst = g.fsyst
    index = {s: i for i, s in enumerate(fsyst.sites)}
    params = dict(g.params, m=lambda site: m[index[site]])
    e = MU
    wf = kwant.wave_function(fsyst, e, params=params)
    ops = [kwant.operator.Density(fsyst, s, sum=True) for s in (co.SIGMA)]
    kw = np.array([sum(op(psi) for a in range(2) for psi in wf(a)) for op in ops]) / (2 * np.pi)
    fr = co._Frozen(g, e, m, None)
    psi = fr.psi.reshape(len(fsyst.sites), 2, -1)
    ours = np.einsum("sak,iab,sbk->i", psi.conj(), co.SIGMA, psi).real / (2 * np.pi)
    np.testing.assert_allclose(ours, kw, rtol=1e-9, atol=1e-12)
    # Eq. (13) split: without SOI and fields, time reversal is a symmetry of the equilibrium dot,
    # s(−m) = −s(m), so s^a vanishes and s^s is the whole density
    g1, m1 = _dot(1, 0)
    s_s, s_a = co.time_reversal_split(g1, m1, mu=MU, tol=1e-6)
    assert abs(s_a.sigma).max() < 1e-5 * abs(s_s.sigma).max()


# ------------------------------------------------------------------ exact wide-band leads
@pytest.fixture
def wide_band(monkeypatch):
    """Exact wide-band leads for the dot of `molecule`: the Kwant chain lead's self-energy on
    the contact site is replaced by Σ_c(E) = E − i t_lead, so the contact Green's function is the
    constant −i/t_lead and the dot sees Σ = −iΓ/2 at every energy (∂_EΣ_c = 1 exactly, hence
    the code's G(1 − ∂Σ)G and G(1 − ∂Σ)G(1 − ∂Σ)G are −∂_E G and ½∂²_E G of the dot)."""
    from kwant_llg import leads

    def make(t_lead):
        def selfenergy(lead, energy, *, params=None, check_band_edge=True, edge_delta=1e-9):
            return (complex(energy) - 1j * t_lead) * np.eye(2)
        monkeypatch.setattr(leads, "selfenergy", selfenergy)
        monkeypatch.setattr(leads.LeadSolver, "selfenergy",
                            lambda self, energy, **kwargs: selfenergy(None, energy))
        monkeypatch.setattr(co, "selfenergy_derivative_real",
                            lambda lead, energy, sigma, *, params=None: np.eye(2, dtype=complex))
    return make


def _one_level_inertia_closed_form(eps, J, gamma, mu, e_min):
    """ᾱ of one level in wide-band leads, m = ẑ, T = 0 (docs/theory.md): the integrals
    I_{ss'} = ∫_{e_min}^{μ} A_s g_{s'}³ dE by partial fractions, principal logarithms."""
    def cube_integral(a, b):                       # ∫ dE / ((E − a)(E − b)³)
        if a == b:
            prim = lambda e: -1 / (3 * (e - a) ** 3)                              # noqa: E731
        else:
            d = a - b
            prim = lambda e: ((np.log(e - a) - np.log(e - b)) / d ** 3          # noqa: E731
                              + 1 / (d * d * (e - b)) + 1 / (2 * d * (e - b) ** 2))
        return prim(mu) - prim(e_min)

    def integral(s, sp):                            # A_s = i(g_s − ḡ_s)
        a, b = eps + s * J - 0.5j * gamma, eps + sp * J - 0.5j * gamma
        return 1j * (cube_integral(a, b) - cube_integral(np.conj(a), b))

    xx = -J ** 2 / np.pi * sum(integral(s, -s).real for s in (1, -1))
    zz = -J ** 2 / np.pi * sum(integral(s, s).real for s in (1, -1))
    xy = J ** 2 / np.pi * sum(s * integral(s, -s).imag for s in (1, -1))
    return np.array([[xx, xy, 0], [-xy, xx, 0], [0, 0, zz]])


def test_single_level_inertia_closed_form(wide_band):
    eps, J, gl, gr, t_lead, e_min = 0.1, 0.4, 0.1, 0.2, 20.0, -30.0
    wide_band(t_lead)
    fsyst = molecule.molecule([eps], gamma=(gl, gr), lead_hopping=t_lead).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J))
    m = np.tile([0.0, 0.0, 1.0], (len(fsyst.sites), 1))
    inertia = co.inertia_tensor(g, m, mu=MU, e_min=e_min, tol=1e-12).value
    closed = _one_level_inertia_closed_form(eps, J, gl + gr, MU, e_min)
    np.testing.assert_allclose(inertia, closed, rtol=1e-10, atol=1e-10 * abs(closed).max())
    # the lower limit only cuts the 1/E⁵ tail: from −∞ the change is below 1e-6
    far = _one_level_inertia_closed_form(eps, J, gl + gr, MU, -1e8)
    assert abs(far - closed).max() < 1e-6 * abs(closed).max()
    assert closed[0, 0] > 0 and closed[2, 2] > 0        # stable nutation (project sign)


def test_single_level_inertia_chain_leads_approach_wide_band():
    # real Kwant chain leads: ᾱ → the wide-band closed form as t_lead grows, the deviation
    # falling as 1/t_lead (Σ(E) = −iΓ/2 + ΓE/4t_lead + …); measured 7.6e-4 at t_lead = 100
    eps, J, gl, gr = 0.1, 0.4, 0.1, 0.2
    closed = _one_level_inertia_closed_form(eps, J, gl + gr, MU, -1e8)
    dev = {}
    for t_lead in (50.0, 100.0):
        fsyst = molecule.molecule([eps], gamma=(gl, gr), lead_hopping=t_lead).finalized()
        g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J))
        m = np.tile([0.0, 0.0, 1.0], (len(fsyst.sites), 1))
        inertia = co.inertia_tensor(g, m, mu=MU, tol=1e-9).value
        dev[t_lead] = abs(inertia - closed).max() / abs(closed).max()
    assert dev[100.0] < 2e-3
    assert dev[50.0] / dev[100.0] == pytest.approx(2.0, rel=0.1)


def test_dynamic_damping_expansion_wide_band(wide_band):
    # docs/theory.md: α̃(ω) = α̃(0) + 2iω α + ω² ᾱ + O(ω³) with α = gilbert_damping (−Eq. 19)
    # and ᾱ = inertia_tensor (−Eq. 22); exact in the wide-band limit. Fourth-order
    # (Richardson) differences at h = 0.02: truncation ~ (h/Γ)⁴ ~ 2e-5.
    eps, J, gl, gr, t_lead, e_min = 0.1, 0.4, 0.1, 0.2, 100.0, -200.0
    wide_band(t_lead)
    fsyst = molecule.molecule([eps], gamma=(gl, gr), lead_hopping=t_lead).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J))
    m = np.tile([np.sin(0.5), 0, np.cos(0.5)], (len(fsyst.sites), 1))
    # the real-axis form: the same truncated energy range [e_min, μ] as Eqs. (22) and (30)
    alpha = co.gilbert_damping(g, m, mu=MU, e_min=e_min, method="real-axis").value
    inertia = co.inertia_tensor(g, m, mu=MU, e_min=e_min).value
    h = 0.02
    f = {k: co.dynamic_damping(g, m, k * h, mu=MU, e_min=e_min).value for k in (-2, -1, 0, 1, 2)}
    first = (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * h)
    second = (-f[2] + 16 * f[1] - 30 * f[0] + 16 * f[-1] - f[-2]) / (12 * h * h)
    np.testing.assert_allclose(first, 2j * alpha, atol=1e-4 * abs(alpha).max())
    np.testing.assert_allclose(second / 2, inertia, atol=1e-4 * abs(inertia).max())
    # the printed prefactors would give first = iα (Eq. 19 ↔ Eq. 30) — excluded at this accuracy
    assert abs(first - 1j * alpha).max() > 0.4 * abs(alpha).max()


def test_adiabatic_response_is_twice_eq19():
    # Independent route (kwant_llg.adiabatic, Fermi surface + contour Fermi sea, Apps. A/C):
    # for Ḣ = Σ_j X_j ṁ_j the first-order ⟨X_i⟩ is 2 α_ij ṁ_j with α = gilbert_damping, so the
    # electron field −⟨X⟩ gives the LLG damping m × (2α ṁ): the physical Gilbert damping of
    # the project's macrospin (γ = 1, field −∂⟨H⟩/∂m) is 2α = α^BTB at T = 0 (docs/theory.md).
    from kwant_llg import adiabatic
    fsyst = molecule.molecule([0.1], gamma=(0.1, 0.2), lead_hopping=20.0).finalized()
    J = 0.4
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J))
    m = np.tile([np.sin(0.5), 0, np.cos(0.5)], (len(fsyst.sites), 1))
    alpha = co.gilbert_damping(g, m, mu=MU, tol=1e-10).value
    mdot = np.array([0.3, -0.2, 0.1])
    pert = adiabatic.perturbation(g, m_dot=np.tile(mdot, (len(fsyst.sites), 1)))
    rho1 = adiabatic.first_order_density(g, m, pert.hdot, pert.sites, mu=MU, tol=1e-11)
    x1 = J * rho1.spin[0]                             # ⟨X⟩^(1) on the level (site 0)
    np.testing.assert_allclose(x1, 2 * alpha @ mdot, rtol=1e-7, atol=1e-8 * abs(x1).max())
