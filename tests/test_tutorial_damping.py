"""The damping tutorial runs at small size and checks what it claims."""

import pathlib
import runpy

import numpy as np
import pytest

TUTORIAL = pathlib.Path(__file__).resolve().parent.parent / "tutorials" / "damping.py"


def check_spin_transfer(rows):
    assert np.all(np.isfinite(rows))
    # b_J/b_0 approaches 1 from above as the wall widens
    assert np.all(np.diff(rows[:, 1] / rows[:, 2]) < 0)


def test_damping_tutorial_dynamics():
    # the tutorial asserts: nutation at the exact root (1e-3), FMR = Lorentzian of α (2e-2),
    # b_J -> b_0 and β -> 0
    main = runpy.run_path(str(TUTORIAL))["main"]
    results = main(small=True, show=False, sections=("inertia", "fmr", "spin_transfer"))
    check_spin_transfer(results["spin_transfer"])
    r = results["inertia"]
    assert r["tau"] > 0 and r["alpha_perp"] > 0
    assert abs(r["omega_n"]) == pytest.approx(1 / r["tau"], rel=0.2)


@pytest.mark.slow
def test_damping_tutorial_full_small():
    results = runpy.run_path(str(TUTORIAL))["main"](small=True, show=False)
    d = results["damping"]
    assert d["alpha_E"].shape == (3, 3, 3) and np.all(np.isfinite(d["alpha_V"]))


def test_damping_tutorial_switching():
    # the tutorial asserts: +ẑ stays below the threshold and reverses above it, as the
    # linearised torque predicts; here: the threshold lies between the two small-run biases
    main = runpy.run_path(str(TUTORIAL))["main"]
    res = main(small=True, show=False, sections=("switching",))["switching"]
    assert res["biases"][0] < res["threshold"] < res["biases"][-1]
    assert res["mz"][0].min() > 0.99 and res["mz"][-1][-1] < -0.99
    assert np.all(res["rows"][:, 1] > 0)                  # the dot's own damping 2α_⊥ > 0
