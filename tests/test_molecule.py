"""The quantum dot of Fig. 1 (kwant_llg.molecule): Hamiltonian (Eq. 4) and lead broadening."""

import numpy as np
import pytest

from kwant_llg import greens, molecule
from kwant_llg._common import SIGMA, KwantLLGError


def test_dot_hamiltonian_matches_eq4():
    levels = [0.1, -0.2, 0.35]
    tso = np.array([[0, 0.05 + 0.02j, -0.03], [-0.05 - 0.02j, 0, 0.07j], [0.03, -0.07j, 0]])
    J, B = 0.4, np.array([0.01, -0.02, 0.05])
    fsyst = molecule.molecule(levels, t_so=tso).finalized()
    dot = [i for i, s in enumerate(fsyst.sites) if s.family.name == "dot"]
    mvec = np.array([0.6, 0.0, 0.8])
    h = fsyst.hamiltonian_submatrix(params=dict(J=J, B=B, m=lambda site: mvec))
    orbs = np.ravel([[2 * i, 2 * i + 1] for i in dot])
    h = h[np.ix_(orbs, orbs)]
    # Eq. (4) by hand: ε_n + J σ·m + σ·B on the diagonal, t^SO_nm d†_{m↑} d_{n↓} + h.c.
    n = len(levels)
    ref = np.zeros((2 * n, 2 * n), dtype=complex)
    for k, eps in enumerate(levels):
        ref[2 * k:2 * k + 2, 2 * k:2 * k + 2] = (eps * np.eye(2) + J * np.tensordot(mvec, SIGMA, 1)
                                               + np.tensordot(B, SIGMA, 1))
    for a in range(n):
        for b in range(n):
            ref[2 * a, 2 * b + 1] += tso[b, a]              # <a↑|H|b↓> = t^SO_ba
            ref[2 * b + 1, 2 * a] += np.conj(tso[b, a])     # its h.c.
    np.testing.assert_allclose(h, ref, atol=1e-15)


@pytest.mark.parametrize("pol", [0.0, 0.6])
def test_wide_band_broadening(pol):
    t_lead, gam = 1e3, (0.1, 0.3)
    axis = np.array([1.0, 2.0, 2.0]) / 3
    fsyst = molecule.molecule([0.0], gamma=gam, polarization=(pol, -pol),
                              lead_axis=(axis, axis), lead_hopping=t_lead).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params())
    m = np.tile([0.0, 0.0, 1.0], (len(fsyst.sites), 1))
    gf = g.factorize(0.0, m)
    gr = gf.solve(np.eye(gf.num_orbitals))[:2, :2]
    # Σ_dot = Σ_α (Γ_α t/2) g_s(0) (1 + p_α σ·n) with g_s(0) = −i/t: −i/2 Σ Γ_α (1 + p_α σ·n)
    sn = np.tensordot(axis, SIGMA, 1)
    sigma = -0.5j * (gam[0] * (np.eye(2) + pol * sn) + gam[1] * (np.eye(2) - pol * sn))
    ref = np.linalg.inv(-(0.5 * SIGMA[2]) - sigma)
    np.testing.assert_allclose(gr, ref, rtol=1e-12, atol=1e-12)
    assert molecule.chain_surface_greens(0.3, 2.0) == pytest.approx((0.3 - 1j * np.sqrt(16 - 0.09)) / 8)


def test_bad_parameters():
    with pytest.raises(KwantLLGError, match="levels"):
        molecule.molecule([])
    with pytest.raises(KwantLLGError, match="lead_hopping"):
        molecule.molecule([0.0], lead_hopping=-1)
    with pytest.raises(KwantLLGError, match="axis"):
        molecule.molecule([0.0], lead_axis=((0, 0, 0), (0, 0, 1)))
