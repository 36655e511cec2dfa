"""Pumped current (Eq. 40): Brouwer's formula with Kwant's S matrix, dense linear algebra,
charge conservation against kwant.ldos, φ → −φ, frequency scaling, spin polarisation."""

import numpy as np
import pytest
import kwant

import kwant_llg as kl
from kwant_llg import pumping
from kwant_llg.pumping import PumpDrive


def _device(L, W, energy, *, radius=None, seed=None):
    fsyst = kl.devices.skyrmion_device(L, W).finalized()
    params = kl.devices.seed_params()
    greens = kl.FrozenGreens(fsyst, energy, params=params, onsite_parameters=("V1", "V2"))
    if seed is None:
        m = kl.textures.skyrmion(fsyst, center=((L - 1) / 2, (W - 1) / 2),
                                 radius=radius or min(L, W) / 4)
    else:
        m = np.random.default_rng(seed).normal(size=(len(fsyst.sites), 3))
        m /= np.linalg.norm(m, axis=1, keepdims=True)
    return fsyst, params, greens, m


def test_drive_values_and_rates():
    d = PumpDrive(0.8, 0.5, np.pi / 3)
    t = np.linspace(0, 20, 11)
    v = d.values(t)
    assert np.allclose(v[0], 0.8 * np.cos(0.5 * t))
    assert np.allclose(v[1], 0.8 * np.cos(0.5 * t + np.pi / 3))
    h = 1e-6
    assert np.allclose(d.rates(t), (d.values(t + h) - d.values(t - h)) / (2 * h), atol=1e-8)
    assert d.period == pytest.approx(4 * np.pi)
    assert d.onsite_values(1.0) == {"V1": pytest.approx(0.8 * np.cos(0.5)),
                                    "V2": pytest.approx(0.8 * np.cos(0.5 + np.pi / 3))}
    assert np.allclose(d.reversed().values(t), d.values(-t))
    assert d.reversed().phi == pytest.approx(-np.pi / 3)


def test_drive_raises():
    with pytest.raises(kl.KwantLLGError, match="omega"):
        PumpDrive(0.8, 0.0)
    with pytest.raises(kl.KwantLLGError, match="amplitude"):
        PumpDrive([1, 2, 3], 1.0)
    with pytest.raises(kl.KwantLLGError, match="phases"):
        PumpDrive(1.0, 1.0, names=("a", "b", "c"))
    with pytest.raises(kl.KwantLLGError, match="distinct"):
        PumpDrive(1.0, 1.0, names=("a", "a"))


def test_pumping_raises():
    fsyst, params, greens, m = _device(6, 4, 1.5)
    plain = kl.FrozenGreens(fsyst, 1.5, params=params)
    with pytest.raises(kl.KwantLLGError, match="onsite_parameters"):
        pumping.pumped_current(plain, m, PumpDrive(0.3, 1.0), [0.0])
    with pytest.raises(kl.KwantLLGError, match="lead"):
        pumping.pumped_current(greens, m, PumpDrive(0.3, 1.0), [0.0], lead=2)
    with pytest.raises(kl.KwantLLGError, match="n_times"):
        pumping.charge_per_cycle(greens, m, PumpDrive(0.3, 1.0), n_times=7)
    with pytest.raises(kl.KwantLLGError, match="PumpDrive"):
        pumping.charge_per_cycle(greens, m, dict(V=0.3))


def test_response_against_dense_linear_algebra():
    """Emissivities and gate densities from G^r = (E − H − Σ)^-1 built densely from Kwant's
    Hamiltonian and Kwant's lead self-energies (independent of kwant_llg's assembly)."""
    fsyst, params, greens, m = _device(6, 4, 1.7, seed=3)
    v = np.array([0.25, -0.4])
    model = pumping.PumpModel(greens, ("V1", "V2"))
    resp = model.response(m, v)
    p = dict(params, m=kl.site_field(fsyst, m), V1=v[0], V2=v[1])
    h = fsyst.hamiltonian_submatrix(params=p)
    sigma = np.zeros_like(h)
    gammas = []
    for lead, iface in zip(fsyst.leads, fsyst.lead_interfaces):
        orbs = (2 * np.asarray(iface)[:, None] + np.arange(2)).ravel()
        s = lead.selfenergy(1.7, params=p)
        sigma[np.ix_(orbs, orbs)] += s
        g = np.zeros_like(h)
        g[np.ix_(orbs, orbs)] = 1j * (s - s.conj().T)
        gammas.append(g)
    gr = np.linalg.inv(1.7 * np.eye(len(h)) - h - sigma)
    for p_idx, name in enumerate(("V1", "V2")):
        y = kl.FrozenGreens._block_matrix(greens.onsite_terms[name]).toarray()
        rho = gr @ y @ gr.conj().T / (2 * np.pi)
        blocks = np.array([rho[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(len(fsyst.sites))])
        assert np.allclose(resp.densities[p_idx], blocks, atol=1e-10 * np.abs(blocks).max())
        for lead in range(2):
            dense = np.trace(gammas[lead] @ rho).real
            assert resp.emissivity[p_idx, lead] == pytest.approx(dense, rel=1e-9)
        # the same Fermi-surface density as the adiabatic module's kernel
        gf = greens.factorize(1.7, m, onsite_values=dict(V1=v[0], V2=v[1]))
        ref = kl.adiabatic.fermi_surface_density(gf, greens.onsite_terms[name][model.gate_sites],
                                                  model.gate_sites)
        assert np.allclose(resp.densities[p_idx], ref, atol=1e-12)


def test_emissivity_sum_is_gate_dos():
    """Σ_α dn_α/dv_p = Σ_{i ∈ gate p} LDOS_i (all charge pushed off the gate leaves through
    the leads), checked against kwant.ldos."""
    fsyst, params, greens, m = _device(8, 5, 1.9)
    v = np.array([0.3, 0.1])
    resp = pumping.PumpModel(greens, ("V1", "V2")).response(m, v, densities=False)
    p = dict(params, m=kl.site_field(fsyst, m), V1=v[0], V2=v[1])
    ldos = kwant.ldos(fsyst, 1.9, params=p).reshape(-1, 2).sum(axis=1)
    x = np.array([s.pos[0] for s in fsyst.sites])
    for p_idx, col in enumerate((0, 4)):
        assert resp.emissivity[p_idx].sum() == pytest.approx(ldos[x == col].sum(), rel=1e-9)


def test_brouwer_charge_per_cycle():
    """Eq. 40 (with 1/2π) integrated over a cycle equals Brouwer's formula from finite
    differences of kwant.smatrix, to 1e-6 relative (same time nodes)."""
    fsyst, params, greens, m = _device(10, 8, 1.5, radius=3)
    drive = PumpDrive(0.3, 1.0, np.pi / 2)
    ours = pumping.charge_per_cycle(greens, m, drive, n_times=16)
    ref = pumping.brouwer_charge(fsyst, m, drive, energy=1.5, params=params, n_times=16,
                                 delta=1e-5)
    assert abs(ours.total) > 1e-2            # a nonzero pumped charge
    assert ours.total == pytest.approx(ref.total, rel=1e-6)
    assert ours.up + ours.down == pytest.approx(ours.total, rel=1e-12)


@pytest.mark.parametrize("energy, lead_magnetization", [(4.1, None), (4.1, (0, 0, 1)),
                                                         (1.9, None)])
def test_spin_resolved_charge_equals_spin_resolved_brouwer(energy, lead_magnetization):
    """The σ_z-resolved charges pumped per cycle (engine: σ_z blocks of Γ_R) equal Brouwer's
    formula restricted to the spin-up and spin-down outgoing channels of Kwant's S matrix,
    each to 1e-6 of the larger part: spin-degenerate leads (Kwant mixes the spins of
    degenerate modes, undone by the channel projector), magnetic leads along z, and E = 1.9
    where spin up carries a small part. Measured: 1e-9 relative."""
    fsyst = kl.devices.skyrmion_device(8, 6, lead_magnetization=lead_magnetization).finalized()
    params = kl.devices.seed_params()
    greens = kl.FrozenGreens(fsyst, energy, params=params, onsite_parameters=("V1", "V2"))
    m = kl.textures.skyrmion(fsyst, center=(3.5, 2.5), radius=2)
    drive = PumpDrive(0.5, 1.0, np.pi / 2)
    ours = pumping.charge_per_cycle(greens, m, drive, n_times=16)
    ref = pumping.brouwer_charge(fsyst, m, drive, energy=energy, params=params, n_times=16,
                                 delta=1e-5)
    scale = max(abs(ref.up), abs(ref.down))
    assert min(abs(ref.up), abs(ref.down)) > 1e-4          # both spins pump something
    assert ref.up + ref.down == pytest.approx(ref.total, abs=1e-10 * scale)
    assert ours.up == pytest.approx(ref.up, abs=1e-6 * scale)
    assert ours.down == pytest.approx(ref.down, abs=1e-6 * scale)


def test_brouwer_has_no_spin_parts_for_a_spin_mixing_lead():
    """A lead magnetised along x does not conserve σ_z: no spin-resolved charge."""
    fsyst = kl.devices.skyrmion_device(5, 3, lead_magnetization=(1, 0, 0)).finalized()
    m = kl.textures.uniform(fsyst, (0, 0, 1))
    ref = pumping.brouwer_charge(fsyst, m, PumpDrive(0.5, 1.0, np.pi / 2), energy=4.1,
                                 params=kl.devices.seed_params(), n_times=4)
    assert ref.up is None and ref.down is None and np.isfinite(ref.total)


def test_reversed_phase_reverses_current():
    """φ → −φ runs the loop (V1, V2) backwards: Q → −Q and I(t; −φ) = −I(−t; φ), for any
    texture (here a random one)."""
    fsyst, params, greens, m = _device(8, 6, 1.9, seed=7)
    drive = PumpDrive(0.5, 1.0, np.pi / 3)
    t = np.linspace(0, drive.period, 9)
    fwd = pumping.pumped_current(greens, m, drive, t)
    bwd = pumping.pumped_current(greens, m, drive.reversed(), -t)
    assert np.abs(fwd.current).max() > 1e-2
    assert np.allclose(bwd.current, -fwd.current, rtol=1e-10, atol=1e-13)
    q1 = pumping.charge_per_cycle(greens, m, drive, n_times=16).total
    q2 = pumping.charge_per_cycle(greens, m, drive.reversed(), n_times=16).total
    assert abs(q1) > 1e-3 and q2 == pytest.approx(-q1, rel=1e-10)


def test_current_over_omega_is_a_function_of_phase():
    """I_p/ω_p of a frozen skyrmion is the same function of the phase ω_p t for
    ω_p = 0.2, 0.5, 1 (the adiabatic current; regression of the time handling)."""
    fsyst, params, greens, m = _device(10, 8, 1.9, radius=3)
    phase = np.linspace(0, 4 * np.pi, 9)[:-1] + 0.1
    curves = [pumping.pumped_current(greens, m, PumpDrive(0.8, w, np.pi / 2), phase / w).current / w
              for w in (0.2, 0.5, 1.0)]
    assert np.abs(curves[0]).max() > 1e-2
    assert np.allclose(curves[1], curves[0], rtol=1e-12, atol=1e-14)
    assert np.allclose(curves[2], curves[0], rtol=1e-12, atol=1e-14)


def test_pumped_current_is_spin_polarised_below_J():
    """At E = 1.9 < J = 2 (seed, 20×20 with a skyrmion) only spin-down electrons pump into
    the right lead: the spin-up current stays below 1% of the spin-down one at every time.
    At E = 4 (both spins propagate) the same ratio is of order one."""
    t = np.linspace(0, 2 * np.pi, 9)[:-1] + 0.05
    fsyst, params, greens, m = _device(20, 20, 1.9)
    cur = pumping.pumped_current(greens, m, PumpDrive(0.8, 1.0, np.pi / 2), t)
    assert np.abs(cur.down).max() > 0.1
    assert np.abs(cur.up).max() < 1e-2 * np.abs(cur.down).max()
    assert np.allclose(cur.up + cur.down, cur.current, atol=1e-12)
    fsyst, params, greens, m = _device(12, 10, 4.1)
    cur = pumping.pumped_current(greens, m, PumpDrive(0.8, 1.0, np.pi / 2), t)
    assert np.abs(cur.up).max() > 0.2 * np.abs(cur.down).max()
