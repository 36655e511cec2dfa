"""Sparse LU factorisations on a fixed pattern (MUMPS when Kwant has it, SuperLU otherwise).

Every solver of kwant_llg factorises matrices z − H − Σ whose sparsity pattern is fixed by
the system: the symbolic analysis (ordering) of the first factorisation is kept and reused
for all later ones, which then cost one numerical factorisation each.
"""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["SparseLU", "unit_columns", "HAVE_MUMPS"]

try:
    from kwant.linalg import mumps as _mumps
    HAVE_MUMPS = _mumps is not None and hasattr(_mumps, "MUMPSContext")
except ImportError:   # Kwant built without MUMPS
    _mumps = None
    HAVE_MUMPS = False


def unit_columns(orbitals, n):
    """Unit columns e_o (o in ``orbitals``) of length n as a sparse CSC matrix (MUMPS solves
    sparse right-hand sides about 1.5× faster than the dense identity columns)."""
    orbitals = np.asarray(orbitals, dtype=int).ravel()
    k = len(orbitals)
    return sp.csc_matrix((np.ones(k, dtype=complex), (orbitals, np.arange(k))), shape=(n, k))


class SparseLU:
    """LU factorisation of a matrix with a fixed sparsity pattern, with (transposed) solves.

    Parameters
    ----------
    rows, cols : ndarray
        Coordinates of the nonzeros (the pattern).
    n : int
        Size of the matrix.
    backend : {"mumps", "superlu"}
    ordering : str or tuple of str
        MUMPS ordering of the symbolic analysis; a tuple lists orderings to try in turn (an
        ordering MUMPS was built without raises and the next one is used). The default QAMD
        gives the least fill on these lattices (with AMD).
    scaling : bool
        MUMPS automatic scaling. Off by default: the entries of z − H − Σ are all of the
        order of the hopping, and scaling costs about a tenth of each numerical
        factorisation. Threshold partial pivoting stays on either way.
    """

    def __init__(self, rows, cols, n, backend, *, ordering="qamd", scaling=False):
        self.rows, self.cols, self.n = rows, cols, n
        self.backend = backend
        self._orderings = (ordering,) if isinstance(ordering, str) else tuple(ordering)
        self.ordering = self._orderings[0]
        self.scaling = scaling
        self._ctx = self._lu = None

    def factor(self, data):
        """Factorise the matrix with these nonzeros; returns :meth:`solve`."""
        mat = sp.coo_matrix((data, (self.rows, self.cols)), shape=(self.n, self.n))
        if self.backend != "mumps":
            self._lu = spla.splu(mat.tocsc())
            return self.solve
        if self._ctx is None:
            ctx = _mumps.MUMPSContext()
            for k, ordering in enumerate(self._orderings):
                try:
                    ctx.analyze(mat, ordering=ordering)
                except (ValueError, RuntimeError):
                    if k == len(self._orderings) - 1:
                        raise
                    continue
                self.ordering = ordering
                break
            if not self.scaling:
                ctx.mumps_instance.icntl[8] = 0
            self._ctx = ctx
        self._ctx.factor(mat, ordering=self.ordering, reuse_analysis=True)
        return self.solve

    def solve(self, b, transpose=False):
        """A⁻¹ b (or A⁻ᵀ b) for the last factorised A; b dense or sparse, result dense."""
        if self.backend != "mumps":
            b = b.toarray() if sp.issparse(b) else b
            return self._lu.solve(b, trans="T" if transpose else "N")
        icntl = self._ctx.mumps_instance.icntl
        shape = b.shape
        icntl[9] = 0 if transpose else 1          # MUMPS ICNTL(9) != 1: solve Aᵀ x = b
        try:
            if sp.issparse(b):
                x = self._ctx.solve(b.tocsc())
            else:
                # Kwant 1.5's wrapper leaves ICNTL(20) = 1 (sparse right-hand side) set after
                # a sparse solve, so a dense solve would read the freed sparse arrays.
                icntl[20] = 0
                x = self._ctx.solve(np.ascontiguousarray(b, dtype=complex))
        finally:
            icntl[9], icntl[20] = 1, 0
        return np.asarray(x).reshape(shape)
