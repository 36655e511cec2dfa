"""Spin density pumped per cycle (the rectified part of the pumped torque)."""

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import coupled, devices, pumping, spins, textures
from kwant_llg.pumped_spin import spin_per_cycle


@pytest.fixture(scope="module")
def device():
    """10×8 seed device with a trial skyrmion at E = 1.5, V = 0.3: no narrow resonance."""
    fsyst = devices.skyrmion_device(10, 8).finalized()
    m = textures.skyrmion(fsyst, (4.5, 3.5), 2.5)
    greens = kl.FrozenGreens(fsyst, 1.5, params=devices.seed_params(),
                             onsite_parameters=("V1", "V2"))
    return fsyst, greens, m


def test_path_properties(device):
    """S depends on the path in gate space only: not on ω, odd under φ → −φ (the path
    traversed backwards), zero for a path without area (φ = 0)."""
    _, greens, m = device
    ref = spin_per_cycle(greens, m, pumping.PumpDrive(0.3, 1.0, np.pi / 2), tol=1e-8)
    scale = np.abs(ref.spin).max()
    assert scale > 1e-2 and ref.error < 1e-8 * scale
    slow = spin_per_cycle(greens, m, pumping.PumpDrive(0.3, 0.3, np.pi / 2), tol=1e-8)
    np.testing.assert_allclose(slow.spin, ref.spin, atol=1e-9 * scale)
    np.testing.assert_allclose(slow.mean, 0.3 * ref.mean, atol=1e-9 * scale)   # DC part ∝ ω
    back = spin_per_cycle(greens, m, pumping.PumpDrive(0.3, 1.0, -np.pi / 2), tol=1e-8)
    np.testing.assert_allclose(back.spin, -ref.spin, atol=1e-9 * scale)
    flat = spin_per_cycle(greens, m, pumping.PumpDrive(0.3, 1.0, 0.0), tol=1e-8)
    assert np.abs(flat.spin).max() < 1e-9 * scale


def test_equals_the_time_average_of_the_coupled_field(device):
    """−J S/T is the cycle average of the electron field that PumpedLLG puts on the spins
    (its own assembly: per-gate fields times the rates), by the periodic trapezoid rule."""
    fsyst, greens, m = device
    drive = pumping.PumpDrive(0.3, 1.0, np.pi / 2)
    lattice = spins.SpinLattice.from_kwant(fsyst)
    state = coupled.PumpedLLG(greens, lattice, spins.Exchange(1.0), m, drive=drive,
                              energy=1.5, alpha=0.4, dt=0.1, check_skyrmion=False)
    n = 256
    times = drive.period * np.arange(n) / n
    average = sum(state._fields(t, m).total(drive.rates(t)) for t in times) / n
    result = spin_per_cycle(greens, m, drive, tol=1e-9)
    expected = result.field(2.0)           # J = 2 in the seed's device
    np.testing.assert_allclose(average, expected, atol=1e-8 * np.abs(expected).max())


def test_stokes_theorem(device):
    """The line integral equals the area integral of the curl ∂χ_2/∂v_1 − ∂χ_1/∂v_2 of the
    per-gate responses over the disc the drive's circle encloses (signed by its sense)."""
    _, greens, m = device
    V = 0.3
    drive = pumping.PumpDrive(V, 1.0, np.pi / 2)
    model = pumping.PumpModel(greens, drive.names, None)

    def chi(v1, v2):
        return model.response(m, (v1, v2)).gate_spins()        # (2, num_sites, 3)

    d = 1e-4
    x, w = np.polynomial.legendre.leggauss(8)
    radii, wr = V * (x + 1) / 2, V / 2 * w
    angles = 2 * np.pi * np.arange(12) / 12
    area = 0
    for r, wgt in zip(radii, wr):
        for a in angles:
            v1, v2 = r * np.cos(a), r * np.sin(a)
            curl = ((chi(v1 + d, v2)[1] - chi(v1 - d, v2)[1])
                    - (chi(v1, v2 + d)[0] - chi(v1, v2 - d)[0])) / (2 * d)
            area = area + wgt * r * (2 * np.pi / len(angles)) * curl
    t = drive.period * np.arange(400) / 400
    v = drive.values(t)
    sense = np.sign(np.sum(v[0] * np.roll(v[1], -1) - np.roll(v[0], -1) * v[1]))
    line = spin_per_cycle(greens, m, drive, tol=1e-8).spin
    np.testing.assert_allclose(line, sense * area, atol=2e-4 * np.abs(line).max())
