"""The ``kwant-llg`` command line.

Subcommands (one function ``_cmd_<name>`` and one ``_add_<name>`` parser builder each):

* ``transport``: spin-resolved T(E) and DOS(E) of the seed's device with and without a
  skyrmion, the paper's Fig. 3.

* ``pump``, ``sweep-amplitude``, ``sweep-frequency``: parametric pumping with and without a
  skyrmion and its sweeps, the paper's Figs. 4–6 (in :mod:`kwant_llg.cli_pump`).
"""

import argparse
import sys
import time

import numpy as np

from ._common import limit_blas_threads, KwantLLGError

__all__ = ["main", "build_parser", "limit_blas_threads"]

_DEFAULT_ENERGIES = 201          # 40×40: about 70 s on the project's 2-core machines
_QUICK_SIZE, _QUICK_ENERGIES = 12, 24

#: set_num_threads symbols of the OpenBLAS builds found in practice (system, NumPy, SciPy).


# --------------------------------------------------------------------------- BLAS threads


# ----------------------------------------------------------------------------- progress
class _TextBar:
    """Minimal progress bar on a stream (used when tqdm is not installed)."""

    def __init__(self, total, *, desc="", stream=None, width=30):
        self.total, self.desc, self.width = max(int(total), 1), desc, width
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self._last = -1

    def update_to(self, done):
        frac = min(max(done / self.total, 0.0), 1.0)
        filled = int(round(frac * self.width))
        if filled == self._last and done < self.total:
            return
        self._last = filled
        elapsed = time.perf_counter() - self.start
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.desc} [{bar}] {done}/{self.total} "
                          f"{elapsed:5.0f} s elapsed, ~{eta:4.0f} s left ")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


class _TqdmBar:
    def __init__(self, total, *, desc=""):
        from tqdm import tqdm
        self._bar = tqdm(total=total, desc=desc, file=sys.stderr, unit="E")

    def update_to(self, done):
        self._bar.update(done - self._bar.n)

    def close(self):
        self._bar.close()


class _NoBar:
    def update_to(self, done):
        pass

    def close(self):
        pass


def _progress_bar(total, *, desc, enabled):
    if not enabled:
        return _NoBar()
    try:
        return _TqdmBar(total, desc=desc)
    except ImportError:
        return _TextBar(total, desc=desc)


# ---------------------------------------------------------------------------- transport
def _add_transport(subparsers):
    p = subparsers.add_parser(
        "transport", help="spin-resolved T(E) and DOS(E) with and without a skyrmion (Fig. 3)",
        description="Transmission T_RL(E) (left to right, resolved by the incoming spin) and "
                    "density of states of the seed's L×W device, without and with a skyrmion "
                    "(analytic Bloch trial texture, polarity −1, centred, radius min(L, W)/4) "
                    "as in Fig. 3 of Xu et al., PRB 108, 144409 (2023). Writes "
                    "transport.npz, the figure and info.json to --out.")
    p.add_argument("--size", nargs=2, type=int, metavar=("L", "W"), default=None,
                   help="device length and width (default 40 40; 12 12 with --quick)")
    p.add_argument("--energies", type=int, default=None, metavar="N",
                   help=f"number of energies (default {_DEFAULT_ENERGIES}; "
                        f"{_QUICK_ENERGIES} with --quick)")
    p.add_argument("--emin", type=float, default=0.0, help="lowest energy (default 0)")
    p.add_argument("--emax", type=float, default=8.0, help="highest energy (default 8)")
    p.add_argument("--J", type=float, default=2.0, help="exchange J of J σ·m (default 2)")
    p.add_argument("--t", type=float, default=1.0, help="hopping t (default 1)")
    p.add_argument("--radius", type=float, default=None,
                   help="skyrmion radius (m_z = 0 contour; default min(L, W)/4 = 10)")
    p.add_argument("--helicity", type=float, default=np.pi / 2,
                   help="skyrmion helicity in rad (default π/2, Bloch)")
    p.add_argument("--reference", choices=("nonmagnetic", "uniform"), default="nonmagnetic",
                   help="the 'no skyrmion' case: 'nonmagnetic' (J = 0, spin degenerate like "
                        "the paper's Fig. 3(a,b); default) or 'uniform' (m = +z everywhere "
                        "with the same J)")
    p.add_argument("--out", default="output/transport", metavar="DIR",
                   help="output directory (default ./output/transport)")
    p.add_argument("--format", choices=("png", "pdf"), default="png", help="figure format")
    p.add_argument("--quick", action="store_true",
                   help=f"small and fast: {_QUICK_SIZE}×{_QUICK_SIZE} device, "
                        f"{_QUICK_ENERGIES} energies (for tests)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--blas-threads", type=int, default=1, metavar="N",
                   help="threads per BLAS library (default 1: several OpenBLAS copies are "
                        "loaded and more threads make the lead mode computation much slower)")
    p.set_defaults(func=_cmd_transport)


def _transport_textures(fsyst, L, W, args):
    from . import textures
    radius = args.radius if args.radius is not None else min(L, W) / 4
    sk = textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), radius,
                           helicity=args.helicity, polarity=-1)
    return textures.uniform(fsyst, (0, 0, 1)), sk, radius


def _cmd_transport(args):
    from . import devices, io, transport

    limit_blas_threads(args.blas_threads)
    L, W = args.size if args.size is not None else ((_QUICK_SIZE,) * 2 if args.quick else (40, 40))
    num = args.energies if args.energies is not None else (
        _QUICK_ENERGIES if args.quick else _DEFAULT_ENERGIES)
    with io.run_record(args.out, arguments=_arguments(args), command="transport") as info:
        start = time.perf_counter()
        energies = transport.energy_grid(args.emin, args.emax, num)
        fsyst = devices.skyrmion_device(L, W).finalized()
        params = devices.seed_params(J=args.J, t=args.t)
        uni, sky, radius = _transport_textures(fsyst, L, W, args)
        if args.reference == "uniform":     # one FrozenGreens for both textures
            jobs = [(params, {"no skyrmion": uni, "skyrmion": sky})]
            ref_title = f"no skyrmion (uniform m = +z, J = {args.J:g})"
        else:
            jobs = [(dict(params, J=0.0), {"no skyrmion": uni}), (params, {"skyrmion": sky})]
            ref_title = "no skyrmion (nonmagnetic, J = 0)"
        bar = _progress_bar(num * len(jobs), desc=f"transport {L}x{W}", enabled=not args.quiet)
        results = []
        try:
            for k, (prm, tex) in enumerate(jobs):
                results.append(transport.transport_spectrum(
                    fsyst, energies, tex, params=prm,
                    progress=lambda i, n, k=k: bar.update_to(k * n + i)))
        finally:
            bar.close()
        result = transport.merge_results(*results)
        arrays = result.to_arrays()
        arrays.update({"texture:no skyrmion": uni, "texture:skyrmion": sky,
                       "positions": np.array([s.pos for s in fsyst.sites])})
        data_path = io.save_arrays(f"{args.out}/transport.npz", arrays)
        info["files"].append(data_path.name)

        import matplotlib
        matplotlib.use("Agg")
        from . import plotting
        jabs = abs(args.J)
        fig = plotting.plot_transport(
            result, emin=args.emin, emax=args.emax, marks=(jabs, 8 * args.t - jabs),
            titles={"no skyrmion": ref_title,
                    "skyrmion": f"skyrmion (R = {radius:g}, J = {args.J:g}), {L}×{W}"})
        fig_path = io.save_figure(fig, f"{args.out}/transport.{args.format}")
        import matplotlib.pyplot as plt
        plt.close(fig)
        info["files"].append(fig_path.name)

        checks = _transport_checks(result, jabs, 8 * args.t)
        info["results"].update(checks)
        info["results"]["size"] = [L, W]
        info["results"]["radius"] = radius
        elapsed = time.perf_counter() - start
    print(f"kwant-llg transport: {L}x{W}, {num} energies in {elapsed:.1f} s; "
          f"figure {fig_path}, data {data_path}; with skyrmion the transmission spin "
          f"polarisation P = (T_up - T_down)/T is {checks['polarization_low']:+.4f} for "
          f"0 < E < {jabs:g} and {checks['polarization_high']:+.4f} for "
          f"{8 * args.t - jabs:g} < E < {8 * args.t:g}"
          + (f"; {checks['shifted_energies']} energies shifted off band edges"
             if checks["shifted_energies"] else ""))
    return 0


def _transport_checks(result, jabs, top):
    """Numbers for the summary line and info.json."""
    ref = result.t_in("no skyrmion", "up") - result.t_in("no skyrmion", "down")
    shifted = sorted({int(i) for n in result.names for i in result.shifted(n)})
    return {"polarization_low": result.spin_polarization("skyrmion", 0.0, jabs),
            "polarization_high": result.spin_polarization("skyrmion", top - jabs, top),
            "max_abs_T_up_minus_T_down_no_skyrmion": float(np.abs(ref).max()),
            "shifted_energies": len(shifted),
            "shifted_energy_values": [float(result.energies_used[n][i])
                                      for n in result.names for i in result.shifted(n)]}


# ------------------------------------------------------------------------------ driver
def _pump_subcommands():
    from . import cli_pump_args as args
    return (args._add_pump, args._add_sweep_amplitude, args._add_sweep_frequency)


def _damping_subcommands():
    from . import cli_damping
    return (cli_damping._add_damping,)


_SUBCOMMANDS = (_add_transport,) + _pump_subcommands() + _damping_subcommands()


def _arguments(args):
    return {k: v for k, v in vars(args).items() if k != "func"}


def build_parser():
    """The ``argparse`` parser of ``kwant-llg`` with all subcommands."""
    parser = argparse.ArgumentParser(
        prog="kwant-llg",
        description="Microscopic LLG dynamics from frozen Green's functions (Xu et al., "
                    "PRB 108, 144409 (2023)).")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None):
    """Entry point of the ``kwant-llg`` console script; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except KwantLLGError as exc:
        print(f"kwant-llg {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
