"""Pumped current of a frozen skyrmion in the three electron models of ``kwant-llg``.

The seed's Fig. 6(a) claim — for a frozen skyrmion I_p/ω_p is one curve of t/T for
ω_p = 0.2, 0.5, 1 — holds by construction in the adiabatic model (Eq. 40 is linear in the gate
rates). This script asks how far it holds for electrons exact in ω_p (Floquet) and fully time
dependent (tkwant), on a device small enough for both: the points are built exactly as the
pumping commands build them (``kwant_llg.cli_pump``, ``--magnetic-leads``, frozen trial
skyrmion). Prints, per ω_p and model, the charge pumped into the right lead per cycle and
max |I_p|/ω_p over a period (tkwant: the last of ``--periods`` periods after the abrupt start),
and the adiabaticity diagnostic of the point.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/compare_electrons.py [--size 8 6]
"""

import argparse
import math
import time

import numpy as np

from kwant_llg.cli_pump import _make_dynamics, point_defaults


def sample_period(dyn, omega, start, n=16):
    """I_p at n equally spaced times of the period starting at ``start``."""
    period = 2 * math.pi / omega
    values = []
    for k in range(n):
        t = start + k * period / n
        if t > dyn.time:
            dyn.evolve(t)
        values.append(dyn.observables()["I_p"])
    return np.array(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", nargs=2, type=int, default=(8, 6))
    ap.add_argument("--radius", type=float, default=1.5)
    ap.add_argument("--omega", type=float, nargs="+", default=[0.2, 0.5, 1.0])
    ap.add_argument("--periods", type=float, default=3.0,
                    help="tkwant: periods simulated; the last one is sampled (default 3)")
    ap.add_argument("--sidebands", type=int, default=None,
                    help="Floquet sidebands (default ceil(V/omega) + 3: the drive couples "
                         "sidebands up to about V/omega)")
    ap.add_argument("--floquet-tol", type=float, default=1e-5)
    ap.add_argument("--tkwant-order", type=int, default=20,
                    help="tkwant's momentum quadrature order (no refinement; default 20)")
    args = ap.parse_args()
    L, W = args.size
    print(f"{L}x{W} device, frozen trial skyrmion (radius {args.radius}), leads along +z, "
          "E = 1.9, V = 0.8, phi = pi/2")
    print(f"{'omega':>6} {'model':>10} {'charge/cycle':>13} {'max|I_p|/omega':>15} "
          f"{'omega*tau_d':>12} {'rho1/rho0':>10} {'N (trunc.)':>12} {'time [s]':>9}")
    for omega in args.omega:
        diag = None
        n_sidebands = args.sidebands or math.ceil(0.8 / omega) + 3
        for mode in ("adiabatic", "floquet", "td"):
            point = point_defaults(L=L, W=W, relax=False, radius=args.radius, frozen=True,
                                   omega=omega, electrons=mode, lead_magnetization=(0, 0, 1),
                                   integrator="rk4", periods=args.periods,
                                   n_sidebands=n_sidebands, floquet_tol=args.floquet_tol,
                                   tkwant_order=args.tkwant_order, tkwant_refine_tol=0)
            start = time.process_time()
            dyn = _make_dynamics(point)
            period = 2 * math.pi / omega
            t0 = (args.periods - 1) * period if mode == "td" else 0.0
            ip = sample_period(dyn, omega, t0)
            cost = time.process_time() - start
            trunc = ""
            if mode == "floquet":
                diag = dyn.adiabaticity()           # with the Fermi sea, as for td
                trunc = f"{n_sidebands} ({dyn.truncation:.0e})"
            print(f"{omega:>6g} {mode:>10} {ip.mean() * period:>+13.5f} "
                  f"{np.abs(ip).max() / omega:>15.4f} "
                  f"{'' if diag is None else f'{diag.omega_dwell:.2f}':>12} "
                  f"{'' if diag is None else f'{diag.density_ratio:.3f}':>10} {trunc:>12} "
                  f"{cost:>9.1f}")


if __name__ == "__main__":
    main()
