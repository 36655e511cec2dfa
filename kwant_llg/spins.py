r"""Classical spin lattice and the spin Hamiltonian of the seed's skyrmion (Eq. 38).

A :class:`SpinLattice` holds site positions and the list of nearest-neighbour bonds.
Hamiltonian terms are small immutable value objects with ``energy(lattice, m)`` and
``field(lattice, m)``; they add up to a :class:`Hamiltonian` with the same interface::

    H = Exchange(1.0) + DMI(0.2) + Anisotropy(0.07)          # the seed's H_Sk, Eq. (38)

Conventions (see also ``docs/conventions.md``)
-----------------------------------------------
* ``m`` is an array (num_spins, 3); rows are ordered like ``lattice.positions``.
* Every bond (i, j) is stored once, with i < j, and sums Σ_<ij> run over bonds once.
* ``lattice.bond_vectors[b]`` is the unit vector **r̂_ij = (r_j − r_i)/|r_j − r_i|**
  pointing from site i to site j (a 3-vector; planar lattices have z = 0).
* The effective field is **H_eff,i = −∂H/∂m_i** (energy units, γ = 1). The paper writes
  H_eff = (1/γ) δH_Sk/δm_i below Eq. (39); with its damping sign in Eq. (18) that is the same
  dynamics up to the sense of precession, and Eq. (37) agrees with our sign.
* Energies are defined for arbitrary vectors m (not only unit vectors), so ``field`` is the
  full gradient, −∇_m H, with no tangent projection.

Fast field evaluation
---------------------
Exchange, DMI and anisotropy are quadratic in m and Zeeman is linear, so their total field
is affine, H_eff = A m + b, with A the (symmetric) 3N × 3N matrix −∂²H/∂m∂m (index 3i + k for
component k of spin i). :meth:`Term.matrix` returns (A, b) of a term; :func:`compile_field`
sums them once into a sparse CSR matrix, after which every field evaluation is one sparse
matrix–vector product (``docs/performance.md``). Terms without ``matrix`` (user terms that
are not quadratic) are evaluated through their ``field`` method.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._common import KwantLLGError

__all__ = ["SpinLattice", "Term", "Hamiltonian", "Exchange", "DMI", "Anisotropy", "Zeeman",
           "compile_field", "CompiledField"]


def _scatter(num, index, values):
    """Return an (num, 3) array with ``values`` (k, 3) summed into rows ``index`` (k,)."""
    return np.stack([np.bincount(index, weights=values[:, c], minlength=num)
                     for c in range(3)], axis=1)


class SpinLattice:
    """Sites and nearest-neighbour bonds of a classical spin lattice.

    Parameters
    ----------
    positions : array_like, shape (num_spins, 2) or (num_spins, 3)
        Site positions in units of the lattice constant.
    bonds : array_like of int, shape (num_bonds, 2)
        Pairs (i, j) of coupled sites. Each pair is kept once (as i < j); duplicates and the
        reversed pair are merged.
    bond_vectors : array_like, shape (num_bonds, 2 or 3), optional
        The separation r_j − r_i of every bond **in the order given** (needed for periodic
        bonds, where the positions alone give the wrong vector). Default: from positions.
        It is normalised and flipped together with the bond when i > j.
    triangles : array_like of int, shape (num_triangles, 3), optional
        Counterclockwise triangles that tile the sample, used by
        :mod:`kwant_llg.topology` (the lattice constructors set them).

    Attributes
    ----------
    positions : ndarray (num_spins, 3)
    bonds : ndarray of int (num_bonds, 2), with ``bonds[:, 0] < bonds[:, 1]``
    bond_vectors : ndarray (num_bonds, 3)
        Unit vectors r̂_ij = (r_j − r_i)/|r_j − r_i| from site i to site j.
    bond_lengths : ndarray (num_bonds,)
    num_spins, num_bonds : int
    triangles : ndarray of int (num_triangles, 3)
    """

    def __init__(self, positions, bonds, *, bond_vectors=None, triangles=None):
        pos = np.asarray(positions, dtype=float)
        if pos.ndim != 2 or pos.shape[1] not in (2, 3) or len(pos) == 0:
            raise KwantLLGError(f"positions must have shape (num_spins, 2 or 3), got {pos.shape}.")
        if not np.all(np.isfinite(pos)):
            raise KwantLLGError("positions contain NaN or infinite values.")
        self.positions = np.zeros((len(pos), 3))
        self.positions[:, :pos.shape[1]] = pos
        self.num_spins = len(pos)

        b = np.asarray(bonds, dtype=int).reshape(-1, 2)
        if b.size and (b.min() < 0 or b.max() >= self.num_spins):
            raise KwantLLGError(f"bonds refer to sites outside 0 ... {self.num_spins - 1}.")
        if np.any(b[:, 0] == b[:, 1]):
            raise KwantLLGError("bonds must connect two different sites (found (i, i)).")
        if bond_vectors is None:
            vec = self.positions[b[:, 1]] - self.positions[b[:, 0]]
        else:
            v = np.asarray(bond_vectors, dtype=float)
            if v.ndim != 2 or v.shape[0] != len(b) or v.shape[1] not in (2, 3):
                raise KwantLLGError(f"bond_vectors must have shape ({len(b)}, 2 or 3), "
                                    f"got {v.shape}.")
            vec = np.zeros((len(b), 3))
            vec[:, :v.shape[1]] = v
        flip = b[:, 0] > b[:, 1]
        b = np.where(flip[:, None], b[:, ::-1], b)
        vec = np.where(flip[:, None], -vec, vec)
        _, keep = np.unique(b, axis=0, return_index=True)
        keep = np.sort(keep)
        self.bonds = b[keep]
        vec = vec[keep]
        self.bond_lengths = np.linalg.norm(vec, axis=1)
        if np.any(self.bond_lengths == 0):
            raise KwantLLGError("A bond has zero length; bond directions are undefined.")
        self.bond_vectors = vec / self.bond_lengths[:, None]
        self.num_bonds = len(self.bonds)
        self._triangles = None if triangles is None else np.asarray(triangles, dtype=int)

    @property
    def triangles(self):
        """Counterclockwise triangles tiling the sample (computed once, see
        :func:`kwant_llg.topology.triangulate`)."""
        if self._triangles is None:
            from .topology import triangulate
            self._triangles = triangulate(self.positions)
        return self._triangles

    @classmethod
    def from_kwant(cls, fsyst):
        """Spin lattice of a finalized Kwant system: one spin per site, bonds = hoppings.

        The bonds are the edges of ``fsyst.graph`` (hoppings within the scattering region),
        so any lattice geometry works; positions are ``fsyst.sites[i].pos``.
        """
        if not hasattr(fsyst, "graph") or not hasattr(fsyst, "sites"):
            raise KwantLLGError("from_kwant expects a finalized Kwant system (call .finalized()).")
        pos = np.array([s.pos for s in fsyst.sites], dtype=float)
        edges = np.array(list(fsyst.graph), dtype=int).reshape(-1, 2)
        return cls(pos, edges)

    @classmethod
    def square(cls, nx, ny=1, *, periodic=False):
        """An nx × ny square lattice with sites at integer (x, y), row index ``x * ny + y``.

        Parameters
        ----------
        nx, ny : int
            Number of sites along x and y (``ny = 1`` gives a chain along x).
        periodic : bool or (bool, bool)
            Periodic boundary conditions along x and/or y. Wrapping bonds get the
            minimum-image bond vector.
        """
        nx, ny = int(nx), int(ny)
        if nx < 1 or ny < 1:
            raise KwantLLGError(f"nx and ny must be positive, got {nx}, {ny}.")
        px, py = (periodic, periodic) if np.ndim(periodic) == 0 else periodic
        x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        pos = np.stack([x.ravel(), y.ravel()], axis=1).astype(float)
        idx = np.arange(nx * ny).reshape(nx, ny)
        bonds, vecs, tri = [], [], []
        for axis, per, n, step in ((0, px, nx, (1.0, 0.0)), (1, py, ny, (0.0, 1.0))):
            per = per and n > 2        # two sites: a single bond, not a double one
            if n >= 2:
                shifted = np.roll(idx, -1, axis=axis)
                pairs = np.stack([idx.ravel(), shifted.ravel()], axis=1)
                last = (x if axis == 0 else y).ravel() == n - 1
                pairs = pairs if per else pairs[~last]
                bonds.append(pairs)
                vecs.append(np.tile(step, (len(pairs), 1)))
        # two counterclockwise triangles per plaquette (x, y), (x+1, y), (x+1, y+1), (x, y+1)
        i00 = idx
        i10, i01 = np.roll(idx, -1, axis=0), np.roll(idx, -1, axis=1)
        i11 = np.roll(i10, -1, axis=1)
        ok = np.ones((nx, ny), bool)
        if not px or nx < 3:
            ok[-1, :] = False
        if not py or ny < 3:
            ok[:, -1] = False
        quads = [a[ok] for a in (i00, i10, i11, i01)]
        tri = np.concatenate([np.stack(quads[:3], axis=1),
                              np.stack([quads[0], quads[2], quads[3]], axis=1)])
        bonds = np.concatenate(bonds) if bonds else np.zeros((0, 2), int)
        vecs = np.concatenate(vecs) if vecs else np.zeros((0, 2))
        return cls(pos, bonds, bond_vectors=vecs, triangles=tri)

    def neighbor_sum(self, values, weights=None):
        """Σ_j w_ij v_j over the neighbours j of each site i (vectorised, rows (num_spins, 3))."""
        i, j = self.bonds[:, 0], self.bonds[:, 1]
        vi, vj = values[i], values[j]
        if weights is not None:
            w = np.asarray(weights, dtype=float)[:, None]
            vi, vj = w * vi, w * vj
        return _scatter(self.num_spins, np.concatenate([i, j]), np.concatenate([vj, vi]))

    def __repr__(self):
        return f"SpinLattice(<{self.num_spins} spins, {self.num_bonds} bonds>)"


class Term:
    """Base class of Hamiltonian terms: ``energy(lattice, m)``, ``field(lattice, m)``, ``+``."""

    def energy(self, lattice, m):
        """Energy H(m) (float)."""
        raise NotImplementedError

    def field(self, lattice, m):
        """Effective field H_eff,i = −∂H/∂m_i, shape (num_spins, 3)."""
        raise NotImplementedError

    def matrix(self, lattice):
        """(A, b) with H_eff = A m + b for terms at most quadratic in m.

        A is a sparse (3 num_spins, 3 num_spins) matrix or None (no quadratic part), b an
        array (num_spins, 3) or None. The base class returns ``NotImplemented`` (the term is
        evaluated through :meth:`field`).
        """
        return NotImplemented

    def __add__(self, other):
        if not isinstance(other, Term):
            return NotImplemented
        return Hamiltonian(tuple(_terms(self)) + tuple(_terms(other)))

    def __radd__(self, other):
        if isinstance(other, (int, float)) and other == 0:     # allows sum([...])
            return self
        return NotImplemented


def _terms(term):
    return term.terms if isinstance(term, Hamiltonian) else (term,)


@dataclass(frozen=True, eq=True)
class Hamiltonian(Term):
    """A sum of terms: H = Σ_k H_k, H_eff = Σ_k H_eff^(k)."""

    terms: tuple = ()

    def energy(self, lattice, m):
        return float(sum(t.energy(lattice, m) for t in self.terms))

    def field(self, lattice, m):
        h = np.zeros((lattice.num_spins, 3))
        for t in self.terms:
            h += t.field(lattice, m)
        return h


@dataclass(frozen=True)
class Exchange(Term):
    r"""Heisenberg exchange (first term of Eq. 38).

    H = −J Σ_<ij> m_i·m_j,       H_eff,i = J Σ_{j ∈ nn(i)} m_j.

    J > 0 is ferromagnetic (the paper's J_ex, the energy unit).
    """

    J: float = 1.0

    def energy(self, lattice, m):
        i, j = lattice.bonds.T
        return -self.J * float(np.einsum("bk,bk->", m[i], m[j]))

    def field(self, lattice, m):
        return self.J * lattice.neighbor_sum(m)

    def matrix(self, lattice):
        i, j = lattice.bonds.T
        rows = 3 * np.concatenate([i, j])[:, None] + np.arange(3)
        cols = 3 * np.concatenate([j, i])[:, None] + np.arange(3)
        return _blocks(lattice, rows, cols, np.full(rows.shape, float(self.J))), None


@dataclass(frozen=True)
class DMI(Term):
    r"""Dzyaloshinskii–Moriya interaction (second term of Eq. 38).

    H = Σ_<ij> D_ij·(m_i × m_j),   with, for the bond (i, j) and r̂_ij = (r_j − r_i)/|r_j − r_i|,

    * ``kind="bulk"`` (Bloch skyrmions, the paper's Eq. 38):
      D_ij = D (r_i − r_j)/|r_i − r_j| = −D r̂_ij,
    * ``kind="interfacial"`` (Néel skyrmions): D_ij = D ẑ × (r_i − r_j)/|r_i − r_j| = −D ẑ × r̂_ij.

    D_ij·(m_i × m_j) is symmetric under exchanging i and j, so each bond counts once and the
    sign of D is exactly the paper's: the seed's skyrmion uses ``DMI(0.2)``.
    The field is H_eff,i = Σ_j D_ij × m_j (for the bond stored as (i, j); the partner gets
    m_i × D_ij), i.e. −∂H/∂m_i.
    """

    D: float = 0.0
    kind: str = "bulk"

    def __post_init__(self):
        if self.kind not in ("bulk", "interfacial"):
            raise KwantLLGError(f"DMI kind must be 'bulk' or 'interfacial', got {self.kind!r}.")

    def vectors(self, lattice):
        """The DMI vectors D_ij of all bonds, shape (num_bonds, 3)."""
        r = -lattice.bond_vectors
        if self.kind == "interfacial":
            r = np.cross([0.0, 0.0, 1.0], r)
        return self.D * r

    def energy(self, lattice, m):
        i, j = lattice.bonds.T
        return float(np.einsum("bk,bk->", self.vectors(lattice), np.cross(m[i], m[j])))

    def field(self, lattice, m):
        i, j = lattice.bonds.T
        d = self.vectors(lattice)
        return _scatter(lattice.num_spins, np.concatenate([i, j]),
                        np.concatenate([np.cross(d, m[j]), np.cross(m[i], d)]))

    def matrix(self, lattice):
        # block (i, j) = [D_ij]_×, block (j, i) = −[D_ij]_× = [D_ij]_×ᵀ
        i, j = lattice.bonds.T
        d = self.vectors(lattice)
        cross = _cross_matrices(d)                                  # (b, 3, 3)
        k = np.arange(3)
        rows = np.concatenate([3 * i[:, None, None] + k[:, None] + 0 * k,
                               3 * j[:, None, None] + k[:, None] + 0 * k])
        cols = np.concatenate([3 * j[:, None, None] + 0 * k[:, None] + k,
                               3 * i[:, None, None] + 0 * k[:, None] + k])
        return _blocks(lattice, rows, cols, np.concatenate([cross, -cross])), None


@dataclass(frozen=True)
class Anisotropy(Term):
    r"""Uniaxial anisotropy (third term of Eq. 38).

    H = −K Σ_i (m_i·n̂)²,       H_eff,i = 2K (m_i·n̂) n̂,

    with n̂ = ``axis`` (default ẑ, the paper's perpendicular anisotropy; K > 0 is easy axis).
    """

    K: float = 0.0
    axis: tuple = (0.0, 0.0, 1.0)

    def _axis(self):
        n = np.asarray(self.axis, dtype=float)
        norm = np.linalg.norm(n)
        if n.shape != (3,) or not norm > 0:
            raise KwantLLGError(f"Anisotropy axis must be a nonzero 3-vector, got {self.axis!r}.")
        return n / norm

    def energy(self, lattice, m):
        return -self.K * float(np.sum((m @ self._axis()) ** 2))

    def field(self, lattice, m):
        n = self._axis()
        return 2 * self.K * (m @ n)[:, None] * n

    def matrix(self, lattice):
        n = self._axis()
        k = np.arange(3)
        site = np.arange(lattice.num_spins)[:, None, None]
        rows, cols = 3 * site + k[:, None] + 0 * k, 3 * site + 0 * k[:, None] + k
        vals = np.broadcast_to(2 * self.K * np.outer(n, n), rows.shape)
        return _blocks(lattice, rows, cols, vals), None


@dataclass(frozen=True, eq=False)
class Zeeman(Term):
    r"""Zeeman energy (last term of Eq. 38).

    H = −μ Σ_i m_i·B_i,       H_eff,i = μ B_i,

    with ``B`` a 3-vector (uniform) or an array (num_spins, 3), and μ the moment (default 1).
    """

    B: object = (0.0, 0.0, 0.0)
    mu: float = 1.0

    def _b(self, lattice):
        b = np.asarray(self.B, dtype=float)
        if b.shape not in ((3,), (lattice.num_spins, 3)):
            raise KwantLLGError(f"Zeeman field B must have shape (3,) or "
                                f"({lattice.num_spins}, 3), got {b.shape}.")
        return np.broadcast_to(b, (lattice.num_spins, 3))

    def energy(self, lattice, m):
        return -self.mu * float(np.einsum("ik,ik->", m, self._b(lattice)))

    def field(self, lattice, m):
        return self.mu * np.array(self._b(lattice))

    def matrix(self, lattice):
        return None, self.field(lattice, None)


def _cross_matrices(v):
    """[v]_× for rows v (n, 3): [v]_× w = v × w."""
    z = np.zeros(len(v))
    return np.stack([np.stack([z, -v[:, 2], v[:, 1]], axis=1),
                     np.stack([v[:, 2], z, -v[:, 0]], axis=1),
                     np.stack([-v[:, 1], v[:, 0], z], axis=1)], axis=1)


def _blocks(lattice, rows, cols, vals):
    n = 3 * lattice.num_spins
    return sp.csr_matrix((np.ravel(vals), (np.ravel(rows), np.ravel(cols))), shape=(n, n))


class CompiledField:
    """H_eff(m) = A m + b (+ fields of the terms without a matrix), see :func:`compile_field`.

    Calling ``field(m)`` returns H_eff, shape (num_spins, 3). Attributes ``A`` (sparse CSR,
    3N × 3N, or None), ``b`` ((N, 3) or None) and ``rest`` (terms evaluated by ``field``).
    """

    def __init__(self, lattice, A, b, rest):
        self.lattice, self.A, self.b, self.rest = lattice, A, b, tuple(rest)

    def __call__(self, m):
        if self.A is not None:
            h = (self.A @ np.ascontiguousarray(m, dtype=float).reshape(-1)).reshape(-1, 3)
        else:
            h = np.zeros((self.lattice.num_spins, 3))
        if self.b is not None:
            h += self.b
        for term in self.rest:
            h += term.field(self.lattice, m)
        return h


def compile_field(hamiltonian, lattice):
    """Precompute the effective field of ``hamiltonian`` on ``lattice`` as a sparse affine map.

    Returns
    -------
    CompiledField
        ``compile_field(H, lattice)(m)`` equals ``H.field(lattice, m)`` to round-off.
    """
    A, b, rest = None, None, []
    for term in _terms(hamiltonian):
        mat = term.matrix(lattice)
        if mat is NotImplemented:
            rest.append(term)
            continue
        a_t, b_t = mat
        if a_t is not None:
            A = a_t if A is None else A + a_t
        if b_t is not None:
            b = np.array(b_t, dtype=float) if b is None else b + b_t
    if A is not None:
        A = sp.csr_matrix(A)
        A.sum_duplicates()
        A.eliminate_zeros()
    return CompiledField(lattice, A, b, rest)
