r"""Long time evolutions written to an HDF5 run file, resumable after a kill.

:func:`run` drives any *dynamics* object with the protocol of
:class:`kwant_llg.dynamics.LLG` and :class:`kwant_llg.coupled.PumpedLLG`:

* ``dynamics.time`` (float) and ``dynamics.m`` (num_sites, 3),
* ``dynamics.evolve(t)`` moves the state forward to time ``t``,
* it pickles exactly: a state restored from a pickle continues bit for bit,
* optionally ``dynamics.observables()`` → dict of numbers or fixed-shape arrays.

Records are taken on the grid t_k = t₀ + k Δt (Δt = ``record_every``; the last one at
``t_end``); every ``snapshot_every``-th record also stores m; every
``checkpoint_every``-th record the buffered records and snapshots, the pickled state
(dynamics, observables and stop function) and the status are committed to the file in one
atomic step (:class:`kwant_llg.io.RunFile`). A run killed at any moment, SIGKILL included,
is continued by :func:`resume` from its last checkpoint: the records after it are dropped
and computed again, and since the evolution is deterministic and the pickled state exact,
the result is the same trajectory as that of an uninterrupted run.

A run ends with ``status``

* ``"finished"``: ``t_end`` reached;
* ``"stopped"``: a stop condition fired, either ``stop(record)`` returned a reason or the
  dynamics raised one of ``stop_on`` (by default :class:`kwant_llg.coupled.SkyrmionLost`,
  when that module is present). The reason is stored as ``end_reason`` (no traceback) and
  the records up to the last good one are kept;
* ``"failed"`` / ``"interrupted"``: another exception or Ctrl-C; the error is stored and
  the exception propagates; :func:`resume` continues from the last checkpoint.
"""

import math
import pickle
import time as _time

import numpy as np

from . import io
from ._common import KwantLLGError

__all__ = ["run", "resume", "RunResult", "llg_observables"]


def llg_observables(dynamics):
    """Observables of a spin-lattice dynamics with a ``lattice`` (e.g. :class:`~kwant_llg.LLG`).

    Returns ``energy``, ``Q`` (topological charge), ``center_paper`` (the paper's skyrmion
    centre), ``center_charge`` (charge-weighted centre), ``radius`` (``nan`` where there is
    no skyrmion core) and the mean magnetisation ``m_mean``. A module-level function, so it
    can be pickled into a checkpoint.
    """
    from . import topology
    lat, m = dynamics.lattice, dynamics.m

    def guarded(fun, size, **kwargs):
        try:
            return np.asarray(fun(lat, m, **kwargs), dtype=float).ravel()[:size]
        except KwantLLGError:          # no core / no charge: no centre or radius
            return np.full(size, np.nan)

    return {"energy": float(dynamics.hamiltonian.energy(lat, m)),
            "Q": float(topology.topological_charge(lat, m)),
            "center_paper": guarded(topology.skyrmion_center, 2),
            "center_charge": guarded(topology.skyrmion_center, 2, method="charge"),
            "radius": float(guarded(topology.skyrmion_radius, 1)[0]), "m_mean": m.mean(axis=0)}


def _default_stop_on():
    try:
        from .coupled import SkyrmionLost
    except ImportError:
        return ()
    return (SkyrmionLost,)


def _positions(dynamics):
    lat = getattr(dynamics, "lattice", None)
    pos = getattr(lat, "positions", getattr(dynamics, "positions", None))
    return None if pos is None else np.asarray(pos, dtype=float)


class RunResult:
    """Outcome of :func:`run` / :func:`resume`.

    Attributes
    ----------
    path : pathlib.Path
        The run file (read it with :attr:`data` or :func:`kwant_llg.io.read_run`).
    status : {"finished", "stopped"}
    end_reason : str
        Why a stopped run stopped (empty when finished).
    time : float
        Time of the last record.
    num_records : int
    dynamics : object
        The dynamics object in its final state.
    wall_time_s : float
        Wall time of this call (not of earlier, interrupted parts).
    """

    def __init__(self, path, status, end_reason, time, num_records, dynamics, wall_time_s):
        self.path, self.status, self.end_reason = path, status, end_reason
        self.time, self.num_records, self.dynamics = time, num_records, dynamics
        self.wall_time_s = wall_time_s

    @property
    def data(self):
        """The run file's contents (:class:`kwant_llg.io.RunData`)."""
        return io.read_run(self.path)

    def __repr__(self):
        return (f"RunResult({str(self.path)!r}, status={self.status!r}, time={self.time}, "
                f"records={self.num_records})")


class _Schedule:
    """Record times t₀ + k Δt, k = 0 … n, the last one clipped to t_end."""

    def __init__(self, t0, t_end, dt):
        self.t0, self.t_end, self.dt = float(t0), float(t_end), float(dt)
        self.last = max(0, math.ceil((self.t_end - self.t0) / self.dt - 1e-9))

    def __call__(self, k):
        return self.t_end if k >= self.last else self.t0 + k * self.dt


def _check_run_args(dynamics, t_end, record_every, snapshot_every, checkpoint_every):
    for name in ("time", "m", "evolve"):
        if not hasattr(dynamics, name):
            raise KwantLLGError(f"The dynamics object must have .time, .m and .evolve(t) "
                                f"(like kwant_llg.LLG); {type(dynamics).__name__} has no "
                                f"{name!r}.")
    if not (np.isfinite(record_every) and record_every > 0):
        raise KwantLLGError(f"record_every must be a positive time, got {record_every!r}.")
    if not (np.isfinite(t_end) and t_end >= dynamics.time):
        raise KwantLLGError(f"t_end = {t_end!r} must be finite and not before the state's "
                            f"time {dynamics.time}.")
    for name, value in (("snapshot_every", snapshot_every),
                        ("checkpoint_every", checkpoint_every)):
        if value is not None and (int(value) != value or value < 0):
            raise KwantLLGError(f"{name} counts records: a non-negative integer or None, "
                                f"got {value!r}.")


def _pickle_state(state):
    try:
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise KwantLLGError(
            "The run state (dynamics, observables, stop) must be picklable for checkpoints: "
            "use module-level functions instead of lambdas or closures "
            f"({type(exc).__name__}: {exc}).") from exc


def run(dynamics, t_end, *, path, record_every, snapshot_every=None, checkpoint_every=1,
        observables=None, stop=None, stop_on=None, parameters=None, positions=None,
        progress=None, diagnose=True):
    """Evolve ``dynamics`` to ``t_end``, writing records, snapshots and checkpoints to ``path``.

    Parameters
    ----------
    dynamics : object
        ``.time``, ``.m``, ``.evolve(t)``, exactly picklable (see the module docstring).
    t_end : float
    path : str or path-like
        The HDF5 run file (``.h5``; replaced if it exists).
    record_every : float
        Time between records; the first record is the initial state.
    snapshot_every : int, optional
        Store m with every n-th record (None or 0: never).
    checkpoint_every : int
        Commit to the file every n-th record (default 1: every record) and at the end; a
        resumed run recomputes at most n − 1 records. Each commit copies the file.
    observables : callable ``observables(dynamics) -> dict``, optional
        Default: ``dynamics.observables()`` if the object has that method, else none (only
        the time is recorded). Picklable (a module-level function such as
        :func:`llg_observables`), since it is stored in the checkpoint.
    stop : callable ``stop(record) -> str or None``, optional
        Stop condition on each record (a dict incl. ``"time"``); a returned string ends the
        run with status ``"stopped"`` and that reason. Picklable.
    stop_on : tuple of exception types, optional
        Exceptions of ``dynamics.evolve`` that end the run as ``"stopped"`` (default:
        :class:`kwant_llg.coupled.SkyrmionLost` where available).
    parameters : dict, optional
        Run parameters stored in the file (JSON).
    positions : array_like (num_sites, 2 or 3), optional
        Site positions stored for OVF export (default: ``dynamics.lattice.positions``).
    progress : callable ``progress(done, total)``, optional
        Called after each record with the number of records done and in total.
    diagnose : bool
        If the dynamics has an ``adiabaticity()`` method (:class:`~kwant_llg.coupled.
        PumpedLLG`), compute the adiabaticity measures once for the initial texture, store
        their ``as_dict()`` under ``settings["adiabaticity"]`` of the run file and issue one
        :class:`~kwant_llg.diagnostics.AdiabaticityWarning` if they are not small and the
        electrons of the dynamics are the adiabatic expansion (no warning where its class
        sets ``adiabatic_electrons = False``: Floquet and tkwant electrons, for which the
        diagnostic says how far the seed's model would be off).

    Returns
    -------
    RunResult
    """
    _check_run_args(dynamics, t_end, record_every, snapshot_every, checkpoint_every)
    settings = {"t0": float(dynamics.time), "t_end": float(t_end),
                "record_every": float(record_every),
                "snapshot_every": int(snapshot_every or 0),
                "checkpoint_every": max(1, int(checkpoint_every or 1)),
                "dynamics": type(dynamics).__name__}
    diag = (dynamics.adiabaticity()
            if diagnose and callable(getattr(dynamics, "adiabaticity", None)) else None)
    if diag is not None:
        settings["adiabaticity"] = diag.as_dict()
        if getattr(dynamics, "adiabatic_electrons", True):
            diag.warn_once(stacklevel=3)
    if positions is None:
        positions = _positions(dynamics)
    runfile = io.RunFile.create(path, parameters=parameters or {}, settings=settings,
                                positions=positions)
    state = {"dynamics": dynamics, "observables": observables, "stop": stop}
    return _loop(runfile, state, settings, 0, stop_on, progress)


def resume(path, *, t_end=None, stop_on=None, progress=None):
    """Continue the run in ``path`` from its last checkpoint.

    A finished or stopped run is returned as it is, unless a later ``t_end`` is given for a
    finished run, which then continues on the same record grid. The dynamics, observables and
    stop function come from the checkpoint (only resume files you trust: it is a pickle).
    """
    runfile = io.RunFile(path)
    data = io.read_run(path)
    if data.checkpoint is None:
        raise KwantLLGError(f"{str(path)!r} has no checkpoint (the run was killed before its "
                            "first record); start it again with run().")
    settings = dict(data.settings)
    state = pickle.loads(data.checkpoint)
    done = data.status in ("finished", "stopped")
    if data.status == "stopped" or (done and (t_end is None or t_end <= settings["t_end"])):
        last = float(data.times[-1]) if data.times.size else settings["t0"]
        return RunResult(runfile.path, data.status, data.end_reason, last,
                         len(data.times), state["dynamics"], 0.0)
    if t_end is not None:
        if t_end < data.checkpoint_time:
            raise KwantLLGError(f"t_end = {t_end} is before the checkpoint time "
                                f"{data.checkpoint_time}.")
        old = _Schedule(settings["t0"], settings["t_end"], settings["record_every"])
        off_grid = abs(old(old.last) - (old.t0 + old.last * old.dt)) > 1e-9 * old.dt
        if t_end > settings["t_end"] and done and off_grid:
            raise KwantLLGError(
                f"The run ended at t_end = {settings['t_end']}, off its record grid (every "
                f"{settings['record_every']} from {settings['t0']}), so it cannot be "
                "extended on that grid; start a new run.")
        settings["t_end"] = float(t_end)
    runfile.commit(truncate=True, status="running", error="",
                   settings=settings if t_end is not None else None)
    return _loop(runfile, state, settings, data.checkpoint_records, stop_on, progress)


def _observe(state):
    dyn = state["dynamics"]
    obs = state["observables"]
    if obs is None:
        values = dyn.observables() if callable(getattr(dyn, "observables", None)) else {}
    else:
        values = obs(dyn)
    if not isinstance(values, dict):
        raise KwantLLGError(f"observables must return a dict, got {type(values).__name__}.")
    record = {"time": float(dyn.time)}
    record.update((str(k), np.asarray(v)) for k, v in values.items() if k != "time")
    return record


def _loop(runfile, state, settings, k_start, stop_on, progress):
    start = _time.perf_counter()
    stop_on = _default_stop_on() if stop_on is None else tuple(stop_on)
    sched = _Schedule(settings["t0"], settings["t_end"], settings["record_every"])
    every_snap, every_ckpt = settings["snapshot_every"], settings["checkpoint_every"]
    dyn = state["dynamics"]
    records, snapshots = [], []
    status, reason, num, final = "finished", "", k_start, float(dyn.time)
    try:
        for k in range(k_start, sched.last + 1):
            t = sched(k)
            try:
                if t > dyn.time:
                    dyn.evolve(t)
                record = _observe(state)
            except stop_on as exc:
                status, reason = "stopped", f"{type(exc).__name__} before t = {t:g}: {exc}"
                break
            records.append(record)
            num, final = k + 1, record["time"]
            if every_snap and k % every_snap == 0:
                snapshots.append((record["time"], np.array(dyn.m, dtype=float)))
            why = state["stop"](record) if state["stop"] is not None else None
            if why:
                status, reason = "stopped", f"{why} (t = {record['time']:g})"
                break
            if k == sched.last or k % every_ckpt == 0:
                runfile.commit(records=records, snapshots=snapshots,
                               checkpoint=(t, _pickle_state(state)),
                               status="finished" if k == sched.last else "running")
                records, snapshots = [], []
            if progress is not None:
                progress(k + 1, sched.last + 1)
        if status == "stopped":
            runfile.commit(records=records, snapshots=snapshots, status=status,
                           end_reason=reason)
            if progress is not None:
                progress(sched.last + 1, sched.last + 1)
    except BaseException as exc:
        runfile.commit(records=records, snapshots=snapshots,
                       status="interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
                       error=f"{type(exc).__name__}: {exc}")
        raise
    return RunResult(runfile.path, status, reason, final, num, dyn,
                     _time.perf_counter() - start)
