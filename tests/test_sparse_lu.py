"""The sparse LU shared by all solvers: MUMPS against SuperLU against dense solves."""

import numpy as np
import pytest
import scipy.sparse as sp

from kwant_llg.sparse_lu import HAVE_MUMPS, SparseLU, unit_columns

BACKENDS = ["superlu"] + (["mumps"] if HAVE_MUMPS else [])


def _matrix(n=40, seed=1):
    """A complex non-Hermitian sparse matrix on a fixed pattern (a ring with a diagonal)."""
    rng = np.random.default_rng(seed)
    rows = np.concatenate([np.arange(n), np.arange(n), np.arange(n)])
    cols = np.concatenate([np.arange(n), (np.arange(n) + 1) % n, (np.arange(n) - 3) % n])
    data = rng.normal(size=3 * n) + 1j * rng.normal(size=3 * n)
    data[:n] += 4          # diagonally dominant: well conditioned
    return rows, cols, data


@pytest.mark.parametrize("backend", BACKENDS)
def test_solves_match_dense_algebra(backend):
    n = 40
    rows, cols, data = _matrix(n)
    dense = sp.coo_matrix((data, (rows, cols)), shape=(n, n)).toarray()
    lu = SparseLU(rows, cols, n, backend)
    solve = lu.factor(data)
    orbs = [0, 5, 17, 39]
    unit = unit_columns(orbs, n)
    assert unit.shape == (n, 4) and sp.issparse(unit)
    inv = np.linalg.inv(dense)
    np.testing.assert_allclose(solve(unit), inv[:, orbs], atol=1e-12)
    # a dense solve right after a sparse one (MUMPS keeps ICNTL(20) otherwise)
    b = np.random.default_rng(2).normal(size=(n, 3))
    np.testing.assert_allclose(solve(b), inv @ b, atol=1e-12)
    np.testing.assert_allclose(lu.solve(unit, transpose=True), inv.T[:, orbs], atol=1e-12)
    np.testing.assert_allclose(lu.solve(b[:, 0]), inv @ b[:, 0], atol=1e-12)
    # a new factorisation on the same pattern (the symbolic analysis is reused)
    data2 = data * (1 + 0.1j)
    lu.factor(data2)
    np.testing.assert_allclose(lu.solve(b), np.linalg.solve(dense * (1 + 0.1j), b), atol=1e-12)


@pytest.mark.skipif(not HAVE_MUMPS, reason="Kwant without MUMPS")
def test_ordering_falls_back_to_the_next_one():
    n = 30
    rows, cols, data = _matrix(n)
    lu = SparseLU(rows, cols, n, "mumps", ordering=("no-such-ordering", "amd"))
    lu.factor(data)
    assert lu.ordering == "amd"
    dense = sp.coo_matrix((data, (rows, cols)), shape=(n, n)).toarray()
    b = np.eye(n)[:, :2]
    np.testing.assert_allclose(lu.solve(b), np.linalg.solve(dense, b), atol=1e-12)
    with pytest.raises((ValueError, RuntimeError)):
        SparseLU(rows, cols, n, "mumps", ordering="no-such-ordering").factor(data)
