"""Shared constants, validation helpers and error types.

Nothing in here touches Kwant systems beyond reading their public attributes.
"""

import inspect

import numpy as np

__all__ = ["limit_blas_threads", "SIGMA_0", "SIGMA", "KwantLLGError", "BandEdgeError", "ConvergenceError",
           "validate_magnetization", "site_field", "SiteField", "check_finite"]

#: Identity in spin space.
SIGMA_0 = np.eye(2, dtype=complex)
#: Pauli matrices, shape (3, 2, 2): ``SIGMA[a]`` is σ_x, σ_y, σ_z for a = 0, 1, 2.
SIGMA = np.array([[[0, 1], [1, 0]],
                  [[0, -1j], [1j, 0]],
                  [[1, 0], [0, -1]]], dtype=complex)


class KwantLLGError(ValueError):
    """Bad input detected by kwant_llg (a ValueError, so it can be caught as one)."""


class BandEdgeError(KwantLLGError):
    """The energy coincides with a band edge of a lead (a mode with zero velocity)."""


class ConvergenceError(RuntimeError):
    """A numerical procedure did not reach the requested accuracy."""


def check_finite(array, what):
    """Raise if ``array`` holds NaN or infinity (never return NaNs silently)."""
    if not np.all(np.isfinite(array)):
        raise FloatingPointError(
            f"{what} contains NaN or infinite values; this usually means an input was "
            "NaN or the system is singular at this energy (try shifting the energy slightly).")
    return array


def validate_magnetization(m, num_sites, *, unit=True, atol=1e-8, name="m"):
    """Return ``m`` as a float array of shape (num_sites, 3), or raise a clear error.

    Parameters
    ----------
    m : array_like
        Magnetisation directions, one row per site of the scattering region, in the order
        of ``fsyst.sites``.
    num_sites : int
        Expected number of rows.
    unit : bool
        If True (default), require ``|m_i| = 1`` to within ``atol``.
    """
    try:
        arr = np.asarray(m, dtype=float)
    except (TypeError, ValueError) as exc:
        raise KwantLLGError(
            f"The magnetisation '{name}' must be an array of shape ({num_sites}, 3) "
            "(one unit vector per site, ordered like fsyst.sites) or a callable site -> 3-vector."
        ) from exc
    if arr.shape != (num_sites, 3):
        raise KwantLLGError(
            f"The magnetisation '{name}' has shape {arr.shape}, expected ({num_sites}, 3): "
            "one row per site of the scattering region, ordered like fsyst.sites.")
    bad = ~np.all(np.isfinite(arr), axis=1)
    if bad.any():
        raise KwantLLGError(
            f"The magnetisation '{name}' contains NaN or infinite values at "
            f"{bad.sum()} site(s) (first index {np.flatnonzero(bad)[0]}).")
    if unit:
        norms = np.linalg.norm(arr, axis=1)
        off = np.abs(norms - 1) > atol
        if off.any():
            i = np.flatnonzero(off)[0]
            raise KwantLLGError(
                f"The magnetisation '{name}' must have unit length at every site; site {i} has "
                f"|m| = {norms[i]:.6g} ({off.sum()} site(s) off). Normalise it, e.g. "
                "m / np.linalg.norm(m, axis=1, keepdims=True).")
    return arr


class SiteField:
    """A per-site vector field usable inside Kwant value functions.

    ``field(site)`` returns the row of ``values`` that belongs to ``site``. This is the
    object that kwant_llg passes to the user's value functions under the magnetisation's
    parameter name, so that an onsite function reads ``m(site)``.

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
        The finalized system whose ``sites`` define the row order.
    values : array_like, shape (len(fsyst.sites), 3)
    """

    def __init__(self, fsyst, values):
        self.values = np.asarray(values, dtype=float)
        self._index = _site_index(fsyst)

    def __call__(self, site):
        try:
            return self.values[self._index[site]]
        except KeyError:
            raise KeyError(
                f"Site {site} is not a site of the scattering region; magnetisation fields "
                "are defined on fsyst.sites only (lead value functions must not use them)."
            ) from None

    def __repr__(self):
        return f"SiteField(<{len(self.values)} sites>)"


def _site_index(fsyst):
    index = getattr(fsyst, "id_by_site", None)
    if index is None:
        index = {site: i for i, site in enumerate(fsyst.sites)}
    return index


def site_field(fsyst, m):
    """Wrap an array (num_sites, 3) as a callable ``m(site)`` for Kwant value functions.

    Use this to pass a kwant_llg magnetisation array to Kwant's own solvers, e.g.
    ``kwant.wave_function(fsyst, E, params=dict(m=site_field(fsyst, m), ...))``.
    A callable is returned unchanged.
    """
    if callable(m):
        return m
    return SiteField(fsyst, validate_magnetization(m, len(fsyst.sites), unit=False))


def magnetization_array(fsyst, m, *, name="m", unit=True):
    """Return the magnetisation as an array (num_sites, 3) from an array or a callable."""
    if isinstance(m, SiteField):
        m = m.values
    elif callable(m):
        try:
            m = np.array([m(site) for site in fsyst.sites], dtype=float)
        except Exception as exc:
            raise KwantLLGError(
                f"Evaluating the magnetisation callable '{name}' on the sites of the system "
                f"failed: {exc!r}. It must map a site to a 3-vector.") from exc
    return validate_magnetization(m, len(fsyst.sites), unit=unit, name=name)


def required_params(fsyst):
    """Names of all parameters the value functions of ``fsyst`` (and its leads) require."""
    names = set()
    for syst in [fsyst, *getattr(fsyst, "leads", [])]:
        for values in (getattr(syst, "onsites", ()), getattr(syst, "hoppings", ())):
            for value in values:
                if isinstance(value, tuple):     # Kwant 1.5 stores (value, param_names)
                    value, pnames = value
                    if pnames:
                        names.update(pnames)
                    continue
                if callable(value):
                    names.update(list(inspect.signature(value).parameters)[2:])
    return names


def check_params(fsyst, params, *, provided=()):
    """Raise a Kwant-style TypeError listing the parameters that are missing."""
    params = {} if params is None else params
    missing = sorted(required_params(fsyst) - set(params) - set(provided))
    if missing:
        names = ", ".join(f'"{n}"' for n in missing)
        raise TypeError(f"System is missing required arguments: {names}. "
                        "Pass them by name in params=dict(...).")


_OPENBLAS_SYMBOLS = ("openblas_set_num_threads", "openblas_set_num_threads64_",
                     "scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_")


def limit_blas_threads(num_threads):
    """Limit the thread pools of all loaded BLAS libraries to ``num_threads``.

    NumPy and SciPy wheels each bundle their own OpenBLAS, and Kwant's MUMPS uses the
    system one. On a 2-core machine their busy-waiting thread pools compete: Kwant's lead
    mode computation (Schur decomposition, SVD) on the 40×40 device then takes 4–15 s per
    energy instead of 0.1 s. One thread per pool avoids that. Uses ``threadpoolctl`` when
    installed, otherwise the ``*openblas_set_num_threads*`` entry points of the OpenBLAS
    libraries mapped into this process (Linux only; elsewhere nothing is changed).

    Returns
    -------
    int
        Number of libraries that were limited.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        return len(threadpool_limits(limits=int(num_threads)).get_original_num_threads())
    import ctypes
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.split()[-1]}
    except OSError:
        return 0
    count = 0
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in _OPENBLAS_SYMBOLS:
            setter = getattr(lib, symbol, None)
            if setter is not None:
                setter(int(num_threads))
                count += 1
                break
    return count
