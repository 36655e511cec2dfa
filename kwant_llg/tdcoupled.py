r"""Fully time-dependent electrons (tkwant) coupled self-consistently to the LLG of the spins.

:class:`TimeDependentLLG` is the exact-in-frequency reference for the adiabatic model of
Xu et al., PRB 108, 144409 (2023) (:class:`kwant_llg.coupled.PumpedLLG`, Eqs. 38–40): the
zero-temperature many-body electron state of the device is evolved by tkwant (all lead
scattering states below E_F), under the time-dependent Hamiltonian

    H(t) = H(m(0), v(0)) + W(t),
    W(t) = Σ_p [v_p(t) − v_p(0)] Y_p + Σ_i J_i σ·(m_i(t) − m_i(0))   (on the magnetic sites),

with the gate drive v_p(t) of :class:`kwant_llg.tdref.GateDrive` (the V_p after Eq. 38) and
the classical spins m_i(t), which obey the project's LLG equation (Eq. 39 with the sign of
docs/conventions.md)

    ṁ_i = −γ m_i × (H_eff,i + h_i^el) + α m_i × ṁ_i,    h_i^el = −J_i ⟨σ⟩_i(t),

where ⟨σ⟩_i(t) is the full (not only first-order) spin density of the tkwant state: the
same field and sign as PumpedLLG with ``equilibrium=True``. Nothing is expanded in ω_p or
in ṁ: the nonadiabatic response and the electronic damping from ṁ are included.

Scheme (documented order 2 in dt). Steps t_n → t_{n+1} = t_n + dt:

1. the LLG is advanced by one RK4 step with the electron field linearly extrapolated from
   the last two electron samples, h^el(t) = h_n + (t − t_n)(h_n − h_{n−1})/dt_{n−1}
   (h^el = h_n on the first step);
2. the electrons are evolved by tkwant from t_n to t_{n+1} with m(t) linearly interpolated
   between m_n and m_{n+1} in W(t) (tkwant's own adaptive steps, dt_e ≤ dt, see its
   documentation);
3. ⟨σ⟩_i(t_{n+1}) is measured, h_{n+1} = −J_i ⟨σ⟩_i(t_{n+1}).

Linear extrapolation and interpolation have local errors O(dt³), so the coupled scheme is
of global order 2 (tests/test_tdcoupled.py measures it). tkwant cannot be rewound cheaply,
which rules out an implicit or predictor–corrector coupling.

Only for small devices (≲ 10×10 sites): every step evolves every one-body state.
"""

import bisect
import collections
import copy
import functools
import warnings

import numpy as np
import kwant

from ._common import KwantLLGError, SIGMA, SIGMA_0, check_finite, site_field
from .dynamics import _check_alpha, _check_inputs, _positive, check_target_time
from .integrators import rk4_step
from .llg import llg_rhs
from .spins import compile_field
from .watch import SkyrmionWatch
from . import tdref

__all__ = ["TimeDependentLLG", "OBSERVABLES", "QuadratureWarning"]

#: Keys of :meth:`TimeDependentLLG.observables`: those of the adiabatic and Floquet runs.
OBSERVABLES = ("t", "center_paper", "center_charge", "Q", "radius", "energy", "I_p",
               "I_p_up", "I_p_down", "I_p_error")


class QuadratureWarning(UserWarning):
    """tkwant's momentum-quadrature error of the pumped current is not small against it."""


class _CoupledPerturbation:
    """W(t) = gate part + J σ·(m(t) − m(0)) in tkwant's perturbation interface.

    m(t) is the linear interpolation on the current segment [t_a, t_b] (extrapolated outside,
    which tkwant's solver may touch at round-off distance) and, before t_a, on the recorded
    history (``times``, ``ms``): one-body states added by a later refinement are evolved
    from t = 0 through the texture the run went through.
    """

    def __init__(self, gates, exchange_orbitals, couplings, m0, size, times, ms):
        self.gates = gates                     # _GatePerturbation or None
        self.size = size
        self._orbs = exchange_orbitals         # (num_sites, 2) orbitals (up, down)
        self._j = couplings
        self._m0 = m0.copy()
        self._times, self._ms = times, ms      # the dynamics' history lists (shared)
        self.set_segment(0.0, m0, 1.0, m0)

    def set_segment(self, ta, ma, tb, mb):
        self._ta, self._tb = float(ta), float(tb)
        self._da = ma - self._m0
        self._slope = (mb - ma) / (tb - ta)

    def delta_m(self, time):
        if time >= self._ta or len(self._times) < 2:
            return self._da + (time - self._ta) * self._slope
        k = min(max(bisect.bisect_right(self._times, time) - 1, 0), len(self._times) - 2)
        t0, t1 = self._times[k], self._times[k + 1]
        m = self._ms[k] + (time - t0) / (t1 - t0) * (self._ms[k + 1] - self._ms[k])
        return m - self._m0

    def apply(self, time, ket, out=None):
        ket = np.asarray(ket)
        res = np.zeros(self.size, complex) if out is None else np.asarray(out)
        if self.gates is not None:
            self.gates.apply(time, ket, out=res)
        d = self._j[:, None] * self.delta_m(time)             # J_i Δm_i
        up, dn = self._orbs[:, 0], self._orbs[:, 1]
        ku, kd = ket[up], ket[dn]
        res[up] += d[:, 2] * ku + (d[:, 0] - 1j * d[:, 1]) * kd
        res[dn] += (d[:, 0] + 1j * d[:, 1]) * ku - d[:, 2] * kd
        return res if out is None else None


def _exchange_couplings(fsyst, params, magnetization, num_sites):
    """J_i from X_i^a = H(m = e_a) − H(m = 0) on the onsite blocks; checks X_i^a = J_i σ^a."""
    def h(vec):
        p = {**params, magnetization: lambda site, v=np.asarray(vec, float): v}
        return fsyst.hamiltonian_submatrix(params=p, sparse=True).tocsr()
    h0 = h((0, 0, 0))
    x = [(h(e) - h0) for e in np.eye(3)]
    orbs = np.array([tdref._site_orbitals(fsyst, i) for i in range(num_sites)])
    if orbs.shape[1] != 2:
        raise KwantLLGError("TimeDependentLLG needs two orbitals (up, down) on every site.")
    blocks = np.array([[xa[o][:, o].toarray() for xa in x] for o in orbs])   # (n, 3, 2, 2)
    j = np.einsum("iaxy,ayx->i", blocks, SIGMA).real / 6
    off = sum(abs(xa).sum() for xa in x) - sum(abs(blocks).sum(axis=(2, 3)).sum(axis=0))
    if np.abs(blocks - j[:, None, None, None] * SIGMA).max() > 1e-10 or abs(off) > 1e-10:
        raise KwantLLGError("The system's dependence on the magnetisation is not an onsite "
                            "exchange J_i σ·m_i; TimeDependentLLG cannot couple it.")
    return j, orbs


def _backward_derivative(samples):
    """d/dt at the last of up to three samples (t, value): the 3-point backward formula on
    a nonuniform grid (second order), 2-point with two samples, zero with one (the first
    sample is the stationary initial state)."""
    if len(samples) == 1:
        return np.zeros_like(samples[0][1])
    if len(samples) == 2:
        (t0, f0), (t1, f1) = samples
        return (f1 - f0) / (t1 - t0)
    (t0, f0), (t1, f1), (t2, f2) = samples
    h1, h2 = t1 - t0, t2 - t1
    return (f0 * h2 / (h1 * (h1 + h2)) - f1 * (h1 + h2) / (h1 * h2)
            + f2 * (2 * h2 + h1) / (h2 * (h1 + h2)))


class TimeDependentLLG:
    r"""LLG spins coupled to tkwant's exact time-dependent electrons (module doc, W(t)).

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
        Device with onsite exchange J σ·m(site) (e.g. ``skyrmion_device(L, W,
        lead_magnetization=...)``; leads along the texture's background avoid bound states).
    lattice : SpinLattice
        ``SpinLattice.from_kwant(fsyst)``.
    hamiltonian : Term
        Spin Hamiltonian (Eq. 38).
    m0 : array_like (num_sites, 3)
        Initial texture; the electrons start in the equilibrium state of H(m0, v(0)).
    drive : GateDrive or None
        Gate drive (None: no drive).
    energy : float
        Fermi energy E_F (zero temperature).
    alpha : float
        Gilbert damping of the spins.
    dt : float
        LLG step (the electrons are synchronised at every step, module doc).
    params : dict
        Value-function parameters (without the magnetisation).
    gamma : float
        Gyromagnetic ratio.
    frozen : bool
        Keep m = m0 (electrons only: equals :func:`kwant_llg.tdref.simulate`).
    magnetization : str
        Name of the magnetisation parameter.
    order, subintervals, refine, refine_tol, check_bound_states
        tkwant's momentum quadrature and the bound-state guard, as in
        :func:`kwant_llg.tdref.simulate`.
    refine_every : float, optional
        Refine tkwant's quadrature again every this many drive periods, to ``refine_tol``
        of the current into ``lead`` (the added one-body states are evolved from t = 0
        through the recorded texture history; the cost grows with the time reached).
    error_warn : float
        Warn once (:class:`QuadratureWarning`) when :meth:`quadrature_error` exceeds this
        fraction of the largest recorded |I_p| (default 0.1; the estimate is conservative,
        2–30× above the actual error in the measured cases).
    tmax : float
        Largest time tkwant prepares its boundary conditions for (default 100); evolving
        beyond it is refused. They are accurate to about 3/4 of it (measured:
        :func:`kwant_llg.tdref.simulate`), so choose it about 1.4 times the time you need
        (:data:`kwant_llg.tdref.TMAX_MARGIN`).
    lead : int
        Lead of the recorded pumped current (default 1, the right lead).
    check_skyrmion : bool
        Raise :class:`~kwant_llg.watch.SkyrmionLost` when the skyrmion reaches the boundary or
        a lead or its charge changes (the state stays at the last good step).

    Attributes
    ----------
    time : float
    m : ndarray (num_sites, 3)
    spin_density : ndarray (num_sites, 3)
        ⟨σ⟩_i at ``time``.
    charge_density : ndarray (num_sites,)
    num_steps : int
    num_refinements : int
        Refinements done during the run (``refine_every``).
    watch : SkyrmionWatch
    equilibrium_current : tuple
        :meth:`pumped_current` of the initial state. The initial state is an equilibrium, whose
        current vanishes exactly: its size measures the error of tkwant's momentum quadrature
        (raise ``order`` or refine when it is not small against the pumped current).

    Notes
    -----
    The pumped current of :meth:`observables` is the current into ``lead`` itself:
    tkwant's operators see only the device, so it is the current into the lead's interface
    layer (``kwant.operator.Current`` on the hoppings that cross into it) minus d/dt of the
    layer's charge (the displacement part; second-order backward difference over the last
    three steps). Its cycle average is the DC current; instantaneously it is the current of
    Eq. (40) and of the Floquet electrons, up to O(dt²).

    A tkwant state cannot be pickled. A pickle of this object holds the constructor's
    arguments and the texture at every step; unpickling builds the electrons again and
    replays the recorded steps (tkwant's evolution is deterministic, so the state continues
    bit for bit; the replay costs about as much as the electron part of the original run).
    This is what makes :func:`kwant_llg.simulation.run` checkpoints of this dynamics
    resumable.
    """

    #: Not the adiabatic expansion: :func:`kwant_llg.simulation.run` records the adiabaticity
    #: diagnostic of the run without warning about it.
    adiabatic_electrons = False

    def __init__(self, fsyst, lattice, hamiltonian, m0, *, drive, energy, alpha, dt, params,
                 gamma=1.0, frozen=False, magnetization="m", order=10, subintervals=1,
                 refine=True, refine_tol=1e-5, refine_every=None, check_bound_states=True,
                 tmax=100.0, lead=1, check_skyrmion=True, error_warn=0.1):
        args = dict(fsyst=fsyst, lattice=lattice, hamiltonian=hamiltonian, m0=m0, drive=drive,
                    energy=energy, alpha=alpha, dt=dt, params=params, gamma=gamma,
                    frozen=frozen, magnetization=magnetization, order=order,
                    subintervals=subintervals, refine=refine, refine_tol=refine_tol,
                    refine_every=refine_every, check_bound_states=check_bound_states,
                    tmax=tmax, lead=lead, check_skyrmion=check_skyrmion,
                    error_warn=error_warn)
        self._setup(args)

    def _setup(self, args):
        a = dict(args)
        tkwant = tdref.require_tkwant()
        fsyst, lattice, hamiltonian, drive = (a["fsyst"], a["lattice"], a["hamiltonian"],
                                              a["drive"])
        energy = a["energy"]
        if drive is not None and not isinstance(drive, tdref.GateDrive):
            raise KwantLLGError(f"drive must be a GateDrive or None, got {type(drive).__name__}.")
        if not (np.isscalar(energy) and np.isfinite(energy)):
            raise KwantLLGError(f"energy must be a finite Fermi energy, got {energy!r}.")
        if not fsyst.leads:
            raise KwantLLGError("The system has no leads; tkwant's scattering states need leads.")
        lead = a["lead"]
        if not (isinstance(lead, (int, np.integer)) and 0 <= lead < len(fsyst.leads)):
            raise KwantLLGError(f"lead must be in [0, {len(fsyst.leads)}), got {lead!r}.")
        m0 = _check_inputs(lattice, hamiltonian, a["m0"])
        if lattice.num_spins != len(fsyst.sites):
            raise KwantLLGError(f"The lattice has {lattice.num_spins} spins but the system has "
                                f"{len(fsyst.sites)} sites; use SpinLattice.from_kwant(fsyst).")
        self.alpha = _check_alpha(a["alpha"], lattice.num_spins)
        if np.ndim(self.alpha):
            raise KwantLLGError("TimeDependentLLG takes a scalar damping alpha.")
        self.gamma, self.dt = _positive(a["gamma"], "gamma"), _positive(a["dt"], "dt")
        self.tmax = _positive(a["tmax"], "tmax")
        refine_every = a.get("refine_every")              # absent in older checkpoints
        if refine_every is not None:
            if drive is None:
                raise KwantLLGError("refine_every counts drive periods; it needs a drive.")
            refine_every = _positive(refine_every, "refine_every") * drive.period
        self._refine_every, self._next_refine = refine_every, refine_every or np.inf
        self._error_warn = float(a.get("error_warn", 0.1))
        self._max_current, self._warned = 0.0, False
        self.lattice, self.hamiltonian, self.drive = lattice, hamiltonian, drive
        self.energy, self.frozen, self.lead = float(energy), bool(a["frozen"]), int(lead)
        magnetization = a["magnetization"]
        params = dict(a["params"])
        params.pop(magnetization, None)
        names = () if drive is None else drive.names
        params = {**params, **{p: float(drive.value(p, 0.0)) for p in names}}
        self.couplings, orbs = _exchange_couplings(fsyst, params, magnetization, len(m0))
        params0 = {**params, magnetization: site_field(fsyst, m0)}
        if a["check_bound_states"]:
            nb, e_min = tdref.count_bound_states(fsyst, params=params0)
            if nb:
                raise KwantLLGError(
                    f"The system has {nb} bound state(s) below the continuum edge E = "
                    f"{e_min:.4g} at t = 0; tkwant's many-body state would miss them (use leads "
                    "magnetised along the texture's background).")
        gates = None
        if drive is not None:
            gates = tdref._GatePerturbation(drive, tdref._parameter_matrices(fsyst, params0,
                                                                              names))
        size = fsyst.hamiltonian_submatrix(params=params0, sparse=True).shape[0]
        self._times, self._ms = [0.0], [m0.copy()]        # history, shared with W(t)
        self._pert = _CoupledPerturbation(gates, orbs, self.couplings, m0, size, self._times,
                                          self._ms)
        tsyst = copy.copy(fsyst)
        pert = self._pert
        tsyst.time_dependent_perturbation = lambda time_name, time_start, params=None: pert

        man = tkwant.manybody
        occupation = man.lead_occupation(chemical_potential=self.energy)
        spectra = __import__("kwantspectrum").spectra(fsyst.leads,
                                                      params={**params0, "time": 0.0})
        itype = functools.partial(man.Interval, order=int(a["order"]))
        intervals = man.calc_intervals(spectra, [occupation], interval_type=itype)
        if a["subintervals"] > 1:
            intervals = man.split_intervals(intervals, int(a["subintervals"]))
        if not intervals:
            raise KwantLLGError(f"No lead mode is occupied below E_F = {energy}.")
        self._state = man.State(tsyst, tmax=self.tmax, occupations=occupation,
                                params=params0, spectra=spectra, intervals=intervals,
                                refine=False)
        if a["refine"]:
            self._state.refine_intervals(atol=a["refine_tol"], rtol=a["refine_tol"])
        self._dens = [kwant.operator.Density(fsyst, onsite=s, sum=False)
                      for s in (*SIGMA, SIGMA_0)]
        bonds = tdref._cut_bonds(fsyst, self.lead)
        self.spin_resolved = tdref._conserves_sz(fsyst, params0, bonds)
        projectors = [SIGMA_0] + ([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]
                                  if self.spin_resolved else [])
        self._currents = [kwant.operator.Current(fsyst, onsite=p, where=bonds, sum=True)
                          for p in projectors]
        self._layer = np.array(sorted(int(i) for i in fsyst.lead_interfaces[self.lead]))
        self.watch = SkyrmionWatch(lattice, m0, np.concatenate(
            [np.asarray(i, dtype=int) for i in fsyst.lead_interfaces]),
            enabled=a["check_skyrmion"])
        self.watch.check(m0, 0.0)
        self._field = compile_field(hamiltonian, lattice)
        self._layer_charges = collections.deque(maxlen=3)   # (t, [Q, Q_up, Q_down])
        self.time, self.num_steps, self.num_refinements = 0.0, 0, 0
        self.m = m0
        self._args = args
        self.adiabaticity_info = None
        self._measure()
        self._h_prev = None                     # (dt of the previous step, h_{n-1})
        self.equilibrium_current = self.pumped_current()

    # ------------------------------------------------------------------ electrons
    def _measure(self):
        vals = np.real(np.array([self._state.evaluate(op) for op in self._dens]))
        vals = check_finite(vals, "tkwant density")
        self.spin_density = vals[:3].T.copy()
        self.charge_density = vals[3].copy()
        cur = np.real(np.array([self._state.evaluate(op) for op in self._currents]))
        self._layer_current = check_finite(cur, "tkwant current")
        n, sz = self.charge_density[self._layer], self.spin_density[self._layer, 2]
        self._layer_charges.append((self.time, np.array([n.sum(), (n + sz).sum() / 2,
                                                         (n - sz).sum() / 2])))

    def electron_field(self):
        """h_i^el = −J_i ⟨σ⟩_i(t) of the current state (module doc)."""
        return -self.couplings[:, None] * self.spin_density

    def pumped_current(self):
        """(I_p, I_p↑, I_p↓) into ``lead`` at ``time`` (class Notes; spin parts NaN when
        the lead or the cut hoppings do not conserve σ_z)."""
        i = self._layer_current - _backward_derivative(
            list(self._layer_charges))[:len(self._layer_current)]
        return tuple(i) if self.spin_resolved else (i[0], np.nan, np.nan)

    # ------------------------------------------------------------------ stepping
    def _advance(self, t_new, new, measure=True):
        """Electrons from (time, m) to (t_new, new) with m linear in between."""
        t, m = self.time, self.m
        h_n = self.electron_field()
        self._pert.set_segment(t, m, t_new, new)
        self._state.evolve(t_new)
        self._h_prev = (t_new - t, h_n)
        self.time, self.m = t_new, new
        self.num_steps += 1
        self._times.append(t_new)
        self._ms.append(new)
        if t_new >= self._next_refine * (1 - 1e-12):
            # the added one-body states are evolved from t = 0 through the recorded history
            self._state.refine_intervals(atol=self._args["refine_tol"],
                                         rtol=self._args["refine_tol"],
                                         error_op=self._currents[0])
            self._next_refine += self._refine_every
            self.num_refinements += 1
        if measure:
            self._measure()

    def _step(self, dt):
        t, m = self.time, self.m
        if self.frozen:
            new = m
        else:
            h_n = self.electron_field()
            slope = 0.0 if self._h_prev is None else (h_n - self._h_prev[1]) / self._h_prev[0]

            def rhs(s, x):
                h = self._field(x) + h_n + (s - t) * slope
                return llg_rhs(x, h, alpha=self.alpha, gamma=self.gamma)
            new, _ = rk4_step(rhs, t, m, dt)
            new = check_finite(new, "magnetisation")
            self.watch.check(new, t + dt)
        self._advance(t + dt, new)

    def evolve(self, time):
        """Advance spins and electrons to ``time`` in steps of at most ``dt`` (module doc)."""
        check_target_time(self.time, time)
        if time > self.tmax * (1 + 1e-12):
            raise KwantLLGError(
                f"Cannot evolve to t = {time:g}: tkwant's lead boundary conditions were "
                f"prepared up to tmax = {self.tmax:g}. Create the dynamics with a larger tmax.")
        eps = 1e-12 * max(1.0, abs(time))
        while self.time < time - eps:
            self._step(min(self.dt, time - self.time))

    def quadrature_error(self):
        """Estimate of the momentum-quadrature error of the current into ``lead``'s
        interface layer at ``time`` (:func:`kwant_llg.tdref.quadrature_error`). The initial
        equilibrium says little about it: after the drive starts the momentum integrand grows
        structure, and at a fixed order the error grows with time (docs/theory.md, "tkwant's
        quadrature in time")."""
        return tdref.quadrature_error(self._state, self._currents[0])

    def observables(self):
        """The records of :meth:`kwant_llg.coupled.PumpedLLG.observables` (keys
        :data:`OBSERVABLES`), with I_p from :meth:`pumped_current`, and ``I_p_error``, the
        :meth:`quadrature_error` of I_p. Warns once (:class:`QuadratureWarning`) when that
        exceeds ``error_warn`` times the largest |I_p| recorded so far."""
        i_p, up, down = self.pumped_current()
        err = self.quadrature_error()
        self._max_current = max(self._max_current, abs(float(i_p)))
        if (not self._warned and self.time > 0 and self._max_current > 0
                and err > self._error_warn * self._max_current):
            self._warned = True
            warnings.warn(
                f"tkwant's quadrature error of the pumped current is {err:.2g} at t = "
                f"{self.time:g}, {err / self._max_current:.0%} of the largest |I_p| so far: "
                f"raise the quadrature order (order={self._args['order']}, "
                "--tkwant-order), split its intervals (subintervals) or refine during the run "
                "(refine_every, --tkwant-refine-every).", QuadratureWarning, stacklevel=2)
        return dict(t=float(self.time), **self.watch.observables(self.m, self.hamiltonian),
                    I_p=float(i_p), I_p_up=float(up), I_p_down=float(down),
                    I_p_error=err)

    def adiabaticity(self, *, n_times=4, threshold=0.1, tol=1e-6):
        """How far this run is from the seed's adiabatic model, for the initial texture and
        the steady drive (:func:`kwant_llg.diagnostics.pump_adiabaticity`; cached in
        :attr:`adiabaticity_info`). None without a drive."""
        if self.adiabaticity_info is None and self.drive is not None:
            from .coupled import frozen_greens
            from .diagnostics import pump_adiabaticity
            from .pumping import PumpDrive
            d, a = self.drive, self._args
            params = {k: v for k, v in a["params"].items()
                      if k not in d.names and k != a["magnetization"]}
            greens = frozen_greens(a["fsyst"], params, d.names)
            pump = PumpDrive([d.amplitudes[n] for n in d.names], d.omega, names=d.names,
                             phases=[d.phases[n] for n in d.names])
            self.adiabaticity_info = pump_adiabaticity(
                greens, self._ms[0], pump, mu=self.energy, n_times=n_times,
                threshold=threshold, tol=tol)
        return self.adiabaticity_info

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        return {"args": self._args, "times": np.array(self._times),
                "ms": None if self.frozen else np.array(self._ms),
                "adiabaticity_info": self.adiabaticity_info}

    def __setstate__(self, state):
        self._setup(state["args"])
        times, n = state["times"], len(state["times"]) - 1
        ms = state["ms"]
        for k in range(1, n + 1):              # measure where the last steps need it
            self._advance(float(times[k]), self.m if ms is None else ms[k],
                          measure=k >= n - 2)
        self.adiabaticity_info = state["adiabaticity_info"]

    def __repr__(self):
        return (f"TimeDependentLLG(<{self.lattice.num_spins} spins>, time={self.time}, "
                f"E={self.energy}, dt={self.dt}, frozen={self.frozen})")
