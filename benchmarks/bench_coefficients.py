"""Benchmark: one Gilbert damping tensor (Eq. 19) on the dot and on a textured L×L device.

Run:  .venv/bin/python benchmarks/bench_coefficients.py [--sizes 10 20 40] [--tol 1e-8]
      [--real-axis-max 20] [--kT 0]

For each system and each evaluation of ``coefficients.gilbert_damping`` (uniform rotation of
all sites, no bias): wall time, number of Green's-function evaluations (energies or contour
points), estimated error, and the deviation of 2 α_sym from the scattering-matrix formula
(Eq. D1, analytic ∂S) at kT = 0. The stock way is the Fermi-surface BTB tensor from
``kwant.smatrix`` by central differences (6 S matrices at E_F), which only gives the
symmetric equilibrium part; the ratio says what the full Eq. (19) costs on top.

* ``split``: Fermi-surface term + retarded-only Fermi sea on the complex contour (default).
* ``real-axis``: the whole Fermi sea on the real axis (only up to ``--real-axis-max``: on
  larger devices it does not converge and raises ConvergenceError, reported as such).

Systems: the two-level dot of :mod:`kwant_llg.molecule` (t_lead = 20) and the seed's device
(``devices.skyrmion_device(L, L)``, E_F = 1.9, J = 2) with a skyrmion of radius L/4.
"""

import argparse
import time

import numpy as np

import kwant_llg as kl
from kwant_llg import coefficients, devices, greens, molecule, scattering, textures
from kwant_llg._common import ConvergenceError


class _Counter:
    """Counts real-axis energies (coefficients._Frozen)."""

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


def run(name, g, m, mu, args, methods):
    start = time.perf_counter()
    btb_fd = scattering.btb_damping(g, m, mu, method="finite_difference")
    t_btb = time.perf_counter() - start
    btb = scattering.btb_damping(g, m, mu)
    for method in methods:
        with _Counter() as counter:
            start = time.perf_counter()
            try:
                alpha = coefficients.gilbert_damping(g, m, mu=mu, kT=args.kT, tol=args.tol,
                                                     method=method)
            except ConvergenceError as exc:
                elapsed = time.perf_counter() - start
                print(f"{name:>14} {g.num_sites:7d} {method:>9} {'-':>7} {elapsed:9.1f} "
                      f"{'did not converge':>21}   ({str(exc)[:60]}...)", flush=True)
                continue
            t_alpha = time.perf_counter() - start
        count = alpha.info.get("evaluations", 0) + counter.count
        dev = abs(2 * alpha.symmetric - btb).max() / abs(btb).max() if args.kT == 0 else np.nan
        print(f"{name:>14} {g.num_sites:7d} {method:>9} {count:7d} {t_alpha:9.1f} "
              f"{alpha.error / abs(alpha.value).max():10.1e} {dev:10.1e} {t_btb:8.2f} "
              f"{t_alpha / t_btb:7.0f} {abs(btb_fd - btb).max() / abs(btb).max():9.1e}",
              flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 20, 40])
    parser.add_argument("--tol", type=float, default=1e-8)
    parser.add_argument("--kT", type=float, default=0.0)
    parser.add_argument("--real-axis-max", type=int, default=20)
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    print(f"tol = {args.tol}, kT = {args.kT}")
    print(f"{'system':>14} {'sites':>7} {'method':>9} {'G evals':>7} {'t_alpha/s':>9} "
          f"{'rel.error':>10} {'|2as-btb|':>10} {'t_btb/s':>8} {'ratio':>7} {'fd-btb':>9}")
    fsyst = molecule.molecule([-0.3, 0.4], t_so=[[0, 0.05], [-0.05, 0]], gamma=(0.1, 0.1),
                              lead_hopping=20.0).finalized()
    g = greens.FrozenGreens(fsyst, params=molecule.molecule_params(J=0.5))
    m = np.tile([np.sin(0.4), 0, np.cos(0.4)], (len(fsyst.sites), 1))
    run("dot (n=2)", g, m, 0.0, args, ["split", "real-axis"])
    for size in args.sizes:
        fsyst = devices.skyrmion_device(size, size, gates=None).finalized()
        g = greens.FrozenGreens(fsyst, params=dict(t=1.0, J=2.0))
        m = textures.skyrmion(fsyst, ((size - 1) / 2, (size - 1) / 2), size / 4)
        methods = ["split"] + (["real-axis"] if size <= args.real_axis_max else [])
        run(f"device {size}x{size}", g, m, 1.9, args, methods)


if __name__ == "__main__":
    main()
