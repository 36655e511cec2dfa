r"""Spin density pumped per cycle: the rectified (cycle-averaged) part of the pumped torque.

To first order in the time derivative the pumped spin density on site i is linear in the
gate rates (App. C of Xu et al., PRB 108, 144409 (2023); the Fermi-surface term of the
torque of Eq. 39),

    ⟨σ⟩_i^(1)(t) = Σ_p v̇_p(t) χ_{p,i}(v(t)),     χ_{p,i}(v) = Tr[σ (1/2π) (G^r Y_p G^a)_ii],

with G^r the frozen Green's function at the Fermi energy. Its integral over one cycle is a
line integral along the closed path v(t) in gate space,

    S_i = ∫_0^T ⟨σ⟩_i^(1) dt = ∮ Σ_p χ_{p,i}(v) dv_p,

which, like Brouwer's pumped charge, depends on the path and not on ω (and changes sign when
the path is traversed backwards, φ → −φ; it vanishes for a path that encloses no area,
φ = 0 or π). It is not zero in general: the first-order density has a DC part
⟨σ⟩_i^DC = S_i / T, proportional to ω, and a frozen texture feels the static field
h_i^DC = −J_i ⟨σ⟩_i^DC on top of the oscillating one.

The integrand has narrow peaks where a gate passes a quasi-bound resonance (docs/theory.md,
"Narrow gate resonances"), so the cycle is integrated adaptively (Gauss–Kronrod panels,
:func:`scipy.integrate.quad_vec`) rather than on a uniform time grid. At the seed's
parameters such a peak can carry all of S (docs/theory.md, "Spin pumped per cycle"); there
h^DC describes the frozen texture only, since moving spins detune the resonance.
"""

from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad_vec

from ._common import ConvergenceError, KwantLLGError
from .pumping import PumpDrive, PumpModel

__all__ = ["PumpedSpin", "spin_per_cycle"]


@dataclass
class PumpedSpin:
    """Spin density pumped per cycle for a frozen texture (:func:`spin_per_cycle`).

    Attributes
    ----------
    spin : ndarray (num_sites, 3)
        S_i = ∫_0^T ⟨σ⟩_i^(1) dt (Pauli-matrix convention, ⟨σ⟩ = Tr[σ ρ]); independent of ω.
    error : float
        Estimate of max_i,a |S_i^a − exact| (from the Gauss–Kronrod panels).
    evaluations : int
        Electron solves (one factorisation each).
    period : float
        T = 2π/ω of the drive.
    """

    spin: np.ndarray
    error: float
    evaluations: int
    period: float

    @property
    def mean(self):
        """Cycle-averaged first-order density ⟨σ⟩_i^DC = S_i / T (num_sites, 3)."""
        return self.spin / self.period

    def field(self, couplings):
        """Static field h_i^DC = −J_i ⟨σ⟩_i^DC on the spins (``couplings``: J, one or per site)."""
        j = np.broadcast_to(np.asarray(couplings, dtype=float), (len(self.spin),))
        return -j[:, None] * self.mean


def spin_per_cycle(greens, m, drive, *, energy=None, tol=1e-6, limit=2000):
    """Spin density pumped per cycle, S_i = ∫_0^T ⟨σ⟩_i^(1) dt, for a frozen texture.

    Parameters
    ----------
    greens : FrozenGreens
        Built with ``onsite_parameters`` containing ``drive.names``.
    m : array_like (num_sites, 3) or callable
        Frozen texture.
    drive : PumpDrive
    energy : float, optional
        Fermi energy (default ``greens.energy``).
    tol : float
        Accuracy: the error estimate is at most ``tol`` × max_i,a |S_i^a|, or ``tol`` × T ×
        max |⟨σ⟩^(1)| over eight equally spaced times if that is larger (for S ≈ 0).
    limit : int
        Largest number of Gauss–Kronrod panels.

    Returns
    -------
    PumpedSpin

    Raises
    ------
    ConvergenceError
        If ``limit`` panels do not reach ``tol`` (e.g. an isolated resonance that is too
        narrow); the message gives the error reached.
    """
    if not isinstance(drive, PumpDrive):
        raise KwantLLGError(f"drive must be a PumpDrive, got {type(drive).__name__}.")
    if not (np.isscalar(tol) and np.isfinite(tol) and tol > 0):
        raise KwantLLGError(f"tol must be a finite positive number, got {tol!r}.")
    model = PumpModel(greens, drive.names, energy)
    m = greens.magnetization_array(m)
    count = [0]

    def integrand(t):
        resp = model.response(m, drive.values(t))
        count[0] += 1
        return resp.spin(drive.rates(t)).ravel()

    # absolute scale from a coarse look at the integrand, so that a vanishing S (a path
    # without area) is accepted at the same absolute accuracy
    scale = max(np.abs(integrand(t)).max() for t in drive.period * np.arange(8) / 8)
    spin, err, info = quad_vec(integrand, 0.0, drive.period, epsabs=tol * scale * drive.period,
                               epsrel=tol, norm="max", limit=limit, full_output=True)
    spin = np.asarray(spin).reshape(-1, 3)
    if not info.success:
        raise ConvergenceError(
            f"The cycle integral did not reach tol = {tol:g} with {limit} panels (error "
            f"estimate {err:.3g}, max |S| = {np.abs(spin).max():.3g}); raise limit or tol.")
    return PumpedSpin(spin, float(err), count[0], drive.period)
