"""Spatial adiabatic limit: b_J and c_J of domain walls and skyrmions under bias."""

import numpy as np
import pytest
import kwant

import kwant_llg as kl
from kwant_llg import spatial, textures
from kwant_llg._common import KwantLLGError

PARAMS = dict(t=1.0, J=2.0)


def wall(L, W, width, **kwargs):
    fsyst = spatial.ribbon(L, W, **kwargs).finalized()
    greens = kl.FrozenGreens(fsyst, params=PARAMS)
    return fsyst, greens, spatial.domain_wall(fsyst, center=(L - 1) / 2, width=width)


def test_bias_density_matches_kwant_wave_functions():
    fsyst, greens, m = wall(16, 4, 1.5)
    m = 0.8 * m + 0.2 * np.random.default_rng(1).normal(size=m.shape)   # break symmetries
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    E = 2.7
    sol = greens.solve(m, E)
    wf = kwant.wave_function(fsyst, E, params=dict(PARAMS, m=kl.site_field(fsyst, m)))
    sigma = [kwant.operator.Density(fsyst, s, sum=False) for s in kl.SIGMA]
    per_lead = [np.stack([sum(op(psi) for psi in wf(a)) for op in sigma], axis=1) / (2 * np.pi)
                for a in (0, 1)]
    np.testing.assert_allclose(spatial.bias_spin_density(sol), 0.5 * (per_lead[0] - per_lead[1]),
                               atol=1e-11)
    smat = kwant.smatrix(fsyst, E, params=dict(PARAMS, m=kl.site_field(fsyst, m)))
    assert spatial.bias_current(sol) == pytest.approx(smat.transmission(1, 0) / (2 * np.pi),
                                                      rel=1e-10)


@pytest.mark.parametrize("E, width", [(2.9, 1.0), (1.1, 1.0), (5.1, 0.7)])
def test_torque_sum_rule(E, width):
    # spin continuity (no SOI): Σ_i 2J (m_i × δσ_i)_z = I^z_drain − I^z_source, with the
    # z spin currents of the leads from the spin-resolved S matrix,
    # I^z_R/V = Σ_s s T_{R s ← L}/2π and I^z_L/V = Σ_s s T_{L s ← R}/2π (exact, any texture)
    fsyst, greens, m = wall(14, 5, width)
    m = m + 0.3 * np.random.default_rng(2).normal(size=m.shape)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    sol = greens.solve(m, E)
    ds = spatial.bias_spin_density(sol)
    torque_z = 2 * PARAMS["J"] * np.cross(m, ds)[:, 2].sum()
    spin_t = {(a, b): sum(s * sol.transmission(a, b, spin=(s, sp)) for s in (1, -1)
                          for sp in (1, -1)) for a, b in ((1, 0), (0, 1))}
    expected = (spin_t[1, 0] - spin_t[0, 1]) / (2 * np.pi)
    assert abs(expected) > 1e-3
    assert torque_z == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_lead_polarization_counts_channels():
    _, greens, _ = wall(4, 6, 1.0)
    assert spatial.lead_polarization(greens, 1.0, 0, (0, 0, 1)) == 1.0     # half metal
    # E = 3, W = 6: the antiparallel band (shift −J) has 6 open channels, the parallel one 3
    assert spatial.lead_polarization(greens, 3.0, 0, (0, 0, 1)) == pytest.approx(1 / 3)
    assert spatial.lead_polarization(greens, 3.0, 1, (0, 0, -1)) == pytest.approx(1 / 3)
    with pytest.raises(KwantLLGError, match="along"):
        spatial.lead_polarization(greens, 3.0, 0, (1, 0, 0))


@pytest.mark.parametrize("E", [1.0, 3.0])
def test_domain_wall_adiabatic_limit(E):
    # b_J → b_0 = P/2 as the wall widens; the deviation falls as 1/λ² (the lattice
    # gradient), β = c_J/b_J falls faster than any power (ballistic, no disorder)
    W = 6
    fits = {}
    for lam in (2, 4, 8):
        L = 12 * lam + 10
        fsyst, greens, m = wall(L, W, lam)
        P = spatial.lead_polarization(greens, E, 0, (0, 0, 1))
        fits[lam] = spatial.spin_transfer_coefficients(greens, m, E, width=W, polarization=P)
    dev = {lam: fits[lam].b_J / fits[lam].b_0 - 1 for lam in fits}
    assert fits[4].b_0 == pytest.approx(0.5 if E == 1.0 else 0.5 / 3)
    assert 0 < dev[8] < 0.004
    assert dev[4] / dev[8] == pytest.approx(4, rel=0.02)
    assert dev[2] / dev[4] > 3.5
    assert abs(fits[4].beta) < 1e-4
    assert abs(fits[2].beta) > 10 * abs(fits[4].beta)
    # the fitted coefficients drive the lattice LLG: the Zhang-Li torque -b_J j (ĵ·∇)m + ...
    fit = fits[4]
    fsyst, _, m = wall(58, W, 4)
    lattice = kl.spins.SpinLattice.from_kwant(fsyst)
    torque = fit.zhang_li(lattice, 0.01)(m)
    expected = -fit.b_J * 0.01 * fit.gradient + fit.c_J * 0.01 * np.cross(m, fit.gradient)
    np.testing.assert_allclose(torque, expected, atol=1e-14)


def test_skyrmion_adiabatic_limit():
    # a Bloch skyrmion in a square with leads along the far field: b_J → b_0 with radius
    out = []
    for L, R in ((24, 4), (36, 6)):
        fsyst = spatial.ribbon(L, L, left=(0, 0, 1), right=(0, 0, 1)).finalized()
        greens = kl.FrozenGreens(fsyst, params=PARAMS)
        m = textures.skyrmion(fsyst, ((L - 1) / 2, (L - 1) / 2), R)
        P = spatial.lead_polarization(greens, 1.0, 0, (0, 0, 1))
        out.append(spatial.spin_transfer_coefficients(greens, m, 1.0, width=L, polarization=P))
    ratios = [f.b_J / f.b_0 for f in out]
    assert abs(ratios[1] - 1) < 0.04
    assert abs(ratios[1] - 1) < 0.6 * abs(ratios[0] - 1)
    assert abs(out[1].beta) < abs(out[0].beta) and abs(out[1].beta) < 0.01


def test_bad_input():
    fsyst, greens, m = wall(10, 3, 1.0)
    with pytest.raises(KwantLLGError, match="width"):
        spatial.domain_wall(fsyst, center=3, width=0)
    with pytest.raises(KwantLLGError, match="uniform"):
        spatial.spin_transfer_coefficients(greens, np.tile([0, 0, 1.0], (len(m), 1)), 1.0, width=3)
    with pytest.raises(KwantLLGError, match="region"):
        spatial.spin_transfer_coefficients(greens, m, 1.0, width=3, region=np.zeros(len(m), bool))
    with pytest.raises(KwantLLGError, match="nonzero"):
        spatial.ribbon(4, 2, left=(0, 0, 0))
