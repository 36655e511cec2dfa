"""Spin density of a moving texture (kwant_llg.velocity) and the implicit LLG it drives.

Checks: the site-resolved tensor χ_ij contracted with ṁ equals the first-order density of
kwant_llg.adiabatic for Ḣ = X·ṁ (a different evaluation: pair blocks of the sea on the
contour and the Fermi window), its sum over site pairs equals the Gilbert damping of Eq. (19)
(itself tested against Brataas–Tserkovnyak–Bauer), the implicit LLG solve, and PumpedLLG's
use of it. The comparison with tkwant's exact electrons is in tests/test_tdcoupled.py.
"""

import pickle

import numpy as np
import pytest

from kwant_llg import FrozenGreens, adiabatic, coefficients, devices, textures
from kwant_llg._common import KwantLLGError
from kwant_llg.coupled import PumpedLLG
from kwant_llg.llg import cross, llg_rhs, llg_rhs_nonlocal
from kwant_llg.pumping import PumpDrive
from kwant_llg.spins import DMI, Exchange, SpinLattice
from kwant_llg.velocity import pair_traces, velocity_response

L, W, MU = 4, 2, 0.3
GATES = {"V1": 0.1, "V2": -0.2}


@pytest.fixture(scope="module")
def system():
    fsyst = devices.skyrmion_device(L, W, gates=(0, 3), lead_magnetization=(0, 0, 1)).finalized()
    m = textures.skyrmion(fsyst, center=((L - 1) / 2, (W - 1) / 2), radius=1.5)
    greens = FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    return fsyst, greens, m


def _tangent_velocity(m, seed=1):
    v = np.random.default_rng(seed).normal(size=m.shape)
    return v - np.einsum("ia,ia->i", v, m)[:, None] * m


@pytest.mark.parametrize("kT", [0.0, 0.05])
def test_contracted_response_is_first_order_density(system, kT):
    """χ·ṁ = ⟨σ⟩^(1) of adiabatic.first_order_density for Ḣ = X·ṁ, Fermi surface alone and
    with the Fermi sea; asserted 1e-9 relative (measured 1e-13)."""
    _, greens, m = system
    m_dot = _tangent_velocity(m)
    pert = adiabatic.perturbation(greens, m_dot=m_dot)
    for sea in (False, True):
        resp = velocity_response(greens, m, mu=MU, kT=kT, fermi_sea=sea, onsite_values=GATES,
                                 tol=1e-11)
        ref = adiabatic.first_order_density(greens, m, pert.hdot, pert.sites, mu=MU, kT=kT,
                                            fermi_sea=sea, onsite_values=GATES, tol=1e-12)
        scale = np.abs(ref.spin).max()
        assert scale > 1e-2
        np.testing.assert_allclose(resp.spin(m_dot), ref.spin, atol=1e-9 * scale, rtol=0)
        assert (resp.fermi_sea is None) == (not sea)
    assert np.abs(resp.fermi_surface + resp.fermi_sea - resp.value).max() == 0


@pytest.mark.parametrize("kT", [0.0, 0.05])
def test_summed_damping_is_eq19(system, kT):
    """Σ_ij α_ij = gilbert_damping (Eq. 19, split method) on all sites and on a subset;
    asserted 1e-9 relative. The antisymmetric part is nonzero (gyromagnetic renormalisation)."""
    _, greens, m = system
    for sites in (None, [1, 2, 5, 6]):
        resp = velocity_response(greens, m, mu=MU, kT=kT, sites=sites, onsite_values=GATES,
                                 tol=1e-11)
        ref = coefficients.gilbert_damping(greens, m, mu=MU, kT=kT, sites=sites,
                                           onsite_values=GATES, tol=1e-11)
        total = resp.damping().sum(axis=(0, 2))
        scale = np.abs(ref.value).max()
        np.testing.assert_allclose(total, ref.value, atol=1e-9 * scale, rtol=0)
    assert np.abs(total - total.T).max() > 1e-3 * scale


def test_pair_traces_against_dense_products():
    rng = np.random.default_rng(3)
    k = 3
    left = rng.normal(size=(k, k, 2, 2)) + 1j * rng.normal(size=(k, k, 2, 2))
    right = rng.normal(size=(k, k, 2, 2)) + 1j * rng.normal(size=(k, k, 2, 2))
    x = rng.normal(size=(k, 3, 2, 2)) + 1j * rng.normal(size=(k, 3, 2, 2))
    from kwant_llg._common import SIGMA
    out = pair_traces(left, x, np.swapaxes(right, 0, 1))
    for i, a, j, b in [(0, 0, 1, 2), (2, 1, 2, 1), (1, 2, 0, 0)]:
        ref = np.trace(SIGMA[a] @ left[i, j] @ x[j, b] @ right[j, i])
        assert abs(out[i, a, j, b] - ref) < 1e-12


def test_implicit_llg_solve():
    """llg_rhs_nonlocal solves ṁ = −γ m × (H + K ṁ) + α m × ṁ (residual 1e-12), keeps
    m·ṁ = 0 and reduces to llg_rhs for K = 0."""
    rng = np.random.default_rng(0)
    m = rng.normal(size=(5, 3))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    h = rng.normal(size=(5, 3))
    zero = np.zeros((5, 3, 5, 3))
    np.testing.assert_allclose(llg_rhs_nonlocal(m, h, zero, alpha=0.3, gamma=1.3),
                               llg_rhs(m, h, alpha=0.3, gamma=1.3), atol=1e-14)
    k = rng.normal(size=(5, 3, 5, 3))
    v = llg_rhs_nonlocal(m, h, k, alpha=0.3, gamma=1.3)
    res = v - (-1.3 * cross(m, h + np.einsum("iajb,jb->ia", k, v)) + 0.3 * cross(m, v))
    assert np.abs(res).max() < 1e-12
    assert np.abs(np.einsum("ia,ia->i", m, v)).max() < 1e-12


def test_pumped_llg_velocity_term(system):
    """PumpedLLG(velocity=True): the right-hand side is the implicit LLG with
    K = −J χ (χ from velocity_response at the stage's gate values, Fermi surface only for
    the default torque); the state pickles (the seed's device is picklable) and continues
    bit for bit; the adaptive integrator is refused."""
    fsyst, _, m = system
    lat = SpinLattice.from_kwant(fsyst)
    ham = Exchange(1) + DMI(0.2)
    drive = PumpDrive(0.3, 1.0)
    state = PumpedLLG(fsyst, lat, ham, m, drive=drive, energy=MU, alpha=0.1, dt=0.1,
                      params=devices.seed_params(), velocity=True, check_skyrmion=False)
    t = 0.7
    greens = FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    values = dict(zip(drive.names, drive.values(t)))
    chi = velocity_response(greens, m, mu=MU, fermi_sea=False, onsite_values=values)
    gate, _, _ = state.electron_fields(t, m)
    h = state.field(m) + np.tensordot(drive.rates(t), gate, axes=1)
    ref = llg_rhs_nonlocal(m, h, -2.0 * chi.value, alpha=0.1, gamma=1.0)
    np.testing.assert_allclose(state.rhs(t, m), ref, atol=1e-12)
    state.evolve(0.3)
    copy = pickle.loads(pickle.dumps(state))
    state.evolve(0.6)
    copy.evolve(0.6)
    assert np.array_equal(state.m, copy.m)
    with pytest.raises(KwantLLGError, match="implicit in dm/dt"):
        PumpedLLG(fsyst, lat, ham, m, drive=drive, energy=MU, alpha=0.1, dt=0.1,
                  params=devices.seed_params(), velocity=True, integrator="dopri5",
                  check_skyrmion=False)


def test_velocity_damps_undriven_spins(system):
    """With the Fermi sea, the symmetric part of the site-resolved α_ij = ½Jχ_ij is positive
    semidefinite (at kT = 0 it is the Brataas–Tserkovnyak–Bauer form ½ Re Tr[∂_i S ∂_j S†]/4π,
    a Gram matrix; the Fermi-surface term alone is not). Then the implicit LLG gives
    dE/dt = −2 ṁ·α ṁ ≤ 0: without drive and spin damping (α = 0) the spin energy only
    decreases, by electronic damping alone. Asserted: eigenvalues >= −1e-10 × max; energy
    non-increasing (1e-10) and dropping by > 1e-4 over t = 1."""
    fsyst, greens, m = system
    resp = velocity_response(greens, m, mu=MU)
    k = len(resp.sites)
    alpha = resp.damping().reshape(3 * k, 3 * k)
    sym = 0.5 * (alpha + alpha.T)
    assert np.linalg.eigvalsh(sym).min() > -1e-10 * np.abs(sym).max()
    fs = resp.fermi_surface.reshape(3 * k, 3 * k)
    assert np.linalg.eigvalsh(fs + fs.T).min() < -1e-3 * np.abs(fs).max()
    lat = SpinLattice.from_kwant(fsyst)
    ham = Exchange(1) + DMI(0.2)
    state = PumpedLLG(fsyst, lat, ham, m, drive=PumpDrive(0.0, 1.0), energy=MU, alpha=0.0,
                      dt=0.05, params=devices.seed_params(), velocity=True, torque="adiabatic",
                      check_skyrmion=False)
    energies = [ham.energy(lat, state.m)]
    for n in range(1, 11):
        state.evolve(0.1 * n)
        energies.append(ham.energy(lat, state.m))
    assert np.all(np.diff(energies) < 1e-10), energies
    assert energies[0] - energies[-1] > 1e-4, energies


def test_bad_input(system):
    fsyst, greens, m = system
    resp = velocity_response(greens, m, mu=MU, fermi_sea=False)
    with pytest.raises(KwantLLGError, match="m_dot must be"):
        resp.spin(np.zeros((3, 3)))
    with pytest.raises(KwantLLGError, match="tol"):
        velocity_response(greens, m, mu=MU, tol=-1)
    with pytest.raises(KwantLLGError, match="below the spectrum"):
        velocity_response(greens, m, mu=-50.0)
    with pytest.raises(KwantLLGError, match="unit|norm|length"):
        velocity_response(greens, 2 * m, mu=MU)


def test_chain_without_skyrmion_checks():
    """A chain (no two-dimensional sample): PumpedLLG runs with check_skyrmion=False, the
    topological observables are NaN, and asking for the skyrmion checks names the problem."""
    fsyst = devices.skyrmion_device(3, 1, gates=(0, 2), lead_magnetization=(0, 0, 1)).finalized()
    lat = SpinLattice.from_kwant(fsyst)
    m = np.tile([np.sin(0.5), 0.0, np.cos(0.5)], (3, 1))
    kwargs = dict(drive=PumpDrive(0.2, 1.0), energy=1.0, alpha=0.1, dt=0.1,
                  params=devices.seed_params(), velocity=True)
    state = PumpedLLG(fsyst, lat, Exchange(1), m, check_skyrmion=False, **kwargs)
    state.evolve(0.2)
    obs = state.observables()
    assert np.isnan(obs["Q"]) and np.isnan(obs["radius"]) and np.isfinite(obs["I_p"])
    with pytest.raises(KwantLLGError, match="two-dimensional sample"):
        PumpedLLG(fsyst, lat, Exchange(1), m, **kwargs)


def test_site_resolved_damping_is_btb():
    """At kT = 0 the symmetric part of the site-resolved tensor, 2 α_sym[ia, jb], equals the
    Brataas–Tserkovnyak–Bauer form (1/4π) Re Tr[∂_ia S ∂_jb S†] with ∂S from central
    differences of kwant.smatrix for every spin component (4×3 seed device with normal leads,
    skyrmion, E = 1.9): asserted 1e-6 relative (measured 7e-9 on 6×6, 4e-8 on 10×10 in
    benchmarks/bench_velocity.py)."""
    import kwant
    fsyst = devices.skyrmion_device(4, 3, gates=(0, 3)).finalized()
    m = textures.skyrmion(fsyst, (1.5, 1.0), 1.2, polarity=-1)
    greens = FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    resp = velocity_response(greens, m, mu=1.9, onsite_values={"V1": 0.0, "V2": 0.0},
                             tol=1e-10)
    from kwant_llg import site_field

    def smat(marr):
        params = devices.seed_params(m=site_field(fsyst, marr))
        return kwant.smatrix(fsyst, 1.9, params=params).data

    n, step = len(m), 1e-5
    ds = []
    for i in range(n):
        for a in range(3):
            plus, minus = m.copy(), m.copy()
            plus[i, a] += step
            minus[i, a] -= step
            ds.append(((smat(plus) - smat(minus)) / (2 * step)).ravel())
    ds = np.array(ds)
    btb = ((ds @ ds.conj().T).real / (4 * np.pi)).reshape(n, 3, n, 3)
    alpha = resp.damping()
    sym = 0.5 * (alpha + alpha.transpose(2, 3, 0, 1))
    assert np.abs(btb).max() > 1e-2
    np.testing.assert_allclose(2 * sym, btb, atol=1e-6 * np.abs(btb).max(), rtol=0)
