"""Benchmark: coupled pumping dynamics (PumpedLLG) on the seed's 40×40 device.

Run:  .venv/bin/python benchmarks/bench_pump.py [--size 40] [--repeat 12] [--convergence]

1. Cost of one electron solve (one RK4 stage) at the paper's parameters (E = 1.9, J = 2,
   V = 0.8, ω_p = 1, φ = π/2, relaxed skyrmion, D = 0.2, K = 0.07): assembly + MUMPS
   factorisation + solve for the gate columns, the density/emissivity contraction, the
   spin field and LLG right-hand side; medians over ``--repeat`` stages spread over a period.
2. The stock-Kwant cost of one stage at the same energy: ``kwant.wave_function`` (all modes
   of both leads) and ``kwant.greens_function`` (lead-to-lead), each rebuilding the lead
   modes and factorising, and the ratio to (1).
3. Measured cost of RK4 steps with ``resolve_every`` = 1, 2, 4 and the extrapolation to
   100 pumping periods for the time step of the convergence study.
4. ``--sea``: the cost of one stage with the Fermi-sea term included (``torque="adiabatic"``,
   contour at kT = 0, tol 1e-8) and its extrapolation to 100 periods, next to the default.
5. ``--convergence``: the largest electron field over one period (frozen texture), and
   the trajectory change when dt halves over 0 ≤ t ≤ ``--t-conv`` (dt = 0.04, 0.02, 0.01
   against 0.005), with the observed order.

Times are CPU times of this process (``time.process_time``), medians of repeats.
"""

import argparse
import time

import numpy as np
import kwant

import kwant_llg as kl
from kwant_llg import coupled, dynamics, pumping, spins


def median(func, repeat):
    """Median CPU time of this process (robust on a shared machine; one BLAS thread, so it
    equals the wall time of an otherwise idle machine)."""
    out = []
    for k in range(repeat):
        t0 = time.process_time()
        func(k)
        out.append(time.process_time() - t0)
    return float(np.median(out))


def setup(L):
    fsyst = kl.devices.skyrmion_device(L, L).finalized()
    lattice = spins.SpinLattice.from_kwant(fsyst)
    ham = spins.Exchange(1.0) + spins.DMI(0.2) + spins.Anisotropy(0.07)
    m0 = kl.textures.skyrmion(fsyst, ((L - 1) / 2, (L - 1) / 2), L / 4)
    relaxed = dynamics.relax(lattice, ham, m0, tol=1e-6)
    return fsyst, lattice, ham, relaxed.m


def make(fsyst, lattice, ham, m, dt, k=1, torque="fermi-surface"):
    drive = pumping.PumpDrive(0.8, 1.0, np.pi / 2)
    return coupled.PumpedLLG(fsyst, lattice, ham, m, drive=drive, energy=1.9,
                             params=kl.devices.seed_params(), alpha=0.4, dt=dt,
                             resolve_every=k, torque=torque)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=12)
    ap.add_argument("--dt", type=float, default=0.025, help="time step for the extrapolation")
    ap.add_argument("--sea", action="store_true",
                    help="also time a stage with the Fermi-sea term (torque='adiabatic')")
    ap.add_argument("--sea-repeat", type=int, default=1)
    ap.add_argument("--convergence", action="store_true")
    ap.add_argument("--t-conv", type=float, default=1.0)
    args = ap.parse_args()
    kl.limit_blas_threads(1)
    L = args.size
    t0 = time.perf_counter()
    fsyst, lattice, ham, m = setup(L)
    state = make(fsyst, lattice, ham, m, args.dt)
    model, drive = state.model, state.drive
    print(f"{L}x{L}: set-up (relax + FrozenGreens + PumpModel) {time.perf_counter() - t0:.2f} s; "
          f"{len(model.gate_orbitals)} gate orbitals, "
          f"{sum(w.shape[1] for _, w, _ in model.lead_data)} open channels")
    times = np.linspace(0, drive.period, args.repeat, endpoint=False) + 0.01

    def columns(k):
        model.gate_columns(m, drive.values(times[k]))

    cols = model.gate_columns(m, drive.values(times[0]))
    t_cols = median(columns, args.repeat)
    t_contract = median(lambda k: (pumping.gate_densities(cols, model.gate_blocks),
                                   [pumping.emissivities(cols[o], w, model.gate_blocks)
                                    for o, (_, w, _) in zip(model.lead_orbitals,
                                                            model.lead_data)]), args.repeat)
    fields = state._fields(times[0], m)
    t_llg = median(lambda k: state.rhs(times[k], m, fields), args.repeat)
    t_stage = median(lambda k: state.rhs(times[k], m), args.repeat)
    p = dict(kl.devices.seed_params(), m=kl.site_field(fsyst, m))

    def stock_wf(k):
        wf = kwant.wave_function(fsyst, 1.9, params=dict(p, **drive.onsite_values(times[k])))
        return [wf(a) for a in range(2)]

    def stock_gf(k):
        kwant.greens_function(fsyst, 1.9, params=dict(p, **drive.onsite_values(times[k])))

    t_wf = median(stock_wf, max(3, args.repeat // 2))
    t_gf = median(stock_gf, max(3, args.repeat // 2))
    print("\none RK4 stage (median):")
    print("| part | ms |\n|---|---|")
    print(f"| assembly + factorisation + solve for the gate columns | {1e3 * t_cols:.1f} |")
    print(f"| densities (1/2π) G Y_p G† and emissivities | {1e3 * t_contract:.1f} |")
    print(f"| spin field + LLG right-hand side | {1e3 * t_llg:.2f} |")
    print(f"| **whole stage** (`PumpedLLG.rhs`) | **{1e3 * t_stage:.1f}** |")
    print(f"| stock: `kwant.wave_function` (all modes, both leads) | {1e3 * t_wf:.1f} |")
    print(f"| stock: `kwant.greens_function` (lead to lead) | {1e3 * t_gf:.1f} |")
    print(f"ratio stock wave_function / stage: {t_wf / t_stage:.1f}x; "
          f"greens_function / stage: {t_gf / t_stage:.1f}x")

    steps = 100 * drive.period / args.dt
    print(f"\nRK4 steps at dt = {args.dt} (measured over 8 steps), extrapolated to 100 periods "
          f"(t = {100 * drive.period:.0f}, {steps:.0f} steps):")
    print("| resolve_every | solves/step | CPU s per step | 100 periods [min] |\n|---|---|---|---|")
    per_solve = {}
    for k in (1, 2, 4):
        s = make(fsyst, lattice, ham, m, args.dt, k)
        t0 = time.process_time()
        s.evolve(8 * args.dt)
        per_step = (time.process_time() - t0) / 8
        per_solve[k] = s.num_solves / 8
        print(f"| {k} | {s.num_solves / 8:g} | {per_step:.3f} | {per_step * steps / 60:.0f} |")
    print(f"stock path (kwant.wave_function per stage), same schedule: "
          + ", ".join(f"resolve_every {k}: {per_solve[k] * t_wf * steps / 60:.0f} min"
                      for k in per_solve)
          + f" (ratio {t_wf / t_stage:.1f}x per stage)")

    if args.sea:
        sea = make(fsyst, lattice, ham, m, args.dt, torque="adiabatic")
        t_sea = median(lambda k: sea._fields(drive.period / 8 + 0.01 * k, m), args.sea_repeat)
        print(f"\nstage with the Fermi-sea term (torque='adiabatic', kT = 0, tol 1e-8), "
              f"median of {args.sea_repeat}: {t_sea:.1f} s ({t_sea / t_stage:.0f}x the "
              f"Fermi-surface stage)")
        print("| resolve_every | solves/step | 100 periods [CPU h] |\n|---|---|---|")
        for k in per_solve:
            print(f"| {k} | {per_solve[k]:g} | {per_solve[k] * t_sea * steps / 3600:.0f} |")

    if args.convergence:
        ts = np.linspace(0, drive.period, 65)[:-1]
        h = [np.linalg.norm(np.tensordot(drive.rates(t), state._fields(t, m).gate, 1),
                            axis=1).max() for t in ts]
        k = int(np.argmax(h))
        print(f"\nlargest electron field |J<σ>| over one period (frozen texture, 64 times): "
              f"{h[k]:.1f} at t = {ts[k]:.3f} (V1 = {drive.values(ts[k])[0]:.3f}, "
              f"V2 = {drive.values(ts[k])[1]:.3f}); median over the period {np.median(h):.2f}")
        t_end = args.t_conv
        print(f"\ndt convergence over 0 <= t <= {t_end}:")
        runs = {}
        for dt in (0.04, 0.02, 0.01, 0.005):
            s = make(fsyst, lattice, ham, m, dt)
            t0 = time.process_time()
            try:
                s.evolve(t_end)
                runs[dt] = (s.m.copy(), s.observables(), time.process_time() - t0)
            except (kl.ConvergenceError, coupled.SkyrmionLost) as exc:
                print(f"dt = {dt}: {type(exc).__name__}: {exc}")
        ref = runs.get(0.005)
        print("| dt | max_i |m − m_ref| | centre (paper) | CPU [s] |\n|---|---|---|---|")
        for dt, (mm, obs, cpu) in runs.items():
            err = np.abs(mm - ref[0]).max() if ref is not None else np.nan
            print(f"| {dt} | {err:.2e} | {np.round(obs['center_paper'], 5).tolist()} | "
                  f"{cpu:.0f} |")


if __name__ == "__main__":
    main()
