"""Exact time-dependent reference: the project's devices evolved in tkwant.

The adiabatic results of Xu et al., PRB 108, 144409 (2023) (Brouwer's pumped charge, Eq. 40;
the first-order density of Apps. A and C) are expansions in the pumping frequency ω_p. This
module runs the same device with the gate drive of Sec. V (the unnumbered V_p after Eq. 38),

    V_p(t) = s(t) [V_1 cos(ω t) on column l_1 + V_2 cos(ω t + φ) on column l_2],

through tkwant's exact time evolution of the zero-temperature many-body state (all lead
scattering states below E_F, integrated over momentum by tkwant), and returns time-resolved
currents into the leads and local spin densities. ``s(t) = sin²(π t / 2τ)`` for ``t < τ``
and 1 afterwards switches the drive on smoothly, so that at t = 0 the system is in the
equilibrium state of the undriven device.

Only the thin adapter lives here; tkwant is imported lazily (optional dependency, installed by
``scripts/setup.sh``). The drive enters tkwant as the exact perturbation
W(t) = Σ_p [v_p(t) − v_p(0)] Y_p, with Y_p = ∂H/∂V_p extracted from the system's own value
functions (affinity checked), through tkwant's ``time_dependent_perturbation`` hook;
:func:`time_dependent_builder` makes instead a copy of the builder whose gate value functions
take ``time`` (tkwant's generic route, slower, used to cross-check the hook).

Bound states: tkwant builds the many-body state from lead scattering states only. An occupied
state below the lowest lead band would be missing, so :func:`simulate` counts the bound
states below the continuum at t = 0 (inertia of H + Σ(E_min), see docs/theory.md) and
refuses to run when there are any. With non-magnetic leads the exchange J σ·m binds states
below the lead band; use ``skyrmion_device(..., lead_magnetization=...)`` along the
texture's background.
"""

import copy
import functools
import inspect
import math

import numpy as np
import scipy.linalg as la
import kwant

from ._common import KwantLLGError, SIGMA, SIGMA_0, check_finite, site_field
from . import leads as _leads

__all__ = ["GateDrive", "TimeDependentResult", "simulate", "time_dependent_builder",
           "count_bound_states", "quadrature_error", "require_tkwant", "TMAX_MARGIN"]

#: Default ratio of tkwant's ``tmax`` to the last time that is evolved to: tkwant's lead
#: boundary conditions are accurate only to about 3/4 of ``tmax`` (measured, see simulate).
TMAX_MARGIN = 1.4


def require_tkwant():
    """Import tkwant (and its many-body module) or raise a clear error."""
    try:
        import tkwant
        import tkwant.manybody  # noqa: F401  (imports mpi4py lazily, kwantspectrum)
    except ImportError as exc:
        raise KwantLLGError(
            f"tkwant is required for kwant_llg.tdref but could not be imported ({exc}). "
            "Install it with scripts/setup.sh (it builds tkwant 1.1 with Cython < 3 once and "
            "caches the wheel) or from conda-forge (environment.yml).") from exc
    return tkwant


class GateDrive:
    """Periodic gate drive v_p(t) = s(t) A_p cos(ω t + φ_p) of named onsite parameters.

    Parameters
    ----------
    omega : float
        Pumping frequency ω_p (> 0).
    amplitudes : dict
        Parameter name → amplitude A_p, e.g. ``{"V1": 0.5, "V2": 0.5}``.
    phases : dict, optional
        Parameter name → phase φ_p (default 0), e.g. ``{"V2": np.pi / 2}``.
    switch_on : float
        Ramp duration τ in periods (default 1): s(t) = sin²(π t / 2τ) for t < τ, else 1.
        0 switches the drive on abruptly (then H(0) includes v_p(0)).
    """

    def __init__(self, omega, amplitudes, *, phases=None, switch_on=1.0):
        omega = float(omega)
        if not np.isfinite(omega) or omega <= 0:
            raise KwantLLGError(f"omega must be a positive frequency, got {omega!r}.")
        if not amplitudes:
            raise KwantLLGError("amplitudes must name at least one onsite parameter, "
                                "e.g. {'V1': 0.5, 'V2': 0.5}.")
        self.omega = omega
        self.amplitudes = {str(k): float(v) for k, v in amplitudes.items()}
        phases = {} if phases is None else dict(phases)
        unknown = set(phases) - set(self.amplitudes)
        if unknown:
            raise KwantLLGError(f"phases given for {sorted(unknown)} which have no amplitude.")
        self.phases = {k: float(phases.get(k, 0.0)) for k in self.amplitudes}
        if not switch_on >= 0:
            raise KwantLLGError(f"switch_on must be >= 0 periods, got {switch_on!r}.")
        self.switch_on = float(switch_on)

    @property
    def period(self):
        """T = 2π/ω."""
        return 2 * np.pi / self.omega

    @property
    def names(self):
        return tuple(self.amplitudes)

    def envelope(self, time):
        """s(t)."""
        tau = self.switch_on * self.period
        time = np.asarray(time, dtype=float)
        if tau == 0:
            return np.ones_like(time)
        return np.where(time < tau, np.sin(np.pi * np.clip(time, 0, tau) / (2 * tau)) ** 2, 1.0)

    def value(self, name, time):
        """v_p(t)."""
        return (self.envelope(time) * self.amplitudes[name]
                * np.cos(self.omega * np.asarray(time, dtype=float) + self.phases[name]))

    def steady_value(self, name, time):
        """A_p cos(ω t + φ_p), the drive without the switch-on envelope."""
        return self.amplitudes[name] * np.cos(self.omega * np.asarray(time, float)
                                              + self.phases[name])

    def steady_derivative(self, name, time):
        """d/dt of :meth:`steady_value`."""
        return -self.omega * self.amplitudes[name] * np.sin(
            self.omega * np.asarray(time, float) + self.phases[name])

    def sample_times(self, periods, samples_per_period=32):
        """Uniform times from 0 to (switch_on + periods)·T, ``samples_per_period`` per period."""
        total = self.switch_on + periods
        n = int(round(total * samples_per_period))
        if abs(n - total * samples_per_period) > 1e-9:
            raise KwantLLGError("switch_on + periods must be a multiple of 1/samples_per_period.")
        return np.arange(n + 1) * (self.period / samples_per_period)


class _GatePerturbation:
    """W(t) = Σ_p [v_p(t) − v_p(0)] Y_p in tkwant's perturbation interface (size, apply).

    tkwant calls ``apply`` at every stage of its Runge–Kutta steps for every one-body state,
    so the coefficients are computed with scalar math and Y_p is stored as its orbitals and
    diagonal when it is diagonal (gate potentials).
    """

    def __init__(self, drive, matrices):
        self.drive = drive
        self.matrices = matrices          # name -> CSR Y_p (central orbitals)
        self.size = next(iter(matrices.values())).shape[0]
        names = list(matrices)
        self._amp = [drive.amplitudes[p] for p in names]
        self._phase = [drive.phases[p] for p in names]
        self._omega = drive.omega
        self._tau = drive.switch_on * drive.period
        self._v0 = [self._value(0.0, k) for k in range(len(names))]
        total = sum(abs(y) for y in matrices.values()).tocoo()
        if np.all(total.row == total.col):
            self._orbs = total.row.astype(int)
            self._diag = [np.asarray(y[self._orbs, self._orbs]).ravel() for y in matrices.values()]
        else:
            self._orbs = None
        self._mats = list(matrices.values())

    def _value(self, time, k):
        env = 1.0
        if self._tau > 0 and time < self._tau:
            env = math.sin(math.pi * max(time, 0.0) / (2 * self._tau)) ** 2
        return env * self._amp[k] * math.cos(self._omega * time + self._phase[k])

    def coefficients(self, time):
        return [self._value(time, k) - self._v0[k] for k in range(len(self._amp))]

    def evaluate(self, time, out=None):
        mat = sum(c * y for c, y in zip(self.coefficients(time), self._mats))
        return mat.tocoo()

    def apply(self, time, ket, out=None):
        ket = np.asarray(ket)
        res = np.zeros(self.size, complex) if out is None else np.asarray(out)
        coef = self.coefficients(time)
        if self._orbs is not None:
            d = coef[0] * self._diag[0]
            for c, dk in zip(coef[1:], self._diag[1:]):
                d = d + c * dk
            res[self._orbs] += d * ket[self._orbs]
        else:
            for c, y in zip(coef, self._mats):
                if c != 0.0:
                    res += c * (y @ ket)
        return res if out is None else None


def _parameter_matrices(fsyst, params, names):
    """Y_p = H(v_p = 1) − H(v_p = 0) (sparse, central orbitals); checks that H is affine in v_p."""
    mats = {}
    for p in names:
        if p not in params:
            raise KwantLLGError(f"The drive names '{p}' but params has no such parameter; the "
                                f"system's value functions must take '{p}' (e.g. skyrmion_device "
                                "with gates).")

        def h(v):
            return fsyst.hamiltonian_submatrix(params={**params, p: v}, sparse=True).tocsr()
        h0, h1, h2 = h(0.0), h(1.0), h(-2.0)
        y = (h1 - h0).tocsr()
        y.eliminate_zeros()
        if y.nnz == 0:
            raise KwantLLGError(f"The Hamiltonian does not depend on '{p}': nothing to drive.")
        if abs((h2 - h0) + 2 * y).max() > 1e-10 * max(1.0, abs(y).max()):
            raise KwantLLGError(f"The Hamiltonian is not affine in '{p}'; the gate drive needs "
                                "onsite terms linear in the gate potential.")
        mats[p] = y
    return mats


def quadrature_error(state, operator):
    """Σ over tkwant's Gauss–Kronrod momentum intervals of |G_n − K_2n+1| for ``operator``
    (a scalar observable) at the state's current time.

    The Gauss–Kronrod difference of each interval estimates the error of its Gauss rule, and
    for a resolved integrand overestimates that of the Kronrod value tkwant returns (2–30×
    in docs/theory.md, "tkwant's quadrature in time"). (tkwant's own
    ``estimate_error`` scales QUADPACK's heuristic by ∫|f − f̄| dk, which for a current
    saturates at the size of the one-body currents, O(1), however good the quadrature.)
    """
    total = 0.0
    for interval in state.get_intervals():
        if interval.quadrature != "kronrod":
            continue
        gauss, kronrod = state._evaluate_interval(interval, operator)
        total = total + np.abs(np.asarray(gauss) - np.asarray(kronrod))
    return float(np.max(total))


def _lead_band_bottom(lead, params, num_k=801):
    """Lowest energy of a lead's bands (grid over k, refined by a parabola at the minimum)."""
    h0, v = _leads.lead_matrices(lead, params=params)
    ks = np.linspace(-np.pi, np.pi, num_k)

    def emin(k):
        hk = h0 + v * np.exp(1j * k) + v.conj().T * np.exp(-1j * k)
        return la.eigvalsh(hk)[0]
    es = np.array([emin(k) for k in ks])
    i = int(np.argmin(es))
    from scipy.optimize import minimize_scalar
    res = minimize_scalar(emin, bounds=(ks[max(i - 1, 0)], ks[min(i + 1, num_k - 1)]),
                          method="bounded", options=dict(xatol=1e-12))
    return min(es[i], res.fun)


def count_bound_states(fsyst, *, params):
    """Number of states of the open system below the continuum (lowest lead band edge E_min).

    Below every lead band the self-energies Σ_α(E) are Hermitian and H + Σ(E) − E decreases
    monotonically with E, so the number of bound states with energy < E_min equals the number
    of negative eigenvalues of H + Σ(E_min⁻) − E_min (see docs/theory.md).

    Returns
    -------
    count : int
    e_min : float
        The continuum edge.
    """
    if not fsyst.leads:
        raise KwantLLGError("The system has no leads: every state is bound.")
    e_min = min(_lead_band_bottom(lead, params) for lead in fsyst.leads)
    energy = e_min - 1e-7 * max(1.0, abs(e_min))
    h = fsyst.hamiltonian_submatrix(params=params, sparse=False)
    for lead, iface in zip(fsyst.leads, fsyst.lead_interfaces):
        sigma = _leads.selfenergy(lead, energy, params=params)
        orbs = _interface_orbitals(fsyst, iface)
        h[np.ix_(orbs, orbs)] += sigma
    h = 0.5 * (h + h.conj().T)
    ev = la.eigvalsh(h - energy * np.eye(len(h)))
    return int(np.sum(ev < 0)), float(e_min)


def _interface_orbitals(fsyst, sites):
    """Orbital indices of the given site indices (uniform norbs assumed per site family)."""
    out = []
    for s in sites:
        out.append(_site_orbitals(fsyst, s))
    return np.concatenate(out) if out else np.zeros(0, int)


def _site_orbitals(fsyst, s):
    for start_site, norbs, start_orb in fsyst.site_ranges[:-1][::-1]:
        if s >= start_site:
            first = start_orb + (s - start_site) * norbs
            return np.arange(first, first + norbs)
    raise KwantLLGError(f"Site index {s} is out of range.")


def time_dependent_builder(syst, drive):
    """Copy of a Kwant builder whose onsite value functions of the driven parameters take time.

    Every onsite value function with a parameter ``p`` named in ``drive`` is replaced by a
    function of the same parameters plus ``time`` that calls it with ``p`` set to v_p(time) (the
    value passed for ``p`` in ``params`` is then ignored, but must be present). This is
    tkwant's generic way of describing W(t); :func:`simulate` uses the exact perturbation hook
    instead (35–100× faster, docs/performance.md).
    """
    new = kwant.Builder(syst.symmetry)
    new.update(syst)
    wrapped = {}
    for site, value in list(new.site_value_pairs()):
        if not callable(value):
            continue
        pars = list(inspect.signature(value).parameters)
        driven = [p for p in drive.names if p in pars[1:]]
        if not driven:
            continue
        if value not in wrapped:
            wrapped[value] = _timed(value, pars, driven, drive)
        new[site] = wrapped[value]
    return new


def _timed(func, pars, driven, drive):
    names = pars + ["time"]

    def timed(*args):
        kw = dict(zip(names, args))
        time = kw.pop("time")
        for p in driven:
            kw[p] = float(drive.value(p, time))
        return func(*[kw[n] for n in pars])
    timed.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    timed.__name__ = f"timed_{getattr(func, '__name__', 'onsite')}"
    return timed


def _cut_bonds(fsyst, lead):
    """Hoppings (i, j) with i an interface site of ``lead`` and j a device site outside it."""
    iface = set(int(i) for i in fsyst.lead_interfaces[lead])
    graph = fsyst.graph
    bonds = [(i, int(j)) for i in sorted(iface) for j in graph.out_neighbors(i)
             if int(j) not in iface]
    if not bonds:
        raise KwantLLGError(f"Lead {lead}'s interface has no hoppings into the device.")
    return bonds


def _conserves_sz(fsyst, params, bonds):
    for lead in fsyst.leads:
        h0, v = _leads.lead_matrices(lead, params=params)
        if not _leads.conserves_spin_z(h0, v):
            return False
    h = fsyst.hamiltonian_submatrix(params=params, sparse=True).tocsr()
    sz = np.diag([1.0, -1.0])
    for i, j in bonds:
        oi, oj = _site_orbitals(fsyst, i), _site_orbitals(fsyst, j)
        if len(oi) != 2 or len(oj) != 2:
            return False
        hij = h[oi][:, oj].toarray()
        if np.abs(sz @ hij - hij @ sz).max() > 1e-12:
            return False
    return True


class TimeDependentResult:
    """Time series of a tkwant simulation (see :func:`simulate`).

    Attributes
    ----------
    times : ndarray (nt,)
    drive : GateDrive
    energy : float
        Fermi energy E_F (zero temperature).
    current : ndarray (nt, num_leads)
        Particle current flowing into the interface layer of each lead from the rest of the
        device (electrons per unit time, e = 1). Its average over a period in the periodic
        state equals the dc current into the lead; instantaneously it differs from the current
        into the lead by d/dt of the charge on the interface layer (``charge_density``).
    current_spin : ndarray (nt, num_leads, 2) or None
        The same per σ_z (index 0 = up, 1 = down); None when the leads or the cut hoppings do
        not conserve σ_z.
    spin_density : ndarray (nt, num_sites, 3) or None
        ⟨σ⟩_i(t) (not s = σ/2), rows in ``fsyst.sites`` order.
    charge_density : ndarray (nt, num_sites) or None
    current_error : ndarray (nt, num_leads)
        Estimate of the momentum-quadrature error of ``current`` at each time
        (:func:`quadrature_error`). The error can grow after the drive starts: check it where
        the result is used, not only at t = 0.
    num_states : int
        Number of one-body scattering states tkwant evolved (at the end).
    """

    def __init__(self, times, drive, energy, current, current_spin, spin_density,
                 charge_density, num_states, current_error=None):
        self.times = times
        self.drive = drive
        self.energy = energy
        self.current = current
        self.current_spin = current_spin
        self.spin_density = spin_density
        self.charge_density = charge_density
        self.num_states = num_states
        self.current_error = current_error

    def period_average(self, values, periods=1):
        """Average of ``values`` (first axis = time) over the last ``periods`` drive periods.

        The samples must be uniform with an integer number per period; the rectangle rule over
        [t_end − n T, t_end) is then exact for band-limited periodic signals.
        """
        values = np.asarray(values)
        t = self.times
        dt = np.diff(t)
        if len(t) < 2 or np.abs(dt - dt[0]).max() > 1e-9 * dt[0]:
            raise KwantLLGError("period_average needs uniformly spaced times "
                                "(use GateDrive.sample_times).")
        per = self.drive.period / dt[0]
        if abs(per - round(per)) > 1e-6:
            raise KwantLLGError("The time step must divide the drive period.")
        n = int(round(per)) * int(periods)
        if n > len(t) - 1:
            raise KwantLLGError(f"Only {(len(t) - 1) / per:.2f} periods were simulated; "
                                f"cannot average over {periods}.")
        return values[-n - 1:-1].mean(axis=0)

    def pumped_charge(self, lead, *, spin=None, periods=1):
        """Electrons pumped into ``lead`` per cycle: T × the period-averaged current.

        ``spin`` = +1 or −1 selects σ_z up or down (needs ``current_spin``).
        """
        if spin is None:
            series = self.current[:, lead]
        else:
            if self.current_spin is None:
                raise KwantLLGError("Spin-resolved currents need leads that conserve σ_z.")
            if spin not in (1, -1):
                raise KwantLLGError(f"spin must be +1 or -1, got {spin!r}.")
            series = self.current_spin[:, lead, 0 if spin == 1 else 1]
        return float(self.period_average(series, periods) * self.drive.period)


def simulate(fsyst, drive, energy, times, *, params, magnetization="m", densities=True,
             order=10, subintervals=1, refine=True, refine_tol=1e-5, refine_every=None,
             check_bound_states=True, tmax=None):
    """Evolve the zero-temperature many-body state of ``fsyst`` under ``drive`` with tkwant.

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
        E.g. ``skyrmion_device(L, W, lead_magnetization=(0, 0, 1)).finalized()``.
    drive : GateDrive
        Drives onsite parameters of ``fsyst`` (e.g. ``V1``, ``V2``).
    energy : float
        Fermi energy E_F; every lead is filled up to E_F at zero temperature.
    times : array_like
        Increasing times ≥ 0 at which to record (``drive.sample_times`` gives a uniform grid).
    params : dict
        Value-function parameters (the driven ones are set by the drive; the magnetisation may
        be an array (num_sites, 3) and is frozen).
    magnetization : str
        Name of the magnetisation parameter (wrapped as a callable ``m(site)`` if an array).
    densities : bool
        Record ⟨σ⟩_i(t) and the charge density (default True).
    order : int
        Gauss–Kronrod order of tkwant's momentum quadrature on each interval.
    subintervals : int
        Split each of tkwant's initial momentum intervals into this many.
    refine, refine_tol : bool, float
        Let tkwant refine the quadrature at t = 0 to this absolute and relative tolerance
        (of the density).
    refine_every : float, optional
        Refine again every this many drive periods, to ``refine_tol`` of the current into
        every lead (tkwant evolves the added one-body states from t = 0). After an abrupt
        start the momentum integrand grows structure with time: a quadrature that is exact at
        t = 0 can be off by tens of per cent in the periodic state (docs/theory.md, "tkwant's
        quadrature in time"); :attr:`TimeDependentResult.current_error` shows it.
    check_bound_states : bool
        Refuse systems with bound states below the continuum at t = 0 (see module doc).
    tmax : float, optional
        Time up to which tkwant prepares its lead boundary conditions, at least the last of
        ``times``; default :data:`TMAX_MARGIN` (1.4) times it. They are accurate only to
        about 3/4 of ``tmax``: on the 5×2 device of tests/test_floquet_sea.py (ω = 0.4) the
        recorded values leave those of a longer ``tmax`` from t ≈ 0.75 ``tmax`` on (below
        1e-7 relative before), and at t = ``tmax`` the current is off by 2–5e-3 of max|I|
        and ⟨σ⟩ by 3–6e-4 of max|⟨σ⟩|. The margin costs little (+6 % for 1.4×).

    Returns
    -------
    TimeDependentResult
    """
    tkwant = require_tkwant()
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or len(times) == 0 or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise KwantLLGError("times must be a non-empty increasing 1D array of times >= 0.")
    if not np.isfinite(energy):
        raise KwantLLGError(f"The Fermi energy must be finite, got {energy!r}.")
    if not fsyst.leads:
        raise KwantLLGError("The system has no leads; tkwant's scattering states need leads.")
    if refine_every is not None and not refine_every > 0:
        raise KwantLLGError(f"refine_every must be a positive number of periods, got "
                            f"{refine_every!r}.")
    tmax = max(TMAX_MARGIN * float(times[-1]), 1.0) if tmax is None else float(tmax)
    if not (np.isfinite(tmax) and tmax >= times[-1] and tmax > 0):
        raise KwantLLGError(f"tmax must be positive and at least the last time {times[-1]:g}, "
                            f"got {tmax!r}.")
    params = dict(params)
    if magnetization in params:
        params[magnetization] = site_field(fsyst, params[magnetization])
    params0 = {**params, **{p: float(drive.value(p, 0.0)) for p in drive.names}}
    mats = _parameter_matrices(fsyst, params0, drive.names)
    if check_bound_states:
        nb, e_min = count_bound_states(fsyst, params=params0)
        if nb:
            raise KwantLLGError(
                f"The system has {nb} bound state(s) below the continuum edge E = {e_min:.4g} at "
                "t = 0; tkwant's many-body state would miss them. Use leads whose bands start "
                "no higher than the device's (e.g. skyrmion_device(..., lead_magnetization=the "
                "texture's background)), or pass check_bound_states=False if they do not matter.")

    perturbation = _GatePerturbation(drive, mats)
    tsyst = copy.copy(fsyst)
    tsyst.time_dependent_perturbation = lambda time_name, time_start, params=None: perturbation

    man = tkwant.manybody
    occupation = man.lead_occupation(chemical_potential=float(energy))
    spectra = __import__("kwantspectrum").spectra(fsyst.leads, params={**params0, "time": 0.0})
    interval_type = functools.partial(man.Interval, order=int(order))
    intervals = man.calc_intervals(spectra, [occupation], interval_type=interval_type)
    if subintervals > 1:
        intervals = man.split_intervals(intervals, int(subintervals))
    if not intervals:
        raise KwantLLGError(f"No lead mode is occupied below E_F = {energy}: raise the energy.")
    state = man.State(tsyst, tmax=tmax, occupations=occupation,
                      params=params0, spectra=spectra, intervals=intervals, refine=False)
    if refine:
        state.refine_intervals(atol=refine_tol, rtol=refine_tol)

    bonds = [_cut_bonds(fsyst, a) for a in range(len(fsyst.leads))]
    spin_ok = all(_conserves_sz(fsyst, params0, b) for b in bonds)
    projectors = [SIGMA_0] + ([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])] if spin_ok else [])
    currents = [[kwant.operator.Current(fsyst, onsite=p, where=[(i, j) for i, j in b],
                                        sum=True)
                 for p in projectors] for b in bonds]
    dens_ops = ([kwant.operator.Density(fsyst, onsite=s, sum=False) for s in (*SIGMA, SIGMA_0)]
                if densities else [])

    cur, dens, err = [], [], []
    next_refine = np.inf if refine_every is None else refine_every * drive.period
    for t in times:
        while next_refine <= t:
            state.evolve(next_refine)
            for ops in currents:
                state.refine_intervals(atol=refine_tol, rtol=refine_tol, error_op=ops[0])
            next_refine += refine_every * drive.period
        state.evolve(float(t))
        cur.append([[state.evaluate(op) for op in ops] for ops in currents])
        err.append([quadrature_error(state, ops[0]) for ops in currents])
        if densities:
            dens.append([state.evaluate(op) for op in dens_ops])
    cur = check_finite(np.real(np.array(cur, dtype=complex)), "tkwant current")
    current = cur[:, :, 0]
    current_spin = cur[:, :, 1:] if spin_ok else None
    spin = charge = None
    if densities:
        dens = check_finite(np.real(np.array(dens, dtype=complex)), "tkwant density")
        spin = np.moveaxis(dens[:, :3], 1, 2)
        charge = dens[:, 3]
    num_states = len(state.manybody_wavefunction.get_keys())
    return TimeDependentResult(times, drive, float(energy), current, current_spin, spin,
                               charge, num_states, current_error=np.array(err))
