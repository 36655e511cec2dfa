"""Tutorial: pump a skyrmion in your own Kwant device (Xu et al., Sec. V).

Quantum parametric pumping moves charge and spin without a bias: two gate potentials
oscillate out of phase,

    V_p(t) = V cos(ω_p t) on column l1,    V cos(ω_p t + φ) on column l2,

and to first order in ω_p the electrons leaving into lead α per unit time are (Eq. 40)

    I_α(t) = (1/2π) Tr[Γ_α G^r(t) (dV_p/dt) G^a(t)],

with G^r(t) the frozen Green's function of the instantaneous Hamiltonian (Eq. A5). The same
first-order density, (1/2π) G^r (dV_p/dt) G^a on every site, exerts a torque on the local
moments m_i, which then move by the LLG equation with the spin Hamiltonian of Eq. (38).

Here the device is *yours*: a plain ``kwant.Builder`` with your own value functions. All
kwant_llg needs is 2 orbitals (up, down) per site and onsite terms that are affine in the
magnetisation (here called ``mag``) and in the gate potentials. We

1. build a 20 × 20 cavity with two leads and two gate columns (x = 2 and x = 6),
2. relax a skyrmion on its sites (``kwant_llg.relax``),
3. compute the pumped current over one cycle of a frozen texture, and check the charge per
   cycle against Brouwer's scattering formula from ``kwant.smatrix`` and its reversal when
   φ → −φ (the same loop in parameter space, run backwards),
4. let the skyrmion move for one pump period (``kwant_llg.PumpedLLG``, adaptive
   Dormand–Prince steps) and plot I_p(t) and the skyrmion's displacement.

Run ``python tutorials/pumping.py`` (about half a minute); ``--size N`` or the environment
variable ``KWANT_LLG_TUTORIAL_SIZE=N`` changes the cavity, ``--save PATH`` writes the
figure, ``--no-plot`` skips the window.
"""

import os
import sys
from types import SimpleNamespace

import numpy as np
import kwant

import kwant_llg
import kwant_llg.io

SIGMA_0 = np.eye(2)


# 1. The device: ordinary Kwant, with the magnetisation passed as a callable mag(site).
def onsite(site, t, J, mag):
    """(4t) σ0 + J σ·m (the s–d exchange; J > 0 aligns the electron spin with m)."""
    return 4 * t * SIGMA_0 + J * np.tensordot(mag(site), kwant_llg.SIGMA, axes=1)


def onsite_gate1(site, t, J, mag, V1):
    return onsite(site, t, J, mag) + V1 * SIGMA_0


def onsite_gate2(site, t, J, mag, V2):
    return onsite(site, t, J, mag) + V2 * SIGMA_0


def hopping(site1, site2, t):
    return -t * SIGMA_0


def lead_onsite(site, t):
    return 4 * t * SIGMA_0


def make_device(L, W, gates=(2, 6)):
    """L × W cavity, gate columns ``gates``, normal metallic leads on both ends."""
    lat = kwant.lattice.square(1, norbs=2)
    syst = kwant.Builder()
    for x in range(L):
        value = {gates[0]: onsite_gate1, gates[1]: onsite_gate2}.get(x, onsite)
        for y in range(W):
            syst[lat(x, y)] = value
    syst[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(W))] = lead_onsite
    lead[lat.neighbors()] = hopping
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def main(size=20, figure=None, show=True, periods=1.0, samples=24):
    kwant_llg.limit_blas_threads(1)
    params = dict(t=1.0, J=2.0)
    energy, V, omega, phi = 1.9, 0.3, 1.0, np.pi / 2
    fsyst = make_device(size, size).finalized()

    # The frozen Green's functions of this system: tell kwant_llg the name of the
    # magnetisation parameter and which onsite parameters change in time (the gates).
    greens = kwant_llg.FrozenGreens(fsyst, energy, params=params, magnetization="mag",
                                    onsite_parameters=("V1", "V2"))

    # 2. A relaxed skyrmion on the same sites (Eq. 38 with the paper's J_ex, D, K).
    lattice = kwant_llg.SpinLattice.from_kwant(fsyst)
    H = kwant_llg.Exchange(1.0) + kwant_llg.DMI(0.2) + kwant_llg.Anisotropy(0.07)
    middle = ((size - 1) / 2, (size - 1) / 2)
    trial = kwant_llg.textures.skyrmion(fsyst, middle, radius=size / 5)
    m0 = kwant_llg.relax(lattice, H, trial, tol=1e-8).m
    if m0[:, 2].min() > 0:
        raise SystemExit(f"The skyrmion does not survive on {size}x{size} sites; use size >= 20.")

    # 3. Frozen texture: Eq. (40) over one cycle, and Brouwer's formula from kwant.smatrix.
    drive = kwant_llg.PumpDrive(V, omega, phi)
    charge = kwant_llg.charge_per_cycle(greens, m0, drive, n_times=32)
    # (central differences of S in the gate values: the error is ∝ delta², 4e-8 at 1e-5)
    brouwer = kwant_llg.brouwer_charge(fsyst, m0, drive, energy=energy, params=params,
                                       magnetization="mag", n_times=32, delta=1e-5)
    backwards = kwant_llg.charge_per_cycle(greens, m0, drive.reversed(), n_times=32)
    print(f"electrons pumped into the right lead per cycle (frozen skyrmion, 32 samples): "
          f"Eq. 40: {charge.total:+.10f} (up {charge.up:+.6f}, down {charge.down:+.6f}); "
          f"Brouwer/kwant.smatrix: {brouwer.total:+.10f}; phi -> -phi: {backwards.total:+.10f}")

    # 4. Free skyrmion: LLG with the pumped electrons' torque, one pump period.
    sim = kwant_llg.PumpedLLG(greens, lattice, H, m0, drive=drive, energy=energy, alpha=0.4,
                              dt=0.1, integrator="dopri5", tol=1e-6)
    times = np.linspace(0, periods * drive.period, samples + 1)
    records = []
    for t in times:
        sim.evolve(t)
        records.append(sim.observables())
    center = np.array([r["center_paper"] for r in records])
    result = SimpleNamespace(
        charge=charge, brouwer=brouwer, backwards=backwards, times=times,
        current=np.array([r["I_p"] for r in records]),
        current_up=np.array([r["I_p_up"] for r in records]),
        current_down=np.array([r["I_p_down"] for r in records]),
        displacement=center - center[0], topological_charge=np.array([r["Q"] for r in records]),
        m=sim.m.copy(), num_solves=sim.num_solves, period=drive.period)
    dx, dy = result.displacement[-1]
    print(f"after {periods:g} pump period(s): skyrmion moved by ({dx:+.4f}, {dy:+.4f}) sites, "
          f"{sim.num_solves} electron solves; topological charge {result.topological_charge[0]:+.4f}"
          f" -> {result.topological_charge[-1]:+.4f}")

    if figure is not None or show:
        fig = plot(result, show=show)
        if figure is not None:
            kwant_llg.io.save_figure(fig, figure)
            print(f"figure written to {figure}")
        if show:
            import matplotlib.pyplot as plt
            plt.show()
    return result


def plot(result, *, show):
    """Pumped current per spin and the skyrmion's displacement against t/T."""
    if show:
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(8, 3.2))
    else:                                 # no GUI backend needed to write a file
        from matplotlib.figure import Figure
        fig = Figure(figsize=(8, 3.2))
    ax1, ax2 = fig.subplots(1, 2)
    tau = result.times / result.period
    ax1.plot(tau, result.current, "k-", label="total")
    ax1.plot(tau, result.current_up, "r--", label="spin up")
    ax1.plot(tau, result.current_down, "b:", label="spin down")
    ax1.set_xlabel("t / T")
    ax1.set_ylabel("I_p (electrons per ħ/J_ex)")
    ax1.legend(fontsize="small")
    ax2.plot(tau, result.displacement[:, 0], "k-", label="Δx")
    ax2.plot(tau, result.displacement[:, 1], "g--", label="Δy")
    ax2.set_xlabel("t / T")
    ax2.set_ylabel("skyrmion displacement (sites)")
    ax2.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _option(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


if __name__ == "__main__":
    main(size=int(_option("--size", os.environ.get("KWANT_LLG_TUTORIAL_SIZE", 20))),
         figure=_option("--save"), show="--no-plot" not in sys.argv)
