"""Spin lattice, relaxation and Zhang–Li dynamics checked against Spirit (spirit-code.github.io).

Spirit is an independent atomistic spin code (C++; ``pip install spirit``). The conversion
of our dimensionless model (J_ex = ħ = γ = a = 1) to Spirit's units (meV, ps, T, Å, μ_B) is
derived in ``docs/conventions.md`` ("Spirit"); :class:`SpiritSystem` below implements it and
every test compares numbers computed by the two codes from the same input.

The seed's 40 × 40 lattice is small enough for both codes (≈ 1 s per test).
"""

import os
import tempfile

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import topology as tp

try:
    from spirit import constants, simulation, state, system
except ImportError as exc:              # pragma: no cover - depends on the environment
    pytest.skip(f"Spirit is not installed ({exc}); install it with 'pip install spirit' "
                "(it is in the 'test' extra).", allow_module_level=True)


class SpiritSystem:
    """A Spirit state for our open or periodic ``nx × ny`` square lattice with
    H = Exchange(J) + DMI(D, kind=dmi_kind) + Anisotropy(K) [along ẑ] + Zeeman(B) [μ = 1].

    Conversion (``docs/conventions.md``): energies in meV (J_ex = 1 meV), lattice constant
    1 Å, μ_s = g_e μ_B (spin S = 1, so that γ = 1 in our units), B_T = B/(μ_s μ_B),
    ``dm_chirality 1`` (bulk) or −2 (interfacial) with ``dij = D``, time
    t_ps = t · μ_s μ_B/γ_e = t · ħ/J_ex, Zhang–Li ``llg_stt_magnitude`` = |u|/μ_s along
    ``llg_stt_polarisation_normal`` = û with the gradient form, ``llg_beta`` = β. Spirit
    numbers its sites x + nx y, ours x ny + y (``SpinLattice.square``) or in Kwant's order
    (``positions``).
    """

    def __init__(self, nx, ny, *, J, D, K, B=(0.0, 0.0, 0.0), alpha=0.0, beta=0.0, dt=0.01,
                 u=(0.0, 0.0), periodic=False, positions=None, dmi_kind="bulk"):
        mu_s = constants.g_e
        self.time_unit = mu_s * constants.mu_B / constants.gamma      # ps per ħ/J_ex
        b = np.asarray(B, dtype=float)
        bnorm = np.linalg.norm(b)
        uu = np.zeros(3)
        uu[:len(u)] = u
        unorm = np.linalg.norm(uu)
        config = f"""
log_to_console 0
log_to_file 0
log_input_save_initial 0
log_input_save_final 0
bravais_lattice sc
lattice_constant 1.0
n_basis_cells {nx} {ny} 1
mu_s {mu_s!r}
hamiltonian heisenberg_neighbours
boundary_conditions {int(periodic)} {int(periodic)} 0
external_field_magnitude {bnorm / (mu_s * constants.mu_B)!r}
external_field_normal {' '.join(repr(v) for v in (b / bnorm if bnorm else [0, 0, 1.0]))}
anisotropy_magnitude {float(K)!r}
anisotropy_normal 0 0 1
n_shells_exchange 1
jij {float(J)!r}
n_shells_dmi 1
dij {float(D)!r}
dm_chirality {dict(bulk=1, interfacial=-2)[dmi_kind]}
ddi_method none
llg_output_any 0
llg_damping {float(alpha)!r}
llg_beta {float(beta)!r}
llg_dt {dt * self.time_unit!r}
llg_force_convergence 0
llg_stt_use_gradient 1
llg_stt_magnitude {unorm / mu_s!r}
llg_stt_polarisation_normal {' '.join(repr(v) for v in (uu / unorm if unorm else [1, 0, 0.0]))}
"""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "input.cfg")
            with open(path, "w") as f:
                f.write(config)
            self._state = state.State(path, quiet=True)
            self.p_state = self._state.__enter__()
        if positions is None:
            x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
            ij = np.stack([x.ravel(), y.ravel()], axis=1)
        else:
            ij = np.rint(np.asarray(positions)[:, :2]).astype(int)
        self.index = ij[:, 0] + nx * ij[:, 1]                    # Spirit index of our site
        assert len(np.unique(self.index)) == nx * ny == len(ij)

    def close(self):
        self._state.__exit__(None, None, None)

    @property
    def m(self):
        """Spins in our site order (a copy)."""
        return system.get_spin_directions(self.p_state)[self.index].copy()

    @m.setter
    def m(self, m):
        system.get_spin_directions(self.p_state)[self.index] = m
        system.update_data(self.p_state)

    def energies(self):
        """Energy contributions (meV = J_ex), Spirit's single-precision read-out."""
        system.update_data(self.p_state)
        return system.get_energy_contributions(self.p_state, divide_by_nspins=False)

    def minimize(self, tol):
        """Spirit's L-BFGS (orthogonal spin optimisation) until max |m × H| < tol; returns
        the number of iterations."""
        from spirit import parameters
        parameters.llg.set_convergence(self.p_state, tol)
        info = simulation.start(self.p_state, simulation.METHOD_LLG,
                                simulation.SOLVER_LBFGS_OSO, n_iterations=100_000)
        parameters.llg.set_convergence(self.p_state, 0)
        system.update_data(self.p_state)
        return int(info.total_iterations)

    def rk4(self, steps):
        """``steps`` steps of Spirit's RK4 LLG solver."""
        simulation.start(self.p_state, simulation.METHOD_LLG, simulation.SOLVER_RK4,
                         n_iterations=int(steps))


SEED = dict(J=1.0, D=0.2, K=0.07)


def seed_lattice():
    fsyst = kl.devices.skyrmion_device(40, 40).finalized()
    return fsyst, kl.SpinLattice.from_kwant(fsyst)


def seed_hamiltonian(B=(0.0, 0.0, 0.0)):
    H = kl.Exchange(SEED["J"]) + kl.DMI(SEED["D"]) + kl.Anisotropy(SEED["K"])
    return H + kl.Zeeman(B) if np.any(B) else H


@pytest.mark.parametrize("periodic, dmi_kind", [(False, "bulk"), (True, "bulk"),
                                               (False, "interfacial")])
def test_energy_terms_match_spirit(periodic, dmi_kind):
    """Each term of Eq. (38) (exchange, DMI with its sign, anisotropy, Zeeman) for a random
    texture on a 9 × 7 lattice: Spirit's energies equal ours to 1e-6 relative (Spirit
    reports energies in single precision, ≈ 6e-8)."""
    nx, ny, B = 9, 7, (0.02, -0.05, 0.1)
    lattice = kl.SpinLattice.square(nx, ny, periodic=periodic)
    rng = np.random.default_rng(1)
    m = rng.normal(size=(nx * ny, 3))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    sp = SpiritSystem(nx, ny, B=B, periodic=periodic, dmi_kind=dmi_kind, **SEED)
    try:
        sp.m = m
        theirs = sp.energies()
    finally:
        sp.close()
    ours = {"Exchange": kl.Exchange(SEED["J"]), "DMI": kl.DMI(SEED["D"], kind=dmi_kind),
            "Anisotropy": kl.Anisotropy(SEED["K"]), "Zeeman": kl.Zeeman(B)}
    assert sorted(theirs) == sorted(ours)
    for name, term in ours.items():
        e = term.energy(lattice, m)
        assert abs(e) > 0.1                               # every term contributes
        assert theirs[name] == pytest.approx(e, rel=1e-6), name


def test_single_spin_precession_in_spirit():
    """Time unit, gyromagnetic ratio and Zeeman mapping: one spin, m(0) = x̂, in Spirit's
    field B_T = B/(μ_s μ_B) with B = 1.3 ẑ, α = 0.1, Spirit's RK4 with dt = 0.01 ħ/J_ex for
    t = 6 ħ/J_ex follows our analytic solution φ = Bt/(1+α²), m_z = tanh(αφ) (see
    test_llg.test_single_spin_in_static_field) to 1e-6 (measured 5e-10)."""
    B, alpha, dt, steps = 1.3, 0.1, 0.01, 600
    sp = SpiritSystem(1, 1, J=0.0, D=0.0, K=0.0, B=(0, 0, B), alpha=alpha, dt=dt)
    try:
        sp.m = [[1.0, 0.0, 0.0]]
        sp.rk4(steps)
        m = sp.m[0]
    finally:
        sp.close()
    phi = B * steps * dt / (1 + alpha ** 2)
    expected = [np.cos(phi) / np.cosh(alpha * phi), np.sin(phi) / np.cosh(alpha * phi),
                np.tanh(alpha * phi)]
    np.testing.assert_allclose(m, expected, atol=1e-6)
    assert phi > 7                                        # more than a full turn


@pytest.fixture(scope="module")
def relaxed_pair():
    """The seed's skyrmion relaxed by both codes from the same trial texture."""
    fsyst, lattice = seed_lattice()
    m0 = kl.textures.skyrmion(fsyst, (19.5, 19.5), 8)
    ours = kl.relax(lattice, seed_hamiltonian(), m0, tol=1e-9)
    assert ours.converged
    sp = SpiritSystem(40, 40, positions=lattice.positions, **SEED)
    try:
        sp.m = m0
        sp.minimize(1e-9)
        theirs, e_theirs = sp.m, sum(sp.energies().values())
    finally:
        sp.close()
    return lattice, ours, theirs, e_theirs


def test_relaxed_seed_skyrmion_matches_spirit(relaxed_pair):
    """Seed's 40 × 40 open lattice (J_ex=1, D=0.2, K=0.07, B=0): the relaxed energy per spin
    agrees to 1e-6 relative (Spirit's own single-precision energy; our energy of Spirit's
    texture to 1e-10), the textures to 1e-6 per component (measured 1e-7, both relaxed to
    max torque 1e-9), the radii (m_z = 0 contour, 4.508, and the paper's definition, 9.85)
    to 1e-5 and the charge to 1e-4."""
    lattice, ours, theirs, e_theirs = relaxed_pair
    n = lattice.num_spins
    assert e_theirs / n == pytest.approx(ours.energy / n, rel=1e-6)
    H = seed_hamiltonian()
    assert H.energy(lattice, theirs) == pytest.approx(ours.energy, rel=1e-10)
    assert np.max(np.abs(theirs - ours.m)) < 1e-6
    assert tp.skyrmion_radius(lattice, theirs) == pytest.approx(
        tp.skyrmion_radius(lattice, ours.m), abs=1e-5)
    assert tp.skyrmion_radius(lattice, theirs, method="paper") == pytest.approx(
        tp.skyrmion_radius(lattice, ours.m, method="paper"), abs=1e-5)
    assert tp.topological_charge(lattice, theirs, boundary="background") == pytest.approx(-1,
                                                                                       abs=1e-9)
    assert tp.topological_charge(lattice, theirs) == pytest.approx(
        tp.topological_charge(lattice, ours.m), abs=1e-4)


def test_zhang_li_trajectory_matches_spirit(relaxed_pair):
    """The relaxed seed skyrmion under a Zhang–Li current u = 0.05 x̂, α = 0.1, β = 0.3
    (skyrmion Hall motion), RK4 with dt = 0.1 ħ/J_ex in both codes, t ≤ 40: the centre
    trajectories (paper's definition and charge centroid) agree to 1e-8 lattice spacings
    at every 5 ħ/J_ex (measured 2e-11; the issue asks for 0.05), while the skyrmion moves
    by > 1.5 along x and > 0.3 across. Spirit's RK4 renormalises its intermediate stages,
    ours only the result; both are fourth order, and the difference is far below the
    tolerance."""
    lattice, ours, _, _ = relaxed_pair
    alpha, beta, u, dt = 0.1, 0.3, 0.05, 0.1
    sp = SpiritSystem(40, 40, positions=lattice.positions, alpha=alpha, beta=beta, dt=dt,
                      u=(u, 0), **SEED)
    state_ = kl.LLG(lattice, seed_hamiltonian(), ours.m, alpha=alpha, dt=dt,
                    current=dict(u=(u, 0), beta=beta))
    start = tp.skyrmion_center(lattice, ours.m)
    try:
        sp.m = ours.m
        for k in range(1, 9):
            sp.rk4(50)
            state_.evolve(50 * k * dt)
            theirs = sp.m
            for method in ("paper", "charge"):
                np.testing.assert_allclose(tp.skyrmion_center(lattice, theirs, method=method),
                                           tp.skyrmion_center(lattice, state_.m, method=method),
                                           atol=1e-8)
    finally:
        sp.close()
    shift = tp.skyrmion_center(lattice, state_.m) - start
    assert shift[0] > 1.5 and abs(shift[1]) > 0.3
