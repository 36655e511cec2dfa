"""Tutorial: Gilbert damping, inertia and spin-transfer coefficients from frozen Green's functions.

Xu et al., PRB 108, 144409 (2023), Sec. IV, express every coefficient of the LLG equation through
the frozen Green's functions of the electrons. This tutorial

1. computes the Gilbert damping tensor α (Eq. 19) of the single-molecule magnet (Fig. 1) versus
   the Fermi energy, the bias and the magnetisation angle, and compares it with the
   Brataas–Tserkovnyak–Bauer scattering-matrix formula (Eq. D1);
2. computes the inertia tensor ᾱ (Eq. 22) and runs the inertial LLG equation (Eq. 21) of the
   macrospin with these coefficients: precession plus nutation at ω_n ≈ 1/ᾱ;
3. drives the macrospin at FMR and compares the line width with the Lorentzian of α;
4. extracts the spin-transfer coefficients b_J and c_J (Eq. 31) of a domain wall in a ribbon
   under bias and compares b_J with the adiabatic estimate b₀ = P/2.

Run it as ``python tutorials/damping.py`` (``--small`` for a quick version, ``--no-plot``).
"""

import sys

import numpy as np

import kwant_llg
from kwant_llg import macrospin, spatial


# ------------------------------------------------------------------ 4. spin-transfer torque
def spin_transfer(small=False):
    """b_J, c_J and β of Bloch walls of increasing width in a W = 6 ribbon (Sec. IV D)."""
    W, energy = 6, 3.0
    widths = (1, 2, 4) if small else (1, 2, 3, 4, 6, 8)
    rows = []
    for lam in widths:
        L = 12 * lam + 10
        fsyst = spatial.ribbon(L, W, left=(0, 0, 1), right=(0, 0, -1)).finalized()
        greens = kwant_llg.FrozenGreens(fsyst, params=dict(t=1.0, J=2.0))
        m = spatial.domain_wall(fsyst, center=(L - 1) / 2, width=lam)
        P = spatial.lead_polarization(greens, energy, 0, (0, 0, 1))
        fit = spatial.spin_transfer_coefficients(greens, m, energy, width=W, polarization=P)
        rows.append((lam, fit.b_J, fit.b_0, fit.c_J, fit.beta))
        print(f"wall width {lam:3}: b_J = {fit.b_J:.5f}  b_J/b_0 = {fit.b_J / fit.b_0:.4f}  "
              f"c_J = {fit.c_J:+.2e}  beta = {fit.beta:+.2e}")
    rows = np.array(rows)
    # what the tutorial claims: b_J -> b_0 = P/2 and beta -> 0 for a wide (adiabatic) wall
    assert abs(rows[-1, 1] / rows[-1, 2] - 1) < 0.02
    assert abs(rows[-1, 4]) < 1e-3 and abs(rows[-1, 4]) < abs(rows[0, 4])
    return rows


def plot_spin_transfer(rows, ax):
    lam, b_J, b_0, _, beta = rows.T
    ax.plot(lam, b_J / b_0, "o-", label="b_J / b_0")
    ax.plot(lam, np.abs(beta), "s--", label="|β| = |c_J / b_J|")
    ax.axhline(1, color="gray", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("wall width λ (sites)")
    ax.set_title("domain wall in a ribbon, E_F = 3")
    ax.legend()


def main(small=False, show=True):
    results = {}
    print("4. Spin-transfer coefficients of a domain wall under bias")
    results["spin_transfer"] = spin_transfer(small)
    if show:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 4))
        plot_spin_transfer(results["spin_transfer"], ax)
        fig.tight_layout()
        plt.show()
    return results


if __name__ == "__main__":
    kwant_llg.limit_blas_threads(1)
    main(small="--small" in sys.argv, show="--no-plot" not in sys.argv)
