"""The tutorials run (small) and check what they claim."""

import runpy
import pathlib

import numpy as np

TUTORIALS = pathlib.Path(__file__).resolve().parent.parent / "tutorials"


def test_spin_density_tutorial():
    mod = runpy.run_path(str(TUTORIALS / "spin_density.py"))
    s = mod["main"](small=True, show=False)
    assert s.shape == (256, 3)
    assert np.all(np.isfinite(s))
