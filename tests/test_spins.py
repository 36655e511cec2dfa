"""Spin lattice, Hamiltonian terms (Eq. 38) and topological observables."""

import numpy as np
import pytest
import kwant

import kwant_llg as kl
from kwant_llg import topology as tp
from kwant_llg import KwantLLGError


def random_unit(n, seed):
    m = np.random.default_rng(seed).normal(size=(n, 3))
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def triangular_lattice(radius=6.5):
    lat = kwant.lattice.triangular(norbs=1)
    syst = kwant.Builder()
    syst[lat.shape(lambda p: np.hypot(*p) < radius, (0, 0))] = 0
    syst[lat.neighbors()] = -1
    return syst.finalized()


TERMS = {
    "exchange": kl.Exchange(1.3),
    "dmi_bulk": kl.DMI(0.4),
    "dmi_interfacial": kl.DMI(-0.3, kind="interfacial"),
    "anisotropy": kl.Anisotropy(0.2),
    "anisotropy_tilted": kl.Anisotropy(-0.1, axis=(1, 2, 2)),
    "zeeman": kl.Zeeman((0.1, -0.2, 0.3), mu=2.0),
    "zeeman_site": kl.Zeeman(np.random.default_rng(5).normal(size=(20, 3))),
    "sum": kl.Exchange(1) + kl.DMI(0.2) + kl.Anisotropy(0.07) + kl.Zeeman((0, 0, 0.05)),
}

LATTICES = {
    "square_open": lambda: kl.SpinLattice.square(4, 5),
    "square_periodic": lambda: kl.SpinLattice.square(4, 5, periodic=True),
    "kwant_triangular": lambda: kl.SpinLattice.from_kwant(triangular_lattice(2.6)),
}


@pytest.mark.parametrize("lattice_name", sorted(LATTICES))
@pytest.mark.parametrize("term_name", sorted(TERMS))
def test_field_is_minus_gradient(term_name, lattice_name):
    """Contract: H_eff = −∇_m H (full gradient, energies are polynomials in m) to 1e-6."""
    lattice = LATTICES[lattice_name]()
    term = TERMS[term_name]
    if term_name == "zeeman_site" and lattice.num_spins != 20:
        term = kl.Zeeman(np.random.default_rng(5).normal(size=(lattice.num_spins, 3)))
    m = random_unit(lattice.num_spins, 1)
    field = term.field(lattice, m)
    assert field.shape == m.shape
    eps = 1e-5
    grad = np.zeros_like(m)
    for i in range(lattice.num_spins):
        for k in range(3):
            mp, mm = m.copy(), m.copy()
            mp[i, k] += eps
            mm[i, k] -= eps
            grad[i, k] = (term.energy(lattice, mp) - term.energy(lattice, mm)) / (2 * eps)
    np.testing.assert_allclose(field, -grad, atol=1e-6)


@pytest.mark.parametrize("lattice_name", sorted(LATTICES))
@pytest.mark.parametrize("term_name", sorted(TERMS))
def test_compiled_field_equals_term_field(term_name, lattice_name):
    """The sparse affine map H_eff = A m + b equals the term-wise field to 1e-13 for
    arbitrary (non-unit) m, and A = −∂²H/∂m∂m is symmetric; the energy is
    H = −½ m·A m − b·m exactly (quadratic and linear terms), to 1e-12."""
    lattice = LATTICES[lattice_name]()
    term = TERMS[term_name]
    if term_name == "zeeman_site" and lattice.num_spins != 20:
        term = kl.Zeeman(np.random.default_rng(5).normal(size=(lattice.num_spins, 3)))
    m = 1.7 * random_unit(lattice.num_spins, 4)
    f = kl.spins.compile_field(term, lattice)
    np.testing.assert_allclose(f(m), term.field(lattice, m), atol=1e-13)
    energy = 0.0
    if f.A is not None:
        assert abs(f.A - f.A.T).max() == 0
        energy -= 0.5 * m.ravel() @ (f.A @ m.ravel())
    if f.b is not None:
        energy -= np.sum(f.b * m)
    assert energy == pytest.approx(term.energy(lattice, m), abs=1e-12)


class _Quartic(kl.spins.Term):
    """A user term without a matrix: H = Σ_i m_z⁴."""

    def energy(self, lattice, m):
        return float(np.sum(m[:, 2] ** 4))

    def field(self, lattice, m):
        return np.stack([0 * m[:, 0], 0 * m[:, 0], -4 * m[:, 2] ** 3], axis=1)


def test_compiled_field_falls_back_to_field():
    lattice = kl.SpinLattice.square(4, 3)
    H = kl.Exchange(1) + _Quartic() + kl.Zeeman((0, 0, 0.3))
    m = random_unit(12, 1)
    f = kl.spins.compile_field(H, lattice)
    assert len(f.rest) == 1
    np.testing.assert_allclose(f(m), H.field(lattice, m), atol=1e-14)


@pytest.mark.parametrize("term_name", sorted(TERMS))
def test_energy_additivity(term_name):
    lattice = kl.SpinLattice.square(4, 5)
    term = TERMS[term_name]
    m = random_unit(lattice.num_spins, 2)
    total = term + kl.Exchange(0.5)
    assert np.isclose(total.energy(lattice, m),
                      term.energy(lattice, m) + kl.Exchange(0.5).energy(lattice, m), atol=1e-12)
    np.testing.assert_allclose(total.field(lattice, m),
                               term.field(lattice, m) + kl.Exchange(0.5).field(lattice, m),
                               atol=1e-12)
    assert sum([term, kl.Exchange(0.5)]).energy(lattice, m) == pytest.approx(
        total.energy(lattice, m), abs=1e-12)


@pytest.mark.parametrize("axis", [(0, 0, 1), (1, 0, 0), (1, 2, -0.5)])
def test_exchange_invariant_under_any_spin_rotation(axis):
    lattice = kl.SpinLattice.square(5, 4, periodic=(True, False))
    m = random_unit(lattice.num_spins, 3)
    rot = rotation(axis, 0.83)
    e = kl.Exchange(1.1)
    assert e.energy(lattice, m @ rot.T) == pytest.approx(e.energy(lattice, m), abs=1e-12)


@pytest.mark.parametrize("term", [kl.Anisotropy(0.3), kl.DMI(0.4, kind="interfacial")],
                         ids=["anisotropy", "dmi_interfacial"])
def test_z_rotation_invariance(term):
    """Anisotropy along z: spin rotation about z. Interfacial DMI: rotating spins *and* space
    about z (arbitrary angle: positions rotated, bonds unchanged)."""
    pos = np.random.default_rng(4).normal(size=(12, 2)) * 3
    bonds = [(i, j) for i in range(12) for j in range(i + 1, 12) if (i + j) % 3 == 0]
    lattice = kl.SpinLattice(pos, bonds)
    rot = rotation((0, 0, 1), 1.1)
    rotated = kl.SpinLattice(pos @ rot[:2, :2].T, bonds)
    m = random_unit(12, 6)
    assert term.energy(rotated, m @ rot.T) == pytest.approx(term.energy(lattice, m), abs=1e-12)


@pytest.mark.parametrize("axis", [(0, 0, 1), (1, -1, 0.3)])
def test_bulk_dmi_invariant_under_joint_rotation(axis):
    """Bulk DMI Σ D r̂_ij·(m_i × m_j) is invariant under rotating spins and space together,
    about any axis (3D positions), and changes under spin-only rotations."""
    rng = np.random.default_rng(7)
    pos = rng.normal(size=(10, 3)) * 2
    bonds = [(i, (i + 1) % 10) for i in range(10)] + [(i, (i + 3) % 10) for i in range(10)]
    rot = rotation(axis, -0.7)
    lattice, rotated = kl.SpinLattice(pos, bonds), kl.SpinLattice(pos @ rot.T, bonds)
    m = random_unit(10, 8)
    dmi = kl.DMI(0.37)
    assert dmi.energy(rotated, m @ rot.T) == pytest.approx(dmi.energy(lattice, m), abs=1e-12)
    assert abs(dmi.energy(lattice, m @ rot.T) - dmi.energy(lattice, m)) > 1e-3


def test_dmi_sign_convention():
    """Two sites along x, bond (0, 1): bulk D_01 = D (r_0 − r_1)/|r_0 − r_1| = −D x̂ (Eq. 38)."""
    lattice = kl.SpinLattice([[0, 0], [1, 0]], [(1, 0)])      # given reversed: stored as (0, 1)
    np.testing.assert_array_equal(lattice.bonds, [[0, 1]])
    np.testing.assert_allclose(lattice.bond_vectors, [[1, 0, 0]])
    m = np.array([[0, 1.0, 0], [0, 0, 1.0]])                       # m_0 × m_1 = x̂
    assert kl.DMI(0.2).energy(lattice, m) == pytest.approx(-0.2)
    np.testing.assert_allclose(kl.DMI(0.2).vectors(lattice), [[-0.2, 0, 0]])
    # interfacial: D_01 = D ẑ × (r_0 − r_1)/|...| = −D ŷ
    np.testing.assert_allclose(kl.DMI(0.2, kind="interfacial").vectors(lattice), [[0, -0.2, 0]])
    assert kl.Exchange(1).energy(lattice, m) == pytest.approx(0.0)
    assert kl.Anisotropy(0.5).energy(lattice, m) == pytest.approx(-0.5)


def test_lattice_from_kwant_matches_square():
    fsyst = kl.devices.skyrmion_device(7, 5).finalized()
    lat = kl.SpinLattice.from_kwant(fsyst)
    assert lat.num_spins == 35 and lat.num_bonds == 6 * 5 + 7 * 4
    assert np.all(lat.bonds[:, 0] < lat.bonds[:, 1])
    np.testing.assert_allclose(lat.bond_lengths, 1.0)
    pos = np.array([s.pos for s in fsyst.sites])
    np.testing.assert_allclose(lat.positions[:, :2], pos)
    np.testing.assert_allclose(lat.bond_vectors[:, :2],
                               pos[lat.bonds[:, 1]] - pos[lat.bonds[:, 0]])
    sq = kl.SpinLattice.square(7, 5)
    m = random_unit(35, 9)
    # same energy when the square lattice's sites are matched to Kwant's order
    order = [int(np.flatnonzero(np.all(sq.positions[:, :2] == p, axis=1))[0]) for p in pos]
    H = kl.Exchange(1) + kl.DMI(0.3) + kl.Anisotropy(0.1)
    assert H.energy(lat, m) == pytest.approx(H.energy(sq, m[np.argsort(order)]), abs=1e-12)
    assert len(lat.triangles) == 2 * 6 * 4


def test_periodic_square_lattice():
    lat = kl.SpinLattice.square(4, 3, periodic=True)
    assert lat.num_bonds == 2 * 12
    np.testing.assert_allclose(lat.bond_lengths, 1.0)
    assert len(lat.triangles) == 2 * 12
    chain = kl.SpinLattice.square(5, 1)
    assert chain.num_bonds == 4
    two = kl.SpinLattice.square(2, 2, periodic=True)       # no doubled bonds
    assert two.num_bonds == 4


def test_lattice_bad_input():
    with pytest.raises(KwantLLGError, match="outside"):
        kl.SpinLattice([[0, 0], [1, 0]], [(0, 2)])
    with pytest.raises(KwantLLGError, match="shape"):
        kl.SpinLattice(np.zeros((3, 4)), [])
    with pytest.raises(KwantLLGError, match="zero length"):
        kl.SpinLattice([[0, 0], [0, 0]], [(0, 1)])
    with pytest.raises(KwantLLGError, match="kind"):
        kl.DMI(0.1, kind="neel")
    with pytest.raises(KwantLLGError, match="shape"):
        kl.Zeeman(np.zeros((2, 3))).field(kl.SpinLattice.square(3, 1), np.zeros((3, 3)))


# ---------------------------------------------------------------- topology ----

@pytest.mark.parametrize("polarity, vorticity", [(-1, 1), (1, 1), (-1, -1)])
def test_charge_of_analytic_skyrmion(polarity, vorticity):
    """Q = polarity × vorticity; open 30 × 30 lattice, narrow walls (tails ≪ 1e-3)."""
    lat = kl.SpinLattice.square(30, 30)
    m = kl.textures.skyrmion(lat.positions, (14.3, 15.1), 5, width=1.2, polarity=polarity,
                             vorticity=vorticity)
    assert tp.topological_charge(lat, m) == pytest.approx(polarity * vorticity, abs=1e-3)
    # positions only (square-grid triangulation found from the positions)
    assert tp.topological_charge(lat.positions, m) == pytest.approx(polarity * vorticity,
                                                                     abs=1e-3)


def test_charge_on_triangular_kwant_lattice():
    """Delaunay triangulation of a non-square lattice."""
    fsyst = triangular_lattice(12.5)
    lat = kl.SpinLattice.from_kwant(fsyst)
    assert np.all(np.isclose(lat.bond_lengths, 1.0))
    m = kl.textures.skyrmion(fsyst, (0.2, 0.3), 4, width=1.0)
    assert tp.topological_charge(lat, m) == pytest.approx(-1, abs=1e-3)
    assert tp.topological_charge(lat, kl.textures.uniform(fsyst)) == pytest.approx(0, abs=1e-12)


def test_center_and_radius_of_analytic_skyrmion():
    lat = kl.SpinLattice.square(40, 40)
    center = np.array([18.3, 21.6])
    m = kl.textures.skyrmion(lat.positions, center, 8.0, width=2.0)
    np.testing.assert_allclose(tp.skyrmion_center(lat, m), center, atol=0.02)
    np.testing.assert_allclose(tp.skyrmion_center(lat, m, method="charge"), center, atol=0.02)
    # the analytic texture has m_z = 0 on the circle r = 8
    assert tp.skyrmion_radius(lat, m) == pytest.approx(8.0, abs=0.02)
    # paper's definition: distance from the core site to the nearest site with m_z >= 0.99
    r0 = tp.skyrmion_radius(lat, m, method="paper", mz_out=0.99)
    d = np.linalg.norm(lat.positions[:, :2] - lat.positions[np.argmin(m[:, 2]), :2], axis=1)
    assert r0 == pytest.approx(d[m[:, 2] >= 0.99].min())
    assert 8.0 < r0 < 8.0 + 2.0 * np.log(2 / 0.005) + 1
    # polarity +1: the flipped texture gives the same centre and radius
    flipped = m * [1, 1, -1]
    np.testing.assert_allclose(tp.skyrmion_center(lat, flipped, polarity=1),
                               tp.skyrmion_center(lat, m), atol=1e-12)
    assert tp.skyrmion_radius(lat, flipped, polarity=1) == pytest.approx(
        tp.skyrmion_radius(lat, m), abs=1e-12)


def test_contour_radius_interpolation_exact_for_linear_field():
    """m_z linear in x on a strip: the interpolated area with m_z < 0 is exact."""
    lat = kl.SpinLattice.square(10, 4)
    x = lat.positions[:, 0]
    mz = np.clip((x - 3.3) / 10, -1, 1)
    m = np.stack([np.sqrt(1 - mz ** 2), 0 * mz, mz], axis=1)
    area = 3.3 * 3                       # x in [0, 3.3], y in [0, 3]
    assert tp.skyrmion_radius(lat, m) == pytest.approx(np.sqrt(area / np.pi), abs=1e-12)


def test_background_closure_equals_padding_with_far_field():
    """Closing the open sample with one far-field spin at infinity equals padding it with a
    two-site frame of far-field spins and taking the raw sum on the larger lattice (an
    independent triangulation: the frame triangles with two far-field corners span no solid
    angle), to 1e-12; and it is an integer to 1e-12 for a random smooth texture, whatever
    the raw value."""
    n, pad = 16, 2
    lat = kl.SpinLattice.square(n, n)
    x, y = lat.positions[:, 0], lat.positions[:, 1]
    rng = np.random.default_rng(3)
    # a truncated, distorted skyrmion plus smooth noise, still roughly +ẑ at the edges
    m = kl.textures.skyrmion(lat.positions, (7.2, 8.1), 4.5, width=3.0)
    m = m + 0.3 * np.stack([np.sin(0.7 * x + rng.uniform(0, 6)), np.cos(0.5 * y),
                            0 * x], axis=1)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    background = np.array([0.1, -0.2, 1.0]) / np.linalg.norm([0.1, -0.2, 1.0])
    raw = tp.topological_charge(lat, m)
    closed = tp.topological_charge(lat, m, boundary="background", background=background)
    assert abs(raw - round(raw)) > 0.01           # the raw value is not an integer here
    assert closed == pytest.approx(round(closed), abs=1e-12)
    big = kl.SpinLattice.square(n + 2 * pad, n + 2 * pad)
    inside = np.all((big.positions[:, :2] >= pad) & (big.positions[:, :2] < n + pad), axis=1)
    padded = np.tile(background, (big.num_spins, 1))
    # row order of both lattices is x * ny + y, so the inner block keeps the order of m
    padded[inside] = m
    assert tp.topological_charge(big, padded) == pytest.approx(closed, abs=1e-12)
    # a periodic lattice is already closed
    per = kl.SpinLattice.square(n, n, periodic=True)
    assert tp.topological_charge(per, m, boundary="background") == tp.topological_charge(per, m)
    assert len(tp.boundary_edges(per)) == 0 and len(tp.boundary_edges(lat)) == 4 * (n - 1)


def test_topology_errors():
    lat = kl.SpinLattice.square(5, 5)
    up = np.tile([0, 0, 1.0], (25, 1))
    with pytest.raises(KwantLLGError, match="no skyrmion core"):
        tp.skyrmion_center(lat, up)
    with pytest.raises(KwantLLGError, match="charge is zero"):
        tp.skyrmion_center(lat, up, method="charge")
    with pytest.raises(KwantLLGError, match="method"):
        tp.skyrmion_radius(lat, up, method="nope")
    with pytest.raises(KwantLLGError, match="shape"):
        tp.topological_charge(lat, up[:3])
    with pytest.raises(KwantLLGError, match="boundary"):
        tp.topological_charge(lat, up, boundary="closed")
    with pytest.raises(KwantLLGError, match="90"):      # boundary not near the far field
        tp.topological_charge(lat, up, boundary="background", background=(1, 0, -1))
    with pytest.raises(KwantLLGError, match="3-vector"):
        tp.topological_charge(lat, up, boundary="background", background=(0, 0))
    assert tp.topological_charge(lat, up, boundary="background") == 0


# --------------------------------------------------------- relaxed skyrmions ----

def test_relaxed_skyrmion_periodic_charge():
    """Relaxed skyrmion on a periodic 20 × 20 lattice (J=1, D=0.3, K=0.15): Q = −1 to 1e-3."""
    lat = kl.SpinLattice.square(20, 20, periodic=True)
    H = kl.Exchange(1) + kl.DMI(0.3) + kl.Anisotropy(0.15)
    m0 = kl.textures.skyrmion(lat.positions, (9.5, 9.5), 3.0)
    res = kl.relax(lat, H, m0, tol=1e-6)
    assert res.converged and res.max_torque < 1e-6
    assert res.energy < H.energy(lat, m0)
    assert np.max(np.abs(np.linalg.norm(res.m, axis=1) - 1)) < 1e-12
    assert tp.topological_charge(lat, res.m) == pytest.approx(-1, abs=1e-3)
    np.testing.assert_allclose(tp.skyrmion_center(lat, res.m), [9.5, 9.5], atol=1e-6)
    assert 2.5 < tp.skyrmion_radius(lat, res.m) < 4.5
    # Barzilai–Borwein and the fixed-step descent reach the same minimum (to 1e-8 in energy,
    # all stopped at max torque 1e-6), the descent in many more iterations
    bb = kl.relax(lat, H, m0, tol=1e-6, method="bb")
    slow = kl.relax(lat, H, m0, tol=1e-6, method="descent")
    assert slow.converged and bb.converged
    assert slow.energy == pytest.approx(res.energy, abs=1e-8)
    assert bb.energy == pytest.approx(res.energy, abs=1e-8)
    assert slow.iterations > res.iterations


def test_seed_skyrmion_40x40():
    """The seed's skyrmion (J_ex=1, D=0.2, K=0.07, B=0, open 40 × 40 device)."""
    fsyst = kl.devices.skyrmion_device(40, 40).finalized()
    lat = kl.SpinLattice.from_kwant(fsyst)
    H = kl.Exchange(1) + kl.DMI(0.2) + kl.Anisotropy(0.07)
    res = kl.relax(lat, H, kl.textures.skyrmion(fsyst, (19.5, 19.5), 8), tol=1e-6)
    assert res.converged
    q = tp.topological_charge(lat, res.m)
    assert -1 < q < -0.9                      # open edges cant: Q ≈ −0.94
    # closed with the far field (+ẑ, the mean boundary spin): an integer
    np.testing.assert_allclose(tp.far_field(lat, res.m), [0, 0, 1], atol=1e-12)
    assert tp.topological_charge(lat, res.m, boundary="background") == pytest.approx(-1,
                                                                                    abs=1e-12)
    np.testing.assert_allclose(tp.skyrmion_center(lat, res.m), [19.5, 19.5], atol=1e-6)
    np.testing.assert_allclose(tp.skyrmion_center(lat, res.m, method="charge"), [19.5, 19.5],
                               atol=1e-6)
    r_contour = tp.skyrmion_radius(lat, res.m)
    r_paper = tp.skyrmion_radius(lat, res.m, method="paper", mz_out=0.99)
    assert 4.3 < r_contour < 4.7
    assert 9 < r_paper < 11                   # the paper quotes r0 = 10
