"""The kwant-llg command line and the run-output helpers of kwant_llg.io."""

import json

import matplotlib
matplotlib.use("Agg")

import numpy as np
import pytest

from kwant_llg import io as klio
from kwant_llg.cli import build_parser, main
from kwant_llg.transport import TransportResult


def test_transport_quick_writes_figure_data_and_info(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["transport", "--quick", "--out", str(out), "--quiet"]) == 0
    assert (out / "transport.png").stat().st_size > 10_000
    info = json.loads((out / "info.json").read_text())
    assert info["success"] is True and info["command"] == "transport"
    assert info["arguments"]["quick"] is True and info["version"]
    assert set(info["files"]) == {"transport.npz", "transport.png"}
    assert info["results"]["polarization_low"] < -0.99
    assert info["results"]["polarization_high"] > 0.99

    arrays = klio.load_arrays(out / "transport.npz")
    res = TransportResult.from_arrays(arrays)
    assert res.names == ("no skyrmion", "skyrmion")
    assert len(res.energies) == 24 and arrays["texture:skyrmion"].shape == (144, 3)
    np.testing.assert_allclose(res.t_in("no skyrmion", "up"), res.t_in("no skyrmion", "down"),
                               rtol=0, atol=1e-10)

    line = capsys.readouterr().out.strip()
    assert "\n" not in line
    assert str(out / "transport.png") in line and str(out / "transport.npz") in line


def test_transport_uniform_reference_pdf(tmp_path, capsys):
    out = tmp_path / "pdf"
    argv = ["transport", "--size", "8", "6", "--energies", "6", "--reference", "uniform",
            "--format", "pdf", "--out", str(out)]
    assert main(argv) == 0
    assert (out / "transport.pdf").read_bytes()[:4] == b"%PDF"
    res = TransportResult.from_arrays(klio.load_arrays(out / "transport.npz"))
    # a uniform magnet with J = 2 is not spin degenerate: spin up is closed below E = 2
    low = res.energies < 2
    assert res.t_in("no skyrmion", "up")[low].max() < 1e-3
    assert res.t_in("no skyrmion", "down")[low].max() > 0.1
    assert "transport" in capsys.readouterr().err           # the progress bar


def test_parser_and_errors(tmp_path, capsys):
    assert main([]) == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["transport", "--format", "gif"])
    assert main(["transport", "--quick", "--emin", "3", "--emax", "1", "--quiet",
                 "--out", str(tmp_path / "bad")]) == 1
    assert "emin" in capsys.readouterr().err
    info = klio.read_info(tmp_path / "bad")
    assert info["success"] is False and "emin" in info["error"]


def test_run_record_sets_success_flag_in_finally(tmp_path):
    with klio.run_record(tmp_path / "ok", arguments={"x": np.float64(1.5), "p": tmp_path},
                         command="demo") as info:
        assert klio.read_info(tmp_path / "ok")["success"] is False    # written at start
        info["results"]["value"] = np.arange(3)
    done = klio.read_info(tmp_path / "ok")
    assert done["success"] is True and done["results"]["value"] == [0, 1, 2]
    assert done["arguments"]["x"] == 1.5 and done["wall_time_s"] >= 0
    assert {"started", "finished", "versions"} <= set(done)

    with pytest.raises(RuntimeError):
        with klio.run_record(tmp_path / "fail", arguments={}):
            raise RuntimeError("boom")
    failed = klio.read_info(tmp_path / "fail")
    assert failed["success"] is False and "boom" in failed["error"]


def test_save_and_load_arrays(tmp_path):
    data = {"a": np.arange(4.0), "names": np.array(["x", "y z"]), "c:d": np.eye(2)}
    path = klio.save_arrays(tmp_path / "sub" / "d.npz", data)
    back = klio.load_arrays(path)
    assert set(back) == set(data)
    for key in data:
        np.testing.assert_array_equal(back[key], data[key])
    with pytest.raises(ValueError):
        klio.save_arrays(tmp_path / "d.h5", data)
    with pytest.raises(ValueError):
        klio.save_arrays(tmp_path / "o.npz", {"o": np.array([{}, 1], dtype=object)})
