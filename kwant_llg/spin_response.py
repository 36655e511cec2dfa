r"""Frozen spin density s_D with bias (Eqs. 11, 14), its time-reversal split (Eq. 13) and the
spin-transfer / spin-orbit torque with its fieldlike and dampinglike parts (Xu et al.,
PRB 108, 144409 (2023)). Real-axis integrals over the scattering states, as in
:mod:`kwant_llg.coefficients` (whose names these are also exported under).
"""

import numpy as np

from ._common import KwantLLGError, SIGMA
from .coefficients import _Frozen, _energy_window, _fermi, _integrate, _occupations

__all__ = ["SpinDensity", "spin_density", "time_reversal_split", "SpinTorque", "spin_torque"]


class SpinDensity:
    """Frozen nonequilibrium spin density, Eqs. (11, 14).

    Attributes
    ----------
    sigma : ndarray (num_sites, 3)
        ⟨σ⟩ per site (project convention); the paper's s = ⟨σ⟩/2.
    error : float
    """

    def __init__(self, sigma, error):
        self.sigma, self.error = sigma, float(error)

    @property
    def total(self):
        """s_D = Σ_sites ⟨σ⟩/2 (Eq. 11, the paper's convention)."""
        return self.sigma.sum(axis=0) / 2


def spin_density(greens, m, *, mu, kT=0.0, onsite_values=None, tol=1e-10, e_min=None):
    r"""⟨σ⟩ per site from s_D = −(i/2) ∫ dE/2π Tr[σ G_f^<] (Eqs. 11, 14), with bias.

    G^< = i Σ_α f_α ψ_α ψ_α^†; the real-axis integral covers the scattering states.
    """
    mu, kT = _occupations(greens, mu, kT)
    m = greens.magnetization_array(m)
    lo, hi, points = _energy_window(greens, mu, kT, onsite_values, e_min)
    n = greens.num_sites

    def integrand(e):
        fr = _Frozen(greens, e, m, onsite_values)
        w = _fermi(e, mu, kT)[fr.labels]
        psi = (fr.psi * np.sqrt(w)).reshape(n, 2, -1)
        return np.einsum("sak,iab,sbk->si", psi.conj(), SIGMA, psi).real.ravel() / (2 * np.pi)

    value, err = _integrate(integrand, lo, hi, points, tol, "the spin density (Eq. 14)")
    return SpinDensity(value.reshape(n, 3), err)


def time_reversal_split(greens, m, *, mu, kT=0.0, reversed_greens=None, onsite_values=None,
                        tol=1e-10):
    r"""Split of s_D into time-reversal symmetric and antisymmetric parts (Eq. 13).

    Time reversal flips m and every magnetic field and leaves the spin-orbit coupling
    invariant; spin is odd. Hence

        s^s(m) = [s(m) − s̄(−m)]/2,   s^a(m) = [s(m) + s̄(−m)]/2,

    with s̄ the density of the time-reversed system: ``reversed_greens`` (a FrozenGreens of the
    same system with the Zeeman fields reversed, e.g. ``B → −B`` in the params); default
    ``greens`` itself (no field other than the exchange). s^s contains the equilibrium
    density; s^a needs a bias (the current-induced, spin-transfer/spin-orbit part).
    Returns (s^s, s^a) as SpinDensity objects.
    """
    m = greens.magnetization_array(m)
    other = greens if reversed_greens is None else reversed_greens
    if other.num_sites != greens.num_sites:
        raise KwantLLGError("reversed_greens must describe the same system as greens.")
    plus = spin_density(greens, m, mu=mu, kT=kT, onsite_values=onsite_values, tol=tol)
    minus = spin_density(other, -m, mu=mu, kT=kT, onsite_values=onsite_values, tol=tol)
    err = plus.error + minus.error
    return (SpinDensity((plus.sigma - minus.sigma) / 2, err),
            SpinDensity((plus.sigma + minus.sigma) / 2, err))


class SpinTorque:
    """Torque T = J m × ⟨σ⟩ and its fieldlike / dampinglike components (Eq. 13).

    Attributes
    ----------
    torque : ndarray (3,)
    fieldlike, dampinglike : float
        Components along the unit vectors m × u and m × (m × u).
    """

    def __init__(self, torque, fieldlike, dampinglike):
        self.torque, self.fieldlike, self.dampinglike = torque, fieldlike, dampinglike


def spin_torque(m, sigma, J, u):
    r"""Electron torque on a macrospin and its fieldlike/dampinglike split (Eq. 13).

    With the exchange energy J m·⟨σ⟩ the field on m is h = −J⟨σ⟩ and (γ = 1)
    T = −m × h = J m × ⟨σ⟩ (the paper's −J M × s_D with s_D = ⟨σ⟩/2 and JM/2 → J).

    Parameters
    ----------
    m : array_like (3,)
        Unit magnetisation.
    sigma : array_like (3,)
        Total ⟨σ⟩ (e.g. ``SpinDensity.sigma.sum(0)`` or its s^a part times 2).
    J : float
    u : array_like (3,)
        Spin-current direction; its part ⊥ m is used (u·M = 0 in the paper).
    """
    m = np.asarray(m, dtype=float)
    u = np.asarray(u, dtype=float)
    u = u - np.dot(u, m) * m
    if np.linalg.norm(u) < 1e-12:
        raise KwantLLGError("u must not be parallel to m.")
    u = u / np.linalg.norm(u)
    torque = J * np.cross(m, np.asarray(sigma, dtype=float))
    e_fl = np.cross(m, u)
    e_dl = np.cross(m, e_fl)
    return SpinTorque(torque, float(torque @ e_fl), float(torque @ e_dl))
