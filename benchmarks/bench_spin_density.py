"""Benchmark: nonequilibrium spin density on the seed's device, kwant_llg vs stock Kwant.

Run:  .venv/bin/python benchmarks/bench_spin_density.py [--repeat N] [--sizes 20 40 80 160]

1. The seed's 40×40 device at E = 1.9 with a skyrmion texture (R = 10): the stock Kwant
   path (``kwant.wave_function`` at the energy, then ``kwant.operator.Density`` with σ_x,
   σ_y, σ_z over all modes of all leads) against ``FrozenGreens.solve(m).spin_density()``
   for a new texture each call (the situation inside a time loop). Checks agreement to
   1e-10 and prints medians and the ratio.
2. Scaling of one engine evaluation for L = W in ``--sizes``: median time, process peak
   memory, and the fitted exponent time ∝ N_sites^p.
3. One Fermi-sea (equilibrium) spin density on the 40×40 device at μ = E for tol = 1e-8:
   number of Green's-function evaluations, time, estimated error, and the true error
   against a tol = 1e-11 reference (``--fermi-sea-kT``, skip with ``--no-fermi-sea``).
"""

import argparse
import gc
import resource
import time

import numpy as np
import kwant

import kwant_llg as kl


def median_time(func, repeat):
    """Median and minimum wall time of ``func()``, garbage collector off (as in ``timeit``)."""
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            func()
            times.append(time.perf_counter() - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return float(np.median(times)), float(np.min(times))


def textures(fsyst, L, W, count):
    """A skyrmion that moves a little between calls (a new texture each evaluation)."""
    return [kl.textures.skyrmion(fsyst, ((L - 1) / 2 + 0.1 * k, (W - 1) / 2), L / 4)
            for k in range(count)]


def stock_spin_density(fsyst, energy, params):
    wf = kwant.wave_function(fsyst, energy, params=params)
    ops = [kwant.operator.Density(fsyst, s) for s in kl.SIGMA]
    out = np.zeros((len(fsyst.sites), 3))
    for lead in range(len(fsyst.leads)):
        for psi in wf(lead):
            for a, op in enumerate(ops):
                out[:, a] += op(psi)
    return out / (2 * np.pi)


def compare(L, W, energy, repeat):
    fsyst = kl.devices.skyrmion_device(L, W).finalized()
    params = kl.devices.seed_params()
    ms = textures(fsyst, L, W, repeat + 1)
    t0 = time.perf_counter()
    greens = kl.FrozenGreens(fsyst, energy, params=params)
    greens.solve(ms[0])
    setup = time.perf_counter() - t0
    for m in ms[-3:]:          # warm-up (MUMPS work arrays), as in a running time loop
        greens.solve(m).spin_density()
    it = iter(ms[1:])
    t_engine, t_engine_min = median_time(lambda: greens.solve(next(it)).spin_density(), repeat)

    def stock():
        return stock_spin_density(fsyst, energy, dict(params, m=kl.site_field(fsyst, ms[0])))
    t_stock, t_stock_min = median_time(stock, max(3, repeat // 4))
    ref = stock()
    ours = greens.solve(ms[0]).spin_density()
    err = np.abs(ours - ref).max() / np.abs(ref).max()
    return dict(setup=setup, engine=t_engine, engine_min=t_engine_min, stock=t_stock,
                stock_min=t_stock_min, err=err)


def scaling(sizes, energy, repeat):
    rows = []
    for L in sizes:
        fsyst = kl.devices.skyrmion_device(L, L).finalized()
        greens = kl.FrozenGreens(fsyst, energy, params=kl.devices.seed_params())
        n_rep = max(3, repeat if L <= 40 else repeat // 4)
        ms = textures(fsyst, L, L, n_rep + 1)
        greens.solve(ms[0])
        it = iter(ms[1:])
        t, _ = median_time(lambda: greens.solve(next(it)).spin_density(), n_rep)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append((L, L * L, t, peak, sum(greens.solve(ms[0]).num_modes(a) for a in range(2))))
    return rows


def fermi_sea(energy, kTs):
    fsyst = kl.devices.skyrmion_device(40, 40).finalized()
    m = textures(fsyst, 40, 40, 1)[0]
    rows = []
    for kT in kTs:
        greens = kl.FrozenGreens(fsyst, params=kl.devices.seed_params())
        t0 = time.perf_counter()
        res = kl.equilibrium_density(greens, m, mu=energy, kT=kT, tol=1e-8)
        elapsed = time.perf_counter() - t0
        ref = kl.equilibrium_density(greens, m, mu=energy, kT=kT, tol=1e-11)
        err = max(np.abs(res.spin - ref.spin).max(), np.abs(res.charge - ref.charge).max())
        rows.append((kT, res.n_points, elapsed, res.error, err))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--energy", type=float, default=1.9)
    parser.add_argument("--sizes", type=int, nargs="*", default=[20, 40, 80, 160])
    parser.add_argument("--fermi-sea-kT", type=float, nargs="*", default=[0.01, 0.0])
    parser.add_argument("--no-fermi-sea", action="store_true")
    args = parser.parse_args()
    kl.limit_blas_threads(1)

    res = compare(40, 40, args.energy, args.repeat)
    print(f"Seed device 40x40, E = {args.energy}, skyrmion texture (new texture each call)")
    print(f"{'path':<44}{'median [ms]':>12}{'min [ms]':>10}")
    print(f"{'stock Kwant: wave_function + 3 Density ops':<44}{res['stock']*1e3:>12.1f}{res['stock_min']*1e3:>10.1f}")
    print(f"{'kwant_llg FrozenGreens.solve().spin_density':<44}{res['engine']*1e3:>12.1f}{res['engine_min']*1e3:>10.1f}")
    print(f"ratio stock/engine (medians): {res['stock'] / res['engine']:.1f}x   "
          f"one-time set-up: {res['setup']*1e3:.0f} ms   max rel. difference: {res['err']:.1e}")
    if res["err"] > 1e-10:
        raise SystemExit(f"FAILED: engine and stock Kwant differ by {res['err']:.2e} > 1e-10")

    if args.sizes:
        rows = scaling(args.sizes, args.energy, args.repeat)
        print("\nScaling of one spin-density evaluation (L = W)")
        print(f"{'L':>5}{'sites':>8}{'channels':>10}{'median [ms]':>13}{'peak RSS [MiB]':>16}")
        for L, n, t, peak, ch in rows:
            print(f"{L:>5}{n:>8}{ch:>10}{t*1e3:>13.1f}{peak:>16.0f}")
        if len(rows) > 1:
            p = np.polyfit(np.log([r[1] for r in rows]), np.log([r[2] for r in rows]), 1)[0]
            print(f"fitted exponent: time ~ N_sites^{p:.2f}")
    if not args.no_fermi_sea:
        report_fermi_sea(args)


def report_fermi_sea(args):
    rows = fermi_sea(args.energy, args.fermi_sea_kT)
    print(f"\nFermi-sea spin density, 40x40, mu = {args.energy}, tol = 1e-8 (RGF diagonal blocks)")
    print(f"{'kT':>8}{'G evaluations':>15}{'time [s]':>10}{'est. error':>12}{'true error':>12}")
    for kT, n, t, est, err in rows:
        print(f"{kT:>8g}{n:>15}{t:>10.1f}{est:>12.1e}{err:>12.1e}")


if __name__ == "__main__":
    main()
