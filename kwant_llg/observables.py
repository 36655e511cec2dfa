"""One-call functional interface: spin density, LDOS, transmission and DOS at one energy.

Each function builds a :class:`~kwant_llg.FrozenGreens` for a single evaluation. For
loops over textures (time evolution) create the :class:`~kwant_llg.FrozenGreens` once and
call its methods instead; that reuses everything that does not depend on m.
"""

from ._common import KwantLLGError
from .greens import FrozenGreens

__all__ = ["spin_density", "ldos", "transmission", "dos", "frozen_solution"]


def frozen_solution(fsyst, energy, *, params, magnetization="m", solver="auto"):
    """Scattering solution for the magnetisation ``params[magnetization]``.

    Returns
    -------
    ScatteringSolution
    """
    params = dict(params or {})
    if magnetization not in params:
        raise TypeError(f'System is missing required arguments: "{magnetization}". '
                        "Pass the magnetisation in params (array (num_sites, 3) or callable).")
    m = params.pop(magnetization)
    greens = FrozenGreens(fsyst, energy, params=params, magnetization=magnetization, solver=solver)
    return greens.solve(m)


def spin_density(fsyst, energy, *, params, lead=None, per_lead=False, magnetization="m",
                 solver="auto"):
    """Nonequilibrium local spin density ⟨σ⟩ per site at a real energy.

    s_i^a(E) = (1/2π) Σ_α Tr_s[σ^a (G^r Γ_α G^a)_ii], the Fermi-surface part of Eq. (33)
    of Xu et al. (2023) per unit energy, from the scattering states of lead(s) α.

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
        Finalized system, 2 orbitals per site (up, down).
    energy : float
    params : dict
        Value-function parameters; ``params[magnetization]`` is the magnetisation, an array
        (num_sites, 3) ordered like ``fsyst.sites`` or a callable site -> 3-vector.
    lead : int or sequence of int, optional
        Restrict to the states injected from these leads.
    per_lead : bool
        Return (num_leads, num_sites, 3) instead of the sum over leads.

    Returns
    -------
    ndarray, shape (num_sites, 3)
    """
    sol = frozen_solution(fsyst, energy, params=params, magnetization=magnetization, solver=solver)
    return sol.spin_density(lead, per_lead=per_lead)


def ldos(fsyst, energy, *, params, magnetization="m", solver="auto"):
    """Local density of states per site (summed over spin), like ``kwant.ldos``."""
    return frozen_solution(fsyst, energy, params=params, magnetization=magnetization,
                           solver=solver).ldos()


def dos(fsyst, energy, *, params, magnetization="m", solver="auto"):
    """Density of states of the scattering region at ``energy`` (sum of the LDOS)."""
    return frozen_solution(fsyst, energy, params=params, magnetization=magnetization,
                           solver=solver).dos()


def transmission(fsyst, energy, *, params, to_lead=None, from_lead=None, spin=None,
                 magnetization="m", solver="auto"):
    """Transmission T_{αβ}(E) from lead β to lead α (Kwant's order), optionally spin resolved.

    Without ``to_lead``/``from_lead`` the full matrix (num_leads, num_leads) is returned,
    reflections on the diagonal. ``spin=(s_out, s_in)`` with s = ±1 resolves σ_z
    (only for leads that conserve it).
    """
    if (to_lead is None) != (from_lead is None):
        raise KwantLLGError("Give both to_lead and from_lead, or neither for the full matrix.")
    sol = frozen_solution(fsyst, energy, params=params, magnetization=magnetization, solver=solver)
    return sol.transmission(to_lead, from_lead, spin=spin)
