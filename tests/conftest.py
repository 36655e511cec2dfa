import numpy as np
import pytest
import kwant

import kwant_llg as kl

SIGMA_0 = np.eye(2)
SX, SY, SZ = kl.SIGMA


def pytest_configure(config):
    # NumPy's, SciPy's and the system's OpenBLAS each start a thread pool; on 2 cores their
    # busy-waiting slows Kwant's lead-mode computation by orders of magnitude.
    kl.limit_blas_threads(1)


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow test: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def random_system(seed, *, num_leads=2, L=6, W=4, rashba=0.3, disorder=1.0,
                  ferromagnetic_leads=False, lead_cell=1):
    """A small random spinful system: disorder, Rashba SOI, exchange J σ·m(site), 1-3 leads.

    Lead 0 on the left, lead 1 on the right, lead 2 on top (along +y).
    """
    rng = np.random.default_rng(seed)
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()
    pot = {(x, y): disorder * (rng.random() - 0.5) for x in range(L) for y in range(W)}

    def onsite(site, m, J, t):
        return (4 * t + pot[tuple(site.tag)]) * SIGMA_0 + J * kl.devices.exchange_onsite(m(site), 1)

    def hop_x(s1, s2, t, alpha):
        return -t * SIGMA_0 + 1j * alpha * SY

    def hop_y(s1, s2, t, alpha):
        return -t * SIGMA_0 - 1j * alpha * SX

    syst[(lat(x, y) for x in range(L) for y in range(W))] = onsite
    syst[kwant.builder.HoppingKind((1, 0), lat)] = hop_x
    syst[kwant.builder.HoppingKind((0, 1), lat)] = hop_y

    def lead_onsite(site, t, J, mlead):
        return 4 * t * SIGMA_0 + J * kl.devices.exchange_onsite(mlead, 1)

    def lead_onsite_normal(site, t):
        return 4 * t * SIGMA_0

    lead_on = lead_onsite if ferromagnetic_leads else lead_onsite_normal
    leads = []
    lx = kwant.Builder(kwant.TranslationalSymmetry((-lead_cell, 0)))
    lx[(lat(x, y) for x in range(lead_cell) for y in range(W))] = lead_on
    lx[kwant.builder.HoppingKind((1, 0), lat)] = hop_x
    lx[kwant.builder.HoppingKind((0, 1), lat)] = hop_y
    leads.append(lx)
    leads.append(lx.reversed())
    ly = kwant.Builder(kwant.TranslationalSymmetry((0, 1)))
    ly[(lat(x, 0) for x in range(1, L - 1))] = lead_on
    ly[kwant.builder.HoppingKind((1, 0), lat)] = hop_x
    ly[kwant.builder.HoppingKind((0, 1), lat)] = hop_y
    leads.append(ly)
    for lead in leads[:num_leads]:
        syst.attach_lead(lead)
    fsyst = syst.finalized()
    m = rng.normal(size=(len(fsyst.sites), 3))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    params = dict(J=1.3, t=1.0, alpha=rashba)
    if ferromagnetic_leads:
        v = rng.normal(size=3)
        params["mlead"] = v / np.linalg.norm(v)
    return fsyst, m, params


def relaxed_electron_texture(fsyst, lat, ham, values, *, mu=0.0, tol=1e-9, contour_tol=1e-11,
                             max_iter=2000):
    """Fixed point of H_eff − J⟨σ⟩_eq (J = 2, equilibrium contour density at μ and the gate
    values ``values``) by descent steps from a canted start (0.6, 0, 0.8)."""
    from kwant_llg import contour, devices
    greens = kl.FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    m = np.tile([0.6, 0.0, 0.8], (lat.num_spins, 1))
    for _ in range(max_iter):
        eq = contour.equilibrium_density(greens, m, mu=mu, tol=contour_tol, onsite_values=values)
        torque = np.cross(m, ham.field(lat, m) - 2.0 * eq.spin)
        if np.abs(torque).max() < tol:
            return m
        m = m - 0.3 * np.cross(m, torque)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
    raise AssertionError("relaxation did not converge")
