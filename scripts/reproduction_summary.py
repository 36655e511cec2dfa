"""Numbers behind docs/reproduction.md, read from the run files of `kwant-llg pump` and sweeps.

    .venv/bin/python scripts/reproduction_summary.py output/pump/*.h5 output/sweep-amplitude/*.h5

For every run file: the parameters, how far it got, the first-harmonic content of I_p(t)
(how sinusoidal the pumped current is), the spin-down share of I_p, the skyrmion's
displacement (x, y) at the end and its net drift per period, the ranges of motion along x and
y, the phase lag of the centre's first harmonic behind that of I_p (in periods), and the
topological charge and the skyrmion radius at the start and end, and the radius averaged
over each period.
"""

import sys

import numpy as np

import kwant_llg


def first_harmonic(t, y, period):
    """Complex amplitude of exp(−iωt) in y(t) over whole periods (least squares with a drift)."""
    w = 2 * np.pi / period
    a = np.column_stack([np.ones_like(t), t, np.cos(w * t), np.sin(w * t)])
    coef = np.linalg.lstsq(a, y, rcond=None)[0]
    return coef[2] - 1j * coef[3], coef[1]


def summary(path):
    run = kwant_llg.read_run(path)
    p, rec = run.parameters, run.records
    t = np.asarray(rec["t"], dtype=float)
    period = 2 * np.pi / p["omega"]
    out = dict(file=path, status=run.status, L=p["L"], V=p["V"], omega=p["omega"],
               phi=round(p["phi"], 4), frozen=p["frozen"], texture=p["texture"],
               periods_done=t[-1] / period)
    current = np.asarray(rec["I_p"], dtype=float)
    full = t <= t[0] + period * np.floor((t[-1] - t[0]) / period + 1e-9)
    if full.sum() > 8 and t[full][-1] - t[0] >= period * (1 - 1e-9):
        spectrum = np.abs(np.fft.rfft(current[full][:-1]))
        cycles = int(round((t[full][-1] - t[0]) / period))      # bin of the pump frequency
        out["I_p_first_harmonic_share"] = float(spectrum[cycles] ** 2 / (spectrum[1:] ** 2).sum())
    down = np.asarray(rec["I_p_down"], dtype=float)
    out["I_p_down_share"] = float(np.abs(down).sum() / max(np.abs(current).sum(), 1e-300))
    out["I_p_mean"] = float(current.mean())
    center = np.asarray(rec["center_paper"], dtype=float)
    if np.all(np.isfinite(center)):
        d = center - center[0]
        out["displacement_end"] = d[-1].round(4).tolist()
        out["range_x"], out["range_y"] = float(np.ptp(d[:, 0])), float(np.ptp(d[:, 1]))
        if t[-1] - t[0] >= period:
            hx, drift_x = first_harmonic(t, center[:, 0], period)
            hy, drift_y = first_harmonic(t, center[:, 1], period)
            hi, _ = first_harmonic(t, current, period)
            out["drift_per_period"] = [round(drift_x * period, 4), round(drift_y * period, 4)]
            out["oscillation_amplitude"] = [round(abs(hx), 4), round(abs(hy), 4)]
            # lag of the centre behind the current, in periods (0.25 = a quarter cycle)
            out["lag_x"] = float(np.angle(hi / hx) / (2 * np.pi) % 1) if abs(hx) else None
            out["lag_y"] = float(np.angle(hi / hy) / (2 * np.pi) % 1) if abs(hy) else None
        q = np.asarray(rec["Q"], dtype=float)
        out["Q_start_end"] = [round(float(q[0]), 4), round(float(q[-1]), 4)]
        radius = np.asarray(rec["radius"], dtype=float)
        out["radius_start_end"] = [round(float(radius[0]), 3), round(float(radius[-1]), 3)]
        # mean radius over each whole period (the breathing with the pump averages out)
        whole = int(np.floor((t[-1] - t[0]) / period + 1e-9))
        out["radius_per_period"] = [round(float(radius[(t >= t[0] + k * period)
                                                        & (t < t[0] + (k + 1) * period)].mean()), 3)
                                    for k in range(whole)]
    return out


def main(paths):
    for path in paths:
        for key, value in summary(path).items():
            print(f"{key:>26}: {value}")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
