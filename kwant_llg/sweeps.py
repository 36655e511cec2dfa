"""Parameter sweeps over any ``concurrent.futures.Executor``.

:func:`sweep` calls ``func(point)`` for every point, in parallel on an executor, and keeps
every outcome: a point whose call raised is recorded with its error and traceback, the rest
of the sweep goes on. Executors:

* ``None`` (default): a :class:`concurrent.futures.ProcessPoolExecutor` with ``workers``
  processes, created and shut down by :func:`sweep`;
* any :class:`concurrent.futures.Executor`, e.g. ``mpi4py.futures.MPIPoolExecutor()``
  (see :func:`make_executor`) or :class:`SerialExecutor` (in this process, for debugging);
* a Dask ``distributed.Client`` (its ``get_executor()`` is used).

``func`` and the points must be picklable for the process, Dask and MPI executors (a
module-level function; ``functools.partial`` of one is fine).
"""

import concurrent.futures
import traceback

from ._common import KwantLLGError

__all__ = ["sweep", "SweepResult", "PointResult", "SerialExecutor", "make_executor"]


class SerialExecutor(concurrent.futures.Executor):
    """Runs each submitted call at once, in the calling process."""

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:       # handed to the future like a pool would
            future.set_exception(exc)
        return future


class PointResult:
    """Outcome of one sweep point.

    Attributes
    ----------
    point : object
    value : object
        ``func(point)``, or None if it failed.
    error : str or None
        ``"ExceptionType: message"`` if the call failed.
    traceback : str or None
    """

    def __init__(self, point, value=None, error=None, tb=None):
        self.point, self.value, self.error, self.traceback = point, value, error, tb

    @property
    def ok(self):
        return self.error is None

    def __repr__(self):
        what = f"error={self.error!r}" if self.error else f"value={self.value!r}"
        return f"PointResult(point={self.point!r}, {what})"


class SweepResult:
    """All outcomes of :func:`sweep`, in the order of the points.

    Attributes
    ----------
    results : list of PointResult
    """

    def __init__(self, results):
        self.results = list(results)

    @property
    def points(self):
        return [r.point for r in self.results]

    @property
    def values(self):
        """``func(point)`` per point (None for failed points)."""
        return [r.value for r in self.results]

    @property
    def errors(self):
        """dict point index -> error string of the failed points."""
        return {i: r.error for i, r in enumerate(self.results) if r.error is not None}

    @property
    def failed(self):
        return [r for r in self.results if not r.ok]

    @property
    def succeeded(self):
        return [r for r in self.results if r.ok]

    def __len__(self):
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def __getitem__(self, index):
        return self.results[index]

    def __repr__(self):
        return f"SweepResult({len(self.results)} points, {len(self.failed)} failed)"


class _Guarded:
    """``func`` wrapped so that an exception comes back as data, with its traceback."""

    def __init__(self, func):
        self.func = func

    def __call__(self, point):
        try:
            return True, self.func(point), None
        except Exception as exc:        # recorded per point; the sweep goes on
            return False, f"{type(exc).__name__}: {exc}", traceback.format_exc()


def make_executor(kind="process", *, workers=None):
    """An executor by name: ``"process"``, ``"serial"``, ``"dask"`` or ``"mpi"``.

    ``"dask"`` starts a ``distributed.LocalCluster`` with ``workers`` single-threaded worker
    processes and returns its ``Client`` (close it when done); ``"mpi"`` returns an
    ``mpi4py.futures.MPIPoolExecutor`` (run under ``mpiexec``, see the mpi4py docs).
    """
    if kind == "process":
        return concurrent.futures.ProcessPoolExecutor(max_workers=workers)
    if kind == "serial":
        return SerialExecutor()
    if kind == "dask":
        try:
            from distributed import Client
        except ImportError:
            raise KwantLLGError("The Dask executor needs 'distributed': pip install "
                                "'dask[distributed]'.") from None
        # the client owns its LocalCluster: client.close() shuts the workers down
        return Client(n_workers=workers or 2, threads_per_worker=1, processes=True,
                      dashboard_address=None)
    if kind == "mpi":
        try:
            from mpi4py.futures import MPIPoolExecutor
        except ImportError:
            raise KwantLLGError("The MPI executor needs mpi4py: pip install mpi4py (and an "
                                "MPI library).") from None
        return MPIPoolExecutor(max_workers=workers)
    raise KwantLLGError(f"Unknown executor {kind!r}; use 'process', 'serial', 'dask' or 'mpi'.")


def _as_executor(executor):
    if isinstance(executor, concurrent.futures.Executor):
        return executor
    get = getattr(executor, "get_executor", None)            # distributed.Client
    if callable(get):
        return get()
    raise KwantLLGError(f"executor must be a concurrent.futures.Executor or a Dask Client, "
                        f"got {type(executor).__name__}.")


def sweep(func, points, *, executor=None, workers=None, progress=None):
    """Evaluate ``func(point)`` for all points on an executor, keeping failed points.

    Parameters
    ----------
    func : callable
        Picklable for process-based executors.
    points : iterable
    executor : concurrent.futures.Executor or distributed.Client, optional
        Default: a new ``ProcessPoolExecutor(workers)``, shut down at the end. A given
        executor is left open.
    workers : int, optional
        Workers of the default process pool.
    progress : callable ``progress(done, total)``, optional
        Called as points complete.

    Returns
    -------
    SweepResult
        One :class:`PointResult` per point, in input order; an exception raised by
        ``func`` or by the executor (e.g. a crashed worker) is stored as the point's error.
    """
    points = list(points)
    if not callable(func):
        raise KwantLLGError(f"func must be callable, got {type(func).__name__}.")
    own = executor is None
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers) if own \
        else _as_executor(executor)
    guarded = _Guarded(func)
    results = [None] * len(points)
    try:
        futures = {pool.submit(guarded, p): i for i, p in enumerate(points)}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            i = futures[future]
            try:
                ok, value, tb = future.result()
            except Exception as exc:        # the executor failed this point
                ok, value, tb = False, f"{type(exc).__name__}: {exc}", None
            results[i] = PointResult(points[i], value if ok else None,
                                     None if ok else value, tb)
            if progress is not None:
                progress(done, len(points))
    finally:
        if own:
            pool.shutdown()
    return SweepResult(results)
