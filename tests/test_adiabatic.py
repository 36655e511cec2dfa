"""First-order (adiabatic) density: Fermi-surface term against a dense G^r Ḣ G^a."""

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import adiabatic, devices, textures


def test_fermi_surface_density_equals_dense_product():
    fsyst = devices.skyrmion_device(8, 6).finalized()
    greens = kl.FrozenGreens(fsyst, 1.9, params=devices.seed_params())
    m = textures.skyrmion(fsyst, (4, 3), 2)
    gf = greens.factorize(1.9, m)
    sites = np.array([0, 3, 17, 30])
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 2, 2)) + 1j * rng.normal(size=(4, 2, 2))
    hdot = a + a.conj().transpose(0, 2, 1)
    rho = adiabatic.fermi_surface_density(gf, hdot, sites)
    n = gf.num_orbitals
    g = gf.solve(np.eye(n))
    hd = np.zeros((n, n), complex)
    for k, s in enumerate(sites):
        hd[2 * s:2 * s + 2, 2 * s:2 * s + 2] = hdot[k]
    full = g @ hd @ g.conj().T / (2 * np.pi)
    expect = np.array([full[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(n // 2)])
    assert np.allclose(rho, expect, atol=1e-13)
    spin, charge = adiabatic.density_blocks_to_spin(rho)
    assert np.allclose(charge, np.einsum("ixx->i", expect).real)
    # positive Ḣ (a level pushed up) gives a positive, lagging occupation
    rho_pos = adiabatic.fermi_surface_density(gf, np.tile(np.eye(2), (4, 1, 1)), sites)
    assert adiabatic.density_blocks_to_spin(rho_pos)[1].min() >= 0


def test_fermi_surface_density_rejects_bad_hdot():
    fsyst = devices.skyrmion_device(6, 3).finalized()
    greens = kl.FrozenGreens(fsyst, 1.9, params=devices.seed_params())
    gf = greens.factorize(1.9, textures.uniform(fsyst))
    with pytest.raises(kl.KwantLLGError, match="shape"):
        adiabatic.fermi_surface_density(gf, np.zeros((2, 2, 2)), [0])
    with pytest.raises(kl.KwantLLGError, match="Hermitian"):
        adiabatic.fermi_surface_density(gf, np.array([[[0, 1], [0, 0]]]), [0])
