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
    errors, narrow = [], []
    for omega in (0.02, 0.01):
        drive = PumpDrive(V, omega, np.pi / 2)
        q = floquet.pumped_charge(greens, m, drive=drive, mu=E, n_sidebands=3, n_points=2)
        assert q.truncation < 1e-4
        assert q.charge[0] == pytest.approx(-q.charge[1], rel=1e-3)      # charge conservation
        assert sum(q.spin[1]) == pytest.approx(q.charge[1], rel=1e-10)
        errors.append(abs(q.charge[1] - ref.total))
        sol = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=3)
        narrow.append(abs(sol.charge_per_cycle(1) - ref.total))
    # Brouwer: 1.26423e-3; Floquet 1.26498e-3 (ω = 0.02), 1.26447e-3 (ω = 0.01)
    assert errors[1] < 1e-3 * abs(ref.total)
    assert errors[1] < 0.5 * errors[0]            # converges (about as ω^2)
    assert narrow[1] < 0.6 * narrow[0]            # the narrow-window estimate converges as ω


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
    # with ρ^(1) = (1/2π) G^r Ḣ G^a |_μ − (1/2π) ∫^μ dE [∂_E G^r Ḣ G^r + h.c.] (dense algebra)
    fsyst, m, params, greens = setup
    V, phase, h = 0.1, 0.7, 1e-4
    errors = []
    for omega in (0.004, 0.002):
        drive = PumpDrive(V, omega, np.pi / 2)
        t = phase / omega
        values = drive.onsite_values(t)
        blocks = sum(r * greens.onsite_terms[n] for n, r in zip(drive.names, drive.rates(t)))
        hdot = np.zeros((2 * greens.num_sites,) * 2, dtype=complex)
        for i, b in enumerate(blocks):
            hdot[2 * i:2 * i + 2, 2 * i:2 * i + 2] = b
        g = {e: _dense_greens(greens, m, e, values) for e in (E - h, E, E + h)}
        fs = {e: g[e] @ hdot @ g[e].conj().T / (2 * np.pi) for e in (E - h, E + h)}
        x = (g[E + h] - g[E - h]) / (2 * h) @ hdot @ g[E]
        pred = _spin(greens, (fs[E + h] - fs[E - h]) / (2 * h) - (x + x.conj().T) / (2 * np.pi))
        sol = floquet.floquet_solve(greens, m, drive=drive, energy=E, n_sidebands=4)
        diff = sol.spin_density(phase) - greens.solve(m, E, onsite_values=values).spin_density()
        assert np.abs(diff).max() > 20 * np.abs(diff - pred).max()
        errors.append(np.abs(diff - pred).max())
    # measured: |diff| = 6.7e-4, 3.4e-4; error 1.1e-5, 1.8e-6
    assert errors[1] < 0.3 * errors[0]


def test_floquet_errors(setup):
    fsyst, m, params, greens = setup
    plain = FrozenGreens(fsyst, params=params)
    with pytest.raises(KwantLLGError, match="onsite parameters"):
        floquet.floquet_solve(plain, m, drive=PumpDrive(0.1, 0.1), energy=E, n_sidebands=1)
    with pytest.raises(KwantLLGError, match="n_sidebands"):
        floquet.floquet_solve(greens, m, drive=PumpDrive(0.1, 0.1), energy=E, n_sidebands=-1)
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
    for a strong drive, static gate offsets, a ferromagnetic texture and every N."""
    fsyst = devices.skyrmion_device(10, 5, gates=(1, 5)).finalized()
    m = textures.skyrmion(fsyst, center=(4.5, 2.0), radius=1.5)
    greens = FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    drive = PumpDrive(0.8, 0.7, np.pi / 2)
    offsets = {"V1": 0.2, "V2": -0.1}
    cache = floquet.FloquetCache(greens)
    for n in (0, 1, 3, 6):
        ref = floquet.floquet_solve(greens, m, drive=drive, energy=1.9, n_sidebands=n,
                                    onsite_values=offsets, method="direct")
        for kw in ({}, {"cache": cache}):
            sol = floquet.floquet_solve(greens, m, drive=drive, energy=1.9, n_sidebands=n,
                                        onsite_values=offsets, method="dyson", **kw)
            assert np.abs(sol.psi - ref.psi).max() < 1e-9 * np.abs(ref.psi).max()
        if n:
            assert ref.truncation > 1e-9 and sum(ref.transmission(1, 0)[:n]) > 1e-3
    # a zero drive has an empty support: ψ is the undriven scattering state
    sol = floquet.floquet_solve(greens, m, drive=PumpDrive(0.0, 0.7), energy=1.9,
                                n_sidebands=2, method="dyson")
    psi = greens.solve(m, 1.9).psi
    assert np.abs(sol.psi[2] - psi).max() < 1e-12 and np.abs(sol.psi[[0, 1, 3, 4]]).max() == 0
    with pytest.raises(KwantLLGError, match="method must be"):
        floquet.floquet_solve(greens, m, drive=drive, energy=1.9, n_sidebands=1, method="lu")
