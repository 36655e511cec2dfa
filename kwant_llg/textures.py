"""Analytic trial magnetisation textures (arrays of unit vectors, shape (num_sites, 3))."""

import numpy as np

__all__ = ["skyrmion", "uniform", "positions"]


def positions(fsyst_or_positions):
    """Site positions (num_sites, 2) from a finalized Kwant system or an array."""
    if hasattr(fsyst_or_positions, "sites"):
        return np.array([s.pos for s in fsyst_or_positions.sites], dtype=float)[:, :2]
    return np.asarray(fsyst_or_positions, dtype=float)[:, :2]


def uniform(fsyst_or_positions, direction=(0, 0, 1)):
    """Uniform texture along ``direction`` (normalised)."""
    pos = positions(fsyst_or_positions)
    d = np.asarray(direction, dtype=float)
    norm = np.linalg.norm(d)
    if d.shape != (3,) or not np.isfinite(norm) or norm == 0:
        raise ValueError(f"direction must be a nonzero finite 3-vector, got {direction!r}.")
    return np.tile(d / norm, (len(pos), 1))


def skyrmion(fsyst_or_positions, center, radius, *, helicity=np.pi / 2, polarity=-1,
             vorticity=1, width=None):
    r"""Analytic skyrmion trial texture.

    m = (sin θ cos Φ, sin θ sin Φ, −p cos θ) with p the polarity, Φ = vorticity·φ + helicity
    (φ the polar angle around ``center``) and the domain-wall profile

        θ(r) = 2 arctan[sinh(R/w) / sinh(r/w)]   (θ = π at the core, → 0 far away),

    which has m_z(R) = 0 (R = ``radius``) and tends to 2 arctan exp(−(r − R)/w) for R ≫ w.

    Parameters
    ----------
    fsyst_or_positions : kwant.system.FiniteSystem or array (num_sites, 2)
    center : (2,) array_like
    radius : float
        Radius R of the m_z = 0 contour.
    helicity : float
        π/2 (or −π/2) gives a Bloch skyrmion (the seed's bulk DMI), 0 or π a Néel one.
    polarity : {−1, +1}
        m_z at the core. The seed's skyrmion has polarity −1 (core down, background up).
    vorticity : {+1, −1}
        +1 for a skyrmion, −1 for an antiskyrmion.
    width : float, optional
        Wall width w (default ``radius / 3``).

    Returns
    -------
    ndarray, shape (num_sites, 3)
        Unit vectors; m_z = polarity at the core and −polarity far away.
    """
    if polarity not in (-1, 1) or vorticity not in (-1, 1):
        raise ValueError("polarity and vorticity must be +1 or -1.")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius!r}.")
    pos = positions(fsyst_or_positions)
    w = radius / 3 if width is None else float(width)
    d = pos - np.asarray(center, dtype=float)[:2]
    r = np.hypot(d[:, 0], d[:, 1])
    phi = np.arctan2(d[:, 1], d[:, 0])
    with np.errstate(divide="ignore"):
        theta = 2 * np.arctan2(np.sinh(radius / w), np.sinh(r / w))   # pi at r = 0, -> 0 far away
    big = vorticity * phi + helicity
    # theta = pi at the core; m_z = -polarity cos(theta) puts m_z = polarity there
    return np.stack([np.sin(theta) * np.cos(big), np.sin(theta) * np.sin(big),
                     -polarity * np.cos(theta)], axis=1)
