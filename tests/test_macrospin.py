"""Macrospin LLG: exact precession, nutation frequency, energy balance, FMR Lorentzian,
switching threshold, restart."""

import pickle

import numpy as np
import pytest

from kwant_llg import macrospin as ms
from kwant_llg._common import KwantLLGError


def tilted(theta, phi=0.0):
    return np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])


@pytest.mark.parametrize("integrator, tol", [("rk4", 1e-9), ("midpoint", 2e-5)])
def test_damped_precession_exact(integrator, tol):
    # field along z, no anisotropy: φ(t) = γHt/(1+α²), tan(θ/2) = tan(θ0/2) e^{−αγHt/(1+α²)}
    H, alpha, th0 = 0.7, 0.1, 1.2
    s = ms.Macrospin(tilted(th0), field=(0, 0, H), alpha=alpha, dt=0.01, integrator=integrator)
    times = np.linspace(0.5, 20, 7)
    traj = s.trajectory(times)
    rate = H / (1 + alpha ** 2)
    theta = 2 * np.arctan(np.tan(th0 / 2) * np.exp(-alpha * rate * times))
    exact = np.array([tilted(a, b) for a, b in zip(theta, rate * times)])
    assert np.max(np.abs(traj - exact)) < tol
    assert np.max(np.abs(np.linalg.norm(traj, axis=1) - 1)) < 1e-12


def test_tensor_damping_equals_scalar():
    field = ms.UniaxialField(B=(0.1, 0, 0.4), K=0.3, axis=(0, 1, 1))
    a = ms.Macrospin(tilted(0.8, 0.3), field=field, alpha=0.07, dt=0.01)
    b = ms.Macrospin(tilted(0.8, 0.3), field=field, alpha=0.07 * np.eye(3), dt=0.01)
    assert np.max(np.abs(a.evolve(5).m - b.evolve(5).m)) < 1e-12


def test_alpha_update_modes():
    def alpha_of_m(m):                       # an m-dependent, positive-definite tensor
        return 0.05 * np.eye(3) + 0.1 * np.outer(m, m) + 0.05 * np.diag([1, 0, 0]) * m[2] ** 2

    field = ms.UniaxialField(B=(0, 0, 0.5), K=0.2)
    m0 = tilted(1.0)
    frozen = ms.Macrospin(m0, field=field, alpha=alpha_of_m, alpha_update="frozen", dt=0.02)
    fixed = ms.Macrospin(m0, field=field, alpha=alpha_of_m(m0), dt=0.02)
    assert np.array_equal(frozen.evolve(3).m, fixed.evolve(3).m)
    cont = ms.Macrospin(m0, field=field, alpha=alpha_of_m, dt=0.02).evolve(3).m
    step = ms.Macrospin(m0, field=field, alpha=alpha_of_m, alpha_update="step", dt=0.02).evolve(3).m
    # per-step update is first order in dt away from the continuous one; frozen differs at O(1)
    assert np.max(np.abs(cont - step)) < 5e-3
    assert np.max(np.abs(cont - frozen.m)) > 10 * np.max(np.abs(cont - step))


@pytest.mark.parametrize("tau, alpha", [(0.05, 0.02), (0.02, 0.1)])
def test_nutation_frequency(tau, alpha):
    # start at rest (v0 = 0) in a tilted position: precession + nutation with the exact
    # linear roots of τ s² + (α+i) s + γH = 0; ω_n = 1/τ + γH/(1+α²) + O(τ)
    H, th = 0.5, 0.01
    s = ms.Macrospin(tilted(th), field=(0, 0, H), alpha=alpha, inertia=tau, dt=tau / 25,
                     v0=(0, 0, 0))
    ts = np.arange(0, 40 * tau, tau / 25)
    traj = s.trajectory(ts)
    u = traj[:, 0] + 1j * traj[:, 1]
    sp, sn = ms.nutation_roots(field=H, alpha=alpha, inertia=tau)
    # remove the slow precession (amplitude by least squares), then measure the fast part
    # freely: frequency from the phase slope, decay rate from the log-amplitude slope
    basis = np.stack([np.exp(sp * ts), np.exp(sn * ts)], axis=1)
    coef = np.linalg.lstsq(basis, u, rcond=None)[0]
    fast = u - coef[0] * np.exp(sp * ts)
    omega_n = np.polyfit(ts, np.unwrap(np.angle(fast)), 1)[0]
    rate = np.polyfit(ts, np.log(np.abs(fast)), 1)[0]
    assert omega_n == pytest.approx(sn.imag, rel=1e-4)
    assert rate == pytest.approx(sn.real, rel=1e-3)
    assert -omega_n * tau == pytest.approx(1 + tau * H / (1 + alpha ** 2), rel=2 * tau ** 2)
    assert rate * tau == pytest.approx(-alpha, rel=0.05)
    assert np.max(np.abs(np.linalg.norm(traj, axis=1) - 1)) < 1e-14


def test_inertial_reduces_to_adiabatic():
    # τ → 0 with the adiabatic initial velocity: the inertial trajectory approaches Eq. (18)
    field = ms.UniaxialField(B=(0, 0, 0.3), K=0.2, axis=(1, 0, 0))
    ref = ms.Macrospin(tilted(0.7), field=field, alpha=0.1, dt=0.01).evolve(5).m
    errs = [np.max(np.abs(ms.Macrospin(tilted(0.7), field=field, alpha=0.1, inertia=tau,
                                       dt=tau / 10).evolve(5).m - ref))
            for tau in (0.02, 0.01)]
    assert errs[1] < 0.6 * errs[0] and errs[1] < 3e-3


@pytest.mark.parametrize("inertia", [None, 0.03])
def test_energy_decreases_under_damping(inertia):
    field = ms.UniaxialField(B=(0.2, 0, 0.1), K=0.5, axis=(0, 0, 1))
    dt = 0.02 if inertia is None else 0.002
    s = ms.Macrospin(tilted(1.4, 0.4), field=field, alpha=0.1, inertia=inertia, dt=dt)
    energies, norms = [], []
    for t in np.linspace(0, 20, 201):
        s.evolve(t)
        energies.append(s.energy())
        norms.append(np.linalg.norm(s.m))
    energies = np.array(energies)
    assert np.all(np.diff(energies) < 1e-12)
    assert energies[-1] < energies[0] - 0.2
    assert np.max(np.abs(np.array(norms) - 1)) < 1e-13


def test_inertial_energy_conserved_without_damping():
    field = ms.UniaxialField(B=(0.2, 0, 0.1), K=0.5)
    s = ms.Macrospin(tilted(2.0), field=field, inertia=0.05 * np.eye(3), dt=0.002, v0=(0.3, 0, 0))
    e0 = s.energy()
    drift = max(abs(s.evolve(t).energy() - e0) for t in np.linspace(0.5, 10, 20))
    assert drift < 1e-8


def test_fmr_lorentzian():
    # circular drive: steady-state cone amplitude |u| = |χ(ω)| h, Eq. (6) of the module
    H0, alpha, h = 1.0, 0.05, 2e-4
    omegas = np.array([0.8, 0.95, 1.0, 1.05, 1.2])
    amps = []
    for w in omegas:
        s = ms.Macrospin((0, 0, 1), field=ms.RotatingField((0, 0, H0), h, w), alpha=alpha,
                         dt=0.05)
        traj = s.trajectory(np.linspace(150, 150 + 2 * np.pi / w, 9))
        amps.append(np.mean(np.hypot(traj[:, 0], traj[:, 1])))
    expected = np.abs(ms.fmr_susceptibility(omegas, field=H0, alpha=alpha)) * h
    np.testing.assert_allclose(amps, expected, rtol=3e-3)
    # peak and half width from the same Lorentzian: centre ω0/(1+α²), HWHM αω0/(1+α²)
    fine = np.linspace(0.8, 1.2, 4001)
    chi2 = np.abs(ms.fmr_susceptibility(fine, field=H0, alpha=alpha)) ** 2
    above = fine[chi2 >= chi2.max() / 2]
    assert (above[-1] - above[0]) / 2 == pytest.approx(alpha * H0 / (1 + alpha ** 2), rel=2e-3)


@pytest.mark.parametrize("factor, switched", [(0.5, False), (2.0, True)])
def test_switching_threshold(factor, switched):
    K, alpha = 0.5, 0.05
    a_c = ms.switching_threshold(alpha=alpha, K=K)
    torque = ms.SpinTorque((0, 0, -1), damping_like=factor * a_c)
    s = ms.Macrospin(tilted(0.1), field=ms.UniaxialField(K=K), alpha=alpha, torque=torque,
                     dt=0.05)
    mz = s.evolve(300).m[2]
    assert (mz < -0.99) if switched else (mz > 0.99)


def test_restart_and_offgrid_evolve_bit_for_bit():
    field = ms.UniaxialField(B=(0, 0.1, 0.3), K=0.2)
    for inertia in (None, 0.05):
        ref = ms.Macrospin(tilted(1.0), field=field, alpha=0.05, inertia=inertia, dt=0.01)
        ref.evolve(2.0)
        s = ms.Macrospin(tilted(1.0), field=field, alpha=0.05, inertia=inertia, dt=0.01)
        s.evolve(0.737)
        s = pickle.loads(pickle.dumps(s))
        s.evolve(2.0)
        assert np.array_equal(s.m, ref.m)
        assert np.array_equal(s.velocity, ref.velocity)


def test_bad_input():
    with pytest.raises(KwantLLGError, match="unit vector"):
        ms.Macrospin((0, 0, 2), field=(0, 0, 1))
    with pytest.raises(KwantLLGError, match="alpha"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1), alpha=-0.1)
    with pytest.raises(KwantLLGError, match="positive semidefinite"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1), alpha=np.diag([0.1, -0.2, 0.1]))
    with pytest.raises(KwantLLGError, match="inertia"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1), inertia=0.0)
    with pytest.raises(KwantLLGError, match="rk4"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1), inertia=0.1, integrator="midpoint")
    with pytest.raises(KwantLLGError, match="alpha_update"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1), alpha_update="sometimes")
    s = ms.Macrospin(tilted(0.3), field=lambda t, m: np.full(3, np.nan))
    with pytest.raises(KwantLLGError, match="finite"):
        s.evolve(1)
    with pytest.raises(KwantLLGError, match="energy"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1)).energy()
    with pytest.raises(KwantLLGError, match="backwards"):
        ms.Macrospin((0, 0, 1), field=(0, 0, 1), time=1.0).evolve(0.5)


def test_kernel_response_gilbert_limit():
    # α̃(ω) = −iωα/γ (Eq. 7 without inertia) gives the Lorentzian of Eq. (6)
    omegas = np.linspace(0.5, 1.5, 11)
    for gamma in (1.0, 2.0):
        chi = ms.driven_susceptibility(omegas, field=0.6, gamma=gamma,
                                       alpha_tilde=lambda w: -1j * w * 0.07 / gamma)
        radius = np.abs((chi @ np.array([1, 1j]))[:, 0])
        expected = np.abs(ms.fmr_susceptibility(omegas, field=0.6, alpha=0.07, gamma=gamma))
        np.testing.assert_allclose(radius, expected, rtol=1e-12)
    # a tilted equilibrium direction and an isotropic kernel: same response
    chi_t = ms.driven_susceptibility(omegas, field=0.6, m0=(1, 1, 0),
                                     alpha_tilde=lambda w: -1j * w * 0.07 * np.eye(3))
    chi_z = ms.driven_susceptibility(omegas, field=0.6, alpha_tilde=lambda w: -1j * w * 0.07)
    np.testing.assert_allclose(chi_t, chi_z, atol=1e-12)


def test_kernel_response_matches_driven_inertial_macrospin():
    # α̃(ω) = (−iωα − ω²τ)/γ: the nonadiabatic form reproduces the steady state of the
    # inertial LLG under a circular drive (resonance pulled down by the inertia)
    H0, alpha, tau, h = 1.0, 0.08, 0.1, 2e-4
    for w in (0.85, 1.0):
        chi = ms.driven_susceptibility(w, field=H0,
                                       alpha_tilde=lambda x: -1j * x * alpha - x * x * tau)
        expected = abs((chi[0] @ np.array([1, 1j]))[0]) * h
        s = ms.Macrospin((0, 0, 1), field=ms.RotatingField((0, 0, H0), h, w), alpha=alpha,
                         inertia=tau, dt=0.025)
        traj = s.trajectory(np.linspace(120, 120 + 2 * np.pi / w, 5))
        assert np.mean(np.hypot(traj[:, 0], traj[:, 1])) == pytest.approx(expected, rel=3e-3)


def test_antidamping_only_on_request():
    anti = np.diag([-0.05, -0.05, 0.0])
    with pytest.raises(KwantLLGError, match="positive semidefinite"):
        ms.Macrospin(tilted(0.2), field=(0, 0, 1), alpha=anti)
    # with a negative damping the precession cone opens: tan(θ/2) grows as e^{+0.05 γHt/(1+α²)}
    s = ms.Macrospin(tilted(0.2), field=(0, 0, 1), alpha=lambda m: anti, allow_antidamping=True)
    assert np.arccos(s.evolve(10).m[2]) > 0.3


# ------------------------------------------------------------------ the dot's own torque
def _smm(polarization=0.8, axis=(0.0, 0.0, 1.0)):
    """One-level SMM (Fig. 1): source lead 0 ferromagnetic along `axis`, normal drain."""
    from kwant_llg import greens, molecule
    fsyst = molecule.molecule([0.0], gamma=(0.1, 0.1), polarization=(polarization, 0.0),
                              lead_axis=(axis, (0.0, 0.0, 1.0)), lead_hopping=10.0).finalized()
    return greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=0.3))


def test_current_driven_switching_with_the_dots_own_torque():
    # Uniaxial SMM (K, intrinsic α) at m ≈ +ẑ driven by the torque T(m) = J m × ⟨σ⟩ of its
    # frozen biased dot (μ = ±V/2). The linearised torque T_u = c u decides the stability of
    # +ẑ, Re s = Re[(2iK + c)/(1 − iα)]: below the threshold bias the tilt decays, above it
    # m switches to −ẑ (the spin-transfer torque of the +ẑ-polarised source lead).
    from kwant_llg import coefficients, torque
    g = _smm()
    K, alpha = 0.04, 0.05
    result = {}
    for V in (0.1, 0.4):
        tq = torque.MacrospinTorque(g, mu=(V / 2, -V / 2), num_angles=6, tol=1e-6)
        rate = tq.growth_rate(field=2 * K, alpha=alpha)
        spin = ms.Macrospin(tilted(0.05), field=ms.UniaxialField(K=K), alpha=alpha, torque=tq,
                            dt=0.25)
        traj = spin.trajectory(np.linspace(0, 800, 41))
        result[V] = rate, traj, tq
    assert result[0.1][0] < 0 < result[0.4][0]
    assert result[0.1][1][:, 2].min() > 0.99               # stays up below threshold
    assert result[0.4][1][-1, 2] < -0.99                   # switched above it
    for _, traj, _ in result.values():
        np.testing.assert_allclose(np.linalg.norm(traj, axis=1), 1, atol=1e-12)
    # the tabulated torque is the s_D torque: an off-grid direction against one direct
    # Fermi-sea spin density (Eq. 14), J m × ⟨σ⟩ summed over the dot (6 angles: ~1e-5)
    tq = result[0.4][2]
    mvec = tilted(2.0, 0.7)
    m = np.tile(mvec, (g.num_sites, 1))
    sigma = coefficients.spin_density(g, m, mu=(0.2, -0.2), tol=1e-9).sigma
    direct = torque.local_torque(g, m, sigma).sum(0)
    np.testing.assert_allclose(tq(0.0, mvec), direct, atol=5e-5 * abs(direct).max())
    assert abs(np.dot(direct, mvec)) < 1e-14


def test_dot_torque_without_bias_is_fieldlike():
    # in equilibrium the torque of the polarised lead on m is the exchange field only: no
    # dampinglike part along m × (m × ẑ) (that needs a current, Eq. 13)
    from kwant_llg import coefficients, torque
    g = _smm()
    mvec = tilted(0.8, 0.3)
    m = np.tile(mvec, (g.num_sites, 1))
    sigma = coefficients.spin_density(g, m, mu=0.0, tol=1e-10).sigma
    tq = torque.local_torque(g, m, sigma).sum(0)
    fieldlike = np.cross(mvec, [0, 0, 1.0])
    dampinglike = np.cross(mvec, fieldlike)
    assert abs(tq @ fieldlike) > 1e-3
    assert abs(tq @ dampinglike) < 1e-9 * abs(tq @ fieldlike)


def test_macrospin_torque_needs_rotational_symmetry():
    from kwant_llg import torque
    g = _smm(axis=(1.0, 0.0, 1.0))                         # source polarised off the axis
    with pytest.raises(KwantLLGError, match="symmetric"):
        torque.MacrospinTorque(g, mu=(0.1, -0.1), num_angles=2, tol=1e-6)
    with pytest.raises(KwantLLGError, match="num_angles"):
        torque.MacrospinTorque(g, mu=0.0, num_angles=1)
