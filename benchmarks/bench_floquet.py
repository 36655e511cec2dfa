"""Benchmark: one Floquet evaluation against (2N+1) frozen evaluations, scaling in N and L.

Run:  .venv/bin/python benchmarks/bench_floquet.py [--sizes 10 20 40] [--sidebands 1 2 4 8]
      [--repeat 3]  |  --density 6x4 10x10 [--sidebands 2 4] [--tol 1e-4]
      |  --quadrature 10x10 --sidebands 3  |  --orderings 10x10 --sidebands 4 --repeat 5

For the seed's device (L×L, J = 2, skyrmion of radius L/5 at the centre, gates on columns
0 and 4, E = 1.9, drive V = 0.8, ω = 1, φ = π/2) the table gives, per L and N:

* ``direct``: :func:`kwant_llg.floquet.floquet_solve` with ``method="direct"`` (assembly,
  one sparse LU of the (2N+1)-block Floquet matrix, solve for all incoming channels);
  ``dyson``: ``method="dyson"`` (2N+1 frozen factorisations, the problem projected on the
  gate orbitals; the default for this device), with the largest relative difference of ψ;
  lead data cached in both (the first, uncached call is ``first``);
* ``frozen``: one :meth:`FrozenGreens.solve` (same lead data cached; factorisation + solve
  for all incoming channels) and the stock way, ``kwant.wave_function`` (all modes of both
  leads, rebuilding lead modes and factorising);
* ``dyson/((2N+1) frozen)``: about 1 means the sideband structure costs what 2N+1
  independent frozen solves would.

Times are CPU times (``time.process_time``), medians of ``--repeat`` runs; lead data are
cached after the first run (the first, uncached time is reported separately).

``--density L×W ...`` instead times one periodic Floquet density of the driven Fermi sea
(:func:`kwant_llg.floquet_sea.floquet_density`, leads along +z, 9 phases, ``--tol``) on
each device, with each solve method: with a cold :class:`~kwant_llg.floquet.FloquetCache`
("first"), and again for a texture moved by 0.1 a with the warm cache ("re-solve", as in
``FloquetLLG``); "frozen reuse" is the share of frozen solves the dyson method took from
the cache, "max|diff|" the largest difference of the two methods' spin densities and
currents. The stock way gets the lead self-energies of every sideband of every node from
Kwant (``lead.selfenergy(E + nω, params=...)``); its time is the direct re-solve time (the
Floquet factorisations) plus the measured cost of Kwant's self-energies of all leads times
the number of sideband energies, (2N+1) × nodes; the ratios are against the dyson times.
``--methods dyson`` times that method alone (the direct one takes hours at 40×40; the
columns that need both are then nan).

``--quadrature LxW`` compares the panel rules of that density (Gauss–Kronrod, the default,
and Gauss–Legendre) at tolerances 1e-4, 1e-6, 1e-8 against a 32-point Gauss–Legendre
reference: solves and true errors. ``--orderings LxW`` times one factorisation and solve of
the N = ``--sidebands[0]`` Floquet matrix with each MUMPS ordering.
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
    parser.add_argument("--density", nargs="+", metavar="LxW",
                        help="time Floquet densities of these devices instead")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--methods", nargs="+", choices=("direct", "dyson"),
                        default=["direct", "dyson"],
                        help="--density: solve methods to time (direct takes hours at 40x40)")
    parser.add_argument("--quadrature", metavar="LxW", help="compare the panel rules")
    parser.add_argument("--orderings", metavar="LxW", help="time the MUMPS orderings")
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    if args.density:
        return density_table(args)
    if args.quadrature:
        return quadrature_table(args)
    if args.orderings:
        return orderings_table(args)
    drive = PumpDrive(0.8, 1.0, np.pi / 2)
    print(f"{'L':>4} {'N':>3} {'direct [s]':>11} {'dyson [s]':>10} {'first [s]':>10} "
          f"{'frozen [s]':>11} {'wave_function [s]':>18} {'direct/dyson':>13} "
          f"{'dyson/((2N+1) frozen)':>22} {'max|diff|':>10} {'truncation':>11}")
    for size in args.sizes:
        fsyst = devices.skyrmion_device(size, size).finalized()
        params = devices.seed_params()
        m = textures.skyrmion(fsyst, ((size - 1) / 2, (size - 1) / 2), size / 5)
        greens = kl.FrozenGreens(fsyst, params=params, onsite_parameters=("V1", "V2"))
        frozen = timed(lambda: greens.solve(m, args.energy), args.repeat)
        kparams = dict(params, m=kl._common.site_field(fsyst, m))
        stock = timed(lambda: [kwant.wave_function(fsyst, args.energy, params=kparams)(a)
                               for a in range(2)], max(1, args.repeat // 2))
        cache = floquet.FloquetCache(greens)
        for n in args.sidebands:
            kw = dict(drive=drive, energy=args.energy, n_sidebands=n, cache=cache)
            t0 = time.process_time()
            sol = floquet.floquet_solve(greens, m, method="direct", **kw)
            first = time.process_time() - t0
            ref = floquet.floquet_solve(greens, m, method="dyson", **kw)
            diff = np.abs(sol.psi - ref.psi).max() / np.abs(sol.psi).max()
            direct = timed(lambda: floquet.floquet_solve(greens, m, method="direct", **kw),
                           args.repeat)
            dyson = timed(lambda: floquet.floquet_solve(greens, m, method="dyson", **kw),
                          args.repeat)
            print(f"{size:4d} {n:3d} {direct:11.3f} {dyson:10.3f} {first:10.3f} "
                  f"{frozen:11.4f} {stock:18.3f} {direct / dyson:13.1f} "
                  f"{dyson / ((2 * n + 1) * frozen):22.2f} {diff:10.1e} "
                  f"{sol.truncation:11.2e}")


def density_table(args):
    from kwant_llg.floquet import FloquetCache
    from kwant_llg.floquet_sea import floquet_density
    drive = PumpDrive(0.8, 1.0, np.pi / 2)
    phases = 2 * np.pi * np.arange(9) / 9
    print(f"{'device':>7} {'N':>3} {'nodes':>6} {'lead energies':>14} "
          f"{'direct first/re-solve [s]':>26} {'dyson first/re-solve [s]':>25} "
          f"{'frozen reuse':>13} {'max|diff|':>10} {'stock [s]':>10} {'stock/first':>12} "
          f"{'stock/re-solve':>15}")
    for spec in args.density:
        L, W = (int(x) for x in spec.lower().split("x"))
        fsyst = devices.skyrmion_device(L, W, lead_magnetization=(0, 0, 1)).finalized()
        params = devices.seed_params()
        center = ((L - 1) / 2, (W - 1) / 2)
        m = textures.skyrmion(fsyst, center, min(L, W) / 4)
        moved = textures.skyrmion(fsyst, (center[0] + 0.1, center[1]), min(L, W) / 4)
        for n in args.sidebands:
            times, results, reuse = {}, {}, np.nan
            for method in args.methods:
                greens = kl.FrozenGreens(fsyst, params=params, onsite_parameters=("V1", "V2"))
                # room for the lead data and frozen solves of the 40×40 device
                cache = FloquetCache(greens, max_mib=4096, frozen_mib=4096)
                kw = dict(drive=drive, mu=args.energy, n_sidebands=n, phases=phases,
                          tol=args.tol, max_points=20000, cache=cache, method=method)
                t0 = time.process_time()
                fd = floquet_density(greens, m, **kw)
                first = time.process_time() - t0
                t0 = time.process_time()
                floquet_density(greens, moved, **kw)
                times[method] = (first, time.process_time() - t0)
                results[method] = fd
                if method == "dyson":       # only the dyson solve shares frozen solves
                    reuse = cache.frozen_hits / max(1, cache.frozen_hits + cache.frozen_misses)
            both = len(results) == 2
            diff = (max(np.abs(results["direct"].spin - results["dyson"].spin).max(),
                        np.abs(results["direct"].current - results["dyson"].current).max())
                    if both else np.nan)
            sample = np.linspace(-1.5, 1.5, 21) + 0.0123     # Kwant's self-energies, all leads
            t0 = time.process_time()
            for e in sample:
                for lead in fsyst.leads:
                    lead.selfenergy(e, params=params)
            per_energy = (time.process_time() - t0) / len(sample)
            # stock: the direct Floquet factorisations, Kwant's self-energies at every
            # sideband energy of every node
            nan = (np.nan, np.nan)
            direct, dyson = times.get("direct", nan), times.get("dyson", nan)
            stock = direct[1] + per_energy * (2 * n + 1) * fd.evaluations
            print(f"{L:>3}x{W:<3} {n:3d} {fd.evaluations:6d} {len(cache):14d} "
                  f"{direct[0]:12.1f} / {direct[1]:<11.1f} "
                  f"{dyson[0]:12.1f} / {dyson[1]:<10.1f} {reuse:13.2f} {diff:10.1e} "
                  f"{stock:10.1f} {stock / dyson[0]:12.1f} {stock / dyson[1]:15.1f}")


def _density_device(spec):
    L, W = (int(x) for x in spec.lower().split("x"))
    fsyst = devices.skyrmion_device(L, W, lead_magnetization=(0, 0, 1)).finalized()
    m = textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), min(L, W) / 4)
    greens = kl.FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
    return greens, m


def quadrature_table(args):
    from kwant_llg.floquet import FloquetCache
    from kwant_llg.floquet_sea import floquet_density
    greens, m = _density_device(args.quadrature)
    cache = FloquetCache(greens)
    kw = dict(drive=PumpDrive(0.8, 1.0, np.pi / 2), mu=args.energy,
              n_sidebands=args.sidebands[0], phases=2 * np.pi * np.arange(9) / 9,
              max_points=20000, cache=cache)
    ref = floquet_density(greens, m, tol=1e-4, quadrature="gauss", n_points=32, **kw)
    print(f"{'rule':>8} {'tol':>7} {'solves':>7} {'estimate':>9} {'true (spin)':>12} "
          f"{'true (current)':>15}")
    for tol in (1e-4, 1e-6, 1e-8):
        for rule in ("kronrod", "gauss"):
            fd = floquet_density(greens, m, tol=tol, quadrature=rule, **kw)
            print(f"{rule:>8} {tol:7.0e} {fd.evaluations:7d} {fd.error:9.1e} "
                  f"{np.abs(fd.spin - ref.spin).max():12.1e} "
                  f"{np.abs(fd.current - ref.current).max():15.1e}")


def orderings_table(args):
    from kwant_llg.sparse_lu import SparseLU
    greens, m = _density_device(args.orderings)
    n = args.sidebands[0]
    rows, cols, data, size = floquet.floquet_matrix(greens, m, PumpDrive(0.8, 1.0, np.pi / 2),
                                                    args.energy, n)
    norb = 2 * greens.num_sites
    rhs = np.zeros((size, 20), dtype=complex)
    rhs[n * norb:n * norb + 20] = np.eye(20)
    print(f"{'ordering':>9} {'factor + solve [ms]':>20}")
    for ordering in ("amd", "qamd", "pord", "scotch", "metis", "amf"):
        factor = SparseLU(rows, cols, size, "mumps", ordering=ordering)
        factor.factor(data)
        print(f"{ordering:>9} {1e3 * timed(lambda: factor.factor(data)(rhs), args.repeat):20.1f}")


if __name__ == "__main__":
    main()
