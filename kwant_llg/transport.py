"""Spin-resolved transmission and density of states versus energy (the paper's Fig. 3).

Pure computation, no disk access (saving is :mod:`kwant_llg.io`, figures
:mod:`kwant_llg.plotting`). One :class:`~kwant_llg.greens.FrozenGreens` is built per call,
so the lead self-energies are computed once per energy and shared by all textures.

Spin labels follow ``docs/conventions.md``: index 0 is spin up (σ_z = +1, orbital 0), index
1 is spin down. ``T[E, s_out, s_in]`` is the transmission from lead ``from_lead`` (default
0, left) to lead ``to_lead`` (default 1, right) of electrons entering with spin ``s_in`` and
leaving with spin ``s_out``: the paper's T_{RL}^{σσ'}.
"""

from dataclasses import dataclass, field

import numpy as np

from ._common import BandEdgeError, KwantLLGError
from .greens import FrozenGreens

__all__ = ["TransportResult", "transport_spectrum", "energy_grid", "merge_results",
           "SPIN_LABELS"]

#: σ_z eigenvalue of spin index 0 and 1 (up, down).
SPINS = (1, -1)
#: Names of the spin indices.
SPIN_LABELS = ("up", "down")
_SPIN_INDEX = {"up": 0, "down": 1, 1: 0, -1: 1, 0: 0}


def _spin_index(spin):
    try:
        return _SPIN_INDEX[spin]
    except (KeyError, TypeError):
        raise KwantLLGError(f"spin must be 'up', 'down', +1 or -1, got {spin!r}.") from None


def energy_grid(emin=0.0, emax=8.0, num=101, *, offset=None):
    """Midpoint energy grid that avoids band edges at round numbers.

    The grid points are the midpoints of ``num`` equal bins of [emin, emax], shifted by a
    small irrational fraction of the bin width (default ``(√2 − 1)·10⁻³``), so that neither
    the interval ends nor simple fractions such as 2, 4, 6 (band edges of ribbons of odd
    width) are hit exactly.

    Parameters
    ----------
    emin, emax : float
        Interval, ``emin < emax``.
    num : int
        Number of energies (>= 1).
    offset : float, optional
        Shift in units of the bin width.

    Returns
    -------
    ndarray, shape (num,)
    """
    num = int(num)
    if num < 1:
        raise KwantLLGError(f"The number of energies must be at least 1, got {num}.")
    if not (np.isfinite(emin) and np.isfinite(emax) and emin < emax):
        raise KwantLLGError(f"Need finite emin < emax, got emin={emin!r}, emax={emax!r}.")
    offset = (np.sqrt(2) - 1) * 1e-3 if offset is None else float(offset)
    width = (emax - emin) / num
    return emin + (np.arange(num) + 0.5 + offset) * width


@dataclass
class TransportResult:
    """Spin-resolved transport spectrum of several textures on a common energy grid.

    Attributes
    ----------
    energies : ndarray (n,)
        Requested energies.
    names : tuple of str
        Texture names, in order.
    transmission : dict name -> ndarray (n, 2, 2)
        ``T[i, s_out, s_in]`` (index 0 up, 1 down) from ``from_lead`` to ``to_lead``.
    dos : dict name -> ndarray (n, 2)
        Density of states of the scattering region per spin (up, down), per unit energy:
        (1/2π) Σ_α Tr_σ[P_σ G^r Γ_α G^a], whose sum is ``ScatteringSolution.dos()``.
    channels : dict name -> ndarray (n, 2)
        Open channels of the incoming lead per spin.
    energies_used : dict name -> ndarray (n,)
        Energies actually computed; they differ from ``energies`` where a band edge of a
        lead was hit and the energy was shifted (see :meth:`shifted`).
    from_lead, to_lead : int
    meta : dict
        Free-form description (parameters, sizes), JSON-serialisable.
    """

    energies: np.ndarray
    names: tuple
    transmission: dict
    dos: dict
    channels: dict
    energies_used: dict
    from_lead: int = 0
    to_lead: int = 1
    meta: dict = field(default_factory=dict)

    def _check(self, name):
        if name not in self.transmission:
            raise KwantLLGError(f"No texture named {name!r}; have {list(self.names)}.")

    def t_in(self, name, spin):
        """Transmission of electrons entering with ``spin``, summed over the outgoing spin."""
        self._check(name)
        return self.transmission[name][:, :, _spin_index(spin)].sum(axis=1)

    def t_out(self, name, spin):
        """Transmission into outgoing ``spin``, summed over the incoming spin."""
        self._check(name)
        return self.transmission[name][:, _spin_index(spin), :].sum(axis=1)

    def t_total(self, name):
        """Total transmission Σ_{σσ'} T^{σσ'}(E)."""
        self._check(name)
        return self.transmission[name].sum(axis=(1, 2))

    def dos_spin(self, name, spin):
        """Density of states of one spin."""
        self._check(name)
        return self.dos[name][:, _spin_index(spin)]

    def dos_total(self, name):
        """Total density of states."""
        self._check(name)
        return self.dos[name].sum(axis=1)

    def shifted(self, name):
        """Indices of the energies that were shifted off a band edge."""
        self._check(name)
        return np.flatnonzero(self.energies_used[name] != self.energies)

    def spin_polarization(self, name, emin, emax, *, by="in"):
        """Spin polarisation (T↑ − T↓)/(T↑ + T↓) of T summed over the grid in emin < E < emax.

        Parameters
        ----------
        name : str
            Texture.
        emin, emax : float
            Energy window (grid points strictly inside are used).
        by : {"in", "out"}
            Resolve by the incoming (default) or outgoing spin.

        Returns
        -------
        float
            +1: only spin up transmits, −1: only spin down; NaN if nothing transmits.
        """
        if by not in ("in", "out"):
            raise KwantLLGError(f"by must be 'in' or 'out', got {by!r}.")
        get = self.t_in if by == "in" else self.t_out
        inside = (self.energies > emin) & (self.energies < emax)
        up, down = get(name, "up")[inside].sum(), get(name, "down")[inside].sum()
        total = up + down
        return float((up - down) / total) if total > 0 else float("nan")

    def to_arrays(self):
        """Flat dict of arrays (for :func:`kwant_llg.io.save_arrays`)."""
        arrays = {"energies": self.energies, "names": np.array(self.names, dtype=str),
                  "leads": np.array([self.from_lead, self.to_lead])}
        for name in self.names:
            arrays[f"transmission:{name}"] = self.transmission[name]
            arrays[f"dos:{name}"] = self.dos[name]
            arrays[f"channels:{name}"] = self.channels[name]
            arrays[f"energies_used:{name}"] = self.energies_used[name]
        return arrays

    @classmethod
    def from_arrays(cls, arrays, meta=None):
        """Inverse of :meth:`to_arrays` (extra keys are ignored)."""
        names = tuple(str(n) for n in np.atleast_1d(arrays["names"]))
        leads = np.asarray(arrays.get("leads", (0, 1)))

        def per(kind):
            return {n: np.asarray(arrays[f"{kind}:{n}"]) for n in names}

        return cls(np.asarray(arrays["energies"], dtype=float), names, per("transmission"),
                   per("dos"), per("channels"), per("energies_used"),
                   int(leads[0]), int(leads[1]), dict(meta or {}))


def merge_results(*results):
    """Combine results computed on the same energy grid (e.g. with different ``params``).

    Texture names must be unique across the inputs; ``meta`` entries are combined, per-name
    entries of ``meta["textures"]`` included.
    """
    if not results:
        raise KwantLLGError("merge_results needs at least one result.")
    first = results[0]
    merged = TransportResult(first.energies, (), {}, {}, {}, {}, first.from_lead,
                             first.to_lead, {})
    for res in results:
        if res.energies.shape != first.energies.shape or \
                not np.array_equal(res.energies, first.energies):
            raise KwantLLGError("Results on different energy grids cannot be merged.")
        if (res.from_lead, res.to_lead) != (first.from_lead, first.to_lead):
            raise KwantLLGError("Results for different lead pairs cannot be merged.")
        for name in res.names:
            if name in merged.transmission:
                raise KwantLLGError(f"Texture name {name!r} occurs in more than one result.")
            merged.transmission[name] = res.transmission[name]
            merged.dos[name] = res.dos[name]
            merged.channels[name] = res.channels[name]
            merged.energies_used[name] = res.energies_used[name]
        merged.names += tuple(res.names)
        tex_meta = merged.meta.get("textures", {})
        merged.meta.update({k: v for k, v in res.meta.items() if k != "textures"})
        tex_meta.update(res.meta.get("textures", {}))
        if tex_meta:
            merged.meta["textures"] = tex_meta
    return merged


def _lead_data_off_edge(greens, energy, shift, max_shifts):
    """Lead data at ``energy``, shifted by ``shift`` (repeatedly) if it sits on a band edge."""
    e = float(energy)
    for _ in range(max_shifts + 1):
        try:
            greens.lead_data(e)
            return e
        except BandEdgeError:
            e += shift
    raise BandEdgeError(f"Energy {energy!r} is still at a band edge after {max_shifts} shifts "
                        f"of {shift:g}.")


def _open_channels(lead_data, lead):
    """Open channels per spin (up, down) of one lead from its (Σ, W, spin labels).

    Columns of W whose weight ‖w‖² (an eigenvalue of Γ) is at the rounding level of Σ are
    not counted: at energies without propagating modes Γ = i(Σ − Σ^†) is pure noise.
    """
    sigma, w, labels = lead_data
    if labels is None:
        raise KwantLLGError(f"Lead {lead} does not conserve σ_z; spin-resolved transmission "
                            "needs leads that do.")
    weight = np.sum(np.abs(w) ** 2, axis=0)
    scale = max(1.0, float(np.abs(sigma).max(initial=0.0)))
    is_open = weight > 1e-10 * scale
    return [np.count_nonzero(is_open & (labels == s)) for s in SPINS]


def _spin_dos(psi):
    """DOS per spin (up, down) from scattering states ψ = G^r W (all leads)."""
    up = np.sum(np.abs(psi[0::2]) ** 2)
    down = np.sum(np.abs(psi[1::2]) ** 2)
    return np.array([up, down]) / (2 * np.pi)


def transport_spectrum(fsyst, energies, textures, *, params, progress=None, from_lead=0,
                       to_lead=1, magnetization="m", edge_shift=1e-6, max_shifts=5,
                       meta=None):
    """Spin-resolved transmission T_{RL}^{σσ'}(E) and DOS(E) for several textures.

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
        Two orbitals (up, down) per site; the two leads used must conserve σ_z.
    energies : array_like (n,)
        Real energies, e.g. from :func:`energy_grid`.
    textures : dict name -> array (num_sites, 3)
        Magnetisation textures (unit vectors ordered like ``fsyst.sites``).
    params : dict
        Parameters of the value functions except the magnetisation (e.g.
        :func:`kwant_llg.devices.seed_params`).
    progress : callable, optional
        Called as ``progress(i, n)`` after energy ``i`` of ``n`` (i = 1 … n).
    from_lead, to_lead : int
        Incoming and outgoing lead (default 0 → 1, left to right).
    magnetization : str
        Name of the magnetisation parameter of the value functions.
    edge_shift : float
        An energy on a lead band edge (:class:`~kwant_llg.BandEdgeError`) is moved up by this
        much (at most ``max_shifts`` times); the energies used are recorded in the result.
    meta : dict, optional
        Stored in the result's ``meta`` (``params`` is added).

    Returns
    -------
    TransportResult
    """
    energies = np.atleast_1d(np.asarray(energies, dtype=float))
    if energies.ndim != 1 or not np.all(np.isfinite(energies)):
        raise KwantLLGError("energies must be a 1-d array of finite real numbers.")
    if not textures:
        raise KwantLLGError("Give at least one texture (a dict name -> array).")
    for lead in (from_lead, to_lead):
        if not 0 <= lead < len(fsyst.leads):
            raise KwantLLGError(f"Lead index {lead} out of range (system has "
                                f"{len(fsyst.leads)} leads).")
    greens = FrozenGreens(fsyst, params=params, magnetization=magnetization)
    textures = {str(k): greens.magnetization_array(v) for k, v in textures.items()}
    n = len(energies)
    trans = {k: np.zeros((n, 2, 2)) for k in textures}
    dos = {k: np.zeros((n, 2)) for k in textures}
    chans = {k: np.zeros((n, 2), dtype=int) for k in textures}
    used = np.empty(n)
    for i, energy in enumerate(energies):
        used[i] = _lead_data_off_edge(greens, energy, edge_shift, max_shifts)
        channels = _open_channels(greens.lead_data(used[i])[from_lead], from_lead)
        for name, m in textures.items():
            sol = greens.solve(m, used[i])
            trans[name][i] = [[sol.transmission(to_lead, from_lead, spin=(s_out, s_in))
                               for s_in in SPINS] for s_out in SPINS]
            dos[name][i] = _spin_dos(sol.psi)
            chans[name][i] = channels
        if progress is not None:
            progress(i + 1, n)
    info = dict(meta or {})
    info.setdefault("params", {k: v for k, v in params.items() if np.isscalar(v)})
    info.setdefault("textures", {k: dict(info["params"]) for k in textures})
    return TransportResult(energies, tuple(textures), trans, dos, chans,
                           {k: used.copy() for k in textures}, int(from_lead), int(to_lead), info)
