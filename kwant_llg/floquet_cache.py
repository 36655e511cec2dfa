"""What the Floquet solves of one frozen system share: lead data, orderings, frozen solves.

:class:`FloquetCache` is passed to :func:`kwant_llg.floquet.floquet_solve`,
:func:`kwant_llg.floquet.pumped_charge` and :func:`kwant_llg.floquet_sea.floquet_density`
(and kept by :class:`kwant_llg.floquet_llg.FloquetLLG` for a whole run); the costs it saves
are measured in docs/performance.md ("Floquet scattering", "Lead data shared between nodes
and textures").
"""

import hashlib
from collections import OrderedDict

import numpy as np

from ._common import KwantLLGError
from .greens import FrozenGreens
from .sparse_lu import SparseLU

__all__ = ["FloquetCache"]


class FloquetCache:
    """What the Floquet solves of one :class:`~kwant_llg.FrozenGreens` can share.

    * Lead data (self-energies, coupling factors) at real energies on a grid of 1e-11: an
      energy quadrature whose panels are shifted copies of each other by ω (as the
      Floquet Fermi sea and :func:`pumped_charge` use) meets the same sideband energies
      E + nω from different nodes, up to rounding; each is computed once, at the grid
      point nearest to E (so that the result does not depend on which node came first:
      a run restarted with an empty cache repeats itself bit for bit; the shift of at most
      5e-12 in the lead energy is far below any quadrature tolerance). The lead data
      depend only on the FrozenGreens (its params are frozen), so one cache serves every
      texture: a re-solve for a moved texture at the same nodes needs no lead computation.
    * The symbolic analysis (ordering) of the sparse Floquet matrix, whose pattern depends
      only on the system, the drive and N.
    * For ``method="dyson"``, the frozen solves G(E_n)[:, g] and G(E_n) W at the sideband
      energies (same grid), for the texture and static gate offsets of the last solve:
      a solve at E + ω then reuses 2N of the 2N+1 frozen solves of the one at E. They are
      dropped when the texture or the offsets change.

    Parameters
    ----------
    greens : FrozenGreens
    max_mib : float
        Memory budget of the lead data (least recently used energies are dropped).
    frozen_mib : float
        Memory budget of the frozen solves (same rule).

    Attributes
    ----------
    hits, misses : int
        Lead-data lookups served from the cache and computed.
    """

    def __init__(self, greens, *, max_mib=1024.0, frozen_mib=1024.0):
        if not isinstance(greens, FrozenGreens):
            raise KwantLLGError(f"greens must be a FrozenGreens, got {type(greens).__name__}.")
        for name, value in (("max_mib", max_mib), ("frozen_mib", frozen_mib)):
            if not (np.isscalar(value) and value > 0):
                raise KwantLLGError(f"{name} must be positive, got {value!r}.")
        self.greens, self.max_bytes = greens, float(max_mib) * 2 ** 20
        self._data, self._bytes = OrderedDict(), 0
        self._factors = {}
        self.hits = self.misses = 0
        self.frozen_max_bytes = float(frozen_mib) * 2 ** 20
        self._frozen, self._frozen_bytes, self._token = OrderedDict(), 0, None
        self.frozen_hits = self.frozen_misses = 0

    def _frozen_token(self, m, onsite_values, orbitals):
        """What the frozen solves depend on besides the energy (texture, offsets, support)."""
        digest = hashlib.blake2b(np.ascontiguousarray(m, dtype=float).tobytes(),
                                 digest_size=16)
        digest.update(np.asarray(orbitals, dtype=np.int64).tobytes())
        for name, value in sorted((onsite_values or {}).items()):
            digest.update(repr((name, float(value))).encode())
        return digest.hexdigest()

    def _frozen_get(self, energy, token):
        if token != self._token:
            self._frozen.clear()
            self._frozen_bytes, self._token = 0, token
        key = int(round(float(energy) * 1e11))
        entry = self._frozen.get(key)
        if entry is None:
            self.frozen_misses += 1
            return None
        self._frozen.move_to_end(key)
        self.frozen_hits += 1
        return entry[0]

    def _frozen_put(self, energy, token, entry):
        if token != self._token:
            return
        size = sum(x.nbytes for x in entry if x is not None)
        self._frozen[int(round(float(energy) * 1e11))] = (entry, size)
        self._frozen_bytes += size
        while self._frozen_bytes > self.frozen_max_bytes and len(self._frozen) > 1:
            self._frozen_bytes -= self._frozen.popitem(last=False)[1][1]

    def __len__(self):
        return len(self._data)

    def lead_data(self, energy, *, check_band_edge=True):
        """:meth:`FrozenGreens.lead_data` at a real energy, from the cache when possible."""
        key = int(round(float(energy) * 1e11))
        entry = self._data.get(key)
        if entry is not None and (entry[1] or not check_band_edge):
            self._data.move_to_end(key)
            self.hits += 1
            return entry[0]
        self.misses += 1
        data = self.greens.compute_lead_data(key / 1e11, check_band_edge=check_band_edge)
        size = sum(x.nbytes for d in data for x in d if x is not None)
        if entry is not None:
            self._bytes -= entry[2]
        self._data[key] = (data, check_band_edge, size)
        self._data.move_to_end(key)
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._data) > 1:
            self._bytes -= self._data.popitem(last=False)[1][2]
        return data

    def factor(self, rows, cols, size):
        """A :class:`~kwant_llg.sparse_lu.SparseLU` for this pattern (keeps its symbolic analysis)."""
        key = (size, len(rows))
        cached = self._factors.get(key)
        if (cached is None or not np.array_equal(cached.rows, rows)
                or not np.array_equal(cached.cols, cols)):
            cached = self._factors[key] = SparseLU(rows, cols, size,
                                                   self.greens._factor.backend)
        return cached

    def __getstate__(self):
        # the MUMPS contexts cannot be pickled; the lead data are kept
        state = self.__dict__.copy()
        state["_factors"] = {}
        state["_frozen"], state["_frozen_bytes"], state["_token"] = OrderedDict(), 0, None
        return state
