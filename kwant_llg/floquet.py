r"""Floquet scattering theory for periodic gate driving of a frozen texture.

For a drive H(t) = H_0 + Σ_p v_p(t) Y_p with v_p(t) = A_p cos(ω t + φ_p) (a
:class:`~kwant_llg.pumping.PumpDrive`; Y_p the onsite matrices of the declared onsite
parameters of a :class:`~kwant_llg.FrozenGreens`), write H(t) = Σ_k H_k e^{−ikωt} with

    H_{+1} = Σ_p (A_p/2) e^{−iφ_p} Y_p,    H_{−1} = H_{+1}^†,    H_{±k} = 0 for k > 1.

A scattering state that enters from lead β at energy E is ψ(t) = e^{−iEt} Σ_n ψ_n e^{−inωt},
where the sideband components n = −N…N solve the block-tridiagonal Floquet problem

    (E_n − H_0 − Σ^r(E_n)) ψ_n − H_{+1} ψ_{n−1} − H_{−1} ψ_{n+1} = δ_{n0} W_β(E),   E_n = E + nω,

with Σ^r(E_n) and Γ(E_n) = W(E_n) W(E_n)^† from :meth:`FrozenGreens.lead_data`. The drive
enters to all orders; only the number of sidebands is truncated (the truncated Floquet
Hamiltonian is Hermitian, so the truncated Floquet S matrix stays exactly unitary and
currents are exactly conserved; the weight left in the outermost sidebands measures the
truncation error). The Floquet–Fisher–Lee relation gives

    S_{αβ}(E_n, E) = −δ_{αβ} δ_{n0} + i W_α(E_n)^† ψ_n|_α,

and with all leads at the same Fermi function f the DC pumped current (electrons per unit
time into lead α) is (Moskalets and Büttiker)

    I_α = Σ_β Σ_n ∫ dE/2π |S_{αβ}(E_n, E)|² [f(E) − f(E_n)],

which at T = 0 only needs energies within N ω of μ. The time-resolved current of the
scattering states at one energy follows from the lead self-energies; the derivations and
the adiabatic limit are in docs/theory.md ("Floquet scattering for periodic gate driving").
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._common import BandEdgeError, ConvergenceError, KwantLLGError
from .greens import FrozenGreens
from .sparse_lu import SparseLU
from .pumping import PumpDrive
from . import floquet_dyson as _dyson
from .floquet_cache import FloquetCache
from .solution import ldos_from_states, spin_density_from_states

__all__ = ["FloquetSolution", "FloquetCharge", "FloquetCache", "floquet_solve",
           "converge_sidebands", "pumped_charge"]

TWO_PI = 2 * np.pi


def _check_inputs(greens, drive, n_sidebands):
    if not isinstance(greens, FrozenGreens):
        raise KwantLLGError(f"greens must be a FrozenGreens, got {type(greens).__name__}.")
    if not isinstance(drive, PumpDrive):
        raise KwantLLGError(f"drive must be a PumpDrive, got {type(drive).__name__}.")
    missing = [n for n in drive.names if n not in greens.onsite_terms]
    if missing:
        raise KwantLLGError(f"The drive acts on {missing}, which are not onsite parameters of this "
                            "FrozenGreens; declare them with onsite_parameters=(...).")
    if not (isinstance(n_sidebands, (int, np.integer)) and n_sidebands >= 0):
        raise KwantLLGError(f"n_sidebands must be an integer >= 0, got {n_sidebands!r}.")
    if n_sidebands == 0 and np.any(drive.amplitudes != 0):
        # sideband 0 alone is the frozen problem of the time-averaged Hamiltonian: the drive
        # is dropped, and the truncation weight (of sidebands ±N = 0) cannot show it
        raise KwantLLGError(
            "n_sidebands = 0 drops the nonzero drive (only the time-averaged Hamiltonian is "
            "left); use n_sidebands >= 1, about |V|/ω + 3 (check the result's truncation).")
    return int(n_sidebands)


def _sideband_lead_data(greens, energy, omega, n_sidebands, check_band_edge=True, cache=None):
    lookup = greens.lead_data if cache is None else cache.lead_data
    data = []
    for n in range(-n_sidebands, n_sidebands + 1):
        e_n = energy + n * omega
        try:
            data.append(lookup(e_n, check_band_edge=check_band_edge))
        except BandEdgeError as err:
            raise BandEdgeError(
                f"Sideband n = {n} of the Floquet problem sits on a lead band edge "
                f"(E + nω = {e_n!r}, E = {energy!r}, ω = {omega!r}); the lead self-energy is "
                "singular there. Shift the energy or the frequency slightly (the observables "
                "are continuous across the edge).") from err
    return data


def _sources(greens, data):
    """Incoming waves W of all channels at one energy, (num_orbitals, channels)."""
    widths = [w.shape[1] for _, w, _ in data]
    starts = np.concatenate([[0], np.cumsum(widths)])
    source = np.zeros((2 * greens.num_sites, starts[-1]), dtype=complex)
    for lead, (orbs, (_, w, _)) in enumerate(zip(greens.lead_orbitals, data)):
        source[orbs, starts[lead]:starts[lead + 1]] = w
    return source


def _drive_blocks(greens, drive):
    """Onsite blocks of H_{+1} = Σ_p (A_p/2) e^{−iφ_p} Y_p, shape (num_sites, 2, 2)."""
    blocks = np.zeros((greens.num_sites, 2, 2), dtype=complex)
    for name, amp, phase in zip(drive.names, drive.amplitudes, drive.phases):
        blocks += 0.5 * amp * np.exp(-1j * phase) * greens.onsite_terms[name]
    return blocks


def floquet_matrix(greens, m, drive, energy, n_sidebands, *, onsite_values=None,
                   lead_data=None):
    """Sparse Floquet matrix E_n − H_0 − Σ(E_n) − H_{n−m} (sidebands −N…N, block-tridiagonal).

    Returns
    -------
    (rows, cols, data, size) : the COO triplets of the matrix, size (2N+1) × num_orbitals.
    """
    norb, nb = 2 * greens.num_sites, 2 * n_sidebands + 1
    if lead_data is None:
        lead_data = _sideband_lead_data(greens, energy, drive.omega, n_sidebands)
    m = greens.magnetization_array(m)
    rows, cols, data = [], [], []
    for k, n in enumerate(range(-n_sidebands, n_sidebands + 1)):
        rows.append(greens._rows + k * norb)
        cols.append(greens._cols + k * norb)
        data.append(greens._full_data(energy + n * drive.omega, m, lead_data[k], onsite_values))
    hp = sp.block_diag(list(_drive_blocks(greens, drive)), format="coo")
    for k in range(1, nb):
        # block (k, k−1) holds −H_{+1}, block (k−1, k) holds −H_{−1} = −H_{+1}^†
        rows += [hp.row + k * norb, hp.col + (k - 1) * norb]
        cols += [hp.col + (k - 1) * norb, hp.row + k * norb]
        data += [-hp.data, -hp.data.conj()]
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(data), nb * norb


def floquet_solve(greens, m, *, drive, energy, n_sidebands, onsite_values=None,
                  check_band_edge=True, cache=None, method="auto"):
    """Floquet scattering states of a periodically driven frozen texture at energy E.

    Parameters
    ----------
    greens : FrozenGreens
        With ``onsite_parameters`` containing ``drive.names``.
    m : array_like (num_sites, 3) or callable
        The frozen texture.
    drive : PumpDrive
        Gate amplitudes A_p, phases φ_p and frequency ω (any size; no expansion in A or ω).
    energy : float
        Energy E of the incoming electrons (sideband 0).
    n_sidebands : int
        Sidebands n = −N…N are kept; check ``FloquetSolution.truncation`` (or use
        :func:`converge_sidebands`).
    onsite_values : dict, optional
        Static offsets of the onsite parameters (added to the drive).
    check_band_edge : bool
        Refuse sideband energies on a lead band edge (default). False skips the guard (a
        third of the lead mode computations): for the interior nodes of an energy
        quadrature cut at the band edges.
    cache : FloquetCache, optional
        Lead data and symbolic factorisation shared with other solves of ``greens``.
    method : {"auto", "direct", "dyson"}
        "direct": one sparse factorisation of the whole (2N+1)-block Floquet matrix.
        "dyson": 2N+1 frozen factorisations and the Floquet problem projected on the
        orbitals the drive acts on (:mod:`kwant_llg.floquet_dyson`; the same truncated
        problem, equal to rounding). "auto" takes "dyson" when the drive acts on at most
        a quarter of the orbitals and N ≥ 1.

    Returns
    -------
    FloquetSolution

    Raises
    ------
    BandEdgeError
        If some E + nω lies on a lead band edge.
    """
    n_sidebands = _check_inputs(greens, drive, n_sidebands)
    if not (np.isscalar(energy) and np.isreal(energy) and np.isfinite(energy)):
        raise KwantLLGError(f"energy must be a finite real number, got {energy!r}.")
    energy = float(energy)
    greens._onsite_values(onsite_values)
    if cache is not None and cache.greens is not greens:
        raise KwantLLGError("The FloquetCache belongs to another FrozenGreens.")
    lead_data = _sideband_lead_data(greens, energy, drive.omega, n_sidebands, check_band_edge,
                                    cache)
    if method not in ("auto", "direct", "dyson"):
        raise KwantLLGError(f"method must be 'auto', 'direct' or 'dyson', got {method!r}.")
    norb = 2 * greens.num_sites
    source = _sources(greens, lead_data[n_sidebands])
    starts = np.concatenate([[0], np.cumsum([w.shape[1] for _, w, _ in
                                             lead_data[n_sidebands]])])
    orbitals, hp = _dyson.drive_support(_drive_blocks(greens, drive))
    if method == "auto":
        method = "dyson" if n_sidebands and 4 * len(orbitals) <= norb else "direct"
    if method == "dyson":
        m = greens.magnetization_array(m)
        factor = (SparseLU(greens._rows, greens._cols, norb, greens._factor.backend)
                  if cache is None else cache.factor(greens._rows, greens._cols, norb))
        token = None if cache is None else cache._frozen_token(m, onsite_values, orbitals)
        frozen = []
        for k, n in enumerate(range(-n_sidebands, n_sidebands + 1)):
            e_n = energy + n * drive.omega
            entry = None if cache is None else cache._frozen_get(e_n, token)
            if entry is None:
                # with a cache, every energy keeps its undriven state too: it is sideband 0
                # of the solve at E + nω
                src = (source if k == n_sidebands else
                       None if cache is None else _sources(greens, lead_data[k]))
                entry = _dyson.frozen_columns(
                    factor, greens._full_data(e_n, m, lead_data[k], onsite_values), norb,
                    orbitals, src)
                if cache is not None:
                    cache._frozen_put(e_n, token, entry)
            frozen.append(entry)
        psi = _dyson.dyson_states(frozen, orbitals, hp)
        psi = psi.reshape((2 * n_sidebands + 1) * norb, -1)
    else:
        rows, cols, data, size = floquet_matrix(greens, m, drive, energy, n_sidebands,
                                                onsite_values=onsite_values,
                                                lead_data=lead_data)
        rhs = np.zeros((size, starts[-1]), dtype=complex)
        rhs[n_sidebands * norb:(n_sidebands + 1) * norb] = source
        backend = greens._factor.backend
        factor = (SparseLU(rows, cols, size, backend) if cache is None
                  else cache.factor(rows, cols, size))
        solve = factor.factor(data)
        psi = np.asarray(solve(rhs)).reshape(size, -1) if rhs.shape[1] else rhs
    if not np.all(np.isfinite(psi)):
        raise KwantLLGError("The Floquet solve returned non-finite values (singular Floquet "
                            "matrix: a bound state at some E + nω?); shift the energy slightly.")
    lead_cols = [slice(a, b) for a, b in zip(starts[:-1], starts[1:])]
    return FloquetSolution(psi.reshape(2 * n_sidebands + 1, norb, -1), source, lead_data,
                           greens.lead_orbitals, lead_cols, energy, drive, n_sidebands)


class FloquetSolution:
    """Floquet scattering states ψ_n (n = −N…N) for all channels entering at energy E.

    Attributes
    ----------
    psi : ndarray (2N+1, num_orbitals, num_channels)
        Sideband components; ``psi[N + n]`` is ψ_n, columns ordered by incoming lead.
    energy, omega, n_sidebands, drive
    lead_cols : list of slice
        Columns of each incoming lead.
    lead_data : list (per sideband) of the lead data at E + nω.
    """

    def __init__(self, psi, source, lead_data, lead_orbitals, lead_cols, energy, drive,
                 n_sidebands):
        self.psi, self._source = psi, source
        self.lead_data, self._lead_orbs, self.lead_cols = lead_data, lead_orbitals, lead_cols
        self.energy, self.drive, self.n_sidebands = energy, drive, n_sidebands
        self.omega = drive.omega
        self.num_leads = len(lead_orbitals)

    # ------------------------------------------------------------ helpers
    @property
    def sidebands(self):
        """The sideband indices n = −N…N."""
        return np.arange(-self.n_sidebands, self.n_sidebands + 1)

    def _lead(self, lead):
        if not (isinstance(lead, (int, np.integer)) and 0 <= lead < self.num_leads):
            raise KwantLLGError(
                f"lead must be a lead index in [0, {self.num_leads}), got {lead!r}.")
        return int(lead)

    def _sideband(self, n):
        if not (isinstance(n, (int, np.integer)) and abs(n) <= self.n_sidebands):
            raise KwantLLGError(f"Sideband n must be an integer in [−{self.n_sidebands}, "
                                f"{self.n_sidebands}], got {n!r}.")
        return int(n) + self.n_sidebands

    @property
    def sideband_weights(self):
        """Share of Σ|ψ_n|² (all incoming channels) in each sideband n = −N…N."""
        w = (np.abs(self.psi) ** 2).sum(axis=(1, 2))
        return w / w.sum() if w.sum() > 0 else w

    @property
    def truncation(self):
        """Weight in the outermost sidebands ±N: the truncation error indicator."""
        w = self.sideband_weights
        return float(max(w[0], w[-1])) if self.n_sidebands else 0.0

    # ---------------------------------------------------------- S matrix
    def num_modes(self, lead, n=0):
        """Open channels of ``lead`` at E + nω."""
        return self.lead_data[self._sideband(n)][self._lead(lead)][1].shape[1]

    def outgoing(self, to_lead, n):
        """i W_α(E_n)^† ψ_n: outgoing amplitudes in ``to_lead`` at E + nω for all incoming
        channels (columns), i.e. the Floquet S matrix row block without the −δ term (n ≠ 0)."""
        k = self._sideband(n)
        to_lead = self._lead(to_lead)
        w = self.lead_data[k][to_lead][1]
        return 1j * w.conj().T @ self.psi[k][self._lead_orbs[to_lead]]

    def smatrix_block(self, to_lead, from_lead, n):
        """S_{αβ}(E + nω, E) = −δ_{αβ} δ_{n0} + i W_α(E_n)^† ψ_n (Floquet–Fisher–Lee)."""
        k = self._sideband(n)
        to_lead, from_lead = self._lead(to_lead), self._lead(from_lead)
        w = self.lead_data[k][to_lead][1]
        s = 1j * w.conj().T @ self.psi[k][self._lead_orbs[to_lead], self.lead_cols[from_lead]]
        if n == 0 and to_lead == from_lead:
            s -= np.eye(s.shape[0])
        return s

    def transmission(self, to_lead, from_lead, n=None, *, spin=None):
        """Photon-assisted transmission T_{αβ}(n) = Σ |S_{αβ}(E + nω, E)|².

        Parameters
        ----------
        to_lead, from_lead : int
        n : int, optional
            Sideband; if omitted, an array over n = −N…N.
        spin : tuple (s_out, s_in) of ±1, optional
            Only channels with these σ_z labels (spin-conserving leads).
        """
        if n is None:
            return np.array([self.transmission(to_lead, from_lead, int(k), spin=spin)
                             for k in self.sidebands])
        s = self.smatrix_block(to_lead, from_lead, n)
        if spin is not None:
            s_out, s_in = spin
            lab_out = self.lead_data[self._sideband(n)][to_lead][2]
            lab_in = self.lead_data[self.n_sidebands][from_lead][2]
            if lab_out is None or lab_in is None:
                raise KwantLLGError("Spin-resolved transmission needs leads that conserve σ_z.")
            s = s[np.asarray(lab_out) == s_out][:, np.asarray(lab_in) == s_in]
        return float((np.abs(s) ** 2).sum())

    # ----------------------------------------------------------- currents
    def _orbitals(self, lead, spin):
        orbs = np.asarray(self._lead_orbs[lead])
        if spin is None:
            return orbs, slice(None)
        if spin not in (1, -1):
            raise KwantLLGError(f"spin must be +1 (up), −1 (down) or None, got {spin!r}.")
        if any(d[lead][2] is None for d in self.lead_data):
            raise KwantLLGError("Spin-resolved currents need a lead that conserves σ_z.")
        sel = np.arange(len(orbs)) % 2 == (0 if spin == 1 else 1)
        return orbs, sel

    def current(self, lead, harmonic=None, *, spin=None):
        r"""Harmonics I_k of the current into ``lead`` per unit energy at E (all channels).

        I_α(t) = Σ_k I_k e^{−ikωt} = −(1/2π) Σ_channels 2 Im[ψ(t)^† χ_α(t)], χ_α the
        lead coupling term Σ_α(E_n) ψ_n (+ the incoming wave W_α in sideband 0). Positive:
        electrons leave the scattering region into the lead. ``spin`` (±1) restricts to the
        σ_z = ±1 orbitals (leads that conserve σ_z).

        Returns
        -------
        complex, or ndarray over k = −2N…2N (``harmonic=None``).
        """
        lead = self._lead(lead)
        orbs, sel = self._orbitals(lead, spin)
        psi = self.psi[:, orbs]
        chi = np.matmul(np.array([d[lead][0] for d in self.lead_data]), psi)
        chi[self.n_sidebands] += self._source[orbs]
        psi, chi = psi[:, sel], chi[:, sel]
        nb = 2 * self.n_sidebands + 1
        # c_k = Σ_n ψ_n^† χ_{n+k}, k = −2N…2N
        corr = psi.reshape(nb, -1).conj() @ chi.reshape(nb, -1).T
        c = np.array([np.trace(corr, offset=k) for k in range(-(nb - 1), nb)])
        cur = 1j * (c - c[::-1].conj()) / TWO_PI
        if harmonic is None:
            return cur
        if not (isinstance(harmonic, (int, np.integer)) and abs(harmonic) < nb):
            raise KwantLLGError(f"harmonic must be an integer in [−{nb - 1}, {nb - 1}].")
        return cur[harmonic + nb - 1]

    def current_at(self, lead, phase, *, spin=None):
        """Time-resolved current (per unit energy) into ``lead`` at ω t = ``phase``."""
        cur = self.current(lead, spin=spin)
        k = np.arange(-(len(cur) // 2), len(cur) // 2 + 1)
        return np.real(np.exp(-1j * np.multiply.outer(np.asarray(phase, float), k)) @ cur)

    def number_harmonics(self):
        """Harmonics N_k of the electron number per unit energy in the scattering region.

        Continuity: Σ_α I_{α,k} = i k ω N_k.
        """
        nb = 2 * self.n_sidebands + 1
        corr = np.einsum("nac,mac->nm", self.psi.conj(), self.psi)
        return np.array([np.trace(corr, offset=k) for k in range(-(nb - 1), nb)]) / TWO_PI

    def charge_per_cycle(self, lead, *, spin=None):
        """Adiabatic-window estimate Q_α = Σ_β Σ_n n T_{αβ}(n) of the charge pumped per cycle.

        This is the T = 0 result of :func:`pumped_charge` with T_{αβ}(n; E') taken at
        E' = E over the window [E − nω, E]; it becomes exact as ω → 0 (the energy dependence
        of T over Nω is neglected). ``spin``: σ_z label of the outgoing channels.
        """
        lead = self._lead(lead)
        total = 0.0
        for n in self.sidebands:
            for beta in range(self.num_leads):
                if spin is None:
                    t = self.transmission(lead, beta, int(n))
                else:
                    t = sum(self.transmission(lead, beta, int(n), spin=(spin, s)) for s in (1, -1))
                total += n * t
        return float(total)

    # ----------------------------------------------------------- densities
    def states(self, phase):
        """Scattering states ψ(t) = Σ_n ψ_n e^{−inωt} at ω t = ``phase`` (norb, channels)."""
        if not np.isfinite(phase):
            raise KwantLLGError(f"phase must be finite, got {phase!r}.")
        return np.einsum("n,nac->ac", np.exp(-1j * self.sidebands * phase), self.psi)

    def spin_density(self, phase, *, lead=None):
        """Time-resolved ⟨σ⟩ per site per unit energy at E at ω t = ``phase``, (num_sites, 3).

        (1/2π) Σ_channels ψ(t)^† σ ψ(t) (the Fermi-surface density of
        :meth:`ScatteringSolution.spin_density` for a driven system). ``lead``: only the
        channels entering from that lead.
        """
        psi = self.states(phase)
        if lead is not None:
            psi = psi[:, self.lead_cols[self._lead(lead)]]
        return spin_density_from_states(psi)

    def density(self, phase):
        """Time-resolved electron density per site per unit energy at ω t = ``phase``."""
        return ldos_from_states(self.states(phase))


def converge_sidebands(greens, m, *, drive, energy, tol=1e-8, n_start=2, n_max=64,
                       onsite_values=None):
    """:func:`floquet_solve` with N doubled from ``n_start`` until ``truncation < tol``.

    Raises
    ------
    ConvergenceError
        If ``n_max`` sidebands do not reach ``tol``.
    KwantLLGError
        If ``n_start < 1`` (N = 0 has no outermost sideband: its ``truncation`` is 0 whatever
        the drive, and doubling 0 never grows), ``n_max < n_start`` or ``tol`` is not a
        positive number.
    """
    if not (isinstance(n_start, (int, np.integer)) and n_start >= 1):
        raise KwantLLGError(f"n_start must be an integer >= 1, got {n_start!r} (with N = 0 the "
                            "drive is dropped and the truncation weight cannot be measured).")
    n = _check_inputs(greens, drive, n_start)
    if not (isinstance(n_max, (int, np.integer)) and n_max >= n):
        raise KwantLLGError(f"n_max must be an integer >= n_start = {n}, got {n_max!r}.")
    if not (np.isscalar(tol) and np.isreal(tol) and tol > 0):
        raise KwantLLGError(f"tol must be a positive number, got {tol!r}.")
    while True:
        sol = floquet_solve(greens, m, drive=drive, energy=energy, n_sidebands=n,
                            onsite_values=onsite_values)
        if sol.truncation < tol:
            return sol
        if n >= n_max:
            raise ConvergenceError(
                f"The Floquet sidebands did not converge: weight {sol.truncation:.2e} in the "
                f"outermost sidebands ±{n} (tol {tol:.1e}); raise n_max (the drive is strong "
                "or ω small compared to the amplitude-induced level shifts).")
        n = min(2 * n, n_max)


@dataclass
class FloquetCharge:
    """Charge pumped per cycle into each lead at T = 0 (Floquet, all orders in V and ω).

    ``charge[α]`` electrons per cycle into lead α, ``spin[α]`` = (up, down) by the σ_z label
    of the outgoing channel (None for leads that do not conserve σ_z), ``dc_current`` =
    charge ω/2π, ``truncation`` the largest sideband-truncation weight met, ``error`` the
    estimated absolute error of the energy integral (None for a fixed rule).
    """

    charge: np.ndarray
    spin: list
    dc_current: np.ndarray
    truncation: float
    n_sidebands: int
    n_energies: int
    error: float = None


def pumped_charge(greens, m, *, drive, mu, n_sidebands, tol=1e-6, n_points=None,
                  max_points=4000, onsite_values=None, cache=None, method="auto"):
    r"""Electrons pumped per cycle into every lead at T = 0, Floquet-exact.

    Q_α = (2π/ω) Σ_β Σ_n ∫ dE/2π T_{αβ}(E + nω ← E) [θ(μ − E) − θ(μ − E − nω)]:
    the window [μ − nω, μ] counts + for n > 0 and [μ, μ + |n|ω] counts − for n < 0, so the
    integral runs over [μ − Nω, μ + Nω]. By default it is adaptive: cut at μ + jω and at
    every lead threshold shifted by a multiple of ω (T_{αβ}(E + nω ← E) has a kink where E
    or E + nω crosses one), 15-point Gauss–Kronrod panels bisected where the estimated
    error is largest until the errors of all charges add up to less than ``tol``
    (narrow resonances, e.g. a sideband of a state bound below the lead band, are found
    this way; a fixed rule can miss them by far). The cut panels are shifted copies of each
    other, so sideband energies of different nodes coincide and a :class:`FloquetCache`
    (``cache``, else a new one) computes each lead once.

    Parameters
    ----------
    greens, m, drive, mu, n_sidebands
        As for :func:`floquet_solve`; μ is the Fermi energy of all leads.
    tol : float
        Absolute accuracy (electrons per cycle) of every charge.
    n_points : int, optional
        Instead of the adaptive rule: ``n_points`` Gauss–Legendre nodes on each panel
        [μ + jω, μ + (j+1)ω], uncut, with no error estimate (``error`` is None).
    max_points : int
        Budget of Floquet solves of the adaptive rule.
    method : {"auto", "direct", "dyson"}
        As for :func:`floquet_solve` (adaptive rule).

    Returns
    -------
    FloquetCharge

    Raises
    ------
    ConvergenceError
        ``tol`` not reached within ``max_points`` solves.
    """
    n_sidebands = _check_inputs(greens, drive, n_sidebands)
    if n_points is None:
        from .floquet_sea import adaptive_pumped_charge
        return adaptive_pumped_charge(greens, m, drive=drive, mu=mu, n_sidebands=n_sidebands,
                                      tol=tol, max_points=max_points,
                                      onsite_values=onsite_values, cache=cache, method=method)
    if not (isinstance(n_points, (int, np.integer)) and n_points >= 1):
        raise KwantLLGError(f"n_points must be a positive integer, got {n_points!r}.")
    omega, nl = drive.omega, len(greens.lead_orbitals)
    x, wq = np.polynomial.legendre.leggauss(int(n_points))
    charge = np.zeros(nl)
    spins = np.zeros((nl, 2))
    spin_ok = all(d[2] is not None for d in greens.lead_data(float(mu)))
    has_spin = [spin_ok] * nl
    trunc, count = 0.0, 0
    cache = FloquetCache(greens) if cache is None else cache
    for j in range(-n_sidebands, n_sidebands):
        for xi, wi in zip(x, wq):
            e = mu + (j + 0.5 + 0.5 * xi) * omega
            sol = floquet_solve(greens, m, drive=drive, energy=e, n_sidebands=n_sidebands,
                                onsite_values=onsite_values, cache=cache)
            trunc, count = max(trunc, sol.truncation), count + 1
            for n in sol.sidebands:
                # window weight: +1 if μ − nω < E < μ (n > 0), −1 if μ < E < μ + |n|ω (n < 0)
                sign = 1 if (n > 0 and -n <= j < 0) else (-1 if (n < 0 and 0 <= j < -n) else 0)
                if not sign:
                    continue
                factor = sign * 0.5 * wi     # ∫ dE/2π × (2π/ω) over the panel = (1/2) Σ w_i
                for a in range(nl):
                    probs = np.abs(sol.outgoing(a, int(n))) ** 2   # (out channels, all in)
                    charge[a] += factor * probs.sum()
                    if has_spin[a]:
                        lab = sol.lead_data[int(n) + n_sidebands][a][2]
                        spins[a] += factor * np.array([probs[lab == 1].sum(),
                                                       probs[lab == -1].sum()])
    spin = [tuple(spins[a]) if has_spin[a] else None for a in range(nl)]
    return FloquetCharge(charge, spin, charge * omega / TWO_PI, trunc, n_sidebands, count)
