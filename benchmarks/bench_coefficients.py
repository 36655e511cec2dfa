"""Benchmark: one Gilbert damping tensor (Eq. 19) on the dot and on a textured L×L device.

Run:  .venv/bin/python benchmarks/bench_coefficients.py [--sizes 10 20 40] [--tol 1e-6]

For each system: wall time of ``coefficients.gilbert_damping`` (uniform rotation of all
sites, T = 0, no bias), the number of energies of the adaptive real-axis quadrature, the
estimated error, and, as the stock way, the Fermi-surface BTB tensor (Eq. D1) from
``kwant.smatrix`` by central differences (6 S matrices at E_F) — which only gives the
symmetric equilibrium part; the ratio says what the full Eq. (19) costs on top.
Systems: the two-level dot of :mod:`kwant_llg.molecule` (t_lead = 20) and the seed's device
(``devices.skyrmion_device(L, L)``, E_F = 1.9, J = 2) with a skyrmion of radius L/4.
"""

import argparse
import time

import numpy as np

import kwant_llg as kl
from kwant_llg import coefficients, devices, greens, molecule, scattering, textures


class _Counter:
    def __init__(self):
        self.count = 0
        self._init = coefficients._Frozen.__init__

    def __enter__(self):
        outer = self

        def init(frozen, *args, **kwargs):
            outer.count += 1
            outer._init(frozen, *args, **kwargs)
        coefficients._Frozen.__init__ = init
        return self

    def __exit__(self, *exc):
        coefficients._Frozen.__init__ = self._init


def run(name, g, m, mu, tol):
    with _Counter() as counter:
        start = time.perf_counter()
        alpha = coefficients.gilbert_damping(g, m, mu=mu, tol=tol)
        t_alpha = time.perf_counter() - start
    start = time.perf_counter()
    btb = scattering.btb_damping(g, m, mu, method="finite_difference")
    t_btb = time.perf_counter() - start
    dev = abs(2 * alpha.symmetric - btb).max() / abs(btb).max()
    print(f"{name:>14} {g.num_sites:7d} {counter.count:9d} {t_alpha:10.2f} {alpha.error:10.2e} "
          f"{t_btb:9.2f} {t_alpha / t_btb:7.1f} {dev:10.2e}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 20, 40])
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    print(f"tol = {args.tol}")
    print(f"{'system':>14} {'sites':>7} {'energies':>9} {'t_alpha/s':>10} {'error':>10} "
          f"{'t_btb/s':>9} {'ratio':>7} {'|2a_s-btb|':>10}")
    fsyst = molecule.molecule([-0.3, 0.4], t_so=[[0, 0.05], [-0.05, 0]], gamma=(0.1, 0.1),
                              lead_hopping=20.0).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=0.5))
    m = np.tile([np.sin(0.4), 0, np.cos(0.4)], (len(fsyst.sites), 1))
    run("dot (n=2)", g, m, 0.0, args.tol)
    for size in args.sizes:
        fsyst = devices.skyrmion_device(size, size, gates=None).finalized()
        g = greens.FrozenGreens(fsyst, params=dict(t=1.0, J=2.0))
        m = textures.skyrmion(fsyst, ((size - 1) / 2, (size - 1) / 2), size / 4)
        run(f"device {size}x{size}", g, m, 1.9, args.tol)


if __name__ == "__main__":
    main()
