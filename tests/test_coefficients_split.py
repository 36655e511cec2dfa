"""Eq. (19) by the Fermi-surface + retarded Fermi-sea split (kwant_llg.coefficients_sea).

The split must give the same tensor as the real-axis Fermi-sea integral wherever the latter
converges (dots, a tiny ribbon), including the antisymmetric part, temperature and bias;
on a two-dimensional device with a skyrmion, where the real axis does not converge, its
symmetric part must still be the scattering-matrix damping (Eq. D1) at T = 0.
"""

import numpy as np
import pytest

from kwant_llg import coefficients as co
from kwant_llg import coefficients_sea as cs
from kwant_llg import devices, greens, textures
from kwant_llg import scattering as sc
from kwant_llg._common import SIGMA, ConvergenceError, KwantLLGError

from test_coefficients import MU, _dot


@pytest.mark.parametrize("n, seed, pol, B, mu, kT", [
    (1, 0, (0.0, 0.0), (0, 0, 0), MU, 0.0),
    (3, 2, (0.5, -0.7), (0.05, 0.08, 0.1), MU, 0.0),
    (3, 2, (0.5, -0.7), (0.05, 0.08, 0.1), MU, 0.02),
    (2, 4, (0.3, 0.0), (0.0, 0.1, 0.0), (MU + 0.06, MU - 0.04), (0.0, 0.01)),
])
def test_split_equals_real_axis_on_dots(n, seed, pol, B, mu, kT):
    g, m = _dot(n, seed, polarization=pol, B=B)
    split = co.gilbert_damping(g, m, mu=mu, kT=kT, tol=1e-9)
    real = co.gilbert_damping(g, m, mu=mu, kT=kT, tol=1e-9, method="real-axis")
    scale = abs(real.value).max()
    # the whole tensor, antisymmetric part included (it is not small here: SOI/field/bias)
    np.testing.assert_allclose(split.value, real.value, rtol=0, atol=2e-8 * scale)
    if n > 1:
        assert abs(real.antisymmetric).max() > 1e-3 * scale
    assert split.info["method"] == "split" and split.error < 1e-7 * scale
    if np.ndim(mu):
        assert "bias" in split.info and abs(split.info["bias"]).max() > 1e-4 * scale


@pytest.mark.parametrize("lead_m", [(0.0, 0.0, 1.0), None])
def test_split_and_real_axis_on_tiny_textured_ribbon(lead_m):
    # Ferromagnetic leads (the device's own exchange): no bound states, both forms agree.
    # Normal leads: the exchange J is a potential well of depth J for the spin antiparallel
    # to m, which binds states below the lead bands. The real-axis form G^< = i Σ f ψψ^†
    # leaves them empty, the split occupies them (equilibrium); their contribution is
    # purely antisymmetric (no dissipation), so the symmetric parts still agree.
    fsyst = devices.skyrmion_device(3, 2, gates=None, lead_magnetization=lead_m).finalized()
    g = greens.FrozenGreens(fsyst, params=dict(t=1.0, J=0.7))
    rng = np.random.default_rng(5)
    m = rng.normal(size=(len(fsyst.sites), 3))
    m /= np.linalg.norm(m, axis=1)[:, None]
    split = co.gilbert_damping(g, m, mu=1.6, tol=1e-10)
    real = co.gilbert_damping(g, m, mu=1.6, tol=1e-10, method="real-axis")
    scale = abs(real.value).max()
    assert abs(real.antisymmetric).max() > 1e-3 * scale
    np.testing.assert_allclose(split.symmetric, real.symmetric, rtol=0, atol=1e-8 * scale)
    if lead_m is not None:
        np.testing.assert_allclose(split.value, real.value, rtol=0, atol=1e-8 * scale)
    else:
        assert abs(split.antisymmetric - real.antisymmetric).max() > 1e-2 * scale
        # the contour's start below the spectrum does not matter
        other = co.gilbert_damping(g, m, mu=1.6, tol=1e-10, e_min=split.info["e_min"] - 3)
        np.testing.assert_allclose(other.value, split.value, rtol=0, atol=1e-8 * scale)


@pytest.fixture(scope="module")
def skyrmion_ribbon():
    """The seed's device, 12 × 10, with a skyrmion (R = 3): many quasi-bound states."""
    fsyst = devices.skyrmion_device(12, 10, gates=None).finalized()
    g = greens.FrozenGreens(fsyst, params=dict(t=1.0, J=2.0))
    m = textures.skyrmion(fsyst, (5.5, 4.5), 3.0)
    return fsyst, g, g.magnetization_array(m)


def test_split_on_skyrmion_device_is_btb(skyrmion_ribbon):
    fsyst, g, m = skyrmion_ribbon
    alpha = co.gilbert_damping(g, m, mu=1.9, tol=1e-10)
    btb = sc.btb_damping(g, m, 1.9)
    # Eq. (19) (Fermi surface + contour Fermi sea) vs the S-matrix formula (D1): 2 α_sym = α^BTB
    np.testing.assert_allclose(2 * alpha.symmetric, btb, rtol=0, atol=1e-8 * abs(btb).max())
    fd = sc.btb_damping(g, m, 1.9, method="finite_difference", step=1e-5)   # kwant.smatrix
    np.testing.assert_allclose(2 * alpha.symmetric, fd, rtol=0, atol=1e-6 * abs(btb).max())
    assert np.linalg.eigvalsh(alpha.symmetric).min() > -1e-10 * abs(btb).max()
    parts = alpha.info["fermi_surface"] + alpha.info["fermi_sea"]
    np.testing.assert_allclose(parts, alpha.value, rtol=0, atol=1e-12 * abs(btb).max())
    # the Fermi-sea term is not negligible: it carries the whole antisymmetric part
    sea = alpha.info["fermi_sea"]
    assert abs(sea - sea.T).max() > 1e-3 * abs(alpha.value).max()
    # a per-site (local) tensor: one rotated site at the skyrmion's edge
    site = int(np.argmin(np.abs(np.linalg.norm(
        np.array([s.pos for s in fsyst.sites]) - (5.5, 4.5), axis=1) - 3.0)))
    local = co.gilbert_damping(g, m, mu=1.9, sites=[site], tol=1e-10)
    btb_local = sc.btb_damping(g, m, 1.9, sites=[site])
    np.testing.assert_allclose(2 * local.symmetric, btb_local, rtol=0,
                               atol=1e-8 * abs(btb_local).max())


def test_traces_with_low_rank_exchange():
    rng = np.random.default_rng(1)
    k = 6
    left = rng.normal(size=(2 * k, 2 * k)) + 1j * rng.normal(size=(2 * k, 2 * k))
    right = rng.normal(size=(2 * k, 2 * k)) + 1j * rng.normal(size=(2 * k, 2 * k))
    generic = rng.normal(size=(k, 3, 2, 2)) + 1j * rng.normal(size=(k, 3, 2, 2))
    generic = generic + np.conj(np.swapaxes(generic, -1, -2))
    site_j = np.einsum("s,iab->siab", rng.uniform(0.5, 2, k), SIGMA)
    uniform = np.einsum("s,iab->siab", np.full(k, 2.0), SIGMA)
    for blocks, rank in ((generic, min(k, 12)), (site_j, 1), (uniform, 1)):
        ex = cs._Exchange(blocks)
        assert ex.u.shape[1] == rank
        xs = [np.zeros((2 * k, 2 * k), complex) for _ in range(3)]
        for i in range(3):
            for s in range(k):
                xs[i][2 * s:2 * s + 2, 2 * s:2 * s + 2] = blocks[s, i]
        ref = np.array([[np.trace(xs[i] @ left @ xs[j] @ right) for j in range(3)]
                        for i in range(3)])
        np.testing.assert_allclose(cs._traces(ex, left, right), ref, rtol=0,
                                   atol=1e-13 * abs(ref).max())


def test_split_bad_input(skyrmion_ribbon):
    _, g, m = skyrmion_ribbon
    with pytest.raises(KwantLLGError, match="method"):
        co.gilbert_damping(g, m, mu=1.9, method="contour-ish")
    with pytest.raises(ConvergenceError, match="max_points"):
        co.gilbert_damping(g, m, mu=1.9, tol=1e-12, max_points=40)
    with pytest.raises(KwantLLGError, match="e_min"):
        co.gilbert_damping(g, m, mu=1.9, e_min=2.5)
