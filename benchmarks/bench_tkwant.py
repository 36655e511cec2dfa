"""Cost of the exact time-dependent reference (kwant_llg.tdref, tkwant) per device size.

Prints, for L×W skyrmion devices (ferromagnetic leads, E_F = 1, two gates, ω = 0.2), the
number of one-body states tkwant evolves, the set-up time (scattering states + quadrature
refinement) and the CPU time per unit of simulated time, for the exact perturbation hook of
``tdref.simulate`` and for tkwant's stock route (time-dependent value functions from
``tdref.time_dependent_builder``, extracted and interpolated by tkwant). CPU times
(process_time) are quoted because the machines are shared.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_tkwant.py [--sizes 6x4 10x10] [--tsim 10]

``--coupled`` times instead :class:`kwant_llg.tdcoupled.TimeDependentLLG` (tkwant electrons
coupled to the LLG, E_F = 0) per unit time for LLG steps dt = 0.2 and 0.05, with the spins
frozen and moving.
"""
import argparse
import time

import numpy as np

import kwant_llg as kl
from kwant_llg import devices, textures, tdref


def setup(L, W):
    builder = devices.skyrmion_device(L, W, lead_magnetization=(0, 0, 1))
    fsyst = builder.finalized()
    m = textures.skyrmion(fsyst, center=((L - 1) / 2, (W - 1) / 2), radius=min(L, W) / 3)
    return builder, fsyst, m


def run_hook(fsyst, m, drive, tsim):
    import copy
    import tkwant
    params = {**devices.seed_params(m=kl.site_field(fsyst, m)), "V1": 0.0, "V2": 0.0}
    pert = tdref._GatePerturbation(drive, tdref._parameter_matrices(fsyst, params, drive.names))
    tsyst = copy.copy(fsyst)
    tsyst.time_dependent_perturbation = lambda *args, **kwargs: pert
    occ = tkwant.manybody.lead_occupation(chemical_potential=1.0)
    t0 = time.process_time()
    state = tkwant.manybody.State(tsyst, tmax=tsim, occupations=occ, params=params,
                                  refine=False)
    t_init = time.process_time() - t0
    t0 = time.process_time()
    state.evolve(tsim)
    per_time = (time.process_time() - t0) / tsim
    return len(state.manybody_wavefunction.get_keys()), t_init, per_time


def run_stock(builder, m, drive, tsim):
    import tkwant
    tsyst = tdref.time_dependent_builder(builder, drive).finalized()
    params = {**devices.seed_params(m=kl.site_field(tsyst, m)), "V1": 0.0, "V2": 0.0}
    occ = tkwant.manybody.lead_occupation(chemical_potential=1.0)
    state = tkwant.manybody.State(tsyst, tmax=tsim, occupations=occ, params=params,
                                  refine=False)
    t0 = time.process_time()
    state.evolve(tsim)
    return (time.process_time() - t0) / tsim


def run_coupled(fsyst, m, drive, tsim, dt, frozen):
    from kwant_llg import tdcoupled
    from kwant_llg.spins import Anisotropy, DMI, Exchange, SpinLattice
    t0 = time.process_time()
    state = tdcoupled.TimeDependentLLG(
        fsyst, SpinLattice.from_kwant(fsyst), Exchange(1) + DMI(0.2) + Anisotropy(0.07), m,
        drive=drive, energy=0.0, alpha=0.4, dt=dt, params=devices.seed_params(), tmax=tsim,
        frozen=frozen, refine=False, order=5, check_skyrmion=False)
    t_init = time.process_time() - t0
    t0 = time.process_time()
    state.evolve(tsim)
    return t_init, (time.process_time() - t0) / tsim


def main_coupled(args, drive):
    print(f"{'device':>8} {'dt':>5} {'set-up s':>9} {'frozen s/t':>11} {'coupled s/t':>12}")
    for size in args.sizes:
        L, W = (int(x) for x in size.split("x"))
        _, fsyst, m = setup(L, W)
        for dt in (0.2, 0.05):
            t_init, frozen = run_coupled(fsyst, m, drive, args.tsim, dt, True)
            _, moving = run_coupled(fsyst, m, drive, args.tsim, dt, False)
            print(f"{size:>8} {dt:>5} {t_init:>9.2f} {frozen:>11.3f} {moving:>12.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["6x4", "10x10"])
    ap.add_argument("--tsim", type=float, default=10.0)
    ap.add_argument("--coupled", action="store_true")
    args = ap.parse_args()
    kl.limit_blas_threads(1)
    if args.coupled:
        return main_coupled(args, tdref.GateDrive(0.2, {"V1": 0.5, "V2": 0.5},
                                                  phases={"V2": np.pi / 2}))
    drive = tdref.GateDrive(0.2, {"V1": 0.5, "V2": 0.5}, phases={"V2": np.pi / 2})
    print(f"{'device':>8} {'states':>7} {'set-up s':>9} {'hook s/t':>9} {'stock s/t':>10} "
          f"{'ratio':>6}")
    for size in args.sizes:
        L, W = (int(x) for x in size.split("x"))
        builder, fsyst, m = setup(L, W)
        n, t_init, hook = run_hook(fsyst, m, drive, args.tsim)
        stock = run_stock(builder, m, drive, args.tsim)
        print(f"{size:>8} {n:>7d} {t_init:>9.2f} {hook:>9.3f} {stock:>10.3f} "
              f"{stock / hook:>6.1f}")


if __name__ == "__main__":
    main()
