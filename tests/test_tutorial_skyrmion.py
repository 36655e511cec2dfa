"""The skyrmion tutorial runs (on a 20 × 20 lattice) and checks what it claims."""

import pathlib
import runpy

import numpy as np
import pytest

TUTORIAL = pathlib.Path(__file__).resolve().parent.parent / "tutorials" / "skyrmion.py"


def test_skyrmion_tutorial(tmp_path, capsys):
    main = runpy.run_path(str(TUTORIAL))["main"]
    figure = tmp_path / "skyrmion.png"
    result = main(size=20, figure=figure, show=False)
    out = capsys.readouterr().out
    # closed charge is the integer of an isolated skyrmion; the raw open-lattice sum is not
    assert result.charge == pytest.approx(-1, abs=1e-9)
    assert -1 < result.charge_open < -0.9
    assert "Q = -1.000000" in out
    # the device, the DMI and the trial texture are symmetric under 90° rotations about the
    # middle, so both centre definitions must give it
    np.testing.assert_allclose(result.center, [9.5, 9.5], atol=1e-6)
    np.testing.assert_allclose(result.center_charge, [9.5, 9.5], atol=1e-6)
    assert 0 < result.radius < result.radius_paper < 10
    assert np.max(np.abs(np.linalg.norm(result.m, axis=1) - 1)) < 1e-12
    assert figure.exists() and figure.stat().st_size > 10_000
