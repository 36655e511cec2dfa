r"""Coupled NEGF–LLG dynamics of a texture driven by quantum parametric pumping (Eq. 39).

:class:`PumpedLLG` evolves the classical spins m_i of a Kwant system whose electrons are
pumped by periodic gate potentials (:class:`~kwant_llg.pumping.PumpDrive`). At every
right-hand-side evaluation (every Runge–Kutta stage, the paper's Sec. V scheme) the frozen
electron problem at (t, m) is solved once, G^r columns at the gate orbitals only, and gives

* the first-order (adiabatic) spin density ⟨σ⟩_i^(1) = Σ_p v̇_p(t) Tr[σ ρ_p,ii],
  ρ_p = (1/2π) G^r Y_p G^a (Fermi-surface term, Apps. A/C; ``torque="fermi-surface"``),
  optionally plus the Fermi-sea term of :func:`kwant_llg.adiabatic.fermi_sea_density`
  (``torque="adiabatic"``) and the equilibrium density ⟨σ⟩^(0) of Eq. (14)
  (``equilibrium=True``);
* the pumped current I_p(t) of Eq. (40) into the right lead, total and per spin.

The electrons act on m_i through the field

    h_i^el = −∂⟨H_el⟩/∂m_i = −J_i ⟨σ⟩_i,

because the electron energy contains J_i m_i·⟨σ⟩_i for the onsite exchange J σ·m_i
(docs/conventions.md, "Electron field in the LLG equation"). It is added to
H_eff = −∂H_spin/∂m of the spin Hamiltonian (Eq. 38) in the project's LLG equation
ṁ = −γ m × H + m × (α ṁ) (:func:`kwant_llg.llg.llg_rhs`). This fixes the sign and the
factor of Eq. (39), whose printed form (J/γ) s_D with s_D = ⟨σ⟩/2 and H_eff = +δH/δm is
not energy-consistent (docs/theory.md, "Coupled pumping dynamics").

The state object follows :class:`kwant_llg.dynamics.LLG`: ``time``, ``m``, ``evolve(t)``,
``evaluate(obs)``, ``observables()``, and an exact pickle round trip.
"""

import pickle

import numpy as np

from ._common import ConvergenceError, KwantLLGError, SIGMA
from .dynamics import LLG, _check_alpha, _check_inputs, _positive, check_target_time
from .greens import FrozenGreens
from .integrators import get_integrator
from .llg import llg_rhs, llg_rhs_nonlocal
from .pumping import PumpDrive, PumpModel
from .spins import compile_field
from .watch import SkyrmionLost, SkyrmionWatch

__all__ = ["PumpedLLG", "SkyrmionLost", "TORQUES", "OBSERVABLES", "exchange_couplings"]

#: Torque models: the Fermi-surface first-order density, or Fermi surface + Fermi sea.
TORQUES = ("fermi-surface", "adiabatic")
#: Keys of :meth:`PumpedLLG.observables`.
OBSERVABLES = ("t", "center_paper", "center_charge", "Q", "radius", "energy", "I_p",
               "I_p_up", "I_p_down")


def exchange_couplings(exchange, *, atol=1e-10):
    """Per-site J_i of onsite exchange matrices X_i^a = J_i σ^a, shape (num_sites,).

    Raises KwantLLGError if the exchange is not of that form (then give ``J`` explicitly).
    """
    j = np.einsum("iaxy,ayx->i", exchange, SIGMA).real / 6
    if np.abs(exchange - j[:, None, None, None] * SIGMA).max(initial=0) > atol:
        raise KwantLLGError(
            "The onsite exchange of the system is not of the form J_i σ·m_i, so the field "
            "−J⟨σ⟩ on the spins is ambiguous; pass J=<number> to PumpedLLG.")
    return j


def frozen_greens(fsyst_or_greens, params, names, energy=None):
    """A FrozenGreens with the onsite parameters ``names`` declared, from a finalized system
    (with ``params``) or as given (then ``params`` must be None)."""
    if isinstance(fsyst_or_greens, FrozenGreens):
        if params is not None:
            raise KwantLLGError("params are fixed in the FrozenGreens; do not pass params "
                                "together with a FrozenGreens.")
        return fsyst_or_greens
    return FrozenGreens(fsyst_or_greens, energy, params=params, onsite_parameters=names)


class _AdaptiveField:
    """Electron field h(t, m) of a PumpedLLG as the ``extra`` field of the inner LLG
    (one electron solve per call; picklable)."""

    def __init__(self, owner):
        self.owner = owner

    def __call__(self, t, m):
        return self.owner._fields(t, m).total(self.owner.drive.rates(t))


class _Fields:
    """Electron fields of one frozen solve: per unit gate rate, and static (equilibrium)."""

    def __init__(self, gate, static, velocity=None):
        self.gate, self.static, self.velocity = gate, static, velocity

    def total(self, rates):
        h = np.tensordot(rates, self.gate, axes=1)
        return h if self.static is None else h + self.static


class PumpedLLG:
    r"""LLG dynamics of classical spins driven by pumped electrons (Sec. V, Eqs. 38–40).

    Parameters
    ----------
    fsyst_or_greens : kwant.system.FiniteSystem or FrozenGreens
        The electron system; a FrozenGreens must declare ``drive.names`` as
        ``onsite_parameters`` (then ``params`` must be None).
    lattice : SpinLattice
        Spins on the sites of the system, in the order of ``fsyst.sites``
        (``SpinLattice.from_kwant(fsyst)``).
    hamiltonian : Term
        Spin Hamiltonian (Eq. 38), e.g. ``Exchange(1) + DMI(0.2) + Anisotropy(0.07)``.
    m0 : array_like (num_sites, 3)
        Initial texture (unit vectors).
    drive : PumpDrive
    energy : float
        Fermi energy E of the leads (zero temperature).
    params : dict
        Value-function parameters of ``fsyst`` (without the magnetisation and gates).
    J : float, optional
        Coupling of the electron field h_i = −J⟨σ⟩_i. Default: J_i read from the onsite
        exchange X_i^a = J_i σ^a of the system (J = 2 for the seed's device).
    alpha : float
        Gilbert damping (0.4 in the paper).
    dt : float
        Time step (units ħ/J_ex).
    gamma : float
        Gyromagnetic ratio (1).
    integrator : {"rk4", "midpoint", "dopri5"}
        Fixed-step RK4 (the paper's choice) or implicit midpoint on the grid t₀ + n dt, or
        the adaptive Dormand–Prince 5(4) pair with error control (``tol``; ``dt`` is then
        the first trial step and the interval of the skyrmion checks). The adaptive steps
        shrink only where the electron field is large (narrow resonances of the gates,
        docs/theory.md), which fixed steps must resolve everywhere.
    tol : float
        Only for ``"dopri5"``: local error per unit time (see :class:`kwant_llg.dynamics.LLG`).
    resolve_every : int
        1 (default): the electrons are re-solved at every stage of every step (the paper's
        scheme). k ≥ 2: solved at the first stage of every k-th step and held for k steps;
        the held response is linear in the gate rates, which are still evaluated at each
        stage's time, so only the dependence of G^r on m and v(t) lags.
    torque : {"fermi-surface", "adiabatic"}
        First-order spin density: the Fermi-surface term (1/2π) G^r Ḣ G^a (default), or
        that plus the Fermi-sea term (:func:`kwant_llg.adiabatic.fermi_sea_density`;
        one complex-contour integral per gate and solve).
    equilibrium : bool
        Add the equilibrium (zeroth-order) density ⟨σ⟩^(0) at μ = E (Eq. 14, by
        :func:`kwant_llg.contour.equilibrium_density`; one contour integral per solve).
    velocity : bool
        Add the magnetisation-velocity term: the density the moving texture itself pumps,
        Ḣ = Σ_j X_j·ṁ_j (J σ·ṁ_j for the seed's device), to first order in ṁ,
        ⟨σ⟩_i^(v) = Σ_j χ_ij ṁ_j (:func:`kwant_llg.velocity.velocity_response`: the
        Fermi-surface term, plus the Fermi-sea term with ``torque="adiabatic"``). Its field
        −J_i⟨σ⟩_i^(v) is the electronic Gilbert damping (site-resolved Eq. 19) and makes
        the LLG equation implicit in ṁ, solved exactly at every stage
        (:func:`kwant_llg.llg.llg_rhs_nonlocal`, a dense 3n × 3n system: small and medium
        devices). Fixed-step integrators only.
    frozen : bool
        Keep the texture fixed (only time advances; observables give I_p(t) of a frozen
        texture, as in the paper's Fig. 6(a)).
    lead : int
        Lead whose pumped current is recorded (1 = right lead of the seed's device).
    time : float
        Initial time.
    norm_tol : float
        RK4 instability threshold (see :class:`kwant_llg.dynamics.LLG`).
    check_skyrmion : bool
        Raise :class:`SkyrmionLost` when the skyrmion is lost (see Notes); False for
        textures without a uniform far field (e.g. random ones).

    Attributes
    ----------
    time : float
    m : ndarray (num_sites, 3), read-only
    num_steps : int
    num_solves : int
        Electron solves (factorisation + gate-column solve) so far.

    Notes
    -----
    Steps lie on the grid t₀ + n dt; ``evolve(t)`` off the grid makes a partial step to
    report m(t) and continues from the grid, so ``evolve(t1); evolve(t2)`` equals
    ``evolve(t2)`` and a pickled state continues bit for bit. After every step the state
    checks that the skyrmion survives: :class:`SkyrmionLost` is raised (the state stays
    at the last good step) if the topological charge moves by more than 1/2 from its
    initial value or a site on the sample boundary or at a lead interface points against
    the initial far field.
    With ``torque="adiabatic"``, ``equilibrium=True`` or ``velocity=True`` the FrozenGreens
    (and so the Kwant system) is part of the state; pickling then needs a picklable system
    (value functions defined at module level, as in :func:`kwant_llg.devices.skyrmion_device`).
    """

    def __init__(self, fsyst_or_greens, lattice, hamiltonian, m0, *, drive, energy, alpha, dt,
                 params=None, J=None, gamma=1.0, integrator="rk4", resolve_every=1,
                 torque="fermi-surface", equilibrium=False, velocity=False, frozen=False,
                 lead=1, time=0.0, norm_tol=1e-3, check_skyrmion=True, tol=1e-6):
        if not isinstance(drive, PumpDrive):
            raise KwantLLGError(f"drive must be a PumpDrive, got {type(drive).__name__}.")
        greens = frozen_greens(fsyst_or_greens, params, drive.names, energy)
        if not (np.isscalar(energy) and np.isreal(energy) and np.isfinite(energy)):
            raise KwantLLGError(f"energy must be a finite real Fermi energy, got {energy!r}.")
        m0 = _check_inputs(lattice, hamiltonian, m0)
        if lattice.num_spins != greens.num_sites:
            raise KwantLLGError(f"The lattice has {lattice.num_spins} spins but the system has "
                                f"{greens.num_sites} sites; use SpinLattice.from_kwant(fsyst).")
        if torque not in TORQUES:
            raise KwantLLGError(f"Unknown torque {torque!r}; use one of {TORQUES}.")
        if velocity and integrator == "dopri5":
            raise KwantLLGError(
                "velocity=True makes the LLG equation implicit in dm/dt, which the adaptive "
                "integrator does not support; use integrator='rk4' or 'midpoint'.")
        if not (isinstance(resolve_every, (int, np.integer)) and resolve_every >= 1):
            raise KwantLLGError(f"resolve_every must be an integer >= 1, got {resolve_every!r}.")
        if integrator not in ("rk4", "midpoint", "dopri5"):
            raise KwantLLGError(f"integrator must be 'rk4', 'midpoint' or 'dopri5', got "
                                f"{integrator!r}.")
        if integrator == "dopri5" and resolve_every != 1:
            raise KwantLLGError("The adaptive integrator re-solves the electrons at every "
                                "stage; use resolve_every=1 with integrator='dopri5'.")
        self.drive, self.energy = drive, float(energy)
        self.model = PumpModel(greens, drive.names, energy)
        if not (isinstance(lead, (int, np.integer)) and 0 <= lead < self.model.num_leads):
            raise KwantLLGError(f"lead must be in [0, {self.model.num_leads}), got {lead!r}.")
        self.lead = int(lead)
        self.torque, self.equilibrium, self.velocity = torque, bool(equilibrium), bool(velocity)
        keep = torque == "adiabatic" or equilibrium or velocity
        self._greens = greens if keep else None
        self._diag_greens = greens          # not pickled: only for adiabaticity()
        self.adiabaticity_info = None
        if J is None:
            self.couplings = exchange_couplings(greens.exchange)
        else:
            if not (np.isscalar(J) and np.isreal(J) and np.isfinite(J)):
                raise KwantLLGError(f"J must be a finite number, got {J!r}.")
            self.couplings = np.full(greens.num_sites, float(J))
        self.lattice, self.hamiltonian = lattice, hamiltonian
        self.alpha = _check_alpha(alpha, lattice.num_spins)
        if np.ndim(self.alpha):
            raise KwantLLGError("PumpedLLG takes a scalar damping alpha.")
        self.gamma = _positive(gamma, "gamma")
        self.dt = _positive(dt, "dt")
        self.norm_tol = _positive(norm_tol, "norm_tol")
        self.integrator, self.resolve_every = integrator, int(resolve_every)
        self.frozen = bool(frozen)
        if not np.isfinite(time):
            raise KwantLLGError(f"time must be finite, got {time!r}.")
        self._t0, self.time, self._steps = float(time), float(time), 0
        self.num_solves = 0
        self._lost = False
        self._held = None                  # (block index, _Fields) for resolve_every > 1
        m0.flags.writeable = False
        self._m_grid = self.m = m0
        self.check_skyrmion = bool(check_skyrmion)
        self.watch = SkyrmionWatch(lattice, m0, np.concatenate(
            [o // 2 for o in self.model.lead_orbitals]), enabled=self.check_skyrmion)
        self.watch.check(m0, self.time)
        self._inner = None
        if integrator == "dopri5":
            self._inner = LLG(lattice, hamiltonian, m0, alpha=self.alpha, gamma=self.gamma,
                              integrator="dopri5", dt=self.dt, tol=tol, time=self.time,
                              extra=_AdaptiveField(self), extra_kind="field")

    # ------------------------------------------------------------------ physics
    def field(self, m):
        """H_eff = −∂H_spin/∂m of the spin Hamiltonian alone (compiled sparse map)."""
        if getattr(self, "_compiled", None) is None:
            self._compiled = compile_field(self.hamiltonian, self.lattice)
        return self._compiled(m)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_compiled", None)
        state.pop("_diag_greens", None)
        if self._greens is not None:
            try:
                pickle.dumps(self._greens.fsyst)
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                raise KwantLLGError(
                    "With torque='adiabatic', equilibrium=True or velocity=True the Kwant "
                    "system is part of the state, and it cannot be pickled (its value functions "
                    f"must be defined at module level): {exc}") from None
        return state

    def adiabaticity(self, *, n_times=4, threshold=0.1, fermi_sea=None, tol=1e-6):
        """Validity of the adiabatic expansion for the current texture (computed once).

        :func:`kwant_llg.diagnostics.pump_adiabaticity` for the texture ``self.m`` and the
        drive: max over ``n_times`` phases of ‖ρ^(1)‖/‖ρ^(0)‖ on all sites and ω τ_dwell.
        The result is cached in :attr:`adiabaticity_info` (and pickled with the state); a
        later call returns the cached object.

        Parameters
        ----------
        n_times : int
            Phases of the cycle at which the density ratio is evaluated.
        threshold : float
            Above it the result is not :attr:`~kwant_llg.diagnostics.Adiabaticity.ok`.
        fermi_sea : bool, optional
            Include the Fermi-sea term in ρ^(1) (default: ``torque == "adiabatic"``, i.e.
            the first-order density that drives this run).
        tol : float
            Accuracy of the contour integrals.

        Returns
        -------
        Adiabaticity
        """
        if self.adiabaticity_info is not None:
            return self.adiabaticity_info
        from .diagnostics import pump_adiabaticity
        greens = getattr(self, "_diag_greens", None)
        if greens is None:
            raise KwantLLGError("This state was unpickled before its adiabaticity was "
                                "computed; the electron system is not part of the state.")
        if fermi_sea is None:
            fermi_sea = self.torque == "adiabatic"
        self.adiabaticity_info = pump_adiabaticity(
            greens, self.m, self.drive, mu=self.energy, n_times=n_times, fermi_sea=fermi_sea,
            threshold=threshold, tol=tol)
        return self.adiabaticity_info

    def electron_fields(self, t, m):
        """Electron fields of the frozen problem at (t, m) (one solve).

        Returns
        -------
        gate : ndarray (n_p, num_sites, 3)
            −J_i ⟨σ⟩_i per unit rate dv_p/dt of every gate.
        static : ndarray (num_sites, 3) or None
            −J_i ⟨σ⟩_i^(0) (``equilibrium=True``), else None.
        response : PumpResponse

        Notes
        -----
        The electrons see the direction m_i/|m_i|: the intermediate stages of a Runge–Kutta
        step leave the unit sphere by O(dt²), and the Hamiltonian (and the contour integrals
        of ``torque="adiabatic"``/``equilibrium=True``) are defined for unit vectors.
        """
        m = m / np.linalg.norm(m, axis=1, keepdims=True)
        values = self.drive.values(t)
        resp = self.model.response(m, values)
        self.num_solves += 1
        spins = resp.gate_spins()
        greens = self._greens
        onsite = dict(zip(self.drive.names, (float(v) for v in values)))
        if self.torque == "adiabatic":
            from .adiabatic import fermi_sea_density
            sea = fermi_sea_density(greens, m, self.model.gate_blocks, self.model.gate_sites,
                                    mu=self.energy, onsite_values=onsite)   # all gates at once
            spins = spins + sea.spin
        static = None
        if self.equilibrium:
            from .contour import equilibrium_density
            eq = equilibrium_density(greens, m, mu=self.energy, onsite_values=onsite)
            static = -self.couplings[:, None] * eq.spin
        return -self.couplings[None, :, None] * spins, static, resp

    def velocity_field(self, t, m):
        """K^{ab}_ij = ∂h_i^a/∂ṁ_j^b = −J_i χ^{ab}_ij of the frozen problem at (t, m).

        χ from :func:`kwant_llg.velocity.velocity_response` at μ = E (Fermi surface, plus
        the Fermi sea with ``torque="adiabatic"``); shape (num_sites, 3, num_sites, 3),
        zero on sites without exchange.
        """
        from .velocity import velocity_response
        m = m / np.linalg.norm(m, axis=1, keepdims=True)
        onsite = dict(zip(self.drive.names, (float(v) for v in self.drive.values(t))))
        resp = velocity_response(self._greens, m, mu=self.energy,
                                 fermi_sea=self.torque == "adiabatic", onsite_values=onsite)
        return resp.field_response(self.couplings, len(m))

    def _fields(self, t, m):
        gate, static, _ = self.electron_fields(t, m)
        return _Fields(gate, static, self.velocity_field(t, m) if self.velocity else None)

    def rhs(self, t, m, fields=None):
        """dm/dt at (t, m); ``fields`` (held electron fields) or a fresh solve."""
        if fields is None:
            fields = self._fields(t, m)
        h = self.field(m) + fields.total(self.drive.rates(t))
        if fields.velocity is not None:
            return llg_rhs_nonlocal(m, h, fields.velocity, alpha=self.alpha, gamma=self.gamma)
        return llg_rhs(m, h, alpha=self.alpha, gamma=self.gamma)

    # ------------------------------------------------------------------ stepping
    def _held_fields(self, n):
        if self.resolve_every == 1:
            return None
        block = n // self.resolve_every
        if self._held is None or self._held[0] != block:
            if n % self.resolve_every:
                raise RuntimeError("held electron fields missing inside a block")  # not reached
            self._held = (block, self._fields(self._grid_time(n), self._m_grid))
        return self._held[1]

    def _step(self, n, m, dt):
        held = self._held_fields(n)
        t = self._grid_time(n)
        new, err = get_integrator(self.integrator)(lambda s, x: self.rhs(s, x, held), t, m, dt)
        if not np.all(np.isfinite(new)) or (self.integrator == "rk4" and err > self.norm_tol):
            raise ConvergenceError(
                f"The pumped LLG integration became unstable at t = {t:.6g} (|m| drifted by "
                f"{err:.3g} in one step, or NaN appeared). Use a smaller time step than "
                f"dt = {dt}, or integrator='dopri5': near narrow resonances of the gates the "
                "electron field J<σ> becomes very large (docs/theory.md).")
        self._check(new, t + dt)
        return new

    def _check(self, m, t):
        self.watch.check(m, t)

    @property
    def charge0(self):
        """Topological charge of the initial texture (NaN without the skyrmion checks)."""
        return self.watch.charge0

    @property
    def polarity(self):
        """Skyrmion polarity used for the centre and radius (−1: core against +z)."""
        return self.watch.polarity

    def _grid_time(self, n):
        return self._t0 + n * self.dt

    @property
    def num_steps(self):
        """Steps taken: grid steps (fixed step) or accepted adaptive steps."""
        return self._steps if self._inner is None else self._inner.num_steps

    def evolve(self, time):
        """Evolve forward to ``time`` (not earlier than ``self.time``).

        Raises
        ------
        SkyrmionLost
            If the skyrmion is annihilated or reaches the boundary (see class notes).
        """
        check_target_time(self.time, time)
        if self._lost:
            raise KwantLLGError("The skyrmion was lost (SkyrmionLost was raised); this state "
                                "cannot be evolved further.")
        eps = 1e-12 * max(1.0, abs(time))
        if self._inner is not None and not self.frozen:
            return self._evolve_adaptive(float(time), eps)
        if self.frozen:
            while self._grid_time(self._steps + 1) <= time + eps:
                self._steps += 1
            self.time = float(time)
            return
        m, n = self._m_grid, self._steps
        while self._grid_time(n + 1) <= time + eps:
            new = self._step(n, m, self.dt)
            n += 1
            new.flags.writeable = False
            m, self._m_grid, self._steps = new, new, n
            self.time, self.m = self._grid_time(n), new
        rest = time - self._grid_time(n)
        if rest > eps:
            m = self._step(n, m, rest)
            m.flags.writeable = False
        self.time, self.m = float(time), m

    def _evolve_adaptive(self, time, eps):
        """Adaptive steps by the inner :class:`~kwant_llg.dynamics.LLG`, checked on the grid
        t₀ + n dt (dense output makes the chunking exact)."""
        while self.time < time - eps:
            nxt = self._grid_time(self._steps + 1)
            target = min(nxt, time)
            self._inner.evolve(target)
            try:
                self._check(self._inner.m, target)
            except SkyrmionLost:
                self._lost = True
                raise
            if target >= nxt - eps:
                self._steps += 1
            self.time, self.m = target, self._inner.m

    # ------------------------------------------------------------------ measuring
    def observables(self):
        """Observables of the current state (one electron solve for I_p).

        Returns
        -------
        dict
            ``t``; ``center_paper`` and ``center_charge`` (2,) (paper's threshold centre and
            charge centroid); ``Q`` (topological charge); ``radius`` (m_z = 0 contour,
            √(A/π)); ``energy`` (spin energy, Eq. 38); ``I_p``, ``I_p_up``, ``I_p_down``
            (electrons per unit time into ``lead``, Eq. 40 with its 1/2π; up/down are the
            σ_z channels of the lead, NaN if it does not conserve σ_z). Centres and radius
            are NaN when the texture has no skyrmion core (e.g. a uniform texture), Q when
            the sample has no uniform far field.
        """
        obs = self.watch.observables(self.m, self.hamiltonian)
        resp = self.model.response(self.m, self.drive.values(self.time), densities=False)
        self.num_solves += 1
        rates = self.drive.rates(self.time)
        spin = (np.full(2, np.nan) if resp.emissivity_spin[self.lead] is None
                else resp.current_spin(rates, self.lead))
        return dict(t=float(self.time), **obs, I_p=resp.current(rates, self.lead),
                    I_p_up=float(spin[0]), I_p_down=float(spin[1]))

    def evaluate(self, observable):
        """``observable(m)`` for a callable, or one key of :meth:`observables`."""
        if callable(observable):
            return observable(self.m.copy())
        if observable not in OBSERVABLES:
            raise KwantLLGError(f"Unknown observable {observable!r}; pass a callable(m) or one "
                                f"of {OBSERVABLES}.")
        return self.observables()[observable]

    def __repr__(self):
        return (f"PumpedLLG(<{self.lattice.num_spins} spins>, time={self.time}, "
                f"drive={self.drive!r}, E={self.energy}, dt={self.dt}, "
                f"resolve_every={self.resolve_every}, torque={self.torque!r})")
