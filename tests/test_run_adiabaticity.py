"""The adiabaticity diagnostic recorded in every PumpedLLG run (issue 6, item 1): the
numbers stored in the run file equal an independent diagnostics.pump_adiabaticity call, and
the AdiabaticityWarning fires exactly once for a strongly driven run (also across a resume)
and never for a weak, slow one."""

import warnings

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import diagnostics, io, simulation, spins
from kwant_llg.coupled import PumpedLLG
from kwant_llg.pumping import PumpDrive

L = 8
E = 1.5


@pytest.fixture(scope="module")
def device():
    fsyst = kl.devices.skyrmion_device(L, L).finalized()
    lattice = spins.SpinLattice.from_kwant(fsyst)
    ham = spins.Exchange(1.0) + spins.DMI(0.6) + spins.Anisotropy(0.2)
    m0 = kl.textures.skyrmion(fsyst, ((L - 1) / 2, (L - 1) / 2), L / 4)
    return fsyst, lattice, ham, m0


def _dynamics(device, V, omega):
    fsyst, lattice, ham, m0 = device
    return PumpedLLG(fsyst, lattice, ham, m0, drive=PumpDrive(V, omega, np.pi / 2), energy=E,
                     params=kl.devices.seed_params(), alpha=0.4, dt=0.1, frozen=True,
                     check_skyrmion=False)


def _run(dyn, path, t_end):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        simulation.run(dyn, t_end, path=path, record_every=0.5)
        simulation.resume(path, t_end=2 * t_end)
    return [w for w in caught if issubclass(w.category, diagnostics.AdiabaticityWarning)]


@pytest.mark.parametrize("V, omega, warns", [(0.3, 1.0, True), (0.01, 0.01, False)])
def test_run_records_adiabaticity_and_warns_once(device, tmp_path, V, omega, warns):
    fsyst = device[0]
    path = tmp_path / "run.h5"
    caught = _run(_dynamics(device, V, omega), path, 1.0)
    stored = io.read_run(path).settings["adiabaticity"]
    # independent evaluation on a fresh FrozenGreens (Fermi-surface ρ^(1), as the torque)
    greens = kl.FrozenGreens(fsyst, E, params=kl.devices.seed_params(),
                             onsite_parameters=("V1", "V2"))
    ref = diagnostics.pump_adiabaticity(greens, device[3], PumpDrive(V, omega, np.pi / 2),
                                        mu=E, fermi_sea=False)
    for key in ("density_ratio", "omega_dwell", "dwell_time", "omega", "threshold"):
        np.testing.assert_allclose(stored[key], ref.as_dict()[key], rtol=1e-8)
    np.testing.assert_allclose(stored["omega_dwell"], omega * stored["dwell_time"], rtol=1e-12)
    assert stored["dwell_time"] > 1.0                      # a few ħ/t on 8×8
    if warns:
        # ω τ_d ≈ 3 and ‖ρ^(1)‖/‖ρ^(0)‖ ≈ 0.2: both above the 0.1 threshold
        assert stored["omega_dwell"] > 1.0 and stored["density_ratio"] > 0.1
        assert len(caught) == 1
        assert "outside its range" in str(caught[0].message)
        assert "ω τ_dwell" in str(caught[0].message)
    else:
        assert stored["omega_dwell"] < 0.1 and stored["density_ratio"] < 1e-3
        assert caught == []


def test_diagnose_false_records_nothing(device, tmp_path):
    path = tmp_path / "run.h5"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        simulation.run(_dynamics(device, 0.3, 1.0), 0.5, path=path, record_every=0.5,
                       diagnose=False)
    assert "adiabaticity" not in io.read_run(path).settings
    assert not [w for w in caught if issubclass(w.category, diagnostics.AdiabaticityWarning)]


def test_adiabaticity_is_cached_and_pickled(device):
    import pickle
    dyn = _dynamics(device, 0.3, 1.0)
    first = dyn.adiabaticity()
    assert dyn.adiabaticity() is first
    again = pickle.loads(pickle.dumps(dyn))
    assert again.adiabaticity().as_dict() == first.as_dict()
    fresh = pickle.loads(pickle.dumps(_dynamics(device, 0.3, 1.0)))
    with pytest.raises(kl.KwantLLGError, match="unpickled"):
        fresh.adiabaticity()
