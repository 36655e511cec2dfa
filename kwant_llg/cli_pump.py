"""The ``kwant-llg`` subcommands of the pumping study: ``pump``, ``sweep-amplitude`` and
``sweep-frequency`` (Figs. 4–6 of Xu et al., PRB 108, 144409 (2023)).

Every run of the coupled electron–skyrmion dynamics (:class:`kwant_llg.coupled.PumpedLLG`)
is one *point*: a dict of parameters handed to :func:`run_point`, which builds the device,
the relaxed skyrmion and the drive, and evolves it with :func:`kwant_llg.simulation.run`
into its own HDF5 run file (or continues it with :func:`kwant_llg.simulation.resume` under
``--resume``). The points of a subcommand run on an executor (:mod:`kwant_llg.sweeps`);
a failed point is reported and the others are kept. Defaults are the seed's parameters:
E = 1.9, J = 2, V = 0.8, ω_p = 1, φ = π/2, α = 0.4, D = 0.2, K = 0.07, J_ex = t = 1 on the
40 × 40 device with gates on the columns l1 = 1, l2 = 5.
"""

import math
import pathlib
import time

import numpy as np

from ._common import KwantLLGError, limit_blas_threads
from .tdref import TMAX_MARGIN

__all__ = ["run_point", "point_defaults", "SEED", "ELECTRONS"]

#: The seed's parameters (Sec. V).
SEED = dict(E=1.9, J=2.0, t=1.0, V=0.8, omega=1.0, phi=math.pi / 2, alpha=0.4, D=0.2,
            K=0.07, J_ex=1.0, L=40, W=40, gates=(0, 4), dt=0.1, integrator="dopri5", tol=1e-6)
_QUICK = dict(L=24, W=24, periods=1.0, records_per_period=16)
_AMPLITUDES = (0.4, 0.6, 0.8, 1.0, 1.2)
_FREQUENCIES = (0.2, 0.5, 1.0)


#: Electron models of the coupled runs (``--electrons``).
ELECTRONS = ("adiabatic", "floquet", "td")


def point_defaults(**overrides):
    """Parameters of one run: the seed's values, updated by ``overrides``.

    Keys: the physical ones of :data:`SEED` (``dt`` is the largest LLG time step, the step
    used divides the record interval; ``integrator`` ``"rk4"`` or ``"dopri5"``, adaptive
    with local error ``tol`` per unit time, where ``dt`` is the first trial step),
    ``radius`` (trial skyrmion radius, default min(L, W)/4), ``texture`` (``"skyrmion"`` or
    ``"uniform"``), ``relax`` (relax the trial skyrmion in the spin Hamiltonian first;
    default True), ``frozen`` (hold the texture fixed), ``periods``, ``records_per_period``,
    ``path`` (the run file), ``resume`` and ``lead_magnetization`` (None: the seed's normal
    leads; a unit vector: ferromagnetic leads along it).

    ``electrons`` selects the electron model (:data:`ELECTRONS`):

    * ``"adiabatic"`` (default, the seed's): :class:`~kwant_llg.coupled.PumpedLLG` with
      ``torque``, ``equilibrium`` and ``velocity`` (default the Fermi-surface pumped density
      alone);
    * ``"floquet"``: :class:`~kwant_llg.floquet_llg.FloquetLLG`, electrons exact in V and ω_p
      (``n_sidebands``, default ⌈V/ω_p⌉ + 3, ``resolve_tol``, ``floquet_tol``; 4N+1 phases
      per period);
    * ``"td"``: :class:`~kwant_llg.tdcoupled.TimeDependentLLG`, tkwant's time-dependent
      electrons (``tkwant_order``, ``tkwant_refine_tol``, 0 = no refinement at t = 0;
      ``tkwant_refine_every``, periods between refinements during the run, to
      ``tkwant_refine_tol`` or else 1e-4 of the pumped current; ``tkwant_tmax``,
      the time the run may reach, default its length: a run resumed with more periods
      needs it that large; tkwant prepares its boundary conditions up to
      ``tkwant_tmax_margin`` (1.4) times it, since they hold to about 3/4 of that); the
      drive is switched on at t = 0 from the equilibrium of H(m0, V(0)), abruptly or, with
      ``tkwant_switch_on`` > 0, over that many periods (sin² ramp from the equilibrium of
      H(m0, 0)).

    Floquet and tkwant electrons act through their full spin density (``equilibrium`` is
    True for them), step the LLG with RK4, and need leads along the far field
    (``lead_magnetization``), so that no state is bound below the lead band.
    """
    point = dict(SEED, radius=None, texture="skyrmion", relax=True, frozen=False, periods=10.0,
                 records_per_period=40, path=None, resume=False, torque="fermi-surface",
                 equilibrium=False, velocity=False, electrons="adiabatic",
                 lead_magnetization=None, n_sidebands=None, resolve_tol=1e-3, floquet_tol=1e-6,
                 tkwant_order=40, tkwant_refine_tol=0.0, tkwant_refine_every=None,
                 tkwant_switch_on=0.0, tkwant_tmax=None, tkwant_tmax_margin=TMAX_MARGIN)
    unknown = set(overrides) - set(point)
    if unknown:
        raise KwantLLGError(f"Unknown run parameters {sorted(unknown)}; known: "
                            f"{sorted(point)}.")
    point.update(overrides)
    if point["electrons"] != "adiabatic" and "integrator" not in overrides:
        point["integrator"] = "rk4"
    _check_electrons(point)
    return point


def _check_electrons(point):
    mode = point["electrons"]
    if mode not in ELECTRONS:
        raise KwantLLGError(f"electrons must be one of {ELECTRONS}, got {mode!r}.")
    if mode == "adiabatic":
        return
    if point["lead_magnetization"] is None:
        raise KwantLLGError(
            f"--electrons {mode} needs leads magnetised along the texture's far field (the "
            "normal leads of the seed's device leave states bound below the lead band, which "
            "Floquet and tkwant scattering states miss): add --magnetic-leads.")
    if point["integrator"] != "rk4":
        raise KwantLLGError(f"--electrons {mode} steps the LLG with fixed-step RK4: use "
                            "--integrator rk4 (the default for it).")
    if point["torque"] != "fermi-surface":
        raise KwantLLGError(f"--torque chooses the adiabatic torque; --electrons {mode} has its "
                            "own (the full spin density of its electrons).")
    if point["velocity"] and mode == "td":
        raise KwantLLGError("--velocity adds the first order in the texture velocity to models "
                            "that lack it; the time-dependent electrons of --electrons td "
                            "follow the moving texture exactly (drop --velocity).")
    point["equilibrium"] = True


def _spin_hamiltonian(point):
    from . import spins
    return spins.Exchange(point["J_ex"]) + spins.DMI(point["D"]) + spins.Anisotropy(point["K"])


def _initial_texture(fsyst, lattice, point):
    from . import dynamics, textures, topology
    if point["texture"] == "uniform":
        return textures.uniform(fsyst, (0, 0, 1))
    L, W = point["L"], point["W"]
    radius = point["radius"] or min(L, W) / 4
    m0 = textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), radius, polarity=-1)
    if not point["relax"]:
        return m0
    m = dynamics.relax(lattice, _spin_hamiltonian(point), m0, tol=1e-6).m
    q = topology.topological_charge(lattice, m, background=topology.far_field(lattice, m))
    if abs(q + 1) > 0.5:
        raise KwantLLGError(f"The skyrmion collapsed while relaxing on the {L}×{W} device "
                            f"(Q = {q:.3f}); use a larger device (--size, at least 24 24 for "
                            "the seed's D and K) or another --radius.")
    return m


def _tkwant_reach(point):
    """The time a td run may reach: ``tkwant_tmax`` or else the run's length."""
    return point["tkwant_tmax"] or point["periods"] * 2 * math.pi / point["omega"]


def _tkwant_tmax(point):
    """tkwant's own tmax: the reach times the margin (tdref.TMAX_MARGIN; 1 in run files from
    before the margin, whose last quarter lost accuracy)."""
    return _tkwant_reach(point) * point.get("tkwant_tmax_margin", 1.0)


def _make_dynamics(point):
    """The coupled dynamics of one point (device, relaxed texture, drive, electrons)."""
    from . import devices, pumping, spins
    _check_electrons(point)
    fsyst = devices.skyrmion_device(point["L"], point["W"], gates=point["gates"],
                                    lead_magnetization=point["lead_magnetization"]).finalized()
    lattice = spins.SpinLattice.from_kwant(fsyst)
    m0 = _initial_texture(fsyst, lattice, point)
    ham = _spin_hamiltonian(point)
    params = devices.seed_params(J=point["J"], t=point["t"])
    params.pop("V1"), params.pop("V2")               # the gates are driven
    record_every = 2 * math.pi / point["omega"] / point["records_per_period"]
    dt = record_every / math.ceil(record_every / point["dt"] - 1e-9)   # records on the grid
    common = dict(energy=point["E"], alpha=point["alpha"], dt=dt, params=params,
                  frozen=point["frozen"])
    mode = point["electrons"]
    if mode == "td":
        from . import tdcoupled, tdref
        drive = tdref.GateDrive(point["omega"], {"V1": point["V"], "V2": point["V"]},
                                phases={"V2": point["phi"]},
                                switch_on=point.get("tkwant_switch_on", 0.0))
        refine_tol = point["tkwant_refine_tol"]
        every = point.get("tkwant_refine_every")           # absent in older run files
        return tdcoupled.TimeDependentLLG(
            fsyst, lattice, ham, m0, drive=drive, order=point["tkwant_order"],
            refine=refine_tol > 0, refine_tol=refine_tol or (1e-4 if every else 1e-5),
            refine_every=every, tmax=_tkwant_tmax(point), **common)
    drive = pumping.PumpDrive(point["V"], point["omega"], point["phi"])
    if mode == "floquet":
        from .floquet_llg import FloquetLLG
        n = int(point["n_sidebands"] or math.ceil(abs(point["V"]) / point["omega"]) + 3)
        return FloquetLLG(fsyst, lattice, ham, m0, drive=drive, n_sidebands=n,
                          n_phases=4 * n + 1, resolve_tol=point["resolve_tol"],
                          tol=point["floquet_tol"], velocity=point["velocity"], **common)
    from .coupled import PumpedLLG
    extra = {} if point["integrator"] == "rk4" else dict(integrator=point["integrator"],
                                                         tol=point["tol"])
    return PumpedLLG(fsyst, lattice, ham, m0, drive=drive, torque=point["torque"],
                     equilibrium=point["equilibrium"], velocity=point["velocity"], **extra,
                     **common)


def run_point(point, *, progress=None):
    """Run (or, with ``point["resume"]``, continue) one point; return a summary dict.

    ``point`` is a dict from :func:`point_defaults` with ``path`` set. The summary has the
    run file, status, end reason, the number of records and the final skyrmion centre.
    Module-level and picklable: it is what the executors of the sweeps call.
    """
    from . import io, simulation
    limit_blas_threads(1)
    path = pathlib.Path(point["path"])
    period = 2 * math.pi / point["omega"]
    t_end = point["periods"] * period
    resumable = point["resume"] and path.exists()
    if resumable:
        _check_same_run(path, point)
        if point["electrons"] == "td":
            tmax = _tkwant_reach(io.read_run(path).parameters)
            if t_end > tmax * (1 + 1e-12):
                raise KwantLLGError(
                    f"{str(path)!r} prepared tkwant's boundary conditions up to t = {tmax:g}, "
                    f"short of {point['periods']:g} periods (t = {t_end:g}); run it again "
                    "with --tkwant-tmax at least that long to resume it later.")
        result = simulation.resume(path, t_end=t_end, progress=progress)
    else:
        dyn = _make_dynamics(point)
        result = simulation.run(dyn, t_end, path=path,
                                record_every=period / point["records_per_period"],
                                snapshot_every=point["records_per_period"],
                                checkpoint_every=1,
                                parameters=point, progress=progress)
    data = result.data
    center = data.records.get("center_paper")
    return {"path": str(path), "status": result.status, "end_reason": result.end_reason,
            "records": int(data.times.size), "time": float(result.time),
            "resumed": bool(resumable),
            "adiabaticity": data.settings.get("adiabaticity"),
            "floquet_truncation": getattr(result.dynamics, "truncation", None),
            "tkwant_equilibrium_current": _first(getattr(result.dynamics,
                                                         "equilibrium_current", None)),
            "final_center": None if center is None or not len(center) else center[-1].tolist()}


def _first(values):
    return None if values is None else float(values[0])


def _check_same_run(path, point):
    """Refuse to resume a run file made with other physical parameters."""
    from . import io
    stored = io.read_run(path).parameters
    ignore = {"periods", "resume", "path"}
    stored.setdefault("electrons", "adiabatic")        # files from before --electrons
    differ = sorted(k for k in point if k not in ignore and k in stored
                    and np.any(np.asarray(stored[k]) != np.asarray(point[k])))
    if differ:
        raise KwantLLGError(
            f"{str(path)!r} was run with other parameters ("
            + ", ".join(f"{k}: {stored[k]!r} there, {point[k]!r} now" for k in differ)
            + "); drop --resume or use another --out.")


# ------------------------------------------------------------------------- commands
def _base_point(args):
    L, W = args.size if args.size is not None else (
        (_QUICK["L"], _QUICK["W"]) if args.quick else (SEED["L"], SEED["W"]))
    periods = args.periods if args.periods is not None else (
        _QUICK["periods"] if args.quick else args.periods_default)
    rpp = args.records_per_period or (_QUICK["records_per_period"] if args.quick else 40)
    if periods <= 0 or rpp < 1:
        raise KwantLLGError("--periods must be positive and --records-per-period at least 1.")
    integrator = args.integrator or ("dopri5" if args.electrons == "adiabatic" else "rk4")
    if args.velocity and integrator != "rk4":
        raise KwantLLGError("--velocity makes the LLG equation implicit in dm/dt, which the "
                            "adaptive integrator does not support; add --integrator rk4.")
    return point_defaults(E=args.energy, J=args.J, phi=args.phi, alpha=args.alpha, D=args.D,
                          K=args.K, L=L, W=W, radius=args.radius, dt=args.dt,
                          relax=not args.no_relax, integrator=integrator, tol=args.tol,
                          periods=periods, records_per_period=rpp, resume=args.resume,
                          torque=args.torque, equilibrium=args.equilibrium,
                          velocity=args.velocity, electrons=args.electrons,
                          lead_magnetization=(0.0, 0.0, 1.0) if args.magnetic_leads else None,
                          n_sidebands=args.sidebands, resolve_tol=args.resolve_tol,
                          floquet_tol=args.floquet_tol, tkwant_order=args.tkwant_order,
                          tkwant_refine_tol=args.tkwant_refine_tol,
                          tkwant_refine_every=args.tkwant_refine_every,
                          tkwant_switch_on=args.tkwant_switch_on,
                          tkwant_tmax=args.tkwant_tmax)


def _run_points(args, named_points, desc):
    """Run the points ({name: point}) on the chosen executor; return {name: PointResult}.

    The progress bar counts the records committed to the points' run files (polled from
    this process, so it works with every executor that shares the file system).
    """
    import threading
    from . import io, sweeps
    from .cli import _progress_bar
    names = list(named_points)
    points = [named_points[n] for n in names]
    total = sum(int(math.ceil(p["periods"] * p["records_per_period"] - 1e-9)) + 1
                for p in points)
    bar = _progress_bar(total, desc=desc, enabled=not args.quiet)
    executor = sweeps.make_executor(args.executor, workers=args.workers)
    box = {}

    def work():
        try:
            box["result"] = sweeps.sweep(run_point, points, executor=executor)
        except BaseException as exc:          # handed to the main thread below
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.5)
            bar.update_to(sum(io.committed_records(p["path"]) for p in points))
        bar.update_to(total)
    finally:
        bar.close()
        close = getattr(executor, "close", None) or executor.shutdown
        close()
    if "error" in box:
        raise box["error"]
    return dict(zip(names, box["result"]))


def _collect(info, outcomes, named_paths):
    """Records of the points (of failed ones what they recorded before failing); failures
    go to info.json and the summary."""
    from . import io
    records, failed = {}, []
    for name, res in outcomes.items():
        entry = {"ok": res.ok, "error": res.error}
        if res.ok:
            entry.update(res.value)
            if res.value["status"] == "stopped":
                info["results"].setdefault("stopped_points", []).append(
                    f"{name}: {res.value['end_reason']}")
            data = io.read_run(res.value["path"])
            records[name] = data.records
            info["files"].append(pathlib.Path(res.value["path"]).name)
        else:
            failed.append(f"{name}: {res.error}")
            path = named_paths[name]
            if path.exists() and io.read_run(path).times.size:     # keep what was recorded
                records[name] = io.read_run(path).records
                entry["partial_records"] = int(records[name]["time"].size)
                info["files"].append(path.name)
        info["results"][str(name)] = entry
    info["results"]["failed_points"] = len(failed)
    if not records:
        raise KwantLLGError("every run failed: " + " | ".join(failed))
    return records, failed


def _paths(points):
    return {name: pathlib.Path(p["path"]) for name, p in points.items()}


def _export_ovf(run_path, directory, info):
    from . import io
    if run_path.exists():
        paths = io.export_ovf(run_path, directory)
        info["files"].extend(str(p.relative_to(directory.parent)) for p in paths)


def _save_figure(fig, args, name, info):
    from . import io
    import matplotlib.pyplot as plt
    path = io.save_figure(fig, pathlib.Path(args.out) / f"{name}.{args.format}")
    plt.close(fig)
    info["files"].append(path.name)
    return path


def _axis(args, omega):
    from .plotting import TimeAxis
    return TimeAxis(2 * math.pi / omega, si=args.si, jex_mev=args.jex_mev, a_nm=args.a_nm)


def _summary(failed, info):
    stopped = info["results"].get("stopped_points", [])
    return ((f"; stopped {len(stopped)}: " + " | ".join(stopped) if stopped else "")
            + (f"; FAILED {len(failed)}: " + " | ".join(failed) if failed else ""))


def _start(args):
    import matplotlib
    matplotlib.use("Agg")
    limit_blas_threads(1)
    if args.out is None:
        args.out = args.out_default
    return time.perf_counter()


def _cmd_pump(args):
    from . import io
    from .cli import _arguments
    start = _start(args)
    with io.run_record(args.out, arguments=_arguments(args), command="pump") as info:
        base = _base_point(args)
        base.update(V=args.V, omega=args.omega)
        out = pathlib.Path(args.out)
        points = {"skyrmion": dict(base, path=str(out / "pump_skyrmion.h5")),
                  "no skyrmion": dict(base, texture="uniform", frozen=True,
                                      path=str(out / "pump_no_skyrmion.h5"))}
        records, failed = _collect(info, _run_points(args, points, f"pump {base['L']}x"
                                                                     f"{base['W']}"),
                                   _paths(points))
        if args.ovf:
            _export_ovf(out / "pump_skyrmion.h5", out / "ovf", info)
        from . import plotting
        fig = _save_figure(plotting.plot_pump(records, axis=_axis(args, args.omega)), args,
                           "pump", info)
        sk = records.get("skyrmion")
        moved = "" if sk is None or not len(sk["time"]) else (
            ", skyrmion moved by ({:+.3f}, {:+.3f}) a".format(
                *(sk["center_paper"][-1] - sk["center_paper"][0])))
        mean_ip = {n: float(np.mean(r["I_p"])) for n, r in records.items() if len(r["time"])}
    print(f"kwant-llg pump: {base['electrons']} electrons, {base['L']}x{base['W']}, "
          f"{base['periods']:g} periods of "
          f"T = {2 * math.pi / args.omega:.4g} in {time.perf_counter() - start:.1f} s"
          f"{moved}; mean I_p " + ", ".join(f"{n} {v:+.4g}" for n, v in mean_ip.items())
          + f"; figure {fig}, data in {args.out}" + _summary(failed, info))
    return 0 if not failed else 1


def _cmd_sweep_amplitude(args):
    from . import io, plotting
    from .cli import _arguments
    start = _start(args)
    with io.run_record(args.out, arguments=_arguments(args), command="sweep-amplitude") \
            as info:
        base = _base_point(args)
        base["omega"] = args.omega
        out = pathlib.Path(args.out)
        points = {v: dict(base, V=v, path=str(out / f"amplitude_V{v:g}.h5")) for v in args.V}
        records, failed = _collect(info, _run_points(args, points, "sweep-amplitude"),
                                   _paths(points))
        fig = _save_figure(plotting.plot_amplitude_sweep(records,
                                                         axis=_axis(args, args.omega)),
                           args, "sweep_amplitude", info)
        dx = {v: float(r["center_paper"][-1, 0] - r["center_paper"][0, 0])
              for v, r in records.items() if len(r["time"])}
    print(f"kwant-llg sweep-amplitude: {base['electrons']} electrons, {len(points)} "
          f"amplitudes, {base['periods']:g} periods "
          f"in {time.perf_counter() - start:.1f} s; displacement along x "
          + ", ".join(f"V={v:g}: {d:+.3f}" for v, d in dx.items())
          + f"; figure {fig}, data in {args.out}" + _summary(failed, info))
    return 0 if not failed else 1


def _cmd_sweep_frequency(args):
    from . import io, plotting
    from .cli import _arguments
    start = _start(args)
    with io.run_record(args.out, arguments=_arguments(args), command="sweep-frequency") \
            as info:
        base = _base_point(args)
        base["V"] = args.V
        out = pathlib.Path(args.out)
        points = {}
        for w in args.omega:
            points[("frozen", w)] = dict(base, omega=w, frozen=True,
                                         path=str(out / f"frequency_w{w:g}_frozen.h5"))
            points[("free", w)] = dict(base, omega=w, path=str(out / f"frequency_w{w:g}.h5"))
        outcomes = _run_points(args, points, "sweep-frequency")
        records, failed = _collect(info, {f"{k[0]} {k[1]:g}": v for k, v in outcomes.items()},
                                   {f"{k[0]} {k[1]:g}": pathlib.Path(p["path"])
                                    for k, p in points.items()})
        frozen = {w: records[f"frozen {w:g}"] for w in args.omega if f"frozen {w:g}" in records}
        free = {w: records[f"free {w:g}"] for w in args.omega if f"free {w:g}" in records}
        fig = _save_figure(plotting.plot_frequency_sweep(
            frozen, free, axes_by_omega=lambda w: _axis(args, w)), args, "sweep_frequency", info)
        scaled = {w: float(np.max(np.abs(r["I_p"])) / w) for w, r in frozen.items()
                  if len(r["time"])}
    print(f"kwant-llg sweep-frequency: {base['electrons']} electrons, {len(args.omega)} "
          f"frequencies, {base['periods']:g} "
          f"periods each, in {time.perf_counter() - start:.1f} s; max |I_p|/ω_p (fixed "
          "skyrmion) " + ", ".join(f"ω={w:g}: {v:.4g}" for w, v in scaled.items())
          + f"; figure {fig}, data in {args.out}" + _summary(failed, info))
    return 0 if not failed else 1
