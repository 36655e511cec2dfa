"""Cost of running through kwant_llg.simulation.run (HDF5 records, atomic checkpoints)
compared with the stock way, a plain loop of ``evolve`` and the observables.

Usage: python benchmarks/bench_runner.py [--size N] [--records N]

The dynamics is the seed's skyrmion (N x N, exchange + DMI + anisotropy, alpha = 0.4) under
a Zhang-Li current, integrated by kwant_llg.LLG (RK4, dt = 0.05): a cheap right-hand side,
so the runner's overhead shows at its largest. Prints one row per way and the ratio of its
wall time to the plain loop.
"""

import argparse
import pathlib
import tempfile
import time

import numpy as np

import kwant_llg as kl
from kwant_llg import simulation, textures


def make(n):
    lat = kl.SpinLattice.square(n, n)
    m0 = textures.skyrmion(lat.positions[:, :2], ((n - 1) / 2,) * 2, n / 4, polarity=-1)
    ham = kl.Exchange(1) + kl.DMI(0.2) + kl.Anisotropy(0.07)
    return kl.LLG(lat, ham, m0, alpha=0.4, dt=0.05, current=dict(u=(0.05, 0), beta=0.2))


def plain(n, records, every):
    dyn = make(n)
    for k in range(records):
        dyn.evolve(k * every)
        simulation.llg_observables(dyn)
    return dyn.m


def runner(n, records, every, tmp, checkpoint_every, snapshot_every):
    res = simulation.run(make(n), (records - 1) * every, path=pathlib.Path(tmp) / "b.h5",
                         record_every=every, checkpoint_every=checkpoint_every,
                         snapshot_every=snapshot_every, observables=simulation.llg_observables)
    return res.dynamics.m, res.path.stat().st_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--records", type=int, default=101)
    parser.add_argument("--every", type=float, default=0.5, help="time between records")
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    n, rec, every = args.size, args.records, args.every
    start = time.perf_counter()
    m_ref = plain(n, rec, every)
    t_plain = time.perf_counter() - start
    rows = [("plain evolve loop (stock)", t_plain, 0)]
    with tempfile.TemporaryDirectory() as tmp:
        for ckpt, snap in ((1, 0), (10, 0), (10, 10), (1, 1)):
            start = time.perf_counter()
            m, size = runner(n, rec, every, tmp, ckpt, snap)
            rows.append((f"run(checkpoint_every={ckpt}, snapshot_every={snap})",
                         time.perf_counter() - start, size))
            assert np.array_equal(m, m_ref)              # same trajectory, bit for bit
    print(f"{n}x{n} spins, {rec} records every {every} (t_end = {(rec - 1) * every:g}, "
          f"{int(round((rec - 1) * every / 0.05))} RK4 steps)")
    print(f"{'way':45s} {'wall s':>8s} {'ratio':>7s} {'file kB':>8s}")
    for name, wall, size in rows:
        print(f"{name:45s} {wall:8.2f} {wall / t_plain:7.2f} {size / 1024:8.0f}")


if __name__ == "__main__":
    main()
