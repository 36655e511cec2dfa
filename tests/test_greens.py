"""The frozen Green's-function engine against Kwant's own solvers."""

import numpy as np
import pytest
import kwant

import kwant_llg as kl
from kwant_llg import leads as kl_leads

from conftest import random_system

SIGMA_0 = np.eye(2)
SX, SY, SZ = kl.SIGMA

CASES = [
    dict(seed=1, num_leads=1),
    dict(seed=2, num_leads=2),
    dict(seed=3, num_leads=3),
    dict(seed=4, num_leads=2, ferromagnetic_leads=True),
    dict(seed=5, num_leads=3, ferromagnetic_leads=True, rashba=0.0),
    dict(seed=6, num_leads=2, lead_cell=2),
]
IDS = ["1lead", "2leads", "3leads", "FMleads", "3FMleads-noSOI", "2site-cell"]
SOLVERS = ["mumps", "superlu"]


def kwant_reference(fsyst, energy, params):
    wf = kwant.wave_function(fsyst, energy, params=params)
    ops = [kwant.operator.Density(fsyst, s) for s in kl.SIGMA]
    per_lead = []
    for a in range(len(fsyst.leads)):
        states = wf(a)
        per_lead.append(np.array([sum(op(psi) for psi in states) for op in ops]).T / (2 * np.pi)
                        if len(states) else np.zeros((len(fsyst.sites), 3)))
    return np.array(per_lead)


def rel_err(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_spin_density_ldos_transmission_match_kwant(case, solver):
    fsyst, m, params = random_system(**case)
    energy = 1.1
    kparams = dict(params, m=kl.site_field(fsyst, m))
    greens = kl.FrozenGreens(fsyst, energy, params=params, solver=solver)
    sol = greens.solve(m)
    # spin density per lead vs kwant.wave_function + operator.Density, 1e-10 relative
    ref = kwant_reference(fsyst, energy, kparams)
    assert rel_err(sol.spin_density(per_lead=True), ref) < 1e-10
    assert rel_err(sol.spin_density(), ref.sum(axis=0)) < 1e-10
    # LDOS vs kwant.ldos (per orbital there, per site here)
    ldos_ref = kwant.ldos(fsyst, energy, params=kparams).reshape(-1, 2).sum(axis=1)
    assert rel_err(sol.ldos(), ldos_ref) < 1e-10
    assert abs(sol.dos() - ldos_ref.sum()) < 1e-10 * ldos_ref.sum()
    # transmission matrix (reflection on the diagonal) vs kwant.smatrix
    smat = kwant.smatrix(fsyst, energy, params=kparams)
    n = len(fsyst.leads)
    t_ref = np.array([[smat.transmission(a, b) for b in range(n)] for a in range(n)])
    t = sol.transmission()
    assert np.abs(t - t_ref).max() < 1e-10 * max(1, np.abs(t_ref).max())
    # unitarity: sum over outgoing leads equals the number of open channels
    for b in range(n):
        assert sol.num_modes(b) == smat.num_propagating(b)
        assert abs(t[:, b].sum() - sol.num_modes(b)) < 1e-10


def test_functional_interface_matches_object():
    fsyst, m, params = random_system(7, num_leads=2)
    greens = kl.FrozenGreens(fsyst, 0.9, params=params)
    sol = greens.solve(m)
    p = dict(params, m=m)
    assert np.allclose(kl.spin_density(fsyst, 0.9, params=p), sol.spin_density(), atol=1e-13)
    assert np.allclose(kl.ldos(fsyst, 0.9, params=p), sol.ldos(), atol=1e-13)
    assert abs(kl.dos(fsyst, 0.9, params=p) - sol.dos()) < 1e-12
    assert np.allclose(kl.transmission(fsyst, 0.9, params=p), sol.transmission(), atol=1e-13)
    assert abs(kl.transmission(fsyst, 0.9, params=p, to_lead=1, from_lead=0)
               - sol.transmission(1, 0)) < 1e-13
    # a callable magnetisation gives the same as the array
    field = kl.site_field(fsyst, m)
    assert np.allclose(kl.spin_density(fsyst, 0.9, params=dict(params, m=field)),
                       sol.spin_density(), atol=1e-13)


def test_texture_update_reuses_cache_and_matches_fresh_object():
    fsyst, m, params = random_system(8, num_leads=2)
    greens = kl.FrozenGreens(fsyst, 1.4, params=params)
    greens.solve(m)
    rng = np.random.default_rng(0)
    m2 = rng.normal(size=m.shape)
    m2 /= np.linalg.norm(m2, axis=1, keepdims=True)
    s_reused = greens.solve(m2).spin_density()
    s_fresh = kl.FrozenGreens(fsyst, 1.4, params=params).solve(m2).spin_density()
    assert np.abs(s_reused - s_fresh).max() < 1e-12 * np.abs(s_fresh).max()
    assert len(greens._lead_cache) == 1


def test_density_matrix_hermitian_and_spin_density_real():
    fsyst, m, params = random_system(9, num_leads=3)
    sol = kl.FrozenGreens(fsyst, 1.2, params=params).solve(m)
    x = sol.psi.reshape(-1, 2, sol.psi.shape[1])
    rho = np.einsum("iak,ibk->iab", x, x.conj()) / (2 * np.pi)
    assert np.abs(rho - rho.conj().transpose(0, 2, 1)).max() < 1e-14
    s = np.einsum("iab,xba->ix", rho, kl.SIGMA)
    assert np.abs(s.imag).max() < 1e-14
    assert np.allclose(s.real, sol.spin_density(), atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_complex_energy_selfenergy_matches_kwant_near_real_axis(case):
    fsyst, m, params = random_system(**case)
    for lead in fsyst.leads:
        for energy in (0.4, 1.1, 2.7):
            ref = lead.selfenergy(energy, params=params)
            ours = kl_leads.selfenergy(lead, energy + 1e-9j, params=params)
            assert np.abs(ours - ref).max() < 1e-6 * max(1, np.abs(ref).max())
            same = kl_leads.selfenergy(lead, energy, params=params)
            assert np.abs(same - ref).max() < 1e-12 * max(1, np.abs(ref).max())


def test_complex_selfenergy_is_analytic_and_decays():
    fsyst, m, params = random_system(3, num_leads=1)
    lead = fsyst.leads[0]
    # retarded: anti-Hermitian part negative semidefinite in the upper half plane
    for z in (0.3 + 0.5j, 2.0 + 0.05j, -3.0 + 1j):
        sigma = kl_leads.selfenergy(lead, z, params=params)
        gamma = 1j * (sigma - sigma.conj().T)
        assert np.linalg.eigvalsh(gamma).min() > -1e-12
    # large |z|: Σ = v^† v / z + v^† h0 v / z^2 + O(z^-3)
    h0, v = kl_leads.lead_matrices(lead, params=params)
    z = 1e4j
    sigma = kl_leads.selfenergy(lead, z, params=params)
    expansion = v.conj().T @ v / z + v.conj().T @ h0 @ v / z**2
    assert np.abs(sigma - expansion).max() < 1e-6 * np.abs(sigma).max()


@pytest.mark.parametrize("method", ["sparse", "rgf"])
@pytest.mark.parametrize("num_leads", [1, 2, 3])
def test_greens_diagonal_matches_dense_inverse(method, num_leads):
    fsyst, m, params = random_system(10, num_leads=num_leads, L=7, W=3)
    greens = kl.FrozenGreens(fsyst, params=params)
    z = 1.3 + 0.2j
    if method == "rgf" and num_leads == 3:
        with pytest.raises(kl.KwantLLGError, match="method='sparse'"):
            greens.greens_diagonal(z, m, method=method)
        return
    diag = greens.greens_diagonal(z, m, method=method)
    ham = fsyst.hamiltonian_submatrix(params=dict(params, m=kl.site_field(fsyst, m)))
    a = z * np.eye(len(ham)) - ham
    for lead, iface in zip(fsyst.leads, fsyst.lead_interfaces):
        orbs = (2 * np.asarray(iface)[:, None] + np.arange(2)).ravel()
        a[np.ix_(orbs, orbs)] -= kl_leads.selfenergy(lead, z, params=params)
    g = np.linalg.inv(a)
    ref = np.array([g[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(len(fsyst.sites))])
    assert np.abs(diag - ref).max() < 1e-12 * np.abs(ref).max()
    # at a real energy the LDOS from -Im G/pi equals the scattering-state LDOS
    e = 0.7
    d = greens.greens_diagonal(e, m, method=method)
    ldos_g = -np.trace(d, axis1=1, axis2=2).imag / np.pi
    assert np.allclose(ldos_g, greens.solve(m, e).ldos(), rtol=1e-10, atol=1e-14)


def test_onsite_parameters_change_between_calls():
    fsyst = kl.devices.skyrmion_device(8, 6).finalized()
    m = kl.textures.skyrmion(fsyst, (3.5, 2.5), 2)
    params = kl.devices.seed_params()
    greens = kl.FrozenGreens(fsyst, 1.9, params=params, onsite_parameters=("V1", "V2"))
    y1 = greens.onsite_terms["V1"]
    # dH/dV1 is the identity on the gate column x = 0 and zero elsewhere
    on_gate = np.array([site.pos[0] == 0 for site in fsyst.sites])
    assert np.allclose(y1[on_gate], np.eye(2)) and np.allclose(y1[~on_gate], 0)
    for v1, v2 in [(0.0, 0.0), (0.8, -0.3), (-0.5, 1.2)]:
        sol = greens.solve(m, onsite_values=dict(V1=v1, V2=v2))
        p = dict(params, V1=v1, V2=v2)
        fresh = kl.FrozenGreens(fsyst, 1.9, params=p).solve(m)
        assert np.allclose(sol.spin_density(), fresh.spin_density(), atol=1e-13)
        smat = kwant.smatrix(fsyst, 1.9, params=dict(p, m=kl.site_field(fsyst, m)))
        assert abs(sol.transmission(1, 0) - smat.transmission(1, 0)) < 1e-10
    with pytest.raises(kl.KwantLLGError, match="onsite_parameters"):
        greens.solve(m, onsite_values=dict(V3=1.0))
    with pytest.raises(kl.KwantLLGError, match="finite"):
        greens.solve(m, onsite_values=dict(V1=np.nan))


def test_no_channels_invented_below_the_band_and_cache_is_bounded():
    fsyst = kl.devices.skyrmion_device(4, 9, gates=None).finalized()
    m = kl.textures.uniform(fsyst)
    greens = kl.FrozenGreens(fsyst, params=kl.devices.seed_params(), lead_cache_size=3)
    sol = greens.solve(m, -1.0)      # below every band of the metallic leads
    assert sol.num_modes(0) == 0 and sol.num_modes(1) == 0
    assert np.all(sol.spin_density() == 0)
    for e in (0.5, 0.7, 0.9, 1.1):
        greens.solve(m, e)
    assert len(greens._lead_cache) == 3


def test_unchecked_lead_data_is_checked_when_asked():
    """lead_data(E, check_band_edge=False) (quadrature nodes) caches the self-energies without
    the band-edge probe; a later checked request at the same E still refuses a band edge
    (here 1e-10 above it).
    The one-site-wide metallic lead has its band edges at 4t ∓ 2t = 2 and 6."""
    fsyst = kl.devices.skyrmion_device(2, 1, gates=None).finalized()
    greens = kl.FrozenGreens(fsyst, params=kl.devices.seed_params())
    data = greens.lead_data(2.0 + 1e-10, check_band_edge=False)
    assert all(np.all(np.isfinite(sigma)) for sigma, _, _ in data)
    with pytest.raises(kl.leads.BandEdgeError, match="band edge"):
        greens.lead_data(2.0 + 1e-10)
    greens.lead_data(3.0, check_band_edge=False)
    assert greens.lead_data(3.0) is greens.lead_data(3.0, check_band_edge=False)


def test_factorize_columns_and_hamiltonian_match_dense_inverse():
    """GreensFunction.columns equals the dense inverse of z − H − Σ; hamiltonian() equals Kwant's."""
    from kwant_llg import devices, textures
    fsyst = devices.skyrmion_device(8, 6).finalized()
    params = devices.seed_params()
    params.pop("m", None)
    greens = kl.FrozenGreens(fsyst, 1.9, params=params, onsite_parameters=("V1", "V2"))
    m = textures.skyrmion(fsyst, (4, 3), 2)
    full = dict(params, V1=0.3, m=kl.site_field(fsyst, m))
    ham = greens.hamiltonian(m, onsite_values={"V1": 0.3})
    assert abs(ham - fsyst.hamiltonian_submatrix(sparse=True, params=full)).max() < 1e-13
    for z in (1.9, 1.9 + 0.1j):
        gf = greens.factorize(z, m)
        n = gf.num_orbitals
        sigma = np.zeros((n, n), complex)
        for orbs, (s, _, _) in zip(gf.lead_orbitals, gf.lead_data):
            sigma[np.ix_(orbs, orbs)] += s
        dense = np.linalg.inv(z * np.eye(n) - greens.hamiltonian(m).toarray() - sigma)
        cols = greens.site_orbitals([0, 7])
        assert np.allclose(gf.columns(cols), dense[:, cols], atol=1e-12)
    greens.factorize(1.9, m)
    with pytest.raises(kl.KwantLLGError, match="invalidated"):
        gf.columns([0])


def test_sparse_and_dense_solves_can_be_mixed():
    """Sparse (lead, column) and dense right-hand sides alternate on one factorisation."""
    from kwant_llg import devices, textures
    fsyst = devices.skyrmion_device(8, 6).finalized()
    greens = kl.FrozenGreens(fsyst, 1.9, params=devices.seed_params())
    m = textures.skyrmion(fsyst, (4, 3), 2)
    gf = greens.factorize(1.9, m)
    eye = np.eye(gf.num_orbitals)
    for _ in range(3):
        cols = gf.columns([1, 4, 9])
        dense = gf.solve(eye[:, [1, 4, 9]])
        assert np.allclose(cols, dense, atol=1e-13)
    first = greens.solve(m).spin_density()
    gf = greens.factorize(1.9, m)
    gf.solve(eye[:, 0])
    assert np.allclose(greens.solve(m).spin_density(), first, atol=1e-13)


def _lead_cases():
    """(lead, params, spin_z) for a normal ribbon, a ribbon magnetised along z (both σ_z
    conserving: solved as two spin blocks), one magnetised along x and a Rashba ribbon
    (full mode solver), and a ribbon that declares its spin conservation to Kwant."""
    lat = kwant.lattice.square(norbs=2)
    cases = []
    for mlead, alpha, spin_z in (((0, 0, 0), 0.0, True), ((0, 0, 1), 0.0, True),
                                 ((1, 0, 0), 0.0, False), ((0, 0, 1), 0.3, False)):
        lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
        lead[(lat(0, y) for y in range(5))] = (
            lambda site, J, mlead: 4 * SIGMA_0 + J * kl.devices.exchange_onsite(mlead, 1))
        lead[kwant.builder.HoppingKind((1, 0), lat)] = (
            lambda s1, s2, alpha: -SIGMA_0 + 1j * alpha * SY)
        lead[kwant.builder.HoppingKind((0, 1), lat)] = (
            lambda s1, s2, alpha: -SIGMA_0 - 1j * alpha * SX)
        cases.append((lead.finalized(), dict(J=1.3, mlead=np.array(mlead, float), alpha=alpha),
                      spin_z))
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), conservation_law=-SZ)
    lead[(lat(0, y) for y in range(4))] = lambda site, J: 4 * SIGMA_0 + J * SZ
    lead[lat.neighbors()] = -SIGMA_0
    cases.append((lead.finalized(), dict(J=0.7), True))
    return cases


def test_lead_solver_equals_kwant_selfenergy_and_modes():
    for lead, params, spin_z in _lead_cases():
        solver = kl_leads.LeadSolver(lead, params=params)
        assert solver.spin_z == spin_z
        for energy in (-1.7, 0.35, 1.1, 2.9, 6.2):
            ref = lead.selfenergy(energy, params=params)
            ours = solver.selfenergy(energy, check_band_edge=False)
            assert np.abs(ours - ref).max() <= 1e-12 * max(1, np.abs(ref).max())
            prop, _ = lead.modes(energy, params=params)
            assert solver.num_propagating(energy) == len(prop.velocities)
        z = 0.8 + 0.05j
        assert np.allclose(solver.selfenergy(z), kl_leads.selfenergy(lead, z, params=params),
                           rtol=0, atol=1e-13)


def test_lead_solver_refuses_band_edge():
    lead, params, _ = _lead_cases()[0]           # normal ribbon: edge of the first subband
    edge = 4 - 2 - 2 * np.cos(np.pi / 6)
    with pytest.raises(kl.BandEdgeError, match="band edge"):
        kl_leads.LeadSolver(lead, params=params).selfenergy(edge)
