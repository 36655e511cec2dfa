"""tkwant electrons coupled to the LLG of the spins (kwant_llg.tdcoupled).

Small device (5×2, the seed's gates on columns 0 and 4, leads magnetised along +z so that no
state is bound below the lead band), a skyrmion-like texture, E_F = 0 (one open channel).
"""

import numpy as np
import pytest

tkwant = pytest.importorskip("tkwant", reason="tkwant (optional test dependency) is not "
                             "installed; scripts/setup.sh builds it")

from kwant_llg import devices, tdcoupled, tdref, textures
from kwant_llg._common import KwantLLGError
from kwant_llg.coupled import PumpedLLG
from kwant_llg.pumping import PumpDrive
from kwant_llg.spins import Anisotropy, DMI, Exchange, SpinLattice, Zeeman

from conftest import relaxed_electron_texture

EF = 0.0
L, W = 5, 2
QUAD = dict(refine=False, order=5)          # tkwant momentum quadrature (fast, same for all)
SMALL = dict(check_skyrmion=False)          # 5×2: the texture touches the boundary


def setup(omega=0.5, amplitude=0.5, switch_on=0.25):
    fsyst = devices.skyrmion_device(L, W, lead_magnetization=(0, 0, 1)).finalized()
    m = textures.skyrmion(fsyst, center=((L - 1) / 2, (W - 1) / 2), radius=1.5)
    drive = tdref.GateDrive(omega, {"V1": amplitude, "V2": amplitude},
                            phases={"V2": np.pi / 2}, switch_on=switch_on)
    return fsyst, SpinLattice.from_kwant(fsyst), m, drive


HAM = Exchange(1) + DMI(0.2) + Anisotropy(0.07)


def coupled(dt, *, frozen=False, tmax=100.0, **kw):
    fsyst, lat, m, drive = setup(**kw)
    return m, tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, drive=drive, energy=EF, alpha=0.4,
                                         dt=dt, params=devices.seed_params(), frozen=frozen,
                                         tmax=tmax, **QUAD, **SMALL)


def lead_current(fsyst, ref, lead, dt):
    """(I, I↑, I↓) into ``lead`` from a tdref.simulate result on a uniform grid: the current
    into its interface layer − d/dt of the layer's charge (second-order backward differences),
    and that displacement part."""
    layer = list(fsyst.lead_interfaces[lead])
    n = ref.charge_density[:, layer]
    sz = ref.spin_density[:, layer, 2]
    q = np.stack([n.sum(1), (n + sz).sum(1) / 2, (n - sz).sum(1) / 2], axis=1)
    dq = np.zeros_like(q)
    dq[1] = (q[1] - q[0]) / dt
    dq[2:] = (3 * q[2:] - 4 * q[1:-1] + q[:-2]) / (2 * dt)
    layer_current = np.concatenate([ref.current[:, lead, None], ref.current_spin[:, lead]],
                                   axis=1)
    return layer_current - dq, dq


def test_frozen_spins_equal_tdref_simulate():
    """(a) With the spins frozen the electrons see only the gate drive: ⟨σ⟩_i(t) and the
    charge equal tdref.simulate's on the same time grid with the same tmax. Asserted 1e-8.
    With tmax = 100 instead of 3 the two differ by the accuracy of tkwant's time-dependent
    boundary conditions (measured 2.4e-5), not by the coupling."""
    dt = 0.25
    times = np.arange(13) * dt
    m, state = coupled(dt, frozen=True, tmax=times[-1])     # tkwant's boundary conditions
    fsyst, _, _, drive = setup()                            # depend on tmax: same as simulate
    ref = tdref.simulate(fsyst, drive, EF, times, params=devices.seed_params(m=m),
                         tmax=times[-1], **QUAD)
    spin, charge = [state.spin_density.copy()], [state.charge_density.copy()]
    current = [state.pumped_current()]
    for t in times[1:]:
        state.evolve(t)
        spin.append(state.spin_density.copy())
        charge.append(state.charge_density.copy())
        current.append(state.pumped_current())
    assert np.array_equal(state.m, m)
    assert np.abs(ref.spin_density[-1] - ref.spin_density[0]).max() > 1e-2   # the drive acts
    np.testing.assert_allclose(spin, ref.spin_density, atol=1e-8, rtol=0)
    np.testing.assert_allclose(charge, ref.charge_density, atol=1e-8, rtol=0)
    expected, dq = lead_current(fsyst, ref, 1, dt)
    assert np.abs(dq).max() > 1e-3                     # the displacement part matters
    np.testing.assert_allclose(current, expected, atol=1e-8, rtol=0)
    obs = state.observables()
    assert set(obs) == set(tdcoupled.OBSERVABLES)
    assert obs["I_p"] == current[-1][0] and obs["t"] == pytest.approx(times[-1])
    # the initial state is an equilibrium: its current vanishes up to the quadrature error
    assert state.equilibrium_current == current[0]
    assert abs(state.equilibrium_current[0]) < 1e-2 * np.abs(current).max()


def test_dt_convergence_second_order():
    """(c) The coupled scheme (RK4 LLG with the electron field extrapolated linearly, tkwant
    with m(t) interpolated linearly) converges with order 2 in dt. Measured at t = 2 against
    dt = 0.025: errors 4.5e-3 (dt = 0.2), 1.0e-3 (0.1), 1.9e-4 (0.05); observed orders
    2.2 and 2.4. Asserted: orders between 1.6 and 3, |m_i| = 1 to 1e-12, and the texture
    moves by far more than the error."""
    ms = {}
    for dt in (0.2, 0.1, 0.05, 0.025):
        m0, state = coupled(dt)
        state.evolve(2.0)
        assert state.time == pytest.approx(2.0, abs=1e-12)
        assert np.abs(np.linalg.norm(state.m, axis=1) - 1).max() < 1e-12
        ms[dt] = state.m
    err = [np.abs(ms[dt] - ms[0.025]).max() for dt in (0.2, 0.1, 0.05)]
    orders = np.log2(np.array(err[:-1]) / np.array(err[1:]))
    assert np.all((orders > 1.6) & (orders < 3.0)), (err, orders)
    assert err[1] < 2e-3
    assert np.abs(ms[0.025] - m0).max() > 0.5


def test_pickle_replays_bit_for_bit():
    """A pickled TimeDependentLLG (constructor arguments + texture history; the tkwant state
    is rebuilt and the steps replayed on unpickling) continues exactly like the original:
    texture, densities and pumped current equal bit for bit after further steps."""
    import pickle
    _, state = coupled(0.2, tmax=3.0)
    state.evolve(1.0)
    copy = pickle.loads(pickle.dumps(state))
    assert copy.time == state.time and copy.num_steps == state.num_steps
    assert np.array_equal(copy.m, state.m)
    assert np.array_equal(copy.spin_density, state.spin_density)
    assert copy.pumped_current() == state.pumped_current()
    for s in (state, copy):
        s.evolve(2.0)
    assert np.array_equal(copy.m, state.m)
    assert np.array_equal(copy.spin_density, state.spin_density)
    assert copy.pumped_current() == state.pumped_current()
    assert np.abs(state.m - coupled(0.2)[0]).max() > 1e-2          # the texture moved
    with pytest.raises(KwantLLGError, match="tmax"):
        state.evolve(3.5)


def test_bad_input():
    fsyst, lat, m, drive = setup()
    kw = dict(energy=EF, alpha=0.4, dt=0.1, params=devices.seed_params(), **QUAD, **SMALL)
    with pytest.raises(KwantLLGError, match="GateDrive"):
        tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, drive="V1", **kw)
    with pytest.raises(KwantLLGError, match="dt"):
        tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, drive=drive, **{**kw, "dt": -1.0})
    with pytest.raises(KwantLLGError, match="m0"):
        tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m[:-1], drive=drive, **kw)
    bad = devices.skyrmion_device(L, W).finalized()          # non-magnetic leads: bound states
    with pytest.raises(KwantLLGError, match="bound state"):
        tdcoupled.TimeDependentLLG(bad, lat, HAM, m, drive=drive, **kw)
    state = tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, drive=drive, **kw)
    state.evolve(0.2)
    with pytest.raises(KwantLLGError, match="backwards"):
        state.evolve(0.1)


class _NormalizedStages(PumpedLLG):
    """PumpedLLG with its RK4 stages projected on |m_i| = 1: with ``equilibrium=True`` or
    ``torque="adiabatic"`` the contour integrals refuse the non-unit stage vectors."""

    def rhs(self, t, m, fields=None):
        return super().rhs(t, m / np.linalg.norm(m, axis=1, keepdims=True), fields)


def relaxed_texture(fsyst, lat, ham, tol=1e-8):
    return relaxed_electron_texture(fsyst, lat, ham, {"V1": 0.0, "V2": 0.0}, mu=EF, tol=tol,
                                    contour_tol=1e-10, max_iter=1000)


def test_slow_drive_approaches_adiabatic_trajectory():
    """(b) Over one pumping period from a relaxed canted texture (Zeeman field along x, leads
    along z), the exact trajectory approaches PumpedLLG's adiabatic one (first-order pumped
    density, Fermi surface + Fermi sea, plus the equilibrium density, same field −J⟨σ⟩) as
    ω_p → 0: max_t |m_td − m_ad| / max_t |m_ad − m0| measured 0.166 (ω_p = 0.4) and 0.078
    (ω_p = 0.2), i.e. ∝ ω_p (non-adiabatic density). γ = 0.1 keeps the spin motion slow: the
    magnetisation-velocity term J σ·ṁ, absent from PumpedLLG, is of the same order in ω_p as the
    pumped density (docs/theory.md); with γ = 1 the difference grows as ω_p decreases
    (measured rel. 0.38 at ω_p = 0.4, 1.8 at 0.2). Asserted: ratio of the relative differences
    < 0.65, the one at ω_p = 0.2 < 0.12, the texture moves by > 1e-3, |m_i| = 1 (1e-12)."""
    fsyst = devices.skyrmion_device(L, W, lead_magnetization=(0, 0, 1)).finalized()
    lat = SpinLattice.from_kwant(fsyst)
    ham = HAM + Zeeman((0.1, 0.0, 0.0))
    m0 = relaxed_texture(fsyst, lat, ham)
    assert np.abs(m0[:, 1]).max() > 0.1                     # canted, not collinear with the leads
    rel = []
    for omega in (0.4, 0.2):
        period, amp, gamma = 2 * np.pi / omega, 0.5, 0.1
        dt = period / 32
        ad = _NormalizedStages(fsyst, lat, ham, m0, drive=PumpDrive(amp, omega), energy=EF,
                               alpha=0.4, dt=dt, gamma=gamma, params=devices.seed_params(),
                               equilibrium=True, torque="adiabatic", check_skyrmion=False)
        drive = tdref.GateDrive(omega, {"V1": amp, "V2": amp}, phases={"V2": np.pi / 2},
                                switch_on=0)
        td = tdcoupled.TimeDependentLLG(fsyst, lat, ham, m0, drive=drive, energy=EF, alpha=0.4,
                                        dt=dt, gamma=gamma, params=devices.seed_params(),
                                        tmax=period, **QUAD, **SMALL)
        diff, motion = [], []
        for k in range(1, 9):
            ad.evolve(k * period / 8)
            td.evolve(k * period / 8)
            diff.append(np.abs(td.m - ad.m).max())
            motion.append(np.abs(ad.m - m0).max())
        assert np.abs(np.linalg.norm(td.m, axis=1) - 1).max() < 1e-12
        assert max(motion) > 1e-3
        rel.append(max(diff) / max(motion))
    assert rel[1] < 0.65 * rel[0], rel
    assert rel[1] < 0.12, rel


def test_velocity_term_follows_exact_precession():
    """(c) Magnetisation-velocity term (PumpedLLG(velocity=True), kwant_llg.velocity) against
    the exact electrons. Two spins on a chain (2×1, one open spin channel at E_F = 1, leads
    along z), tilted by 0.5 rad from z, precessing in a Zeeman field 0.1 ẑ with no spin damping
    (α = 0) and no gate drive: everything the electrons do to the spins is the equilibrium
    field −J⟨σ⟩^(0) plus the response to ṁ. Without the velocity term the adiabatic
    trajectory dephases from tkwant's (its precession frequency misses the renormalisation by
    the antisymmetric part of χ); with it the two agree. Measured max_t |m_td − m_ad| over
    t ≤ 20: 1.2e-2 with, 2.1e-1 without. Asserted: < 0.1 × the difference without, < 0.03,
    the precession advances by > 0.5 rad."""
    fsyst = devices.skyrmion_device(2, 1, gates=(0, 1), lead_magnetization=(0, 0, 1)).finalized()
    lat = SpinLattice.from_kwant(fsyst)
    ham = Exchange(1) + Zeeman((0.0, 0.0, 0.1))
    m0 = np.tile([np.sin(0.5), 0.0, np.cos(0.5)], (2, 1))
    energy, dt, t_end = 1.0, 0.25, 20.0
    ad = {v: PumpedLLG(fsyst, lat, ham, m0, drive=PumpDrive(0.0, 1.0), energy=energy,
                       alpha=0.0, dt=dt, params=devices.seed_params(), equilibrium=True,
                       torque="adiabatic", velocity=v, check_skyrmion=False)
          for v in (False, True)}
    td = tdcoupled.TimeDependentLLG(fsyst, lat, ham, m0, drive=None, energy=energy, alpha=0.0,
                                    dt=dt, params=devices.seed_params(), tmax=t_end,
                                    refine=False, order=10, **SMALL)
    diff = {False: 0.0, True: 0.0}
    for k in range(1, 9):
        td.evolve(k * t_end / 8)
        for v, state in ad.items():
            state.evolve(k * t_end / 8)
            diff[v] = max(diff[v], np.abs(td.m - state.m).max())
    angle = np.angle(complex(*td.m[0, :2]))
    assert abs(angle) > 0.5, angle
    assert diff[True] < 0.1 * diff[False], diff
    assert diff[True] < 0.03, diff


def test_refinement_during_the_run_follows_the_texture_history():
    """refine_every: tkwant's quadrature of the pumped current is refined during the run; the
    added one-body states are evolved from t = 0 through the recorded texture history
    (W(t) interpolates the history before the current step). Free texture, abrupt start,
    order 5, dt = 0.25, to t = 3 (the spins move by up to 1.1), refined every 0.1 period
    to 1e-4 (at t = 1.5 and 2.75); reference: order 20 without refinement. Measured at t = 3,
    unrefined / refined: |ΔI_p| 1.2e-2 / 1.4e-5, max |Δ⟨σ⟩| 1.2e-2 / 1.4e-3, max |Δm|
    1.4e-2 / 5.6e-3 (accumulated before the first refinement). With W(t) of the current
    step alone the added states miss the history: |Δ⟨σ⟩| 2.8e-2, |ΔI_p| 7e-4. Asserted:
    two refinements, |ΔI_p| < 1e-4, |Δ⟨σ⟩| < 4e-3 and below a quarter of the unrefined one;
    the history interpolation equals the recorded steps to 1e-14."""
    def run(order, **kw):
        fsyst, lat, m, drive = setup(switch_on=0)
        state = tdcoupled.TimeDependentLLG(
            fsyst, lat, HAM, m, drive=drive, energy=EF, alpha=0.4, dt=0.25,
            params=devices.seed_params(), tmax=4.0, refine=False, order=order, **SMALL, **kw)
        state.evolve(3.0)
        return state
    ref, plain = run(20), run(5)
    refined = run(5, refine_every=0.1, refine_tol=1e-4)
    assert refined.num_refinements == 2 and plain.num_refinements == 0
    d_plain = np.abs(plain.spin_density - ref.spin_density).max()
    d_refined = np.abs(refined.spin_density - ref.spin_density).max()
    assert d_refined < 4e-3 and d_refined < 0.25 * d_plain, (d_refined, d_plain)
    assert abs(refined.pumped_current()[0] - ref.pumped_current()[0]) < 1e-4
    assert refined.quadrature_error() < 1e-2 * plain.quadrature_error()
    ms = refined._ms
    for t in (0.1, 1.3, 2.6):
        k, w = int(t // 0.25), (t % 0.25) / 0.25
        expected = (1 - w) * ms[k] + w * ms[k + 1] - ms[0]
        np.testing.assert_allclose(refined._pert.delta_m(t), expected, atol=1e-14)


def test_quadrature_warning_and_record():
    """observables() records I_p_error (tdref.quadrature_error of the layer current) and
    warns once when it exceeds error_warn × the largest |I_p|: order 3 on the 5×2 device
    (estimate 0.02–0.08 against currents of 0.04) warns, order 20 with the default
    threshold does not (estimate ≤ 1.1e-3)."""
    fsyst, lat, m, drive = setup(switch_on=0)
    kw = dict(drive=drive, energy=EF, alpha=0.4, dt=0.25, params=devices.seed_params(),
              tmax=3.0, refine=False, **SMALL)
    coarse = tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, order=3, **kw)
    with pytest.warns(tdcoupled.QuadratureWarning, match="order=3"):
        for t in (1.0, 2.0, 3.0):
            coarse.evolve(t)
            obs = coarse.observables()
    assert obs["I_p_error"] == coarse.quadrature_error() > 1e-2
    fine = tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, order=20, **kw)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", tdcoupled.QuadratureWarning)
        for t in (1.0, 2.0, 3.0):
            fine.evolve(t)
            assert fine.observables()["I_p_error"] < 5e-3
    with pytest.raises(KwantLLGError, match="refine_every"):
        tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, order=3, refine_every=-1, **kw)



def device_10x10():
    """The tkwant mode on a 10×10 device (issue 6: "within a CI-friendly time"): the seed's
    gates on columns 0 and 4, leads along +z, a skyrmion of radius 10/3 (not relaxed),
    ω_p = 0.5, V = 0.5, E_F = 0, order-5 momentum quadrature (110 one-body states)."""
    L = W = 10
    fsyst = devices.skyrmion_device(L, W, lead_magnetization=(0, 0, 1)).finalized()
    m = textures.skyrmion(fsyst, center=((L - 1) / 2, (W - 1) / 2), radius=L / 3)
    drive = tdref.GateDrive(0.5, {"V1": 0.5, "V2": 0.5}, phases={"V2": np.pi / 2},
                            switch_on=0.25)
    return fsyst, SpinLattice.from_kwant(fsyst), m, drive


def test_10x10_frozen_spins_equal_tdref_simulate():
    """10×10 (device_10x10), spins frozen, pumped current recorded for lead 0 (next to the
    gate on column 0), t ≤ 2 in steps of 0.25: ⟨σ⟩, the charge and (I, I↑, I↓) into the
    lead (layer current − displacement part) equal tdref.simulate's on the same grid and
    tmax. Measured max differences 2.8e-16, 3.6e-16, 5.2e-15 against max|I| = 0.11 (the
    displacement part reaches 0.20) and a change of ⟨σ⟩ by 2.2e-2; asserted 1e-8. Runtime
    about 14 s CPU (two set-ups of tkwant's 110 scattering states, 5 s each)."""
    fsyst, lat, m, drive = device_10x10()
    dt = 0.25
    times = np.arange(9) * dt
    state = tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, drive=drive, energy=EF, alpha=0.4,
                                       dt=dt, params=devices.seed_params(), frozen=True,
                                       lead=0, tmax=times[-1], **QUAD)
    spin, charge = [state.spin_density], [state.charge_density]
    current = [state.pumped_current()]
    for t in times[1:]:
        state.evolve(t)
        spin.append(state.spin_density)
        charge.append(state.charge_density)
        current.append(state.pumped_current())
    ref = tdref.simulate(fsyst, drive, EF, times, params=devices.seed_params(m=m),
                         tmax=times[-1], **QUAD)
    expected, dq = lead_current(fsyst, ref, 0, dt)
    assert np.abs(ref.spin_density[-1] - ref.spin_density[0]).max() > 1e-2   # the drive acts
    assert np.abs(expected[:, 0]).max() > 5e-2 and np.abs(dq).max() > 5e-2
    np.testing.assert_allclose(spin, ref.spin_density, atol=1e-8, rtol=0)
    np.testing.assert_allclose(charge, ref.charge_density, atol=1e-8, rtol=0)
    np.testing.assert_allclose(current, expected, atol=1e-8, rtol=0)
    assert np.array_equal(state.m, m)


def test_10x10_coupled_second_order_in_dt():
    """10×10 (device_10x10), spins free (the unrelaxed skyrmion moves by 0.33 in t ≤ 2),
    to t = 2 with dt = 0.2, 0.1, 0.05: successive max differences of m 1.5e-3 and 3.8e-4
    (observed order 1.96), of the pumped current into lead 1 (−0.0204, −0.0211, −0.0213)
    7.2e-4 and 2.0e-4. Asserted: order between 1.6 and 3, the dt = 0.1 − 0.05 difference
    < 1e-3 while the texture moves by > 0.2, the current differences shrink by > 2.5×, and
    |m_i| = 1 to 1e-12. This checks the time stepping at a fixed momentum quadrature: at
    order 5, quadrature_error of the current is 3.5e-2, as large as the current itself.
    Runtime about 28 s CPU (set-up 5 s per run)."""
    fsyst, lat, m, drive = device_10x10()
    ms, currents = {}, {}
    for dt in (0.2, 0.1, 0.05):
        state = tdcoupled.TimeDependentLLG(fsyst, lat, HAM, m, drive=drive, energy=EF,
                                           alpha=0.4, dt=dt, params=devices.seed_params(),
                                           tmax=2.0, **QUAD)
        state.evolve(2.0)
        assert np.abs(np.linalg.norm(state.m, axis=1) - 1).max() < 1e-12
        ms[dt], currents[dt] = state.m, state.pumped_current()[0]
    err = [np.abs(ms[0.2] - ms[0.1]).max(), np.abs(ms[0.1] - ms[0.05]).max()]
    order = np.log2(err[0] / err[1])
    motion = np.abs(ms[0.05] - m).max()
    cur_err = [abs(currents[0.2] - currents[0.1]), abs(currents[0.1] - currents[0.05])]
    assert 1.6 < order < 3.0, (err, order)
    assert err[1] < 1e-3 and motion > 0.2, (err, motion)
    assert cur_err[1] < cur_err[0] / 2.5 and abs(currents[0.05]) > 1e-2, cur_err
