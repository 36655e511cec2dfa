r"""Exchange torque of the conduction electrons on the magnetisation (Eqs. 8, 13, 14).

For an onsite exchange H_i(m) = H_i^static + Σ_a m_i^a X_i^a (``greens.exchange``), the field on
m_i is h_i = −∂⟨H⟩/∂m_i = −⟨X_i⟩ and the torque in the project's LLG (γ = 1,
docs/conventions.md) is

    T_i = −m_i × h_i = m_i × ⟨X_i⟩,   ⟨X_i^a⟩ = Σ_b C_i^{ab} ⟨σ_b⟩_i,   C_i^{ab} = Tr[X_i^a σ_b]/2,

i.e. T_i = J m_i × ⟨σ⟩_i for the exchange J σ·m_i (the paper's −J M × s_D of Eqs. 8/13 with
s_D = ⟨σ⟩/2 and JM/2 → J). For that exchange the same quantity is half of Kwant's
``kwant.operator.Source`` of σ (the onsite part of i⟨[H, σ]⟩ = 2 J m_i × ⟨σ⟩_i, tested).

:class:`MacrospinTorque` tabulates the torque of the frozen, biased electron system on a
uniformly rotated magnetisation (the single-molecule magnet of Fig. 1 as a macrospin), for
:class:`kwant_llg.macrospin.Macrospin`: current-driven switching with the device's own
spin-transfer torque.

Public API
----------
exchange_coupling(greens) -> ndarray (num_sites, 3, 3)        C_i^{ab}
local_torque(greens, m, sigma) -> ndarray (num_sites, 3)       T_i = m_i × (C_i ⟨σ⟩_i)
uniform_spin_densities(greens, directions, *, mu, kT=0.0, tol=1e-8) -> (n, num_sites, 3)
MacrospinTorque(greens, *, mu, kT=0.0, axis=(0, 0, 1), num_angles=8, tol=1e-8)
"""

import numpy as np

from ._common import KwantLLGError, SIGMA
from . import coefficients as _co

__all__ = ["exchange_coupling", "local_torque", "uniform_spin_densities", "MacrospinTorque"]


def exchange_coupling(greens):
    r"""C_i^{ab} = Tr[X_i^a σ_b]/2 of the exchange blocks X_i^a = ∂H_i/∂m_i^a.

    Raises if some X_i^a has a trace (a charge coupling that ⟨σ⟩ alone cannot express).
    """
    x = np.asarray(greens.exchange)
    trace = np.einsum("iaxx->ia", x)
    if np.abs(trace).max(initial=0.0) > 1e-12 * max(1.0, np.abs(x).max(initial=0.0)):
        raise KwantLLGError("The exchange blocks ∂H/∂m have a trace (they couple m to the "
                            "charge); the torque from ⟨σ⟩ needs traceless exchange blocks.")
    return np.einsum("iaxy,byx->iab", x, SIGMA).real / 2


def local_torque(greens, m, sigma):
    r"""Per-site exchange torque T_i = m_i × ⟨X_i⟩ = m_i × (C_i ⟨σ⟩_i) (Eqs. 8, 13).

    Parameters
    ----------
    greens : FrozenGreens
    m : array_like (num_sites, 3) or callable
    sigma : array_like (num_sites, 3)
        ⟨σ⟩ per site (a Fermi-sea density of :func:`kwant_llg.coefficients.spin_density`, or
        the energy-resolved one of ``FrozenGreens.solve(...).spin_density()``).

    Returns
    -------
    ndarray (num_sites, 3)
        J m_i × ⟨σ⟩_i for the exchange J σ·m_i; zero on sites without exchange.
    """
    m = greens.magnetization_array(m)
    sigma = np.asarray(sigma, dtype=float)
    if sigma.shape != m.shape or not np.all(np.isfinite(sigma)):
        raise KwantLLGError(f"sigma must be a finite array of shape {m.shape}, "
                            f"got {sigma.shape}.")
    return np.cross(m, np.einsum("iab,ib->ia", exchange_coupling(greens), sigma))


def uniform_spin_densities(greens, directions, *, mu, kT=0.0, tol=1e-8, onsite_values=None,
                           e_min=None):
    r"""⟨σ⟩ per site (Eq. 14, as :func:`kwant_llg.coefficients.spin_density`) for several
    uniform magnetisations at once, on one shared adaptive energy quadrature.

    Parameters
    ----------
    greens : FrozenGreens
    directions : array_like (n, 3)
        Unit vectors; texture k is ``directions[k]`` on every site.
    mu, kT : float or sequence (one per lead)
    tol : float
        Relative tolerance of the energy quadrature (shared by all directions).

    Returns
    -------
    ndarray (n, num_sites, 3)
    """
    dirs = np.asarray(directions, dtype=float)
    if dirs.ndim != 2 or dirs.shape[1] != 3 or not np.all(np.isfinite(dirs)) \
            or np.any(np.abs(np.linalg.norm(dirs, axis=1) - 1) > 1e-8):
        raise KwantLLGError("directions must be an (n, 3) array of unit vectors.")
    mu, kT = _co._occupations(greens, mu, kT)
    n = greens.num_sites
    textures = [np.tile(d, (n, 1)) for d in dirs]
    lo, hi, points = _co._energy_window(greens, mu, kT, onsite_values, e_min)

    def integrand(e):
        out = []
        for m in textures:
            fr = _co._Frozen(greens, e, m, onsite_values)
            w = _co._fermi(e, mu, kT)[fr.labels]
            psi = (fr.psi * np.sqrt(w)).reshape(n, 2, -1)
            out.append(np.einsum("sak,iab,sbk->si", psi.conj(), SIGMA, psi).real.ravel())
        return np.concatenate(out) / (2 * np.pi)

    value, _ = _co._integrate(integrand, lo, hi, points, tol, "the spin density (Eq. 14)")
    return value.reshape(len(dirs), n, 3)


def _frame(axis):
    axis = np.asarray(axis, dtype=float)
    if axis.shape != (3,) or not np.all(np.isfinite(axis)) or np.linalg.norm(axis) == 0:
        raise KwantLLGError(f"axis must be a nonzero 3-vector, got {axis!r}.")
    a = axis / np.linalg.norm(axis)
    trial = np.array([1.0, 0, 0]) if abs(a[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = trial - np.dot(trial, a) * a
    e1 /= np.linalg.norm(e1)
    return a, e1, np.cross(a, e1)


class MacrospinTorque:
    r"""Electron torque on a macrospin, T(m) = Σ_i m × ⟨X_i⟩ at the frozen uniform m (Eq. 13),
    tabulated for a device that is symmetric under spin rotations about ``axis``.

    With leads polarised along ±axis, fields along it and no spin-orbit coupling, the torque
    in the frame (e_θ, e_φ) of m depends on the polar angle θ only and vanishes at the poles:
    T = sin θ [f_θ(θ) e_θ + f_φ(θ) e_φ]. f_θ, f_φ are smooth and even in θ; they are
    sampled at the Chebyshev midpoints θ_k = π(k + ½)/N and expanded in cos(nθ), n < N
    (spectral interpolation). The rotational symmetry is checked at one rotated direction.

    Parameters
    ----------
    greens : FrozenGreens
    mu, kT : float or sequence (one per lead)
        Bias: e.g. ``mu=(E_F + V/2, E_F − V/2)``.
    axis : array_like (3,)
        Symmetry axis (the easy axis and lead polarisation axis).
    num_angles : int
        N, number of polar angles computed (≥ 2).
    tol : float
        Relative tolerance of the energy quadrature.
    sites : sequence of int, optional
        Magnetic sites whose torque is summed (default: all).
    onsite_values : dict, optional
        Values of declared onsite parameters (as for the coefficients).
    symmetry_tol : float
        Relative tolerance of the rotational-symmetry check (raises beyond it).

    Attributes
    ----------
    thetas, table : ndarray
        The angles θ_k and the torques there (N, 3) for m in the (axis, e₁) plane.
    linear : complex
        c of the linearised torque T_u = c u about m = +axis, u = m·e₁ + i m·e₂.

    Calling ``torque(t, m)`` returns T(m) (the ``torque=`` argument of ``Macrospin``).
    """

    def __init__(self, greens, *, mu, kT=0.0, axis=(0.0, 0.0, 1.0), num_angles=8, tol=1e-8,
                 sites=None, onsite_values=None, symmetry_tol=1e-6):
        if int(num_angles) != num_angles or num_angles < 2:
            raise KwantLLGError(f"num_angles must be an integer >= 2, got {num_angles!r}.")
        self.axis, self.e1, self.e2 = _frame(axis)
        n = int(num_angles)
        self.thetas = np.pi * (np.arange(n) + 0.5) / n
        dirs = [np.cos(t) * self.axis + np.sin(t) * self.e1 for t in self.thetas]
        # symmetry check: the first angle, rotated about the axis by φ = 1
        phi = 1.0
        dirs.append(np.cos(self.thetas[0]) * self.axis + np.sin(self.thetas[0])
                    * (np.cos(phi) * self.e1 + np.sin(phi) * self.e2))
        sigma = uniform_spin_densities(greens, dirs, mu=mu, kT=kT, tol=tol,
                                       onsite_values=onsite_values)
        sel = _co._site_array(greens, sites)
        torques = np.array([local_torque(greens, np.tile(d, (greens.num_sites, 1)), s)[sel]
                            .sum(0) for d, s in zip(dirs, sigma)])
        self.table = torques[:n]
        rotated = self._rotate(self.table[0], phi)
        scale = max(np.abs(self.table).max(), 1e-300)
        if np.abs(rotated - torques[n]).max() > symmetry_tol * scale:
            raise KwantLLGError("The torque is not symmetric under rotations about axis "
                                "(spin-orbit coupling, or leads/fields not along the axis): it "
                                "cannot be tabulated in θ alone.")
        e_theta = [np.cos(t) * self.e1 - np.sin(t) * self.axis for t in self.thetas]
        f_theta = np.array([tq @ e for tq, e in zip(self.table, e_theta)]) / np.sin(self.thetas)
        f_phi = self.table @ self.e2 / np.sin(self.thetas)
        # cosine series through the midpoints (discrete cosine transform, type II)
        k = np.arange(n)
        basis = np.cos(np.outer(self.thetas, k))
        self._coef = np.linalg.solve(basis, np.stack([f_theta, f_phi], axis=1))
        f0 = self._coef.sum(axis=0)                     # f(θ = 0)
        self.linear = complex(f0[0] + 1j * f0[1])

    def _rotate(self, vec, phi):
        a = self.axis
        return (vec * np.cos(phi) + np.cross(a, vec) * np.sin(phi)
                + a * np.dot(a, vec) * (1 - np.cos(phi)))

    def components(self, theta):
        """(f_θ(θ), f_φ(θ)) of the cosine series: T = sin θ (f_θ e_θ + f_φ e_φ)."""
        theta = np.asarray(theta, dtype=float)
        basis = np.cos(np.multiply.outer(theta, np.arange(len(self.thetas))))
        return basis @ self._coef

    def __call__(self, t, m):
        m = np.asarray(m, dtype=float)
        m = m / np.linalg.norm(m)
        a = self.axis
        cos_t = float(np.clip(np.dot(m, a), -1.0, 1.0))
        m_perp = m - cos_t * a
        f_theta, f_phi = self.components(np.arccos(cos_t))
        # sin θ e_θ = cos θ m_⊥ − sin²θ a,  sin θ e_φ = a × m_⊥  (regular at the poles)
        return f_theta * (cos_t * m_perp - (1 - cos_t ** 2) * a) + f_phi * np.cross(a, m_perp)

    def growth_rate(self, *, field, alpha, gamma=1.0):
        r"""Re s of the tilt u ∝ e^{st} about m = +axis in the field ``field``·axis (e.g. 2K + B):
        (1 − iα) u̇ = (iγH + c) u (linearised Eq. 1 of :mod:`kwant_llg.macrospin`).
        Positive: +axis is unstable (current-driven switching)."""
        return float(((1j * gamma * field + self.linear) / (1 - 1j * alpha)).real)
