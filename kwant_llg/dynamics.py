r"""LLG time evolution of a classical spin lattice and energy minimisation.

:class:`LLG` is a state object in the style of tkwant's solvers: it holds the current time
and texture, ``evolve(time)`` moves it forward and ``evaluate(observable)`` measures. It is
picklable; a run restarted from a pickle continues bit-for-bit like an uninterrupted one.

:func:`relax` minimises the spin energy by damped, precession-free LLG dynamics.
"""

from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import daxpy

from ._common import ConvergenceError, KwantLLGError, validate_magnetization
from .integrators import get_integrator, cayley_rotate, dopri5_step, StepController, ADAPTIVE
from .llg import llg_rhs, ZhangLiTorque, cross
from .spins import SpinLattice, Term, compile_field
from . import topology

__all__ = ["LLG", "relax", "RelaxResult"]

_OBSERVABLES = {
    "energy": lambda s, m: s.hamiltonian.energy(s.lattice, m),
    "magnetization": lambda s, m: m.mean(axis=0),
    "topological_charge": lambda s, m: topology.topological_charge(s.lattice, m),
    "topological_charge_closed": lambda s, m: topology.topological_charge(
        s.lattice, m, boundary="background"),
    "skyrmion_center": lambda s, m: topology.skyrmion_center(s.lattice, m),
    "skyrmion_radius": lambda s, m: topology.skyrmion_radius(s.lattice, m),
    "max_torque": lambda s, m: max_torque(m, s.field(m)),
}


def max_torque(m, h):
    """max_i |m_i × H_eff,i| (zero at equilibrium)."""
    return float(np.max(np.linalg.norm(np.cross(m, h), axis=1)))


def _check_inputs(lattice, hamiltonian, m0):
    if not isinstance(lattice, SpinLattice):
        raise KwantLLGError(f"lattice must be a SpinLattice, got {type(lattice).__name__} "
                            "(use SpinLattice.from_kwant(fsyst)).")
    if not isinstance(hamiltonian, Term):
        raise KwantLLGError("hamiltonian must be a spin Hamiltonian term or a sum of terms, "
                            f"e.g. Exchange(1) + DMI(0.2); got {type(hamiltonian).__name__}.")
    return validate_magnetization(m0, lattice.num_spins, name="m0").copy()


def _check_alpha(alpha, num):
    a = np.asarray(alpha, dtype=float)
    if a.ndim == 0:
        if not np.isfinite(a) or a < 0:
            raise KwantLLGError(f"The damping alpha must be a finite number >= 0, got {alpha!r}.")
        return float(a)
    if a.shape not in ((3, 3), (num, 3, 3)) or not np.all(np.isfinite(a)):
        raise KwantLLGError(f"A damping tensor must be finite with shape (3, 3) or ({num}, 3, 3), "
                            f"got shape {a.shape}.")
    sym = 0.5 * (a + np.swapaxes(a, -1, -2))
    if np.min(np.linalg.eigvalsh(sym)) < -1e-12:
        raise KwantLLGError("The damping tensor must be positive semidefinite (its symmetric "
                            "part has a negative eigenvalue): that would pump energy in.")
    return a


def check_target_time(current, time):
    """Refuse a non-finite target time or one before the state's ``current`` time."""
    if not np.isfinite(time):
        raise KwantLLGError(f"time must be finite, got {time!r}.")
    if time < current:
        raise KwantLLGError(f"Cannot evolve backwards in time: the state is at "
                            f"t = {current}, requested t = {time}.")


def _positive(value, name):
    if not (np.isscalar(value) and np.isfinite(value) and value > 0):
        raise KwantLLGError(f"{name} must be a finite positive number, got {value!r}.")
    return float(value)


class LLG:
    r"""Time evolution of the LLG equation (Eqs. 18, 31, 37, 39) on a spin lattice.

    Solves dm_i/dt = −γ m_i × H_i + m_i × (α̂ dm_i/dt) + T_i (see :mod:`kwant_llg.llg`) with
    H_i = −∂H/∂m_i (+ ``extra`` if it is a field) and T_i the current and ``extra`` torques.

    Parameters
    ----------
    lattice : SpinLattice
    hamiltonian : Term or Hamiltonian
        E.g. ``Exchange(1) + DMI(0.2) + Anisotropy(0.07)`` (Eq. 38).
    m0 : array_like (num_spins, 3)
        Initial unit vectors.
    alpha : float or array (3, 3) or (num_spins, 3, 3)
        Gilbert damping (≥ 0, or a positive-semidefinite tensor).
    gamma : float
        Gyromagnetic ratio (default 1).
    integrator : {"rk4", "midpoint", "dopri5"}
        See :mod:`kwant_llg.integrators`. ``"dopri5"`` is the adaptive Dormand–Prince 5(4)
        pair with error control (tolerance ``tol``).
    dt : float
        Fixed time step (units ħ/J_ex); for ``"dopri5"`` the size of the first trial step.
    tol : float
        Only for ``"dopri5"``: the local error estimate per unit time,
        max_i,k |m5 − m4| / h, stays below ``tol`` (see
        :class:`~kwant_llg.integrators.StepController`). For dynamics that do not amplify
        perturbations the global error then stays below ``tol`` × elapsed time.
    extra : callable ``extra(t, m) -> (num_spins, 3)``, optional
        Additional field (``extra_kind="field"``, added to H_eff; e.g. (J/γ)s_D of Eq. 39
        with its sign) or additive torque (``extra_kind="torque"``, the T of Eq. 1).
        It must be picklable (a module-level function or object) for pickling the state.
    current : ZhangLiTorque or dict, optional
        Zhang–Li torques; a dict is passed on as ``ZhangLiTorque(lattice, **current)``,
        e.g. ``dict(u=(0.05, 0), beta=0.2)``.
    time : float
        Initial time.
    norm_tol : float
        Instability threshold: if an RK4 step leaves max_i ||m_i| − 1| > ``norm_tol`` before
        renormalisation (or produces NaN), :class:`~kwant_llg.ConvergenceError` is raised.
        The adaptive integrator instead rejects and shrinks such steps, and raises
        :class:`~kwant_llg.ConvergenceError` when the step falls below 1e-10.

    Attributes
    ----------
    time : float
        Current time.
    m : ndarray (num_spins, 3)
        Current texture (read-only; the state never mutates it in place, so it is safe
        to keep a reference).

    num_steps, num_rejected : int
        Accepted steps so far (fixed-step integrators: grid steps) and rejected attempts
        (adaptive only).

    Notes
    -----
    Fixed-step integrators take steps on the grid t₀ + n dt. ``evolve(t)`` for t off the
    grid makes one partial step from the last grid point to report ``m`` at t, but
    continues later from the grid point, so ``evolve(t1); evolve(t2)`` equals
    ``evolve(t2)`` bit for bit, and so does a state restored from a pickle (``extra`` must
    then be picklable).
    The adaptive integrator chooses its steps from the error estimate alone and reports m
    at an intermediate time by dense output, with the same guarantee.
    """

    def __init__(self, lattice, hamiltonian, m0, *, alpha, gamma=1.0, integrator="rk4",
                 dt=0.02, extra=None, extra_kind="field", current=None, time=0.0,
                 norm_tol=1e-3, tol=1e-8):
        self.lattice = lattice
        self.hamiltonian = hamiltonian
        self._m_grid = _check_inputs(lattice, hamiltonian, m0)
        self.alpha = _check_alpha(alpha, lattice.num_spins)
        self.gamma = _positive(gamma, "gamma")
        self.dt = _positive(dt, "dt")
        self.norm_tol = _positive(norm_tol, "norm_tol")
        if isinstance(integrator, str) and integrator in ADAPTIVE:
            self._controller = StepController(tol)
        else:
            get_integrator(integrator)
            self._controller = None
        self.integrator = integrator
        if extra is not None and not callable(extra):
            raise KwantLLGError("extra must be a callable extra(t, m) -> array (num_spins, 3).")
        if extra_kind not in ("field", "torque"):
            raise KwantLLGError(f"extra_kind must be 'field' or 'torque', got {extra_kind!r}.")
        self.extra, self.extra_kind = extra, extra_kind
        if isinstance(current, dict):
            current = ZhangLiTorque(lattice, **current)
        if current is not None and not isinstance(current, ZhangLiTorque):
            raise KwantLLGError("current must be a ZhangLiTorque or a dict(u=..., beta=...).")
        self.current = current
        if not np.isfinite(time):
            raise KwantLLGError(f"time must be finite, got {time!r}.")
        self._t0 = float(time)
        self._steps = 0
        self.num_rejected = 0
        self._k1, self._last = None, None          # adaptive: FSAL stage, last step
        self._h = self.dt
        self.time = float(time)
        self._m_grid.flags.writeable = False
        self.m = self._m_grid

    def field(self, m):
        """H_eff = −∂H/∂m of the Hamiltonian alone (without ``extra``), by the compiled sparse
        affine map of :func:`~kwant_llg.spins.compile_field` (built on first use and again
        whenever ``hamiltonian`` or ``lattice`` is replaced)."""
        built_for = getattr(self, "_field_for", (None, None))
        if built_for[0] is not self.hamiltonian or built_for[1] is not self.lattice:
            self._compiled = compile_field(self.hamiltonian, self.lattice)
            self._field_for = (self.hamiltonian, self.lattice)    # references, not ids
        return self._compiled(m)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_compiled", None)              # rebuilt after unpickling
        state.pop("_field_for", None)
        return state

    def rhs(self, t, m):
        """dm/dt at time t for the texture m (num_spins, 3)."""
        h = self.field(m)
        torque = None
        if self.extra is not None:
            e = np.asarray(self.extra(t, m), dtype=float)
            if e.shape != m.shape:
                raise KwantLLGError(f"extra(t, m) returned shape {e.shape}, expected {m.shape}.")
            if self.extra_kind == "field":
                h = h + e
            else:
                torque = e
        if self.current is not None:
            t_cur = self.current(m)
            torque = t_cur if torque is None else torque + t_cur
        return llg_rhs(m, h, alpha=self.alpha, gamma=self.gamma, torque=torque)

    def _step(self, t, m, dt):
        new, err = get_integrator(self.integrator)(self.rhs, t, m, dt)
        if not np.all(np.isfinite(new)) or (self.integrator == "rk4" and err > self.norm_tol):
            raise ConvergenceError(
                f"The LLG integration became unstable at t = {t:.6g} (|m| drifted by {err:.3g} "
                f"in one step, or NaN appeared). Use a smaller time step than dt = {dt}.")
        return new

    def _grid_time(self, n):
        return self._t0 + n * self.dt

    def evolve(self, time):
        """Evolve the state forward to ``time`` (must not be earlier than ``self.time``)."""
        check_target_time(self.time, time)
        if self._controller is not None:
            return self._evolve_adaptive(float(time))
        m = self._m_grid
        n = self._steps
        eps = 1e-12 * max(1.0, abs(time))
        while self._grid_time(n + 1) <= time + eps:
            m = self._step(self._grid_time(n), m, self.dt)
            n += 1
        self._m_grid, self._steps = m, n
        rest = time - self._grid_time(n)
        if rest > eps:
            m = self._step(self._grid_time(n), m, rest)
        self.time = float(time)
        m.flags.writeable = False
        self.m = m

    @property
    def num_steps(self):
        return self._steps

    def _evolve_adaptive(self, time):
        eps = 1e-12 * max(1.0, abs(time))
        ctrl = self._controller
        while self._grid_end() < time - eps:
            step = dopri5_step(self.rhs, self._grid_end(), self._m_grid, self._h, k1=self._k1)
            self._h = ctrl.next_step(step)          # raises when the step collapses
            if ctrl.accept(step):
                self._last, self._m_grid, self._k1 = step, step.m, step.k[6]
                self._steps += 1
            else:
                self.num_rejected += 1
        if self._last is None or abs(time - self._grid_end()) <= eps:
            m = self._m_grid
        else:
            m = self._last.dense(time)
        self.time = time
        m.flags.writeable = False
        self.m = m

    def _grid_end(self):
        """Time of the last accepted adaptive step."""
        return self._t0 if self._last is None else self._last.t + self._last.dt

    def evaluate(self, observable):
        """Evaluate ``observable(m)`` (a callable) or a named observable on the current state.

        Names: ``"energy"``, ``"magnetization"`` (mean m), ``"topological_charge"`` (raw sum
        over the sample), ``"topological_charge_closed"`` (closed by the far field, an
        integer; see :func:`~kwant_llg.topology.topological_charge`),
        ``"skyrmion_center"`` (paper's definition), ``"skyrmion_radius"`` (m_z = 0 contour),
        ``"max_torque"`` (max_i |m_i × H_eff,i|).
        """
        if callable(observable):
            return observable(self.m.copy())
        try:
            fun = _OBSERVABLES[observable]
        except (KeyError, TypeError):
            raise KwantLLGError(f"Unknown observable {observable!r}; pass a callable(m) or one "
                                f"of {sorted(_OBSERVABLES)}.") from None
        return fun(self, self.m)

    def __repr__(self):
        return (f"LLG(<{self.lattice.num_spins} spins>, time={self.time}, alpha={self.alpha}, "
                f"integrator={self.integrator!r}, dt={self.dt})")


@dataclass
class RelaxResult:
    """Result of :func:`relax`.

    Attributes
    ----------
    m : ndarray (num_spins, 3)
    energy : float
    iterations : int
    converged : bool
        True if max_i |m_i × H_eff,i| < tol was reached.
    max_torque : float
    """

    m: np.ndarray
    energy: float
    iterations: int
    converged: bool
    max_torque: float


def relax(lattice, hamiltonian, m0, *, tol=1e-6, max_iter=200_000, method="lbfgs", step=None,
          fixed=None, memory=5, max_rotation=0.05):
    r"""Minimise the energy until max_i |m_i × H_eff,i| < tol.

    Every update rotates each spin, m_i ← R(θ_i) m_i (Cayley rotation by the angle ≈ |θ_i|
    about θ_i, norm-preserving, see :mod:`kwant_llg.integrators`). In these rotation
    variables the gradient of the energy is ∂H/∂θ_i = −m_i × H_eff,i, so the steepest-descent
    step θ_i = τ m_i × H_i is precession-free damped LLG dynamics (the α → ∞ limit of Eq. 37
    with time rescaled, dm/dt = −m × (m × H)).

    Parameters
    ----------
    tol : float
        Convergence threshold for max_i |m_i × H_eff,i| (energy units).
    max_iter : int
    method : {"lbfgs", "bb", "descent"}
        ``"lbfgs"`` (default): limited-memory BFGS in the rotation variables θ (the idea of
        orthogonal spin optimisation, Ivanov, Uzdin and Jónsson, Comput. Phys. Commun. 260,
        107749 (2021)): the two-loop recursion over the last ``memory`` pairs
        (s = θ, y = change of ∂H/∂θ) gives θ, scaled down so that no spin turns by more than
        ``max_rotation`` radians; the memory is cleared when θ is not a descent direction.
        Fastest for textures with soft modes (several skyrmions), not monotone.
        ``"descent"``: fixed step τ = ``step`` (default 0.5/h_max with h_max the largest
        field magnitude of m0); the energy decreases monotonically for small enough τ.
        ``"bb"``: Barzilai–Borwein steps (alternating s·s/s·y and s·y/y·y, with s the change of
        m and y the change of the gradient −m × (m × H)), as in LaBonte's method revisited
        (Exl et al., J. Appl. Phys. 115, 17D118 (2014)); usually orders of magnitude faster,
        not monotone.
    step : float, optional
        The fixed / initial step τ.
    memory : int
        Number of stored pairs of ``"lbfgs"``.
    max_rotation : float
        Largest rotation angle of one spin in one ``"lbfgs"`` step (radians).
    fixed : array_like of bool (num_spins,), optional
        Spins that are held fixed.

    Returns
    -------
    RelaxResult
    """
    m = _check_inputs(lattice, hamiltonian, m0)
    if method not in ("lbfgs", "bb", "descent"):
        raise KwantLLGError(f"Unknown relax method {method!r}; use 'lbfgs', 'bb' or "
                            "'descent'.")
    _positive(tol, "tol")
    free = np.ones(lattice.num_spins) if fixed is None else \
        (~np.asarray(fixed, dtype=bool)).astype(float)
    if free.shape != (lattice.num_spins,):
        raise KwantLLGError(f"fixed must have shape ({lattice.num_spins},).")

    field = compile_field(hamiltonian, lattice)

    def torque(m):
        return free[:, None] * cross(m, field(m))

    t = torque(m)
    hmax = max(float(np.max(np.linalg.norm(field(m), axis=1))), 1e-12)
    tau = 0.5 / hmax if step is None else _positive(step, "step")
    if method == "lbfgs":
        if not (int(memory) == memory and memory >= 1):
            raise KwantLLGError(f"memory must be a positive integer, got {memory!r}.")
        m, it, res = _lbfgs(m, torque, tau, tol, max_iter, int(memory),
                            _positive(max_rotation, "max_rotation"))
        return RelaxResult(m=m, energy=hamiltonian.energy(lattice, m), iterations=it,
                           converged=res < tol, max_torque=res)
    tau_min, tau_max = 1e-3 / hmax, 1e3 / hmax
    it = 0
    res = float(np.max(np.linalg.norm(t, axis=1)))
    while res >= tol and it < max_iter:
        new = cayley_rotate(m, 0.5 * tau * t)
        t_new = torque(new)
        if method == "bb":
            s = (new - m).ravel()
            y = (cross(new, t_new) - cross(m, t)).ravel()   # change of the gradient m×(m×H)
            sy = float(s @ y)
            if sy != 0:
                tau = float(s @ s) / sy if it % 2 == 0 else sy / float(y @ y)
                tau = float(np.clip(abs(tau), tau_min, tau_max))
        m, t = new, t_new
        res = float(np.max(np.linalg.norm(t, axis=1)))
        it += 1
        if not np.isfinite(res):
            raise ConvergenceError("relax diverged (NaN); use method='descent' with a smaller "
                                   "step.")
    return RelaxResult(m=m, energy=hamiltonian.energy(lattice, m), iterations=it,
                       converged=res < tol, max_torque=res)


def _lbfgs(m, torque, tau, tol, max_iter, memory, max_rotation):
    """L-BFGS in the spin-rotation variables θ (see :func:`relax`); returns (m, iterations,
    max torque)."""
    t = torque(m)
    g = -t                                   # ∂H/∂θ
    pairs = []
    res = _max_norm(t)
    it = 0
    while res >= tol and it < max_iter:
        # two-loop recursion: d = −H_k g
        q = g.ravel().copy()
        coef = []
        for s_k, y_k, rho in reversed(pairs):
            a = rho * float(s_k @ q)
            _axpy(-a, y_k, q)
            coef.append(a)
        if pairs:
            s_k, y_k, _ = pairs[-1]
            q *= float(s_k @ y_k) / float(y_k @ y_k)
        else:
            q *= tau
        for (s_k, y_k, rho), a in zip(pairs, reversed(coef)):
            _axpy(a - rho * float(y_k @ q), s_k, q)
        theta = q.reshape(m.shape)
        theta *= -1
        theta -= np.einsum("ik,ik->i", theta, m)[:, None] * m      # no turn about m itself
        if float(np.vdot(theta, g)) >= 0:                          # not downhill: restart
            pairs.clear()
            theta = -tau * g
        largest = _max_norm(theta)
        if largest > max_rotation:
            theta *= max_rotation / largest
        new = cayley_rotate(m, 0.5 * theta)
        t_new = torque(new)
        g_new = -t_new
        s_k, y_k = theta.ravel(), (g_new - g).ravel()
        sy = float(s_k @ y_k)
        if sy > 1e-300:
            pairs.append((s_k, y_k, 1.0 / sy))
            if len(pairs) > memory:
                pairs.pop(0)
        m, g = new, g_new
        res = _max_norm(t_new)
        it += 1
        if not np.isfinite(res):
            raise ConvergenceError("relax diverged (NaN); use method='descent' with a smaller "
                                   "step.")
    return m, it, res


def _max_norm(v):
    """max_i |v_i| of rows (n, 3)."""
    return float(np.sqrt(np.max(np.einsum("ik,ik->i", v, v)))) if len(v) else 0.0


def _axpy(a, x, y):
    """y += a x in place (BLAS daxpy, no temporary)."""
    daxpy(x, y, a=a)
