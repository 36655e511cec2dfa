"""Tutorial: the seed's magnetic skyrmion as a classical spin lattice (Xu et al., Sec. V).

The magnet under the electrons of the paper's device is a square lattice of classical unit
spins m_i with the energy of Eq. (38),

    H_Sk = −J_ex Σ_<ij> m_i·m_j + Σ_<ij> D_ij·(m_i × m_j) − K Σ_i (m_i^z)²,
    D_ij = D (r_i − r_j)/|r_i − r_j|,       J_ex = 1, D = 0.2, K = 0.07 (B = 0),

on the 40 × 40 scattering region. We

1. take the lattice straight from the Kwant device (one spin per site, bonds = hoppings),
2. relax a trial Bloch skyrmion (core down, background up) to the nearest energy minimum
   by damped, precession-free LLG dynamics (``kwant_llg.relax``),
3. measure its topological charge Q, centre and radius, and
4. plot the texture: in-plane components as arrows, m_z as colour.

The open edges matter: the DMI cants the boundary spins, so the raw lattice charge of the
open sample is not an integer (−0.94 here). Closing the sample with its uniform far field
(``boundary="background"``) gives the integer Q = −1 of an isolated skyrmion. The radius
also has two definitions: the paper's "distance from m_z = −1 to m_z = +1", which gives
≈ 9.85 (the paper quotes r_0 = 10), and the radius of the m_z = 0 contour, ≈ 4.5.

Run ``python tutorials/skyrmion.py`` (a second); ``--size N`` or the environment variable
``KWANT_LLG_TUTORIAL_SIZE=N`` uses an N × N lattice, ``--save PATH`` writes the figure,
``--no-plot`` skips the window.
"""

import os
import sys
from types import SimpleNamespace

import numpy as np

import kwant_llg
import kwant_llg.io
from kwant_llg import topology


def main(size=40, figure=None, show=True):
    kwant_llg.limit_blas_threads(1)

    # 1. The lattice of the device (the same sites and order as the electrons see).
    fsyst = kwant_llg.devices.skyrmion_device(size, size).finalized()
    lattice = kwant_llg.SpinLattice.from_kwant(fsyst)
    H = kwant_llg.Exchange(1.0) + kwant_llg.DMI(0.2) + kwant_llg.Anisotropy(0.07)   # Eq. (38)

    # 2. Relax a trial skyrmion in the middle (helicity +π/2 is the stable Bloch type for D > 0).
    middle = ((size - 1) / 2, (size - 1) / 2)
    trial = kwant_llg.textures.skyrmion(fsyst, middle, radius=size / 5)
    relaxed = kwant_llg.relax(lattice, H, trial, tol=1e-8)
    assert relaxed.converged and relaxed.energy < H.energy(lattice, trial)
    m = relaxed.m
    if m[:, 2].min() > 0:
        raise SystemExit(f"The skyrmion did not survive on {size}x{size} sites (it is pushed "
                         "out by the edges); use size >= 20.")
    print(f"{size}x{size} lattice: relaxed in {relaxed.iterations} iterations to "
          f"max|m x H_eff| = {relaxed.max_torque:.1e}; energy per spin "
          f"{relaxed.energy / lattice.num_spins:.8f} J_ex")

    # 3. Topological charge, centre, radius.
    result = SimpleNamespace(
        m=m, energy=relaxed.energy,
        charge=topology.topological_charge(lattice, m, boundary="background"),
        charge_open=topology.topological_charge(lattice, m),
        center=topology.skyrmion_center(lattice, m),
        center_charge=topology.skyrmion_center(lattice, m, method="charge"),
        radius=topology.skyrmion_radius(lattice, m),
        radius_paper=topology.skyrmion_radius(lattice, m, method="paper"))
    print(f"Q = {result.charge:+.6f} (closed by the far field), {result.charge_open:+.4f} "
          "(raw sum on the open sample)")
    print(f"centre = ({result.center[0]:.4f}, {result.center[1]:.4f}) (paper's definition), "
          f"({result.center_charge[0]:.4f}, {result.center_charge[1]:.4f}) (charge centroid)")
    print(f"radius = {result.radius:.3f} (m_z = 0 contour), {result.radius_paper:.3f} "
          "(paper's definition; the paper quotes r0 = 10)")

    # 4. The texture.
    if figure is not None or show:
        fig = plot_texture(lattice, m, result, show=show)
        if figure is not None:
            kwant_llg.io.save_figure(fig, figure)
            print(f"figure written to {figure}")
        if show:
            import matplotlib.pyplot as plt
            plt.show()
    return result


def plot_texture(lattice, m, result, *, show):
    """Arrows of the in-plane components, colour m_z, the m_z = 0 contour and the centre."""
    if show:
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(6, 5))
    else:                                 # no GUI backend needed to write a file
        from matplotlib.figure import Figure
        fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    x, y = lattice.positions[:, 0], lattice.positions[:, 1]
    tri = topology.triangulate(lattice)
    shade = ax.tripcolor(x, y, tri, m[:, 2], cmap="RdBu_r", vmin=-1, vmax=1,
                         shading="gouraud")
    ax.tricontour(x, y, tri, m[:, 2], levels=[0.0], colors="k", linewidths=0.8)
    step = max(1, int(round(np.sqrt(lattice.num_spins) / 20)))     # at most ~20 arrows a side
    keep = (np.rint(x) % step == 0) & (np.rint(y) % step == 0)
    ax.quiver(x[keep], y[keep], m[keep, 0], m[keep, 1], pivot="middle", scale=1.1 / step,
              scale_units="xy", width=0.004)
    ax.plot(*result.center, "k+", ms=10)
    ax.set_aspect("equal")
    ax.set_xlabel("x [a]")
    ax.set_ylabel("y [a]")
    ax.set_title(f"Q = {result.charge:+.3f}, r(m_z=0) = {result.radius:.2f}, "
                 f"r_paper = {result.radius_paper:.2f}")
    fig.colorbar(shade, ax=ax, label="m_z")
    return fig


def _option(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


if __name__ == "__main__":
    main(size=int(_option("--size", os.environ.get("KWANT_LLG_TUTORIAL_SIZE", 40))),
         figure=_option("--save"), show="--no-plot" not in sys.argv)
