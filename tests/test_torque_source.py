"""The exchange torque from the spin density against Kwant's ``kwant.operator.Source``.

Kwant 1.5's Source with onsite matrix M evaluates, per site i, ψ† i[(H_i)† M − M H_i] ψ with
H_i the onsite Hamiltonian block only (hoppings, and therefore a Rashba or dot spin-orbit
hopping, do not enter). For M = σ_b and H_i = ε_i + J σ·m_i this is i⟨[H_i, σ_b]⟩ =
2J (m_i × ⟨σ⟩_i)_b, twice the torque T_i = J m_i × ⟨σ⟩_i of kwant_llg.torque (field −J⟨σ⟩ on
m, γ = 1). Both are compared per lead and per site at one energy, summing the Source over
every scattering state of ``kwant.wave_function``; the spin-orbit hopping is present in both
systems, and a Zeeman term σ·B (also onsite) adds 2 B × ⟨σ⟩ to the Source.
"""

import numpy as np
import pytest
import kwant

import kwant_llg as kl
from kwant_llg import coefficients as co
from kwant_llg import greens, molecule, torque
from kwant_llg._common import KwantLLGError, SIGMA

from conftest import random_system

RTOL = 1e-10


def _source(fsyst, params, energy, lead, where=None):
    """(1/2π) Σ_modes Source(σ_b)(ψ) per site, shape (len(where), 3), and max |imaginary part|."""
    wf = kwant.wave_function(fsyst, energy, params=params)(lead)
    out = []
    for b in range(3):
        op = kwant.operator.Source(fsyst, onsite=SIGMA[b], where=where)
        out.append(sum(op(psi, params=params) for psi in wf))
    out = np.array(out).T / (2 * np.pi)
    return out.real, np.abs(out.imag).max()


def _check(ours, src, imag):
    scale = np.abs(ours).max()
    assert scale > 1e-3                                 # a torque that is there
    assert imag < 1e-12 * scale                         # Hermitian onsite: a real Source
    np.testing.assert_allclose(ours, src, rtol=RTOL, atol=RTOL * scale)


@pytest.mark.parametrize("B", [(0.0, 0.0, 0.0), (0.03, -0.05, 0.08)])
def test_dot_torque_equals_kwant_source(B):
    # two-level dot with spin-orbit hopping (Eq. 4), ferromagnetic leads along random axes
    rng = np.random.default_rng(11)
    n, J, energy = 2, 0.4, 0.07
    tso = rng.normal(size=(n, n)) * 0.2
    fsyst = molecule.molecule(rng.normal(size=n) * 0.3, t_so=tso - tso.T, gamma=(0.15, 0.1),
                              polarization=(0.6, -0.4),
                              lead_axis=(rng.normal(size=3), rng.normal(size=3)),
                              lead_hopping=10.0).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=J, B=B))
    mvec = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
    m = np.tile(mvec, (g.num_sites, 1))
    params = dict(g.params, m=kl.site_field(fsyst, m))
    dot = [i for i, s in enumerate(fsyst.sites) if s.family.name == "dot"]
    sol = g.solve(m, energy)
    for lead in range(2):
        sigma = sol.spin_density(lead=lead)
        ours = torque.local_torque(g, m, sigma)
        src, imag = _source(fsyst, params, energy, lead)
        # the Source holds the whole onsite spin precession, exchange plus Zeeman
        zeeman = np.cross(np.asarray(B), sigma)
        zeeman[[i for i in range(g.num_sites) if i not in dot]] = 0
        _check(ours, src / 2 - zeeman, imag)
        # the macrospin torque of coefficients.spin_torque on the total ⟨σ⟩ of the dot
        total = co.spin_torque(mvec, sigma[dot].sum(0), J, [1.0, 0, 0]).torque
        _check(total, (src / 2 - zeeman)[dot].sum(0), imag)


def test_textured_ribbon_with_rashba_torque_equals_kwant_source():
    # 4×3 ribbon, random texture, Rashba SOI in the hoppings, three ferromagnetic leads
    fsyst, m, params = random_system(7, L=4, W=3, rashba=0.3, ferromagnetic_leads=True,
                                     num_leads=3)
    g = greens.FrozenGreens(fsyst, params=params)
    energy = 1.1
    sol = g.solve(m, energy)
    kparams = dict(params, m=kl.site_field(fsyst, m))
    where = [fsyst.sites[i] for i in (0, 5, 11)]
    for lead in range(3):
        ours = torque.local_torque(g, m, sol.spin_density(lead=lead))
        src, imag = _source(fsyst, kparams, energy, lead)
        _check(ours, src / 2, imag)
        # restricted to a few sites (Kwant's `where`)
        part, _ = _source(fsyst, kparams, energy, lead, where=where)
        _check(ours[[0, 5, 11]], part / 2, imag)
    # the local torque is J m_i × ⟨σ⟩_i with the J of the system's onsite J σ·m
    sigma = sol.spin_density()
    np.testing.assert_allclose(torque.local_torque(g, m, sigma),
                               params["J"] * np.cross(m, sigma), rtol=1e-12, atol=1e-14)


def test_local_torque_bad_input():
    fsyst, m, params = random_system(7, L=3, W=2, num_leads=2)
    g = greens.FrozenGreens(fsyst, params=params)
    with pytest.raises(KwantLLGError, match="shape"):
        torque.local_torque(g, m, np.zeros((2, 3)))
    with pytest.raises(KwantLLGError, match="unit vectors"):
        torque.uniform_spin_densities(g, [[0, 0, 2.0]], mu=1.0)
    # an m-dependent charge term (m_z σ0) cannot be expressed through ⟨σ⟩
    lat = kwant.lattice.chain(norbs=2)
    syst = kwant.Builder()
    syst[lat(0)] = lambda site, m: m(site)[2] * np.eye(2) + np.tensordot(m(site), SIGMA, 1)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = np.zeros((2, 2))
    lead[lat.neighbors()] = -np.eye(2)
    syst[lat.neighbors()] = -np.eye(2)
    syst[lat(1)] = np.zeros((2, 2))
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    g2 = greens.FrozenGreens(syst.finalized(), params={})
    with pytest.raises(KwantLLGError, match="trace"):
        torque.local_torque(g2, np.tile([0, 0, 1.0], (2, 1)), np.zeros((2, 3)))


def test_uniform_spin_densities_equal_single_direction_integrals():
    # the shared quadrature of several directions reproduces coefficients.spin_density (Eq. 14)
    g = greens.FrozenGreens(molecule.molecule([0.1], gamma=(0.1, 0.15), polarization=(0.5, 0.0),
                                              lead_hopping=10.0).finalized(),
                            params=molecule.molecule_params(J=0.3))
    dirs = np.array([[0.0, 0.0, 1.0], [0.6, 0.0, 0.8]])
    many = torque.uniform_spin_densities(g, dirs, mu=(0.1, -0.05), tol=1e-10)
    for d, s in zip(dirs, many):
        one = co.spin_density(g, np.tile(d, (g.num_sites, 1)), mu=(0.1, -0.05), tol=1e-10).sigma
        np.testing.assert_allclose(s, one, rtol=1e-8, atol=1e-9 * abs(one).max())
