r"""Time-resolved density of the whole Fermi sea of a periodically driven frozen texture.

The zero-temperature many-body state of the leads, driven periodically by the gates
(:mod:`kwant_llg.floquet`, all orders in the drive and in ω), fills every Floquet scattering
state ψ_{αE}(t) = e^{−iEt} Σ_n ψ_n e^{−inωt} entering from lead α at an energy E below the
Fermi energy μ of the leads. After the transients of switching on, the density matrix on the
device is periodic,

    ρ(t) = Σ_α ∫_{E_0}^{μ} dE/2π ψ_{αE}(t) ψ_{αE}(t)^†,

E_0 the lowest lead threshold (below it no channel enters), with sideband components
ρ_k = Σ_{n} ∫ dE/2π ψ_n ψ_{n−k}^† (ρ(t) = Σ_k ρ_k e^{−ikωt}). This assumes no bound states
(states below the continuum or in gaps that no lead feeds); use leads magnetised along the
texture's background, as for tkwant (:func:`kwant_llg.tdref.count_bound_states`).

The integrand is smooth in E except where a channel opens in some sideband: at the lead
thresholds ε_c (incoming channels: 1/√ singularities of the flux-normalised states) and at
ε_c − nω (outgoing channels of sideband n: √ kinks). The interval is cut there and each
piece is integrated in θ with E = a + (b − a)(1 − cos θ)/2, which removes both kinds of
endpoint singularity, by adaptive Gauss–Kronrod panels (:func:`kwant_llg.contour._integrate`).
The cuts include μ − nω, so that the panels are shifted copies of each other and the lead
data of the sideband energies are shared between nodes (:class:`~kwant_llg.floquet.FloquetCache`).

As ω → 0 this tends to the equilibrium density (Eq. 14) plus the first-order density of
:mod:`kwant_llg.adiabatic` (tested); at finite ω it equals tkwant's periodic state (tested).

The same cut panels carry the adaptive energy integral of the DC pumped charge
(:func:`kwant_llg.floquet.pumped_charge`, implemented here as ``adaptive_pumped_charge``).
"""

from dataclasses import dataclass

import numpy as np

from ._common import KwantLLGError, check_finite
from . import adiabatic_sea as _sea
from . import contour as _contour
from .floquet import FloquetCache, FloquetCharge, _check_inputs, floquet_solve

__all__ = ["FloquetDensity", "floquet_density"]


@dataclass(frozen=True)
class FloquetDensity:
    """Energy-integrated density of a driven texture at given phases of the cycle.

    Attributes
    ----------
    phases : ndarray (n_phases,)
        ω t of each row.
    spin : ndarray (n_phases, num_sites, 3)
        ⟨σ⟩_i(t) (the paper's s_D is ``spin / 2``).
    charge : ndarray (n_phases, num_sites)
        Electrons per site.
    current : ndarray (n_phases, num_leads)
        Electrons per unit time flowing from the scattering region into each lead (the
        lead-proper current at the interface, through Σ_α; Σ_α I_α = −dN/dt).
    current_spin : ndarray (n_phases, num_leads, 2) or None
        The σ_z = +1 (up) and −1 (down) parts of ``current`` (None unless every lead
        conserves σ_z).
    error : float
        Estimated absolute error of the energy integral.
    truncation : float
        Largest weight met in the outermost sidebands (sideband truncation).
    evaluations : int
        Floquet solves.
    breakpoints : ndarray
        Energies where the integral was cut.
    """

    phases: np.ndarray
    spin: np.ndarray
    charge: np.ndarray
    current: np.ndarray
    current_spin: np.ndarray
    error: float
    truncation: float
    evaluations: int
    breakpoints: np.ndarray

    @property
    def dc_current(self):
        """Cycle average of ``current`` per lead (the phases must sample a full period
        evenly, as ``2π k / n`` does)."""
        return self.current.mean(axis=0)


def _phases(phases):
    phases = np.atleast_1d(np.asarray(phases, dtype=float))
    if phases.ndim != 1 or not phases.size or not np.all(np.isfinite(phases)):
        raise KwantLLGError("phases must be finite numbers ω t (one value or a 1D array).")
    return phases


def floquet_density(greens, m, *, drive, mu, n_sidebands, phases, tol=1e-6,
                    quadrature="kronrod", n_points=16, max_points=4000, onsite_values=None,
                    cache=None, method="auto"):
    """Periodic density ρ(t) of the driven Fermi sea at T = 0 (module docstring).

    Parameters
    ----------
    greens : FrozenGreens
        With ``onsite_parameters`` containing ``drive.names``.
    m : array_like (num_sites, 3) or callable
        The frozen texture.
    drive : PumpDrive
    mu : float
        Fermi energy of all leads.
    n_sidebands : int
        Sidebands −N…N of every Floquet solve (check ``truncation``).
    phases : float or array_like
        Phases ω t of the cycle at which the density is returned.
    tol : float
        Absolute accuracy of every density component.
    quadrature : {"kronrod", "gauss"}
        Rule on each panel: 15-point Gauss–Kronrod with its embedded 7-point Gauss rule for
        the error (default; 15 Floquet solves per panel), or ``n_points`` Gauss–Legendre
        nodes with a (3n/4)-point rule for the error (28 solves per panel at n = 16).
    n_points : int
        Gauss–Legendre nodes per panel with ``quadrature="gauss"``.
    max_points : int
        Budget of Floquet solves.
    onsite_values : dict, optional
        Static offsets of the onsite parameters.
    cache : FloquetCache, optional
        Lead data and symbolic factorisation kept between calls (pass the same one for
        every texture of a time loop: the nodes do not depend on the texture until the
        adaptive subdivision changes, so a re-solve computes no lead data).
    method : {"auto", "direct", "dyson"}
        How each Floquet solve is done (:func:`kwant_llg.floquet.floquet_solve`). The first
        panel of every piece is evaluated node by node along chains E, E + ω, …, so that
        with "dyson" consecutive solves share 2N of their 2N+1 frozen solves.

    The time-resolved current into every lead (total and, for leads that conserve σ_z, per
    spin) is integrated over the same energies from the Floquet currents of each energy
    (:meth:`kwant_llg.floquet.FloquetSolution.current`); it includes the displacement part
    of the AC current, and its cycle average is the DC pumped current of
    :func:`kwant_llg.floquet.pumped_charge`.

    Returns
    -------
    FloquetDensity

    Raises
    ------
    KwantLLGError
        Bad input, or μ below every lead band; ConvergenceError when ``tol`` is not reached
        within ``max_points``.
    """
    n_sidebands = _check_inputs(greens, drive, n_sidebands)
    phases = _phases(phases)
    mu = _contour._check_real(mu, "Fermi energy mu")
    tol = _contour._check_tol(tol)
    n_points = _contour._check_n_points(n_points)
    if quadrature not in ("kronrod", "gauss"):
        raise KwantLLGError(f"quadrature must be 'kronrod' or 'gauss', got {quadrature!r}.")
    lower, upper = _contour.spectral_bounds(greens, onsite_values=onsite_values)
    omega = drive.omega
    span = (lower - 1 - n_sidebands * omega, mu + n_sidebands * omega + 1)
    edges = _sea.lead_thresholds(greens, *span)
    if not len(edges) or edges.min() >= mu:
        raise KwantLLGError(f"No lead channel is open below mu = {mu}: nothing is occupied.")
    e_0 = edges.min()
    # cuts at the lead thresholds shifted by nω, and at μ − nω: the panels are then shifted
    # copies of each other by multiples of ω, so that the sideband energies E + nω of
    # different nodes coincide and the lead data are computed once (FloquetCache)
    shifts = omega * np.arange(-n_sidebands - 1, n_sidebands + 2)
    shifted = np.concatenate([edges, [mu]])[None, :] - shifts[:, None]
    cuts = np.unique(shifted.ravel())
    cuts = cuts[(cuts > e_0) & (cuts < mu)]
    points = np.concatenate([[e_0], cuts, [mu]])
    keep = np.concatenate([[True], np.diff(points) > 1e-12 * max(1.0, abs(mu))])
    points = points[keep]

    def piece(a, b):
        def weight(theta):
            return (a + 0.5 * (b - a) * (1 - np.cos(theta)),
                    0.5 * (b - a) * np.sin(theta) / (2 * np.pi))
        return _contour._Segment(0.0, np.pi, weight)

    segments = [piece(a, b) for a, b in zip(points[:-1], points[1:])]
    phase_factor = np.exp(-1j * np.outer(phases, np.arange(-n_sidebands, n_sidebands + 1)))
    harmonics = np.arange(-2 * n_sidebands, 2 * n_sidebands + 1)
    current_factor = 2 * np.pi * np.exp(-1j * np.outer(phases, harmonics))   # undo 1/2π
    num_leads = len(greens.lead_orbitals)
    spin_ok = all(d[2] is not None for d in greens.lead_data(float(mu)))
    parts = (None, 1, -1) if spin_ok else (None,)
    truncation = [0.0]
    cache = FloquetCache(greens) if cache is None else cache

    def density_at(e):
        # the panels are cut at every shifted lead threshold: their interior nodes are
        # never on a band edge, so the guard (a third of the mode computations) is skipped
        sol = floquet_solve(greens, m, drive=drive, energy=float(e), n_sidebands=n_sidebands,
                            onsite_values=onsite_values, check_band_edge=False,
                            cache=cache, method=method)
        truncation[0] = max(truncation[0], sol.truncation)
        nb = sol.psi.shape[0]
        psi = phase_factor @ sol.psi.reshape(nb, -1)                 # ψ(t) per phase
        psi = psi.reshape(len(phases), -1, 2, sol.psi.shape[-1])
        up, down = psi[:, :, 0], psi[:, :, 1]
        updown = (up.conj() * down).sum(axis=-1)
        n_up = (up.real ** 2 + up.imag ** 2).sum(axis=-1)
        n_down = (down.real ** 2 + down.imag ** 2).sum(axis=-1)
        # [n, ψ†σ_xψ, ψ†σ_yψ, ψ†σ_zψ] per phase and site
        dens = np.stack([n_up + n_down, 2 * updown.real, 2 * updown.imag, n_up - n_down],
                        axis=-1)
        cur = np.array([[sol.current(a, spin=s) for s in parts] for a in range(num_leads)])
        cur = np.einsum("tk,ask->tas", current_factor, cur)
        out = np.concatenate([dens.ravel(), cur.real.ravel()])
        return check_finite(out, "Floquet density")

    def evaluate(energies):
        return np.array([density_at(e.real) for e in energies])

    def contract(w, vals):
        return np.einsum("k,k...->...", w.real, vals)

    def first_pass(tasks):
        # the first panels of all pieces at once, node by node in chains E, E + ω, E + 2ω…
        # (nodes of shifted panels): consecutive solves then share 2N of their 2N+1
        # sideband energies, and the frozen solves of method="dyson" are reused
        nodes = [(k, j, float(z.real)) for k, (zs, _) in enumerate(tasks)
                 for j, z in enumerate(zs)]
        residue = [np.round(np.mod(e - mu, omega) / omega, 8) % 1.0 for _, _, e in nodes]
        order = sorted(range(len(nodes)), key=lambda i: (residue[i], nodes[i][2]))
        sums = [None] * len(tasks)
        for i in order:
            k, j, e = nodes[i]
            val = density_at(e)
            (wf, wc) = tasks[k][1]
            if sums[k] is None:
                sums[k] = [np.zeros_like(val), np.zeros_like(val)]
            sums[k][0] += wf[j].real * val
            sums[k][1] += wc[j].real * val
        return sums

    value, error, count = _contour._integrate(
        segments, evaluate, contract, n_points, tol, max_points,
        "Fermi-sea integral of the Floquet density", rule=quadrature, first_pass=first_pass)
    nd = len(phases) * greens.num_sites * 4
    dens = value[:nd].reshape(len(phases), greens.num_sites, 4)
    cur = value[nd:].reshape(len(phases), num_leads, len(parts))
    return FloquetDensity(phases, dens[..., 1:], dens[..., 0], cur[..., 0],
                          cur[..., 1:] if spin_ok else None, float(error),
                          float(truncation[0]), int(count), points)


def adaptive_pumped_charge(greens, m, *, drive, mu, n_sidebands, tol, max_points,
                           onsite_values=None, cache=None, method="auto"):
    """The adaptive rule of :func:`kwant_llg.floquet.pumped_charge` (see there).

    The integrand at E in the panel μ + jω < E < μ + (j+1)ω is
    (1/ω) Σ_n s_n(j) Σ_{α,β} |S_{αβ}(E + nω ← E)|², with s_n(j) = +1 for n > 0, −n ≤ j < 0,
    −1 for n < 0, 0 ≤ j < −n, else 0; per lead, and per σ_z label of the outgoing channel.
    """
    mu = _contour._check_real(mu, "Fermi energy mu")
    tol = _contour._check_tol(tol)
    omega, n_sb = drive.omega, n_sidebands
    num_leads = len(greens.lead_orbitals)
    spin_ok = all(d[2] is not None for d in greens.lead_data(float(mu)))
    lo, hi = mu - n_sb * omega, mu + n_sb * omega
    edges = _sea.lead_thresholds(greens, lo - (n_sb + 1) * omega, hi + (n_sb + 1) * omega)
    shifts = omega * np.arange(-2 * n_sb - 1, 2 * n_sb + 2)
    cuts = np.concatenate([(edges[None, :] - shifts[:, None]).ravel(),
                           mu + omega * np.arange(-n_sb + 1, n_sb)])
    cuts = np.unique(cuts[(cuts > lo) & (cuts < hi)])
    points = np.concatenate([[lo], cuts, [hi]])
    points = points[np.concatenate([[True], np.diff(points) > 1e-12 * max(1.0, abs(mu))])]
    truncation = [0.0]
    cache = FloquetCache(greens) if cache is None else cache

    def piece(a, b):
        def weight(theta):
            return a + 0.5 * (b - a) * (1 - np.cos(theta)), 0.5 * (b - a) * np.sin(theta)
        return _contour._Segment(0.0, np.pi, weight)

    def charge_at(e):
        sol = floquet_solve(greens, m, drive=drive, energy=float(e), n_sidebands=n_sb,
                            onsite_values=onsite_values, check_band_edge=False, cache=cache,
                            method=method)
        truncation[0] = max(truncation[0], sol.truncation)
        j = int(np.floor((e - mu) / omega))
        out = np.zeros((num_leads, 3))                  # total, up, down per lead
        for n in sol.sidebands:
            n = int(n)
            sign = 1 if (n > 0 and -n <= j < 0) else (-1 if (n < 0 and 0 <= j < -n) else 0)
            if not sign:
                continue
            for a in range(num_leads):
                probs = (np.abs(sol.outgoing(a, n)) ** 2).sum(axis=1)   # per out channel
                out[a, 0] += sign * probs.sum()
                if spin_ok:
                    lab = sol.lead_data[n + n_sb][a][2]
                    out[a, 1:] += sign * np.array([probs[lab == 1].sum(),
                                                   probs[lab == -1].sum()])
        return check_finite(out.ravel() / omega, "Floquet pumped charge")

    value, error, count = _contour._integrate(
        [piece(a, b) for a, b in zip(points[:-1], points[1:])],
        lambda energies: np.array([charge_at(e.real) for e in energies]),
        lambda w, vals: np.einsum("k,k...->...", w.real, vals), 16, tol, max_points,
        "energy integral of the Floquet pumped charge", rule="kronrod")
    value = value.reshape(num_leads, 3)
    spin = [tuple(value[a, 1:]) if spin_ok else None for a in range(num_leads)]
    charge = value[:, 0].copy()
    return FloquetCharge(charge, spin, charge * omega / (2 * np.pi), float(truncation[0]),
                         n_sb, int(count), float(error))
