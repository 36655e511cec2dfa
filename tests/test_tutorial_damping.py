"""The damping tutorial runs at small size and checks what it claims."""

import pathlib
import runpy

import numpy as np

TUTORIAL = pathlib.Path(__file__).resolve().parent.parent / "tutorials" / "damping.py"


def test_damping_tutorial():
    results = runpy.run_path(str(TUTORIAL))["main"](small=True, show=False)
    rows = results["spin_transfer"]
    assert np.all(np.isfinite(rows))
    # b_J/b_0 approaches 1 from above as the wall widens
    assert np.all(np.diff(rows[:, 1] / rows[:, 2]) < 0)
