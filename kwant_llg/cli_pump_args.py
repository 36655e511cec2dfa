"""Command-line options of the pumping subcommands (``pump``, ``sweep-amplitude``,
``sweep-frequency``); the commands themselves are in :mod:`kwant_llg.cli_pump`."""

from .cli_pump import (ELECTRONS, SEED, _AMPLITUDES, _FREQUENCIES, _QUICK, _cmd_pump,
                       _cmd_sweep_amplitude, _cmd_sweep_frequency)

__all__ = []


def _common_options(p, *, periods_default):
    p.add_argument("--periods", type=float, default=None,
                   help=f"pump periods to simulate (default {periods_default:g}; "
                        f"{_QUICK['periods']:g} with --quick)")
    p.add_argument("--size", nargs=2, type=int, metavar=("L", "W"), default=None,
                   help=f"device length and width (default 40 40; {_QUICK['L']} "
                        f"{_QUICK['W']} with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="small and short: a quick look, and what the tests run")
    p.add_argument("--energy", "-E", type=float, default=SEED["E"],
                   help="Fermi energy E (default 1.9)")
    p.add_argument("--J", type=float, default=SEED["J"], help="s-d exchange J (default 2)")
    p.add_argument("--phi", type=float, default=SEED["phi"],
                   help="phase difference of the gates in rad (default π/2)")
    p.add_argument("--alpha", type=float, default=SEED["alpha"],
                   help="Gilbert damping (default 0.4)")
    p.add_argument("--D", type=float, default=SEED["D"], help="DMI (default 0.2)")
    p.add_argument("--K", type=float, default=SEED["K"], help="anisotropy (default 0.07)")
    p.add_argument("--dt", type=float, default=SEED["dt"],
                   help="RK4: largest time step in ħ/J_ex, the step used divides the record "
                        "interval; dopri5: first trial step (default 0.1)")
    p.add_argument("--radius", type=float, default=None,
                   help="radius of the trial skyrmion before relaxation (default L/4)")
    p.add_argument("--integrator", choices=("rk4", "dopri5"), default=None,
                   help="LLG integrator: adaptive Dormand-Prince 5(4) (default with adiabatic "
                        "electrons), which shrinks its step through the narrow gate "
                        "resonances of the seed's device, or fixed-step RK4 (unstable at "
                        "those resonances; the only one, and the default, for --electrons "
                        "floquet and td)")
    p.add_argument("--tol", type=float, default=SEED["tol"],
                   help="local error per unit time of --integrator dopri5 (default 1e-6)")
    p.add_argument("--torque", choices=("fermi-surface", "adiabatic"), default="fermi-surface",
                   help="first-order pumped density: Fermi-surface term (the seed's, default) "
                        "or Fermi surface + Fermi sea (one contour integral per solve)")
    p.add_argument("--equilibrium", action="store_true",
                   help="add the equilibrium density <σ>^(0) to the electron field")
    p.add_argument("--velocity", action="store_true",
                   help="add the magnetisation-velocity term (electronic damping; dense "
                        "3n x 3n solve per stage: small devices only; needs --integrator rk4; "
                        "with --electrons floquet: that of the undriven texture)")
    p.add_argument("--electrons", choices=ELECTRONS, default="adiabatic",
                   help="electron model: the seed's adiabatic expansion (default), Floquet "
                        "electrons exact in V and ω_p (small devices), or tkwant's "
                        "time-dependent electrons (devices of ~10×10); the last two act "
                        "through their full spin density and need --magnetic-leads")
    p.add_argument("--magnetic-leads", action="store_true",
                   help="leads magnetised along +z, the skyrmion's far field (no bound "
                        "states; needed by --electrons floquet and td)")
    p.add_argument("--sidebands", type=int, default=None, metavar="N",
                   help="--electrons floquet: sidebands -N..N (default ceil(V/ω_p) + 3; the "
                        "run warns when the outermost sidebands keep weight)")
    p.add_argument("--resolve-tol", type=float, default=1e-3,
                   help="--electrons floquet: re-solve the electrons when a spin has moved by "
                        "more than this since the last solve (default 1e-3)")
    p.add_argument("--floquet-tol", type=float, default=1e-6,
                   help="--electrons floquet: accuracy of the Fermi-sea energy integral "
                        "(default 1e-6)")
    p.add_argument("--tkwant-order", type=int, default=40,
                   help="--electrons td: order of tkwant's momentum quadrature (default 40: "
                        "at 20 the periodic current of the 8x6 device is 15%% off after three "
                        "periods, docs/theory.md; the run file's I_p_error records the "
                        "error estimate)")
    p.add_argument("--tkwant-refine-tol", type=float, default=0.0,
                   help="--electrons td: tolerance of tkwant's adaptive interval refinement "
                        "(default 0: none; refinement costs minutes of set-up on 10x10)")
    p.add_argument("--tkwant-refine-every", type=float, default=None, metavar="PERIODS",
                   help="--electrons td: refine tkwant's quadrature of the pumped current "
                        "again every PERIODS drive periods (to --tkwant-refine-tol, else 1e-4); "
                        "the run file's I_p_error records its error estimate")
    p.add_argument("--tkwant-switch-on", type=float, default=0.0, metavar="PERIODS",
                   help="--electrons td: ramp the drive on over PERIODS periods (sin^2; "
                        "default 0: abrupt, which kicks the texture at t = 0)")
    p.add_argument("--tkwant-tmax", type=float, default=None, metavar="T",
                   help="--electrons td: time the run may reach (default: the run's "
                        "length; a run to be resumed with more periods needs the longer "
                        "time); tkwant prepares its lead boundary conditions to 1.4 times "
                        "it, as they hold to about 3/4 of that")
    p.add_argument("--no-relax", action="store_true",
                   help="start from the analytic trial skyrmion instead of relaxing it")
    p.add_argument("--records-per-period", type=int, default=None, metavar="N",
                   help="records per pump period (default 40; 16 with --quick)")
    p.add_argument("--out", default=None, metavar="DIR", help="output directory")
    p.add_argument("--resume", action="store_true",
                   help="continue the runs found in --out from their last checkpoint")
    p.add_argument("--si", action="store_true",
                   help="plot time in ps, lengths in nm, currents in nA (Table I)")
    p.add_argument("--jex-mev", type=float, default=1.0,
                   help="J_ex in meV for --si (default 1)")
    p.add_argument("--a-nm", type=float, default=0.5,
                   help="lattice constant in nm for --si (default 0.5)")
    p.add_argument("--executor", choices=("process", "dask", "mpi", "serial"),
                   default="process",
                   help="where the runs go (default: a process pool; 'dask': a local Dask "
                        "cluster; 'mpi': mpi4py.futures, start under mpiexec)")
    p.add_argument("--workers", type=int, default=None, help="number of workers")
    p.add_argument("--format", choices=("png", "pdf"), default="png", help="figure format")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_pump(subparsers):
    p = subparsers.add_parser(
        "pump", help="pumped current and skyrmion motion (Fig. 4)",
        description="Parametric pumping by two gates driven out of phase, with and "
                    "without a skyrmion (Fig. 4 of Xu et al., PRB 108, 144409 (2023)): "
                    "I_p(t), its spin components and the skyrmion centre R(t). Writes "
                    "pump_skyrmion.h5, pump_no_skyrmion.h5, the figure and info.json to "
                    "--out.")
    _common_options(p, periods_default=10)
    p.add_argument("--V", type=float, default=SEED["V"], help="pump amplitude (default 0.8)")
    p.add_argument("--omega", type=float, default=SEED["omega"],
                   help="pump frequency ω_p (default 1)")
    p.add_argument("--ovf", action="store_true",
                   help="also export the skyrmion snapshots (one per period) as OVF 2.0 "
                        "files to --out/ovf")
    p.set_defaults(func=_cmd_pump, out_default="output/pump", periods_default=10.0)


def _add_sweep_amplitude(subparsers):
    p = subparsers.add_parser(
        "sweep-amplitude", help="skyrmion motion for several pump amplitudes (Fig. 5)",
        description="Skyrmion centre versus time for the pump amplitudes V (Fig. 5 of Xu "
                    "et al.), one run file per amplitude.")
    _common_options(p, periods_default=10)
    p.add_argument("--V", type=float, nargs="+", default=list(_AMPLITUDES),
                   help="amplitudes (default 0.4 0.6 0.8 1.0 1.2)")
    p.add_argument("--omega", type=float, default=SEED["omega"],
                   help="pump frequency ω_p (default 1)")
    p.set_defaults(func=_cmd_sweep_amplitude, out_default="output/sweep-amplitude",
                   periods_default=10.0)


def _add_sweep_frequency(subparsers):
    p = subparsers.add_parser(
        "sweep-frequency", help="pumped current and skyrmion motion versus ω_p (Fig. 6)",
        description="For each pump frequency ω_p: the pumped current with the skyrmion held "
                    "fixed (scaled by ω_p) and the motion of a free skyrmion (Fig. 6 of Xu "
                    "et al.). Time is counted in periods of each frequency.")
    _common_options(p, periods_default=4)
    p.add_argument("--V", type=float, default=SEED["V"], help="pump amplitude (default 0.8)")
    p.add_argument("--omega", type=float, nargs="+", default=list(_FREQUENCIES),
                   help="frequencies (default 0.2 0.5 1)")
    p.set_defaults(func=_cmd_sweep_frequency, out_default="output/sweep-frequency",
                   periods_default=4.0)
