"""The pumping tutorial runs on its own Kwant device and checks what it claims."""

import pathlib
import runpy

import numpy as np
import pytest

TUTORIAL = pathlib.Path(__file__).resolve().parent.parent / "tutorials" / "pumping.py"


def test_pumping_tutorial(tmp_path, capsys):
    main = runpy.run_path(str(TUTORIAL))["main"]
    figure = tmp_path / "pumping.png"
    result = main(size=20, figure=figure, show=False, periods=0.5, samples=6)
    out = capsys.readouterr().out
    assert "Brouwer/kwant.smatrix" in out and "skyrmion moved by" in out
    q = result.charge.total
    # Eq. 40 against Brouwer's formula from kwant.smatrix (finite differences, delta = 1e-5,
    # error ∝ delta² ≈ 4e-8 relative); same 32 sample times in both
    assert abs(result.brouwer.total - q) < 1e-6 * abs(q)
    assert abs(q) > 1e-2
    # φ → −φ runs the same loop backwards: exactly the opposite charge
    assert result.backwards.total == pytest.approx(-q, rel=1e-10)
    assert result.charge.up + result.charge.down == pytest.approx(q, rel=1e-10)
    # the skyrmion survives and moves, by a fraction of a site in half a period
    assert np.ptp(result.topological_charge) < 0.01
    step = np.hypot(*result.displacement[-1])
    assert 1e-3 < step < 1
    assert np.max(np.abs(np.linalg.norm(result.m, axis=1) - 1)) < 1e-8
    np.testing.assert_allclose(result.current, result.current_up + result.current_down,
                               rtol=1e-10, atol=1e-12)
    assert figure.exists() and figure.stat().st_size > 10_000
