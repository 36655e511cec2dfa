"""Sweeps over executors: serial, process pool (default), Dask LocalCluster, mpi4py.futures.

Every executor must return the values in input order and keep a failing point as an error
while the others complete. ``math.sqrt`` is the swept function (picklable by reference in
any worker): sqrt(-1) raises ``ValueError: math domain error``.
"""

import concurrent.futures
import math
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from kwant_llg import sweeps
from kwant_llg._common import KwantLLGError

POINTS = [4.0, 9.0, -1.0, 2.25, 16.0]
EXPECTED = [2.0, 3.0, None, 1.5, 4.0]


def _check(result):
    assert result.points == POINTS
    assert result.values == EXPECTED                  # exact: sqrt of perfect squares
    assert list(result.errors) == [2]
    assert result.errors[2] == "ValueError: math domain error"
    assert not result[2].ok and "Traceback" in result[2].traceback
    assert len(result.succeeded) == 4 and len(result.failed) == 1


def test_serial_and_default_process_pool():
    calls = []
    _check(sweeps.sweep(math.sqrt, POINTS, executor=sweeps.SerialExecutor(),
                        progress=lambda done, total: calls.append((done, total))))
    assert calls == [(i, 5) for i in range(1, 6)]
    _check(sweeps.sweep(math.sqrt, POINTS, workers=2))          # ProcessPoolExecutor
    with concurrent.futures.ThreadPoolExecutor(2) as pool:      # any Executor
        _check(sweeps.sweep(math.sqrt, POINTS, executor=pool))


def test_crashed_worker_is_recorded_and_rest_kept():
    # os._exit kills the worker process: the pool breaks; every affected point is recorded
    # as failed with the executor's error instead of the sweep raising
    result = sweeps.sweep(os._exit, [3], workers=1)
    assert result.values == [None] and "BrokenProcessPool" in result.errors[0]


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _check(sweeps.sweep(math.sqrt, POINTS, executor=client))
        assert len(client.scheduler_info()["workers"]) == 2


def test_mpi4py_futures(tmp_path):
    # starts MPI and three Python processes (a few seconds); skipped where mpi4py, mpiexec
    # or MPI itself cannot start
    pytest.importorskip("mpi4py.futures")
    mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        pytest.skip("no mpiexec on PATH")
    script = tmp_path / "mpi_sweep.py"
    script.write_text(textwrap.dedent(f"""
        import math
        from mpi4py.futures import MPIPoolExecutor
        from kwant_llg import sweeps
        if __name__ == "__main__":
            with MPIPoolExecutor() as ex:
                r = sweeps.sweep(math.sqrt, {POINTS!r}, executor=ex)
            print("RESULT", r.values, r.errors)
        """))
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    proc = subprocess.run([mpiexec, "-n", "3", sys.executable, "-m", "mpi4py.futures",
                           str(script)], capture_output=True, text=True, env=env, timeout=120)
    if "RESULT" not in proc.stdout:
        pytest.skip(f"MPI could not start here: {proc.stderr[-300:]}")
    assert f"RESULT {EXPECTED!r} {{2: 'ValueError: math domain error'}}" in proc.stdout


def test_make_executor_and_errors():
    assert isinstance(sweeps.make_executor("serial"), sweeps.SerialExecutor)
    with sweeps.make_executor("process", workers=1) as pool:
        assert isinstance(pool, concurrent.futures.ProcessPoolExecutor)
    with pytest.raises(KwantLLGError, match="Unknown executor"):
        sweeps.make_executor("threads")
    with pytest.raises(KwantLLGError, match="Executor"):
        sweeps.sweep(math.sqrt, POINTS, executor=object())
    with pytest.raises(KwantLLGError, match="callable"):
        sweeps.sweep(3, POINTS)
