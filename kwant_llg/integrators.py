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
"""

import numpy as np

from ._common import ConvergenceError, KwantLLGError

__all__ = ["rk4_step", "midpoint_step", "get_integrator", "INTEGRATORS", "ORDERS"]


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
    wm = np.cross(w, m)
    return m + (2 / (1 + np.einsum("ik,ik->i", w, w)))[:, None] * (wm + np.cross(w, wm))


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


INTEGRATORS = {"rk4": rk4_step, "midpoint": midpoint_step}
#: Global order of accuracy of each integrator.
ORDERS = {"rk4": 4, "midpoint": 2}


def get_integrator(name):
    """Return the stepper called ``name`` ("rk4" or "midpoint")."""
    try:
        return INTEGRATORS[name]
    except (KeyError, TypeError):
        raise KwantLLGError(f"Unknown integrator {name!r}; choose one of "
                            f"{sorted(INTEGRATORS)}.") from None
