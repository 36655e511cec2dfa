"""Reading and writing run outputs: the only kwant_llg module that touches the disk.

A run writes into one directory:

* data files with named arrays (:func:`save_arrays` / :func:`load_arrays`; NumPy ``.npz``
  now, other formats such as HDF5 trajectories can be added by file suffix),
* figures (:func:`save_figure`),
* ``info.json`` (:func:`run_record`): the arguments, package versions, time stamps, the
  files written and a ``success`` flag. It is written when the run starts (``success:
  false``) and rewritten in a ``finally`` block when it ends, so a crashed run is recognisable.

Example
-------
>>> with run_record("output/demo", arguments={"n": 3}) as info:     # doctest: +SKIP
...     info["files"].append(save_arrays("output/demo/data.npz", {"x": x}).name)
"""

import contextlib
import datetime
import importlib.metadata
import json
import pathlib
import platform
import sys
import time

import numpy as np

from ._common import KwantLLGError

__all__ = ["save_arrays", "load_arrays", "save_figure", "write_info", "read_info",
           "run_record", "ensure_dir", "INFO_NAME"]

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


def _versions():
    versions = {"python": platform.python_version()}
    for dist in ("kwant_llg", "kwant", "numpy", "scipy", "matplotlib"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


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
            "versions": _versions(), "argv": list(sys.argv), "started": _now(),
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
