"""Benchmark: the spin response to the magnetisation velocity (site-resolved Eq. 19).

Run:  .venv/bin/python benchmarks/bench_velocity.py [--sizes 6 10 20] [--stock-max 10]

For the seed's device (``devices.skyrmion_device(L, L)``, E_F = 1.9, J = 2, a skyrmion of
radius L/4) and each size: wall time of ``velocity.velocity_response`` (Fermi surface only,
and with the Fermi sea on the contour, tol 1e-6), of the implicit LLG solve that uses it
(``llg.llg_rhs_nonlocal``, one Runge–Kutta stage), and of the stock Kwant way to get the
site-resolved damping: central differences of ``kwant.smatrix`` with respect to every
component of every spin (6 n S matrices) in the Brataas–Tserkovnyak–Bauer form
(1/4π) Re Tr[∂_ia S ∂_jb S†], which gives the symmetric part only. Printed: the ratio
stock / ours (Fermi sea included) and the deviation max|2 α_sym − α_BTB| / max|α_BTB|.
"""

import argparse
import time

import numpy as np
import kwant

import kwant_llg as kl
from kwant_llg import devices, textures
from kwant_llg.llg import llg_rhs_nonlocal
from kwant_llg.velocity import velocity_response

E_F = 1.9


def stock_btb(fsyst, m, step=1e-5):
    """Site-resolved BTB tensor (n, 3, n, 3) from central differences of kwant.smatrix."""
    def smat(marr):
        params = devices.seed_params(m=kl.site_field(fsyst, marr))
        return kwant.smatrix(fsyst, E_F, params=params).data

    n = len(m)
    ds = np.empty((n, 3), dtype=object)
    for i in range(n):
        for a in range(3):
            plus, minus = m.copy(), m.copy()
            plus[i, a] += step
            minus[i, a] -= step
            ds[i, a] = (smat(plus) - smat(minus)) / (2 * step)
    flat = np.array([d.ravel() for d in ds.ravel()])
    return ((flat @ flat.conj().T).real / (4 * np.pi)).reshape(n, 3, n, 3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[6, 10, 20])
    parser.add_argument("--stock-max", type=int, default=10,
                        help="largest L for the stock path (6 L² S matrices)")
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    print(f"{'L':>4} {'sites':>6} {'surface s':>10} {'+sea s':>8} {'points':>7} {'solve s':>8} "
          f"{'stock s':>8} {'ratio':>7} {'|2a_sym-BTB|':>13}")
    for size in args.sizes:
        fsyst = devices.skyrmion_device(size, size).finalized()
        m = textures.skyrmion(fsyst, ((size - 1) / 2, (size - 1) / 2), size / 4, polarity=-1)
        g = kl.FrozenGreens(fsyst, params=devices.seed_params(), onsite_parameters=("V1", "V2"))
        gates = {"V1": 0.0, "V2": 0.0}
        velocity_response(g, m, mu=E_F, fermi_sea=False, onsite_values=gates)   # warm-up
        start = time.perf_counter()
        velocity_response(g, m, mu=E_F, fermi_sea=False, onsite_values=gates)
        t_surface = time.perf_counter() - start
        start = time.perf_counter()
        resp = velocity_response(g, m, mu=E_F, onsite_values=gates, tol=1e-6)
        t_sea = time.perf_counter() - start
        n = len(m)
        start = time.perf_counter()
        llg_rhs_nonlocal(m, np.ones_like(m), -2.0 * resp.value, alpha=0.4)
        t_solve = time.perf_counter() - start
        stock, ratio, dev = "-", "-", "-"
        if size <= args.stock_max:
            start = time.perf_counter()
            btb = stock_btb(fsyst, m)
            t_stock = time.perf_counter() - start
            alpha = resp.damping()
            sym = 0.5 * (alpha + alpha.transpose(2, 3, 0, 1))
            dev = f"{np.abs(2 * sym - btb).max() / np.abs(btb).max():.1e}"
            stock, ratio = f"{t_stock:.2f}", f"{t_stock / t_sea:.1f}"
        print(f"{size:>4} {n:>6} {t_surface:>10.3f} {t_sea:>8.2f} "
              f"{resp.info['evaluations']:>7} {t_solve:>8.3f} {stock:>8} {ratio:>7} {dev:>13}",
              flush=True)


if __name__ == "__main__":
    main()
