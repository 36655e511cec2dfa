"""Physics of kwant_llg.transport: spin degeneracy, quantised steps, the spin windows of Fig. 3."""

import pathlib
import runpy

import numpy as np
import pytest
import kwant

import kwant_llg as kl
from kwant_llg import io as klio, transport
from kwant_llg.cli import limit_blas_threads

TUTORIALS = pathlib.Path(__file__).resolve().parent.parent / "tutorials"
L = W = 16


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    # competing OpenBLAS pools (NumPy's, SciPy's) make kwant's lead modes 10-100x slower
    limit_blas_threads(1)


@pytest.fixture(scope="module")
def fsyst():
    return kl.devices.skyrmion_device(L, W).finalized()


def subbands(energies, width, onsite):
    """Clean-ribbon channels: #{n : |E − (onsite − 2 cos k_n)| < 2}, k_n = πn/(W+1)."""
    k = np.pi * np.arange(1, width + 1) / (width + 1)
    return np.array([np.count_nonzero(np.abs(e - (onsite - 2 * np.cos(k))) < 2) for e in energies])


def test_energy_grid_avoids_round_numbers():
    e = transport.energy_grid(0, 8, 8)
    assert e.shape == (8,) and np.all(np.diff(e) > 0) and 0 < e[0] and e[-1] < 8
    assert np.all(np.abs(e - np.round(e * 2) / 2) > 1e-4)      # no k/2 exactly
    with pytest.raises(kl.KwantLLGError):
        transport.energy_grid(1, 0, 5)


def test_nonmagnetic_is_spin_degenerate(fsyst):
    """J = 0: T_up(E) = T_down(E) and DOS_up = DOS_down to 1e-10; no spin flips."""
    m = kl.textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), 4, helicity=np.pi / 2)
    res = transport.transport_spectrum(fsyst, transport.energy_grid(0, 8, 12), {"sk": m},
                                       params=kl.devices.seed_params(J=0.0))
    np.testing.assert_allclose(res.t_in("sk", "up"), res.t_in("sk", "down"), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.dos_spin("sk", "up"), res.dos_spin("sk", "down"),
                               rtol=0, atol=1e-10 * res.dos_total("sk").max())
    flips = res.transmission["sk"][:, [0, 1], [1, 0]]
    assert np.abs(flips).max() < 1e-20
    assert res.t_total("sk").max() > 10


def test_in_plane_magnet_is_spin_degenerate(fsyst):
    """m = +x with J = 2: a π rotation about x swaps up and down, so T_up = T_down (spin flips)."""
    res = transport.transport_spectrum(fsyst, transport.energy_grid(0, 8, 10),
                                       {"x": kl.textures.uniform(fsyst, (1, 0, 0))},
                                       params=kl.devices.seed_params())
    np.testing.assert_allclose(res.t_in("x", "up"), res.t_in("x", "down"), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.dos_spin("x", "up"), res.dos_spin("x", "down"),
                               rtol=0, atol=1e-10 * res.dos_total("x").max())
    assert res.transmission["x"][:, 1, 0].max() > 0.1            # it does flip spins


@pytest.mark.parametrize("J, lead_m", [(0.0, None), (1.3, (0, 0, 1)), (-2.0, (0, 0, 1))])
def test_clean_ribbon_has_integer_steps(J, lead_m):
    """Uniform texture with leads magnetised the same way: T_σ = open subbands to 1e-8."""
    width = 9
    fs = kl.devices.skyrmion_device(7, width, lead_magnetization=lead_m).finalized()
    params = kl.devices.seed_params(J=J)
    m = kl.textures.uniform(fs, (0, 0, 1))
    energies = transport.energy_grid(-2.5, 10.5, 40)
    res = transport.transport_spectrum(fs, energies, {"u": m}, params=params)
    for index, sign in ((0, 1), (1, -1)):
        expected = subbands(energies, width, 4 + (sign * J if lead_m else 0.0))
        spin = "up" if sign == 1 else "down"
        np.testing.assert_allclose(res.t_in("u", spin), expected, rtol=0, atol=1e-8)
        np.testing.assert_array_equal(res.channels["u"][:, index], expected)
    kparams = dict(params, m=kl.site_field(fs, m))
    kwant_modes = [kwant.smatrix(fs, e, params=kparams).num_propagating(0) for e in energies[::4]]
    np.testing.assert_allclose(res.t_total("u")[::4], kwant_modes, rtol=0, atol=1e-8)
    if J:       # the two spins' steps are shifted by 2J
        assert np.abs(res.t_in("u", "up") - res.t_in("u", "down")).max() >= 1


def up_and_down_fractions(res, name):
    total = res.t_total(name)
    return res.t_in(name, "up") / total, res.t_in(name, "down") / total


def test_skyrmion_spin_windows(fsyst):
    """Seed convention: J σ·m, J = 2, background m_z = +1 (polarity −1).

    Spin up sees 4t + J in the bulk, so for 0 < E < |J| only spin down transmits and for
    8 − |J| < E < 8 only spin up: the other spin's share (up→up plus up→down, resp. the
    down-in ones) is < 1e-3 of the total. Radius 3 on 16×16: with the seed's ratio R = L/4
    the analytic profile's tail still tilts m by ~0.2 rad at the lead interfaces and the
    spin-flip leak reaches 4e-3 (checked separately below).
    """
    J = 2.0
    m = kl.textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), 3, helicity=np.pi / 2)
    energies = transport.energy_grid(0, 8, 32)
    res = transport.transport_spectrum(fsyst, energies, {"sk": m},
                                       params=kl.devices.seed_params(J=J))
    up, down = up_and_down_fractions(res, "sk")
    low, high = energies < abs(J), energies > 8 - abs(J)
    assert np.all(res.t_total("sk") > 0)
    assert up[low].max() < 1e-3
    assert down[high].max() < 1e-3
    mid = np.abs(energies - 4) < 1
    assert up[mid].min() > 0.1 and down[mid].min() > 0.1                # both spins in between
    assert res.spin_polarization("sk", 0, abs(J)) < -0.999
    assert res.spin_polarization("sk", 8 - abs(J), 8) > 0.999
    # the skyrmion does flip spins where both spins propagate
    assert res.transmission["sk"][mid][:, 1, 0].max() > 1e-3


def test_skyrmion_spin_windows_seed_ratio(fsyst):
    """R = L/4 (the seed's 10 on 40×40): the leak through the texture tail is < 1e-2."""
    m = kl.textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), L / 4, helicity=np.pi / 2)
    energies = transport.energy_grid(0, 8, 16)
    res = transport.transport_spectrum(fsyst, energies, {"sk": m}, params=kl.devices.seed_params())
    up, down = up_and_down_fractions(res, "sk")
    assert up[energies < 2].max() < 1e-2
    assert down[energies > 6].max() < 1e-2


def test_band_edge_is_shifted_and_recorded():
    """W odd: the subband n = (W+1)/2 has its edges at exactly E = 2 and 6."""
    fs = kl.devices.skyrmion_device(6, 5).finalized()
    calls = []
    res = transport.transport_spectrum(fs, [1.5, 2.0, 3.3], {"u": kl.textures.uniform(fs)},
                                       params=kl.devices.seed_params(J=0.0),
                                       progress=lambda i, n: calls.append((i, n)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    np.testing.assert_array_equal(res.shifted("u"), [1])
    assert res.energies[1] == 2.0 and res.energies_used["u"][1] == pytest.approx(2.0 + 1e-6)


def test_result_round_trip_and_merge(fsyst, tmp_path):
    energies = transport.energy_grid(0, 8, 3)
    u = kl.textures.uniform(fsyst)
    a = transport.transport_spectrum(fsyst, energies, {"a": u}, params=kl.devices.seed_params())
    b = transport.transport_spectrum(fsyst, energies, {"b": u},
                                     params=kl.devices.seed_params(J=0.0))
    merged = transport.merge_results(a, b)
    assert merged.names == ("a", "b")
    assert merged.meta["textures"]["b"]["J"] == 0.0
    path = klio.save_arrays(tmp_path / "r.npz", merged.to_arrays())
    back = transport.TransportResult.from_arrays(klio.load_arrays(path))
    assert back.names == merged.names
    for name in merged.names:
        np.testing.assert_array_equal(back.transmission[name], merged.transmission[name])
        np.testing.assert_array_equal(back.dos[name], merged.dos[name])
    with pytest.raises(kl.KwantLLGError):
        transport.merge_results(a, a)
    with pytest.raises(kl.KwantLLGError):
        merged.t_in("missing", "up")


def test_transport_tutorial_runs_small():
    mod = runpy.run_path(str(TUTORIALS / "transport.py"))
    res = mod["main"](small=True, show=False)
    assert res.names == ("nonmagnetic", "uniform m = +z", "skyrmion")
