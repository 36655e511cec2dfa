r"""Watching a driven skyrmion: loss checks and texture observables, shared by the dynamics.

Every coupled dynamics of the project (:class:`~kwant_llg.coupled.PumpedLLG`,
:class:`~kwant_llg.floquet_llg.FloquetLLG`, :class:`~kwant_llg.tdcoupled.TimeDependentLLG`)
records the same texture observables and stops the same way when the skyrmion is lost, so
that runs with adiabatic, Floquet and time-dependent electrons can be compared record by
record (``kwant-llg pump --electrons``). :class:`SkyrmionWatch` holds what this needs from
the initial texture: the far field (the background of the topological charge), the skyrmion
polarity, the initial charge and the sites where the skyrmion counts as lost (the sample
boundary and the lead interfaces).
"""

import numpy as np

from ._common import KwantLLGError
from . import topology

__all__ = ["SkyrmionLost", "SkyrmionWatch", "TEXTURE_OBSERVABLES"]

#: Keys of :meth:`SkyrmionWatch.observables`.
TEXTURE_OBSERVABLES = ("center_paper", "center_charge", "Q", "radius", "energy")


class SkyrmionLost(KwantLLGError):
    """The skyrmion was annihilated (Q changed) or touched the sample boundary or a lead.

    Attributes
    ----------
    time : float
        Time of the offending texture (the state stays at the last good step).
    m : ndarray
        The offending texture.
    reason : str
        ``"charge"`` or ``"boundary"``.
    """

    def __init__(self, message, *, time, m, reason):
        super().__init__(message)
        self.time, self.m, self.reason = time, m, reason


class SkyrmionWatch:
    """Loss checks and observables of a skyrmion on a 2D spin lattice.

    Parameters
    ----------
    lattice : SpinLattice
    m0 : ndarray (num_sites, 3)
        Initial texture: its far field is the background and fixes the polarity.
    lead_sites : array_like of int
        Sites at the lead interfaces (the skyrmion is lost when it reaches them).
    enabled : bool
        False: no checks (chains, or textures without a uniform far field); the
        observables are then still available where they are defined.

    The initial texture is not checked here: call :meth:`check` on it with the start time.

    Attributes
    ----------
    background : ndarray (3,) or None
    polarity : int
        −1 for a core against a +z far field (the seed's), +1 otherwise.
    charge0 : float
        Initial topological charge (NaN when disabled).
    """

    def __init__(self, lattice, m0, lead_sites=(), *, enabled=True):
        self.lattice, self.enabled = lattice, bool(enabled)
        self.background, self.polarity, self.charge0 = None, -1, np.nan
        self.boundary = np.zeros(0, dtype=int)
        if self.enabled:                 # (chains have no triangulation: only here)
            self.boundary = np.union1d(np.unique(topology.boundary_edges(lattice)),
                                       np.asarray(lead_sites, dtype=int).ravel())
            self.background = topology.far_field(lattice, m0)
            self.polarity = -1 if self.background[2] >= 0 else 1
            self.charge0 = topology.topological_charge(lattice, m0,
                                                       background=self.background)

    def check(self, m, time):
        """Raise :class:`SkyrmionLost` if a boundary or lead site points against the far
        field, or the topological charge moved by more than 1/2 from its initial value."""
        if not self.enabled:
            return
        bad = m[self.boundary] @ self.background <= 0
        if np.any(bad):
            site = self.boundary[np.flatnonzero(bad)[0]]
            raise SkyrmionLost(
                f"The skyrmion touched the sample boundary or a lead at t = {time:.6g}: site "
                f"{site} at {self.lattice.positions[site, :2].tolist()} points against the "
                "far field. The run cannot continue (evolve from an earlier state, reduce the "
                "drive or use a larger sample).", time=time, m=m, reason="boundary")
        if np.isfinite(self.charge0):
            q = topology.topological_charge(self.lattice, m, background=self.background)
            if abs(q - self.charge0) > 0.5:
                raise SkyrmionLost(
                    f"The topological charge changed from {self.charge0:.3f} to {q:.3f} at "
                    f"t = {time:.6g}: the skyrmion was annihilated (or a second one formed). "
                    "If this is not the physics of the run, repeat it with a smaller time "
                    "step (or tolerance) to check; otherwise use a weaker drive or a larger "
                    "skyrmion.", time=time, m=m,
                    reason="charge")

    def observables(self, m, hamiltonian):
        """``center_paper`` and ``center_charge`` (2,) (the paper's threshold centre and the
        charge centroid), ``Q``, ``radius`` (m_z = 0 contour, √(A/π)) and ``energy`` (the
        spin energy, Eq. 38). Centres and radius are NaN without a skyrmion core, Q without
        a uniform far field."""
        lat = self.lattice
        try:
            q = topology.topological_charge(lat, m, background=self.background)
        except KwantLLGError:               # no uniform far field
            q = np.nan
        try:
            cp = topology.skyrmion_center(lat, m, method="paper", polarity=self.polarity)
            radius = topology.skyrmion_radius(lat, m, polarity=self.polarity)
        except KwantLLGError:
            cp, radius = np.full(2, np.nan), np.nan
        try:
            cc = topology.skyrmion_center(lat, m, method="charge")
        except KwantLLGError:
            cc = np.full(2, np.nan)
        return dict(center_paper=np.asarray(cp, dtype=float),
                    center_charge=np.asarray(cc, dtype=float), Q=float(q),
                    radius=float(radius), energy=float(hamiltonian.energy(lat, m)))
