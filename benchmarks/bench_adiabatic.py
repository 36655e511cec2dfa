"""Benchmark: first-order (adiabatic) density on the seed's device, kwant_llg vs dense algebra.

Run:  .venv/bin/python benchmarks/bench_adiabatic.py [--size 40] [--repeat 3] [--tol 1e-8]
                                                     [--reference]

The seed's L×L device at E_F = 1.9 with a skyrmion (R = L/4) and Ḣ = V̇1 Y1 + V̇2 Y2 on the two
gate columns (0, 4), V̇_p = V ω cos(ω t + φ_p) at t = T/8 (V = 0.8, ω = 1, φ = (0, π/2)).

1. Fermi-surface term (1/2π) G^r Ḣ G^a at E_F: ``first_order_density(..., fermi_sea=False)``
   (one sparse LU, 2|S| sparse right-hand sides) against the dense way (inverse of
   E − H − Σ, then the onsite blocks of G Ḣ G^†). Agreement and time ratio.
2. One Fermi-sea contour point, the onsite blocks of ∂_z G Ḣ G (three sparse solves with 2|S|
   right-hand sides on one LU, plus ∂_z Σ of the leads) against the dense way (inverse, then
   ∂G = −G(1 − ∂Σ)G and the blocks of ∂G Ḣ G). Agreement and time ratio.
3. The whole Fermi-sea term at ``--tol``: contour points, time, estimated error; with
   ``--reference`` also the true error against tol/100. The dense way's cost for the same
   integral is (points) × (dense time per point).
"""

import argparse
import time

import numpy as np

import kwant_llg as kl
from kwant_llg import adiabatic, adiabatic_sea


def median_time(func, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def setup(size):
    fsyst = kl.devices.skyrmion_device(size, size).finalized()
    greens = kl.FrozenGreens(fsyst, params=kl.devices.seed_params(),
                             onsite_parameters=("V1", "V2"))
    m = kl.textures.skyrmion(fsyst, ((size - 1) / 2, (size - 1) / 2), size / 4)
    t, omega, volt = 2 * np.pi / 8, 1.0, 0.8
    phases = (0.0, np.pi / 2)
    values = {f"V{p + 1}": volt * np.sin(omega * t + ph) for p, ph in enumerate(phases)}
    rates = {f"V{p + 1}": volt * omega * np.cos(omega * t + ph) for p, ph in enumerate(phases)}
    pert = adiabatic.perturbation(greens, onsite_rates=rates)
    return fsyst, greens, m, values, pert


def dense_matrices(greens, m, z, values):
    n = 2 * greens.num_sites
    a = z * np.eye(n, dtype=complex) - greens.hamiltonian(m, onsite_values=values).toarray()
    da = np.eye(n, dtype=complex)
    for orbs, (sigma, _, _) in zip(greens.lead_orbitals, greens.lead_data(z)):
        a[np.ix_(orbs, orbs)] -= sigma
    if complex(z).imag > 0:
        dsigma = adiabatic_sea.lead_selfenergy_derivatives(greens, z)
        for orbs, ds in zip(greens.lead_orbitals, dsigma):
            da[np.ix_(orbs, orbs)] -= ds
    return a, da


def onsite_blocks(mat):
    n = mat.shape[0] // 2
    idx = np.arange(n)
    return mat.reshape(n, 2, n, 2)[idx, :, idx, :]


def full_hdot(greens, pert):
    hd = np.zeros((2 * greens.num_sites,) * 2, dtype=complex)
    for k, s in enumerate(pert.sites):
        hd[2 * s:2 * s + 2, 2 * s:2 * s + 2] = pert.hdot[k]
    return hd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-8)
    parser.add_argument("--kT", type=float, default=0.0,
                        help="temperature of part 3 (the Fermi-sea term and, at kT > 0, the "
                             "Fermi-window integral of the Fermi-surface term)")
    parser.add_argument("--skip-dense", action="store_true",
                        help="skip parts 1-2's dense reference (minutes on 40x40)")
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()
    kl.limit_blas_threads(1)
    fsyst, greens, m, values, pert = setup(args.size)
    mu = 1.9
    hd = full_hdot(greens, pert)
    print(f"{args.size}x{args.size} device, {greens.num_sites} sites, Ḣ on {len(pert.sites)} "
          f"sites (gate columns), E_F = {mu}, 1 BLAS thread")
    greens.lead_data(mu)                                   # lead modes: cached for both ways

    # 1. Fermi-surface term
    t_fs, res_fs = median_time(lambda: adiabatic.first_order_density(
        greens, m, pert.hdot, pert.sites, mu=mu, fermi_sea=False, onsite_values=values),
        args.repeat)

    def dense_fs():
        a, _ = dense_matrices(greens, m, mu, values)
        g = np.linalg.inv(a)
        return onsite_blocks(g @ hd @ g.conj().T) / (2 * np.pi)

    t_fs_dense, fs_dense = (np.nan, res_fs.blocks) if args.skip_dense else median_time(dense_fs, 1)
    print("\n1. Fermi-surface term (1/2π) G^r Ḣ G^a")
    print(f"   {'method':<34}{'time [s]':>10}")
    print(f"   {'kwant_llg first_order_density':<34}{t_fs:>10.3f}")
    print(f"   {'dense inverse + products':<34}{t_fs_dense:>10.3f}")
    print(f"   ratio dense / kwant_llg: {t_fs_dense / t_fs:.0f}x; max |difference| = "
          f"{np.abs(res_fs.blocks - fs_dense).max():.1e}")

    # 2. one contour point
    z = 0.5 * (mu - 1.0) + 1.2j
    n = greens.num_sites
    orbs = greens.site_orbitals(pert.sites)
    rows = np.arange(n)
    adiabatic_sea.sea_blocks(greens, z, m, pert.hdot[None], orbs, rows, rows, onsite_values=values)
    t_pt, blocks = median_time(lambda: adiabatic_sea.sea_blocks(
        greens, z, m, pert.hdot[None], orbs, rows, rows, onsite_values=values)[0], args.repeat)

    def dense_point():
        a, da = dense_matrices(greens, m, z, values)
        g = np.linalg.inv(a)
        dg = -g @ da @ g
        return onsite_blocks(dg @ hd @ g)

    t_pt_dense, blocks_dense = (np.nan, blocks) if args.skip_dense else median_time(dense_point, 1)
    print("\n2. One Fermi-sea contour point: onsite blocks of ∂_z G Ḣ G")
    print(f"   {'method':<34}{'time [s]':>10}")
    print(f"   {'kwant_llg (3 sparse solves)':<34}{t_pt:>10.3f}")
    print(f"   {'dense inverse + products':<34}{t_pt_dense:>10.3f}")
    print(f"   ratio dense / kwant_llg: {t_pt_dense / t_pt:.0f}x; max relative difference = "
          f"{np.abs(blocks - blocks_dense).max() / np.abs(blocks_dense).max():.1e}")

    # 3. the whole Fermi-sea term
    t0 = time.perf_counter()
    sea = adiabatic.fermi_sea_density(greens, m, pert.hdot, pert.sites, mu=mu, kT=args.kT,
                                      onsite_values=values, tol=args.tol)
    t_sea = time.perf_counter() - t0
    print(f"\n3. Fermi-sea term at kT = {args.kT:g}, tol = {args.tol:g} (absolute, per "
          "matrix element)")
    print(f"   contour points: {sea.n_points}, time: {t_sea:.1f} s "
          f"({t_sea / sea.n_points:.3f} s/point), estimated error {sea.error:.1e}")
    print(f"   dense way for the same points: ~{sea.n_points * t_pt_dense:.0f} s "
          f"(ratio {sea.n_points * t_pt_dense / t_sea:.0f}x)")
    spin_fs, spin_sea = res_fs.spin, sea.spin
    print("   mean |⟨σ⟩^(1)| per site: Fermi surface "
          f"{np.linalg.norm(spin_fs, axis=1).mean():.3f}, "
          f"Fermi sea {np.linalg.norm(spin_sea, axis=1).mean():.3f}, total "
          f"{np.linalg.norm(spin_fs + spin_sea, axis=1).mean():.3f}")
    if args.kT > 0:
        t0 = time.perf_counter()
        fs_t = adiabatic.first_order_density(greens, m, pert.hdot, pert.sites, mu=mu,
                                             kT=args.kT, fermi_sea=False,
                                             onsite_values=values, tol=args.tol)
        print(f"   Fermi-surface term at kT = {args.kT:g}: {fs_t.n_points} real energies, "
              f"{time.perf_counter() - t0:.1f} s, estimated error {fs_t.error:.1e}")
    if args.reference:
        ref = adiabatic.fermi_sea_density(greens, m, pert.hdot, pert.sites, mu=mu, kT=args.kT,
                                          onsite_values=values, tol=args.tol / 100)
        print(f"   true error against tol/100: {np.abs(sea.blocks - ref.blocks).max():.1e} "
              f"({ref.n_points} points)")


if __name__ == "__main__":
    main()
