"""Periodic density of the driven Fermi sea (kwant_llg.floquet_sea).

5×2 device of tests/test_tkwant.py (gates on columns 0 and 4, leads along +z: no bound states,
E_F = 0 with one open channel), a frozen skyrmion-like texture, V1 = V2 = 0.5, φ = π/2.
References: tkwant's exact time evolution in its periodic state (optional dependency) and, as
ω → 0, the equilibrium density (contour, Eq. 14) plus the first-order adiabatic density.
"""

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import adiabatic, contour, devices, textures
from kwant_llg._common import KwantLLGError
from kwant_llg.floquet_sea import floquet_density
from kwant_llg.pumping import PumpDrive

EF, PHI, AMP = 0.0, np.pi / 2, 0.5


@pytest.fixture(scope="module")
def setup():
    fsyst = devices.skyrmion_device(5, 2, lead_magnetization=(0, 0, 1)).finalized()
    m = textures.skyrmion(fsyst, center=(2.0, 0.5), radius=1.5)
    greens = kl.FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    return fsyst, m, greens


def adiabatic_density(greens, m, drive, t):
    """Equilibrium density of H(t) and the first-order density at time t."""
    values = drive.onsite_values(t)
    eq = contour.equilibrium_density(greens, m, mu=EF, onsite_values=values, tol=1e-10)
    pert = adiabatic.perturbation(greens, onsite_rates=dict(zip(drive.names, drive.rates(t))))
    first = adiabatic.first_order_density(greens, m, pert.hdot, pert.sites, mu=EF,
                                          onsite_values=values, tol=1e-10)
    return eq, first


def test_equals_tkwant_periodic_state(setup):
    """Floquet = tkwant at ω = 0.4, where the adiabatic density is visibly off: over the third
    period after a one-period switch-on (9 times; tkwant's boundary conditions prepared to
    1.4× the last time, see test_tkwant_and_floquet_converge_together), max-norm differences
    of ⟨σ⟩ relative to max|⟨σ⟩|, measured 3.6e-3 with 3 sidebands and 1.6e-4 with 5 (charge
    3.7e-3, 1.4e-4); the adiabatic density ρ_eq(t) + ρ^(1)(t) differs by ~5e-2. Asserted:
    < 5e-4 with 5 sidebands, below a fifth of the 3-sideband difference, and the adiabatic
    one > 10× larger. (With tmax = the last time, simulate's default before the margin, the
    last period is off by tkwant's boundary conditions: 6.0e-4 with 5 sidebands.)"""
    pytest.importorskip("tkwant", reason="tkwant (optional test dependency) is not installed")
    from kwant_llg import tdref
    fsyst, m, greens = setup
    omega = 0.4
    gate = tdref.GateDrive(omega, {"V1": AMP, "V2": AMP}, phases={"V2": PHI}, switch_on=1.0)
    times = gate.sample_times(3, 8)[-9:]
    ref = tdref.simulate(fsyst, gate, EF, gate.sample_times(3, 8),
                         params=devices.seed_params(m=m), refine=False, subintervals=2,
                         tmax=1.4 * times[-1])
    spin_td, charge_td = ref.spin_density[-9:], ref.charge_density[-9:]
    scale = np.abs(spin_td).max()
    drive = PumpDrive(AMP, omega, PHI)
    diffs = {}
    for n in (3, 5):
        fd = floquet_density(greens, m, drive=drive, mu=EF, n_sidebands=n,
                             phases=omega * times, tol=1e-6)
        diffs[n] = (np.abs(fd.spin - spin_td).max() / scale,
                    np.abs(fd.charge - charge_td).max() / np.abs(charge_td).max())
    assert fd.truncation < 1e-4 and fd.error < 1e-5
    assert max(diffs[5]) < 5e-4, diffs
    assert max(diffs[5]) < 0.2 * max(diffs[3]), diffs
    ad = []
    for t in times[::4]:
        eq, first = adiabatic_density(greens, m, drive, t)
        k = list(times).index(t)
        ad.append(np.abs(eq.spin + first.spin - spin_td[k]).max() / scale)
    assert max(ad) > 10 * max(diffs[5]), (ad, diffs)
    # DC current into each lead: tkwant's current into the interface layer averages to the
    # lead current over a period (the displacement part has no DC component)
    dc_td = ref.current[-9:-1].mean(axis=0)
    dc_fl = fd.current[:-1].mean(axis=0)
    assert np.abs(dc_td).max() > 1e-3
    np.testing.assert_allclose(dc_fl, dc_td, rtol=0, atol=DC_TKWANT_TOL * np.abs(dc_td).max())
    # time-resolved: the current into the lead is tkwant's current into the interface layer
    # minus d/dt of the layer's charge (spectral derivative over the period, 8 samples), as in
    # TimeDependentLLG.pumped_current. Measured max-norm differences from the Floquet current
    # relative to its maximum: 7.8e-3 (lead 0), 1.9e-3 (lead 1); without the displacement part
    # 1.1 (it is as large as the current itself at ω = 0.4)
    k = np.fft.fftfreq(8, 1.0 / 8)
    for lead in (0, 1):
        q = ref.charge_density[-9:-1, list(fsyst.lead_interfaces[lead])].sum(axis=1)
        dq = np.fft.ifft(1j * k * omega * np.fft.fft(q)).real
        layer, flq = ref.current[-9:-1, lead], fd.current[:-1, lead]
        scale = np.abs(flq).max()
        assert np.abs(layer - dq - flq).max() < 1.5e-2 * scale
        assert np.abs(layer - flq).max() > 0.5 * scale


DC_TKWANT_TOL = 2e-3       # measured 5.5e-4, 9.8e-4 (N = 3) and 2.1e-4, 8.5e-4 (N = 5) for
                           # leads 0, 1: tkwant's transient in the third period (its two lead
                           # currents differ by 4.3e-4 relative). With tmax = the last
                           # time 1.7e-3 (N = 3), 2.1e-3 (N = 5), lead mismatch 2.6e-3.
                           # Fourth period: see the next test


def test_tkwant_and_floquet_converge_together(setup):
    """Floquet = tkwant within a tolerance that shrinks as both are refined (ω = 0.4, 16
    samples per period; differences relative to |I_dc| for the DC current per lead and to
    max|⟨σ⟩|, max|n| for the densities over the period).

    Floquet is refined in the sidebands (3 → 6; against N = 8 its DC current is within
    1.5e-4 already at N = 3, its ⟨σ⟩ within 3.5e-3 at N = 3 and 2.5e-5 at N = 6), tkwant
    in time: one run to the end of the fourth period after a one-period switch-on, the
    coarse window the second period (transient not decayed: tkwant's two lead currents,
    which conserve charge in the periodic state, miss by 5.5e-3 of I_dc), the refined one
    the fourth (3.0e-5), with tkwant's boundary conditions prepared to tmax = 1.4× the
    last time. They are accurate only to about 0.75 tmax (tdref.simulate): with tmax = the
    last time the fourth period is off by 4.1e-4, 2.2e-4 in the DC current, 6.3e-4 in the
    lead mismatch and 8.7e-4 in ⟨σ⟩. tkwant's
    momentum quadrature (2 subintervals, order 10) is not the limit there: 4 subintervals
    or order 20 change the fourth period's DC current by 4.2e-5, 1.8e-5 and ⟨σ⟩ by 2.5e-6.

    Measured, coarse (N = 3, 2nd period) → refined (N = 6, 4th period): DC 1.9e-3, 7.4e-3 →
    1.0e-4, 1.3e-4 (leads 0, 1); lead mismatch 5.5e-3 → 3.0e-5; ⟨σ⟩ 3.5e-3 → 3.2e-5; charge
    3.6e-3 → 2.8e-5. Refining one side only: N = 6 against the 2nd period 7.3e-4 (⟨σ⟩),
    N = 3 against the 4th 3.5e-3. Asserted: refined DC < 5e-4 and < 0.2× coarse per lead,
    mismatch < 3e-4 and < 0.05× coarse, densities < 1.5e-4 and < 0.05× coarse, and each
    one-sided refinement > 5× the refined density difference."""
    pytest.importorskip("tkwant", reason="tkwant (optional test dependency) is not installed")
    from kwant_llg import tdref
    fsyst, m, greens = setup
    omega, spp = 0.4, 16
    gate = tdref.GateDrive(omega, {"V1": AMP, "V2": AMP}, phases={"V2": PHI}, switch_on=1.0)
    times = gate.sample_times(4, spp)
    ref = tdref.simulate(fsyst, gate, EF, times, params=devices.seed_params(m=m),
                         refine=False, subintervals=2, tmax=1.4 * times[-1])
    drive = PumpDrive(AMP, omega, PHI)
    phases = 2 * np.pi * np.arange(spp) / spp          # = ω t of the samples of any period
    fl = {n: floquet_density(greens, m, drive=drive, mu=EF, n_sidebands=n, phases=phases,
                             tol=1e-6) for n in (3, 6)}
    assert fl[6].truncation < 1e-6 and fl[6].error < 1e-6

    def compare(n, period):
        window = slice(period * spp, (period + 1) * spp)     # [period T, (period + 1) T)
        dc_td, dc_fl = ref.current[window].mean(axis=0), fl[n].dc_current
        spin, charge = ref.spin_density[window], ref.charge_density[window]
        return dict(dc=np.abs(dc_td - dc_fl) / np.abs(dc_fl),
                    mismatch=abs(dc_td.sum()) / np.abs(dc_fl).max(),
                    spin=np.abs(fl[n].spin - spin).max() / np.abs(spin).max(),
                    charge=np.abs(fl[n].charge - charge).max() / np.abs(charge).max())
    coarse, refined = compare(3, 2), compare(6, 4)
    assert np.abs(fl[6].dc_current).min() > 3e-3            # a DC current worth comparing
    assert np.all(refined["dc"] < 5e-4) and np.all(refined["dc"] < 0.2 * coarse["dc"]), \
        (coarse, refined)
    assert refined["mismatch"] < 3e-4 and refined["mismatch"] < 0.05 * coarse["mismatch"], \
        (coarse, refined)
    for key in ("spin", "charge"):
        assert refined[key] < 1.5e-4 and refined[key] < 0.05 * coarse[key], (coarse, refined)
        assert compare(6, 2)[key] > 5 * refined[key], key            # tkwant's part
        assert compare(3, 4)[key] > 5 * refined[key], key            # Floquet's part


def test_current_dc_and_continuity(setup):
    """The time-resolved whole-sea current into the leads (ω = 0.4, 17 phases): its cycle
    average equals the Moskalets–Büttiker window formula of floquet.pumped_charge, which
    integrates only |S(E + nω, E)|² over [μ − nω, μ] (measured 3.8e-5 and 1.1e-4 relative
    for the two leads with N = 4, both integrals adaptive; asserted 3e-4), per spin too (the
    σ_z-up parts are zero: with leads along +z at E_F = 0 only spin down is open); continuity
    Σ_α I_α(t) = −dN/dt holds up to the sideband truncation (relative residual measured
    3.4e-2 at N = 3 and 3.7e-3 at N = 4; asserted < 2e-2 at N = 4 and shrinking by 3×)."""
    _, m, greens = setup
    omega, nph = 0.4, 17
    drive = PumpDrive(AMP, omega, PHI)
    phases = 2 * np.pi * np.arange(nph) / nph
    k = np.fft.fftfreq(nph, 1.0 / nph)
    residual = {}
    for n in (3, 4):
        fd = floquet_density(greens, m, drive=drive, mu=EF, n_sidebands=n, phases=phases,
                             tol=1e-7)
        dndt = np.real(np.fft.ifft(np.fft.fft(fd.charge.sum(axis=1)) * 1j * k * omega))
        residual[n] = np.abs(fd.current.sum(axis=1) + dndt).max() / np.abs(dndt).max()
    assert residual[4] < 2e-2 and residual[4] < residual[3] / 3, residual
    # the DC part equals the S-matrix charge per cycle (adaptive energy integral, 1e-8):
    # measured 3.8e-5 and 1.1e-4 relative (the truncation at N = 4 enters the two differently)
    mb = kl.floquet.pumped_charge(greens, m, drive=drive, mu=EF, n_sidebands=4, tol=1e-8)
    np.testing.assert_allclose(fd.dc_current, mb.dc_current, rtol=3e-4)
    assert abs(fd.dc_current[1]) > 1e-3
    np.testing.assert_allclose(fd.current_spin.sum(axis=2), fd.current, atol=1e-12)
    spin_dc = fd.current_spin.mean(axis=0) * 2 * np.pi / omega        # electrons per cycle
    np.testing.assert_allclose(spin_dc, np.array(mb.spin), rtol=3e-4, atol=1e-9)


def test_pumped_charge_energy_integral_is_adaptive(setup):
    """pumped_charge integrates over energy adaptively (cuts at the shifted lead thresholds,
    Gauss–Kronrod panels) to the requested accuracy. Measured on the 5×2 device at ω = 0.4,
    N = 4: Q_1 = −0.0531976164 with error estimates 3.5e-6, 9.2e-7, 6.4e-9 at tol 1e-4,
    1e-6, 1e-8 (240, 300, 510 solves); the fixed rule of n Gauss–Legendre points per
    ω-panel, blind to the thresholds inside the panels, gives −0.0532255, −0.0532220,
    −0.0532052 for n = 4, 8, 16 (errors 2.8e-5, 2.4e-5, 7.6e-6)."""
    _, m, greens = setup
    drive = PumpDrive(AMP, 0.4, PHI)
    ref = kl.floquet.pumped_charge(greens, m, drive=drive, mu=EF, n_sidebands=4, tol=1e-8)
    assert ref.error < 1e-8 and abs(ref.charge[1]) > 0.05
    for tol in (1e-4, 1e-6):
        q = kl.floquet.pumped_charge(greens, m, drive=drive, mu=EF, n_sidebands=4, tol=tol)
        assert q.error < tol and q.n_energies < ref.n_energies
        assert np.abs(q.charge - ref.charge).max() < tol
    fixed = [kl.floquet.pumped_charge(greens, m, drive=drive, mu=EF, n_sidebands=4,
                                      n_points=n) for n in (4, 16)]
    assert all(f.error is None for f in fixed)
    err = [abs(f.charge[1] - ref.charge[1]) for f in fixed]
    assert err[0] > 1e-5 and err[1] < 0.5 * err[0]


def test_pumped_charge_refuses_to_guess_at_unresolved_resonances():
    """With spin-degenerate leads the 6×4 device has states bound below the lead band; the
    drive couples them to the continuum through sidebands as very narrow resonances
    (thousands of solves at tol 1e-4: V = 0.8, ω = 0.7, N = 6 at E = 1.5). Within a small
    budget the adaptive integral says so (ConvergenceError naming the fixes) instead of
    returning the fixed rule's guess, which moves by 0.02 with the number of points."""
    fsyst = devices.skyrmion_device(6, 4).finalized()
    m = textures.skyrmion(fsyst, center=(2.5, 1.5), radius=1.5)
    greens = kl.FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    with pytest.raises(kl.ConvergenceError, match="max_points"):
        kl.floquet.pumped_charge(greens, m, drive=PumpDrive(0.8, 0.7, PHI), mu=1.5,
                                 n_sidebands=6, tol=1e-4, max_points=300)


@pytest.mark.slow
def test_adiabatic_limit(setup):
    """As ω → 0, (ρ_Floquet − ρ_eq[H(t)]) → ρ^(1) at ωt = 7π/4 with an error ∝ ω: relative
    max-norm error of ⟨σ⟩^(1) measured 0.311 (ω = 0.1) and 0.149 (ω = 0.05), charge 0.363
    and 0.174 — the same as tkwant's (tests/test_tkwant.py: 0.31, 0.14; 0.37, 0.16). The
    time-resolved lead current tends to Eq. (40) at E_F (Brouwer's emissivity times dV/dt)."""
    _, m, greens = setup
    errs, cur_errs = [], []
    for omega in (0.1, 0.05):
        drive = PumpDrive(AMP, omega, PHI)
        phase = 7 * np.pi / 4
        fd = floquet_density(greens, m, drive=drive, mu=EF, n_sidebands=6, phases=phase,
                             tol=1e-7)
        eq, first = adiabatic_density(greens, m, drive, phase / omega)
        eq40 = kl.pumping.pumped_current(greens, m, drive, [phase / omega], energy=EF, lead=1)
        cur_errs.append(abs(fd.current[0, 1] - eq40.current[0]) / abs(eq40.current[0]))
        errs.append((np.abs(fd.spin[0] - eq.spin - first.spin).max() / np.abs(first.spin).max(),
                     np.abs(fd.charge[0] - eq.charge - first.charge).max()
                     / np.abs(first.charge).max()))
    errs = np.array(errs)
    assert cur_errs[1] < 0.6 * cur_errs[0] and cur_errs[1] < 0.2, cur_errs
    assert np.all(errs[1] < 0.2), errs
    assert np.all((errs[0] / errs[1] > 1.6) & (errs[0] / errs[1] < 2.6)), errs


def test_static_limit_is_equilibrium_density(setup):
    """With a zero drive amplitude the Floquet density is the equilibrium density of Eq. (14)
    at every phase (contour), asserted 1e-6 (the integral's tol)."""
    _, m, greens = setup
    fd = floquet_density(greens, m, drive=PumpDrive(0.0, 0.3, PHI), mu=EF, n_sidebands=1,
                         phases=[0.0, 1.0], tol=1e-8)
    eq = contour.equilibrium_density(greens, m, mu=EF, tol=1e-10,
                                     onsite_values={"V1": 0.0, "V2": 0.0})
    np.testing.assert_allclose(fd.spin, np.broadcast_to(eq.spin, fd.spin.shape), atol=1e-6)
    np.testing.assert_allclose(fd.charge, np.broadcast_to(eq.charge, fd.charge.shape),
                               atol=1e-6)
    np.testing.assert_allclose(fd.current, 0.0, atol=1e-6)    # no drive, no bias: no current


def test_bad_input(setup):
    _, m, greens = setup
    drive = PumpDrive(0.1, 0.3, PHI)
    with pytest.raises(KwantLLGError, match="phases"):
        floquet_density(greens, m, drive=drive, mu=EF, n_sidebands=1, phases=[np.nan])
    with pytest.raises(KwantLLGError, match="nothing is occupied"):
        floquet_density(greens, m, drive=drive, mu=-10.0, n_sidebands=1, phases=0.0)
    with pytest.raises(KwantLLGError, match="n_sidebands"):
        floquet_density(greens, m, drive=drive, mu=EF, n_sidebands=-1, phases=0.0)


def test_cache_serves_a_moved_texture(setup):
    """With one FloquetCache for two textures, the second density computes no lead data
    (same nodes) and is bit for bit the density computed with a fresh cache (the cached lead
    data do not depend on which node asked first: restarts repeat themselves)."""
    fsyst, m, greens = setup
    drive = PumpDrive(AMP, 0.4, PHI)
    moved = textures.skyrmion(fsyst, center=(2.1, 0.5), radius=1.5)
    kw = dict(drive=drive, mu=EF, n_sidebands=2, phases=[0.0, 2.0], tol=1e-4)
    cache = kl.floquet.FloquetCache(greens)
    first = floquet_density(greens, m, cache=cache, **kw)
    misses = cache.misses
    # panels of width ω/2 on [−1, 0], sidebands ±2ω: 2.6 distinct lead energies per node
    # instead of 5 (measured: 364 for 140 nodes)
    assert misses < 0.6 * 5 * first.evaluations
    second = floquet_density(greens, moved, cache=cache, **kw)
    assert second.evaluations == first.evaluations and cache.misses == misses
    fresh = floquet_density(greens, moved, cache=kl.floquet.FloquetCache(greens), **kw)
    assert np.array_equal(second.spin, fresh.spin)
    assert np.array_equal(second.current, fresh.current)
    assert np.abs(second.spin - first.spin).max() > 1e-3      # the texture did move


def test_kronrod_and_gauss_panels_agree(setup):
    """The default Gauss–Kronrod panels and the Gauss–Legendre ones give the same density
    within the requested tolerance (on this 5-panel device with about as many solves: 165
    and 140; on 10×10 at tol 1e-4 the Kronrod panels need 720 solves against 1176,
    docs/performance.md)."""
    fsyst, m, greens = setup
    kw = dict(drive=PumpDrive(AMP, 0.4, PHI), mu=EF, n_sidebands=2, phases=[0.0, 1.0],
              tol=1e-6)
    kronrod = floquet_density(greens, m, **kw)
    gauss = floquet_density(greens, m, quadrature="gauss", **kw)
    assert kronrod.error < 1e-6 and gauss.error < 1e-6
    assert np.abs(kronrod.spin - gauss.spin).max() < 2e-6
    assert np.abs(kronrod.current - gauss.current).max() < 2e-6
    with pytest.raises(KwantLLGError, match="quadrature"):
        floquet_density(greens, m, quadrature="simpson", **kw)


def test_dyson_solves_give_the_same_density(setup):
    """method="dyson" (frozen solves reused along the chains E, E + ω, … of the first
    panels) gives the density of the direct Floquet solves to rounding; the frozen solves
    of one texture are not reused for another (a warm cache gives what a fresh one does)."""
    fsyst, m, greens = setup
    kw = dict(drive=PumpDrive(AMP, 0.4, PHI), mu=EF, n_sidebands=3, phases=[0.0, 2.0],
              tol=1e-4)
    direct = floquet_density(greens, m, method="direct", **kw)
    cache = kl.floquet.FloquetCache(greens)
    dyson = floquet_density(greens, m, method="dyson", cache=cache, **kw)
    assert dyson.evaluations == direct.evaluations
    assert np.abs(dyson.spin - direct.spin).max() < 1e-12
    assert np.abs(dyson.current - direct.current).max() < 1e-12
    # 7 sideband energies per solve; along a chain 6 of them come from the previous solve
    assert cache.frozen_hits > 0.4 * (cache.frozen_hits + cache.frozen_misses)
    moved = textures.skyrmion(fsyst, center=(2.1, 0.5), radius=1.5)
    warm = floquet_density(greens, moved, method="dyson", cache=cache, **kw)
    fresh = floquet_density(greens, moved, method="dyson",
                            cache=kl.floquet.FloquetCache(greens), **kw)
    assert np.array_equal(warm.spin, fresh.spin)
    assert np.abs(warm.spin - dyson.spin).max() > 1e-3
