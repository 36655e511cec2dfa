r"""Floquet scattering states from frozen solves, for a drive that acts on few orbitals.

The gates of a pump act on a few columns of the device: H_{±1} (the harmonics of the drive,
:mod:`kwant_llg.floquet`) vanish outside a set g of orbitals (160 of the 3200 on the
seed's 40×40 device). The Floquet problem

    A_n ψ_n − H_{+1} ψ_{n−1} − H_{−1} ψ_{n+1} = δ_{n0} W,     A_n = E_n − H_0 − Σ^r(E_n),

then reduces to the drive's support. With the frozen Green's functions G_n = A_n^{−1} at the
sideband energies E_n = E + nω, every component is

    ψ_n = δ_{n0} ψ^0 + G_n[:, g] c_n,     c_n = H_{+1} u_{n−1} + H_{−1} u_{n+1},

where ψ^0 = G_0 W is the undriven scattering state and u_n = ψ_n[g] solves the Floquet
problem projected on g (the Schur complement of every A_n onto g is D_n = (G_n[g, g])^{−1}):

    D_n u_n − H_{+1} u_{n−1} − H_{−1} u_{n+1} = δ_{n0} D_0 ψ^0[g],

block-tridiagonal in n with blocks of size |g|, solved by block elimination in n. This is
the same truncated Floquet problem as the sparse solve of the whole (2N+1)-block matrix,
rearranged (the two agree to rounding, tested); its cost is 2N+1 frozen factorisations
with |g| + (channels) right-hand sides each, instead of one factorisation of an
effectively three-dimensional L × L × (2N+1) problem whose fill grows like N² (measured in
docs/performance.md, "Floquet scattering").
"""

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ._common import KwantLLGError
from .sparse_lu import unit_columns

__all__ = ["drive_support", "frozen_columns", "dyson_states"]


def drive_support(blocks):
    """Orbitals where the onsite drive blocks (num_sites, 2, 2) are nonzero, and H_{+1} there.

    Returns
    -------
    (orbitals, hp) : int array of the orbitals (both orbitals of every driven site) and the
    dense block of H_{+1} on them.
    """
    sites = np.flatnonzero(np.abs(blocks).reshape(len(blocks), -1).max(axis=1) > 0)
    orbitals = np.stack([2 * sites, 2 * sites + 1], axis=1).ravel()
    hp = np.zeros((len(orbitals), len(orbitals)), dtype=complex)
    for k, s in enumerate(sites):
        hp[2 * k:2 * k + 2, 2 * k:2 * k + 2] = blocks[s]
    return orbitals, hp


def frozen_columns(factor, data, norb, orbitals, source):
    """Frozen solve at one sideband energy: (G[:, g], G W or None, (G[g, g])^{−1}).

    From the nonzeros of A_n.

    ``source`` (norb, channels) or None: the incoming waves at this energy (needed in
    sideband 0, and kept for reuse when the energy is sideband 0 of another solve).
    """
    ng = len(orbitals)
    unit = unit_columns(orbitals, norb)
    solve = factor.factor(data)
    nch = 0 if source is None else source.shape[1]
    rhs = unit if source is None else sp.hstack([unit, sp.csc_matrix(source)], format="csc")
    if rhs.shape[1]:
        x = np.asarray(solve(rhs)).reshape(norb, ng + nch)
    else:
        x = np.zeros((norb, 0), dtype=complex)
    if not np.all(np.isfinite(x)):
        raise KwantLLGError("A frozen solve at some sideband energy returned non-finite values "
                            "(a bound state at E + nω?); shift the energy slightly.")
    try:
        dblock = la.inv(x[orbitals, :ng]) if ng else np.zeros((0, 0), dtype=complex)
    except la.LinAlgError as err:
        raise KwantLLGError("The frozen Green's function on the driven orbitals is singular "
                            "at some E + nω; shift the energy slightly or use "
                            "method='direct'.") from err
    return x[:, :ng], (None if source is None else x[:, ng:]), dblock


def dyson_states(frozen, orbitals, hp):
    """Sideband components ψ_n (2N+1, norb, channels) of the Floquet scattering states.

    Parameters
    ----------
    frozen : list of (G_n[:, g], ψ^0 or None, D_n) for n = −N…N
        From :func:`frozen_columns`; ψ^0 = G_0 W is needed in sideband 0.
    orbitals, hp : from :func:`drive_support`
    """
    nb = len(frozen)
    n0 = nb // 2
    cols = [c for c, _, _ in frozen]
    psi0 = frozen[n0][1]
    norb, nch = psi0.shape
    ng = len(orbitals)
    if ng == 0 or nb == 1 or nch == 0:
        psi = np.zeros((nb, norb, nch), dtype=complex)
        psi[n0] = psi0
        return psi
    hm = hp.conj().T
    try:
        dblocks = [d for _, _, d in frozen]
        # block elimination in n: S_n = D_n − H_{+1} S_{n−1}^{−1} H_{−1}, b̂_n = b_n +
        # H_{+1} S_{n−1}^{−1} b̂_{n−1}; then u_n = S_n^{−1}(b̂_n + H_{−1} u_{n+1})
        rhs0 = dblocks[n0] @ psi0[orbitals]
        lus, bhat = [], []
        s_prev_lu = b_prev = None
        for k in range(nb):
            s_k = dblocks[k]
            b_k = rhs0 if k == n0 else np.zeros((ng, nch), dtype=complex)
            if s_prev_lu is not None:
                s_k = s_k - hp @ la.lu_solve(s_prev_lu, hm)
                b_k = b_k + hp @ la.lu_solve(s_prev_lu, b_prev)
            s_prev_lu, b_prev = la.lu_factor(s_k, check_finite=True), b_k
            lus.append(s_prev_lu)
            bhat.append(b_k)
    except (la.LinAlgError, ValueError) as err:
        raise KwantLLGError("The Floquet problem projected on the driven orbitals is singular "
                            "(a bound state at some E + nω?); shift the energy slightly or use "
                            "method='direct'.") from err
    u = [None] * nb
    u[-1] = la.lu_solve(lus[-1], bhat[-1])
    for k in range(nb - 2, -1, -1):
        u[k] = la.lu_solve(lus[k], bhat[k] + hm @ u[k + 1])
    psi = np.empty((nb, norb, nch), dtype=complex)
    for k in range(nb):
        c = np.zeros((ng, nch), dtype=complex)
        if k > 0:
            c += hp @ u[k - 1]
        if k < nb - 1:
            c += hm @ u[k + 1]
        psi[k] = cols[k] @ c
    psi[n0] += psi0
    return psi
