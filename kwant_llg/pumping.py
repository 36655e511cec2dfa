r"""Quantum parametric pumping: gate drive, pumped current (Eq. 40), Brouwer's formula.

Two gate potentials are varied periodically (Sec. V of Xu et al., PRB 108, 144409 (2023)),

    V_p(t) = V_1 cos(ω_p t) + V_2 cos(ω_p t + φ),        V_1 = V δ(x − l1), V_2 = V δ(x − l2),

so that H(t) = H_frozen + Σ_p v_p(t) Y_p with Y_p = ∂H/∂v_p the onsite matrices of the
declared onsite parameters of a :class:`~kwant_llg.FrozenGreens` (σ0 on the gate columns of
the seed's device). To first order in the time derivative (adiabatic pumping, zero
temperature, Fermi energy E) the electron number pumped into lead α per unit time is

    I_α(t) = (1/2π) Tr[Γ_α G^r(t) Ḣ(t) G^a(t)] = Σ_p v̇_p(t) (1/2π) Tr[Γ_α G^r Y_p G^a],   (Eq. 40)

with ħ = 1 and G^r = G^r_f(t, E) the frozen Green's function (Eq. A5). The printed Eq. (40)
has no 1/2π; with it, I_α is in electrons per unit time ħ/J_ex and the coefficient
(1/2π) Tr[Γ_α G^r Y_p G^a] is Büttiker's emissivity dn_α/dv_p, which equals Brouwer's

    dn_α/dv_p = −(1/2π) Im Tr_α[(∂S/∂v_p) S^†]

(Tr_α over the outgoing channels of lead α). Positive I_α means electrons leave the
scattering region into lead α (the electric current is −e I_α). The derivation is in
docs/theory.md ("Pumped current and Brouwer's formula"), the conventions in
docs/conventions.md ("Pumping").

Every evaluation needs G^r only in the columns of the gate orbitals: one factorisation and
one multi-right-hand-side solve give the emissivities of all leads and, from the same
columns, the Fermi-surface spin density (1/2π) G^r Y_p G^a of every gate
(:func:`kwant_llg.adiabatic.fermi_surface_density`). :class:`PumpModel` holds everything
this needs at one energy as plain arrays (it is picklable and needs no Kwant system).
"""

from dataclasses import dataclass

import numpy as np

from ._common import KwantLLGError, SIGMA, check_finite, site_field
from .greens import FrozenGreens
from .sparse_lu import SparseLU, unit_columns

__all__ = ["PumpDrive", "PumpModel", "PumpResponse", "PumpedCurrent", "PumpedCharge",
           "gate_densities", "emissivities", "pumped_current", "charge_per_cycle",
           "brouwer_charge"]

TWO_PI = 2 * np.pi


def _finite(value, name, *, positive=False, nonnegative=False):
    if not (np.isscalar(value) and np.isreal(value) and np.isfinite(value)):
        raise KwantLLGError(f"{name} must be a finite real number, got {value!r}.")
    if positive and not value > 0:
        raise KwantLLGError(f"{name} must be positive, got {value!r}.")
    if nonnegative and value < 0:
        raise KwantLLGError(f"{name} must be >= 0, got {value!r}.")
    return float(value)


class PumpDrive:
    r"""Periodic gate drive v_p(t) = A_p cos(ω t + φ_p) of named onsite parameters.

    The seed's drive (Sec. V) is ``PumpDrive(V, omega, phi)``: v_V1 = V cos(ω t),
    v_V2 = V cos(ω t + φ).

    Parameters
    ----------
    V : float or sequence of float
        Amplitude(s) A_p (one number: the same for all gates).
    omega : float
        Pumping frequency ω_p > 0 (units J_ex/ħ).
    phi : float
        Phase difference φ: the phases are φ_p = (0, φ) for two gates; for more gates pass
        ``phases=`` instead.
    names : sequence of str
        Onsite-parameter names of the gates (declared in the FrozenGreens).
    phases : sequence of float, optional
        Phases φ_p of all gates (overrides ``phi``).
    """

    def __init__(self, V, omega, phi=np.pi / 2, *, names=("V1", "V2"), phases=None):
        self.names = tuple(names)
        if not self.names or len(set(self.names)) != len(self.names) or \
                not all(isinstance(n, str) for n in self.names):
            raise KwantLLGError(f"names must be distinct parameter names, got {names!r}.")
        n = len(self.names)
        amps = np.broadcast_to(np.asarray(V, dtype=float), (n,)).copy() \
            if np.ndim(V) == 0 else np.asarray(V, dtype=float)
        if amps.shape != (n,) or not np.all(np.isfinite(amps)):
            raise KwantLLGError(f"V must be one finite amplitude or {n} of them, got {V!r}.")
        self.amplitudes = amps
        self.omega = _finite(omega, "omega", positive=True)
        if phases is None:
            phi = _finite(phi, "phi")
            if n != 2:
                raise KwantLLGError(f"phi fixes the phases of two gates; for {n} gates pass "
                                    "phases=(...) with one phase per gate.")
            phases = (0.0, phi)
        phases = np.asarray(phases, dtype=float)
        if phases.shape != (n,) or not np.all(np.isfinite(phases)):
            raise KwantLLGError(f"phases must be {n} finite numbers, got {phases!r}.")
        self.phases = phases

    @property
    def period(self):
        """Pumping period T = 2π/ω."""
        return TWO_PI / self.omega

    @property
    def phi(self):
        """Phase difference φ_2 − φ_1 (two gates)."""
        return float(self.phases[1] - self.phases[0]) if len(self.phases) == 2 else None

    def _check_time(self, t):
        t = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t)):
            raise KwantLLGError(f"time must be finite, got {t!r}.")
        return t

    def values(self, t):
        """Gate values v_p(t) as an array (len(names),) (or (len(names), len(t)))."""
        t = self._check_time(t)
        arg = self.omega * np.multiply.outer(np.ones(len(self.names)), t) + \
            np.reshape(self.phases, (-1,) + (1,) * t.ndim)
        return np.reshape(self.amplitudes, (-1,) + (1,) * t.ndim) * np.cos(arg)

    def rates(self, t):
        """Time derivatives dv_p/dt = −A_p ω sin(ω t + φ_p), same shape as :meth:`values`."""
        t = self._check_time(t)
        arg = self.omega * np.multiply.outer(np.ones(len(self.names)), t) + \
            np.reshape(self.phases, (-1,) + (1,) * t.ndim)
        return -np.reshape(self.amplitudes * self.omega, (-1,) + (1,) * t.ndim) * np.sin(arg)

    def onsite_values(self, t):
        """``{name: v_p(t)}`` for :meth:`FrozenGreens.solve` and friends."""
        return dict(zip(self.names, (float(v) for v in self.values(float(t)))))

    def reversed(self):
        """The same drive with all phases negated (φ → −φ): the loop run backwards."""
        return PumpDrive(self.amplitudes, self.omega, names=self.names, phases=-self.phases)

    def __eq__(self, other):
        return (isinstance(other, PumpDrive) and self.names == other.names
                and self.omega == other.omega and np.array_equal(self.amplitudes, other.amplitudes)
                and np.array_equal(self.phases, other.phases))

    def __repr__(self):
        return (f"PumpDrive(V={self.amplitudes.tolist()}, omega={self.omega}, "
                f"names={self.names}, phases={self.phases.tolist()})")


# ---------------------------------------------------------------- pure NumPy kernels
def gate_densities(columns, gate_blocks):
    r"""Onsite blocks of (1/2π) G^r Y_p G^a for every gate p (the Fermi-surface density).

    Parameters
    ----------
    columns : ndarray (2 num_sites, 2 n_g)
        G^r[:, orbitals of the gate sites] (orbitals (site, spin) interleaved).
    gate_blocks : ndarray (n_p, n_g, 2, 2)
        Y_p on the gate sites (onsite blocks, Hermitian).

    Returns
    -------
    ndarray (n_p, num_sites, 2, 2)
        ρ_p,ii = (1/2π) Σ_g G_ig Y_p,g G_ig^†; ⟨σ⟩ = Tr[σ ρ_ii] per unit of dv_p/dt.
    """
    n_p, n_g = gate_blocks.shape[:2]
    n = columns.shape[0] // 2
    c = columns.reshape(2 * n, n_g, 2)
    out = np.empty((n_p, n, 2, 2), dtype=complex)
    for p in range(n_p):
        on = np.flatnonzero(np.abs(gate_blocks[p]).max(axis=(1, 2)) > 0)   # sites of gate p
        if len(on) and on[-1] - on[0] + 1 == len(on):
            on = slice(on[0], on[-1] + 1)                                  # a view, no copy
        cp = c[:, on]
        cy = _times_blocks(cp, gate_blocks[p, on]).reshape(n, 2, -1)
        out[p] = np.matmul(cy, cp.reshape(n, 2, -1).conj().transpose(0, 2, 1))
    return out / TWO_PI


def _times_blocks(c, y):
    """c[..., g, b] y[g, b, :] summed over b (row vectors times the 2×2 block of gate g)."""
    if not np.any(y[:, 0, 1]) and not np.any(y[:, 1, 0]):                  # diagonal blocks
        return c * y[:, [0, 1], [0, 1]]
    return c[..., 0, None] * y[:, 0, :] + c[..., 1, None] * y[:, 1, :]


def emissivities(lead_rows, w, gate_blocks):
    r"""Emissivities (1/2π) (W^† G^r Y_p G^a W)_cc per gate p and outgoing channel c.

    Parameters
    ----------
    lead_rows : ndarray (n_iface, 2 n_g)
        G^r[lead interface orbitals, gate orbitals].
    w : ndarray (n_iface, n_ch)
        W_α with Γ_α = W_α W_α^†.
    gate_blocks : ndarray (n_p, n_g, 2, 2)

    Returns
    -------
    ndarray (n_p, n_ch), real
        Summed over the channels of lead α this is dn_α/dv_p (Eq. 40 per unit rate).
    """
    n_g = gate_blocks.shape[1]
    b = (w.conj().T @ lead_rows).reshape(-1, n_g, 2)
    bc = b.conj()
    return np.array([(_times_blocks(b, y) * bc).sum(axis=(1, 2)).real
                     for y in gate_blocks]).reshape(len(gate_blocks), -1) / TWO_PI


# ---------------------------------------------------------------- fixed-energy model
class PumpModel:
    """The electrons of a FrozenGreens at one real energy, reduced to what pumping needs.

    Holds H_static, the exchange matrices X_i^a, the gate matrices Y_p, and the lead
    self-energies and broadening factors at ``energy`` as arrays, so it is picklable without
    the Kwant system; :meth:`response` factorises E − H(m, v) − Σ(E) (MUMPS or SuperLU as
    the FrozenGreens) and solves for the gate columns only.

    Parameters
    ----------
    greens : FrozenGreens
        Built with ``onsite_parameters`` containing ``names``.
    names : sequence of str
        The pumped onsite parameters (gates).
    energy : float, optional
        Real Fermi energy (default ``greens.energy``).
    """

    def __init__(self, greens, names, energy=None):
        if not isinstance(greens, FrozenGreens):
            raise KwantLLGError(f"greens must be a FrozenGreens, got {type(greens).__name__}.")
        names = tuple(names)
        missing = [n for n in names if n not in greens.onsite_terms]
        if missing:
            raise KwantLLGError(
                f"The gate parameter(s) {missing} are not onsite parameters of the FrozenGreens; "
                f"build it with onsite_parameters={names!r} (declared: "
                f"{list(greens.onsite_terms) or 'none'}).")
        energy = greens._energy(energy)
        if np.iscomplexobj(energy) and complex(energy).imag != 0:
            raise KwantLLGError("Pumping is evaluated at a real Fermi energy.")
        self.energy = float(np.real(energy))
        self.names = names
        self.num_sites = greens.num_sites
        self.defaults = {n: greens.onsite_defaults[n] for n in names}
        self.other_values = {n: v for n, v in greens.onsite_defaults.items() if n not in names}
        self.other_terms = {n: greens.onsite_terms[n] for n in self.other_values}
        y = np.array([greens.onsite_terms[n] for n in names])            # (n_p, N, 2, 2)
        self.gate_sites = np.flatnonzero(np.abs(y).max(axis=(0, 2, 3)) > 0)
        if not len(self.gate_sites):
            raise KwantLLGError(f"The gate parameters {names} do not enter any onsite term.")
        self.gate_blocks = y[:, self.gate_sites]
        self.gate_orbitals = greens.site_orbitals(self.gate_sites)
        self.exchange = greens.exchange
        self.lead_data = greens.lead_data(self.energy)
        self.lead_orbitals = greens.lead_orbitals
        self._rows, self._cols, self._norb = greens._rows, greens._cols, greens._norb
        self._pos_diag = greens._pos_diag.reshape(-1)
        self._pos_gates = greens._pos_diag[self.gate_sites].reshape(-1)
        # z − H_static − Σ(z) and the fixed onsite terms: everything but m and the gates
        self._base = greens._base_data(self.energy, self.lead_data)
        fixed = np.zeros((self.num_sites, 2, 2), dtype=complex)
        for name, value in self.other_values.items():
            fixed -= value * self.other_terms[name]
        self._base[self._pos_diag] += fixed.reshape(-1)
        self.solver = greens.solver
        self._factor = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_factor"] = None                 # the MUMPS context is rebuilt on first use
        return state

    @property
    def num_leads(self):
        return len(self.lead_data)

    def _data(self, m, values):
        """Nonzeros of E − H(m, v) − Σ(E) (Eq. A5 with the gate potentials v_p)."""
        data = self._base.copy()
        data[self._pos_diag] -= np.einsum("ia,iaxy->ixy", m, self.exchange).reshape(-1)
        data[self._pos_gates] -= np.einsum("p,pgxy->gxy", values, self.gate_blocks).reshape(-1)
        return data

    def gate_columns(self, m, values):
        """G^r[:, gate orbitals] at the model's energy for texture m and gate values."""
        values = np.asarray(values, dtype=float)
        if values.shape != (len(self.names),) or not np.all(np.isfinite(values)):
            raise KwantLLGError(f"values must be {len(self.names)} finite gate values.")
        if self._factor is None:
            self._factor = SparseLU(self._rows, self._cols, self._norb, self.solver)
        solve = self._factor.factor(self._data(m, values))
        cols = solve(unit_columns(self.gate_orbitals, self._norb))
        return check_finite(cols, "Green's function columns")

    def response(self, m, values, *, densities=True):
        """Linear response of the pump at one frozen configuration (one factorisation).

        Parameters
        ----------
        m : ndarray (num_sites, 3)
        values : array_like (n_p,)
            Gate values v_p at this instant.
        densities : bool
            Also compute the per-gate Fermi-surface densities (needed for the torque).

        Returns
        -------
        PumpResponse
        """
        m = np.asarray(m, dtype=float)
        if m.shape != (self.num_sites, 3) or not np.all(np.isfinite(m)):
            raise KwantLLGError(f"m must be a finite array of shape ({self.num_sites}, 3).")
        cols = self.gate_columns(m, values)
        emis, emis_spin = [], []
        for orbs, (_, w, spin) in zip(self.lead_orbitals, self.lead_data):
            e = emissivities(cols[orbs], w, self.gate_blocks)          # (n_p, n_ch)
            emis.append(e.sum(axis=1))
            emis_spin.append(None if spin is None else
                             np.stack([e[:, spin == 1].sum(axis=1),
                                       e[:, spin == -1].sum(axis=1)], axis=1))
        rho = gate_densities(cols, self.gate_blocks) if densities else None
        return PumpResponse(np.array(values, dtype=float), np.array(emis).T, emis_spin, rho)


@dataclass
class PumpResponse:
    """Pump response at one frozen configuration, per unit gate rate dv_p/dt.

    Attributes
    ----------
    values : ndarray (n_p,)
        Gate values of the configuration.
    emissivity : ndarray (n_p, n_leads)
        dn_α/dv_p = (1/2π) Tr[Γ_α G^r Y_p G^a] (electrons into lead α per unit change of v_p).
    emissivity_spin : list (per lead) of ndarray (n_p, 2) or None
        The same split into the σ_z = up, down channels of the lead (None where the lead
        does not conserve σ_z).
    densities : ndarray (n_p, num_sites, 2, 2) or None
        ρ_p,ii = (1/2π) (G^r Y_p G^a)_ii (Fermi-surface first-order density per unit rate).
    """

    values: np.ndarray
    emissivity: np.ndarray
    emissivity_spin: list
    densities: np.ndarray = None

    def current(self, rates, lead):
        """I_α = Σ_p v̇_p dn_α/dv_p (Eq. 40 with 1/2π): electrons per unit time into ``lead``."""
        return float(np.asarray(rates, dtype=float) @ self.emissivity[:, lead])

    def current_spin(self, rates, lead):
        """(I_α^up, I_α^down), or raise if the lead does not conserve σ_z."""
        e = self.emissivity_spin[lead]
        if e is None:
            raise KwantLLGError(f"Lead {lead} does not conserve σ_z: no spin-resolved current.")
        return np.asarray(rates, dtype=float) @ e

    def spin(self, rates):
        """First-order ⟨σ⟩_i = Tr[σ ρ_ii] for the gate rates (num_sites, 3)."""
        if self.densities is None:
            raise KwantLLGError("This response was computed with densities=False.")
        rho = np.einsum("p,piab->iab", np.asarray(rates, dtype=float), self.densities)
        return np.einsum("axy,iyx->ia", SIGMA, rho).real

    def gate_spins(self):
        """⟨σ⟩_i per unit rate of every gate, shape (n_p, num_sites, 3)."""
        return np.einsum("axy,piyx->pia", SIGMA, self.densities).real


# ---------------------------------------------------------------- frozen-texture API
@dataclass
class PumpedCurrent:
    """Pumped current I_α(t) into one lead for a frozen texture (Eq. 40 with 1/2π).

    Attributes
    ----------
    times : ndarray
    current : ndarray
        Electrons per unit time (ħ/J_ex) into ``lead``; the electric current is −e times it.
    up, down : ndarray or None
        The σ_z-resolved parts (None if the lead does not conserve σ_z).
    phase : ndarray
        ω t.
    lead : int
    """

    times: np.ndarray
    current: np.ndarray
    up: np.ndarray
    down: np.ndarray
    phase: np.ndarray
    lead: int


@dataclass
class PumpedCharge:
    """Electrons pumped into ``lead`` per cycle, total and per spin (up, down may be None).

    ``error`` is the change of the total when the number of time samples is halved
    (the periodic trapezoid rule converges exponentially).
    """

    total: float
    up: float
    down: float
    error: float
    n_times: int
    lead: int


def _check_lead(lead, num_leads):
    if not (isinstance(lead, (int, np.integer)) and 0 <= lead < num_leads):
        raise KwantLLGError(f"lead must be a lead index in [0, {num_leads}), got {lead!r}.")
    return int(lead)


def _check_drive(drive):
    if not isinstance(drive, PumpDrive):
        raise KwantLLGError(f"drive must be a PumpDrive, got {type(drive).__name__}.")
    return drive


def pumped_current(greens, m, drive, times, *, energy=None, lead=1):
    """Pumped current I_α(t) (Eq. 40) for a frozen texture at the Fermi energy.

    Parameters
    ----------
    greens : FrozenGreens
        Built with ``onsite_parameters`` containing ``drive.names``.
    m : array_like (num_sites, 3) or callable
    drive : PumpDrive
    times : array_like
    energy : float, optional
        Fermi energy (default ``greens.energy``).
    lead : int
        Lead index (1 = right lead of the seed's device).

    Returns
    -------
    PumpedCurrent
    """
    drive = _check_drive(drive)
    model = PumpModel(greens, drive.names, energy)
    lead = _check_lead(lead, model.num_leads)
    m = greens.magnetization_array(m)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    values, rates = drive.values(times), drive.rates(times)
    cur = np.empty(len(times))
    spin = np.empty((len(times), 2))
    has_spin = model.lead_data[lead][2] is not None
    for k in range(len(times)):
        resp = model.response(m, values[:, k], densities=False)
        cur[k] = resp.current(rates[:, k], lead)
        if has_spin:
            spin[k] = resp.current_spin(rates[:, k], lead)
    up, down = (spin[:, 0], spin[:, 1]) if has_spin else (None, None)
    return PumpedCurrent(times, cur, up, down, drive.omega * times, lead)


def _cycle_charge(samples, period):
    """Periodic trapezoid rule over one period and its error estimate from half the nodes."""
    samples = np.asarray(samples)
    full = samples.mean(axis=0) * period
    half = samples[::2].mean(axis=0) * period
    return full, np.abs(full - half)


def charge_per_cycle(greens, m, drive, *, energy=None, lead=1, n_times=64):
    """Electrons pumped into ``lead`` per cycle for a frozen texture, Q = ∫_0^T I_α dt.

    Q = ∮ Σ_p (dn_α/dv_p) dv_p does not depend on ω (adiabatic pumping); the integral over
    the period uses the periodic trapezoid rule with ``n_times`` (even) samples.

    Returns
    -------
    PumpedCharge
    """
    n_times = _check_n_times(n_times)
    drive = _check_drive(drive)
    times = np.arange(n_times) * drive.period / n_times
    cur = pumped_current(greens, m, drive, times, energy=energy, lead=lead)
    total, err = _cycle_charge(cur.current, drive.period)
    if cur.up is None:
        up = down = None
    else:
        up, down = (float(x) for x in _cycle_charge(np.stack([cur.up, cur.down], 1),
                                                    drive.period)[0])
    return PumpedCharge(float(total), up, down, float(err), n_times, cur.lead)


def _check_n_times(n_times):
    if not (isinstance(n_times, (int, np.integer)) and n_times >= 4 and n_times % 2 == 0):
        raise KwantLLGError(f"n_times must be an even integer >= 4, got {n_times!r}.")
    return int(n_times)


def brouwer_charge(fsyst, m, drive, *, energy, params, lead=1, n_times=64, delta=1e-4,
                   magnetization="m"):
    r"""Charge pumped per cycle from Brouwer's formula with Kwant's scattering matrix.

    dn_α/dv_p = −(1/2π) Im Tr_α[(∂S/∂v_p) S^†] with ∂S/∂v_p from central finite differences
    (step ``delta``) of ``kwant.smatrix``; the current Σ_p v̇_p dn_α/dv_p is integrated over
    one period with the periodic trapezoid rule. An independent reference for
    :func:`charge_per_cycle` (no kwant_llg Green's function involved).

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
    m : array_like (num_sites, 3) or callable
    drive : PumpDrive
    energy : float
    params : dict
        All other value-function parameters (gate values are set from the drive).
    lead, n_times, delta
        Lead index, time samples (even), finite-difference step.

    Returns
    -------
    PumpedCharge
        ``up`` and ``down`` are the σ_z-resolved parts when the lead conserves σ_z, else
        None. Kwant's modes of a spin-degenerate lead mix the spins within each pair of
        degenerate modes, so the spin-σ part of Tr_α is taken with the projector on spin σ
        in the space of outgoing channels (:func:`_channel_spin_projectors`).
    """
    import kwant

    drive = _check_drive(drive)
    n_times = _check_n_times(n_times)
    delta = _finite(delta, "delta", positive=True)
    lead = _check_lead(lead, len(fsyst.leads))
    p = dict(params or {})
    p[magnetization] = site_field(fsyst, m)
    times = np.arange(n_times) * drive.period / n_times
    values, rates = drive.values(times), drive.rates(times)

    def smat(vals):
        q = dict(p, **dict(zip(drive.names, (float(v) for v in vals))))
        s = kwant.smatrix(fsyst, energy, params=q)
        return s.data, s

    projectors = None
    spin_lead = _conserves_sigma_z(fsyst.leads[lead], p)
    cur = np.empty((n_times, 3))            # total, up, down
    for k in range(n_times):
        s0, sm = smat(values[:, k])
        rows = sm.out_block_coords(lead)
        if spin_lead and k == 0:            # the leads do not depend on the gates
            projectors = _channel_spin_projectors(sm.lead_info[lead])
        dn = np.zeros((len(drive.names), 3))
        for i in range(len(drive.names)):
            dv = np.zeros(len(drive.names))
            dv[i] = delta
            ds = (smat(values[:, k] + dv)[0] - smat(values[:, k] - dv)[0]) / (2 * delta)
            emis = ds[rows] @ s0[rows].conj().T
            dn[i, 0] = -np.trace(emis).imag / TWO_PI
            if projectors is not None:
                dn[i, 1:] = [-np.trace(pr @ emis).imag / TWO_PI for pr in projectors]
        cur[k] = rates[:, k] @ dn
    (total, up, down), err = _cycle_charge(cur, drive.period)
    if projectors is None:
        up = down = None
    else:
        up, down = float(up), float(down)
    return PumpedCharge(float(total), up, down, float(err[0]), n_times, lead)


def _conserves_sigma_z(flead, params):
    """Whether the lead's cell Hamiltonian and hopping have no spin-flip blocks."""
    h = flead.cell_hamiltonian(params=params)
    v = flead.inter_cell_hopping(params=params)
    if h.shape[0] % 2:
        return False
    return all(np.abs(x[0::2, 1::2]).max(initial=0) < 1e-14
               and np.abs(x[1::2, 0::2]).max(initial=0) < 1e-14 for x in (h, v))


def _channel_spin_projectors(lead_info, tol=1e-8):
    """Projectors on spin up and spin down in the space of the outgoing channels of a lead.

    For a σ_z-conserving lead, Kwant's outgoing modes φ_i at equal momentum span a
    σ_z-invariant space in which they are orthogonal with equal norms (unit current);
    P^σ_ij = φ_i^† P_σ φ_j / (|φ_i| |φ_j|) for modes of equal momentum, zero between modes
    of different momentum (their cross flux averages out along the lead). P^↑ + P^↓ = 1.
    """
    n = len(lead_info.momenta) // 2
    wf = lead_info.wave_functions[:, n:]
    k = lead_info.momenta[n:]
    norm = np.linalg.norm(wf, axis=0)
    same = np.abs(k[:, None] - k[None, :]) < tol
    projectors = []
    for s in (0, 1):                              # orbitals interleaved (up, down)
        part = wf[s::2].conj().T @ wf[s::2]
        projectors.append(np.where(same, part, 0) / np.outer(norm, norm))
    if not np.allclose(projectors[0] + projectors[1], np.eye(n), atol=1e-8):
        return None                         # modes not orthogonal: no channel projector
    return projectors

