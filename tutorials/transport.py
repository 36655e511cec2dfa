"""Tutorial: spin-resolved transport through a skyrmion (Xu et al., PRB 108, 144409, Fig. 3).

The seed's device is a square-lattice ribbon (hopping t, onsite 4t, so the lead band is
0 < E < 8t) whose scattering region carries an exchange term J σ·m_i with the local
magnetisation m_i; the two leads are nonmagnetic. We compute the Landauer transmission
from the left to the right lead, resolved by the spin (σ_z) of the incoming electron,

    T_σ(E) = Σ_σ' T_RL^{σ'σ}(E),     T_RL^{σ'σ} = Σ |S_RL^{σ'σ}|²,

and the density of states of the scattering region, DOS(E) = (1/2π) Tr[G^r Γ G^a],
for three cases:

1. **nonmagnetic** (J = 0): a clean ribbon. Nothing scatters, so T_↑ = T_↓ equals the
   number of open subbands of the lead (integer steps), and the DOS is spin degenerate.
   This is what the paper's Fig. 3(a, b) ("no skyrmion") shows.
2. **uniform ferromagnet** (m = +z, J = 2): spin up sees the band shifted to
   [J, 8t + J], spin down to [−J, 8t − J]. Inside the lead band only spin down propagates
   for 0 < E < |J| and only spin up for 8t − |J| < E < 8t. The spin polarisation of the
   transmission is therefore a property of the magnetic background, present already
   without a skyrmion.
3. **skyrmion** (polarity −1: core down, background up; Bloch helicity): the same windows,
   with spin-flip scattering off the non-collinear texture in between.

``kwant_llg.transport.transport_spectrum`` builds one ``FrozenGreens`` per parameter set,
so the lead self-energies are computed once per energy and reused for every texture.

Run ``python tutorials/transport.py`` (about 15 s); ``--small`` or the environment
variable ``KWANT_LLG_TUTORIAL_SMALL=1`` runs a tiny version, ``--no-plot`` skips the figure.
"""

import os
import sys

import numpy as np

import kwant_llg
import kwant_llg.cli
from kwant_llg import transport


def main(small=False, show=True):
    # NumPy and SciPy each bring their own OpenBLAS; on small machines their thread pools
    # compete and slow Kwant's lead-mode computation down by 10-100x. One thread each:
    kwant_llg.cli.limit_blas_threads(1)
    L = W = 12 if small else 24
    num_energies = 16 if small else 81
    energies = transport.energy_grid(0.0, 8.0, num_energies)   # avoids exact band edges

    # The device: a kwant.Builder, finalized as usual; t = 1, J = 2.
    fsyst = kwant_llg.devices.skyrmion_device(L, W).finalized()
    params = kwant_llg.devices.seed_params()
    J = params["J"]
    uniform = kwant_llg.textures.uniform(fsyst, (0, 0, 1))
    skyrmion = kwant_llg.textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), radius=L / 4,
                                           helicity=np.pi / 2, polarity=-1)

    # Case 1 needs other parameters (J = 0), hence its own call; cases 2 and 3 share one.
    nonmagnetic = transport.transport_spectrum(fsyst, energies, {"nonmagnetic": uniform},
                                               params=dict(params, J=0.0))
    magnetic = transport.transport_spectrum(
        fsyst, energies, {"uniform m = +z": uniform, "skyrmion": skyrmion}, params=params)
    result = transport.merge_results(nonmagnetic, magnetic)

    # Check 1: without magnetism, transport is spin degenerate and quantised.
    t_up, t_down = result.t_in("nonmagnetic", "up"), result.t_in("nonmagnetic", "down")
    d_up, d_down = result.dos_spin("nonmagnetic", "up"), result.dos_spin("nonmagnetic", "down")
    k = np.pi * np.arange(1, W + 1) / (W + 1)                # transverse momenta of the ribbon
    subbands = np.array([np.sum(np.abs(e - (4 - 2 * np.cos(k))) < 2) for e in energies])
    print(f"{L}x{W} device, {num_energies} energies")
    print(f"nonmagnetic: max |T_up - T_down| = {np.abs(t_up - t_down).max():.1e}, "
          f"max |DOS_up - DOS_down| / max DOS = {np.abs(d_up - d_down).max() / d_up.max():.1e}, "
          f"max |T_up - open subbands| = {np.abs(t_up - subbands).max():.1e}")
    assert np.allclose(t_up, t_down, rtol=0, atol=1e-10)
    assert np.allclose(d_up, d_down, rtol=0, atol=1e-10 * d_up.max())
    assert np.allclose(t_up, subbands, rtol=0, atol=1e-8)

    # Check 2: the spin windows, with and without the skyrmion.
    for name in ("uniform m = +z", "skyrmion"):
        low = result.spin_polarization(name, 0, abs(J))
        high = result.spin_polarization(name, 8 - abs(J), 8)
        print(f"{name}: spin polarisation of T, 0 < E < {abs(J):g}: {low:+.4f}; "
              f"{8 - abs(J):g} < E < 8: {high:+.4f}")
        assert low < -0.99 and high > 0.99

    if show:
        import matplotlib.pyplot as plt
        from kwant_llg import plotting
        plotting.plot_transport(result, marks=(abs(J), 8 - abs(J)),
                                titles={"nonmagnetic": "no skyrmion (J = 0)",
                                        "uniform m = +z": f"uniform m = +z (J = {J:g})",
                                        "skyrmion": f"skyrmion R = {L / 4:g} (J = {J:g})"})
        plt.show()
    return result


if __name__ == "__main__":
    main(small="--small" in sys.argv or os.environ.get("KWANT_LLG_TUTORIAL_SMALL", "") == "1",
         show="--no-plot" not in sys.argv)
