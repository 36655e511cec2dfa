"""The single-molecule-magnet quantum dot of Xu et al., PRB 108, 144409 (2023), Fig. 1.

A dot of ``n`` spin-degenerate levels (Eq. 4) with antisymmetric spin-orbit hopping
t^SO_nm = −t^SO_mn between the up component of level m and the down component of level n,
exchange J σ·m with the macrospin direction m (the paper's (JM/2) σ·m, Eq. 3/A5, see
docs/conventions.md), an optional Zeeman energy σ·B (the paper's (γ_e/2) σ·B), and two leads
(Eqs. 2, 5–7).

Each lead is a semi-infinite spin-degenerate chain (hopping −t_lead) whose first site (the
*contact*, part of the scattering region, no exchange) couples to every level n by
V_n = v_n (√(1+p) P₊ + √(1−p) P₋), P± = (1 ± σ·n_lead)/2 the projectors on the lead's
polarisation axis (Eqs. 6–7: the spin-dependent coupling in the frame of the lead), so that
in the wide-band limit t_lead → ∞ the dot's broadening is

    Γ_α = (2 |v|² / t_lead) (1 + p σ·n_lead) = Γ (1 + p σ·n_lead),

energy independent. At finite t_lead the lead self-energy on the dot is exact
(Σ(E) = V† g_s(E) V with the chain's g_s), so every check against closed forms uses that.

Public API
----------
molecule(levels, *, t_so=None, gamma=(0.1, 0.1), polarization=(0.0, 0.0),
         lead_axis=((0, 0, 1), (0, 0, 1)), couplings=None, lead_hopping=100.0)
    -> kwant.Builder   (value-function parameters: ``J``, ``m``, ``B``)
molecule_params(**overrides) -> dict(J=..., B=(0, 0, 0))
chain_surface_greens(energy, lead_hopping) -> complex   (g_s of the chain, closed form)
"""

import numpy as np
import kwant

from ._common import SIGMA, SIGMA_0, KwantLLGError

__all__ = ["molecule", "molecule_params", "chain_surface_greens"]


def molecule_params(**overrides):
    """Default parameters of :func:`molecule`: J = 0.5, B = 0 (energy units)."""
    params = dict(J=0.5, B=(0.0, 0.0, 0.0))
    params.update(overrides)
    return params


def chain_surface_greens(energy, lead_hopping):
    r"""Surface Green's function g_s(E) of a semi-infinite chain (onsite 0, hopping −t).

    g_s = (E − i √(4t² − E²)) / (2t²) inside the band |E| < 2t (retarded branch), the decaying
    real root outside. Used for closed forms of the dot with :func:`molecule` leads.
    """
    t = float(lead_hopping)
    e = complex(energy)
    root = np.sqrt(e * e - 4 * t * t)
    if e.real < 0 and abs(e.imag) == 0:
        root = -root if abs(e.real) > 2 * t else root
    g = (e - root) / (2 * t * t)
    if abs(e.real) < 2 * t and g.imag > 0:
        g = (e + root) / (2 * t * t)
    return complex(g)


def _projectors(axis):
    n = np.asarray(axis, dtype=float)
    if n.shape != (3,) or not np.all(np.isfinite(n)) or np.linalg.norm(n) == 0:
        raise KwantLLGError(f"A lead polarisation axis must be a nonzero 3-vector, got {axis!r}.")
    n = n / np.linalg.norm(n)
    s = np.tensordot(n, SIGMA, axes=1)
    return (SIGMA_0 + s) / 2, (SIGMA_0 - s) / 2


def molecule(levels, *, t_so=None, gamma=(0.1, 0.1), polarization=(0.0, 0.0),
             lead_axis=((0, 0, 1), (0, 0, 1)), couplings=None, lead_hopping=100.0):
    r"""Kwant builder of the quantum dot of Fig. 1 (Eqs. 2–7).

    Parameters
    ----------
    levels : array_like (n,)
        Orbital energies ε_n (spin degenerate; the spin splitting comes from J σ·m and σ·B).
    t_so : array_like (n, n), optional
        Spin-orbit hopping of Eq. (4), antisymmetric (t^SO_nm = −t^SO_mn), real or complex.
        The dot Hamiltonian contains Σ_mn t^SO_nm d†_{m↑} d_{n↓} + h.c.
    gamma : pair of float
        Wide-band broadening Γ_α ≥ 0 of each lead (energy units, Γ_α = 2|v|²/t_lead summed
        over levels when ``couplings`` is None: each level couples with v = √(Γ_α t_lead/2)).
    polarization : pair of float
        Lead spin polarisation p_α ∈ (−1, 1) (ferromagnetic leads, Eqs. 6–7); 0: normal.
    lead_axis : pair of 3-vectors
        Polarisation axis of each lead.
    couplings : array_like (2, n), optional
        Relative coupling amplitudes of each level to each lead (default all 1); the
        broadening matrix of lead α in the wide-band limit is Γ_α c_α c_α^† (1 + p σ·n).
    lead_hopping : float
        Chain hopping t_lead (bandwidth 4 t_lead); large values approach the wide-band limit.

    Returns
    -------
    kwant.Builder
        Sites: ``dot(n)`` for the levels (positions 0…n−1) and contact sites; parameters
        ``J`` (exchange), ``m`` (callable site → 3-vector, the magnetisation direction, as in
        :mod:`kwant_llg.devices`), ``B`` (Zeeman energy vector, onsite σ·B on the levels).
    """
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    n = len(levels)
    if levels.ndim != 1 or n < 1 or not np.all(np.isfinite(levels)):
        raise KwantLLGError(f"levels must be a non-empty finite 1D array, got {levels!r}.")
    t_so = np.zeros((n, n)) if t_so is None else np.asarray(t_so)
    if t_so.shape != (n, n) or not np.all(np.isfinite(t_so)):
        raise KwantLLGError(f"t_so must be a finite ({n}, {n}) array, got shape {t_so.shape}.")
    if not np.allclose(t_so, -t_so.T, atol=1e-14):
        raise KwantLLGError("t_so must be antisymmetric (t^SO_nm = −t^SO_mn, Eq. 4); "
                            "pass (A − A.T)/2 of your matrix.")
    gamma = np.asarray(gamma, dtype=float)
    polarization = np.asarray(polarization, dtype=float)
    if gamma.shape != (2,) or not np.all(np.isfinite(gamma)) or np.any(gamma < 0):
        raise KwantLLGError(f"gamma must be two finite broadenings Γ_α >= 0, got {gamma!r}.")
    if polarization.shape != (2,) or np.any(np.abs(polarization) >= 1):
        raise KwantLLGError(f"polarization must be two numbers in (−1, 1), got {polarization!r}.")
    if not (np.isfinite(lead_hopping) and lead_hopping > 0):
        raise KwantLLGError(f"lead_hopping must be positive, got {lead_hopping!r}.")
    couplings = np.ones((2, n)) if couplings is None else np.asarray(couplings)
    if couplings.shape != (2, n):
        raise KwantLLGError(f"couplings must have shape (2, {n}), got {couplings.shape}.")

    dot = kwant.lattice.chain(a=1, norbs=2, name="dot")
    syst = kwant.Builder()

    def make_onsite(eps):
        def onsite(site, J, m, B):
            return (eps * SIGMA_0 + J * np.tensordot(m(site), SIGMA, axes=1)
                    + np.tensordot(np.asarray(B, dtype=float), SIGMA, axes=1))
        return onsite

    for i, eps in enumerate(levels):
        syst[dot(i)] = make_onsite(float(eps))
    # Eq. (4): t^SO_nm d†_{m↑} d_{n↓} + h.c.; Kwant's syst[a, b] is the block <a|H|b>.
    for mm in range(n):
        for nn in range(mm + 1, n):
            block = np.zeros((2, 2), dtype=complex)
            block[0, 1] = t_so[nn, mm]             # <m↑|H|n↓>
            block[1, 0] = np.conj(t_so[mm, nn])    # <m↓|H|n↑> from the h.c. of the (n, m) term
            if np.any(block):
                syst[dot(mm), dot(nn)] = block
    t_lead = float(lead_hopping)
    for alpha in range(2):
        lat = kwant.lattice.chain(a=1, norbs=2, name=f"lead{alpha}")
        syst[lat(0)] = 0 * SIGMA_0
        p_up, p_dn = _projectors(lead_axis[alpha])
        p = polarization[alpha]
        v = np.sqrt(gamma[alpha] * t_lead / 2)
        spin = np.sqrt(1 + p) * p_up + np.sqrt(1 - p) * p_dn
        for i in range(n):
            if couplings[alpha, i] != 0:
                # <contact|H|level> = V, so Σ_dot = V† g_s V and Γ = Γ_α c c† spin².
                syst[lat(0), dot(i)] = v * couplings[alpha, i] * spin
        lead = kwant.Builder(kwant.TranslationalSymmetry((-1,) if alpha == 0 else (1,)))
        lead[lat(0)] = 0 * SIGMA_0
        lead[lat.neighbors()] = -t_lead * SIGMA_0
        syst.attach_lead(lead)
    return syst
