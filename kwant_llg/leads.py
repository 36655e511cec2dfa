"""Lead self-energies at real and complex energies, and lead coupling factors.

Kwant computes the retarded self-energy of a translationally invariant lead at real
energies only (``InfiniteSystem.selfenergy``). Fermi-sea integrals need it at complex
energies z in the upper half plane; there we use the surface Green's function of the
semi-infinite lead, obtained by Lopez Sancho decimation [Lopez Sancho et al., J. Phys.
F 15, 851 (1985)], which converges quadratically (the effective coupling after n steps
describes 2^n cells) as long as Im z > 0.

Kwant convention (checked in the tests against ``lead.selfenergy``): with ``h0`` the cell
Hamiltonian and ``v = lead.inter_cell_hopping()`` of shape (cell size, interface size),
the hopping from the scattering region (and from every lead cell) to the next cell away
from it is ``v^†``, and

    Σ(z) = v^† g_s(z) v,

where g_s is the surface Green's function of the semi-infinite chain of cells.
"""

import copy
import warnings

import numpy as np
import kwant
from kwant.physics import leads as _kwant_leads

from ._common import BandEdgeError, ConvergenceError, KwantLLGError

__all__ = ["lead_matrices", "surface_greens_function", "selfenergy", "coupling_factor",
           "conserves_spin_z", "LeadSolver"]


def lead_matrices(lead, *, params=None):
    """Cell Hamiltonian and inter-cell hopping of a Kwant lead, as dense arrays.

    Returns
    -------
    h0 : ndarray, shape (n, n)
    v : ndarray, shape (n, n_interface)
        ``lead.inter_cell_hopping(params=params)``.
    """
    h0 = np.asarray(lead.cell_hamiltonian(params=params), dtype=complex)
    v = np.asarray(lead.inter_cell_hopping(params=params), dtype=complex)
    return h0, v


def surface_greens_function(z, h0, v, *, tol=1e-14, max_iter=200):
    """Surface Green's function of a semi-infinite lead at complex energy ``z``.

    Lopez Sancho decimation for the chain ``... h0 -t- h0 -t- h0`` with hopping
    ``t = v_full^†`` from each cell to the next one away from the surface.

    Parameters
    ----------
    z : complex
        Energy; must have a positive imaginary part (retarded branch).
    h0 : ndarray (n, n)
    v : ndarray (n, m), m <= n
        Kwant's ``inter_cell_hopping``; padded with zeros to (n, n).
    tol : float
        Convergence threshold on the norm of the renormalised couplings.

    Raises
    ------
    ConvergenceError
        If the couplings have not decayed below ``tol`` after ``max_iter`` doublings.
    """
    z = complex(z)
    if not z.imag > 0:
        raise KwantLLGError(f"surface_greens_function needs Im z > 0 (got z = {z}); at real "
                            "energies use kwant_llg.leads.selfenergy, which calls Kwant.")
    n = h0.shape[0]
    vfull = np.zeros((n, n), dtype=complex)
    vfull[:, :v.shape[1]] = v
    alpha = vfull.conj().T.copy()    # hopping cell j -> j+1 (away from the surface)
    beta = vfull.copy()              # hopping cell j+1 -> j
    eps_s = h0.copy()
    eps = h0.copy()
    eye = np.eye(n)
    scale = max(1.0, np.abs(h0).max(), np.abs(v).max())
    for _ in range(max_iter):
        g = np.linalg.solve(z * eye - eps, np.hstack([alpha, beta]))
        g_alpha, g_beta = g[:, :n], g[:, n:]
        a_g_b = alpha @ g_beta
        b_g_a = beta @ g_alpha
        eps_s += a_g_b
        eps += a_g_b + b_g_a
        alpha = alpha @ g_alpha
        beta = beta @ g_beta
        if max(np.abs(alpha).max(), np.abs(beta).max()) < tol * scale:
            return np.linalg.inv(z * eye - eps_s)
    raise ConvergenceError(
        f"Lead decimation did not converge at z = {z} after {max_iter} doublings; "
        "Im z is too small for this lead (use real-energy self-energies from Kwant there).")


def selfenergy(lead, energy, *, params=None, check_band_edge=True, edge_delta=1e-9):
    """Retarded self-energy of a Kwant lead at a real or complex energy.

    For real ``energy`` this is Kwant's own result (mode decomposition); for
    ``Im energy > 0`` it is ``v^† g_s v`` with g_s from :func:`surface_greens_function`.
    For many energies of one lead, build a :class:`LeadSolver` once instead.

    Parameters
    ----------
    lead : kwant.system.InfiniteSystem
    energy : float or complex
    params : dict
    check_band_edge : bool
        At real energies, raise :class:`BandEdgeError` if the number of propagating modes
        changes within ``energy ± edge_delta`` (the energy sits on a band edge, where the
        self-energy has a square-root singularity and the result depends on rounding).

    Returns
    -------
    ndarray, shape (n_interface, n_interface)
    """
    return LeadSolver(lead, params=params).selfenergy(
        energy, check_band_edge=check_band_edge, edge_delta=edge_delta)


class LeadSolver:
    """A Kwant lead with its cell Hamiltonian and hopping evaluated once.

    ``lead.modes(E, params=...)`` and ``lead.selfenergy(...)`` call the value functions of
    the lead again at every energy; in energy integrals (thousands of energies, e.g. the
    2N+1 sidebands of every Floquet node) that is a third of the cost. A lead that
    conserves σ_z (orbitals ordered up, down on every site, no spin-flip terms) is solved
    as two independent spin blocks of half the size, which gives the same self-energy (to
    rounding) for less work (the generalised eigenproblem of the mode solver scales as the
    cube of its size). Declared discrete symmetries only fix the basis of the modes, not Σ.

    Parameters
    ----------
    lead : kwant.system.InfiniteSystem
    params : dict, optional
        Value-function parameters of the lead.

    Attributes
    ----------
    h0, v : ndarray
        :func:`lead_matrices`.
    spin_z : bool
        Whether the lead conserves σ_z (:func:`conserves_spin_z`).
    """

    def __init__(self, lead, *, params=None):
        self.h0, self.v = lead_matrices(lead, params=params)
        self.spin_z = conserves_spin_z(self.h0, self.v)
        if self.spin_z:
            self._blocks = [(self.h0[s::2, s::2], self.v[s::2, s::2]) for s in (0, 1)]
            if any(not np.any(v) for _, v in self._blocks):
                self._blocks = None      # a spin species that does not propagate at all
        else:
            self._blocks = None
        if self._blocks is None:
            self._symmetry = _validated_symmetry(lead, params, self.h0, self.v)

    def _solve(self, energy):
        """(Σ, number of propagating modes) at a real energy."""
        if self._blocks is None:
            return _block_selfenergy(self.h0, self.v, energy, self._symmetry)
        sigma = np.zeros((self.v.shape[1],) * 2, dtype=complex)
        count = 0
        for s, (h, v) in enumerate(self._blocks):
            sigma[s::2, s::2], n = _block_selfenergy(h, v, energy)
            count += n
        return sigma, count

    def num_propagating(self, energy):
        """Number of propagating modes (incoming plus outgoing) at a real energy."""
        return self._solve(float(energy))[1]

    def selfenergy(self, energy, *, check_band_edge=True, edge_delta=1e-9):
        """Retarded self-energy at a real or complex energy (see :func:`selfenergy`)."""
        energy = complex(energy)
        if energy.imag < 0:
            raise KwantLLGError(
                f"Only retarded self-energies (Im E >= 0) are provided, got E = {energy}.")
        if energy.imag > 0:
            gs = surface_greens_function(energy, self.h0, self.v)
            return self.v.conj().T @ gs @ self.v
        e = energy.real
        sigma, count = self._solve(e)
        if check_band_edge:
            delta = edge_delta * max(1.0, abs(e))
            if any(self.num_propagating(e + d) != count for d in (-delta, delta)):
                raise BandEdgeError(
                    f"Energy E = {e!r} is at a band edge of a lead (the number of propagating "
                    f"modes changes within E ± {delta:.0e}); the self-energy is singular there. "
                    "Shift the energy slightly (e.g. by 1e-6).")
        return sigma


def _block_selfenergy(h0, v, energy, symmetry=None):
    """Retarded self-energy v^† g_s v and number of propagating modes at a real energy.

    Kwant's mode solver (``kwant.physics.modes``) spends most of its time on small leads in
    the bookkeeping of conservation laws (sparse basis changes); without declared
    symmetries it reduces to one call of its block solver, which is made directly here.
    The self-energy is that of ``StabilizedModes.selfenergy`` (outgoing modes only).
    """
    n, k = v.shape
    if not np.any(v):
        return np.zeros((k, k), dtype=complex), 0
    ham = h0.copy()
    ham.flat[::n + 1] -= energy
    if symmetry is not None and any(x is not None for x in symmetry):
        if energy:
            symmetry = _without_energy_symmetries(symmetry)
        prop, stab = kwant.physics.modes(ham, v, discrete_symmetry=symmetry)
        return np.asarray(stab.selfenergy(), dtype=complex), len(prop.velocities)
    hop = np.zeros_like(ham)
    hop[:, :k] = v
    _, _, velocities, vecs, vecs_lmbdainv, sqrt_hop = _kwant_leads.compute_block_modes(
        ham, hop, 1e6, None, None, None, None)
    out = slice(len(velocities) // 2, None)
    sqrt_hop = sqrt_hop[:k]
    sigma = sqrt_hop @ vecs[:, out] @ np.linalg.solve(vecs_lmbdainv[:, out],
                                                      sqrt_hop.conj().T)
    return sigma, len(velocities)


def _validated_symmetry(lead, params, h0, v):
    """The lead's declared discrete symmetries with the broken ones removed, as Kwant's
    ``InfiniteSystem.modes`` does (its warnings are emitted once here)."""
    symmetry = lead.discrete_symmetry(params=params)
    names = {"Conservation law": "projectors", "Time reversal": "time_reversal",
             "Particle-hole": "particle_hole", "Chiral": "chiral"}
    for name in set(symmetry.validate(h0) + symmetry.validate(v)):
        warnings.warn(f"Hamiltonian breaks {name}, ignoring the symmetry in the computation.",
                      stacklevel=4)
        setattr(symmetry, names[name], None)
    return symmetry


def _without_energy_symmetries(symmetry):
    """Particle-hole and chiral symmetries hold at zero energy only."""
    symmetry = copy.copy(symmetry)
    symmetry.particle_hole = symmetry.chiral = None
    return symmetry


def coupling_factor(sigma, *, rtol=1e-10):
    """Factor the broadening Γ = i(Σ − Σ^†) as W W^† with W of full column rank.

    Eigenvalues of Γ below ``rtol`` times max(‖Σ‖, largest eigenvalue) are dropped, so that
    at energies without open channels (where Γ is rounding noise) no channel is invented.

    Returns
    -------
    w : ndarray, shape (n, k)
        ``k`` is the number of nonzero eigenvalues of Γ (the open channels of the lead).
    """
    gamma = 1j * (sigma - sigma.conj().T)
    gamma = 0.5 * (gamma + gamma.conj().T)
    vals, vecs = np.linalg.eigh(gamma)
    scale = max(vals.max(initial=0.0), np.abs(sigma).max(initial=0.0), 1e-300)
    keep = vals > rtol * scale
    return vecs[:, keep] * np.sqrt(vals[keep])


def conserves_spin_z(h0, v, *, atol=1e-12):
    """Whether a lead with orbitals ordered (up, down) per site conserves σ_z."""
    if h0.shape[0] % 2:
        return False
    for mat in (h0, v):
        up = mat[0::2]
        down = mat[1::2]
        if np.abs(up[:, 1::2]).max(initial=0) > atol or np.abs(down[:, 0::2]).max(initial=0) > atol:
            return False
    return True
