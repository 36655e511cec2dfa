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


# ------------------------------------------------------------------ pumping subcommands
def test_pump_parsers_default_to_the_seed_parameters():
    parser = build_parser()
    args = parser.parse_args(["pump"])
    assert (args.energy, args.J, args.V, args.omega, args.phi) == (1.9, 2.0, 0.8, 1.0, np.pi / 2)
    assert (args.alpha, args.D, args.K, args.executor) == (0.4, 0.2, 0.07, "process")
    assert args.periods_default == 10 and args.out_default == "output/pump"
    args = parser.parse_args(["sweep-amplitude", "--executor", "dask", "--workers", "3"])
    assert args.V == [0.4, 0.6, 0.8, 1.0, 1.2] and (args.executor, args.workers) == ("dask", 3)
    args = parser.parse_args(["sweep-frequency", "--si", "--resume"])
    assert args.omega == [0.2, 0.5, 1.0] and args.periods_default == 4 and args.si
    with pytest.raises(SystemExit):
        parser.parse_args(["pump", "--executor", "threads"])
    # the electrons default to the seed's adiabatic model on every pumping subcommand, so
    # that the paper is reproduced as written (issue 6, item 5); the others are choices
    for command in ("pump", "sweep-amplitude", "sweep-frequency"):
        args = parser.parse_args([command])
        assert args.electrons == "adiabatic" and args.magnetic_leads is False
        assert parser.parse_args([command, "--electrons", "td"]).electrons == "td"
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--electrons", "exact"])


def test_si_time_axis_follows_table_1():
    from kwant_llg.plotting import TimeAxis
    ax = TimeAxis(2 * np.pi, si=True)              # J_ex = 1 meV, a = 0.5 nm
    np.testing.assert_allclose(ax.time(1.0), 0.6582119569, rtol=1e-9)   # ħ/J_ex in ps
    np.testing.assert_allclose(ax.length(2.0), 1.0)                    # nm
    # e J_ex/ħ = 1.602176634e-19 C × 1.519267447e12 /s = 243.4135 nA
    np.testing.assert_allclose(ax.current(1.0), 243.4135, rtol=1e-5)
    periods = TimeAxis(4.0)
    assert periods.time(6.0) == 1.5 and periods.length(3.0) == 3.0


@pytest.fixture
def pumping_modules():
    return (pytest.importorskip("kwant_llg.coupled"), pytest.importorskip("kwant_llg.pumping"))


def test_pump_quick_writes_runs_figure_and_matches_brouwer(tmp_path, capsys, pumping_modules):
    """``pump --quick`` on a 12×10 device with the trial skyrmion (a relaxed one collapses on
    a device this small): both points finish, the skyrmion's records are sane, the frozen
    uniform magnet pumps Brouwer's charge, the progress bar goes to stderr, and the --ovf
    snapshots are read back by Spirit (last, skipped where Spirit is not installed)."""
    _, pumping = pumping_modules
    from kwant_llg import devices, textures
    out = tmp_path / "pump"
    rc = main(["pump", "--quick", "--size", "12", "10", "--no-relax", "--executor", "serial",
               "--ovf", "--out", str(out)])
    captured = capsys.readouterr()
    line = captured.out.strip()
    assert rc == 0, captured.err
    assert "\n" not in line and str(out / "pump.png") in line and "FAILED" not in line
    assert "stopped" not in line
    # the progress bar (tqdm's, or the plain-text fallback) counts the records of both
    # runs, 17 each, to the end
    assert "pump 12x10" in captured.err and "34/34" in captured.err
    assert (out / "pump.png").stat().st_size > 10_000
    info = json.loads((out / "info.json").read_text())
    assert info["command"] == "pump" and info["arguments"]["quick"] is True
    assert info["results"]["failed_points"] == 0 and "stopped_points" not in info["results"]
    for name in ("skyrmion", "no skyrmion"):
        res = info["results"][name]
        assert res["ok"] and res["status"] == "finished" and res["records"] == 17
    ref = info["results"]["no skyrmion"]
    data = klio.read_run(out / "pump_no_skyrmion.h5")
    assert data.parameters["V"] == 0.8 and data.parameters["E"] == 1.9
    # the adiabaticity diagnostic of the run, in info.json and in the run file (issue 6)
    diag = ref["adiabaticity"]
    assert diag == data.settings["adiabaticity"] and diag["omega"] == 1.0
    np.testing.assert_allclose(diag["omega_dwell"], diag["dwell_time"], rtol=1e-12)
    assert diag["omega_dwell"] > diag["threshold"]          # the seed's ω_p = 1 is not slow
    assert data.versions["kwant_llg"] and data.versions["kwant"]
    assert {"I_p", "I_p_up", "I_p_down", "center_paper", "Q"} <= set(data.records)
    # independent check: the charge pumped per cycle by the frozen uniform magnet, summed
    # from the recorded I_p(t) (periodic rectangle rule, 16 samples), equals Brouwer's
    # formula from Kwant's scattering matrix
    rec = data.records
    period = 2 * np.pi
    charge = rec["I_p"][:16].sum() * period / 16
    fsyst = devices.skyrmion_device(12, 10).finalized()
    params = devices.seed_params()
    params.pop("V1"), params.pop("V2")
    brouwer = pumping.brouwer_charge(fsyst, textures.uniform(fsyst, (0, 0, 1)),
                                     pumping.PumpDrive(0.8, 1.0, np.pi / 2), energy=1.9,
                                     params=params, n_times=16)
    assert abs(brouwer.total) > 1e-3
    np.testing.assert_allclose(charge, brouwer.total, rtol=1e-4)
    # the spin-resolved pumped currents add up to the total
    np.testing.assert_allclose(rec["I_p_up"] + rec["I_p_down"], rec["I_p"], atol=1e-12)

    # the free skyrmion: one period on the time grid, Q stays that of one skyrmion (the
    # run would stop with SkyrmionLost if it changed), its centre is finite and moves, and
    # the spin-resolved currents add up to the total
    sk = klio.read_run(out / "pump_skyrmion.h5")
    r = sk.records
    assert sk.status == "finished" and sk.parameters["relax"] is False
    np.testing.assert_allclose(r["time"], np.arange(17) * period / 16, rtol=1e-12, atol=1e-12)
    assert r["Q"][0] == pytest.approx(-1, abs=0.01)
    assert np.abs(r["Q"] - r["Q"][0]).max() < 0.2
    assert np.all(np.isfinite(r["center_paper"])) and np.all(np.isfinite(r["I_p"]))
    np.testing.assert_allclose(r["center_paper"][0], [5.5, 4.5], atol=1e-6)    # the centre
    assert np.abs(r["center_paper"][-1] - r["center_paper"][0]).max() > 0.1     # it moves
    np.testing.assert_allclose(r["I_p_up"] + r["I_p_down"], r["I_p"], rtol=0,
                               atol=1e-12 * np.abs(r["I_p"]).max())
    assert np.abs(r["I_p"] - rec["I_p"]).max() > 0.1       # the skyrmion changes I_p(t)

    # --ovf: one snapshot per period (t = 0 and t = T) as OVF 2.0, read back by our reader
    # and by Spirit's I/O into a Spirit state of the same 12×10 grid (Spirit orders its
    # spins x fastest: index (y, x))
    ovf = sorted((out / "ovf").glob("*.ovf"))
    assert [p.name for p in ovf] == ["m_000000.ovf", "m_000001.ovf"]
    assert len(sk.snapshots) == 2
    ix, iy = (np.rint(sk.positions[:, k]).astype(int) for k in (0, 1))
    for path, m in zip(ovf, sk.snapshots):
        back, _ = klio.read_ovf(path)
        np.testing.assert_array_equal(back[0, iy, ix], m)
    assert np.abs(sk.snapshots[1] - sk.snapshots[0]).max() > 0.05   # two different states
    state_mod = pytest.importorskip("spirit.state")
    from spirit import io as spirit_io, system
    import os
    import tempfile
    for path, m in zip(ovf, sk.snapshots):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "input.cfg")
            with open(cfg, "w") as f:
                f.write("log_to_console 0\nlog_to_file 0\nbravais_lattice sc\n"
                        "n_basis_cells 12 10 1\n")
            with state_mod.State(cfg, quiet=True) as p_state:
                spirit_io.image_read(p_state, str(path))
                spins = np.array(system.get_spin_directions(p_state)).reshape(10, 12, 3)
        # Spirit stores single or double precision and renormalises: 1e-6 covers float32
        np.testing.assert_allclose(spins[iy, ix], m, rtol=0, atol=1e-6)


def test_pump_resume_extends_runs_bitwise(tmp_path, capsys, pumping_modules):
    # a free skyrmion with the adaptive integrator (its step-size state must survive the
    # checkpoint) and the frozen uniform magnet: extended runs equal direct ones bit for bit
    common = ["pump", "--size", "12", "10", "--no-relax", "--integrator", "dopri5",
              "--records-per-period", "40", "--executor", "serial", "--quiet"]
    assert main(common + ["--periods", "0.05", "--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--periods", "0.1", "--out", str(tmp_path / "a"), "--resume"]) == 0
    assert main(common + ["--periods", "0.1", "--out", str(tmp_path / "b")]) == 0
    # --quiet: no progress bar (without it, "pump 12x10 [###...] n/N" goes to stderr, as
    # test_pump_quick_writes_runs_figure_and_matches_brouwer checks)
    err = capsys.readouterr().err
    assert "pump 12x10" not in err and "6/6" not in err and "10/10" not in err
    for name in ("pump_skyrmion.h5", "pump_no_skyrmion.h5"):
        a = klio.read_run(tmp_path / "a" / name)
        b = klio.read_run(tmp_path / "b" / name)
        assert a.times.size == b.times.size == 5 and a.status == "finished"
        for key in b.records:
            np.testing.assert_array_equal(a.records[key], b.records[key])
    sk = klio.read_run(tmp_path / "b" / "pump_skyrmion.h5").records
    assert np.abs(sk["center_paper"][-1] - sk["center_paper"][0]).max() > 1e-3   # it moves
    info = klio.read_info(tmp_path / "a")
    assert info["results"]["no skyrmion"]["resumed"] is True


def test_sweep_frequency_on_a_process_pool(tmp_path, capsys, pumping_modules):
    out = tmp_path / "freq"
    rc = main(["sweep-frequency", "--size", "12", "10", "--no-relax", "--integrator", "rk4",
               "--omega", "0.5", "1",
               "--periods", "1", "--records-per-period", "8", "--workers", "2", "--out",
               str(out), "--si", "--format", "pdf"])
    line = capsys.readouterr().out.strip()
    assert (out / "sweep_frequency.pdf").read_bytes()[:4] == b"%PDF"
    info = json.loads((out / "info.json").read_text())
    frozen = [klio.read_run(out / f"frequency_w{w}_frozen.h5") for w in ("0.5", "1")]
    assert all(info["results"][f"frozen {w}"]["ok"] for w in ("0.5", "1"))
    assert rc == (0 if info["results"]["failed_points"] == 0 else 1)
    assert "FAILED" in line if rc else "FAILED" not in line
    # adiabatic pumping of a fixed texture: I_p/ω_p is the same function of t/T
    np.testing.assert_allclose(frozen[0].records["I_p"] / 0.5, frozen[1].records["I_p"],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(frozen[0].records["time"], 2 * frozen[1].records["time"])


def test_pump_on_a_dask_local_cluster_equals_serial(tmp_path, capsys, monkeypatch,
                                                   pumping_modules):
    """``--executor dask`` runs the points on a real ``distributed.LocalCluster`` (two
    single-threaded worker processes, started by :func:`kwant_llg.sweeps.make_executor`)
    and writes the same run files, bit for bit, as ``--executor serial`` (8×6 device, trial
    skyrmion of radius 1.5, which lives through the 1/8 period run, and the frozen uniform
    magnet)."""
    distributed = pytest.importorskip("distributed")
    import os
    from kwant_llg import sweeps
    seen = {}
    make_executor = sweeps.make_executor

    def recording_make_executor(kind, **kwargs):
        # the executor the command asks for, and where its workers run
        executor = make_executor(kind, **kwargs)
        seen["executor"] = executor
        if isinstance(executor, distributed.Client):
            seen["cluster"] = type(executor.cluster).__name__
            seen["worker_pids"] = set(executor.run(os.getpid).values())
        return executor

    monkeypatch.setattr(sweeps, "make_executor", recording_make_executor)
    common = ["pump", "--size", "8", "6", "--no-relax", "--radius", "1.5", "--periods",
              "0.125", "--records-per-period", "8", "--quiet"]
    assert main(common + ["--executor", "serial", "--out", str(tmp_path / "serial")]) == 0
    assert isinstance(seen["executor"], sweeps.SerialExecutor)
    assert main(common + ["--executor", "dask", "--workers", "2",
                          "--out", str(tmp_path / "dask")]) == 0
    capsys.readouterr()
    assert isinstance(seen["executor"], distributed.Client)
    assert seen["cluster"] == "LocalCluster" and len(seen["worker_pids"]) == 2
    assert os.getpid() not in seen["worker_pids"]                 # worker processes
    assert klio.read_info(tmp_path / "dask")["arguments"]["executor"] == "dask"
    for name in ("pump_skyrmion.h5", "pump_no_skyrmion.h5"):
        a = klio.read_run(tmp_path / "serial" / name)
        b = klio.read_run(tmp_path / "dask" / name)
        assert a.status == b.status == "finished" and a.times.size == b.times.size == 2
        assert set(a.records) == set(b.records) and a.settings == b.settings
        for key in a.records:
            np.testing.assert_array_equal(a.records[key], b.records[key])
        np.testing.assert_array_equal(a.snapshots, b.snapshots)
    sk = klio.read_run(tmp_path / "dask" / "pump_skyrmion.h5").records
    assert np.all(np.isfinite(sk["I_p"])) and abs(sk["Q"][-1] + 1) < 0.1   # still there


def test_pump_failures_are_reported(tmp_path, capsys):
    assert main(["pump", "--quick", "--periods", "-1", "--out", str(tmp_path / "x"),
                 "--quiet", "--executor", "serial"]) == 1
    assert "--periods" in capsys.readouterr().err


def test_resume_refuses_other_parameters(tmp_path, capsys, pumping_modules):
    common = ["pump", "--size", "8", "6", "--records-per-period", "4", "--executor",
              "serial", "--quiet", "--periods", "0.25", "--integrator", "rk4",
              "--out", str(tmp_path)]
    main(common)
    assert main(common + ["--resume", "--V", "0.6"]) == 1
    err = capsys.readouterr()
    assert "other parameters (V: 0.8 there, 0.6 now)" in err.out + err.err


def test_pump_command_killed_and_resumed(tmp_path, pumping_modules):
    """A real SIGKILL of ``kwant-llg pump`` while the free skyrmion is being integrated
    (adaptive dopri5, whose step-size state lives in the checkpoint); ``--resume`` then
    finishes both points with the same records, bit for bit, as an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time
    argv = ["pump", "--size", "12", "10", "--no-relax", "--records-per-period", "16",
            "--periods", "0.25", "--executor", "serial", "--quiet"]
    # with --executor serial the points run one after the other in the order of the
    # command (skyrmion, then no skyrmion): wait for the skyrmion run's second committed
    # record (of 5), then kill
    with open(tmp_path / "killed.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "kwant_llg.cli"] + argv
                                + ["--out", str(tmp_path / "a")], stdout=log, stderr=log)
        path = tmp_path / "a" / "pump_skyrmion.h5"
        while proc.poll() is None:
            time.sleep(0.05)
            if path.exists() and klio.committed_records(path) >= 2:
                break
        assert proc.poll() is None, (tmp_path / "killed.log").read_text()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed = klio.read_run(path)
    assert killed.status == "running" and 2 <= killed.checkpoint_records < 5
    assert not (tmp_path / "a" / "pump_no_skyrmion.h5").exists()   # killed in the 1st point
    assert main(argv + ["--out", str(tmp_path / "a"), "--resume"]) == 0
    assert main(argv + ["--out", str(tmp_path / "b")]) == 0
    for name in ("pump_skyrmion.h5", "pump_no_skyrmion.h5"):
        a, b = klio.read_run(tmp_path / "a" / name), klio.read_run(tmp_path / "b" / name)
        assert a.status == b.status == "finished" and a.times.size == b.times.size == 5
        assert set(a.records) == set(b.records)
        for key in b.records:
            np.testing.assert_array_equal(a.records[key], b.records[key])
        np.testing.assert_array_equal(a.snapshots, b.snapshots)
    sk = klio.read_run(tmp_path / "b" / "pump_skyrmion.h5").records
    assert np.abs(sk["center_paper"][-1] - sk["center_paper"][0]).max() > 1e-2  # it moves
    assert klio.read_info(tmp_path / "a")["results"]["skyrmion"]["resumed"] is True


def test_pump_figures_plot_the_records_in_the_requested_units():
    import matplotlib.pyplot as plt
    from kwant_llg import plotting
    t = np.linspace(0, 4 * np.pi, 9)
    rec = {"time": t, "I_p": np.sin(t), "I_p_up": 0 * t, "I_p_down": np.sin(t),
           "center_paper": np.c_[20 + 0.1 * t, 20 - 0.05 * t]}
    fig = plotting.plot_pump({"no skyrmion": rec, "skyrmion": rec},
                             axis=plotting.TimeAxis(2 * np.pi))
    a, b, c = fig.axes
    np.testing.assert_allclose(a.lines[1].get_xdata(), t / (2 * np.pi))       # t/T
    np.testing.assert_allclose(b.lines[1].get_ydata(), np.sin(t))            # spin down
    np.testing.assert_allclose(c.lines[0].get_ydata(), 20 + 0.1 * t)         # x(t)
    assert [ax.get_title(loc="left")[:3] for ax in fig.axes] == ["(a)", "(b)", "(c)"]
    plt.close(fig)
    si = plotting.TimeAxis(np.pi, si=True, jex_mev=2.0, a_nm=0.4)
    fig = plotting.plot_frequency_sweep({2.0: rec}, {2.0: rec}, axes_by_omega=lambda w: si)
    a, b, c = fig.axes
    np.testing.assert_allclose(a.lines[0].get_ydata(), np.sin(t) * 243.4134 * 2 / 2.0)
    np.testing.assert_allclose(a.lines[0].get_xdata(), t * 0.6582119569 / 2)    # ps
    np.testing.assert_allclose(c.lines[0].get_ydata(), (20 - 0.05 * t) * 0.4)  # nm
    assert "ps" in a.get_xlabel() and "nm" in b.get_ylabel()
    plt.close(fig)
    fig = plotting.plot_amplitude_sweep({0.4: rec, 0.8: rec}, axis=plotting.TimeAxis(1.0))
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["$V$ = 0.4", "$V$ = 0.8"]
    plt.close(fig)


def test_pump_torque_options_reach_the_dynamics(tmp_path, capsys, pumping_modules):
    """--torque/--equilibrium/--velocity are stored with the run and build the PumpedLLG
    they name; --velocity with the adaptive integrator is refused with the fix."""
    from kwant_llg.cli_pump import _make_dynamics, point_defaults
    common = ["pump", "--size", "8", "6", "--records-per-period", "4", "--executor",
              "serial", "--quiet", "--periods", "0.25", "--out", str(tmp_path)]
    assert main(common + ["--velocity"]) == 1
    assert "--integrator rk4" in capsys.readouterr().err
    assert main(common + ["--velocity", "--integrator", "rk4", "--no-relax",
                          "--radius", "1.5"]) == 0
    for name in ("pump_no_skyrmion.h5", "pump_skyrmion.h5"):
        data = klio.read_run(tmp_path / name)
        assert bool(data.parameters["velocity"]) is True
        assert data.parameters["torque"] == "fermi-surface"
        assert data.status == "finished"
    state = _make_dynamics(point_defaults(L=8, W=6, relax=False, integrator="rk4",
                                          torque="adiabatic", equilibrium=True))
    assert (state.torque, state.equilibrium, state.velocity) == ("adiabatic", True, False)


def test_floquet_velocity_option_reaches_the_dynamics(monkeypatch):
    """--electrons floquet --velocity builds a FloquetLLG with velocity=True (the class is
    replaced by a recorder: the Floquet set-up itself is tested in test_floquet_llg.py)."""
    from kwant_llg import cli_pump, floquet_llg
    seen = {}

    class Recorder:
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(floquet_llg, "FloquetLLG", Recorder)
    point = cli_pump.point_defaults(L=8, W=6, relax=False, integrator="rk4",
                                    electrons="floquet", lead_magnetization=(0.0, 0.0, 1.0),
                                    velocity=True)
    assert isinstance(cli_pump._make_dynamics(point), Recorder)
    assert seen["velocity"] is True and seen["n_sidebands"] == 4


def test_pump_electrons_modes_side_by_side(tmp_path, capsys, pumping_modules):
    """--electrons adiabatic|floquet|td run the same points (8×6, trial skyrmion, leads along
    +z) into run files with the same records (tkwant's adds its quadrature error I_p_error)
    and the same adiabaticity diagnostic (computed
    for the initial texture and the drive, whatever the electrons); the Floquet and tkwant
    runs act through the full spin density (equilibrium recorded as True). (The Floquet and
    tkwant physics is tested in tests/test_floquet_llg.py and tests/test_tdcoupled.py.)"""
    common = ["pump", "--size", "8", "6", "--no-relax", "--radius", "1.5", "--periods",
              "0.125", "--records-per-period", "8", "--executor", "serial", "--quiet",
              "--magnetic-leads", "--sidebands", "2", "--floquet-tol", "1e-4",
              "--resolve-tol", "1", "--tkwant-order", "5", "--tkwant-refine-tol", "0"]
    runs = {}
    for mode in ("adiabatic", "floquet", "td"):
        extra = ["--integrator", "rk4"] if mode == "adiabatic" else []
        assert main(common + extra + ["--electrons", mode, "--out", str(tmp_path / mode)]) == 0
        assert f"pump: {mode} electrons" in capsys.readouterr().out
        runs[mode] = {n: klio.read_run(tmp_path / mode / f"pump_{n}.h5")
                      for n in ("skyrmion", "no_skyrmion")}
    for name in ("skyrmion", "no_skyrmion"):
        ref = runs["adiabatic"][name]
        for mode in ("floquet", "td"):
            data = runs[mode][name]
            assert data.status == "finished" and data.times.size == 2
            assert data.parameters["electrons"] == mode and data.parameters["equilibrium"]
            assert data.parameters["lead_magnetization"] == [0.0, 0.0, 1.0]
            extra = {"I_p_error"} if mode == "td" else set()    # tkwant's quadrature error
            assert set(data.records) == set(ref.records) | extra
            assert np.all(np.isfinite(data.records["I_p"]))
            # ω τ_dwell is the device's; the density ratio of the Floquet and tkwant runs
            # includes the Fermi-sea term (the seed's Fermi-surface torque run's does not)
            diag = data.settings["adiabaticity"]
            np.testing.assert_allclose(diag["omega_dwell"],
                                       ref.settings["adiabaticity"]["omega_dwell"], rtol=1e-10)
        np.testing.assert_allclose(runs["floquet"][name].settings["adiabaticity"]["density_ratio"],
                                   runs["td"][name].settings["adiabaticity"]["density_ratio"],
                                   rtol=1e-8)
    # the texture is free in the skyrmion runs, fixed in the reference ones
    for mode, r in runs.items():
        c = r["skyrmion"].records["center_paper"]
        assert np.all(np.isfinite(c)) and np.abs(c[-1] - c[0]).max() > 0
        assert np.all(np.isnan(r["no_skyrmion"].records["center_paper"]))


def test_electrons_errors_name_the_fix(tmp_path, capsys):
    common = ["pump", "--size", "8", "6", "--periods", "0.1", "--executor", "serial",
              "--quiet", "--out", str(tmp_path)]
    for extra, fix in ((["--electrons", "floquet"], "--magnetic-leads"),
                       (["--electrons", "td", "--magnetic-leads", "--integrator", "dopri5"],
                        "--integrator rk4"),
                       (["--electrons", "td", "--magnetic-leads", "--velocity"],
                        "drop --velocity"),
                       (["--electrons", "floquet", "--magnetic-leads", "--torque", "adiabatic"],
                        "its own")):
        assert main(common + extra) == 1
        assert fix in capsys.readouterr().err


def test_td_run_resumes_bitwise(tmp_path, capsys, pumping_modules):
    """A run with tkwant electrons continues from its checkpoint (the electrons are rebuilt
    and replayed) exactly like an uninterrupted run; resuming past the tkwant boundary
    conditions' tmax is refused with the fix."""
    common = ["sweep-amplitude", "--V", "0.8", "--size", "8", "6", "--no-relax", "--radius",
              "1.5", "--records-per-period", "16", "--executor", "serial", "--quiet",
              "--magnetic-leads", "--electrons", "td", "--tkwant-order", "5",
              "--tkwant-refine-tol", "0"]
    long = ["--tkwant-tmax", "1.6"]
    assert main(common + long + ["--periods", "0.125", "--out", str(tmp_path / "a")]) == 0
    assert main(common + long + ["--periods", "0.25", "--out", str(tmp_path / "a"),
                                 "--resume"]) == 0
    assert main(common + long + ["--periods", "0.25", "--out", str(tmp_path / "b")]) == 0
    a, b = (klio.read_run(tmp_path / d / "amplitude_V0.8.h5") for d in "ab")
    assert a.times.size == b.times.size == 5 and a.status == "finished"
    for key in b.records:
        np.testing.assert_array_equal(a.records[key], b.records[key])
    np.testing.assert_array_equal(a.snapshots, b.snapshots)
    c = b.records["center_charge"]
    assert np.abs(c[-1] - c[0]).max() > 1e-4                               # the texture moves
    assert main(common + ["--periods", "0.125", "--out", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    assert main(common + ["--periods", "0.25", "--out", str(tmp_path / "c"), "--resume"]) == 1
    assert "--tkwant-tmax" in capsys.readouterr().out


def test_sweep_frequency_with_td_electrons(tmp_path, capsys, pumping_modules):
    """Smoke run of ``sweep-frequency --electrons td --magnetic-leads`` (tkwant electrons,
    8×6 device, trial skyrmion of radius 1.5, one ω_p, 1/8 period): both points (texture
    fixed and free) finish into their run files with finite pumped currents."""
    pytest.importorskip("tkwant", reason="tkwant (optional test dependency) is not installed")
    out = tmp_path / "td"
    rc = main(["sweep-frequency", "--omega", "1", "--size", "8", "6", "--no-relax",
               "--radius", "1.5", "--periods", "0.125", "--records-per-period", "8",
               "--executor", "serial", "--quiet", "--magnetic-leads", "--electrons", "td",
               "--tkwant-order", "5", "--tkwant-refine-tol", "0", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "sweep-frequency: td electrons" in captured.out and "FAILED" not in captured.out
    assert (out / "sweep_frequency.png").stat().st_size > 10_000
    info = klio.read_info(out)
    assert info["success"] is True and info["results"]["failed_points"] == 0
    runs = {}
    for key, name in (("frozen 1", "frequency_w1_frozen.h5"), ("free 1", "frequency_w1.h5")):
        assert info["results"][key]["ok"] and info["results"][key]["status"] == "finished"
        data = runs[key] = klio.read_run(out / name)
        assert data.status == "finished" and data.times.size == 2
        assert data.parameters["electrons"] == "td" and data.parameters["omega"] == 1.0
        assert data.parameters["lead_magnetization"] == [0.0, 0.0, 1.0]
        rec = data.records
        assert np.all(np.isfinite(rec["I_p"])) and np.abs(rec["I_p"]).max() > 1e-3
        assert np.all(np.isfinite(rec["I_p_error"]))
        np.testing.assert_allclose(rec["I_p_up"] + rec["I_p_down"], rec["I_p"], rtol=1e-12,
                                   atol=1e-14)
    frozen, free = runs["frozen 1"].records, runs["free 1"].records
    # same device, texture and drive at t = 0: the same current; then only the free
    # texture moves
    assert frozen["I_p"][0] == free["I_p"][0]
    np.testing.assert_array_equal(frozen["center_paper"][1], frozen["center_paper"][0])
    assert np.abs(free["center_paper"][1] - free["center_paper"][0]).max() > 1e-4


@pytest.mark.slow                     # about 3.5 min: three runs with Floquet re-solves
def test_floquet_run_resumes_bitwise(tmp_path, capsys, pumping_modules):
    """A run with Floquet electrons continues from its checkpoint exactly like an
    uninterrupted run (the Fourier coefficients of the last solve travel in the pickle)."""
    common = ["sweep-amplitude", "--V", "0.8", "--size", "8", "6", "--no-relax", "--radius",
              "1.5", "--records-per-period", "16", "--executor", "serial", "--quiet",
              "--magnetic-leads", "--electrons", "floquet", "--sidebands", "1",
              "--floquet-tol", "1e-3", "--resolve-tol", "0.05"]
    with pytest.warns(UserWarning):                    # N = 1 is truncated: warned, and fine
        assert main(common + ["--periods", "0.125", "--out", str(tmp_path / "a")]) == 0
        assert main(common + ["--periods", "0.25", "--out", str(tmp_path / "a"),
                              "--resume"]) == 0
        assert main(common + ["--periods", "0.25", "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    a, b = (klio.read_run(tmp_path / d / "amplitude_V0.8.h5") for d in "ab")
    assert a.times.size == b.times.size == 5 and a.status == "finished"
    for key in b.records:
        np.testing.assert_array_equal(a.records[key], b.records[key])
    c = b.records["center_charge"]
    assert np.abs(c[-1] - c[0]).max() > 1e-4                               # the texture moves
    info = json.loads((tmp_path / "b" / "info.json").read_text())
    assert info["results"]["0.8"]["floquet_truncation"] > 1e-2
    import pickle
    state = pickle.loads(a.checkpoint)["dynamics"]
    assert state.num_solves >= 2                       # re-solved as the texture moved


def test_tkwant_options_reach_the_dynamics():
    """--tkwant-switch-on, --tkwant-refine-every and --tkwant-order reach TimeDependentLLG:
    the drive is ramped (envelope 0 at t = 0, sin² over the given periods), the quadrature is
    refined during the run at the given interval (to 1e-4 when no tolerance is given)."""
    pytest.importorskip("tkwant", reason="tkwant (optional test dependency) is not installed")
    from kwant_llg import cli, cli_pump
    args = cli.build_parser().parse_args(
        ["pump", "--size", "8", "6", "--no-relax", "--radius", "1.5", "--magnetic-leads",
         "--electrons", "td", "--tkwant-order", "3", "--tkwant-switch-on", "0.5",
         "--tkwant-refine-every", "0.25", "--periods", "1"])
    point = cli_pump._base_point(args)
    assert point["tkwant_switch_on"] == 0.5 and point["tkwant_refine_every"] == 0.25
    dyn = cli_pump._make_dynamics(dict(point, omega=1.0))
    assert dyn.drive.switch_on == 0.5
    assert dyn.drive.envelope(0.0) == 0 and dyn.drive.envelope(np.pi / 2) == pytest.approx(0.5)
    assert dyn._refine_every == pytest.approx(0.25 * 2 * np.pi)
    assert dyn._args["order"] == 3 and dyn._args["refine_tol"] == 1e-4
    assert cli_pump.point_defaults()["tkwant_order"] == 40
    # tkwant's boundary conditions hold to about 3/4 of its tmax (tdref.simulate): it is
    # prepared to 1.4 × the run's length (or --tkwant-tmax), and to exactly the run's length
    # for run files from before the margin (their parameters lack tkwant_tmax_margin)
    assert dyn.tmax == pytest.approx(1.4 * 2 * np.pi)
    assert cli_pump._tkwant_reach(dict(point, omega=1.0)) == pytest.approx(2 * np.pi)
    old = {k: v for k, v in point.items() if k != "tkwant_tmax_margin"}
    assert cli_pump._tkwant_tmax(dict(old, omega=1.0)) == pytest.approx(2 * np.pi)
    assert cli_pump._tkwant_tmax(dict(point, omega=1.0, tkwant_tmax=20.0)) == pytest.approx(28)
