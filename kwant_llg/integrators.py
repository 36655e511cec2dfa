r"""Time steppers for dm/dt = f(t, m) on unit vectors.

Every stepper has the signature ``step(f, t, m, dt) -> m_new`` where ``f(t, m)`` returns
dm/dt with m·f = 0. Select them by name with :func:`get_integrator`:

``"rk4"``
    Classical fourth-order Runge–Kutta (as used in the paper, Sec. V), global error O(dt⁴).
    RK4 does not conserve |m|; every step is followed by the projection m_i → m_i/|m_i|,
    which keeps the order (a projection method). The norm deviation *before* the
    projection is returned as an accuracy indicator.
``"midpoint"``
    Implicit midpoint rule m_{n+1} = m_n + dt f(t + dt/2, (m_n + m_{n+1})/2), global error
    O(dt²). Written as a rotation: with m̄ the midpoint and Ω = m̄ × f(m̄)/|m̄|² (so that
    f(m̄) = Ω × m̄), m_{n+1} is the Cayley rotation of m_n by dt Ω,

        m_{n+1} = m_n + 2/(1 + |w|²) [w × m_n + w × (w × m_n)],     w = dt Ω/2,

    which preserves |m_i| exactly (to round-off) at every fixed-point iterate; Ω is iterated
    to self-consistency (tolerance ``tol``). It conserves the energy for α = 0 and is
    symplectic there (Mentink et al., J. Phys.: Condens. Matter 22, 176001 (2010)).

Adaptive step with error control
--------------------------------
:func:`dopri5_step` is one step of the embedded Dormand–Prince 5(4) pair (Dormand and
Prince, J. Comput. Appl. Math. 6, 19 (1980); Hairer, Nørsett and Wanner, *Solving ODEs I*,
Sec. II.5). The fifth-order solution is propagated (local extrapolation) and projected on
|m_i| = 1 like RK4; the difference to the embedded fourth-order solution estimates the local
error. :class:`StepController` accepts a step of size h when

    err = max_i,k |m5 − m4| ≤ tol · h        (error per unit time),

and proposes h_new = h · min(4, max(0.2, 0.9 (tol h / err)^(1/4))). With error per unit
time, the global error of a flow that does not amplify perturbations (precession, damping)
stays below tol × (elapsed time). Output between accepted steps comes from the method's
fourth-order continuous extension (dense output), so the step sequence does not depend on
when the state is observed.
"""

import numpy as np

from ._common import ConvergenceError, KwantLLGError
from .llg import cross

__all__ = ["rk4_step", "midpoint_step", "dopri5_step", "DopriStep", "StepController",
           "get_integrator", "INTEGRATORS", "ORDERS", "ADAPTIVE"]


def _normalize(m):
    norm = np.linalg.norm(m, axis=1, keepdims=True)
    return m / norm, float(np.max(np.abs(norm - 1))) if len(m) else 0.0


def rk4_step(f, t, m, dt):
    """One classical RK4 step followed by renormalisation of every m_i.

    Returns
    -------
    m_new : ndarray (num_spins, 3)
        Unit vectors.
    norm_error : float
        max_i ||m_i| − 1| of the RK4 result before the projection.
    """
    k1 = f(t, m)
    k2 = f(t + dt / 2, m + (dt / 2) * k1)
    k3 = f(t + dt / 2, m + (dt / 2) * k2)
    k4 = f(t + dt, m + dt * k3)
    return _normalize(m + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4))


def cayley_rotate(m, w):
    """Rotate the rows of m by the Cayley transform of w: (1 − W)⁻¹(1 + W) m, W = [w]_×."""
    wm = cross(w, m)
    wm += cross(w, wm)
    wm *= (2 / (1 + np.einsum("ik,ik->i", w, w)))[:, None]
    wm += m
    return wm


def midpoint_step(f, t, m, dt, *, tol=1e-13, max_iter=100):
    """One implicit-midpoint step, solved by fixed-point iteration on the rotation vector.

    Returns
    -------
    m_new : ndarray (num_spins, 3)
        |m_new,i| = |m_i| to round-off.
    residual : float
        max change of m_new in the last iteration.

    Raises
    ------
    ConvergenceError
        If the iteration does not converge (dt too large for the fastest precession).
    """
    tm = t + dt / 2
    new = m + dt * f(t, m)             # explicit Euler predictor
    for _ in range(max_iter):
        mid = 0.5 * (m + new)
        fm = f(tm, mid)
        omega = np.cross(mid, fm) / np.einsum("ik,ik->i", mid, mid)[:, None]
        nxt = cayley_rotate(m, 0.5 * dt * omega)
        change = float(np.max(np.abs(nxt - new)))
        new = nxt
        if not np.isfinite(change):
            break
        if change <= tol:
            return new, change
    raise ConvergenceError(
        f"The implicit midpoint iteration did not converge in {max_iter} iterations "
        f"(last change {change:.3g}); the time step dt = {dt} is too large for the fastest "
        "precession frequency. Use a smaller dt.")


# Dormand–Prince 5(4) tableau (Hairer, Nørsett, Wanner, Table II.5.2)
_DP_C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1])
_DP_A = [[],
         [1 / 5],
         [3 / 40, 9 / 40],
         [44 / 45, -56 / 15, 32 / 9],
         [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
         [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
         [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]]
_DP_B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0])
_DP_E = _DP_B - np.array([5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200,
                          187 / 2100, 1 / 40])
# dense output: m(t + θh) = m + h Σ_i b_i(θ) k_i with b_i(θ) = θ Σ_p P[i, p] θ^p
_DP_P = np.array([
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408,
     701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423]])


class DopriStep:
    """One attempted Dormand–Prince step (result of :func:`dopri5_step`).

    Attributes
    ----------
    t, dt : float
        Start and size of the step.
    m0 : ndarray
        State at ``t``.
    m : ndarray
        Fifth-order state at ``t + dt``, projected on |m_i| = 1.
    error : float
        max_i,k |m5 − m4| (the local error estimate, before projection); ``inf`` if the
        step produced NaN.
    k : ndarray (7, num_spins, 3)
        The stages; ``k[6] = f(t + dt, m)`` is the first stage of the next step (FSAL).
    """

    def __init__(self, t, dt, m0, m, error, k):
        self.t, self.dt, self.m0, self.m, self.error, self.k = t, dt, m0, m, error, k

    def dense(self, time):
        """m(time) for t ≤ time ≤ t + dt by the fourth-order continuous extension
        (projected on |m_i| = 1)."""
        theta = (time - self.t) / self.dt
        b = theta * (_DP_P @ theta ** np.arange(4))
        return _normalize(self.m0 + self.dt * np.tensordot(b, self.k, axes=1))[0]


def dopri5_step(f, t, m, dt, *, k1=None):
    """One Dormand–Prince 5(4) step with error estimate (see module docstring).

    Parameters
    ----------
    f, t, m, dt
        As for the other steppers.
    k1 : ndarray, optional
        f(t, m) if known (first-same-as-last from the previous accepted step).

    Returns
    -------
    DopriStep
    """
    k = np.empty((7,) + m.shape)
    k[0] = f(t, m) if k1 is None else k1
    with np.errstate(all="ignore"):
        for i in range(1, 6):
            k[i] = f(t + _DP_C[i] * dt, m + dt * np.tensordot(_DP_A[i], k[:i], axes=1))
        y5 = m + dt * np.tensordot(_DP_B[:6], k[:6], axes=1)
        new = _normalize(y5)[0]
        if not np.all(np.isfinite(new)):
            return DopriStep(t, dt, m, new, np.inf, k)
        k[6] = f(t + dt, new)
        err = float(np.max(np.abs(dt * np.tensordot(_DP_E, k, axes=1))))
    return DopriStep(t, dt, m, new, err if np.isfinite(err) else np.inf, k)


class StepController:
    """Step-size control for :func:`dopri5_step` with error per unit time ≤ ``tol``.

    Parameters
    ----------
    tol : float
        Tolerance on max_i,k |m5 − m4| / h (units 1/time).
    min_step : float
        A step below this size raises :class:`~kwant_llg.ConvergenceError` (the dynamics is
        too stiff or singular for the tolerance).
    """

    safety, min_factor, max_factor = 0.9, 0.2, 4.0

    def __init__(self, tol, *, min_step=1e-10):
        if not (np.isscalar(tol) and np.isfinite(tol) and tol > 0):
            raise KwantLLGError(f"The tolerance tol must be a finite positive number, "
                                f"got {tol!r}.")
        self.tol, self.min_step = float(tol), float(min_step)

    def accept(self, step):
        """True if ``step`` (a DopriStep) meets the tolerance."""
        return step.error <= self.tol * step.dt

    def next_step(self, step):
        """Proposed size of the next attempt after ``step`` (accepted or not)."""
        if not np.isfinite(step.error):
            factor = self.min_factor
        elif step.error == 0:
            factor = self.max_factor
        else:
            factor = self.safety * (self.tol * step.dt / step.error) ** 0.25
            factor = min(self.max_factor, max(self.min_factor, factor))
        if not self.accept(step):
            factor = min(factor, 0.9)
        h = step.dt * factor
        if h < self.min_step:
            raise ConvergenceError(
                f"The adaptive step size fell below {self.min_step:g} at t = {step.t:.6g} "
                f"(error estimate {step.error:.3g}): the dynamics cannot be resolved to "
                f"tol = {self.tol:g}. Check the field for singular or NaN values, or loosen tol.")
        return h


INTEGRATORS = {"rk4": rk4_step, "midpoint": midpoint_step}
#: Global order of accuracy of each integrator.
ORDERS = {"rk4": 4, "midpoint": 2, "dopri5": 5}
#: Integrators with adaptive steps (handled by :class:`~kwant_llg.dynamics.LLG` itself).
ADAPTIVE = ("dopri5",)


def get_integrator(name):
    """Return the fixed-step stepper called ``name`` ("rk4" or "midpoint").

    The adaptive ``"dopri5"`` has no fixed-step form; it is driven by
    :class:`StepController` (``LLG(..., integrator="dopri5", tol=...)``).
    """
    try:
        return INTEGRATORS[name]
    except (KeyError, TypeError):
        if isinstance(name, str) and name in ADAPTIVE:
            raise KwantLLGError(f"{name!r} is adaptive: step it with dopri5_step and "
                                "StepController, not as a fixed-step integrator.") from None
        raise KwantLLGError(f"Unknown integrator {name!r}; choose one of "
                            f"{sorted(INTEGRATORS) + list(ADAPTIVE)}.") from None
