"""Bad input gives a clear error naming the problem and the fix, never NaN."""

import numpy as np
import pytest
import kwant

import kwant_llg as kl

from conftest import random_system


@pytest.fixture(scope="module")
def small():
    fsyst, m, params = random_system(11, num_leads=2, L=4, W=3)
    return fsyst, m, params, kl.FrozenGreens(fsyst, 1.0, params=params)


def test_magnetization_not_unit_length(small):
    fsyst, m, params, greens = small
    with pytest.raises(kl.KwantLLGError, match="unit length.*Normalise"):
        greens.solve(2 * m)


def test_magnetization_nan(small):
    fsyst, m, params, greens = small
    bad = m.copy()
    bad[3, 1] = np.nan
    with pytest.raises(kl.KwantLLGError, match="NaN"):
        greens.solve(bad)
    with pytest.raises(kl.KwantLLGError, match="NaN"):
        kl.spin_density(fsyst, 1.0, params=dict(params, m=bad))


def test_magnetization_wrong_shape(small):
    fsyst, m, params, greens = small
    with pytest.raises(kl.KwantLLGError, match=r"shape \(12, 2\), expected \(12, 3\)"):
        greens.solve(m[:, :2])
    with pytest.raises(kl.KwantLLGError, match="shape"):
        greens.solve(m[:-1])


def test_magnetization_callable_failing(small):
    fsyst, m, params, greens = small
    with pytest.raises(kl.KwantLLGError, match="callable"):
        greens.solve(lambda site: site.no_such_attribute)
    with pytest.raises(kl.KwantLLGError, match="shape"):
        greens.solve(lambda site: [1, 0])


def test_missing_params_listed_by_name():
    fsyst, m, params = random_system(12, num_leads=2, L=3, W=3)
    with pytest.raises(TypeError, match='missing required arguments: "alpha", "t"'):
        kl.FrozenGreens(fsyst, 1.0, params=dict(J=1.0))
    with pytest.raises(TypeError, match='missing required arguments: "m"'):
        kl.spin_density(fsyst, 1.0, params=params)


def test_magnetization_in_params_of_frozen_greens():
    fsyst, m, params = random_system(12, num_leads=2, L=3, W=3)
    with pytest.raises(kl.KwantLLGError, match="give it to each call"):
        kl.FrozenGreens(fsyst, 1.0, params=dict(params, m=m))


def test_unknown_magnetization_name():
    fsyst, m, params = random_system(12, num_leads=2, L=3, W=3)
    with pytest.raises(kl.KwantLLGError, match="magnetization='<name>'"):
        kl.FrozenGreens(fsyst, 1.0, params=params, magnetization="mag")


def _builder(norbs=2, onsite=None, hopping=None):
    lat = kwant.lattice.chain(norbs=norbs)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(3))] = onsite
    syst[lat.neighbors()] = hopping if hopping is not None else -np.eye(norbs)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2 * np.eye(norbs)
    lead[lat.neighbors()] = -np.eye(norbs)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_sites_without_two_orbitals():
    fsyst = _builder(norbs=1, onsite=lambda site, m: 2.0 + m(site)[2], hopping=-1)
    with pytest.raises(kl.KwantLLGError, match="2 orbitals.*norbs=2"):
        kl.FrozenGreens(fsyst, 1.0, params={})


def test_magnetization_in_hopping_rejected():
    fsyst = _builder(onsite=lambda site, m: 2 * np.eye(2),
                     hopping=lambda a, b, m: -np.eye(2) * (1 + 0.1 * m(a)[2]))
    with pytest.raises(kl.KwantLLGError, match="onsite"):
        kl.FrozenGreens(fsyst, 1.0, params={})


def test_non_affine_onsite_rejected():
    fsyst = _builder(onsite=lambda site, m: 2 * np.eye(2) + m(site)[2] ** 2 * kl.SIGMA[0])
    with pytest.raises(kl.KwantLLGError, match="not affine"):
        kl.FrozenGreens(fsyst, 1.0, params={})


def test_non_hermitian_rejected():
    fsyst = _builder(onsite=lambda site, m: 2 * np.eye(2) + 0.1j * np.eye(2)
                     + kl.devices.exchange_onsite(m(site), 1.0))
    with pytest.raises(kl.KwantLLGError, match="not Hermitian.*check_hermiticity=False"):
        kl.FrozenGreens(fsyst, 1.0, params={})


def test_energy_exactly_at_band_edge():
    fsyst = kl.devices.skyrmion_device(3, 4, gates=None).finalized()
    m = kl.textures.uniform(fsyst)
    edge = 2 - 2 * np.cos(np.pi / 5)     # bottom of the first subband of a W = 4 lead
    params = dict(kl.devices.seed_params(), m=m)
    with pytest.raises(kl.BandEdgeError, match="band edge.*Shift the energy"):
        kl.spin_density(fsyst, edge, params=params)
    s = kl.spin_density(fsyst, edge + 1e-6, params=params)
    assert np.all(np.isfinite(s))


def test_bad_energy(small):
    fsyst, m, params, greens = small
    with pytest.raises(kl.KwantLLGError, match="finite"):
        greens.solve(m, np.nan)
    with pytest.raises(kl.KwantLLGError, match="No energy"):
        kl.FrozenGreens(fsyst, params=params).solve(m)
    with pytest.raises(kl.KwantLLGError, match="Im E >= 0"):
        kl.leads.selfenergy(fsyst.leads[0], 1.0 - 0.1j, params=params)


def test_spin_resolution_needs_spin_conserving_leads():
    fsyst, m, params = random_system(13, num_leads=2, L=3, W=3, rashba=0.3)
    sol = kl.FrozenGreens(fsyst, 1.0, params=params).solve(m)
    with pytest.raises(kl.KwantLLGError, match="conserve"):
        sol.transmission(1, 0, spin=(1, 1))
    with pytest.raises(kl.KwantLLGError, match="out of range"):
        sol.transmission(5, 0)
    with pytest.raises(kl.KwantLLGError, match="both"):
        sol.transmission(1)


def test_unknown_solver(small):
    fsyst, m, params, greens = small
    with pytest.raises(kl.KwantLLGError, match="Unknown solver"):
        kl.FrozenGreens(fsyst, 1.0, params=params, solver="lapack")
