r"""Spatial adiabatic limit (Sec. IV D, App. E): b_J and c_J of a texture under bias.

A small bias V between a source and a drain lead drives a particle current through a
magnetic texture m(r). In linear response the nonequilibrium spin density δ⟨σ⟩ perpendicular
to m is, locally, a combination of the two vectors of Eq. (31),

    δ⟨σ⟩_⊥,i = [a₁ (ĵ·∇)m_i + a₂ m_i × (ĵ·∇)m_i] j,                                      (1)

with j the particle current density (electrons per unit time and unit width, flowing along
the unit vector ĵ). :func:`spin_transfer_coefficients` extracts a₁ and a₂ by least squares
over the texture and converts them into the b_J and c_J of Eq. (31).

Conventions (derivation in docs/theory.md, section "Spatial adiabatic limit")
-----------------------------------------------------------------------------
* Bias: μ_source = E_F + V/2, μ_drain = E_F − V/2 (e = 1, T = 0). With the per-lead densities
  s_α(E) of :meth:`~kwant_llg.solution.ScatteringSolution.spin_density` (per unit energy,
  including 1/2π), the linear response is exactly
  δ⟨σ⟩ = (V/2) [s_source(E_F) − s_drain(E_F)] and the particle current is I = T V/2π
  (T the transmission source → drain); j = I/W for a ribbon of W sites across.
* Torque: the electrons act on m_i through the field h_i = −∂⟨H_el⟩/∂m_i = −J⟨σ⟩_i (the
  project's reading of Eq. 39, see :mod:`kwant_llg.coupled`), i.e. the term J m × ⟨σ⟩ in
  ṁ = −γ m × H + …. Inserting (1) and comparing with Eq. (31),
  ṁ ⊃ b_J (j_e·∇)m − c_J m × (j_e·∇)m, for the electron charge current j_e = −j ĵ (charge −1):

      b_J = J a₂,     c_J = J a₁,     β = c_J/b_J = a₁/a₂.                                 (2)

  The Zhang–Li drift velocity of :class:`kwant_llg.llg.ZhangLiTorque` is u = b_J j ĵ
  (the texture moves with the electron flow for b_J > 0).
* Adiabatic estimate: when the electron spins follow m, the spin current in σ units is
  j_σ = −P j m (the band with σ antiparallel to m is the majority for J > 0), with
  P = (N_anti − N_para)/(N_anti + N_para) the polarisation of the lead's open channels.
  Spin continuity for H = J σ·m, ∂_t⟨σ⟩ + ∇·j_σ = 2J m × ⟨σ⟩ (Eq. 34 in σ units), gives in
  steady state a₂ = P/(2J), a₁ = 0, hence

      b₀ = P/2,                                                                         (3)

  the paper's b₀ = μ_B P/e in these units: angular momentum ħ/2 per transmitted electron
  spin, delivered to a local spin of unit length (ħ = 1, the normalisation in which the
  spin lattice and the electron field −J⟨σ⟩ are written).
"""

import numpy as np
import kwant

from ._common import KwantLLGError, SIGMA_0, magnetization_array
from .devices import exchange_onsite
from .llg import directional_derivative, gradient_weights, ZhangLiTorque
from .spins import SpinLattice
from .textures import positions as _positions

__all__ = ["ribbon", "domain_wall", "bias_spin_density", "bias_current", "lead_polarization",
           "spin_transfer_coefficients", "SpinTransferFit"]

TWO_PI = 2 * np.pi


def ribbon(L, W, *, left=(0, 0, 1), right=(0, 0, -1)):
    """An L × W ribbon of the seed's model with ferromagnetic leads (Kwant builder).

    Onsite 4t σ0 + J σ·m(site), hopping −t σ0 (as :func:`kwant_llg.devices.skyrmion_device`);
    lead 0 on the left (x < 0) with onsite 4t σ0 + J σ·``left``, lead 1 on the right with
    J σ·``right``. Leads magnetised along the texture's far field make the ribbon uniform
    apart from the texture, so that all scattering comes from the texture itself.
    Parameters of the value functions: ``t, J, m``.
    """
    L, W = int(L), int(W)
    if L < 1 or W < 1:
        raise KwantLLGError(f"L and W must be positive, got L={L}, W={W}.")
    lat = kwant.lattice.square(a=1, norbs=2)

    def onsite(site, t, J, m):
        return 4 * t * SIGMA_0 + exchange_onsite(m(site), J)

    def hopping(site1, site2, t):
        return -t * SIGMA_0

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(L) for y in range(W))] = onsite
    syst[lat.neighbors()] = hopping
    for direction, sym in ((left, (-1, 0)), (right, (1, 0))):
        m_lead = np.asarray(direction, dtype=float)
        if m_lead.shape != (3,) or not np.isfinite(np.linalg.norm(m_lead)) \
                or np.linalg.norm(m_lead) == 0:
            raise KwantLLGError("Lead magnetisations must be nonzero 3-vectors, "
                                f"got {direction!r}.")
        lead = kwant.Builder(kwant.TranslationalSymmetry(sym))
        lead[(lat(0, y) for y in range(W))] = _lead_onsite(m_lead / np.linalg.norm(m_lead))
        lead[lat.neighbors()] = hopping
        syst.attach_lead(lead)
    return syst


def _lead_onsite(m_lead):
    def lead_onsite(site, t, J):
        return 4 * t * SIGMA_0 + exchange_onsite(m_lead, J)
    return lead_onsite


def domain_wall(fsyst_or_positions, *, center, width, axis=0, phi=np.pi / 2):
    r"""A 180° wall from +ẑ to −ẑ along the coordinate ``axis``.

    m = (sin θ cos φ, sin θ sin φ, cos θ) with cos θ = −tanh((x − x₀)/λ), i.e.
    θ = 2 arctan e^{(x − x₀)/λ} (the Walker profile, width λ = ``width``). With x the
    transport direction, φ = π/2 is a Bloch wall (m turns in the y–z plane) and φ = 0 a
    Néel wall.
    """
    if not (np.isfinite(width) and width > 0):
        raise KwantLLGError(f"The wall width must be a positive number, got {width!r}.")
    x = _positions(fsyst_or_positions)[:, axis] - center
    cos_t = -np.tanh(x / width)
    sin_t = 1 / np.cosh(x / width)
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=1)


def bias_spin_density(solution, *, source=0, drain=1):
    """Linear-response δ⟨σ⟩ per unit bias, (s_source − s_drain)/2 (module docstring).

    Parameters
    ----------
    solution : ScatteringSolution
        ``FrozenGreens.solve(m, E_F)``.

    Returns
    -------
    ndarray (num_sites, 3)
        δ⟨σ⟩_i / V for μ_source − μ_drain = V split symmetrically about E_F.
    """
    s = solution.spin_density(lead=[source, drain], per_lead=True)
    return 0.5 * (s[0] - s[1])


def bias_current(solution, *, source=0, drain=1):
    """Particle current from source to drain per unit bias, I/V = T_{drain←source}/2π."""
    return solution.transmission(drain, source) / TWO_PI


def lead_polarization(greens, energy, lead, direction):
    r"""Polarisation P = (N_anti − N_para)/(N_anti + N_para) of a lead's open channels.

    N_anti (N_para) counts the channels with σ antiparallel (parallel) to the lead's
    magnetisation ``direction``, which must be ±ẑ (the lead then conserves σ_z). For J > 0
    the antiparallel band is the lower one, so P > 0 in the lower half of the band and
    P = 1 where only that band is open.
    """
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    if not np.allclose(np.abs(d), [0, 0, 1]):
        raise KwantLLGError("lead_polarization needs a lead magnetised along +z or -z "
                            f"(spin-resolved channels), got direction {direction!r}.")
    spin = greens.lead_data(energy)[lead][2]
    if spin is None:
        raise KwantLLGError(f"Lead {lead} does not conserve σ_z; its channels have no spin label.")
    anti = np.sum(spin == -np.sign(d[2]))
    para = np.sum(spin == np.sign(d[2]))
    if anti + para == 0:
        raise KwantLLGError(f"Lead {lead} has no open channel at E = {energy}.")
    return float(anti - para) / float(anti + para)


class SpinTransferFit:
    r"""Result of :func:`spin_transfer_coefficients`.

    Attributes
    ----------
    b_J, c_J, beta : float
        Coefficients of Eq. (31) in the convention (2) of the module docstring; β = c_J/b_J.
    b_0 : float or None
        Adiabatic estimate P/2 (Eq. 3 of the module docstring), if ``polarization`` was given.
    polarization : float or None
    a : ndarray (2,)
        (a₁, a₂) of Eq. (1): δ⟨σ⟩_⊥ per unit particle current density.
    current_density : float
        Particle current density per unit bias, j/V = T/(2π W).
    residual : float
        |δ⟨σ⟩_⊥ − fit| / |δ⟨σ⟩_⊥| over the fit region (how well Eq. 1 describes the
        density; 0 for a perfectly local response).
    region : ndarray of bool (num_sites,)
        Sites used in the fit.
    spin_density : ndarray (num_sites, 3)
        δ⟨σ⟩ per unit bias.
    gradient : ndarray (num_sites, 3)
        (ĵ·∇)m on the lattice.
    direction : ndarray (3,)
        ĵ, the unit vector of the electron flow.
    """

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def zhang_li(self, lattice, current_density):
        """The Zhang–Li torque of these coefficients for a particle current density j:
        :class:`~kwant_llg.llg.ZhangLiTorque` with u = b_J j ĵ and β = c_J/b_J."""
        return ZhangLiTorque(lattice, self.b_J * current_density * self.direction, beta=self.beta)

    def __repr__(self):
        b0 = "" if self.b_0 is None else f", b_0={self.b_0:.6g}"
        return (f"SpinTransferFit(b_J={self.b_J:.6g}, c_J={self.c_J:.6g}, beta={self.beta:.4g}"
                f"{b0}, residual={self.residual:.3g})")


def spin_transfer_coefficients(greens, m, energy, *, width, direction=(1, 0), source=0,
                               drain=1, region=None, threshold=0.05, polarization=None):
    r"""b_J, c_J and β of a texture under a small bias (Eqs. 1–2 of the module docstring).

    Parameters
    ----------
    greens : FrozenGreens
        Of the device (e.g. :func:`ribbon`); the exchange J is taken from its params.
    m : array_like (num_sites, 3) or callable
        The texture.
    energy : float
        Fermi energy.
    width : float
        Width of the conductor across the current (number of sites for a ribbon); the
        current density is j = I/width.
    direction : array_like (2,) or (3,)
        Direction ĵ of the electron flow from source to drain.
    source, drain : int
        Lead indices (μ_source > μ_drain).
    region : array of bool (num_sites,), optional
        Sites used in the fit. Default: sites where |(ĵ·∇)m| exceeds ``threshold`` times
        its maximum.
    polarization : float, optional
        Lead polarisation P (:func:`lead_polarization`), for the estimate b₀ = P/2.

    Returns
    -------
    SpinTransferFit
    """
    fsyst = greens.fsyst
    m = magnetization_array(fsyst, m)
    J = greens.params.get("J")
    if J is None or not np.isfinite(J) or J == 0:
        raise KwantLLGError("spin_transfer_coefficients needs the exchange J in the params of "
                            "FrozenGreens (the seed's onsite J σ·m).")
    if not (np.isfinite(width) and width > 0):
        raise KwantLLGError(f"width must be positive, got {width!r}.")
    u = np.zeros(3)
    u[:np.size(direction)] = np.ravel(direction)
    if np.linalg.norm(u) == 0:
        raise KwantLLGError("direction must be a nonzero vector.")
    u /= np.linalg.norm(u)
    lattice = SpinLattice.from_kwant(fsyst)
    grad = directional_derivative(lattice, m, u, weights=gradient_weights(lattice))
    gnorm = np.linalg.norm(grad, axis=1)
    if region is None:
        if gnorm.max() == 0:
            raise KwantLLGError("The texture is uniform along the current: nothing to fit.")
        region = gnorm > threshold * gnorm.max()
    region = np.asarray(region, dtype=bool)
    if region.shape != (len(m),) or not region.any():
        raise KwantLLGError("region must be a boolean mask over the sites with at least one "
                            "True entry.")
    sol = greens.solve(m, energy)
    ds = bias_spin_density(sol, source=source, drain=drain)
    j = bias_current(sol, source=source, drain=drain) / width
    if j <= 0:
        raise KwantLLGError(f"No current flows from lead {source} to lead {drain} at E = {energy}.")
    ds_perp = ds - np.einsum("ik,ik->i", ds, m)[:, None] * m
    v1 = grad - np.einsum("ik,ik->i", grad, m)[:, None] * m
    v2 = np.cross(m, grad)
    basis = np.stack([v1[region].ravel(), v2[region].ravel()], axis=1)
    target = ds_perp[region].ravel() / j
    a = np.linalg.lstsq(basis, target, rcond=None)[0]
    resid = np.linalg.norm(basis @ a - target) / np.linalg.norm(target)
    b_J, c_J = J * a[1], J * a[0]
    return SpinTransferFit(b_J=float(b_J), c_J=float(c_J), beta=float(c_J / b_J),
                           b_0=None if polarization is None else 0.5 * polarization,
                           polarization=polarization, a=a, current_density=float(j),
                           residual=float(resid), region=region, spin_density=ds, gradient=grad,
                           direction=u)
