"""Tutorial: the nonequilibrium spin density of electrons flowing through a skyrmion.

Electrons injected at the Fermi energy from the left lead of the paper's device (Xu et al.,
PRB 108, 144409 (2023), Sec. V) pass a skyrmion texture. Their local spin density

    s_i(E) = (1/2π) Tr_s[σ (G^r Γ_L G^a)_ii]        (Eq. 33, Fermi-surface part)

is what exerts the spin-transfer torque J m_i × s_i on the magnet. We

1. build the device with Kwant and a skyrmion texture,
2. compute s_i with kwant_llg's FrozenGreens, which caches everything that does not depend on
   the texture, so that a time loop pays only for a factorisation and a solve,
3. check it against Kwant's own scattering wave functions, and
4. plot the texture and the torque density m × s.

Run it as ``python tutorials/spin_density.py`` (add ``--small`` for a quick 16×16 version).
"""

import sys
import time

import numpy as np
import kwant

import kwant_llg


def main(small=False, show=True):
    L = W = 16 if small else 40
    energy = 1.9

    # 1. The device: a kwant.Builder, finalized as usual.
    fsyst = kwant_llg.devices.skyrmion_device(L, W).finalized()
    params = kwant_llg.devices.seed_params()            # t = 1, J = 2, V1 = V2 = 0
    m = kwant_llg.textures.skyrmion(fsyst, center=((L - 1) / 2, (W - 1) / 2), radius=L / 4)

    # 2. Frozen Green's functions: construct once, then solve for any texture.
    greens = kwant_llg.FrozenGreens(fsyst, energy, params=params)
    greens.solve(m)                  # the first call also computes the lead self-energies
    t0 = time.perf_counter()
    sol = greens.solve(m)            # later calls: one factorisation and one solve
    elapsed = time.perf_counter() - t0
    s_left = sol.spin_density(lead=0)                   # states injected from the left lead
    print(f"{L}x{W} device, E = {energy}: one spin-density evaluation took {elapsed * 1e3:.0f} ms")
    print(f"open channels per lead: {sol.num_modes(0)}, T(L->R) = {sol.transmission(1, 0):.4f}")

    # 3. The same from Kwant's scattering states.
    wf = kwant.wave_function(fsyst, energy, params=dict(params, m=kwant_llg.site_field(fsyst, m)))
    ref = np.array([sum(kwant.operator.Density(fsyst, s)(psi) for psi in wf(0))
                    for s in kwant_llg.SIGMA]).T / (2 * np.pi)
    diff = np.abs(s_left - ref).max() / np.abs(ref).max()
    print(f"max relative difference to kwant.wave_function + operator.Density: {diff:.1e}")
    assert diff < 1e-10

    # 4. Torque density m × s from the left-injected electrons.
    torque = np.cross(m, s_left)
    if show:
        import matplotlib.pyplot as plt
        pos = np.array([site.pos for site in fsyst.sites])
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
        ax = axes[0]
        sc = ax.scatter(pos[:, 0], pos[:, 1], c=m[:, 2], cmap="RdBu_r", vmin=-1, vmax=1, s=12)
        ax.quiver(pos[:, 0], pos[:, 1], m[:, 0], m[:, 1], scale=L * 1.2, width=0.003)
        ax.set_title("texture: arrows in-plane m, colour m_z")
        fig.colorbar(sc, ax=ax)
        ax = axes[1]
        sc = ax.scatter(pos[:, 0], pos[:, 1], c=np.linalg.norm(torque, axis=1), cmap="viridis", s=12)
        ax.set_title("|m × s| from left-injected electrons")
        fig.colorbar(sc, ax=ax)
        for ax in axes:
            ax.set_aspect("equal")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        fig.tight_layout()
        plt.show()
    return s_left


if __name__ == "__main__":
    main(small="--small" in sys.argv, show="--no-plot" not in sys.argv)
