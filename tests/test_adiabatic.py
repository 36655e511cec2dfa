"""First-order (adiabatic) density: Fermi-surface + Fermi-sea terms against independent results.

* brute-force real-axis integration of the App. A/C expression with exact 1D-lead
  self-energies (dense linear algebra), T = 0 and T > 0, onsite and bond blocks;
* a single level: ρ^(1) = ε̇ (Im G)²/π (closed form, energy-dependent Σ);
* the magnetisation-velocity term against the trace form of Eq. (15) and the energy pumped
  (Gilbert damping of App. D) from Kwant's S matrix;
* gate pumping: charge through a cross-section per cycle from ρ^(1) against Brouwer's
  formula with Kwant's S matrix.
"""

import numpy as np
import pytest
import kwant
from scipy.integrate import quad_vec

import kwant_llg as kl
from kwant_llg import adiabatic, adiabatic_sea, contour, devices, leads, textures

SIGMA_0 = np.eye(2)


def test_fermi_surface_density_equals_dense_product():
    fsyst = devices.skyrmion_device(8, 6).finalized()
    greens = kl.FrozenGreens(fsyst, 1.9, params=devices.seed_params())
    m = textures.skyrmion(fsyst, (4, 3), 2)
    gf = greens.factorize(1.9, m)
    sites = np.array([0, 3, 17, 30])
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 2, 2)) + 1j * rng.normal(size=(4, 2, 2))
    hdot = a + a.conj().transpose(0, 2, 1)
    rho = adiabatic.fermi_surface_density(gf, hdot, sites)
    n = gf.num_orbitals
    g = gf.solve(np.eye(n))
    hd = np.zeros((n, n), complex)
    for k, s in enumerate(sites):
        hd[2 * s:2 * s + 2, 2 * s:2 * s + 2] = hdot[k]
    full = g @ hd @ g.conj().T / (2 * np.pi)
    expect = np.array([full[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(n // 2)])
    assert np.allclose(rho, expect, atol=1e-13)
    spin, charge = adiabatic.density_blocks_to_spin(rho)
    assert np.allclose(charge, np.einsum("ixx->i", expect).real)
    # positive Ḣ (a level pushed up) gives a positive, lagging occupation
    rho_pos = adiabatic.fermi_surface_density(gf, np.tile(np.eye(2), (4, 1, 1)), sites)
    assert adiabatic.density_blocks_to_spin(rho_pos)[1].min() >= 0


def test_fermi_surface_density_rejects_bad_hdot():
    fsyst = devices.skyrmion_device(6, 3).finalized()
    greens = kl.FrozenGreens(fsyst, 1.9, params=devices.seed_params())
    gf = greens.factorize(1.9, textures.uniform(fsyst))
    with pytest.raises(kl.KwantLLGError, match="shape"):
        adiabatic.fermi_surface_density(gf, np.zeros((2, 2, 2)), [0])
    with pytest.raises(kl.KwantLLGError, match="Hermitian"):
        adiabatic.fermi_surface_density(gf, np.array([[[0, 1], [0, 0]]]), [0])


# ---------------------------------------------------------------- small systems, exact leads
def _ladder(L, W, *, t_lead=2.0, seed=0, J=0.5):
    """L×W patch (hopping 1, random potential, exchange J σ·m) with two 1D leads.

    The leads (onsite 0, hopping −t_lead) are attached at (0, 0) and (L−1, W−1); their
    self-energy on the interface site is exactly Σ = −t_lead e^{ik} at E = −2 t_lead cos k.
    """
    rng = np.random.default_rng(seed)
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()
    pot = {(x, y): 0.6 * (rng.random() - 0.5) for x in range(L) for y in range(W)}

    def onsite(site, m, J):
        return pot[site.tag] * SIGMA_0 + J * devices.exchange_onsite(m(site), 1)

    syst[(lat(x, y) for x in range(L) for y in range(W))] = onsite
    syst[lat.neighbors()] = -SIGMA_0
    for direction, y0 in (((-1, 0), 0), ((1, 0), W - 1)):
        lead = kwant.Builder(kwant.TranslationalSymmetry(direction))
        lead[lat(0, y0)] = 0 * SIGMA_0
        lead[lat.neighbors()] = -t_lead * SIGMA_0
        syst.attach_lead(lead)
    fsyst = syst.finalized()
    greens = kl.FrozenGreens(fsyst, params=dict(J=J))
    m = rng.normal(size=(greens.num_sites, 3))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return fsyst, greens, m


def _random_hdot(rng, k):
    a = rng.normal(size=(k, 2, 2)) + 1j * rng.normal(size=(k, 2, 2))
    return a + a.conj().transpose(0, 2, 1)


def _full_hdot(n_orb, hdot, sites):
    hd = np.zeros((n_orb, n_orb), complex)
    for k, s in enumerate(sites):
        hd[2 * s:2 * s + 2, 2 * s:2 * s + 2] = hdot[k]
    return hd


class _ExactLeads:
    """Dense G^r, ∂_E G^r and Γ_α of a system with 1D leads of hopping t, on the k grid."""

    def __init__(self, greens, m, t_lead):
        self.h = greens.hamiltonian(m).toarray()
        self.n = self.h.shape[0]
        self.ifaces = greens.lead_orbitals
        self.t = t_lead

    def bound_states(self):
        """Number of bound states below and above the lead band (eigenvalue counting)."""
        count = []
        for k, sign in ((0.0, -1), (np.pi, 1)):
            e = -2 * self.t * np.cos(k)
            sigma = np.zeros((self.n, self.n))
            for o in self.ifaces:
                sigma[o, o] = (-self.t * np.exp(1j * k)).real
            neg = np.sum(np.linalg.eigvalsh(e * np.eye(self.n) - self.h - sigma) < 0)
            count.append(self.n - neg if sign < 0 else neg)
        return count

    def at(self, k):
        e = -2 * self.t * np.cos(k)
        sigma = np.zeros((self.n, self.n), complex)
        dsigma = np.zeros((self.n, self.n), complex)
        gammas = []
        for o in self.ifaces:
            sigma[o, o] = -self.t * np.exp(1j * k)
            dsigma[o, o] = -1j * np.exp(1j * k) / (2 * np.sin(k))
            gam = np.zeros((self.n, self.n))
            gam[o, o] = 2 * self.t * np.sin(k)
            gammas.append(gam)
        g = np.linalg.inv(e * np.eye(self.n) - self.h - sigma)
        dg = -g @ (np.eye(self.n) - dsigma) @ g
        return e, g, dg, gammas

    def first_order(self, hd, mu, kT):
        """ρ^(1) = Σ_α ∫ dE/2π f [i ∂G Ḣ G Γ_α G^a + h.c.] (App. A/C), k-grid, adaptive."""
        def integrand(k):
            e, g, dg, gammas = self.at(k)
            occ = contour.fermi(e, mu, kT)
            x = sum(1j * dg @ hd @ g @ gam @ g.conj().T for gam in gammas)
            return occ * (x + x.conj().T) * 2 * self.t * np.sin(k) / (2 * np.pi)
        k_max = np.arccos(-mu / (2 * self.t)) if kT == 0 else np.pi
        value, err = quad_vec(integrand, 0, k_max, epsabs=1e-12, epsrel=0, limit=4000)
        assert err < 1e-10
        return value


@pytest.mark.parametrize("mu, kT", [(0.4, 0.0), (0.4, 0.01), (3.9, 0.02)])
def test_split_equals_brute_force_real_axis(mu, kT):
    """FS + Fermi-sea = brute-force real-axis App. A/C integral (exact Σ(E), ∂_E Σ), 1e-9.

    The last case has the lead band edge E = 4 inside the Fermi window (threshold splitting).
    """
    fsyst, greens, m = _ladder(3, 2, seed=1)
    rng = np.random.default_rng(2)
    sites = np.array([1, 2, 5])
    hdot = _random_hdot(rng, 3)
    exact = _ExactLeads(greens, m, 2.0)
    assert exact.bound_states() == [0, 0]     # every state couples to the leads
    # the exact lead self-energy is Kwant's
    e = 0.4
    k = np.arccos(-e / 4)
    assert np.allclose(fsyst.leads[0].selfenergy(e, params=dict(J=0.5)),
                       -2 * np.exp(1j * k) * SIGMA_0,
                       atol=1e-12)
    bonds = np.array([[0, 1], [1, 0], [2, 5], [4, 3]])
    res = adiabatic.first_order_density(greens, m, hdot, sites, mu=mu, kT=kT, tol=1e-10,
                                        bonds=bonds)
    full = exact.first_order(_full_hdot(exact.n, hdot, sites), mu, kT)

    def block(i, j):
        return full[2 * i:2 * i + 2, 2 * j:2 * j + 2]

    expect = np.array([block(i, i) for i in range(greens.num_sites)])
    assert np.abs(expect).max() > 0.01
    assert np.abs(res.blocks - expect).max() < 1e-9
    assert np.abs(res.bond_blocks - np.array([block(i, j) for i, j in bonds])).max() < 1e-9
    assert res.error < 1e-10
    assert np.allclose(res.blocks, res.fermi_surface + res.fermi_sea, atol=1e-15)
    # neither term alone is the answer
    assert np.abs(res.fermi_sea).max() > 1e-3 and np.abs(res.fermi_surface).max() > 1e-3
    if kT == 0:        # the Fermi-sea function alone gives the same sea term
        sea = adiabatic.fermi_sea_density(greens, m, hdot, sites, mu=mu, tol=1e-11)
        assert np.abs(sea.blocks - res.fermi_sea).max() < 1e-10


def _single_level(eps0=0.3, J=0.4, t_lead=1.0):
    """One spinful site between two 1D leads: Σ = −2 t e^{ik} per spin at E = −2t cos k."""
    lat = kwant.lattice.chain(norbs=2)
    syst = kwant.Builder()

    def onsite(site, m, eps0, J):
        return eps0 * SIGMA_0 + J * devices.exchange_onsite(m(site), 1)

    syst[lat(0)] = onsite
    for direction, start in (((-1,), -1), ((1,), 1)):
        lead = kwant.Builder(kwant.TranslationalSymmetry(direction))
        lead[lat(start)] = 0 * SIGMA_0
        lead[lat.neighbors()] = -t_lead * SIGMA_0
        syst.attach_lead(lead)
    return kl.FrozenGreens(syst.finalized(), params=dict(eps0=eps0, J=J))


@pytest.mark.parametrize("kT", [0.0, 0.02])
def test_single_level_closed_form(kT):
    """ρ^(1) = Σ_s ε̇_s (Im g_s(μ))²/π P_s, thermally averaged with −∂f/∂E.

    For Ḣ commuting with the level Hamiltonian (levels ε_s, projectors P_s, g_s = 1/(E − ε_s −
    Σ(E))), the split gives FS (1/2π)|g_s|² ε̇_s plus sea −(1/2π) ∫ f ∂_E Re g_s² ε̇_s =
    −(1/2π) Re g_s² ε̇_s for any Σ(E) without bound states; the sum is ε̇_s (Im g_s)²/π =
    π ν_s² ε̇_s > 0 (a level pushed up lags; Büttiker's charge relaxation, R_q = h/2e² per
    channel). Here Σ = −2 e^{ik} at E = −2 cos k (two 1D leads), energy dependent.
    """
    greens = _single_level()
    m = np.array([[0.6, 0.0, 0.8]])
    mu = 0.1
    h = 0.3 * SIGMA_0 + 0.4 * devices.exchange_onsite(m[0], 1)
    levels, vecs = np.linalg.eigh(h)
    rates = np.array([1.0, 2.5])                      # spin-dependent ε̇_s
    hdot = np.array([(vecs * rates) @ vecs.conj().T])
    res = adiabatic.first_order_density(greens, m, hdot, [0], mu=mu, kT=kT, tol=1e-12)

    def closed_form(e):
        k = np.arccos(-e / 2)
        im_g = (1 / (e - levels + 2 * np.exp(1j * k))).imag
        return (vecs * rates * im_g ** 2 / np.pi) @ vecs.conj().T

    if kT == 0:
        expect = closed_form(mu)
    else:
        x, w = np.polynomial.legendre.leggauss(200)
        es = mu + 40 * kT * x
        occ = contour.fermi(es, mu, kT)
        expect = sum(wk * 40 * occ_k * (1 - occ_k) * closed_form(ek)
                     for ek, wk, occ_k in zip(es, w, occ))
    assert np.abs(expect).max() > 0.01
    assert np.abs(res.blocks[0] - expect).max() < 1e-11
    assert res.charge[0] > 0
    # the Fermi-surface term alone is not the answer
    assert np.abs(res.fermi_sea[0]).max() > 0.1 * np.abs(res.fermi_surface[0]).max()


def test_selfenergy_derivative_matches_finite_difference():
    fsyst, m, params = _random_lead_system()
    lead = fsyst.leads[0]
    z, h = 0.7 + 0.3j, 1e-4
    ds = adiabatic_sea.selfenergy_derivative(lead, z, params=params)
    # fourth-order central difference
    s = [leads.selfenergy(lead, z + d * h, params=params) for d in (-2, -1, 1, 2)]
    fd = (s[0] - 8 * s[1] + 8 * s[2] - s[3]) / (12 * h)
    assert np.abs(ds - fd).max() < 1e-9 * max(1, np.abs(ds).max())
    with pytest.raises(kl.KwantLLGError, match="Im z"):
        adiabatic_sea.selfenergy_derivative(lead, 0.7, params=params)


def _random_lead_system():
    from conftest import random_system
    return random_system(3, L=4, W=3, ferromagnetic_leads=True)


# ------------------------------------------------------- magnetisation-velocity term (Eq. 15)
def test_velocity_term_is_eq15_and_pumps_the_scattering_energy():
    """Ḣ = J σ·ṁ on a macrospin: ⟨σ⟩^(1) = 2 s_D^(1) of Eq. (15) (with ḃ = 2J ṁ), and
    ṁ·J Σ_i ⟨σ_i⟩^(1) = Tr[ρ^(1) Ḣ] = (1/4π) Tr[Ṡ Ṡ^†] from Kwant's S matrix (App. D)."""
    J = 0.5
    fsyst, greens, _ = _ladder(2, 2, seed=4, J=J)
    n = greens.num_sites
    m = np.tile([0.0, 0.6, 0.8], (n, 1))
    m_dot = np.tile([0.3, -0.4, 0.3], (n, 1))           # ⊥ m
    pert = adiabatic.perturbation(greens, m_dot=m_dot)
    assert np.allclose(pert.hdot, J * devices.exchange_onsite(m_dot[0], 1))
    mu = 0.4
    res = adiabatic.first_order_density(greens, m, pert.hdot, pert.sites, mu=mu, tol=1e-11)
    total = res.spin.sum(axis=0)
    # Eq. (15), σ_i total over the macrospin, G^< = i f G Γ G^a, "G^r G^r" = −∂_E G^r
    exact = _ExactLeads(greens, m, 2.0)
    sig = [np.kron(np.eye(n), s) for s in kl.SIGMA]
    b_dot = 2 * J * m_dot[0]

    def integrand(k):
        e, g, dg, gammas = exact.at(k)
        lesser = 1j * g @ sum(gammas) @ g.conj().T
        gg, gaga = -dg, -dg.conj().T
        val = [sum(-0.25 * np.trace(lesser @ sig[i] @ gg @ sig[j] - gaga @ sig[i] @ lesser @ sig[j])
                   * b_dot[j] for j in range(3)) for i in range(3)]
        return np.array(val) * 4 * np.sin(k) / (2 * np.pi)

    s_d1, err = quad_vec(integrand, 0, np.arccos(-mu / 4), epsabs=1e-13, epsrel=0)
    assert np.abs(s_d1.imag).max() < 1e-12
    assert np.abs(total - 2 * s_d1.real).max() < 1e-9
    # dissipation: Tr[ρ^(1) Ḣ] against (1/4π) Tr[Ṡ Ṡ^†], Ṡ by central differences in m
    power = np.einsum("ixy,iyx->", res.blocks[pert.sites], pert.hdot).real
    assert np.isclose(power, J * np.dot(m_dot[0], total), rtol=1e-12)
    step = 1e-5
    smat = [kwant.smatrix(fsyst, mu, params=dict(J=J, m=kl.site_field(fsyst, m + d * m_dot))).data
            for d in (-step, step)]
    s_dot = (smat[1] - smat[0]) / (2 * step)
    assert power > 0
    assert np.isclose(power, np.trace(s_dot @ s_dot.conj().T).real / (4 * np.pi), rtol=1e-7)


# ------------------------------------------------------------------------ gate pumping
def _pump_device():
    fsyst = devices.skyrmion_device(6, 2, gates=(1, 3)).finalized()
    params = devices.seed_params()
    greens = kl.FrozenGreens(fsyst, params=params, onsite_parameters=("V1", "V2"))
    m = textures.skyrmion(fsyst, (2.5, 0.5), 1.5)
    return fsyst, params, greens, m


def _bond_current(h, bonds, blocks):
    """Particle current i → j on each bond (i, j): 2 Im Tr[H_ji ρ_ij] (dN_j/dt = −i[H, ρ]_jj)."""
    return np.array([2 * np.trace(h[2 * j:2 * j + 2, 2 * i:2 * i + 2] @ rho).imag
                     for (i, j), rho in zip(bonds, blocks)])


def test_gate_pumping_continuity():
    """dN_x^(0)/dt (equilibrium contour density, finite difference in V_p) equals the net
    first-order current into x from the bond blocks of ρ^(1), at every site of a column:
    the charge that the instantaneous density gains must flow in through the bonds."""
    fsyst, params, greens, m = _pump_device()
    mu, v, dv = 1.9, np.array([0.5, 0.1]), np.array([-0.3, 0.4])
    values = dict(V1=v[0], V2=v[1])
    h = greens.hamiltonian(m, onsite_values=values).toarray()
    column = np.flatnonzero(textures.positions(fsyst)[:, 0] == 2)
    hops = np.abs(h.reshape(12, 2, 12, 2)).max(axis=(1, 3)) > 0
    np.fill_diagonal(hops, False)
    bonds = np.array([(i, x) for x in column for i in np.flatnonzero(hops[:, x])])
    pert = adiabatic.perturbation(greens, onsite_rates=dict(V1=dv[0], V2=dv[1]))
    res = adiabatic.first_order_density(greens, m, pert.hdot, pert.sites, mu=mu,
                                        onsite_values=values, bonds=bonds, tol=1e-10)
    inflow = np.zeros(greens.num_sites)
    np.add.at(inflow, bonds[:, 1], _bond_current(h, bonds, res.bond_blocks))
    step = 1e-4

    def charge(sign):
        vv = v + sign * step * dv
        return contour.equilibrium_density(greens, m, mu=mu, tol=1e-11,
                                           onsite_values=dict(V1=vv[0], V2=vv[1])).charge

    dn_dt = (charge(1) - charge(-1)) / (2 * step)
    assert np.abs(dn_dt[column]).min() > 1e-3
    assert np.allclose(inflow[column], dn_dt[column], atol=1e-7, rtol=0)


@pytest.mark.slow
def test_pumped_charge_through_a_cut_equals_brouwer():
    """∮ dt (bond current of ρ^(1) across a cut) = Brouwer's charge per cycle into the right lead.

    The zeroth-order (equilibrium) current through a cross-section between the leads vanishes,
    and the charge stored between the cut and the lead returns after a cycle, so the
    first-order density alone carries the pumped charge. Brouwer: Q_R = ∮ Σ_p dX_p e_R,p with
    the emissivity e_R,p = −(1/2π) Im Tr[∂_p S_R· S_R·^†] (rows of lead R), S from Kwant; its
    sign is fixed by Σ_leads e = −dN/dX > 0 for a raised gate (checked in the continuity test's
    spirit below). Periodic trapezoid rule over the cycle (32 points).
    """
    fsyst, params, greens, m = _pump_device()
    mu, v0, amp = 1.9, 0.3, 0.2
    pos = textures.positions(fsyst)
    bonds = np.array([(int(np.flatnonzero((pos[:, 0] == 4) & (pos[:, 1] == y))[0]),
                       int(np.flatnonzero((pos[:, 0] == 5) & (pos[:, 1] == y))[0]))
                      for y in range(2)])
    h = greens.hamiltonian(m).toarray()
    n_theta, step = 32, 1e-5

    def smatrix(v):
        p = dict(params, V1=v[0], V2=v[1], m=kl.site_field(fsyst, m))
        s = kwant.smatrix(fsyst, mu, params=p)
        return s.data, s.out_block_coords(1)

    j_cut, j_brouwer, emitted = [], [], []
    for theta in 2 * np.pi * np.arange(n_theta) / n_theta:
        v = v0 + amp * np.array([np.cos(theta), np.sin(theta)])
        dv = amp * np.array([-np.sin(theta), np.cos(theta)])          # dX/dθ
        pert = adiabatic.perturbation(greens, onsite_rates=dict(V1=dv[0], V2=dv[1]))
        res = adiabatic.first_order_density(greens, m, pert.hdot, pert.sites, mu=mu,
                                            onsite_values=dict(V1=v[0], V2=v[1]), bonds=bonds,
                                            tol=1e-9)
        j_cut.append(_bond_current(h, bonds, res.bond_blocks).sum())
        s0, rows = smatrix(v)
        ds = [(smatrix(v + step * e)[0] - smatrix(v - step * e)[0]) / (2 * step) for e in np.eye(2)]
        j_brouwer.append(-np.trace((dv[0] * ds[0] + dv[1] * ds[1])[rows]
                                   @ s0[rows].conj().T).imag / (2 * np.pi))
        emitted.append(-np.trace((ds[0] + ds[1]) @ s0.conj().T).imag / (2 * np.pi))
    assert min(emitted) > 0          # raising both gates pushes electrons into the leads
    q_cut, q_brouwer = 2 * np.pi * np.mean(j_cut), 2 * np.pi * np.mean(j_brouwer)
    assert abs(q_brouwer) > 1e-3
    assert abs(q_cut - q_brouwer) < 1e-6


# --------------------------------------------------------------------------- bad input
def test_first_order_density_rejects_bad_input():
    greens = _single_level()
    m = np.array([[0.0, 0.0, 1.0]])
    hd = np.array([SIGMA_0])
    with pytest.raises(kl.KwantLLGError, match="kT"):
        adiabatic.first_order_density(greens, m, hd, [0], mu=0.1, kT=-1)
    with pytest.raises(kl.KwantLLGError, match="repeat"):
        adiabatic.first_order_density(greens, m, np.array([SIGMA_0, SIGMA_0]), [0, 0], mu=0.1)
    with pytest.raises(kl.KwantLLGError, match="e_min"):
        adiabatic.fermi_sea_density(greens, m, hd, [0], mu=0.1, e_min=0.5)
    with pytest.raises(kl.KwantLLGError, match="bonds"):
        adiabatic.first_order_density(greens, m, hd, [0], mu=0.1, bonds=[[0, 3]])
    with pytest.raises(kl.KwantLLGError, match="onsite parameter"):
        adiabatic.perturbation(greens, onsite_rates=dict(V1=1.0))
    with pytest.raises(kl.KwantLLGError, match="m_dot"):
        adiabatic.perturbation(greens, m_dot=np.zeros((2, 3)))


def test_superlu_backend_and_live_greens_function():
    """SuperLU (transposed solves by trans='T') gives the MUMPS result; a GreensFunction the
    caller holds stays valid (the adiabatic functions use their own factorisation)."""
    fsyst, greens, m = _ladder(3, 2, seed=1)
    other = kl.FrozenGreens(fsyst, params=dict(J=0.5), solver="superlu")
    rng = np.random.default_rng(2)
    sites, hdot = np.array([1, 2, 5]), _random_hdot(rng, 3)
    gf = greens.factorize(0.4, m)
    a = adiabatic.first_order_density(greens, m, hdot, sites, mu=0.4, bonds=[[0, 1]])
    b = adiabatic.first_order_density(other, m, hdot, sites, mu=0.4, bonds=[[0, 1]])
    assert np.abs(a.blocks - b.blocks).max() < 1e-12
    assert np.abs(a.bond_blocks - b.bond_blocks).max() < 1e-12
    fs = adiabatic.fermi_surface_density(gf, hdot, sites)           # gf still usable
    assert np.abs(fs - a.fermi_surface).max() < 1e-13


def test_batch_of_perturbations_equals_separate_calls():
    """hdot with a leading axis P gives, per perturbation, the result of a separate call."""
    fsyst, greens, m = _ladder(3, 2, seed=1)
    rng = np.random.default_rng(5)
    sites = np.array([0, 3, 4])
    batch = np.array([_random_hdot(rng, 3), _random_hdot(rng, 3)])
    res = adiabatic.first_order_density(greens, m, batch, sites, mu=0.4,
                                        bonds=[[1, 2]], tol=1e-9)
    assert res.blocks.shape == (2, greens.num_sites, 2, 2) and res.spin.shape[:2] == (2, 6)
    for p in range(2):
        one = adiabatic.first_order_density(greens, m, batch[p], sites, mu=0.4,
                                            bonds=[[1, 2]], tol=1e-9)
        assert np.abs(res.blocks[p] - one.blocks).max() < 1e-8
        assert np.abs(res.bond_blocks[p] - one.bond_blocks).max() < 1e-8
        assert np.allclose(res.spin[p], one.spin, atol=1e-8)
