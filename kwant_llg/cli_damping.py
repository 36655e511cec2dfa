"""``kwant-llg damping``: LLG coefficient tensors of the single-molecule magnet.

Builds the quantum dot of :mod:`kwant_llg.molecule` (Fig. 1, Eqs. 2–7) for the given
parameters and prints the Gilbert damping tensor α (Eq. 19) and, on request, the inertia
tensor ᾱ (Eq. 22) and the η tensor (Eq. B5), in the project's sign convention
(:mod:`kwant_llg.coefficients`), as a human-readable table or as JSON (``--json``).
"""

import json
import sys
import time

import numpy as np

from ._common import KwantLLGError, limit_blas_threads

__all__ = []


def _add_damping(subparsers):
    p = subparsers.add_parser(
        "damping", help="Gilbert damping, inertia and η tensors of the molecular magnet",
        description="LLG coefficient tensors (Eqs. 19, 22, B5) of the single-molecule magnet "
                    "of Fig. 1 from its frozen Green's functions.")
    p.add_argument("--levels", type=float, nargs="+", default=[0.0],
                   help="orbital energies of the dot (default: one level at 0)")
    p.add_argument("--t-so", type=float, default=0.0,
                   help="spin-orbit hopping t^SO_nm = −t^SO_mn = T for n < m (Eq. 4)")
    p.add_argument("--J", type=float, default=0.5, help="exchange J of J σ·m (default 0.5)")
    p.add_argument("--theta", type=float, default=0.0,
                   help="polar angle of m in degrees (default 0)")
    p.add_argument("--phi", type=float, default=0.0,
                   help="azimuthal angle of m in degrees (default 0)")
    p.add_argument("--B", type=float, nargs=3, default=(0.0, 0.0, 0.0),
                   help="Zeeman energy vector of σ·B on the dot")
    p.add_argument("--gamma", type=float, nargs=2, default=(0.1, 0.1),
                   help="wide-band broadenings Γ_L Γ_R (default 0.1 0.1)")
    p.add_argument("--polarization", type=float, nargs=2, default=(0.0, 0.0),
                   help="lead polarisations p_L p_R along z (default 0 0)")
    p.add_argument("--lead-hopping", type=float, default=10.0,
                   help="hopping of the lead chains (bandwidth 4×; default 10)")
    p.add_argument("--mu", type=float, default=0.0, help="Fermi energy (default 0)")
    p.add_argument("--bias", type=float, default=0.0,
                   help="bias V: μ_L = mu + V/2, μ_R = mu − V/2 (default 0)")
    p.add_argument("--kT", type=float, default=0.0, help="temperature k_B T (default 0)")
    p.add_argument("--inertia", action="store_true", help="also compute ᾱ (Eq. 22)")
    p.add_argument("--eta", action="store_true", help="also compute η (Eq. B5)")
    p.add_argument("--tol", type=float, default=1e-8,
                   help="relative tolerance of the energy quadrature (default 1e-8)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_damping)


def _direction(theta_deg, phi_deg):
    th, ph = np.radians(theta_deg), np.radians(phi_deg)
    if not (0 <= theta_deg <= 180):
        raise KwantLLGError(f"--theta must be in [0, 180] degrees, got {theta_deg}.")
    return np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])


def damping_tensors(args):
    """The tensors requested by the parsed ``args`` (a dict of name → Coefficient)."""
    from . import coefficients, molecule
    from .greens import FrozenGreens
    n = len(args.levels)
    t_so = np.zeros((n, n))
    t_so[np.triu_indices(n, 1)] = args.t_so
    t_so = t_so - t_so.T
    fsyst = molecule.molecule(args.levels, t_so=t_so, gamma=args.gamma,
                              polarization=args.polarization,
                              lead_hopping=args.lead_hopping).finalized()
    greens = FrozenGreens(fsyst, params=molecule.molecule_params(J=args.J, B=tuple(args.B)))
    m = np.tile(_direction(args.theta, args.phi), (greens.num_sites, 1))
    mu = (args.mu + args.bias / 2, args.mu - args.bias / 2)
    kw = dict(mu=mu, kT=args.kT, tol=args.tol)
    out = {"alpha": coefficients.gilbert_damping(greens, m, **kw)}
    if args.inertia:
        out["inertia"] = coefficients.inertia_tensor(greens, m, **kw)
    if args.eta:
        out["eta"] = coefficients.eta_tensor(greens, m, **kw)
    return out


def _table(name, coefficient):
    lines = [f"{name} (Eq. {coefficient.equation}), quadrature error {coefficient.error:.1e}:"]
    for row in coefficient.value:
        lines.append("  " + "  ".join(f"{v:+.6e}" for v in row))
    return "\n".join(lines)


def _cmd_damping(args):
    limit_blas_threads(1)
    if args.kT < 0:
        raise KwantLLGError(f"--kT must be >= 0, got {args.kT}.")
    start = time.perf_counter()
    tensors = damping_tensors(args)
    elapsed = time.perf_counter() - start
    if args.json:
        record = {"parameters": {k: v for k, v in vars(args).items() if k != "func"},
                  "seconds": elapsed}
        for name, c in tensors.items():
            record[name] = {"value": c.value.tolist(), "symmetric": c.symmetric.tolist(),
                            "error": c.error, "equation": c.equation}
        if "alpha" in tensors:
            # Eq. 19 as printed has half the prefactor of Eqs. 22/30 (docs/theory.md)
            record["alpha"]["macrospin_damping"] = (2 * tensors["alpha"].value).tolist()
        json.dump(record, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    m = _direction(args.theta, args.phi)
    print(f"molecular magnet: levels {args.levels}, t_SO {args.t_so}, J {args.J}, "
          f"m = ({m[0]:.4f}, {m[1]:.4f}, {m[2]:.4f}), Γ = {tuple(args.gamma)}, "
          f"p = {tuple(args.polarization)}")
    print(f"mu = {args.mu}, bias = {args.bias}, kT = {args.kT}  ({elapsed:.1f} s)")
    names = {"alpha": "Gilbert damping α", "inertia": "inertia ᾱ", "eta": "η"}
    for name, c in tensors.items():
        print(_table(names[name], c))
        if name == "alpha":
            eig = np.linalg.eigvalsh(c.symmetric)
            print("  eigenvalues of the symmetric part: " + "  ".join(f"{e:+.6e}" for e in eig))
            print("  (Eq. 19 as printed; the Gilbert damping of the macrospin LLG is 2α, "
                  "see docs/conventions.md)")
    return 0
