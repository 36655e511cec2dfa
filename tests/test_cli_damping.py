"""``kwant-llg damping``: tensors printed as a table and as JSON, equal to the library's."""

import json

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import cli, coefficients, molecule

ARGS = ["damping", "--levels", "0.0", "--J", "0.5", "--theta", "30", "--phi", "20",
        "--mu", "0.1", "--bias", "0.04", "--polarization", "0.3", "0.0", "--tol", "1e-6"]


def test_damping_json_matches_library(capsys):
    assert cli.main(ARGS + ["--json", "--inertia"]) == 0
    record = json.loads(capsys.readouterr().out)
    fsyst = molecule.molecule([0.0], gamma=(0.1, 0.1), polarization=(0.3, 0.0),
                              lead_hopping=10.0).finalized()
    greens = kl.FrozenGreens(fsyst, params=molecule.molecule_params(J=0.5))
    th, ph = np.radians(30), np.radians(20)
    m = np.tile([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)],
                (greens.num_sites, 1))
    alpha = coefficients.gilbert_damping(greens, m, mu=(0.12, 0.08), tol=1e-6)
    np.testing.assert_allclose(record["alpha"]["value"], alpha.value, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(record["alpha"]["symmetric"], alpha.symmetric, atol=1e-12)
    assert np.shape(record["inertia"]["value"]) == (3, 3)
    assert record["alpha"]["equation"] == "19" and record["inertia"]["equation"] == "22"
    assert record["parameters"]["bias"] == 0.04


def test_damping_table(capsys):
    assert cli.main(ARGS) == 0
    out = capsys.readouterr().out
    assert "Gilbert damping α (Eq. 19)" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  +") or
            line.startswith("  -")]
    assert len(rows) == 3 and all(len(r) == 3 for r in rows)
    assert np.all(np.isfinite(np.array(rows, dtype=float)))


@pytest.mark.parametrize("extra, message", [(["--kT", "-1"], "kT"),
                                            (["--theta", "200"], "theta")])
def test_damping_bad_input(capsys, extra, message):
    assert cli.main(ARGS + extra) == 1
    assert message in capsys.readouterr().err
