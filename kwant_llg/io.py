"""Reading and writing run outputs: the only kwant_llg module that touches the disk.

A run writes into one directory:

* data files with named arrays (:func:`save_arrays` / :func:`load_arrays`, NumPy ``.npz``),
* figures (:func:`save_figure`),
* ``info.json`` (:func:`run_record`): the arguments, package versions, time stamps, the
  files written and a ``success`` flag. It is written when the run starts (``success:
  false``) and rewritten in a ``finally`` block when it ends, so a crashed run is recognisable.
* HDF5 run files of time evolutions (:class:`RunFile`, :func:`read_run`; needs ``h5py``):
  parameters, versions, records, snapshots and a checkpoint, committed atomically so that a
  run killed at any moment can be resumed (see :mod:`kwant_llg.simulation`).
* OVF 2.0 snapshots (:func:`write_ovf`, :func:`export_ovf`, :func:`read_ovf`; Spirit reads them).

Example
-------
>>> with run_record("output/demo", arguments={"n": 3}) as info:     # doctest: +SKIP
...     info["files"].append(save_arrays("output/demo/data.npz", {"x": x}).name)
"""

import contextlib
import datetime
import importlib.metadata
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

from ._common import KwantLLGError

__all__ = ["save_arrays", "load_arrays", "save_figure", "write_info", "read_info",
           "run_record", "ensure_dir", "INFO_NAME", "RunFile", "RunData", "read_run",
           "write_ovf", "read_ovf", "export_ovf", "versions", "committed_records"]

#: File name of the run description written by :func:`run_record`.
INFO_NAME = "info.json"


def ensure_dir(path):
    """Create directory ``path`` (and parents) if needed; return it as a ``pathlib.Path``."""
    path = pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _suffix(path, allowed, what):
    suffix = pathlib.Path(path).suffix.lower()
    if suffix not in allowed:
        raise KwantLLGError(f"Unsupported {what} file type {suffix!r} for {str(path)!r}; "
                            f"use one of {', '.join(allowed)}.")
    return suffix


def save_arrays(path, arrays, *, compress=True):
    """Save a dict of arrays (str keys) to ``path`` (``.npz``); return the path.

    Parameters
    ----------
    path : str or path-like
        Target file; the parent directory is created.
    arrays : dict str -> array_like
        Object arrays are refused (they would need pickling to load back).
    compress : bool
        Use ``np.savez_compressed`` (default) instead of ``np.savez``.
    """
    path = pathlib.Path(path)
    _suffix(path, (".npz",), "data")
    data = {}
    for key, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise KwantLLGError(f"Array {key!r} has dtype object; store numbers or strings only.")
        data[str(key)] = arr
    ensure_dir(path.parent)
    (np.savez_compressed if compress else np.savez)(path, **data)
    return path


def load_arrays(path):
    """Load the arrays written by :func:`save_arrays` into a dict (fully read, file closed)."""
    path = pathlib.Path(path)
    _suffix(path, (".npz",), "data")
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def save_figure(fig, path, **kwargs):
    """Save a matplotlib figure (format from the suffix, e.g. ``.png``, ``.pdf``); return the path.

    ``kwargs`` go to ``fig.savefig`` (default ``dpi=150``, ``bbox_inches="tight"``).
    """
    path = pathlib.Path(path)
    ensure_dir(path.parent)
    kwargs.setdefault("dpi", 150)
    kwargs.setdefault("bbox_inches", "tight")
    fig.savefig(path, **kwargs)
    return path


def _jsonable(value):
    """Best-effort conversion of ``value`` to JSON types (unknown objects become ``str``)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, pathlib.PurePath):
        return str(value)
    return repr(value)


def write_info(directory, info, *, name=INFO_NAME):
    """Write ``info`` (made JSON-safe) to ``directory/name``; return the path."""
    path = ensure_dir(directory) / name
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(_jsonable(info), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_info(directory, *, name=INFO_NAME):
    """Read ``directory/name`` written by :func:`write_info`."""
    return json.loads((pathlib.Path(directory) / name).read_text(encoding="utf-8"))


def _git_describe():
    """``git describe --always --dirty`` of the source tree of kwant_llg, or None."""
    src = pathlib.Path(__file__).resolve().parent.parent
    if not (src / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=src,
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def versions():
    """Versions of Python, kwant_llg (package and ``git describe``) and its main dependencies."""
    from . import __version__
    found = {"python": platform.python_version(), "kwant_llg": __version__,
             "git": _git_describe()}
    for dist in ("kwant", "numpy", "scipy", "matplotlib", "h5py"):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = None
    return found



def _now():
    return datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")


@contextlib.contextmanager
def run_record(directory, *, arguments, command=None):
    """Record a run in ``directory/info.json``; the ``success`` flag is written in ``finally``.

    Parameters
    ----------
    directory : str or path-like
        Output directory of the run (created).
    arguments : dict
        The run's arguments (e.g. ``vars(argparse_namespace)``).
    command : str, optional
        Name of the run (e.g. the CLI subcommand).

    Yields
    ------
    dict
        The record. Add to it freely (JSON-serialisable values; others are stored as their
        ``repr``); append written file names to ``info["files"]`` and results to
        ``info["results"]``. On exit ``success``, ``finished`` and ``wall_time_s`` are set and
        the file is rewritten; if the body raised, ``error`` holds the exception's repr and
        the exception propagates.
    """
    directory = ensure_dir(directory)
    from . import __version__   # late import: kwant_llg imports this module lazily
    info = {"command": command, "arguments": dict(arguments), "version": __version__,
            "versions": versions(), "argv": list(sys.argv), "started": _now(),
            "finished": None, "wall_time_s": None, "success": False, "files": [],
            "results": {}}
    write_info(directory, info)
    start = time.perf_counter()
    try:
        yield info
        info["success"] = True
    except BaseException as exc:
        info["error"] = repr(exc)
        raise
    finally:
        info["finished"] = _now()
        info["wall_time_s"] = round(time.perf_counter() - start, 3)
        write_info(directory, info)


# ------------------------------------------------------------------------ HDF5 run files
RUN_FORMAT = "kwant_llg-run-1"          #: root attribute ``format`` of run files


def _h5py():
    try:
        import h5py
    except ImportError:                       # pragma: no cover - h5py is a dependency
        raise KwantLLGError("Run files need h5py: pip install h5py.") from None
    return h5py


def _fsync(path, *, directory=False):
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:                           # e.g. directories on some file systems
        return
    try:
        os.fsync(fd)
    except OSError:                           # not supported for this file: nothing to do
        pass
    os.close(fd)


class RunFile:
    """The HDF5 file of one time evolution, written by :func:`kwant_llg.simulation.run`.

    Layout: root attributes ``format``, ``parameters`` and ``settings`` (JSON), ``versions``
    (JSON: Python, kwant_llg and ``git describe``, Kwant, NumPy, ...), ``created``,
    ``status`` (``"running"``, ``"finished"``, ``"stopped"``, ``"failed"``), ``end_reason``,
    ``error`` and the checkpoint counters; group ``records`` with one resizable dataset per
    observable (first axis: record index; ``records/time`` always present); group
    ``snapshots`` with ``time`` and ``m`` (snapshot, site, 3); dataset ``positions``
    (site, 3) if known; dataset ``checkpoint`` (``uint8``: the pickled dynamics state at
    time ``checkpoint_time``, after ``checkpoint_records`` records and
    ``checkpoint_snapshots`` snapshots).

    Every change goes through :meth:`commit`, which copies the file, changes the copy, syncs
    it and renames it over the original. A kill at any moment (SIGKILL included) therefore
    leaves either the old or the new file, never a half-written one; the cost is one file
    copy per commit.
    """

    def __init__(self, path):
        self.path = pathlib.Path(path)

    @classmethod
    def create(cls, path, *, parameters, settings, positions=None):
        """Create a new run file (replacing an existing one) and return it."""
        h5py = _h5py()
        path = pathlib.Path(path)
        ensure_dir(path.parent)
        tmp = path.with_name(path.name + ".tmp")
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = RUN_FORMAT
            f.attrs["parameters"] = json.dumps(_jsonable(parameters))
            f.attrs["settings"] = json.dumps(_jsonable(settings))
            f.attrs["versions"] = json.dumps(versions())
            f.attrs["created"] = _now()
            f.attrs["status"] = "running"
            f.attrs["end_reason"] = ""
            f.attrs["error"] = ""
            f.attrs["checkpoint_time"] = np.nan
            f.attrs["checkpoint_records"] = f.attrs["checkpoint_snapshots"] = 0
            f.create_group("records")
            snaps = f.create_group("snapshots")
            snaps.create_dataset("time", shape=(0,), maxshape=(None,), dtype=float,
                                 chunks=(256,))
            if positions is not None:
                f.create_dataset("positions", data=np.asarray(positions, dtype=float))
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent, directory=True)
        return cls(path)

    def commit(self, *, records=(), snapshots=(), checkpoint=None, status=None,
               end_reason=None, error=None, settings=None, truncate=False):
        """Append records and snapshots, replace the checkpoint and set the status, atomically.

        Parameters
        ----------
        records : sequence of dict name -> array_like
            New records (each with the same names and shapes as the earlier ones).
        snapshots : sequence of (time, m)
        checkpoint : (time, bytes), optional
            The pickled state after all records and snapshots of this commit.
        status, end_reason, error : str, optional
        settings : dict, optional
            New run settings (when a finished run is extended).
        truncate : bool
            First drop the records and snapshots written after the checkpoint (for resuming).
        """
        h5py = _h5py()
        if not self.path.exists():
            raise KwantLLGError(f"Run file {str(self.path)!r} does not exist.")
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.copyfile(self.path, tmp)
        try:
            self._update(h5py, tmp, records, snapshots, checkpoint, status, end_reason,
                         error, settings, truncate)
        except BaseException:
            tmp.unlink()
            raise
        _fsync(tmp)
        os.replace(tmp, self.path)
        _fsync(self.path.parent, directory=True)

    @staticmethod
    def _update(h5py, tmp, records, snapshots, checkpoint, status, end_reason, error,
                settings, truncate):
        with h5py.File(tmp, "r+") as f:
            if truncate:
                _truncate(f)
            if records:
                _append_records(f["records"], records)
            if snapshots:
                _append_snapshots(f["snapshots"], snapshots)
            if checkpoint is not None:
                t, state = checkpoint
                if "checkpoint" in f:
                    del f["checkpoint"]
                f.create_dataset("checkpoint", data=np.frombuffer(state, dtype=np.uint8))
                f.attrs["checkpoint_time"] = float(t)
                f.attrs["checkpoint_records"] = len(f["records/time"]) \
                    if "time" in f["records"] else 0
                f.attrs["checkpoint_snapshots"] = len(f["snapshots/time"])
            if settings is not None:
                f.attrs["settings"] = json.dumps(_jsonable(settings))
            for key, value in (("status", status), ("end_reason", end_reason),
                               ("error", error)):
                if value is not None:
                    f.attrs[key] = str(value)

    def read(self):
        """Read the whole file into a :class:`RunData`."""
        return read_run(self.path)


def _truncate(f):
    nrec = int(f.attrs["checkpoint_records"])
    nsnap = int(f.attrs["checkpoint_snapshots"])
    for ds in f["records"].values():
        ds.resize(min(nrec, ds.shape[0]), axis=0)
    for ds in f["snapshots"].values():
        ds.resize(min(nsnap, ds.shape[0]), axis=0)


def _append(group, name, rows):
    rows = np.asarray(rows)
    if name not in group:
        chunk = max(1, min(1024, (1 << 16) // max(1, rows[0].nbytes)))
        group.create_dataset(name, shape=(0,) + rows.shape[1:], maxshape=(None,) + rows.shape[1:],
                             dtype=rows.dtype, chunks=(chunk,) + rows.shape[1:])
    ds = group[name]
    if ds.shape[1:] != rows.shape[1:]:
        raise KwantLLGError(f"Record {name!r} changed shape from {ds.shape[1:]} to "
                            f"{rows.shape[1:]}; an observable must keep its shape.")
    n = ds.shape[0]
    ds.resize(n + len(rows), axis=0)
    ds[n:] = rows


def _append_records(group, records):
    names = list(records[0])
    for rec in records:
        if list(rec) != names:
            raise KwantLLGError(f"Records must all have the same names; got {list(rec)} "
                                f"after {names}.")
    existing = set(group)
    if existing and existing != set(names):
        raise KwantLLGError(f"Records have names {sorted(names)}, the file has "
                            f"{sorted(existing)}.")
    for name in names:
        if "/" in name:
            raise KwantLLGError(f"Observable names must not contain '/', got {name!r}.")
        _append(group, name, [np.asarray(rec[name]) for rec in records])


def _append_snapshots(group, snapshots):
    times = np.array([t for t, _ in snapshots], dtype=float)
    _append(group, "m", np.array([m for _, m in snapshots], dtype=float))
    _append(group, "time", times)


def committed_records(path):
    """Number of records committed with a checkpoint to the run file ``path`` (0 if it does
    not exist yet); cheap enough to poll for a progress bar."""
    try:
        with _h5py().File(path, "r") as f:
            return int(f.attrs.get("checkpoint_records", 0))
    except (OSError, KeyError):
        return 0


class RunData:
    """Contents of a run file (see :class:`RunFile`), fully read into memory.

    Attributes
    ----------
    path : pathlib.Path
    parameters, settings, versions : dict
    status, end_reason, error, created : str
    records : dict name -> ndarray
        One row per record; ``records["time"]`` are the record times.
    snapshot_times : ndarray (num_snapshots,)
    snapshots : ndarray (num_snapshots, num_sites, 3)
    positions : ndarray (num_sites, 3) or None
    checkpoint_time : float
        NaN if there is no checkpoint yet.
    checkpoint_records, checkpoint_snapshots : int
    checkpoint : bytes or None
        The pickled state (unpickle only files you trust).
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)
        self.times = self.records.get("time", np.zeros(0))     #: the record times

    def __repr__(self):
        return (f"RunData({str(self.path)!r}, status={self.status!r}, "
                f"records={len(self.times)}, snapshots={len(self.snapshot_times)})")


def read_run(path):
    """Read a run file written by :class:`RunFile` into a :class:`RunData`."""
    h5py = _h5py()
    path = pathlib.Path(path)
    if not path.exists():
        raise KwantLLGError(f"Run file {str(path)!r} does not exist.")
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != RUN_FORMAT:
            raise KwantLLGError(f"{str(path)!r} is not a kwant_llg run file (format "
                                f"{f.attrs.get('format')!r}, expected {RUN_FORMAT!r}).")
        attrs = {k: f.attrs[k] for k in f.attrs}
        snaps = f["snapshots"]
        data = RunData(
            path=path,
            parameters=json.loads(attrs["parameters"]),
            settings=json.loads(attrs["settings"]),
            versions=json.loads(attrs["versions"]),
            created=str(attrs["created"]), status=str(attrs["status"]),
            end_reason=str(attrs["end_reason"]), error=str(attrs["error"]),
            records={k: ds[()] for k, ds in f["records"].items()},
            snapshot_times=snaps["time"][()],
            snapshots=snaps["m"][()] if "m" in snaps else np.zeros((0, 0, 3)),
            positions=f["positions"][()] if "positions" in f else None,
            checkpoint_time=float(attrs["checkpoint_time"]),
            checkpoint_records=int(attrs["checkpoint_records"]),
            checkpoint_snapshots=int(attrs["checkpoint_snapshots"]),
            checkpoint=f["checkpoint"][()].tobytes() if "checkpoint" in f else None)
    return data


# ------------------------------------------------------------------------------- OVF 2.0
_OVF_CHECK = 123456789012345.0        # OVF 2.0 check value of "Data Binary 8"


def _grid(positions, step):
    """Integer grid indices (num_sites, 3) and grid shape of site positions."""
    pos = np.zeros((len(positions), 3))
    p = np.asarray(positions, dtype=float)
    pos[:, :p.shape[1]] = p
    step = np.asarray(step, dtype=float)
    rel = (pos - pos.min(axis=0)) / step
    idx = np.rint(rel).astype(int)
    if np.max(np.abs(rel - idx)) > 1e-6:
        raise KwantLLGError("The site positions do not lie on a rectangular grid with the "
                            f"step {tuple(step)}; pass the lattice spacing as step=.")
    shape = idx.max(axis=0) + 1
    flat = idx[:, 0] + shape[0] * (idx[:, 1] + shape[1] * idx[:, 2])
    if len(np.unique(flat)) != len(flat):
        raise KwantLLGError("Several sites fall on the same grid cell; OVF needs one "
                            "site per cell.")
    return flat, tuple(int(n) for n in shape)


def write_ovf(path, m, *, positions, step=(1.0, 1.0, 1.0), mode="text", title="m",
              description="", meshunit="m"):
    """Write a vector field on a rectangular grid as an OVF 2.0 file; return the path.

    Parameters
    ----------
    path : str or path-like
    m : array_like (num_sites, 3)
        The vectors (e.g. a magnetisation snapshot) in the order of ``positions``.
    positions : array_like (num_sites, 2 or 3)
        Site positions (e.g. ``[s.pos for s in fsyst.sites]``); they must lie on a grid
        with spacing ``step``. Cells without a site get the zero vector. OVF orders the data
        x fastest, then y, then z.
    step : 3 floats
        Cell size (also written as ``x/y/zstepsize``, in ``meshunit``).
    mode : {"text", "binary8"}
        Data as text or as little-endian 8-byte floats (with the OVF check value).
    title, description, meshunit : str
        Header fields (``description`` may span several lines).
    """
    path = pathlib.Path(path)
    _suffix(path, (".ovf",), "OVF")
    if mode not in ("text", "binary8"):
        raise KwantLLGError(f"OVF mode must be 'text' or 'binary8', got {mode!r}.")
    m = np.asarray(m, dtype=float)
    if m.ndim != 2 or m.shape[1] != 3 or len(m) != len(positions):
        raise KwantLLGError(f"m must have shape (num_sites, 3) = ({len(positions)}, 3), "
                            f"got {m.shape}.")
    flat, shape = _grid(positions, step)
    data = np.zeros((int(np.prod(shape)), 3))
    data[flat] = m
    dx, dy, dz = (float(v) for v in step)
    head = ["# OOMMF OVF 2.0", "# Segment count: 1", "# Begin: Segment", "# Begin: Header",
            f"# Title: {title}"] + [f"# Desc: {x}" for x in str(description).splitlines()]
    head += [f"# meshunit: {meshunit}", "# meshtype: rectangular"]   # Spirit needs this order
    for key, values in (("base", [d / 2 for d in (dx, dy, dz)]), ("stepsize", (dx, dy, dz)),
                        ("nodes", shape), ("min", (0, 0, 0)),
                        ("max", [n * d for n, d in zip(shape, (dx, dy, dz))])):
        head += [f"# {axis}{key}: {v!r}" for axis, v in zip("xyz", values)]
    head += ["# valuedim: 3", "# valuelabels: m_x m_y m_z", "# valueunits: 1 1 1",
             "# End: Header"]
    ensure_dir(path.parent)
    kind = "Text" if mode == "text" else "Binary 8"
    with open(path, "wb") as f:
        f.write(("\n".join(head) + f"\n# Begin: Data {kind}\n").encode())
        if mode == "text":
            f.write("".join("%.17g %.17g %.17g\n" % tuple(v) for v in data).encode())
        else:
            f.write(np.array([_OVF_CHECK], dtype="<f8").tobytes())
            f.write(data.astype("<f8").tobytes())
            f.write(b"\n")
        f.write(f"# End: Data {kind}\n# End: Segment\n".encode())
    return path


def export_ovf(run_path, directory, *, mode="binary8", step=(1.0, 1.0, 1.0)):
    """Write every snapshot of a run file as ``directory/m_<index>.ovf``; return the paths.

    Needs the site positions in the run file; the snapshot time goes into the description.
    """
    data = read_run(run_path)
    if data.positions is None:
        raise KwantLLGError(f"{str(run_path)!r} has no site positions (pass positions= to "
                            "simulation.run) for OVF export.")
    name = pathlib.Path(run_path).name
    return [write_ovf(pathlib.Path(directory) / f"m_{k:06d}.ovf", m, positions=data.positions,
                      step=step, mode=mode, title=f"m at t = {t!r}",
                      description=f"time = {t!r} hbar/J_ex\nrun file: {name}")
            for k, (t, m) in enumerate(zip(data.snapshot_times, data.snapshots))]


def read_ovf(path):
    """Read a one-segment OVF 2.0 file with ``valuedim 3`` (text or binary 4/8).

    Returns
    -------
    data : ndarray (znodes, ynodes, xnodes, 3)
    header : dict str -> str
        Lower-case keys; repeated keys (``desc``) joined by newlines.
    """
    raw = pathlib.Path(path).read_bytes()
    header, pos = {}, 0
    while True:
        end = raw.index(b"\n", pos)
        line = raw[pos:end].decode().strip()
        pos = end + 1
        if line.lower().startswith("# begin: data"):
            kind = line.split(":", 1)[1].strip()[5:].strip().lower()
            break
        if line.startswith("#") and ":" in line:
            key, value = (x.strip() for x in line[1:].split(":", 1))
            header[key.lower()] = header[key.lower()] + "\n" + value \
                if key.lower() in header else value          # repeated "Desc" lines
    shape = tuple(int(header[k]) for k in ("znodes", "ynodes", "xnodes"))
    dim = int(header.get("valuedim", 3))
    num = int(np.prod(shape)) * dim
    if kind == "text":
        stop = raw.index(b"# End: Data", pos)
        values = np.array(raw[pos:stop].split(), dtype=float)
    elif kind in ("binary 8", "binary 4"):
        size = 8 if kind == "binary 8" else 4
        dtype = "<f8" if size == 8 else "<f4"
        check = np.frombuffer(raw, dtype=dtype, count=1, offset=pos)[0]
        if check != (_OVF_CHECK if size == 8 else 1234567.0):
            raise KwantLLGError(f"Bad OVF binary check value {check!r} in {str(path)!r}.")
        values = np.frombuffer(raw, dtype=dtype, count=num, offset=pos + size).astype(float)
    else:
        raise KwantLLGError(f"Unsupported OVF data kind {kind!r} in {str(path)!r}.")
    if values.size != num:
        raise KwantLLGError(f"OVF file {str(path)!r} has {values.size} values, expected {num}.")
    return values.reshape(shape + (dim,)), header
