"""Figures of kwant_llg results (matplotlib is imported lazily, inside the functions).

Nothing here writes files; save figures with :func:`kwant_llg.io.save_figure`.
"""

import numpy as np

__all__ = ["plot_transport"]

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
