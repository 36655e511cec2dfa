"""Figures of kwant_llg results (matplotlib is imported lazily, inside the functions).

Nothing here writes files; save figures with :func:`kwant_llg.io.save_figure`.
"""

import numpy as np

__all__ = ["plot_transport", "plot_pump", "plot_amplitude_sweep", "plot_frequency_sweep",
           "TimeAxis"]

#: Line styles of the spin-resolved curves: (label, colour, line style).
_STYLES = {"up": ("spin up", "tab:red", "-"), "down": ("spin down", "tab:blue", "--"),
           "total": ("total", "black", ":")}


def _panel_letters():
    return iter("abcdefghijklmnopqrstuvwxyz")


def plot_transport(result, *, fig=None, axes=None, names=None, titles=None, emin=0.0,
                   emax=8.0, marks=(), by="in"):
    """Transmission and DOS versus energy, laid out like Fig. 3 of Xu et al. (2023).

    One row per texture, columns T(E) and DOS(E), panels lettered row by row: with the
    textures (no skyrmion, skyrmion) this gives (a) T and (b) DOS without and (c) T and
    (d) DOS with the skyrmion. Each panel shows spin up, spin down and the total.

    Parameters
    ----------
    result : kwant_llg.transport.TransportResult
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (new axes are added); a new figure by default.
    axes : array of Axes, shape (len(names), 2), optional
        Draw into these instead (``fig`` is then taken from them).
    names : sequence of str, optional
        Textures to show, one per row (default: all, in the result's order).
    titles : dict name -> str, optional
        Row titles (default: the texture names).
    emin, emax : float
        Energy axis range.
    marks : sequence of float
        Energies marked with thin vertical lines (e.g. |J| and 8 − |J|).
    by : {"in", "out"}
        Spin-resolve the transmission by the incoming (default, T_σ = Σ_σ' T^{σ'σ}) or
        the outgoing spin.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    names = list(result.names if names is None else names)
    titles = dict(titles or {})
    if axes is None:
        if fig is None:
            fig = plt.figure(figsize=(9, 3.2 * len(names)))
        axes = np.array(fig.subplots(len(names), 2, squeeze=False))
    else:
        axes = np.asarray(axes).reshape(len(names), 2)
        fig = axes[0, 0].figure
    get_t = result.t_in if by == "in" else result.t_out
    letters = _panel_letters()
    energies = result.energies
    for row, name in zip(axes, names):
        curves_t = {"up": get_t(name, "up"), "down": get_t(name, "down"),
                    "total": result.t_total(name)}
        curves_d = {"up": result.dos_spin(name, "up"), "down": result.dos_spin(name, "down"),
                    "total": result.dos_total(name)}
        for ax, curves, ylabel in ((row[0], curves_t, "transmission $T$"),
                                   (row[1], curves_d, "DOS")):
            for key, values in curves.items():
                label, colour, style = _STYLES[key]
                ax.plot(energies, values, style, color=colour, label=label, lw=1.3)
            for mark in marks:
                ax.axvline(mark, color="0.6", lw=0.7, zorder=0)
            ax.set_xlim(emin, emax)
            ax.set_ylim(bottom=0)
            ax.set_xlabel("$E$ / $t$")
            ax.set_ylabel(ylabel)
            ax.set_title(f"({next(letters)}) {titles.get(name, name)}", fontsize=10, loc="left")
        row[0].legend(fontsize=8, loc="upper right", frameon=False)
    fig.tight_layout()
    return fig


class TimeAxis:
    """How times and lengths are shown: in pump periods (default) or in SI units.

    Parameters
    ----------
    period : float
        Pump period T = 2π/ω_p in units ħ/J_ex.
    si : bool
        Show the time in ps, positions in nm and currents in nA (Table I of the paper:
        time unit ħ/J_ex, length unit a, current unit e J_ex/ħ).
    jex_mev, a_nm : float
        J_ex in meV and the lattice constant in nm for ``si`` (the paper's 1 meV, 0.5 nm).
    """

    HBAR_MEV_PS = 0.6582119569           # ħ in meV·ps
    E_NA_PER_MEV = 243.4134               # e · (1 meV / ħ) in nA

    def __init__(self, period, *, si=False, jex_mev=1.0, a_nm=0.5):
        self.period, self.si, self.jex_mev, self.a_nm = float(period), si, jex_mev, a_nm

    def time(self, t):
        t = np.asarray(t, dtype=float)
        return t * self.HBAR_MEV_PS / self.jex_mev if self.si else t / self.period

    def length(self, x):
        return np.asarray(x, dtype=float) * (self.a_nm if self.si else 1.0)

    def current(self, i):
        return np.asarray(i, dtype=float) * (self.E_NA_PER_MEV * self.jex_mev if self.si else 1)

    @property
    def time_label(self):
        return "$t$ (ps)" if self.si else "$t/T$"

    @property
    def length_unit(self):
        return " (nm)" if self.si else " ($a$)"

    @property
    def current_unit(self):
        return " (nA)" if self.si else r" ($J_{ex}/\hbar$)"


def _figure(fig, rows, cols, size):
    import matplotlib.pyplot as plt
    if fig is None:
        fig = plt.figure(figsize=size)
    return fig, np.array(fig.subplots(rows, cols, squeeze=False)).ravel()


def _label(ax, letter, text=""):
    ax.set_title(f"({letter}) {text}".rstrip(), fontsize=10, loc="left")


def plot_pump(runs, *, axis, fig=None):
    """The pumped current and the skyrmion motion, laid out like Fig. 4 of Xu et al. (2023).

    (a) I_p(t) with and without the skyrmion, (b) the spin-resolved I_p↑, I_p↓ with the
    skyrmion, (c) the skyrmion centre R = (x, y) (the paper's definition) versus time.

    Parameters
    ----------
    runs : dict name -> dict of arrays
        Records of the runs (:attr:`kwant_llg.io.RunData.records`), with keys ``time``,
        ``I_p``, ``I_p_up``, ``I_p_down`` and, for ``"skyrmion"``, ``center_paper``.
        Expected names: ``"no skyrmion"`` and ``"skyrmion"`` (either may be missing).
    axis : TimeAxis
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _figure(fig, 3, 1, (6, 8))
    styles = {"no skyrmion": ("0.4", "--"), "skyrmion": ("tab:red", "-")}
    for name, rec in runs.items():
        colour, style = styles.get(name, ("tab:green", "-."))
        axes[0].plot(axis.time(rec["time"]), axis.current(rec["I_p"]), style, color=colour,
                     label=name, lw=1.3)
    axes[0].set_ylabel("$I_p$" + axis.current_unit)
    if runs:
        axes[0].legend(fontsize=8, frameon=False)
    _label(axes[0], "a")
    sk = runs.get("skyrmion")
    if sk is not None:
        t = axis.time(sk["time"])
        axes[1].plot(t, axis.current(sk["I_p_up"]), "-", color="tab:red", label="spin up")
        axes[1].plot(t, axis.current(sk["I_p_down"]), "--", color="tab:blue",
                     label="spin down")
        axes[1].legend(fontsize=8, frameon=False)
        center = axis.length(sk["center_paper"])
        axes[2].plot(t, center[:, 0], "-", color="tab:red", label="$x$")
        axes[2].plot(t, center[:, 1], "--", color="tab:blue", label="$y$")
        axes[2].legend(fontsize=8, frameon=False)
    axes[1].set_ylabel(r"$I_p^{\uparrow/\downarrow}$" + axis.current_unit)
    _label(axes[1], "b", "with skyrmion")
    axes[2].set_ylabel("$R$" + axis.length_unit)
    _label(axes[2], "c", "skyrmion centre")
    for ax in axes:
        ax.set_xlabel(axis.time_label)
    fig.tight_layout()
    return fig


def _center_panels(axes, runs, axes_by_name, label, legend_title):
    for name, rec in runs.items():
        ax_t = axes_by_name(name)
        t = ax_t.time(rec["time"])
        center = ax_t.length(rec["center_paper"])
        for ax, col in zip(axes, (0, 1)):
            ax.plot(t, center[:, col], lw=1.3, label=label(name))
    if runs:
        axes[0].legend(fontsize=8, frameon=False, title=legend_title, title_fontsize=8)


def plot_amplitude_sweep(runs, *, axis, fig=None):
    """Skyrmion centre x(t), y(t) for several pump amplitudes, like Fig. 5 of Xu et al.

    Parameters
    ----------
    runs : dict V -> records (with ``time`` and ``center_paper``)
    axis : TimeAxis
    """
    fig, axes = _figure(fig, 2, 1, (6, 6))
    _center_panels(axes, runs, lambda name: axis, lambda v: f"$V$ = {v:g}", None)
    for ax, letter, coord in zip(axes, "ab", "xy"):
        ax.set_xlabel(axis.time_label)
        ax.set_ylabel(f"${coord}$" + axis.length_unit)
        _label(ax, letter)
    fig.tight_layout()
    return fig


def plot_frequency_sweep(frozen, free, *, axes_by_omega, fig=None):
    """Pumped current of a frozen skyrmion scaled by ω_p and the motion of a free one, for
    several frequencies, laid out like Fig. 6 of Xu et al. (2023).

    (a) I_p/ω_p versus t/T with the skyrmion held fixed, (b) x(t) and (c) y(t) of the free
    skyrmion's centre.

    Parameters
    ----------
    frozen, free : dict ω_p -> records
    axes_by_omega : callable ω_p -> TimeAxis
        Each frequency has its own period T = 2π/ω_p.
    """
    fig, axes = _figure(fig, 3, 1, (6, 8))
    for omega, rec in frozen.items():
        ax_t = axes_by_omega(omega)
        axes[0].plot(ax_t.time(rec["time"]), ax_t.current(rec["I_p"]) / omega, lw=1.3,
                     label=f"$\\omega_p$ = {omega:g}")
    if frozen:
        axes[0].legend(fontsize=8, frameon=False)
    unit = axes_by_omega(next(iter(frozen or free or {1.0: None}))).current_unit
    axes[0].set_ylabel("$I_p/\\omega_p$" + unit)
    _label(axes[0], "a", "skyrmion fixed")
    _center_panels(axes[1:], free, axes_by_omega, lambda w: f"$\\omega_p$ = {w:g}", None)
    ref = axes_by_omega(next(iter(free or frozen or {1.0: None})))
    for ax, letter, coord in zip(axes[1:], "bc", "xy"):
        ax.set_ylabel(f"${coord}$" + ref.length_unit)
        _label(ax, letter, "free skyrmion")
    for ax in axes:
        ax.set_xlabel(ref.time_label)
    fig.tight_layout()
    return fig
