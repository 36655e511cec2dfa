"""Benchmark: one Floquet evaluation against (2N+1) frozen evaluations, scaling in N and L.

Run:  .venv/bin/python benchmarks/bench_floquet.py [--sizes 10 20 40] [--sidebands 1 2 4 8]
      [--repeat 3]

For the seed's device (L×L, J = 2, skyrmion of radius L/5 at the centre, gates on columns
0 and 4, E = 1.9, drive V = 0.8, ω = 1, φ = π/2) the table gives, per L and N:

* ``floquet``: :func:`kwant_llg.floquet.floquet_solve` (lead data at the 2N+1 sideband
  energies, assembly, one sparse LU of the (2N+1)-block Floquet matrix, solve for all
  incoming channels);
* ``frozen``: one :meth:`FrozenGreens.solve` (same lead data cached; factorisation + solve
  for all incoming channels) and the stock way, ``kwant.wave_function`` (all modes of both
  leads, rebuilding lead modes and factorising);
* ``ratio`` = floquet / ((2N+1) × frozen): about 1 means the sideband structure costs what
  2N+1 independent frozen solves would.

Times are CPU times (``time.process_time``), medians of ``--repeat`` runs; lead data are
cached after the first run (the first, uncached time is reported separately).
"""

import argparse
import time

import numpy as np
import kwant

import kwant_llg as kl
from kwant_llg import devices, floquet, textures
from kwant_llg.pumping import PumpDrive


def timed(func, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        func()
        out.append(time.process_time() - t0)
    return float(np.median(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 40])
    parser.add_argument("--sidebands", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--energy", type=float, default=1.9)
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    drive = PumpDrive(0.8, 1.0, np.pi / 2)
    print(f"{'L':>4} {'N':>3} {'floquet [s]':>12} {'first [s]':>10} {'frozen [s]':>11} "
          f"{'wave_function [s]':>18} {'ratio':>6} {'truncation':>11}")
    for size in args.sizes:
        fsyst = devices.skyrmion_device(size, size).finalized()
        params = devices.seed_params()
        m = textures.skyrmion(fsyst, ((size - 1) / 2, (size - 1) / 2), size / 5)
        greens = kl.FrozenGreens(fsyst, params=params, onsite_parameters=("V1", "V2"))
        frozen = timed(lambda: greens.solve(m, args.energy), args.repeat)
        kparams = dict(params, m=kl._common.site_field(fsyst, m))
        stock = timed(lambda: [kwant.wave_function(fsyst, args.energy, params=kparams)(a)
                               for a in range(2)], max(1, args.repeat // 2))
        for n in args.sidebands:
            t0 = time.process_time()
            sol = floquet.floquet_solve(greens, m, drive=drive, energy=args.energy,
                                        n_sidebands=n)
            first = time.process_time() - t0
            fl = timed(lambda: floquet.floquet_solve(greens, m, drive=drive,
                                                     energy=args.energy, n_sidebands=n),
                       args.repeat)
            print(f"{size:4d} {n:3d} {fl:12.3f} {first:10.3f} {frozen:11.4f} {stock:18.3f} "
                  f"{fl / ((2 * n + 1) * frozen):6.2f} {sol.truncation:11.2e}")


if __name__ == "__main__":
    main()
