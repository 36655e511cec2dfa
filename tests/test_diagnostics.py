"""Adiabaticity diagnostics: Wigner–Smith dwell time and the one-time warning."""

import warnings

import kwant
import numpy as np
import pytest

from kwant_llg import diagnostics
from kwant_llg._common import KwantLLGError


def _chain(L):
    lat = kwant.lattice.chain(norbs=2)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(L))] = 2 * np.eye(2)
    syst[lat.neighbors()] = -np.eye(2)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2 * np.eye(2)
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_dwell_time_clean_chain():
    # clean chain: every scattering state has |ψ_i|² = 1/v on each of the L sites (unit flux,
    # v = dE/dk = 2 sin k), so τ = L/v (classical time of flight)
    L, E = 7, 1.3
    k = np.arccos((2 - E) / 2)
    tau = diagnostics.dwell_time(_chain(L), E, params={})
    assert tau == pytest.approx(L / (2 * np.sin(k)), rel=1e-10)


def test_adiabaticity_warns_once():
    fsyst = _chain(5)
    res = diagnostics.adiabaticity(omega=1.0, fsyst=fsyst, energy=1.0, params={},
                                   first_order=np.ones((5, 3)), frozen=np.ones((5, 3)))
    assert res.density_ratio == pytest.approx(1.0)
    assert res.omega_dwell == pytest.approx(5 / (2 * np.sin(np.arccos(0.5))), rel=1e-6)
    assert not res.ok
    with pytest.warns(diagnostics.AdiabaticityWarning, match="outside its range"):
        assert res.warn_once()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not res.warn_once()
    small = diagnostics.adiabaticity(omega=1e-4, fsyst=fsyst, energy=1.0, params={})
    assert small.ok and small.density_ratio is None
    assert set(small.as_dict()) >= {"density_ratio", "omega_dwell"}


def test_diagnostics_errors():
    with pytest.raises(KwantLLGError, match="vanishes"):
        diagnostics.density_ratio(np.ones((2, 3)), np.zeros((2, 3)))
    with pytest.raises(KwantLLGError, match="energy="):
        diagnostics.adiabaticity(omega=1.0, fsyst=_chain(3), params={})
    with pytest.raises(KwantLLGError, match="No open channels"):
        diagnostics.dwell_time(_chain(3), -1.0, params={})


def test_pump_adiabaticity_scales_with_omega():
    # ρ^(1) ∝ ω while ρ^(0) and τ_d do not depend on ω: both measures are linear in ω
    from kwant_llg import devices, textures
    from kwant_llg.greens import FrozenGreens
    from kwant_llg.pumping import PumpDrive

    fsyst = devices.skyrmion_device(6, 4, gates=(1, 4)).finalized()
    m = textures.skyrmion(fsyst, center=(2.5, 1.5), radius=1.5)
    greens = FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    fast, slow = (diagnostics.pump_adiabaticity(greens, m, PumpDrive(0.8, w), mu=1.5,
                                                n_times=1, fermi_sea=False) for w in (1.0, 0.01))
    assert fast.density_ratio == pytest.approx(100 * slow.density_ratio, rel=1e-6)
    assert fast.omega_dwell == pytest.approx(100 * slow.omega_dwell, rel=1e-10)
    assert fast.dwell_time == pytest.approx(diagnostics.dwell_time(
        fsyst, 1.5, params=dict(devices.seed_params()), m=m), rel=1e-12)
    # the seed's drive (ω = 1, V = 0.8) is far outside the adiabatic range: ω τ_d = 1.8
    assert not fast.ok and slow.ok
    with pytest.warns(diagnostics.AdiabaticityWarning):
        fast.warn_once()
