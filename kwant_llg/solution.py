"""Result object of a frozen scattering calculation at one real energy.

All quantities are pure NumPy functions of ψ_α = G^r W_α, where Γ_α = W_α W_α^† is the
broadening of lead α (Γ_α = i(Σ_α^r − Σ_α^a), the paper's Γ_R below Eq. 40).
"""

import numpy as np

from ._common import KwantLLGError

__all__ = ["ScatteringSolution", "spin_density_from_states", "ldos_from_states"]

TWO_PI = 2 * np.pi


def spin_density_from_states(psi):
    """Local ⟨σ⟩ per site from scattering states: Tr_s[σ ψ ψ^†]_ii / 2π.

    Parameters
    ----------
    psi : ndarray, shape (2 * num_sites, k)
        Columns G^r W (orbitals ordered (site, spin)).

    Returns
    -------
    ndarray, shape (num_sites, 3)
    """
    if psi.flags.f_contiguous and not psi.flags.c_contiguous:
        # column-major (as MUMPS returns it): reduce over the contiguous channel axis
        pt = psi.T
        up, down = pt[:, 0::2], pt[:, 1::2]
        updown = (up.conj() * down).sum(axis=0)              # Σ_k ψ↑* ψ↓
        n_up = (up.real ** 2 + up.imag ** 2).sum(axis=0)
        n_down = (down.real ** 2 + down.imag ** 2).sum(axis=0)
    else:
        up, down = psi[0::2], psi[1::2]
        updown = np.einsum("ik,ik->i", up.conj(), down)      # Σ_k ψ↑* ψ↓
        n_up = np.einsum("ik,ik->i", up.conj(), up).real
        n_down = np.einsum("ik,ik->i", down.conj(), down).real
    # Tr[σ ρ] with ρ = ψψ†: s_x = 2 Re ρ_↓↑, s_y = 2 Im ρ_↓↑, s_z = ρ_↑↑ − ρ_↓↓
    return np.stack([2 * updown.real, 2 * updown.imag, n_up - n_down], axis=1) / TWO_PI


def ldos_from_states(psi):
    """Local density of states per site, Σ_orbitals |ψ|² / 2π."""
    return (np.abs(psi) ** 2).sum(axis=1).reshape(-1, 2).sum(axis=1) / TWO_PI


class ScatteringSolution:
    """Scattering states of all leads at one real energy for one frozen texture.

    Attributes
    ----------
    psi : ndarray (2 * num_sites, num_channels)
        ψ = G^r W for the open channels of all leads, stacked column-wise.
    lead_cols : list of slice
        Columns of ``psi`` belonging to each lead.
    energy : float
    """

    def __init__(self, psi, lead_cols, lead_data, lead_orbs, energy):
        self.psi = psi
        self.lead_cols = lead_cols
        self._lead_data = lead_data
        self._lead_orbs = lead_orbs
        self.energy = energy

    @property
    def num_leads(self):
        return len(self.lead_cols)

    def _leads(self, lead):
        if lead is None:
            return range(self.num_leads)
        if np.ndim(lead) == 0:
            lead = [lead]
        for a in lead:
            if not 0 <= a < self.num_leads:
                raise KwantLLGError(f"Lead index {a} out of range (system has {self.num_leads} leads).")
        return lead

    def spin_density(self, lead=None, *, per_lead=False):
        r"""Nonequilibrium (Fermi-surface) local spin density at this energy.

        s_i^a(E) = (1/2π) Σ_α Tr_s[σ^a (G^r Γ_α G^a)_ii]: the density per unit energy
        injected by the scattering states of lead(s) α, i.e. the integrand of
        Eq. (14)/(33) with G^< = Σ_α i f_α G^r Γ_α G^a, in units of ⟨σ⟩ (multiply by 1/2
        for ⟨s⟩ = ⟨σ⟩/2, the paper's s_D of Eq. 11).

        Parameters
        ----------
        lead : int or sequence of int, optional
            Leads to include (default: all).
        per_lead : bool
            Return an array (num_leads_selected, num_sites, 3) instead of the sum.
        """
        res = [spin_density_from_states(self.psi[:, self.lead_cols[a]]) for a in self._leads(lead)]
        return np.array(res) if per_lead else sum(res)

    def ldos(self, lead=None):
        """Local density of states per site, (1/2π) Σ_α diag(G^r Γ_α G^a) traced over spin.

        Equals −Im G^r_ii / π when the leads are the only source of broadening.
        """
        return sum(ldos_from_states(self.psi[:, self.lead_cols[a]]) for a in self._leads(lead))

    def dos(self):
        """Total density of states of the scattering region, Σ_i LDOS_i."""
        return float(self.ldos().sum())

    def smatrix_block(self, to_lead, from_lead):
        """Block S_{αβ} = −δ_{αβ} + i W_α^† G^r W_β in the eigenchannel basis of Γ.

        Fisher–Lee relation; unitary because G^r − G^a = −i G^r Γ G^a.
        """
        _, w_to, _ = self._lead_data[to_lead]
        g = self.psi[self._lead_orbs[to_lead], self.lead_cols[from_lead]]
        s = 1j * w_to.conj().T @ g
        if to_lead == from_lead:
            s -= np.eye(s.shape[0])
        return s

    def num_modes(self, lead):
        """Number of open channels of ``lead`` (rank of Γ_α)."""
        return self.lead_cols[lead].stop - self.lead_cols[lead].start

    def transmission(self, to_lead=None, from_lead=None, *, spin=None):
        r"""Transmission T_{αβ} = Σ |S_{αβ}|² from lead β to lead α (Kwant's order).

        The diagonal T_{αα} is the reflection, so Σ_β T_{αβ} = N_α (unitarity).

        Parameters
        ----------
        to_lead, from_lead : int, optional
            If both are omitted, the full matrix (num_leads, num_leads) is returned.
        spin : tuple (s_out, s_in), optional
            Spin resolution with s = +1 (up) or −1 (down) along z, e.g. ``(-1, -1)`` for
            down → down. Only for leads that conserve σ_z.
        """
        if to_lead is None and from_lead is None:
            n = self.num_leads
            return np.array([[self.transmission(a, b, spin=spin) for b in range(n)] for a in range(n)])
        if to_lead is None or from_lead is None:
            raise KwantLLGError("Give both to_lead and from_lead, or neither for the full matrix.")
        self._leads([to_lead, from_lead])
        s = self.smatrix_block(to_lead, from_lead)
        if spin is not None:
            s_out, s_in = spin
            lab_out = self._lead_data[to_lead][2]
            lab_in = self._lead_data[from_lead][2]
            if lab_out is None or lab_in is None:
                raise KwantLLGError(
                    "Spin-resolved transmission needs leads that conserve σ_z; lead "
                    f"{to_lead if lab_out is None else from_lead} mixes spin up and down.")
            if s_out not in (1, -1) or s_in not in (1, -1):
                raise KwantLLGError(f"spin must be a pair of +1/-1, got {spin!r}.")
            s = s[np.ix_(lab_out == s_out, lab_in == s_in)]
        return float(np.sum(np.abs(s) ** 2))
