r"""LLG dynamics of a single magnet (macrospin): adiabatic, inertial and driven.

The equation of motion, in the sign conventions of :mod:`kwant_llg.llg` (H = −∂E/∂m,
γ > 0, positive-semidefinite damping damps), is the inertial LLG equation (Eq. 21)

    dm/dt = −γ m × H + m × (α̂ dm/dt) + m × (ᾱ d²m/dt²) + T,                        (1)

with α̂ the Gilbert tensor (Eq. 19), ᾱ the inertia tensor (Eq. 22) and T an additive torque
(current-induced spin-transfer or spin-orbit torque). Without ᾱ it is the adiabatic LLG
equation, Eq. (18), solved by :func:`kwant_llg.llg.llg_rhs` and stepped by the spin-lattice
integrators (:mod:`kwant_llg.integrators`). The paper writes the damping and inertia terms as
−m × (α̂ ṁ) and −m × (ᾱ m̈) with H_eff = +(1/γ)δH/δm; here both enter with the sign that makes
positive α̂ and ᾱ physical (damped precession, stable nutation), as in Eq. (37).

Inertial LLG as a first-order system
------------------------------------
With v = dm/dt, Eq. (1) is second order: the state is (m, v), ṁ = v and v̇ = m̈ solves

    m × (ᾱ m̈) = R,     R = v + γ m × H − m × (α̂ v) − T_⊥,                           (2)

which fixes only the two components of m̈ perpendicular to m. The third one follows from the
constraint |m| = 1: differentiating m·m = 1 twice gives m·v = 0 and

    m·m̈ = −|v|².                                                                      (3)

(2) and (3) together are the 3 × 3 linear system ([m]_× ᾱ + m mᵀ) m̈ = R_⊥ − |v|² m
(m·([m]_× ᾱ x) = 0, so the two parts do not mix); for ᾱ = τ 1 its solution is
m̈ = −|v|² m − m × R/τ. The system is stepped by classical RK4 on (m, v), and after every
step the state is projected back on the constraint manifold, m → m/|m|, v → v − (m·v) m,
which keeps fourth order (a projection method, as for the spin lattice).

Energy balance (a test of the implementation): crossing (1) with m and dotting with v
gives γ H·v = v·(α̂ v) + v·(ᾱ v̇) for T = 0; for a static H = −∂E/∂m and symmetric constant
α̂, ᾱ,

    d/dt [E(m) + v·(ᾱ v)/(2γ)] = −v·(α̂ v)/γ ≤ 0.                                       (4)

Nutation (derivation in docs/theory.md, section "Macrospin dynamics")
---------------------------------------------------------------------
Linearising (1) about m = ẑ in a field H ẑ with scalar α, τ and u = m_x + i m_y ∝ e^{st}:

    τ s² + (α + i) s + γH = 0.                                                          (5)

The slow root is the damped precession, s ≈ iγH/(1+α²) − αγH/(1+α²); the fast root is the
nutation, s_n = −(α+i)/τ − s_slow + O(τ), i.e. a nutation angular frequency
ω_n = 1/τ + γH/(1+α²) + O(τ) turning clockwise (opposite to the precession) and decaying
at the rate α/τ. :func:`nutation_roots` returns both exact roots of (5).

FMR of a driven macrospin
-------------------------
For a static field H₀ ẑ and a circularly polarised drive h (cos ωt, sin ωt, 0), the steady
state of the adiabatic LLG is a cone rotating with the drive; linearising, u = m_x + i m_y =
χ(ω) h e^{iωt} with

    χ(ω) = −γ / (ω − γH₀ − i α ω),       |χ|² = γ² / [(ω − ω₀)² + α² ω²],           (6)

a Lorentzian in ω with centre ω₀/(1+α²) and half width α ω₀/(1+α²) (:func:`fmr_susceptibility`).

Nonadiabatic form (Eqs. 27–29)
------------------------------
With m(t) = ∫dω/2π e^{−iωt} m(ω), Eq. (29) writes the electrons' retarded reaction as a
field H_damp(ω) = −α̃(ω) m(ω). In the conventions of (1) the adiabatic and inertial terms are
the low-frequency limit of such a kernel: α m × ṁ = −γ m × (−α ṁ/γ) and τ m × m̈ = −γ m × (−τ m̈/γ)
give

    α̃(ω) = (−iω α − ω² ᾱ)/γ + O(ω³)                                                    (7)

(a static part α̃(0), which only renormalises the field, is added by a microscopic kernel).
Linearising ṁ = −γ m × (H₀ m₀ + H_damp + h) about the equilibrium m₀ with δm ⊥ m₀ gives, in an
orthonormal basis (e₁, e₂) of the plane ⊥ m₀ with Z = [m₀]_× = [[0, −1], [1, 0]],

    (−iω − γH₀ Z − γ Z α̃_⊥(ω)) δm(ω) = −γ Z h(ω),                                      (8)

solved by :func:`driven_susceptibility` for any 3×3 kernel (α̃_⊥ its block in the plane). For
(7) it reproduces (6) and the steady state of the driven inertial equation (tested).
"""

import math

import numpy as np

from ._common import KwantLLGError
from .integrators import get_integrator
from .llg import llg_rhs

__all__ = ["Macrospin", "UniaxialField", "RotatingField", "SpinTorque", "nutation_roots",
           "fmr_susceptibility", "driven_susceptibility", "switching_threshold"]

_ALPHA_UPDATES = ("continuous", "step", "frozen")


# ------------------------------------------------------------------------- fields, torques
class UniaxialField:
    r"""Static field of E(m) = −B·m − K (m·e)²: H = −∂E/∂m = B + 2K (m·e) e.

    Parameters
    ----------
    B : array_like (3,)
        Zeeman field (energy units, γ = 1).
    K : float
        Uniaxial anisotropy constant (easy axis for K > 0).
    axis : array_like (3,)
        Anisotropy axis e (normalised).

    Calling ``field(t, m)`` returns H(m); ``energy(m)`` returns E(m).
    """

    def __init__(self, B=(0.0, 0.0, 0.0), K=0.0, axis=(0.0, 0.0, 1.0)):
        self.B = _vector(B, "B")
        self.K = float(K)
        if not np.isfinite(self.K):
            raise KwantLLGError(f"K must be finite, got {K!r}.")
        axis = _vector(axis, "axis")
        norm = np.linalg.norm(axis)
        if norm == 0:
            raise KwantLLGError("The anisotropy axis must be a nonzero vector.")
        self.axis = axis / norm

    def __call__(self, t, m):
        return self.B + 2 * self.K * np.dot(m, self.axis) * self.axis

    def energy(self, m):
        """E(m) = −B·m − K (m·e)²."""
        return float(-np.dot(self.B, m) - self.K * np.dot(m, self.axis) ** 2)


class RotatingField:
    """Static field plus a circularly polarised drive: H(t) = H₀ + h (cos ωt, sin ωt, 0).

    ``static`` may be a vector or a field object (``UniaxialField``); the drive rotates
    counterclockwise about +ẑ, the sense of free precession about a field along +ẑ.
    """

    def __init__(self, static, amplitude, omega):
        self.static = static if callable(static) else _vector(static, "static")
        self.amplitude, self.omega = float(amplitude), float(omega)
        if not (np.isfinite(self.amplitude) and np.isfinite(self.omega)):
            raise KwantLLGError("amplitude and omega must be finite numbers.")

    def __call__(self, t, m):
        h0 = self.static(t, m) if callable(self.static) else self.static
        wt = self.omega * t
        return h0 + self.amplitude * np.array([np.cos(wt), np.sin(wt), 0.0])


class SpinTorque:
    r"""Current-induced torque on a macrospin with fixed polariser p:

        T = −a m × (m × p) + b m × p

    (damping-like/Slonczewski amplitude a, field-like amplitude b; units J_ex/ħ). With the
    convention of Eq. (1), a > 0 pushes m towards p.
    """

    def __init__(self, p, *, damping_like=0.0, field_like=0.0):
        p = _vector(p, "p")
        if np.linalg.norm(p) == 0:
            raise KwantLLGError("The polariser direction p must be nonzero.")
        self.p = p / np.linalg.norm(p)
        self.a, self.b = float(damping_like), float(field_like)

    def __call__(self, t, m):
        mxp = _cross(m, self.p)
        return -self.a * _cross(m, mxp) + self.b * mxp


def switching_threshold(*, alpha, K, B=0.0, gamma=1.0):
    r"""Critical damping-like torque for switching a uniaxial macrospin.

    For m along the easy axis +e (E = −K (m·e)² − B m·e, B ≥ 0 along +e) and a polariser
    p = −e, the linearised Eq. (1) about m = e with u = m_x + i m_y reads
    (1 − iα) u̇ = i γ(2K + B) u − a u: the state loses stability when the torque beats
    the damping,

        a_c = α γ (2K + B)

    (the standard Slonczewski/Sun estimate, J_c ∝ α (H_K + H) with H_K = 2K).
    """
    return float(alpha * gamma * (2 * K + B))


# ------------------------------------------------------------------------- analytic checks
def nutation_roots(*, field, alpha, inertia, gamma=1.0):
    """Both roots s of τ s² + (α + i) s + γH = 0 (Eq. 5 of the module docstring).

    Returns
    -------
    precession, nutation : complex
        u = m_x + i m_y ∝ e^{st}; Im s is the angular frequency (positive: counterclockwise
        about +ẑ), −Re s the decay rate. The nutation root has |Im s| ≈ 1/τ.
    """
    a, b, c = inertia, alpha + 1j, gamma * field
    disc = np.sqrt(b * b - 4 * a * c + 0j)
    roots = np.array([(-b + disc) / (2 * a), (-b - disc) / (2 * a)])
    order = np.argsort(np.abs(roots))
    return complex(roots[order[0]]), complex(roots[order[1]])


def fmr_susceptibility(omega, *, field, alpha, gamma=1.0):
    r"""χ(ω) = −γ / (ω − γH₀ − i α(ω) ω) of Eq. (6): circular response u = χ h.

    ``alpha`` may be a number or an array matching ``omega`` (frequency-dependent damping).
    """
    omega = np.asarray(omega, dtype=float)
    return -gamma / (omega - gamma * field - 1j * np.asarray(alpha) * omega)


def _plane_basis(m0):
    m0 = _vector(m0, "m0")
    m0 = m0 / np.linalg.norm(m0)
    trial = np.array([1.0, 0, 0]) if abs(m0[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = trial - np.dot(trial, m0) * m0
    e1 /= np.linalg.norm(e1)
    return np.array([e1, np.cross(m0, e1)])


def driven_susceptibility(omega, *, field, alpha_tilde, gamma=1.0, m0=(0.0, 0.0, 1.0)):
    r"""Linear response δm(ω) = χ(ω) h(ω) of a magnet with a damping kernel α̃(ω), Eq. (8).

    Parameters
    ----------
    omega : float or array
        Drive frequencies (Fourier convention e^{−iωt}).
    field : float
        Static effective field H₀ along the equilibrium direction m₀ (for a uniaxial magnet
        along its easy axis: B + 2K).
    alpha_tilde : callable ``alpha_tilde(omega) -> complex or (3, 3) complex``
        The kernel of Eq. (29), H_damp(ω) = −α̃(ω) m(ω), in the sign convention of this
        module (Gilbert damping α and inertia ᾱ: α̃ = (−iωα − ω²ᾱ)/γ, Eq. 7).
    gamma : float
    m0 : array_like (3,)
        Equilibrium direction.

    Returns
    -------
    chi : ndarray (n, 2, 2) complex
        In the basis (e₁, e₂) of the plane ⊥ m₀ (e₁ = x̂, e₂ = ŷ for m₀ = ẑ); a drive
        h (cos ωt, sin ωt) about m₀ is h(ω) = h (1, i), and the cone radius of the steady
        state is |(χ(ω) (1, i))₁| h.
    """
    basis = _plane_basis(m0)
    omegas = np.atleast_1d(np.asarray(omega, dtype=float))
    z = np.array([[0.0, -1.0], [1.0, 0.0]])
    out = np.empty((len(omegas), 2, 2), dtype=complex)
    for k, w in enumerate(omegas):
        a = np.asarray(alpha_tilde(w), dtype=complex)
        a = a * np.eye(3) if a.ndim == 0 else a
        if a.shape != (3, 3) or not np.all(np.isfinite(a)):
            raise KwantLLGError(f"alpha_tilde(omega) must be a finite number or 3x3 tensor, "
                                f"got {a!r} at omega = {w}.")
        a_perp = basis @ a @ basis.T
        mat = -1j * w * np.eye(2) - gamma * field * z - gamma * z @ a_perp
        out[k] = np.linalg.solve(mat, -gamma * z)
    return out


# ------------------------------------------------------------------------- the solver
def _vector(v, name):
    v = np.asarray(v, dtype=float)
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise KwantLLGError(f"{name} must be a finite 3-vector, got {v!r}.")
    return v


def _tensor(value, name, *, positive, check=True):
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        if not np.isfinite(a) or a < 0 or (positive and a == 0):
            bound = "> 0" if positive else ">= 0"
            raise KwantLLGError(f"{name} must be a finite number {bound}, got {value!r}.")
        return float(a)
    if a.shape != (3, 3) or not np.all(np.isfinite(a)):
        raise KwantLLGError(f"{name} must be a number or a finite 3x3 tensor, got shape {a.shape}.")
    eig = np.linalg.eigvalsh(0.5 * (a + a.T))
    if check and eig.min() < -1e-12 * max(1.0, abs(eig).max()):
        raise KwantLLGError(f"{name} must be positive semidefinite (its symmetric part has the "
                            f"eigenvalue {eig.min():.3g}); a negative part pumps energy in.")
    return a


def _cross(a, b):
    """a × b of two 3-vectors (np.cross has ~10 µs of overhead per call)."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def _cross_matrix(m):
    return np.array([[0, -m[2], m[1]], [m[2], 0, -m[0]], [-m[1], m[0], 0]])


class Macrospin:
    r"""Time evolution of one magnet by the (inertial) LLG equation, Eq. (1) of the module.

    Parameters
    ----------
    m0 : array_like (3,)
        Initial unit vector.
    field : array_like (3,) or callable ``field(t, m) -> (3,)``
        Effective field H = −∂E/∂m (energy units). An object with an ``energy(m)`` method
        (e.g. :class:`UniaxialField`) also gives :meth:`energy`.
    alpha : float, array (3, 3) or callable ``alpha(m) -> float or (3, 3)``
        Gilbert damping (Eq. 19). A callable is the damping of the frozen electronic state
        at m (e.g. from :mod:`kwant_llg.coefficients`).
    inertia : float, array (3, 3) or callable, optional
        Inertia tensor ᾱ of Eq. (21)/(22) (positive definite). None: adiabatic LLG (Eq. 18).
    torque : array_like (3,) or callable ``torque(t, m) -> (3,)``, optional
        Additive torque T (projected ⊥ m), e.g. :class:`SpinTorque`, or the torque of a
        biased dot on its own magnetisation, :class:`kwant_llg.torque.MacrospinTorque`.
    gamma : float
    dt : float
        Fixed time step (units ħ/J_ex). With inertia, dt must resolve the nutation period
        2πτ.
    integrator : {"rk4", "midpoint"}
        Spin-lattice stepper (:mod:`kwant_llg.integrators`); the inertial equation is
        stepped by RK4 on (m, v) with projection (module docstring), only "rk4" is allowed.
    alpha_update : {"continuous", "step", "frozen"}
        For callable ``alpha``/``inertia``: evaluate at every right-hand-side evaluation,
        once per time step (at its start), or once at m0.
    v0 : array_like (3,), optional
        Initial dm/dt for the inertial equation (projected ⊥ m0). Default: the velocity of
        the adiabatic LLG at m0, so that nutation is only excited by later changes.
    time : float
    allow_antidamping : bool
        Accept a damping tensor whose symmetric part has negative eigenvalues (a biased
        junction can pump energy into the magnet, Eq. 19 out of equilibrium); by default
        such a tensor is refused as a likely sign error.

    Attributes
    ----------
    time : float
    m : ndarray (3,)
    velocity : ndarray (3,)
        dm/dt at ``time`` (for the adiabatic equation computed from m).
    num_steps : int

    Notes
    -----
    Steps are taken on the grid t₀ + n dt; ``evolve(t)`` for t off the grid reports m(t) by
    one partial step but continues from the grid point, so ``evolve(t1); evolve(t2)`` is bit
    for bit ``evolve(t2)``, and so is a run restarted from a pickle (callables must then be
    picklable, e.g. module-level functions or the classes of this module).
    """

    def __init__(self, m0, *, field, alpha=0.0, inertia=None, torque=None, gamma=1.0,
                 dt=0.01, integrator="rk4", alpha_update="continuous", v0=None, time=0.0,
                 allow_antidamping=False):
        m0 = _vector(m0, "m0")
        if abs(np.linalg.norm(m0) - 1) > 1e-8:
            raise KwantLLGError(f"m0 must be a unit vector, got |m0| = {np.linalg.norm(m0):.6g}.")
        self.field = field if callable(field) else _vector(field, "field")
        self.torque = None if torque is None else torque if callable(torque) \
            else _vector(torque, "torque")
        for name, value in (("gamma", gamma), ("dt", dt)):
            if not (np.isscalar(value) and np.isfinite(value) and value > 0):
                raise KwantLLGError(f"{name} must be a finite positive number, got {value!r}.")
        self.gamma, self.dt = float(gamma), float(dt)
        if alpha_update not in _ALPHA_UPDATES:
            raise KwantLLGError(f"alpha_update must be one of {_ALPHA_UPDATES}, "
                                f"got {alpha_update!r}.")
        self.alpha_update = alpha_update
        self.allow_antidamping = bool(allow_antidamping)
        self._alpha_src = alpha if callable(alpha) else _tensor(
            alpha, "alpha", positive=False, check=not self.allow_antidamping)
        self._inertia_src = None if inertia is None else inertia if callable(inertia) \
            else _tensor(inertia, "inertia", positive=True)
        self.stepper = get_integrator(integrator)
        if inertia is not None and integrator != "rk4":
            raise KwantLLGError("The inertial LLG is stepped by RK4 on (m, dm/dt); use "
                                "integrator='rk4'.")
        self.integrator = integrator
        if not np.isfinite(time):
            raise KwantLLGError(f"time must be finite, got {time!r}.")
        self._t0, self._steps = float(time), 0
        self._frozen = None
        if alpha_update == "frozen":
            self._frozen = self._coefficients(m0)
        self._m_grid = m0 / np.linalg.norm(m0)
        if self.inertial:
            if v0 is None:
                v = self._rhs_first(self._t0, self._m_grid, self._coefficients(self._m_grid)[0])
            else:
                v = _vector(v0, "v0")
            self._v_grid = v - np.dot(self._m_grid, v) * self._m_grid
        else:
            self._v_grid = None
        self.time = self._t0
        self.m, self._v = self._m_grid, self._v_grid

    # ------------------------------------------------------------------ coefficients
    @property
    def inertial(self):
        """True if the inertia term of Eq. (21) is included."""
        return self._inertia_src is not None

    def _coefficients(self, m):
        if self._frozen is not None:
            return self._frozen
        alpha = self._alpha_src
        if callable(alpha):
            alpha = _tensor(alpha(m), "alpha(m)", positive=False, check=not self.allow_antidamping)
        inertia = self._inertia_src
        if callable(inertia):
            inertia = _tensor(inertia(m), "inertia(m)", positive=True)
        return alpha, inertia

    def _field(self, t, m):
        h = np.asarray(self.field(t, m) if callable(self.field) else self.field, dtype=float)
        if h.shape != (3,) or not math.isfinite(h[0] + h[1] + h[2]):
            raise KwantLLGError(f"field(t, m) must return a finite 3-vector, got {h!r}.")
        return h

    def _torque(self, t, m):
        if self.torque is None:
            return None
        tq = np.asarray(self.torque(t, m) if callable(self.torque) else self.torque, dtype=float)
        if tq.shape != (3,) or not math.isfinite(tq[0] + tq[1] + tq[2]):
            raise KwantLLGError(f"torque(t, m) must return a finite 3-vector, got {tq!r}.")
        return tq

    def _rhs_first(self, t, m, alpha):
        tq = self._torque(t, m)
        if np.ndim(alpha) == 0:
            # explicit form (Eq. 37), the scalar branch of llg_rhs written for one vector
            a = -self.gamma * _cross(m, self._field(t, m))
            if tq is not None:
                a += tq - np.dot(m, tq) / np.dot(m, m) * m
            return (a + alpha * _cross(m, a)) / (1 + alpha * alpha)
        return llg_rhs(m[None], self._field(t, m)[None], alpha=alpha, gamma=self.gamma,
                       torque=None if tq is None else tq[None])[0]

    def acceleration(self, t, m, v, coefficients=None):
        """d²m/dt² of the inertial LLG from Eqs. (2)–(3) of the module docstring."""
        alpha, inertia = self._coefficients(m) if coefficients is None else coefficients
        h = self._field(t, m)
        av = alpha * v if np.ndim(alpha) == 0 else alpha @ v
        r = v + self.gamma * _cross(m, h) - _cross(m, av)
        tq = self._torque(t, m)
        if tq is not None:
            r = r - tq
        mm = np.dot(m, m)
        r = r - np.dot(m, r) / mm * m
        vv = np.dot(v, v)
        if np.ndim(inertia) == 0:
            return -vv * m / mm - _cross(m, r) / (inertia * mm)
        mat = _cross_matrix(m) @ inertia + np.outer(m, m) / mm
        return np.linalg.solve(mat, r - vv * m / mm)

    # ------------------------------------------------------------------ stepping
    def _step(self, t, m, v, dt):
        coeff = None if self.alpha_update == "continuous" else self._coefficients(m)
        if not self.inertial:
            def f(tt, mm):
                a = (self._coefficients(mm[0]) if coeff is None else coeff)[0]
                return self._rhs_first(tt, mm[0], a)[None]
            new = self.stepper(f, t, m[None], dt)[0][0]
            return new, None

        def g(tt, y):
            return np.array([y[1], self.acceleration(tt, y[0], y[1], coeff)])
        y = np.array([m, v])
        k1 = g(t, y)
        k2 = g(t + dt / 2, y + dt / 2 * k1)
        k3 = g(t + dt / 2, y + dt / 2 * k2)
        k4 = g(t + dt, y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if not np.all(np.isfinite(y)):
            raise FloatingPointError(f"The inertial LLG step at t = {t:.6g} gave NaN; dt = "
                                     f"{dt} is too large for the nutation period 2π ᾱ.")
        mn = y[0] / np.linalg.norm(y[0])
        return mn, y[1] - np.dot(mn, y[1]) * mn

    def evolve(self, time):
        """Advance the state to ``time`` (≥ the current time)."""
        if not np.isfinite(time) or time < self.time - 1e-12 * max(1.0, abs(self.time)):
            raise KwantLLGError(f"Cannot evolve backwards or to a non-finite time: current "
                                f"time {self.time}, requested {time!r}.")
        n_target = int(np.floor((time - self._t0) / self.dt + 1e-9))
        m, v = self._m_grid, self._v_grid
        while self._steps < n_target:
            m, v = self._step(self._t0 + self._steps * self.dt, m, v, self.dt)
            self._steps += 1
        self._m_grid, self._v_grid = m, v
        t_grid = self._t0 + self._steps * self.dt
        if time - t_grid > 1e-12 * max(1.0, abs(time)):
            m, v = self._step(t_grid, m, v, time - t_grid)
        self.m, self._v, self.time = m, v, float(time)
        return self

    def trajectory(self, times):
        """Evolve through the increasing ``times`` and return m at each, shape (n, 3)."""
        out = []
        for t in np.asarray(times, dtype=float):
            self.evolve(t)
            out.append(self.m)
        return np.array(out)

    @property
    def num_steps(self):
        return self._steps

    @property
    def velocity(self):
        """dm/dt at the current time."""
        if self.inertial:
            return self._v
        return self._rhs_first(self.time, self.m, self._coefficients(self.m)[0])

    def energy(self):
        """Magnetic energy E(m), plus the inertial kinetic term τ|v|²/(2γ) (Eq. 4 of the
        module docstring, scalar τ; v·ᾱv/(2γ) for a tensor) when inertia is included.
        Needs a field object with an ``energy(m)`` method."""
        if not hasattr(self.field, "energy"):
            raise KwantLLGError("The energy needs a field object with an energy(m) method, "
                                "e.g. UniaxialField(B, K, axis).")
        e = self.field.energy(self.m)
        if self.inertial:
            inertia = self._coefficients(self.m)[1]
            iv = inertia * self._v if np.ndim(inertia) == 0 else inertia @ self._v
            e += float(np.dot(self._v, iv)) / (2 * self.gamma)
        return e
