r"""Validity diagnostics of the adiabatic (first-order in ω) expansion.

Two dimensionless measures, both small when the expansion holds:

* the density ratio r_ρ = ‖ρ^(1)‖ / ‖ρ^(0)‖ of the first-order and the frozen (equilibrium)
  spin density on the magnetic sites (the expansion is in powers of this ratio);
* ω τ_d with the dwell time τ_d = 2π Σ_i ν_i(E) / N (N open channels, ν the local density of
  scattering states; the Wigner–Smith time −i Tr[S^† dS/dE] / N up to interface terms): the
  drive must be slow compared with the time electrons spend in the scattering region.

:func:`adiabaticity` bundles both into an :class:`Adiabaticity` result, whose
:meth:`Adiabaticity.warn_once` issues one clear :class:`AdiabaticityWarning` per
simulation when either measure exceeds its threshold.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._common import KwantLLGError, site_field

__all__ = ["AdiabaticityWarning", "Adiabaticity", "dwell_time", "density_ratio",
           "adiabaticity", "pump_adiabaticity"]


class AdiabaticityWarning(UserWarning):
    """The adiabatic (first-order in ω) expansion is used outside its range."""


def dwell_time(fsyst, energy, *, params, magnetization="m", m=None):
    """Dwell time τ_d = 2π Σ_i ν_i(E) / N of the scattering region (Büttiker's dwell time).

    ν_i is Kwant's local density of states of the scattering states (``kwant.ldos``, all
    leads, per unit energy) and N the number of open channels: Σ_β Tr[ψ_β^† ψ_β] / N, the
    mean time an electron entering at E spends in the region. It equals the Wigner–Smith
    time −i Tr[S^† dS/dE] / N up to interface terms; the latter is not used because the phases
    of Kwant's lead modes depend on E, which adds a basis-dependent term to S^† dS/dE
    (docs/theory.md, "Adiabaticity measures"). Pass the texture as ``m`` or inside ``params``.

    Returns
    -------
    float
        τ_d in units ħ/J_ex.
    """
    import kwant

    if not (np.isscalar(energy) and np.isreal(energy) and np.isfinite(energy)):
        raise KwantLLGError(f"energy must be a finite real number, got {energy!r}.")
    p = dict(params or {})
    if m is not None:
        p[magnetization] = site_field(fsyst, m)
    n_open = sum(len(lead.modes(energy, params=p)[0].velocities) // 2 for lead in fsyst.leads)
    if n_open == 0:
        raise KwantLLGError(f"No open channels at E = {energy!r}: the dwell time is undefined.")
    ldos = kwant.ldos(fsyst, energy, params=p)
    return float(2 * np.pi * ldos.sum() / n_open)


def density_ratio(first_order, frozen, sites=None):
    """‖ρ^(1)‖ / ‖ρ^(0)‖ (Frobenius norms over the chosen sites) of two (num_sites, 3) arrays."""
    a, b = np.asarray(first_order, float), np.asarray(frozen, float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 3:
        raise KwantLLGError(
            f"Expected two (num_sites, 3) spin densities, got {a.shape}, {b.shape}.")
    if sites is not None:
        a, b = a[sites], b[sites]
    nb = np.linalg.norm(b)
    if not nb > 0:
        raise KwantLLGError("The frozen density vanishes on these sites; the ratio is undefined.")
    return float(np.linalg.norm(a) / nb)


@dataclass
class Adiabaticity:
    """Adiabaticity measures of a run: density ratio ‖ρ^(1)‖/‖ρ^(0)‖ and ω τ_d.

    Either may be None (not computed). ``threshold`` applies to both.
    """

    density_ratio: float = None
    omega_dwell: float = None
    dwell_time: float = None
    omega: float = None
    threshold: float = 0.1
    _warned: bool = field(default=False, repr=False)

    @property
    def ok(self):
        """True when every computed measure is below ``threshold``."""
        return all(x is None or x < self.threshold for x in (self.density_ratio, self.omega_dwell))

    def message(self):
        parts = []
        if self.density_ratio is not None:
            parts.append(f"‖ρ^(1)‖/‖ρ^(0)‖ = {self.density_ratio:.3g}")
        if self.omega_dwell is not None:
            parts.append(f"ω τ_dwell = {self.omega_dwell:.3g} (τ_dwell = {self.dwell_time:.3g})")
        return ("The adiabatic expansion is used outside its range: " + ", ".join(parts) +
                f" (should be ≪ 1; threshold {self.threshold}). Lower ω or the drive amplitude, "
                "or use the Floquet treatment (kwant_llg.floquet).")

    def warn_once(self, stacklevel=2):
        """Issue one :class:`AdiabaticityWarning` if not :attr:`ok` (at most once per object)."""
        if not self.ok and not self._warned:
            self._warned = True
            warnings.warn(self.message(), AdiabaticityWarning, stacklevel=stacklevel)
            return True
        return False

    def as_dict(self):
        return dict(density_ratio=self.density_ratio, omega_dwell=self.omega_dwell,
                    dwell_time=self.dwell_time, omega=self.omega, threshold=self.threshold)


def adiabaticity(*, omega=None, first_order=None, frozen=None, sites=None, fsyst=None,
                 energy=None, params=None, m=None, threshold=0.1):
    """Both adiabaticity measures that the inputs allow.

    Parameters
    ----------
    omega : float, optional
        Drive frequency (with ``fsyst, energy, params``: ω τ_d).
    first_order, frozen : array_like (num_sites, 3), optional
        ρ^(1) and ρ^(0) (⟨σ⟩ per site): the density ratio on ``sites``.
    threshold : float
        Above it :meth:`Adiabaticity.warn_once` warns.

    Returns
    -------
    Adiabaticity
    """
    res = Adiabaticity(omega=omega, threshold=float(threshold))
    if first_order is not None and frozen is not None:
        res.density_ratio = density_ratio(first_order, frozen, sites)
    if fsyst is not None and omega is not None:
        if energy is None:
            raise KwantLLGError("The dwell-time measure needs energy= (the Fermi energy).")
        res.dwell_time = dwell_time(fsyst, energy, params=params, m=m)
        res.omega_dwell = abs(omega) * res.dwell_time
    return res


def pump_adiabaticity(greens, m, drive, *, mu, n_times=4, sites=None, fermi_sea=True,
                      threshold=0.1, tol=1e-6):
    """Adiabaticity of gate pumping of a frozen texture: both measures of :func:`adiabaticity`.

    The density ratio is max_t ‖ρ^(1)(t)‖/‖ρ^(0)(t)‖ over ``n_times`` equally spaced times of
    the period, with ρ^(1) the first-order spin density of :func:`kwant_llg.adiabatic.
    first_order_density` (Ḣ = Σ_p v̇_p Y_p; Fermi-surface + Fermi-sea term unless
    ``fermi_sea=False``) and ρ^(0) the frozen equilibrium spin density
    (:func:`kwant_llg.contour.equilibrium_density`), both at T = 0 and Fermi energy ``mu``,
    on ``sites`` (default: all). ω τ_d uses the dwell time at v = 0.

    Returns
    -------
    Adiabaticity
    """
    from . import adiabatic, contour
    from .pumping import PumpDrive

    if not isinstance(drive, PumpDrive):
        raise KwantLLGError(f"drive must be a PumpDrive, got {type(drive).__name__}.")
    if not (isinstance(n_times, (int, np.integer)) and n_times >= 1):
        raise KwantLLGError(f"n_times must be a positive integer, got {n_times!r}.")
    mag = greens.magnetization_array(m)
    gates = np.flatnonzero(sum(np.abs(greens.onsite_terms[n]).sum(axis=(1, 2))
                               for n in drive.names))
    ratio = 0.0
    for t in np.arange(n_times) * drive.period / n_times:
        values = drive.onsite_values(t)
        hdot = sum(r * greens.onsite_terms[n][gates] for n, r in zip(drive.names, drive.rates(t)))
        first = adiabatic.first_order_density(greens, mag, hdot, gates, mu=mu,
                                              fermi_sea=fermi_sea, onsite_values=values, tol=tol)
        frozen = contour.equilibrium_density(greens, mag, mu=mu, onsite_values=values, tol=tol)
        ratio = max(ratio, density_ratio(first.spin, frozen.spin, sites))
    params = dict(greens.params, **greens._onsite_values(None))
    res = adiabaticity(omega=drive.omega, fsyst=greens.fsyst, energy=mu, params=params,
                       m=mag, threshold=threshold)
    res.density_ratio = ratio
    return res
