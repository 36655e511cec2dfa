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
   under bias and compares b_J with the adiabatic estimate b₀ = P/2;
5. switches the molecular magnet with its own current: the torque J m × ⟨σ⟩ of the dot's
   frozen spin density under bias (ferromagnetic source lead) drives the macrospin, which
   stays put below a threshold bias and reverses above it.

Normalisation (docs/theory.md, "α̃(ω) ↔ α, ᾱ"): the macrospin of ``kwant_llg.macrospin`` has
γ = 1 and feels the field −⟨∂H/∂m⟩, so its Gilbert damping is **2 ×** ``gilbert_damping``
(= α^BTB at T = 0), while ``inertia_tensor`` enters as it is.

Run it as ``python tutorials/damping.py`` (``--small`` for a quick version, ``--no-plot``).
"""

import sys

import numpy as np

import kwant_llg
from kwant_llg import macrospin, spatial


# ------------------------------------------------------------------ the molecular magnet
def molecular_magnet(*, J=0.5, t_so=0.05, polarization=(0.0, 0.0)):
    """A two-level dot with spin-orbit hopping and wide-band leads (Fig. 1, Eqs. 2–7)."""
    from kwant_llg import molecule
    t = np.array([[0.0, t_so], [-t_so, 0.0]])
    fsyst = molecule.molecule([-0.3, 0.4], t_so=t, gamma=(0.1, 0.1), polarization=polarization,
                              lead_hopping=100.0).finalized()
    return kwant_llg.FrozenGreens(fsyst, params=molecule.molecule_params(J=J))


def direction(theta, phi=0.0):
    return np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])


def uniform(greens, theta, phi=0.0):
    return np.tile(direction(theta, phi), (greens.num_sites, 1))


def transverse(tensor, m):
    """Mean of the two diagonal entries of a tensor in the plane ⊥ m (what damps a small
    precession about m)."""
    e1 = np.cross(m, [0.0, 1.0, 0.0] if abs(m[1]) < 0.9 else [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(m, e1)
    return 0.5 * (e1 @ tensor @ e1 + e2 @ tensor @ e2)


# ------------------------------------------------------------------ 1. Gilbert damping
def damping_sweeps(greens, small=False):
    """α (Eq. 19) versus Fermi energy, bias and magnetisation angle."""
    from kwant_llg import coefficients
    tol = 1e-6
    theta0 = 0.4
    m0 = uniform(greens, theta0)
    energies = np.array([-0.3, 0.0, 0.4]) if small else np.linspace(-0.8, 0.9, 18)
    biases = np.array([0.0, 0.4]) if small else np.linspace(0.0, 0.8, 9)
    angles = np.array([0.4, 1.2]) if small else np.linspace(0.0, np.pi, 9)
    res = {"energies": energies, "biases": biases, "angles": angles}
    res["alpha_E"] = np.array([coefficients.gilbert_damping(greens, m0, mu=e, tol=tol).value
                               for e in energies])
    res["alpha_V"] = np.array([coefficients.gilbert_damping(greens, m0, mu=(v / 2, -v / 2),
                                                            tol=tol).value for v in biases])
    res["alpha_theta"] = np.array([coefficients.gilbert_damping(greens, uniform(greens, th),
                                                                mu=0.0, tol=tol).value
                                   for th in angles])
    # 1b. Brataas–Tserkovnyak–Bauer: at T = 0 and V = 0 the symmetric part of Eq. (19) equals
    # α^BTB/2 from the energy derivative of the S matrix at E_F (Eq. D1, kwant_llg.scattering)
    from kwant_llg import scattering
    res["alpha_btb"] = np.array([scattering.btb_damping(greens, m0, e) / 2 for e in energies])
    for e, a, b in zip(energies, res["alpha_E"], res["alpha_btb"]):
        diff = np.abs(0.5 * (a + a.T) - b).max()
        print(f"  E_F = {e:+.3f}: |α_sym − α_BTB/2|_max = {diff:.1e} "
              f"(α_sym max {np.abs(a).max():.3f})")
        assert diff < 1e-4 * max(1.0, np.abs(a).max())
    for name, key, xs in (("E_F", "alpha_E", energies), ("V", "alpha_V", biases),
                          ("θ", "alpha_theta", angles)):
        for x, a in zip(xs, res[key]):
            eig = np.linalg.eigvalsh(0.5 * (a + a.T))
            print(f"  {name} = {x:+.3f}: α_xx {a[0, 0]:+.4f}  α_yy {a[1, 1]:+.4f}  "
                  f"α_zz {a[2, 2]:+.4f}  α_xy {a[0, 1]:+.4f}  eig(α_sym) {np.round(eig, 4)}")
    # in equilibrium the symmetric part dissipates: positive semidefinite
    for a in list(res["alpha_E"]) + list(res["alpha_theta"]):
        assert np.linalg.eigvalsh(0.5 * (a + a.T)).min() > -1e-6
    # α at zero bias is the first entry of the bias sweep and the E_F = 0 point
    assert np.allclose(res["alpha_V"][0], res["alpha_E"][list(energies).index(0.0)], atol=1e-6)
    return res


# ------------------------------------------------------------------ 2. inertia and nutation
def inertia_and_nutation(greens, small=False):
    """ᾱ (Eq. 22) and the inertial macrospin (Eq. 21) with the microscopic α and ᾱ
    (the macrospin's damping is 2 × Eq. 19, its inertia Eq. 22; docs/theory.md)."""
    from kwant_llg import coefficients
    theta0 = 0.4
    m_eq = direction(theta0)
    m = uniform(greens, theta0)
    alpha = coefficients.gilbert_damping(greens, m, mu=0.0, tol=1e-6).value
    inertia = coefficients.inertia_tensor(greens, m, mu=0.0, tol=1e-6).value
    a_perp, tau = 2 * transverse(alpha, m_eq), transverse(inertia, m_eq)
    print(f"  transverse damping 2α = {a_perp:.4f}, transverse ᾱ = {tau:.4f}")
    assert a_perp > 0 and tau > 0
    # macrospin held along m_eq by a field H (e.g. an anisotropy field), tilted and released
    H = 0.2
    s = macrospin.Macrospin(direction(theta0 + 0.02), field=H * m_eq, alpha=a_perp,
                            inertia=tau, dt=tau / 40, v0=(0, 0, 0))
    times = np.arange(0, (6 if small else 20) * 2 * np.pi * tau, tau / 40)
    traj = s.trajectory(times)
    e1 = np.cross(m_eq, [0, 1, 0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(m_eq, e1)
    u = traj @ e1 + 1j * (traj @ e2)
    slow, fast = macrospin.nutation_roots(field=H, alpha=a_perp, inertia=tau)
    # remove the slow precession (amplitude by least squares), then read the nutation
    # frequency off the phase slope of what is left
    basis = np.stack([np.exp(slow * times), np.exp(fast * times)], axis=1)
    coef = np.linalg.lstsq(basis, u, rcond=None)[0]
    nut = u - coef[0] * np.exp(slow * times)
    # phase slope while the nutation (decaying at α/ᾱ) is still far above round-off
    keep = times < 8 * tau / a_perp
    omega_n = np.polyfit(times[keep], np.unwrap(np.angle(nut[keep])), 1)[0]
    print(f"  nutation: measured ω_n = {omega_n:+.4f}, exact root of τs² + (α+i)s + γH = 0: "
          f"{fast.imag:+.4f}, 1/ᾱ = {1 / tau:.4f}")
    assert abs(omega_n / fast.imag - 1) < 1e-3
    return dict(alpha=alpha, inertia=inertia, alpha_perp=a_perp, tau=tau, times=times, u=u,
                omega_n=omega_n, exact=fast)


# ------------------------------------------------------------------ 3. FMR line width
def fmr(alpha_perp, small=False):
    """Driven macrospin: simulated resonance curve against the Lorentzian of α."""
    H0, h = 1.0, 1e-4
    omegas = np.linspace(0.7, 1.3, 5 if small else 13)
    radii = []
    for w in omegas:
        s = macrospin.Macrospin((0, 0, 1), field=macrospin.RotatingField((0, 0, H0), h, w),
                                alpha=alpha_perp, dt=0.05)
        t0 = 12 / (alpha_perp * H0)
        traj = s.trajectory(np.linspace(t0, t0 + 2 * np.pi / w, 5))
        radii.append(np.mean(np.hypot(traj[:, 0], traj[:, 1])))
    radii = np.array(radii)
    expected = np.abs(macrospin.fmr_susceptibility(omegas, field=H0, alpha=alpha_perp)) * h
    print("  ω:        " + " ".join(f"{w:8.3f}" for w in omegas))
    print("  simulated " + " ".join(f"{r:8.2e}" for r in radii))
    print("  Lorentz   " + " ".join(f"{r:8.2e}" for r in expected))
    assert np.allclose(radii, expected, rtol=2e-2)
    return dict(omegas=omegas, radii=radii, expected=expected,
                half_width=alpha_perp * H0 / (1 + alpha_perp ** 2))


def damping_kernel(greens, alpha_perp, omegas):
    """α(ω) from the dissipative part of α̃(ω), Eq. (30), at the magnetisation of section 2.

    With the normalisation of :func:`kwant_llg.coefficients.dynamic_damping`,
    α̃(ω) = α̃(0) + 2iωα + O(ω²) with α = ``gilbert_damping``, and the macrospin's damping is
    2α, so the damping that sets the FMR line width at the frequency ω is
    α(ω) = Re[(α̃_⊥(ω) − α̃_⊥(0)) / (iω)] (one α̃ costs about a minute here).
    """
    from kwant_llg import coefficients
    m = uniform(greens, 0.4)
    m_eq = direction(0.4)
    d0 = transverse(coefficients.dynamic_damping(greens, m, 0.0, mu=0.0, tol=1e-5).value, m_eq)
    out = []
    for w in omegas:
        d = transverse(coefficients.dynamic_damping(greens, m, w, mu=0.0, tol=1e-5).value, m_eq)
        out.append(((d - d0) / (1j * w)).real)
        print(f"  ω = {w:.3f}: α(ω) = {out[-1]:.5f}   (2 × Eq. 19: {alpha_perp:.5f})")
    out = np.array(out)
    # the low-frequency end reproduces the adiabatic damping
    assert abs(out[0] / alpha_perp - 1) < 1e-2
    return dict(omegas=np.asarray(omegas), alpha=out,
                half_width=out * np.asarray(omegas) / (1 + out ** 2))


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


# ------------------------------------------------------------------ 5. current-driven switching
def current_switching(small=False):
    """Switching of a uniaxial single-molecule magnet by the torque of its own dot under bias.

    One level (ε = 0, J = 0.3, Γ_L = Γ_R = 0.1), the source lead polarised along +ẑ (p = 0.8),
    a normal drain, μ = ±V/2. For each bias the frozen torque T(m) = J m × ⟨σ⟩(m) (Eqs. 13, 14)
    is tabulated over the polar angle (``kwant_llg.torque.MacrospinTorque``) and drives the
    macrospin with anisotropy K along ẑ and damping α₀ + 2α_⊥, α_⊥ the symmetric transverse
    part of Eq. (19) at m = ẑ and this bias (the antisymmetric part, a renormalisation of γ,
    is left out). +ẑ loses stability where Re[(2iK + c)/(1 − iα)] > 0, c the linearised torque.
    """
    from kwant_llg import coefficients, molecule, torque
    fsyst = molecule.molecule([0.0], gamma=(0.1, 0.1), polarization=(0.8, 0.0),
                              lead_axis=((0, 0, 1), (0, 0, 1)), lead_hopping=10.0).finalized()
    greens = kwant_llg.FrozenGreens(fsyst, params=molecule.molecule_params(J=0.3))
    K, alpha0 = 0.04, 0.02
    up = uniform(greens, 0.0)
    biases = np.array([0.1, 0.6]) if small else np.linspace(0.1, 0.6, 6)
    times = np.linspace(0, 1200, 121)
    rows, trajs = [], []
    for V in biases:
        mu = (V / 2, -V / 2)
        a_el = 2 * transverse(coefficients.gilbert_damping(greens, up, mu=mu, tol=1e-6).value,
                              direction(0.0))
        tq = torque.MacrospinTorque(greens, mu=mu, num_angles=6, tol=1e-6)
        alpha = alpha0 + a_el
        rate = tq.growth_rate(field=2 * K, alpha=alpha)
        spin = macrospin.Macrospin(direction(0.05), field=macrospin.UniaxialField(K=K),
                                   alpha=alpha, torque=tq, dt=0.25)
        traj = spin.trajectory(times)
        trajs.append(traj[:, 2])
        rows.append((V, a_el, tq.linear.real, tq.linear.imag, rate, traj[-1, 2]))
        print(f"  V = {V:.2f}: 2α_⊥ = {a_el:.4f}, c = {tq.linear:.5f}, growth rate "
              f"{rate:+.2e}, final m_z = {traj[-1, 2]:+.3f}")
        # the linear stability of +ẑ decides: stable → stays; unstable → switched (where the
        # tilt has grown by e⁶ within the run; just above threshold the growth is too slow)
        if rate < 0:
            assert traj[:, 2].min() > 0.99
        elif rate * times[-1] > 6:
            assert traj[-1, 2] < -0.99
    rows = np.array(rows)
    rates = rows[:, 4]
    assert rates[0] < 0 < rates[-1]
    k = int(np.flatnonzero(rates > 0)[0])
    slope = (rates[k] - rates[k - 1]) / (biases[k] - biases[k - 1])
    threshold = biases[k - 1] - rates[k - 1] / slope
    print(f"  threshold bias (growth rate = 0, linear interpolation): V_c ≈ {threshold:.3f}")
    return dict(biases=biases, rows=rows, times=times, mz=np.array(trajs), threshold=threshold)


def plot_switching(res, ax):
    for V, mz in zip(res["biases"], res["mz"]):
        ax.plot(res["times"], mz, label=f"V = {V:.2f}")
    ax.set_xlabel("t (ħ/t)")
    ax.set_ylabel("m_z")
    ax.set_title(f"current-driven switching, V_c ≈ {res['threshold']:.2f}")
    ax.legend(fontsize=7)


SECTIONS = ("damping", "inertia", "fmr", "kernel", "spin_transfer", "switching")


def main(small=False, show=True, sections=SECTIONS):
    results = {}
    greens = molecular_magnet() if set(sections) & {"damping", "inertia", "fmr", "kernel"} \
        else None
    if "damping" in sections:
        print("1. Gilbert damping of the molecular magnet (Eq. 19)")
        results["damping"] = damping_sweeps(greens, small)
    if "inertia" in sections or "fmr" in sections:
        print("2. Inertia (Eq. 22) and nutation of the macrospin (Eq. 21)")
        results["inertia"] = inertia_and_nutation(greens, small)
    if "fmr" in sections:
        print("3. FMR of the driven macrospin")
        results["fmr"] = fmr(results["inertia"]["alpha_perp"], small)
    if "kernel" in sections and not small:
        print("3b. Frequency-dependent damping from α̃(ω) (Eq. 30)")
        if "inertia" not in results:
            results["inertia"] = inertia_and_nutation(greens, small)
        results["kernel"] = damping_kernel(greens, results["inertia"]["alpha_perp"],
                                           (0.02, 0.1, 0.3))
    if "spin_transfer" in sections:
        print("4. Spin-transfer coefficients of a domain wall under bias")
        results["spin_transfer"] = spin_transfer(small)
    if "switching" in sections:
        print("5. Current-driven switching with the dot's own torque")
        results["switching"] = current_switching(small)
    if show:
        plot(results)
    return results


def plot(results):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 4, figsize=(18, 8))
    if "damping" in results:
        d = results["damping"]
        for ax, key, xs, label in ((axes[0, 0], "alpha_E", d["energies"], "Fermi energy"),
                                   (axes[0, 1], "alpha_V", d["biases"], "bias V"),
                                   (axes[0, 2], "alpha_theta", d["angles"], "θ (rad)")):
            for (i, j), name in (((0, 0), "α_xx"), ((1, 1), "α_yy"), ((2, 2), "α_zz"),
                                 ((0, 1), "α_xy")):
                ax.plot(xs, d[key][:, i, j], "o-", label=name)
            ax.set_xlabel(label)
            ax.legend()
        axes[0, 0].plot(d["energies"], d["alpha_btb"][:, 0, 0], "k+", ms=10, label="BTB/2, xx")
        axes[0, 0].legend()
        axes[0, 0].set_title("Gilbert damping, Eq. (19)")
    if "inertia" in results:
        r = results["inertia"]
        ax = axes[1, 0]
        ax.plot(r["times"], r["u"].real, lw=0.8)
        ax.set_xlabel("t")
        ax.set_ylabel("δm ⊥ (e₁)")
        ax.set_title(f"precession + nutation, ω_n = {abs(r['omega_n']):.2f}")
    if "fmr" in results:
        r = results["fmr"]
        ax = axes[1, 1]
        ax.plot(r["omegas"], r["radii"], "o", label="simulated")
        ax.plot(r["omegas"], r["expected"], "-", label="Lorentzian of α")
        ax.set_xlabel("drive ω")
        ax.set_title("FMR cone radius")
        ax.legend()
    if "spin_transfer" in results:
        plot_spin_transfer(results["spin_transfer"], axes[1, 2])
    if "switching" in results:
        plot_switching(results["switching"], axes[1, 3])
    axes[0, 3].axis("off")
    fig.tight_layout()
    plt.show()


if __name__ == "__main__":
    kwant_llg.limit_blas_threads(1)
    main(small="--small" in sys.argv, show="--no-plot" not in sys.argv)
