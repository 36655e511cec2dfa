"""Floquet scattering for periodic gate driving: sum rules, static and adiabatic limits."""

import kwant
import numpy as np
import pytest

from kwant_llg import devices, floquet, pumping, textures
from kwant_llg._common import BandEdgeError, KwantLLGError, SIGMA, site_field
from kwant_llg.greens import FrozenGreens
from kwant_llg.pumping import PumpDrive

E = 1.5   # away from the cavity resonances of the 6x4 device (dwell time 1.8)


@pytest.fixture(scope="module")
def setup():
    fsyst = devices.skyrmion_device(6, 4, gates=(1, 4)).finalized()
    m = textures.skyrmion(fsyst, center=(2.5, 1.5), radius=1.5)
    params = devices.seed_params()
    greens = FrozenGreens(fsyst, params=params, onsite_parameters=("V1", "V2"))
    return fsyst, m, params, greens


def test_unitarity_and_current_conservation(setup):
    fsyst, m, params, greens = setup
    drive = PumpDrive(0.8, 0.3, np.pi / 3)          # strong, fast drive
    sol = floquet.converge_sidebands(greens, m, drive=drive, energy=E, tol=1e-12)
    assert sol.truncation < 1e-12
    for beta in range(2):
        # column unitarity of the Floquet S matrix: Σ_{α,n} T_{αβ}(n) = N_β(E)
        total = sum(sol.transmission(a, beta).sum() for a in range(2))
        assert total == pytest.approx(sol.num_modes(beta), abs=1e-10)
    for alpha in range(2):
        # DC current of the scattering states (from ψ and Σ) = outgoing − incoming flux (from S)
        flux = sum(sol.transmission(alpha, b).sum() for b in range(2)) - sol.num_modes(alpha)
        assert sol.current(alpha, 0) == pytest.approx(flux / (2 * np.pi), abs=1e-10)
    # continuity for every harmonic: Σ_α I_{α,k} = i k ω N_k
    total = sol.current(0) + sol.current(1)
    k = np.arange(-2 * sol.n_sidebands, 2 * sol.n_sidebands + 1)
    assert np.abs(total - 1j * k * drive.omega * sol.number_harmonics()).max() < 1e-8
    assert np.abs(total).max() > 1e-3
    # spin-resolved currents add up; the time-resolved current is real and averages to I_0
    up, down = sol.current(1, spin=1), sol.current(1, spin=-1)
    assert np.allclose(up + down, sol.current(1), atol=1e-12)
    phases = np.arange(64) * 2 * np.pi / 64
    assert sol.current_at(1, phases).mean() == pytest.approx(sol.current(1, 0).real, abs=1e-12)


def test_weak_drive_is_kwant_scattering(setup):
    fsyst, m, params, greens = setup
    drive = PumpDrive(1e-7, 0.2, np.pi / 2)
    sol = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=2)
    smat = kwant.smatrix(fsyst, E, params=dict(params, m=site_field(fsyst, m)))
    assert sol.transmission(1, 0, 0) == pytest.approx(smat.transmission(1, 0), abs=1e-9)
    assert sol.transmission(1, 0, 1) < 1e-11
    ref = greens.solve(m, E).spin_density()
    assert np.abs(sol.spin_density(0.3) - ref).max() < 1e-6       # O(A) = 1e-7 × O(1)


def test_photon_assisted_transmission_weak_drive(setup):
    # lowest order in the amplitude: S(E ± ω, E) is linear in A, so T(±1) ∝ A^2, T(±2) ∝ A^4
    fsyst, m, params, greens = setup
    sols = [floquet.floquet_solve(greens, m, drive=PumpDrive(a, 0.2, 0.0), energy=E,
                                  n_sidebands=3) for a in (1e-3, 2e-3)]
    for n, power in ((1, 2), (-1, 2), (2, 4)):
        t = [s.transmission(1, 0, n) for s in sols]
        assert t[1] / t[0] == pytest.approx(2.0 ** power, rel=1e-3)


def test_adiabatic_limit_charge_per_cycle(setup):
    fsyst, m, params, greens = setup
    V = 0.1
    ref = pumping.brouwer_charge(fsyst, m, PumpDrive(V, 1.0), energy=E, params=params, lead=1,
                                 n_times=16)
    assert ref.error < 1e-8
    assert min(ref.up, ref.down) > 5e-5             # both spins pump (spin-degenerate leads)
    errors, narrow, spin_errors = [], [], []
    for omega in (0.02, 0.01):
        drive = PumpDrive(V, omega, np.pi / 2)
        q = floquet.pumped_charge(greens, m, drive=drive, mu=E, n_sidebands=3, n_points=2)
        assert q.truncation < 1e-4
        assert q.charge[0] == pytest.approx(-q.charge[1], rel=1e-3)      # charge conservation
        assert sum(q.spin[1]) == pytest.approx(q.charge[1], rel=1e-10)
        errors.append(abs(q.charge[1] - ref.total))
        spin_errors.append(np.abs(np.array(q.spin[1]) - [ref.up, ref.down]).max())
        sol = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=3)
        narrow.append(abs(sol.charge_per_cycle(1) - ref.total))
    # Brouwer: 1.26423e-3; Floquet 1.26498e-3 (ω = 0.02), 1.26447e-3 (ω = 0.01)
    assert errors[1] < 1e-3 * abs(ref.total)
    assert errors[1] < 0.5 * errors[0]            # converges (about as ω^2)
    assert narrow[1] < 0.6 * narrow[0]            # the narrow-window estimate converges as ω
    # per spin, against Brouwer restricted to each spin's outgoing channels (up 7.20e-5, down
    # 1.19221e-3): errors 5.4e-6, 2.8e-6 at ω = 0.02, 0.01, first order in ω (the O(ω) parts
    # of the two spins cancel in the total)
    assert spin_errors[1] < 3e-3 * abs(ref.total) and spin_errors[1] < 0.6 * spin_errors[0]


def _dense_greens(greens, m, e, values):
    h = greens.hamiltonian(m, onsite_values=values).toarray().astype(complex)
    a = e * np.eye(len(h)) - h
    for orbs, (sigma, _, _) in zip(greens.lead_orbitals, greens.lead_data(e)):
        a[np.ix_(orbs, orbs)] -= sigma
    return np.linalg.inv(a)


def _spin(greens, rho):
    blocks = np.array([rho[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(greens.num_sites)])
    return np.einsum("axy,iyx->ia", SIGMA, blocks).real


def test_adiabatic_limit_spin_density(setup):
    # T = 0: ρ(t; μ) = ∫^μ dE ρ_F(E, t), so ρ_F(μ, t) − ρ_frozen(μ, t) = ∂_μ ρ^(1)(t; μ) + O(ω^2)
    # with ρ^(1) = (1/2π) G^r Ḣ G^a |_μ − (1/2π) ∫^μ dE [∂_E G^r Ḣ G^r + h.c.] (dense algebra),
    # at four phases ωt over the cycle (the gates' rates v̇_p(t) change sign and relative
    # weight between them; one Floquet solve per ω, N = 7 so that the sideband truncation
    # stays below the O(ω²) remainder)
    fsyst, m, params, greens = setup
    V, h = 0.1, 1e-4
    phases = 0.7 + np.arange(4) * np.pi / 2
    errors, sizes = {}, {}
    for omega in (0.004, 0.002, 0.001):
        drive = PumpDrive(V, omega, np.pi / 2)
        sol = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=7)
        for phase in phases:
            t = phase / omega
            values = drive.onsite_values(t)
            blocks = sum(r * greens.onsite_terms[n] for n, r in zip(drive.names, drive.rates(t)))
            hdot = np.zeros((2 * greens.num_sites,) * 2, dtype=complex)
            for i, b in enumerate(blocks):
                hdot[2 * i:2 * i + 2, 2 * i:2 * i + 2] = b
            g = {e: _dense_greens(greens, m, e, values) for e in (E - h, E, E + h)}
            fs = {e: g[e] @ hdot @ g[e].conj().T / (2 * np.pi) for e in (E - h, E + h)}
            x = (g[E + h] - g[E - h]) / (2 * h) @ hdot @ g[E]
            pred = _spin(greens, (fs[E + h] - fs[E - h]) / (2 * h)
                         - (x + x.conj().T) / (2 * np.pi))
            diff = (sol.spin_density(phase)
                    - greens.solve(m, E, onsite_values=values).spin_density())
            errors[omega, phase] = np.abs(diff - pred).max()
            sizes[omega, phase] = np.abs(diff).max()
    # measured at ωt = 0.7, 0.7 + π/2, 0.7 + π, 0.7 + 3π/2 and ω = 0.004, 0.002, 0.001:
    # |diff| = (6.7, 1.8, 7.7, 1.5)e-4 halving with ω; error (12.5, 31.9, 12.4, 9.0)e-6,
    # (3.15, 8.00, 3.07, 2.24)e-6, (0.79, 2.01, 0.76, 0.56)e-6: ratios 0.248–0.252 per halving,
    # O(ω²). (With N = 4 sidebands the error levels off at 1–3e-6 below ω = 0.002: the
    # frozen state's dependence on the gate values needs sidebands however small ω is.)
    for omega in (0.004, 0.002, 0.001):
        worst = max(errors[omega, p] for p in phases)
        assert worst < 0.05 * max(sizes[omega, p] for p in phases)
    for phase in phases:
        assert 0.2 < errors[0.002, phase] / errors[0.004, phase] < 0.3, phase
        assert 0.2 < errors[0.001, phase] / errors[0.002, phase] < 0.3, phase
        assert sizes[0.001, phase] == pytest.approx(0.5 * sizes[0.002, phase], rel=0.15)


def test_floquet_errors(setup):
    fsyst, m, params, greens = setup
    plain = FrozenGreens(fsyst, params=params)
    with pytest.raises(KwantLLGError, match="onsite parameters"):
        floquet.floquet_solve(plain, m, drive=PumpDrive(0.1, 0.1), energy=E, n_sidebands=1)
    with pytest.raises(KwantLLGError, match="n_sidebands"):
        floquet.floquet_solve(greens, m, drive=PumpDrive(0.1, 0.1), energy=E, n_sidebands=-1)
    with pytest.raises(KwantLLGError, match="n_sidebands = 0 drops the nonzero drive"):
        floquet.floquet_solve(greens, m, drive=PumpDrive(0.1, 0.1), energy=E, n_sidebands=0)
    # without a drive, N = 0 is the frozen problem (the scattering states of Kwant)
    static = floquet.floquet_solve(greens, m, drive=PumpDrive(0.0, 0.1), energy=E,
                                   n_sidebands=0)
    frozen = greens.solve(m, E, onsite_values={"V1": 0.0, "V2": 0.0})
    np.testing.assert_allclose(static.spin_density(0.0), frozen.spin_density(), atol=1e-12)
    sol = floquet.floquet_solve(greens, m, drive=PumpDrive(0.1, 0.1), energy=E, n_sidebands=1)
    with pytest.raises(KwantLLGError, match="Sideband"):
        sol.transmission(1, 0, 2)
    # lead band bottom of the lowest subband: 4 − 2 − 2 cos(π/5); put sideband −1 on it
    edge = 2 - 2 * np.cos(np.pi / 5)
    with pytest.raises(BandEdgeError, match="Sideband n = -1"):
        floquet.floquet_solve(greens, m, drive=PumpDrive(0.1, 0.25), energy=edge + 0.25,
                              n_sidebands=1)


def test_cache_computes_each_sideband_energy_once(setup):
    """pumped_charge's panels [μ + jω, μ + (j+1)ω] are shifted copies: its 2N·n_points nodes
    meet 4N·n_points distinct sideband energies (instead of (2N+1)·2N·n_points), and the
    result is that of independent uncached solves."""
    fsyst, m, params, greens = setup
    drive = PumpDrive(0.3, 0.4, np.pi / 2)
    n, n_points = 2, 3
    cache = floquet.FloquetCache(greens)
    q = floquet.pumped_charge(greens, m, drive=drive, mu=E, n_sidebands=n, n_points=n_points,
                              cache=cache)
    assert cache.misses == len(cache) == 4 * n * n_points
    assert cache.hits == (2 * n + 1) * 2 * n * n_points - 4 * n * n_points
    x, w = np.polynomial.legendre.leggauss(n_points)
    charge = 0.0
    for j in range(-n, n):
        for xi, wi in zip(x, w):
            sol = floquet.floquet_solve(greens, m, drive=drive, n_sidebands=n,
                                        energy=E + (j + 0.5 + 0.5 * xi) * drive.omega)
            for k in sol.sidebands:
                sign = 1 if (k > 0 and -k <= j < 0) else (-1 if (k < 0 and 0 <= j < -k) else 0)
                charge += sign * 0.5 * wi * (np.abs(sol.outgoing(1, int(k))) ** 2).sum()
    assert q.charge[1] == pytest.approx(charge, rel=1e-10, abs=1e-14)


def test_cache_bad_input(setup):
    fsyst, m, params, greens = setup
    other = FrozenGreens(fsyst, params=params, onsite_parameters=("V1", "V2"))
    with pytest.raises(KwantLLGError, match="another FrozenGreens"):
        floquet.floquet_solve(greens, m, drive=PumpDrive(0.1, 0.5), energy=E, n_sidebands=1,
                              cache=floquet.FloquetCache(other))
    with pytest.raises(KwantLLGError, match="max_mib"):
        floquet.FloquetCache(greens, max_mib=0)
    with pytest.raises(KwantLLGError, match="frozen_mib"):
        floquet.FloquetCache(greens, frozen_mib=-1)
    with pytest.raises(KwantLLGError, match="FrozenGreens"):
        floquet.FloquetCache(fsyst)


def test_cache_memory_budget(setup):
    fsyst, m, params, greens = setup
    cache = floquet.FloquetCache(greens, max_mib=1e-3)     # about one energy of this device
    for e in np.linspace(1.2, 1.4, 7):
        cache.lead_data(e, check_band_edge=False)
    assert 1 <= len(cache) < 7
    assert cache._bytes <= max(cache.max_bytes, max(x[2] for x in cache._data.values()))


def test_dyson_solve_equals_the_direct_solve():
    """The Floquet problem projected on the driven orbitals (floquet_dyson) is the same
    truncated problem as the sparse solve of the whole Floquet matrix: equal to rounding,
    for a strong drive, static gate offsets, a ferromagnetic texture and every N ≥ 1 (N = 0
    with a drive is refused: test_floquet_errors)."""
    fsyst = devices.skyrmion_device(10, 5, gates=(1, 5)).finalized()
    m = textures.skyrmion(fsyst, center=(4.5, 2.0), radius=1.5)
    greens = FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    drive = PumpDrive(0.8, 0.7, np.pi / 2)
    offsets = {"V1": 0.2, "V2": -0.1}
    cache = floquet.FloquetCache(greens)
    for n in (1, 3, 6):
        ref = floquet.floquet_solve(greens, m, drive=drive, energy=1.9, n_sidebands=n,
                                    onsite_values=offsets, method="direct")
        for kw in ({}, {"cache": cache}):
            sol = floquet.floquet_solve(greens, m, drive=drive, energy=1.9, n_sidebands=n,
                                        onsite_values=offsets, method="dyson", **kw)
            assert np.abs(sol.psi - ref.psi).max() < 1e-9 * np.abs(ref.psi).max()
        assert ref.truncation > 1e-9 and sum(ref.transmission(1, 0)[:n]) > 1e-3
    # a zero drive has an empty support: ψ is the undriven scattering state
    sol = floquet.floquet_solve(greens, m, drive=PumpDrive(0.0, 0.7), energy=1.9,
                                n_sidebands=2, method="dyson")
    psi = greens.solve(m, 1.9).psi
    assert np.abs(sol.psi[2] - psi).max() < 1e-12 and np.abs(sol.psi[[0, 1, 3, 4]]).max() == 0
    with pytest.raises(KwantLLGError, match="method must be"):
        floquet.floquet_solve(greens, m, drive=drive, energy=1.9, n_sidebands=1, method="lu")


# ------------------------------------------------------------------ full Floquet S matrix
def _floquet_smatrix(greens, m, drive, energy, n_sidebands, e_range=(-2.0, 14.0)):
    """The Floquet S matrix over every open channel of every sideband E + nω (E + nω in
    ``e_range``, which holds the lead bands), rows (n, lead, channel) out, columns (k, lead,
    channel) in: the column block k is the solve at E + kω, its sideband n − k. Blocks with
    |n − k| > N are not computed (zero): the truncation. Returns (S, solves by k)."""
    omega, nl = drive.omega, len(greens.lead_orbitals)
    lo, hi = (int(np.ceil((e - energy) / omega)) for e in e_range)
    chans = {n: [w.shape[1] for _, w, _ in
                 greens.lead_data(energy + n * omega, check_band_edge=False)]
             for n in range(lo, hi)}
    bands = [n for n in chans if sum(chans[n])]
    sols = {k: floquet.floquet_solve(greens, m, drive=drive, energy=energy + k * omega,
                                     n_sidebands=n_sidebands) for k in bands}
    rows = [[np.block([[sols[k].smatrix_block(a, b, n - k) if abs(n - k) <= n_sidebands
                        else np.zeros((chans[n][a], chans[k][b])) for b in range(nl)]
                       for a in range(nl)]) for k in bands] for n in bands]
    return np.block(rows), sols


def _unitarity_errors(s):
    eye = np.eye(len(s))
    return (np.abs(s.conj().T @ s - eye).max(), np.abs(s @ s.conj().T - eye).max())


def test_floquet_smatrix_is_unitary(setup):
    """S^†S = SS^† = 1 for the whole Floquet S matrix, every open channel of every sideband
    (ω = 1.25: sidebands E, E + ω, …, E + 4ω are open, 56 channels in all; the rows need the
    solves at E + kω). The columns of one solve are orthonormal to rounding at any N (the
    truncated Floquet Hamiltonian is Hermitian); between solves at different E + kω the
    truncation enters: the error falls with N, and stays below √truncation.
    Measured (V = 0.8, φ = π/3): S^†S − 1 = 3.3e-3, 4.0e-5, 1.6e-13 at N = 3, 6, 10
    (SS^† − 1: 2.6e-3, 5.3e-5, 2.1e-13); V = 0.05: 5.5e-6, 6.4e-11 at N = 2, 4."""
    fsyst, m, params, greens = setup
    measured = {}
    for amp, ns in ((0.8, (3, 6, 10)), (0.05, (2, 4))):
        drive = PumpDrive(amp, 1.25, np.pi / 3)
        for n in ns:
            s, sols = _floquet_smatrix(greens, m, drive, E, n)
            assert s.shape == (56, 56) and list(sols) == [0, 1, 2, 3, 4]
            err = _unitarity_errors(s)
            measured[amp, n] = err
            # every solve's own columns (incoming at one energy): orthonormal to rounding
            start = 0
            for sol in sols.values():
                cols = s[:, start:start + sum(sol.num_modes(b) for b in range(2))]
                start += cols.shape[1]
                assert np.abs(cols.conj().T @ cols - np.eye(cols.shape[1])).max() < 1e-10
            trunc = max(sol.truncation for sol in sols.values())
            assert max(err) < np.sqrt(trunc) or max(err) < 1e-12, (amp, n, err, trunc)
    strong = [max(measured[0.8, n]) for n in (3, 6, 10)]
    assert strong[0] > 1e-3                     # truncation-limited, not exact at small N
    assert strong[1] < 0.05 * strong[0] and strong[2] < 1e-11
    weak = [max(measured[0.05, n]) for n in (2, 4)]
    assert 1e-7 < weak[0] < 1e-4 and weak[1] < 1e-9


# ------------------------------------------- a Kwant system other than the seed's device
# A T junction built here with plain Kwant: a 6×3 bar with leads left and right and a 3×2
# stem with a lead on top (three terminals, 3 sites wide), spin-1/2 sites (norbs=2) with
# Rashba spin-orbit hopping and an exchange field along a random texture, under two gates:
# "Va" on the junction column x = 2, "Vb" on the stem. The magnetisation is called "mag".
_SIGMA0 = np.eye(2)
_GATE_A = {(2, 0), (2, 1), (2, 2)}
_GATE_B = {(3, 3), (3, 4)}


def _tj_onsite(site, t, J, mag, Va, Vb):
    v = Va * (site.tag in _GATE_A) + Vb * (site.tag in _GATE_B)
    return (4 * t + v) * _SIGMA0 + J * np.einsum("a,axy->xy", mag(site), SIGMA)


def _tj_hopping(site1, site2, t, alpha):
    dx, dy = np.subtract(site1.pos, site2.pos)
    return -t * _SIGMA0 + 1j * alpha * (dx * SIGMA[1] - dy * SIGMA[0])


def _tj_lead_onsite(site, t):
    return 4 * t * _SIGMA0


def _tj_lead_hopping(site1, site2, t):
    return -t * _SIGMA0


@pytest.fixture(scope="module")
def tjunction():
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(6) for y in range(3))] = _tj_onsite
    syst[(lat(x, y) for x in range(2, 5) for y in range(3, 5))] = _tj_onsite
    syst[lat.neighbors()] = _tj_hopping
    side = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    side[(lat(0, y) for y in range(3))] = _tj_lead_onsite
    side[lat.neighbors()] = _tj_lead_hopping
    top = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
    top[(lat(x, 0) for x in range(2, 5))] = _tj_lead_onsite
    top[lat.neighbors()] = _tj_lead_hopping
    for lead in (side, side.reversed(), top):
        syst.attach_lead(lead)
    fsyst = syst.finalized()
    rng = np.random.default_rng(7)
    mag = rng.normal(size=(len(fsyst.sites), 3))
    mag /= np.linalg.norm(mag, axis=1, keepdims=True)
    params = dict(t=1.0, J=0.6, alpha=0.3)
    greens = FrozenGreens(fsyst, params=params, magnetization="mag",
                          onsite_parameters=("Va", "Vb"))
    return fsyst, mag, params, greens


E_TJ = 1.3      # lead channels open: 2 per lead (transverse thresholds 0.586, 2, 3.414)


def test_tjunction_unitarity_and_current_conservation(tjunction):
    """Three terminals, spin-orbit coupling, a random texture, two gates at V = 0.6, ω = 0.9
    (V/ω = 0.67, 30 % of the weight outside sideband 0): the Floquet S matrix over all open
    sidebands (E + kω, k = 0…6, 78 channels) is unitary (max |S^†S − 1|, |SS^† − 1|: 2.3e-3,
    1.4e-5, 1.5e-12 at N = 3, 6, 10); the DC currents of the scattering states add up to
    zero over the three leads and equal the outgoing minus incoming flux of the S matrix;
    continuity holds for every harmonic (Σ_α I_{α,k} = ikωN_k)."""
    fsyst, mag, params, greens = tjunction
    drive = PumpDrive(0.6, 0.9, np.pi / 2, names=("Va", "Vb"))
    errors = []
    for n in (3, 6, 10):
        s, sols = _floquet_smatrix(greens, mag, drive, E_TJ, n)
        assert list(sols) == list(range(7)) and s.shape == (78, 78)
        errors.append(max(_unitarity_errors(s)))
    assert errors[0] > 1e-3 and errors[1] < 0.01 * errors[0] and errors[2] < 1e-10, errors
    sol = sols[0]                                               # the solve at E, N = 10
    assert sol.truncation < 1e-14 and sol.sideband_weights[n] < 0.75
    currents = [sol.current(a) for a in range(3)]               # harmonics k = −2N…2N
    assert max(abs(c[2 * n]) for c in currents) > 1e-3          # a pumped DC current
    for alpha in range(3):
        flux = sum(sol.transmission(alpha, b).sum() for b in range(3)) - sol.num_modes(alpha)
        assert currents[alpha][2 * n].real == pytest.approx(flux / (2 * np.pi), abs=1e-12)
    for beta in range(3):                                       # column sums: N_β = 2
        assert sum(sol.transmission(a, beta).sum() for a in range(3)) == pytest.approx(
            2.0, abs=1e-12)
    total = sum(currents)
    k = np.arange(-2 * n, 2 * n + 1)
    assert abs(total[2 * n]) < 1e-12
    # the harmonics k != 0 are linear in the outermost amplitudes ψ_{±N}: truncation-limited
    # at about √truncation (1.7e-8 here; measured 3.6e-10)
    continuity = np.abs(total - 1j * k * drive.omega * sol.number_harmonics()).max()
    assert continuity < np.sqrt(sol.truncation) and np.abs(total).max() > 1e-3


def _tj_dense(fsyst, params, mag, energy, values):
    """Dense reference without kwant_llg: H from hamiltonian_submatrix, Σ_α(E) from Kwant's
    lead.selfenergy, G^r(E) = (E − H − Σ)^{−1} and Γ_α = i(Σ_α − Σ_α^†) on the interface."""
    p = dict(params, mag=site_field(fsyst, mag), Va=0.0, Vb=0.0)
    p.update(values)
    h = fsyst.hamiltonian_submatrix(params=p)
    a = energy * np.eye(len(h)) - h
    gammas = []
    for lead, iface in zip(fsyst.leads, fsyst.lead_interfaces):
        orbs = (2 * np.asarray(iface)[:, None] + np.arange(2)).ravel()
        sigma = lead.selfenergy(energy, params=params)
        a[np.ix_(orbs, orbs)] -= sigma
        gamma = np.zeros_like(a)
        gamma[np.ix_(orbs, orbs)] = 1j * (sigma - sigma.conj().T)
        gammas.append(gamma)
    return h, np.linalg.inv(a), gammas


def test_tjunction_weak_drive_is_kwant_smatrix(tjunction):
    """Weak drive on one gate: the sideband-0 transmissions between all three leads are
    kwant.smatrix's of the undriven junction up to O(δV²) (measured max |ΔT| 9.72e-5,
    2.43e-5 at δV = 0.02, 0.01: 0.243 δV²)."""
    fsyst, mag, params, greens = tjunction
    smat = kwant.smatrix(fsyst, E_TJ, params=dict(params, mag=site_field(fsyst, mag),
                                                   Va=0.0, Vb=0.0))
    ref = np.array([[smat.transmission(a, b) for b in range(3)] for a in range(3)])
    assert ref[1, 0] > 0.1 and ref[2, 0] > 0.1
    errors = []
    for dv in (0.02, 0.01):
        drive = PumpDrive(dv, 0.9, names=("Va",), phases=(0.3,))
        sol = floquet.floquet_solve(greens, mag, drive=drive, energy=E_TJ, n_sidebands=3)
        t0 = np.array([[sol.transmission(a, b, 0) for b in range(3)] for a in range(3)])
        errors.append(np.abs(t0 - ref).max())
    assert errors[0] < 0.5 * 0.02 ** 2                     # O(δV²), coefficient 0.243
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.05)


def test_tjunction_first_sidebands_are_born(tjunction):
    """For a weak drive δV cos(ωt + φ) on the gate Y = ∂H/∂Va, first-order perturbation
    theory in δV (Born) gives the photon-assisted amplitudes

        S_{αβ}(E ± ω, E) = i W_α(E ± ω)^† G^r(E ± ω) H_{±1} G^r(E) W_β(E),
        H_{+1} = (δV/2) e^{−iφ} Y = H_{−1}^†,

    (sign convention of the Floquet–Fisher–Lee relation S = −δ + iW^†ψ). The channel bases
    W are not unique, so the check is in orbital space: W_α S W_β^† = i Γ_α G^r H_{±1} G^r Γ_β
    with dense G^r and Γ from hamiltonian_submatrix and Kwant's lead.selfenergy, and the
    invariant T_{αβ}(±1) = Tr[Γ_α G H Γ_β G^† H^† G^†] for every pair of leads. The next term
    is O(δV³): at ω = 0.5, where E − ω and E + ω are open in every lead, the relative errors
    of the amplitudes are 1.87e-4, 4.67e-5 at δV = 0.02, 0.01 (0.47 δV²), those of the
    eighteen T_{αβ}(±1) at most 4.4e-4, 1.1e-4 (1.1 δV²)."""
    fsyst, mag, params, greens = tjunction
    omega, phase = 0.5, 0.3
    h0, g0, gam0 = _tj_dense(fsyst, params, mag, E_TJ, {})
    y = _tj_dense(fsyst, params, mag, E_TJ, {"Va": 1.0})[0] - h0
    assert np.allclose(y, np.diag(np.diag(y)))                # onsite, on the 3 gate sites
    assert np.count_nonzero(np.abs(np.diag(y)) > 0.5) == 6
    side = {n: _tj_dense(fsyst, params, mag, E_TJ + n * omega, {}) for n in (1, -1)}
    errors = []
    for dv in (0.02, 0.01):
        hp = 0.5 * dv * np.exp(-1j * phase) * y
        drive = PumpDrive(dv, omega, names=("Va",), phases=(phase,))
        sol = floquet.floquet_solve(greens, mag, drive=drive, energy=E_TJ, n_sidebands=4)
        err, scale = 0.0, 0.0
        for n, h_n in ((1, hp), (-1, hp.conj().T)):
            _, g_n, gam_n = side[n]
            for a in range(3):
                assert sol.num_modes(a, n) == 2                # open at E ± ω
                for b in range(3):
                    born = 1j * gam_n[a] @ g_n @ h_n @ g0 @ gam0[b]
                    w_out = np.zeros((len(g0), sol.num_modes(a, n)), complex)
                    w_in = np.zeros((len(g0), sol.num_modes(b)), complex)
                    w_out[greens.lead_orbitals[a]] = sol.lead_data[4 + n][a][1]
                    w_in[greens.lead_orbitals[b]] = sol.lead_data[4][b][1]
                    amp = w_out @ sol.smatrix_block(a, b, n) @ w_in.conj().T
                    err = max(err, np.abs(amp - born).max())
                    scale = max(scale, np.abs(born).max())
                    t_born = np.trace(gam_n[a] @ g_n @ h_n @ g0 @ gam0[b] @ g0.conj().T
                                      @ h_n.conj().T @ g_n.conj().T).real
                    assert t_born > 1e-6
                    assert sol.transmission(a, b, n) == pytest.approx(t_born, rel=2 * dv ** 2)
        assert scale > 1e-3
        errors.append(err / scale)
    assert errors[0] < 0.02 ** 2                           # O(δV²) relative, coefficient 0.47
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.05)


def test_truncation_indicator_bounds_the_error(setup):
    """``FloquetSolution.truncation`` (the weight of ψ_{±N}) against the real error of N = 1…5
    sidebands (reference N = 16, weight < 1e-19), for a strong and a moderate drive. The
    cycle-averaged quantities are quadratic in the outermost amplitudes and bounded by the
    weight itself: 2π|ΔI_{α,0}| and |ΔT_{αβ}(0)| ≤ truncation (measured ratios at most 0.21
    and 0.31), |Δ charge_per_cycle| ≤ 2 × truncation (at most 0.35; the sideband index
    weights it). The time-resolved density has cross terms ψ_{N−1}^†ψ_N linear in them: its
    error relative to max|⟨σ⟩| stays below 3 √truncation (at most 1.06). Strong drive
    (truncation 0.29 … 3.4e-5): the DC current error is 0.04–0.21 × truncation, so the
    indicator tracks it within a factor 25."""
    fsyst, m, params, greens = setup
    phases = np.arange(16) * 2 * np.pi / 16
    for drive, strong in ((PumpDrive(0.8, 0.7, np.pi / 3), True),
                          (PumpDrive(0.3, 0.4, np.pi / 3), False)):
        ref = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=16)
        assert ref.truncation < 1e-19

        def observables(sol):
            return (2 * np.pi * np.array([sol.current(a, 0).real for a in range(2)]),
                    np.array([[sol.transmission(a, b, 0) for b in range(2)] for a in range(2)]),
                    np.array([sol.charge_per_cycle(a) for a in range(2)]),
                    np.array([sol.spin_density(p) for p in phases]))

        exact = observables(ref)
        scale = np.abs(exact[3]).max()
        truncations, dc_errors = [], []
        for n in range(1, 6):
            sol = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=n)
            w = sol.truncation
            dc, trans, charge, spin = (np.abs(a - b).max() for a, b in zip(observables(sol),
                                                                             exact))
            assert dc <= w and trans <= w and charge <= 2 * w, (n, w, dc, trans, charge)
            assert spin / scale <= 3 * np.sqrt(w), (n, w, spin / scale)
            if strong:
                assert dc >= 0.01 * w, (n, w, dc)
            truncations.append(w)
            dc_errors.append(dc)
        # both fall by orders of magnitude from N = 1 to 5
        assert truncations[-1] < 1e-3 * truncations[0] and dc_errors[-1] < 1e-3 * dc_errors[0]


def test_converge_sidebands_reports_failure(setup):
    """converge_sidebands doubles N from n_start; when n_max sidebands do not reach tol it
    raises ConvergenceError naming the weight, N and the fix, and it refuses n_start < 1
    (N = 0 has no outermost sideband: its truncation reads 0 whatever the drive)."""
    from kwant_llg._common import ConvergenceError
    fsyst, m, params, greens = setup
    drive = PumpDrive(0.8, 0.3, np.pi / 3)
    with pytest.raises(ConvergenceError, match=r"did not converge.*±4.*raise n_max"):
        floquet.converge_sidebands(greens, m, drive=drive, energy=E, tol=1e-12, n_max=4)
    sol = floquet.converge_sidebands(greens, m, drive=drive, energy=E, tol=1e-3, n_max=64)
    assert sol.truncation < 1e-3 and sol.n_sidebands == 16     # 2 → 4 → 8 → 16
    half = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=8)
    assert half.truncation > 1e-3                              # the first that converges
    with pytest.raises(KwantLLGError, match="n_start"):
        floquet.converge_sidebands(greens, m, drive=drive, energy=E, n_start=0)
    with pytest.raises(KwantLLGError, match="n_max"):
        floquet.converge_sidebands(greens, m, drive=drive, energy=E, n_max=1.5)
    with pytest.raises(KwantLLGError, match="tol"):
        floquet.converge_sidebands(greens, m, drive=drive, energy=E, tol=0.0)
