"""Benchmark: classical spin lattice (Eq. 38) and LLG steps, kwant_llg vs Spirit.

Run:  .venv/bin/python benchmarks/bench_spins.py [--repeat N] [--sizes 40 200] [--no-relax]

1. Per evaluation on open L × L square lattices with the seed's parameters (J_ex = 1,
   D = 0.2, K = 0.07) and a Zhang–Li current (u = 0.05 x̂, α = 0.1, β = 0.3):
   effective field (term by term, and the compiled sparse map used by ``LLG``), the full
   LLG right-hand side, and one RK4 step of ``kwant_llg.LLG``, side by side with one RK4
   step of Spirit for the same lattice, parameters and current (Spirit is timed as
   [t(n steps) − t(1 step)]/(n − 1) of ``simulation.start`` calls, which removes its
   start-up cost). All callables are timed in turn, repeatedly, so that load changes of
   the shared machine affect both codes alike. Ratios: Spirit step / our RHS and
   Spirit step / our RK4 step.
2. Relaxation to max_i |m_i × H_eff,i| < 1e-6 (the same criterion in both codes) of the
   seed's skyrmion (40 × 40) and of nine skyrmions on 200 × 200: ``kwant_llg.relax``
   (L-BFGS, and Barzilai–Borwein on 40 × 40) against Spirit's L-BFGS
   (``SOLVER_LBFGS_OSO``); time, iterations, energies, and the charge closed by the far
   field.

Spirit is optional: without it only our columns are printed. All timings with one BLAS
thread; medians of ``--repeat`` runs.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

import kwant_llg as kl
from kwant_llg.llg import llg_rhs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
try:
    import spirit  # noqa: F401  (checks that the package is there)
    from test_spirit import SpiritSystem
except ImportError:
    SpiritSystem = None

SEED = dict(J=1.0, D=0.2, K=0.07)
ALPHA, BETA, U, DT = 0.1, 0.3, 0.05, 0.1


def median_ms(func, repeat):
    func()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def hamiltonian():
    return kl.Exchange(SEED["J"]) + kl.DMI(SEED["D"]) + kl.Anisotropy(SEED["K"])


def skyrmions(lattice, centers, radius):
    """Several trial skyrmions: each site takes the texture of its nearest centre."""
    pos = lattice.positions[:, :2]
    centers = np.asarray(centers, dtype=float)
    nearest = np.argmin(np.linalg.norm(pos[:, None] - centers[None], axis=2), axis=1)
    m = np.empty((lattice.num_spins, 3))
    for k, c in enumerate(centers):
        mask = nearest == k
        m[mask] = kl.textures.skyrmion(pos, c, radius)[mask]
    return m


def interleaved_ms(funcs, repeat):
    """Median times [ms] of the callables in ``funcs`` (a dict), run in turn ``repeat`` times
    so that changes of the machine load affect all of them alike."""
    times = {name: [] for name in funcs}
    for name, func in funcs.items():
        func()                                                    # warm-up
    for _ in range(repeat):
        for name, func in funcs.items():
            t0 = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - t0)
    return {name: 1e3 * float(np.median(t)) for name, t in times.items()}


def per_step(sizes, repeat):
    print("\n1. One evaluation / one step, open L x L, Zhang-Li current on [ms]\n")
    head = (f"{'L':>4} {'spins':>6} {'field (terms)':>13} {'field (compiled)':>16} "
            f"{'LLG RHS':>8} {'RK4 step':>9} {'Spirit RK4 step':>16} {'Spirit/RHS':>10} "
            f"{'Spirit/RK4':>10}")
    print(head)
    print("-" * len(head))
    for L in sizes:
        lattice = kl.SpinLattice.square(L, L)
        H = hamiltonian()
        m = kl.textures.skyrmion(lattice.positions, ((L - 1) / 2, (L - 1) / 2), 8)
        state = kl.LLG(lattice, H, m, alpha=ALPHA, dt=DT, current=dict(u=(U, 0), beta=BETA))
        field = kl.spins.compile_field(H, lattice)
        assert np.allclose(field(m), H.field(lattice, m), atol=1e-12)
        funcs = {"terms": lambda: H.field(lattice, m), "field": lambda: field(m),
                 "rhs": lambda: state.rhs(0.0, m), "rk4": lambda: state._step(0.0, m, DT)}
        sp = None
        if SpiritSystem is not None:
            # Spirit: [t(n steps) − t(1 step)]/(n − 1) removes the start-up of a run
            sp = SpiritSystem(L, L, alpha=ALPHA, beta=BETA, dt=DT, u=(U, 0), **SEED)
            sp.m = m
            steps = max(6, 160_000 // (L * L))
            funcs["spirit 1"] = lambda: sp.rk4(1)
            funcs["spirit n"] = lambda: sp.rk4(steps)
        try:
            t = interleaved_ms(funcs, repeat)
        finally:
            if sp is not None:
                sp.close()
        if sp is not None:
            t_sp = (t["spirit n"] - t["spirit 1"]) / (steps - 1)
            extra = f"{t_sp:16.3f} {t_sp / t['rhs']:10.2f} {t_sp / t['rk4']:10.2f}"
        else:
            extra = f"{'(no Spirit)':>16}"
        print(f"{L:4d} {L * L:6d} {t['terms']:13.3f} {t['field']:16.3f} {t['rhs']:8.3f} "
              f"{t['rk4']:9.3f} " + extra)
    # the bare LLG algebra, for reference
    h = field(m)
    print(f"\n(bare llg_rhs algebra on {L}x{L}: "
          f"{median_ms(lambda: llg_rhs(m, h, alpha=ALPHA), repeat):.3f} ms)")


def relax_case(name, L, centers, radius, methods):
    lattice = kl.SpinLattice.square(L, L)
    H = hamiltonian()
    m0 = skyrmions(lattice, centers, radius)
    t_ours = None
    for method in methods:
        t0 = time.perf_counter()
        ours = kl.relax(lattice, H, m0, tol=1e-6, max_iter=20_000, method=method)
        elapsed = time.perf_counter() - t0
        t_ours = elapsed if t_ours is None else t_ours
        q = kl.topology.topological_charge(lattice, ours.m, boundary="background")
        label = f"kwant_llg relax ({method})" + ("" if ours.converged else " NOT CONVERGED")
        print(f"{name:<24} {label:<22} {elapsed:8.3f} {ours.iterations:7d} "
              f"{ours.energy / lattice.num_spins:16.10f} {ours.max_torque:9.2e} {q:6.2f}")
        name = ""
    if SpiritSystem is None:
        return
    sp = SpiritSystem(L, L, **SEED)
    try:
        sp.m = m0
        t0 = time.perf_counter()
        iterations = sp.minimize(1e-6)
        t_sp = time.perf_counter() - t0
        m = sp.m
        e = H.energy(lattice, m)
        torque = float(np.max(np.linalg.norm(np.cross(m, H.field(lattice, m)), axis=1)))
        q = kl.topology.topological_charge(lattice, m, boundary="background")
        print(f"{'':<24} {'Spirit L-BFGS (OSO)':<22} {t_sp:8.3f} {iterations:7d} "
              f"{e / lattice.num_spins:16.10f} {torque:9.2e} {q:6.2f}   "
              f"ratio Spirit/ours ({methods[0]}) {t_sp / t_ours:.2f}")
    finally:
        sp.close()


def relaxations():
    print("\n2. Relaxation to max |m x H_eff| < 1e-6\n")
    head = (f"{'case':<24} {'method':<22} {'time [s]':>8} {'iter':>7} {'energy / spin':>16} "
            f"{'max torq.':>9} {'Q':>6}")
    print(head)
    print("-" * len(head))
    relax_case("seed skyrmion 40x40", 40, [(19.5, 19.5)], 8, ("lbfgs", "bb"))
    grid = [(33 + 66.5 * i, 33 + 66.5 * j) for i in range(3) for j in range(3)]
    relax_case("9 skyrmions 200x200", 200, grid, 8, ("lbfgs",))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--no-relax", action="store_true")
    args = parser.parse_args(argv)
    kl.limit_blas_threads(1)
    if SpiritSystem is not None:
        from spirit import version
        print(f"Spirit {version.version_full}, scalar {version.scalartype}, "
              f"OpenMP {version.openmp}")
    else:
        print("Spirit not installed: only kwant_llg columns.")
    per_step(args.sizes, args.repeat)
    if not args.no_relax:
        relaxations()


if __name__ == "__main__":
    main()
