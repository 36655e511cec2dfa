"""Runner of long time evolutions: records, stop conditions, SIGKILL and resume.

The dynamics is a Bloch skyrmion on a 10 × 10 lattice (exchange, DMI, anisotropy of the
seed, α = 0.4) driven by a Zhang–Li current, integrated by :class:`kwant_llg.LLG`. A run
through :func:`simulation.run` must record exactly (bit for bit) what a plain loop of
``evolve`` and :func:`simulation.llg_observables` gives, and a run killed by SIGKILL and
resumed must end with the same records and texture, bit for bit.
"""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import io as klio, simulation
from kwant_llg._common import KwantLLGError

SETUP = """
import numpy as np
import kwant_llg as kl
from kwant_llg import textures

def make_dynamics(n=10):
    lat = kl.SpinLattice.square(n, n)
    m0 = textures.skyrmion(lat.positions[:, :2], ((n - 1) / 2, (n - 1) / 2), n / 4,
                           helicity=np.pi / 2, polarity=-1)
    ham = kl.Exchange(1) + kl.DMI(0.2) + kl.Anisotropy(0.07)
    return kl.LLG(lat, ham, m0, alpha=0.4, dt=0.05, current=dict(u=(0.05, 0.0), beta=0.2))
"""
exec(SETUP)          # defines make_dynamics here exactly as in the killed subprocess


def _assert_same_records(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_records_equal_plain_evolution(tmp_path):
    dyn = make_dynamics()
    res = simulation.run(dyn, 6.0, path=tmp_path / "r.h5", record_every=1.5,
                         snapshot_every=2, checkpoint_every=3,
                         observables=simulation.llg_observables,
                         parameters={"u": 0.05, "note": "test"})
    assert res.status == "finished" and res.num_records == 5 and res.time == 6.0
    data = res.data
    ref = make_dynamics()
    expected = {}
    for t in (0.0, 1.5, 3.0, 4.5, 6.0):
        ref.evolve(t)
        for key, value in dict(time=t, **simulation.llg_observables(ref)).items():
            expected.setdefault(key, []).append(value)
    _assert_same_records(data.records, {k: np.array(v) for k, v in expected.items()})
    np.testing.assert_array_equal(data.snapshot_times, [0.0, 3.0, 6.0])
    np.testing.assert_array_equal(data.snapshots[-1], ref.m)
    np.testing.assert_array_equal(res.dynamics.m, ref.m)
    np.testing.assert_array_equal(data.positions, ref.lattice.positions)
    assert data.parameters == {"u": 0.05, "note": "test"}
    assert data.settings["record_every"] == 1.5 and data.checkpoint_time == 6.0
    assert data.versions["kwant_llg"] == kl.__version__ and data.versions["numpy"]
    # the skyrmion moves along the current: the physics is really being recorded
    assert data.records["center_paper"][-1, 0] > data.records["center_paper"][0, 0] + 0.05
    assert np.all(np.abs(data.records["Q"] + 1) < 0.1)


def test_sigkill_and_resume_is_bitwise_identical(tmp_path):
    path = tmp_path / "killed.h5"
    t_end, every = 60.0, 0.5
    script = SETUP + textwrap.dedent(f"""
        from kwant_llg import simulation
        kl.limit_blas_threads(1)
        simulation.run(make_dynamics(), {t_end}, path={str(path)!r}, record_every={every},
                       snapshot_every=4, checkpoint_every=3,
                       observables=simulation.llg_observables)
        """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            if path.exists() and klio.read_run(path).checkpoint_records >= 12:
                break
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed = klio.read_run(path)
    total = int(t_end / every) + 1
    assert killed.status == "running" and 12 <= killed.checkpoint_records < total

    resumed = simulation.resume(path)
    assert resumed.status == "finished" and resumed.num_records == total
    reference = simulation.run(make_dynamics(), t_end, path=tmp_path / "ref.h5",
                               record_every=every, snapshot_every=4, checkpoint_every=3,
                               observables=simulation.llg_observables)
    a, b = klio.read_run(path), reference.data
    _assert_same_records(a.records, b.records)
    np.testing.assert_array_equal(a.snapshots, b.snapshots)
    np.testing.assert_array_equal(a.snapshot_times, b.snapshot_times)
    np.testing.assert_array_equal(resumed.dynamics.m, reference.dynamics.m)
    assert a.status == "finished" and a.error == ""


def charge_lost(record):
    """Stop condition: the texture lost its topological charge."""
    return "skyrmion lost (|Q| < 0.5)" if abs(record["Q"]) < 0.5 else None


def late(record):
    return "time is up" if record["time"] >= 2.0 else None


class Lost(KwantLLGError):
    pass


class Fragile:
    """An LLG that raises ``error`` once it is asked to go beyond ``t_fail``."""

    armed = True

    def __init__(self, error, t_fail):
        self.inner, self.error, self.t_fail = make_dynamics(6), error, t_fail

    time = property(lambda self: self.inner.time)
    m = property(lambda self: self.inner.m)

    def evolve(self, t):
        if t > self.t_fail and Fragile.armed:
            raise self.error("the skyrmion left the sample")
        self.inner.evolve(t)

    def observables(self):
        return {"mz": self.inner.m[:, 2].mean()}


def test_stop_conditions_end_the_run_with_a_reason(tmp_path):
    res = simulation.run(make_dynamics(), 10.0, path=tmp_path / "s.h5", record_every=1.0,
                         stop=late, observables=simulation.llg_observables)
    assert res.status == "stopped" and "time is up (t = 2)" in res.end_reason
    data = res.data
    np.testing.assert_array_equal(data.times, [0.0, 1.0, 2.0])
    assert data.status == "stopped" and data.end_reason == res.end_reason
    again = simulation.resume(tmp_path / "s.h5")                # a stopped run stays stopped
    assert again.status == "stopped" and again.num_records == 3
    assert klio.read_run(tmp_path / "s.h5").times.size == 3

    # the dynamics raising a stop exception (like coupled.SkyrmionLost): no traceback
    res = simulation.run(Fragile(Lost, 2.5), 5.0, path=tmp_path / "e.h5", record_every=1.0,
                         stop_on=(Lost,))
    assert res.status == "stopped" and res.end_reason.startswith("Lost before t = 3")
    assert "left the sample" in res.end_reason
    np.testing.assert_array_equal(res.data.times, [0.0, 1.0, 2.0])
    # a uniform state has Q = 0: the charge stop condition fires on the first record
    dyn = make_dynamics()
    uni = kl.LLG(dyn.lattice, dyn.hamiltonian, np.tile([0, 0, 1.0], (100, 1)), alpha=0.4)
    res = simulation.run(uni, 3.0, path=tmp_path / "u.h5", record_every=1.0,
                         stop=charge_lost, observables=simulation.llg_observables)
    assert res.status == "stopped" and res.num_records == 1 and "|Q| < 0.5" in res.end_reason


def test_failure_is_recorded_and_resume_recovers(tmp_path):
    path = tmp_path / "f.h5"
    Fragile.armed = True
    try:
        with pytest.raises(RuntimeError, match="left the sample"):
            simulation.run(Fragile(RuntimeError, 3.2), 6.0, path=path, record_every=0.5,
                           checkpoint_every=4, snapshot_every=1)
        data = klio.read_run(path)
        assert data.status == "failed" and "RuntimeError" in data.error
        assert data.times.size == 7 and data.checkpoint_records == 5   # 0..3.0; ckpt at 2.0
        Fragile.armed = False
        res = simulation.resume(path)
    finally:
        Fragile.armed = True
    Fragile.armed = False
    try:
        ref = simulation.run(Fragile(RuntimeError, 3.2), 6.0, path=tmp_path / "g.h5",
                             record_every=0.5, checkpoint_every=4, snapshot_every=1)
    finally:
        Fragile.armed = True
    assert res.status == "finished"
    _assert_same_records(res.data.records, ref.data.records)
    np.testing.assert_array_equal(res.data.snapshots, ref.data.snapshots)


def test_extend_finished_run(tmp_path):
    short = simulation.run(make_dynamics(), 2.0, path=tmp_path / "a.h5", record_every=0.5,
                           observables=simulation.llg_observables)
    assert simulation.resume(tmp_path / "a.h5").num_records == 5          # nothing to do
    longer = simulation.resume(tmp_path / "a.h5", t_end=4.0)
    direct = simulation.run(make_dynamics(), 4.0, path=tmp_path / "b.h5", record_every=0.5,
                            observables=simulation.llg_observables)
    assert short.num_records == 5 and longer.num_records == direct.num_records == 9
    _assert_same_records(longer.data.records, direct.data.records)
    assert longer.data.settings["t_end"] == 4.0
    simulation.run(make_dynamics(), 2.2, path=tmp_path / "c.h5", record_every=0.5)
    with pytest.raises(KwantLLGError, match="off its record grid"):
        simulation.resume(tmp_path / "c.h5", t_end=4.0)


def test_bad_input(tmp_path):
    dyn = make_dynamics(4)
    with pytest.raises(KwantLLGError, match="record_every"):
        simulation.run(dyn, 1.0, path=tmp_path / "x.h5", record_every=0)
    with pytest.raises(KwantLLGError, match="t_end"):
        simulation.run(dyn, -1.0, path=tmp_path / "x.h5", record_every=0.1)
    with pytest.raises(KwantLLGError, match="snapshot_every"):
        simulation.run(dyn, 1.0, path=tmp_path / "x.h5", record_every=0.1, snapshot_every=0.5)
    with pytest.raises(KwantLLGError, match=".evolve"):
        simulation.run(object(), 1.0, path=tmp_path / "x.h5", record_every=0.1)
    with pytest.raises(KwantLLGError, match="picklable"):
        simulation.run(dyn, 1.0, path=tmp_path / "x.h5", record_every=0.5,
                       observables=lambda d: {"mz": d.m[:, 2].sum()})
    with pytest.raises(KwantLLGError, match="does not exist"):
        simulation.resume(tmp_path / "missing.h5")
