r"""Topological charge, skyrmion centre and radius of a spin texture.

All functions take either a :class:`~kwant_llg.spins.SpinLattice` or an array of positions
(num_spins, 2 or 3), and the texture ``m`` (num_spins, 3).

Triangulation
-------------
The lattice charge uses a triangulation of the sample into counterclockwise triangles:

* ``lattice.triangles`` if the lattice has them (``SpinLattice.square`` sets them, including
  the plaquettes across periodic boundaries);
* otherwise, for positions on a square grid (spacing a = the smallest site distance), every
  plaquette (x, y), (x+a, y), (x+a, y+a), (x, y+a) whose four corners are sites is split along
  its diagonal into the triangles [(x, y), (x+a, y), (x+a, y+a)] and
  [(x, y), (x+a, y+a), (x, y+a)];
* otherwise a Delaunay triangulation of the positions (any planar lattice; it covers the
  convex hull, so concave samples get extra triangles across their notches).

Triangle centroids and the skyrmion centre use the stored positions without minimum-image
corrections: on periodic lattices the skyrmion must not straddle the periodic boundary.
"""

import numpy as np

from ._common import KwantLLGError

__all__ = ["triangulate", "boundary_edges", "far_field", "topological_charge",
           "charge_density", "skyrmion_center", "skyrmion_radius"]


def _positions(lattice_or_positions):
    if hasattr(lattice_or_positions, "positions"):
        return np.asarray(lattice_or_positions.positions, dtype=float)[:, :2]
    pos = np.asarray(lattice_or_positions, dtype=float)
    if pos.ndim != 2 or pos.shape[1] not in (2, 3):
        raise KwantLLGError(f"positions must have shape (num_spins, 2 or 3), got {pos.shape}.")
    return pos[:, :2]


def _texture(m, num):
    m = np.asarray(m, dtype=float)
    if m.shape != (num, 3):
        raise KwantLLGError(f"The texture has shape {m.shape}, expected ({num}, 3).")
    return m


def triangulate(lattice_or_positions):
    """Counterclockwise triangles (num_triangles, 3) covering the sample (see module doc)."""
    tri = getattr(lattice_or_positions, "triangles", None)
    if tri is not None:
        return np.asarray(tri, dtype=int)
    pos = _positions(lattice_or_positions)
    tri = _square_triangles(pos)
    if tri is None:
        from scipy.spatial import Delaunay, QhullError
        try:
            tri = Delaunay(pos).simplices
        except QhullError:
            raise KwantLLGError(
                f"The {len(pos)} sites do not span a two-dimensional sample (a chain or fewer "
                "than three sites): topological charge, skyrmion centre and boundary are "
                "undefined here (use check_skyrmion=False).") from None
        d1, d2 = pos[tri[:, 1]] - pos[tri[:, 0]], pos[tri[:, 2]] - pos[tri[:, 0]]
        area = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
        tri = np.where((area < 0)[:, None], tri[:, [0, 2, 1]], tri)[np.abs(area) > 1e-12]
    return tri


def _square_triangles(pos):
    """Triangles of a square grid, or None if the positions are not on one."""
    if len(pos) < 4:
        return None
    from scipy.spatial import cKDTree
    a = cKDTree(pos).query(pos, k=2)[0][:, 1].min()
    if not a > 0:
        return None
    grid = (pos - pos.min(axis=0)) / a
    ij = np.rint(grid).astype(int)
    if not np.allclose(grid, ij, atol=1e-6):
        return None
    width = ij[:, 1].max() + 2
    keys = ij[:, 0] * width + ij[:, 1]
    order = np.argsort(keys)
    sorted_keys = keys[order]
    if np.any(np.diff(sorted_keys) == 0):
        return None

    def lookup(dx, dy):
        k = (ij[:, 0] + dx) * width + (ij[:, 1] + dy)
        loc = np.clip(np.searchsorted(sorted_keys, k), 0, len(keys) - 1)
        found = sorted_keys[loc] == k
        return np.where(found, order[loc], -1)

    i00 = np.arange(len(pos))
    i10, i11, i01 = lookup(1, 0), lookup(1, 1), lookup(0, 1)
    ok = (i10 >= 0) & (i11 >= 0) & (i01 >= 0)
    q = [v[ok] for v in (i00, i10, i11, i01)]
    return np.concatenate([np.stack(q[:3], axis=1), np.stack([q[0], q[2], q[3]], axis=1)])


def _solid_angles(m, tri):
    """Signed solid angle of the spherical triangles (m_a, m_b, m_c) (Berg–Lüscher)."""
    a, b, c = m[tri[:, 0]], m[tri[:, 1]], m[tri[:, 2]]
    num = np.einsum("tk,tk->t", a, np.cross(b, c))
    den = 1 + np.einsum("tk,tk->t", a, b) + np.einsum("tk,tk->t", b, c) \
        + np.einsum("tk,tk->t", c, a)
    return 2 * np.arctan2(num, den)


def charge_density(lattice_or_positions, m):
    r"""Topological charge per triangle and the triangle centroids.

    q_t = Ω_t / 4π with Ω_t the signed solid angle spanned by the unit vectors
    (m_a, m_b, m_c) of the counterclockwise triangle t (Berg and Lüscher, Nucl. Phys. B 190,
    412 (1981)):

        tan(Ω_t/2) = m_a·(m_b × m_c) / (1 + m_a·m_b + m_b·m_c + m_c·m_a),   −2π < Ω_t < 2π.

    Returns
    -------
    q : ndarray (num_triangles,)
    centroids : ndarray (num_triangles, 2)
    """
    pos = _positions(lattice_or_positions)
    m = _texture(m, len(pos))
    m = m / np.linalg.norm(m, axis=1, keepdims=True)
    tri = triangulate(lattice_or_positions)
    return _solid_angles(m, tri) / (4 * np.pi), pos[tri].mean(axis=1)


def boundary_edges(lattice_or_positions):
    """Directed boundary edges (a, b) of the triangulation, shape (num_edges, 2).

    An edge a → b of a counterclockwise triangle is on the boundary if no triangle contains
    the reverse edge b → a; the boundary then runs counterclockwise around the sample.
    Periodic lattices (closed surfaces) have none.
    """
    tri = triangulate(lattice_or_positions)
    edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    n = int(edges.max()) + 1 if len(edges) else 1
    keys = edges[:, 0] * n + edges[:, 1]
    reverse = edges[:, 1] * n + edges[:, 0]
    return edges[~np.isin(keys, reverse)]


def far_field(lattice_or_positions, m):
    """Far-field direction of a texture on an open lattice: the normalised mean of the spins
    on the boundary of the triangulation (for the seed's skyrmion ≈ +ẑ; the DMI tilts of
    opposite edges cancel)."""
    pos = _positions(lattice_or_positions)
    m = _texture(m, len(pos))
    edges = boundary_edges(lattice_or_positions)
    if not len(edges):
        raise KwantLLGError("The lattice has no boundary (periodic): there is no far field.")
    mean = m[np.unique(edges)].mean(axis=0)
    norm = np.linalg.norm(mean)
    if not norm > 1e-6:
        raise KwantLLGError("The boundary spins average to zero: there is no uniform far "
                            "field; pass background= explicitly.")
    return mean / norm


def topological_charge(lattice_or_positions, m, *, boundary="open", background=None):
    r"""Lattice topological charge Q = Σ_t Ω_t / 4π (Berg–Lüscher, see :func:`charge_density`).

    Q is the lattice version of (1/4π) ∫ m·(∂_x m × ∂_y m) dx dy. With this sign a skyrmion
    with core m_z = −1 in a +ẑ background (the seed's, polarity −1, vorticity +1) has Q = −1;
    in general Q = polarity × vorticity.

    Parameters
    ----------
    boundary : {"open", "background"}
        ``"open"`` (default): the raw sum over the triangles of the sample. It is an integer
        (to round-off) on periodic lattices, or if the boundary spins are all parallel; on an
        open lattice the DMI cants the edge spins and adds a non-integer part (the relaxed
        seed skyrmion on the open 40 × 40 lattice has Q = −0.94).
        ``"background"``: the sample is closed by one extra spin m_∞ = ``background`` "at
        infinity", joined to every boundary edge a → b by the triangle (b, a, ∞). This is a
        ring of far-field spins around the sample shrunk to a point (triangles between
        identical ring spins span no solid angle). Sample and cone together form a closed,
        consistently oriented triangulated sphere, so Q is the degree of the map to the unit
        sphere: an integer to round-off. The cone triangles add the solid angle swept by the
        boundary spins as seen from m_∞; the result is the charge of the texture continued
        outside the sample by the uniform far field (see ``docs/conventions.md``).
    background : array_like (3,), optional
        m_∞ for ``boundary="background"``; default :func:`far_field` (the mean boundary
        spin). Every boundary spin must lie in the open hemisphere around it
        (m_i·m_∞ > 0), i.e. the boundary must be close to a uniform state; otherwise the
        closure is not defined by the texture and :class:`~kwant_llg.KwantLLGError` is raised.
    """
    q = charge_density(lattice_or_positions, m)[0].sum()
    if boundary == "open":
        return float(q)
    if boundary != "background":
        raise KwantLLGError(f"Unknown boundary {boundary!r}; use 'open' or 'background'.")
    pos = _positions(lattice_or_positions)
    m = _texture(m, len(pos))
    m = m / np.linalg.norm(m, axis=1, keepdims=True)
    edges = boundary_edges(lattice_or_positions)
    if not len(edges):
        return float(q)                       # closed (periodic) lattice: nothing to add
    if background is None:
        inf = far_field(lattice_or_positions, m)
    else:
        inf = np.asarray(background, dtype=float)
        if inf.shape != (3,) or not np.linalg.norm(inf) > 0 or not np.all(np.isfinite(inf)):
            raise KwantLLGError(f"background must be a nonzero 3-vector, got {background!r}.")
        inf = inf / np.linalg.norm(inf)
    cos = m[np.unique(edges)] @ inf
    if not np.all(cos > 0):
        raise KwantLLGError(
            f"A boundary spin makes an angle of {np.degrees(np.arccos(cos.min())):.1f} deg "
            "(>= 90) with the background direction: the sample does not end in a uniform "
            "far field, so closing it is ambiguous. Use a larger sample or boundary='open'.")
    cone = np.concatenate([m, inf[None]])
    tri = np.stack([edges[:, 1], edges[:, 0], np.full(len(edges), len(m))], axis=1)
    return float(q + _solid_angles(cone, tri).sum() / (4 * np.pi))


def skyrmion_center(lattice_or_positions, m, *, method="paper", threshold=-0.1, polarity=-1):
    r"""Centre R = (x, y) of a skyrmion.

    Parameters
    ----------
    method : {"paper", "charge"}
        ``"paper"`` (Sec. V, below Eq. 40): for a core pointing down,

            R = Σ_i (m_0^z − m_i^z) r_i / Σ_i (m_0^z − m_i^z),

        summed over the sites with m_i^z < m_0^z, where m_0^z = ``threshold`` (−0.1).
        ``"charge"``: centroid of the topological charge density,
        R = Σ_t q_t c_t / Σ_t q_t over the triangles (see :func:`charge_density`); it does not
        depend on a threshold and moves smoothly with the texture.
    threshold : float
        m_0^z of the paper's definition (for ``polarity=+1`` the texture is flipped first,
        m_z → −m_z, so the same threshold applies to the core pointing up).
    polarity : {−1, +1}
        Sign of m_z at the core.
    """
    pos = _positions(lattice_or_positions)
    m = _texture(m, len(pos))
    if polarity not in (-1, 1):
        raise KwantLLGError(f"polarity must be -1 or +1, got {polarity!r}.")
    if method == "paper":
        mz = -polarity * m[:, 2]       # core down after the flip
        w = np.where(mz < threshold, threshold - mz, 0.0)
        if not w.sum() > 0:
            raise KwantLLGError(f"No site has m_z below the threshold {threshold} "
                                "(with the given polarity): there is no skyrmion core.")
        return (w[:, None] * pos).sum(axis=0) / w.sum()
    if method == "charge":
        q, c = charge_density(lattice_or_positions, m)
        if abs(q.sum()) < 1e-3:
            raise KwantLLGError("The topological charge is zero: the charge centroid is "
                                "undefined (use method='paper').")
        return (q[:, None] * c).sum(axis=0) / q.sum()
    raise KwantLLGError(f"Unknown method {method!r}; use 'paper' or 'charge'.")


def skyrmion_radius(lattice_or_positions, m, *, method="contour", polarity=-1, mz_out=0.99):
    r"""Radius of a skyrmion.

    Parameters
    ----------
    method : {"contour", "paper"}
        ``"contour"``: area-equivalent radius of the m_z = 0 contour, r = √(A/π), where A is
        the area of the region with polarity·m_z > 0 for the piecewise-linear interpolation
        of m_z on the triangulation (exact per triangle; no threshold). For an axially
        symmetric skyrmion this is the radius of the m_z = 0 circle to O(a²).
        ``"paper"`` (Sec. V): "the minimal distance between the Sk center m_i^z(0) = −1 and
        m_i^z(r_0) = 1". Made precise as: the core site c is the site with m_z closest to
        the core value (``polarity``), and r_0 = min |r_i − r_c| over the sites with
        −polarity·m_i^z ≥ ``mz_out`` ("m_z ≈ +1"). It takes lattice values only and depends
        on ``mz_out``.
    polarity : {−1, +1}
        Sign of m_z at the core (the seed's skyrmion: −1).
    mz_out : float
        Threshold for "m_z ≈ ±1 outside" of the paper's definition.
    """
    pos = _positions(lattice_or_positions)
    m = _texture(m, len(pos))
    if polarity not in (-1, 1):
        raise KwantLLGError(f"polarity must be -1 or +1, got {polarity!r}.")
    mz = -polarity * m[:, 2]          # +1 outside, -1 in the core
    if method == "paper":
        core = np.argmin(mz)
        outside = mz >= mz_out
        if not outside.any():
            raise KwantLLGError(f"No site has m_z beyond {mz_out} outside the core.")
        return float(np.min(np.linalg.norm(pos[outside] - pos[core], axis=1)))
    if method == "contour":
        tri = triangulate(lattice_or_positions)
        p = pos[tri]
        d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
        area = 0.5 * np.abs(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])
        # wrap-around triangles of periodic lattices have a wrong area: use the typical one
        typical = np.median(area)
        area = np.where(area > 1.5 * typical, typical, area)
        frac = _negative_fraction(mz[tri])
        return float(np.sqrt(np.sum(frac * area) / np.pi))
    raise KwantLLGError(f"Unknown method {method!r}; use 'contour' or 'paper'.")


def _negative_fraction(f):
    """Area fraction of each triangle where the linear interpolation of f (t, 3) is < 0."""
    neg = f < 0
    k = neg.sum(axis=1)
    frac = np.where(k == 3, 1.0, 0.0)

    def corner_fraction(g, lone):
        # fraction of the triangle cut off around the vertex 'lone' (sign differs from others)
        a = np.take_along_axis(g, lone[:, None], axis=1)[:, 0]
        others = np.stack([np.take_along_axis(g, ((lone + s) % 3)[:, None], axis=1)[:, 0]
                           for s in (1, 2)], axis=1)
        t = a[:, None] / (a[:, None] - others)
        return t[:, 0] * t[:, 1]

    one = k == 1
    if one.any():
        frac[one] = corner_fraction(f[one], np.argmax(neg[one], axis=1))
    two = k == 2
    if two.any():
        frac[two] = 1 - corner_fraction(f[two], np.argmin(neg[two], axis=1))
    return frac
