r"""LLG spins driven by Floquet electrons: exact in the pump, adiabatic in the texture motion.

Between the seed's adiabatic model (:class:`kwant_llg.coupled.PumpedLLG`: electrons to first
order in ω_p) and tkwant's exact electrons (:class:`kwant_llg.tdcoupled.TimeDependentLLG`),
:class:`FloquetLLG` treats the pumped electrons to all orders in the drive amplitude and in
ω_p, and only the (slow) motion of the texture adiabatically: for the texture m of the last
electron solve, the electrons are in the periodic state of the driven Fermi sea
(:func:`kwant_llg.floquet_sea.floquet_density`), whose spin density ⟨σ⟩_i(ωt; m) acts on the
spins through the same field as everywhere in the project,

    ṁ_i = −γ m_i × (H_eff,i + h_i(t)) + α m_i × ṁ_i,      h_i(t) = −J_i ⟨σ⟩_i(ωt; m),

(docs/conventions.md; the full density, so the equilibrium exchange it contains is
included, as with ``PumpedLLG(equilibrium=True)`` and in tkwant's runs).

"Adiabatic in the texture motion" is meant to zeroth order by default: the density is that
of the frozen texture. ``velocity=True`` adds the first order, the density the moving
texture itself pumps, h_i^(v) = −J_i Σ_j χ_ij ṁ_j (the electronic damping of Sec. IV A;
:mod:`kwant_llg.velocity`, Fermi surface and Fermi sea), which makes the LLG implicit in ṁ
(:func:`kwant_llg.llg.llg_rhs_nonlocal`). χ is that of the undriven texture (gates at
their mean, zero): the cross terms of the drive and the texture velocity, of order V ṁ, are
left out. It is recomputed with every Floquet solve; meant for devices of ≲ 100 sites (a
(3n)² tensor, docs/performance.md).

The periodic density is sampled at ``n_phases`` equally spaced phases and evaluated at any
time by trigonometric interpolation (exact for harmonics below n_phases/2; the truncated
Floquet density has harmonics up to ±2N). The Floquet solution is recomputed when the
texture has moved by more than ``resolve_tol`` (max over sites of |m − m_solved|) since the
last solve, checked after every step; the field lags the texture by at most that amount,
which is the documented criterion for how often the electrons follow the texture. The
trajectory converges to first order in ``resolve_tol`` (measured on 10×10 at ω = 0.5:
displacements over a period of 0.000, 0.010, 0.016, 0.018 a at 2e-2, 1e-2, 5e-3, 2.5e-3;
docs/reproduction.md, Fig. 6(b)); a tolerance near the per-step motion re-solves at every
step.

The records are those of :class:`~kwant_llg.coupled.PumpedLLG` (same keys, same
:class:`~kwant_llg.watch.SkyrmionWatch`), with the pumped current I_p(t) the time-resolved
current of the driven Fermi sea into ``lead`` (total and per σ_z), interpolated like the
density: exact in V and ω where PumpedLLG has Eq. (40).

Cost: one Floquet density (a real-axis energy integral of Floquet solves over the Fermi sea)
per re-solve; the lead data at the quadrature's energies are kept between re-solves
(:class:`~kwant_llg.floquet.FloquetCache`), so a re-solve costs the Floquet factorisations
only; small devices (docs/performance.md).
"""

import warnings

import numpy as np

from ._common import KwantLLGError, check_finite
from .coupled import exchange_couplings, frozen_greens
from .dynamics import _check_alpha, _check_inputs, _positive, check_target_time
from .floquet import FloquetCache
from .floquet_sea import floquet_density
from .integrators import rk4_step
from .llg import llg_rhs, llg_rhs_nonlocal
from .pumping import PumpDrive
from .spins import compile_field
from .watch import SkyrmionWatch

__all__ = ["FloquetLLG", "SidebandTruncationWarning"]


class SidebandTruncationWarning(UserWarning):
    """The Floquet solution has weight in its outermost sidebands: too few sidebands."""


class FloquetLLG:
    r"""Spins driven by the periodic Floquet density of the pumped Fermi sea (module doc).

    Parameters
    ----------
    fsyst_or_greens : kwant.system.FiniteSystem or FrozenGreens
        Device (a FrozenGreens must declare ``drive.names`` as onsite parameters; then
        ``params`` must be None). No bound states (leads along the texture's background).
    lattice : SpinLattice
    hamiltonian : Term
        Spin Hamiltonian (Eq. 38).
    m0 : array_like (num_sites, 3)
    drive : PumpDrive
    energy : float
        Fermi energy of the leads (T = 0).
    alpha, dt, gamma
        Gilbert damping, RK4 time step and gyromagnetic ratio.
    params : dict, optional
        Value-function parameters without the magnetisation and the gates.
    n_sidebands : int
        Floquet sidebands −N…N (check :attr:`truncation`).
    n_phases : int
        Phases per period at which the periodic density is sampled (odd; default 17).
    resolve_tol : float
        Re-solve the electrons when max_i |m_i − m_i^solved| exceeds it (default 1e-3).
    truncation_tol : float
        Warn once (:class:`SidebandTruncationWarning`) when a solve has more weight than this
        in its outermost sidebands (default 1e-2; the drive couples sidebands up to about
        V/ω, so N ≳ V/ω + 3 is needed).
    tol : float
        Accuracy of the energy integral of the density.
    quadrature : {"kronrod", "gauss"}
        Panel rule of that integral (:func:`~kwant_llg.floquet_sea.floquet_density`;
        Gauss–Kronrod needs fewer solves down to tol ≈ 1e-6, Gauss–Legendre below).
    J : float, optional
        Coupling of the field h = −J⟨σ⟩ (default: read from the exchange, J = 2 on the
        seed's device).
    frozen : bool
        Keep m = m0 (only time advances: the periodic density and current of a frozen
        texture).
    velocity : bool
        Add the magnetisation-velocity term of the undriven texture (module doc).
    lead : int
        Lead of the recorded pumped current (default 1, the right lead).
    cache_mib : float
        Memory budget (MiB) of the lead data and, again, of the frozen solves kept between
        Floquet solves and re-solves (:class:`~kwant_llg.floquet.FloquetCache`; default
        1024). The lead data of all quadrature energies are reused by every re-solve only
        if they fit: 3.2 lead energies per node of the density, 17 kB each on the 10×10
        device (N = 4: 40 MB), 0.28 MB on 40×40 (≈ 20 000 energies at that rate: about
        6 GiB).
    check_skyrmion : bool
        Raise :class:`~kwant_llg.watch.SkyrmionLost` when the skyrmion reaches the boundary or
        a lead or its charge changes (the state stays at the last good step).
    time : float

    Attributes
    ----------
    time, m, num_steps, watch
    num_solves : int
        Floquet densities computed.
    truncation : float
        Largest sideband truncation weight met.
    """

    #: Not the adiabatic expansion: :func:`kwant_llg.simulation.run` records the adiabaticity
    #: diagnostic of the run without warning about it.
    adiabatic_electrons = False

    def __init__(self, fsyst_or_greens, lattice, hamiltonian, m0, *, drive, energy, alpha, dt,
                 params=None, n_sidebands=4, n_phases=17, resolve_tol=1e-3, tol=1e-6,
                 quadrature="kronrod", truncation_tol=1e-2,
                 gamma=1.0, J=None, frozen=False, velocity=False, lead=1, cache_mib=1024.0,
                 check_skyrmion=True, time=0.0):
        if not isinstance(drive, PumpDrive):
            raise KwantLLGError(f"drive must be a PumpDrive, got {type(drive).__name__}.")
        greens = frozen_greens(fsyst_or_greens, params, drive.names)
        m0 = _check_inputs(lattice, hamiltonian, m0)
        if lattice.num_spins != greens.num_sites:
            raise KwantLLGError(f"The lattice has {lattice.num_spins} spins but the system has "
                                f"{greens.num_sites} sites; use SpinLattice.from_kwant(fsyst).")
        if not (isinstance(n_phases, (int, np.integer)) and n_phases >= 3 and n_phases % 2):
            raise KwantLLGError(f"n_phases must be an odd integer >= 3, got {n_phases!r}.")
        self.alpha = _check_alpha(alpha, lattice.num_spins)
        if np.ndim(self.alpha):
            raise KwantLLGError("FloquetLLG takes a scalar damping alpha.")
        self.gamma, self.dt = _positive(gamma, "gamma"), _positive(dt, "dt")
        self.resolve_tol = _positive(resolve_tol, "resolve_tol")
        self.truncation_tol = _positive(truncation_tol, "truncation_tol")
        self.cache_mib = _positive(cache_mib, "cache_mib")
        self._warned = False
        self.couplings = (exchange_couplings(greens.exchange) if J is None
                          else np.full(greens.num_sites, float(J)))
        self.greens, self.drive, self.energy = greens, drive, float(energy)
        self.lattice, self.hamiltonian = lattice, hamiltonian
        self.n_sidebands, self.n_phases, self.tol = int(n_sidebands), int(n_phases), float(tol)
        self.quadrature = quadrature
        if not np.isfinite(time):
            raise KwantLLGError(f"time must be finite, got {time!r}.")
        num_leads = len(greens.lead_orbitals)
        if not (isinstance(lead, (int, np.integer)) and 0 <= lead < num_leads):
            raise KwantLLGError(f"lead must be in [0, {num_leads}), got {lead!r}.")
        self.lead, self.frozen, self.velocity = int(lead), bool(frozen), bool(velocity)
        self._velocity_response = None
        self.time, self.num_steps, self.num_solves, self.truncation = float(time), 0, 0, 0.0
        self.watch = SkyrmionWatch(lattice, m0, np.concatenate(
            [np.asarray(o) // 2 for o in greens.lead_orbitals]), enabled=check_skyrmion)
        self.watch.check(m0, self.time)
        self.m = m0
        self.adiabaticity_info = None
        self._field = None
        self._solve(m0)

    # ------------------------------------------------------------------ electrons
    def _solve(self, m):
        """Periodic spin density for texture m, stored as Fourier coefficients."""
        phases = 2 * np.pi * np.arange(self.n_phases) / self.n_phases
        if self.__dict__.get("_cache") is None:
            self._cache = FloquetCache(self.greens, max_mib=self.cache_mib,
                                       frozen_mib=self.cache_mib)
        fd = floquet_density(self.greens, m, drive=self.drive, mu=self.energy,
                             n_sidebands=self.n_sidebands, phases=phases, tol=self.tol,
                             quadrature=self.quadrature, cache=self._cache)
        self.truncation = max(self.truncation, fd.truncation)
        if fd.truncation > self.truncation_tol and not self._warned:
            self._warned = True
            warnings.warn(SidebandTruncationWarning(
                f"The Floquet solution keeps a weight {fd.truncation:.2g} in its outermost "
                f"sidebands (N = {self.n_sidebands}, V/ω = "
                f"{np.max(np.abs(self.drive.amplitudes)) / self.drive.omega:.3g}): its "
                "density and current are not converged. Use more sidebands (about V/ω + 3)."),
                stacklevel=3)
        self.num_solves += 1
        self._m_solved = m.copy()
        self._coef = np.fft.fft(fd.spin, axis=0) / self.n_phases       # c_k, k = fftfreq
        cur = fd.current[:, self.lead, None]
        spin = (np.full((self.n_phases, 2), np.nan) if fd.current_spin is None
                else fd.current_spin[:, self.lead])
        self._cur_coef = np.fft.fft(np.concatenate([cur, spin], axis=1), axis=0) / self.n_phases
        self._k = np.fft.fftfreq(self.n_phases, 1.0 / self.n_phases)
        if self.velocity and not self.frozen:
            from .velocity import velocity_response
            resp = velocity_response(self.greens, m, mu=self.energy, tol=self.tol)
            self._velocity_response = resp.field_response(self.couplings, len(m))

    def _interpolate(self, coef, t):
        return np.tensordot(np.exp(1j * self._k * self.drive.omega * t), coef, axes=1).real

    def spin_density(self, t):
        """⟨σ⟩_i at time t for the texture of the last solve (trigonometric interpolation)."""
        return self._interpolate(self._coef, t)

    def pumped_current(self, t):
        """(I_p, I_p↑, I_p↓) into ``lead`` at time t: electrons per unit time of the whole
        driven Fermi sea (:func:`~kwant_llg.floquet_sea.floquet_density`); the spin parts
        are NaN if the leads do not conserve σ_z."""
        return self._interpolate(self._cur_coef, t)

    def electron_field(self, t):
        """h_i(t) = −J_i ⟨σ⟩_i(ωt) (module doc)."""
        return -self.couplings[:, None] * self.spin_density(t)

    def field(self, m):
        """H_eff = −∂H_spin/∂m of the spin Hamiltonian alone."""
        if self._field is None:
            self._field = compile_field(self.hamiltonian, self.lattice)
        return self._field(m)

    def rhs(self, t, m):
        """dm/dt at (t, m) with the field of the last electron solve."""
        h = self.field(m) + self.electron_field(t)
        if self._velocity_response is not None:
            return llg_rhs_nonlocal(m, h, self._velocity_response, alpha=self.alpha,
                                    gamma=self.gamma)
        return llg_rhs(m, h, alpha=self.alpha, gamma=self.gamma)

    # ------------------------------------------------------------------ stepping
    def _step(self, dt):
        if self.frozen:
            self.time += dt
            return
        new, _ = rk4_step(self.rhs, self.time, self.m, dt)
        new = check_finite(new, "magnetisation")
        new /= np.linalg.norm(new, axis=1, keepdims=True)
        self.watch.check(new, self.time + dt)
        self.time, self.m = self.time + dt, new
        self.num_steps += 1
        if np.abs(new - self._m_solved).max() > self.resolve_tol:
            self._solve(new)

    def evolve(self, time):
        """Advance to ``time`` in RK4 steps of at most ``dt``."""
        check_target_time(self.time, time)
        eps = 1e-12 * max(1.0, abs(time))
        while self.time < time - eps:
            self._step(min(self.dt, time - self.time))

    def observables(self):
        """The records of :meth:`kwant_llg.coupled.PumpedLLG.observables` (same keys), with
        I_p from :meth:`pumped_current` (no extra electron solve)."""
        i_p, up, down = self.pumped_current(self.time)
        return dict(t=float(self.time), **self.watch.observables(self.m, self.hamiltonian),
                    I_p=float(i_p), I_p_up=float(up), I_p_down=float(down))

    def adiabaticity(self, *, n_times=4, threshold=0.1, tol=1e-6):
        """How far this run is from the seed's adiabatic model, for the initial texture
        (:func:`kwant_llg.diagnostics.pump_adiabaticity`, Fermi sea included; cached in
        :attr:`adiabaticity_info`). Recorded by :func:`kwant_llg.simulation.run` so that
        runs with different electrons carry the same diagnostic."""
        if self.adiabaticity_info is None:
            from .diagnostics import pump_adiabaticity
            self.adiabaticity_info = pump_adiabaticity(
                self.greens, self.m, self.drive, mu=self.energy, n_times=n_times,
                threshold=threshold, tol=tol)
        return self.adiabaticity_info

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_field"] = None
        state["_cache"] = None      # lead data are recomputed after a restart
        return state

    def __setstate__(self, state):
        # checkpoints written before the velocity term and the Kronrod panels continue
        # with what they were run with
        state.setdefault("velocity", False)
        state.setdefault("_velocity_response", None)
        state.setdefault("quadrature", "gauss")
        state.setdefault("cache_mib", 1024.0)
        self.__dict__.update(state)

    def __repr__(self):
        return (f"FloquetLLG(<{self.lattice.num_spins} spins>, time={self.time}, "
                f"drive={self.drive!r}, E={self.energy}, N={self.n_sidebands}, "
                f"solves={self.num_solves})")
