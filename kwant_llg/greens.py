"""Frozen (instantaneous) Green's functions of a Kwant system with a magnetisation texture.

The central object is :class:`FrozenGreens`. It splits the Hamiltonian of the scattering
region into a static part and a part that is linear in the magnetisation,

    H(m) = H_static + Σ_i Σ_a m_i^a X_i^a,                                   (*)

where X_i^a is a 2×2 matrix on site i (for the seed's device X_i^a = J σ^a). The split is
found once by evaluating the user's value functions with uniform magnetisations ±x̂, ±ŷ,
±ẑ, and verified with a random texture, so any Kwant system whose onsite terms are affine
in m works, whatever its exchange convention. Everything that does not depend on m is
cached: H_static, the sparsity pattern of z − H − Σ (and the symbolic MUMPS analysis), the
lead self-energies Σ_α(z) and their broadening factors Γ_α = W_α W_α^† per energy. Each
new texture costs one vectorised update of the block diagonal, one numerical
factorisation and one solve.

The retarded frozen Green's function is Eq. (A5) of Xu et al., PRB 108, 144409 (2023):

    G_f^r(t, E) = [E − H(m(t)) − Σ^r(E)]^{-1}.
"""

from collections import OrderedDict

import numpy as np
import scipy.sparse as sp

from ._common import (KwantLLGError, SiteField, check_finite, check_params,
                      magnetization_array, required_params)
from . import leads as _leads
from . import rgf as _rgf
from .solution import ScatteringSolution
from .sparse_lu import HAVE_MUMPS, SparseLU, unit_columns

__all__ = ["FrozenGreens", "GreensFunction"]

class FrozenGreens:
    """Frozen Green's functions of a finalized Kwant system for many magnetisation textures.

    Parameters
    ----------
    fsyst : kwant.system.FiniteSystem
        Finalized system with 2 orbitals (spin up, spin down) on every site of the
        scattering region. Its value functions receive the magnetisation through ``params``
        under the name ``magnetization`` as a callable ``m(site) -> (3,) array``.
        Leads may be normal or ferromagnetic; any number of them.
    energy : float or complex, optional
        Default energy for the methods below.
    params : dict
        All other parameters of the value functions (everything except the magnetisation).
        They are frozen: build a new object to change them.
    magnetization : str
        Name of the magnetisation parameter in the value functions (default ``"m"``).
    onsite_parameters : sequence of str
        Scalar parameters that enter the onsite terms affinely and change between calls
        (e.g. the gate potentials ``("V1", "V2")`` of a pump). Their matrices
        Y_p = ∂H/∂p are extracted like the exchange term, and each call takes their values
        through ``onsite_values=``; values in ``params`` are the defaults (else 0).
    solver : {"auto", "mumps", "superlu"}
        Sparse factorisation backend; "auto" uses MUMPS when Kwant was built with it.
    lead_cache_size : int
        Number of energies whose lead self-energies are kept (least recently used are
        dropped; a contour of that many points is then reused across textures).

    Notes
    -----
    The magnetisation is passed to the methods as an array of shape (num_sites, 3),
    row i belonging to ``fsyst.sites[i]``, or as a callable ``site -> 3-vector``.
    The m-dependent part of H must be block diagonal (onsite) and affine in m, see (*)
    in the module docstring; this is checked at construction.
    """

    def __init__(self, fsyst, energy=None, *, params=None, magnetization="m",
                 onsite_parameters=(), solver="auto", check_hermiticity=True,
                 lead_cache_size=256):
        params = dict(params or {})
        self.onsite_parameters = tuple(onsite_parameters)
        self.onsite_defaults = {k: float(params.pop(k, 0.0)) for k in self.onsite_parameters}
        self.fsyst = fsyst
        self.energy = energy
        self.magnetization = magnetization
        if magnetization in params:
            raise KwantLLGError(
                f"Do not pass the magnetisation '{magnetization}' in params to FrozenGreens; "
                "give it to each call instead (it is the quantity that changes).")
        self.params = params
        self.num_sites = len(fsyst.sites)
        _check_two_orbitals(fsyst)
        if magnetization not in required_params(fsyst):
            raise KwantLLGError(
                f"No value function of the system takes a parameter named '{magnetization}'. "
                "Pass magnetization='<name>' with the name your onsite function uses.")
        check_params(fsyst, params, provided=[magnetization, *self.onsite_parameters])
        if solver == "auto":
            solver = "mumps" if HAVE_MUMPS else "superlu"
        if solver not in ("mumps", "superlu"):
            raise KwantLLGError(f"Unknown solver {solver!r}; use 'auto', 'mumps' or 'superlu'.")
        if solver == "mumps" and not HAVE_MUMPS:
            raise KwantLLGError("Kwant was built without MUMPS; use solver='superlu' or "
                                "reinstall with scripts/setup.sh.")
        self.solver = solver
        self._extract_exchange(check_hermiticity)
        self._build_pattern()
        self._lead_cache = OrderedDict()
        self.lead_cache_size = int(lead_cache_size)
        self._factor = SparseLU(self._rows, self._cols, self._norb, solver)

    # ------------------------------------------------------------------ set-up
    def _hamiltonian(self, m, values=None):
        p = dict(self.params)
        p.update(dict.fromkeys(self.onsite_parameters, 0.0))
        p.update(values or {})
        p[self.magnetization] = SiteField(self.fsyst, m)
        return self.fsyst.hamiltonian_submatrix(sparse=True, params=p).tocsr()

    def _onsite_blocks(self, diff, what):
        """2×2 onsite blocks of a sparse matrix that must be block diagonal."""
        d = diff.tocoo()
        offdiag = (d.row // 2) != (d.col // 2)
        if np.abs(d.data[offdiag]).max(initial=0) > 1e-12:
            raise KwantLLGError(
                f"The Hamiltonian depends on {what} through hoppings or inter-site terms; "
                "FrozenGreens supports onsite (block-diagonal) dependence only.")
        on = ~offdiag
        blocks = np.zeros((self.num_sites, 2, 2), dtype=complex)
        blocks[d.row[on] // 2, d.row[on] % 2, d.col[on] % 2] = d.data[on]
        return blocks

    def _extract_exchange(self, check_hermiticity):
        n = self.num_sites
        exch = np.zeros((n, 3, 2, 2), dtype=complex)
        static = None
        for a in range(3):
            e = np.zeros((n, 3))
            e[:, a] = 1
            hp, hm = self._hamiltonian(e), self._hamiltonian(-e)
            exch[:, a] = self._onsite_blocks((hp - hm) * 0.5, f"'{self.magnetization}'")
            if static is None:
                static = (hp + hm) * 0.5
            elif abs((hp + hm) * 0.5 - static).max() > 1e-12:
                raise KwantLLGError(
                    f"The onsite terms are not affine in '{self.magnetization}' (e.g. they contain "
                    "m_z**2): H(m) + H(-m) depends on the direction of m. FrozenGreens needs "
                    "H(m) = H_static + sum_a m^a X^a.")
        rng = np.random.default_rng(1234)
        probe = rng.normal(size=(n, 3))
        probe /= np.linalg.norm(probe, axis=1, keepdims=True)
        expect = static + self._block_matrix(np.einsum("ia,iaxy->ixy", probe, exch))
        if abs(self._hamiltonian(probe) - expect).max() > 1e-10:
            raise KwantLLGError(
                f"The onsite terms are not affine in '{self.magnetization}': a random texture "
                "does not give H_static + sum_a m^a X^a. FrozenGreens needs that form.")
        # onsite parameters (e.g. gate potentials): H = ... + v_p Y_p
        ez = np.tile([0.0, 0.0, 1.0], (n, 1))
        h_ez = static + self._block_matrix(exch[:, 2])
        self.onsite_terms = {}
        for name in self.onsite_parameters:
            hp, hm = self._hamiltonian(ez, {name: 1.0}), self._hamiltonian(ez, {name: -1.0})
            if abs((hp + hm) * 0.5 - h_ez).max() > 1e-12:
                raise KwantLLGError(f"The onsite terms are not affine in the parameter '{name}'.")
            self.onsite_terms[name] = self._onsite_blocks((hp - hm) * 0.5, f"'{name}'")
        if check_hermiticity:
            terms = [(static, "static part of the Hamiltonian")]
            terms += [(self._block_matrix(exch[:, a]), f"m_{'xyz'[a]} term") for a in range(3)]
            terms += [(self._block_matrix(y), f"'{k}' term") for k, y in self.onsite_terms.items()]
            for mat, what in terms:
                if abs(mat - mat.conj().T).max() > 1e-10:
                    raise KwantLLGError(
                        f"The {what} is not Hermitian. Check the value functions; use option "
                        "check_hermiticity=False if this is intentional.")
        self.static = static.tocoo()
        self.exchange = exch

    @staticmethod
    def _block_matrix(blocks):
        return sp.block_diag(list(blocks), format="csr")

    def _build_pattern(self):
        n_orb = 2 * self.num_sites
        self._norb = n_orb
        idx = np.arange(self.num_sites)
        diag_r = (2 * idx[:, None, None] + np.arange(2)[None, :, None]).repeat(2, axis=2)
        diag_c = (2 * idx[:, None, None] + np.arange(2)[None, None, :]).repeat(2, axis=1)
        self._lead_orbs = []
        lead_r, lead_c = [], []
        for iface in self.fsyst.lead_interfaces:
            orbs = (2 * np.asarray(iface)[:, None] + np.arange(2)).ravel()
            self._lead_orbs.append(orbs)
            lead_r.append(np.repeat(orbs, len(orbs)))
            lead_c.append(np.tile(orbs, len(orbs)))
        keys_static = self.static.row.astype(np.int64) * n_orb + self.static.col
        keys_diag = diag_r.ravel().astype(np.int64) * n_orb + diag_c.ravel()
        keys_lead = [r.astype(np.int64) * n_orb + c for r, c in zip(lead_r, lead_c)]
        uniq = np.unique(np.concatenate([keys_static, keys_diag, *keys_lead]))
        self._rows, self._cols = uniq // n_orb, uniq % n_orb
        self._pos_static = np.searchsorted(uniq, keys_static)
        self._pos_diag = np.searchsorted(uniq, keys_diag).reshape(self.num_sites, 2, 2)
        self._pos_lead = [np.searchsorted(uniq, k) for k in keys_lead]
        self._nnz = len(uniq)

    # ------------------------------------------------------------ lead data
    def lead_data(self, energy, *, check_band_edge=True):
        """Self-energies and broadening factors of all leads at ``energy`` (cached).

        ``check_band_edge=False`` skips the band-edge guard of :func:`kwant_llg.leads.
        selfenergy` at real energies (a third of the mode computations): for interior
        quadrature nodes, which sit on an edge only by accident.

        Returns
        -------
        list of (sigma, w, spin) per lead: Σ_α (n_α × n_α), W_α with Γ_α = W_α W_α^†, and
        the spin label (+1 up, −1 down) of each column of W_α, or None when the lead does
        not conserve σ_z.
        """
        energy = self._energy(energy)
        key = complex(energy)
        unchecked = self.__dict__.setdefault("_unchecked_edges", set())
        if key in self._lead_cache and not (check_band_edge and key in unchecked):
            self._lead_cache.move_to_end(key)
        else:
            self._lead_cache[key] = self.compute_lead_data(energy, check_band_edge=check_band_edge)
            (unchecked.discard if check_band_edge else unchecked.add)(key)
            while len(self._lead_cache) > max(1, self.lead_cache_size):
                unchecked.discard(self._lead_cache.popitem(last=False)[0])
        return self._lead_cache[key]

    @property
    def lead_solvers(self):
        """One :class:`kwant_llg.leads.LeadSolver` per lead (lead matrices evaluated once)."""
        solvers = self.__dict__.get("_lead_solvers")
        if solvers is None:
            solvers = self._lead_solvers = [_leads.LeadSolver(lead, params=self.params)
                                            for lead in self.fsyst.leads]
        return solvers

    def compute_lead_data(self, energy, *, check_band_edge=True):
        """:meth:`lead_data` without the cache (for callers that keep their own)."""
        energy = self._energy(energy)
        data = []
        for solver in self.lead_solvers:
            sigma = solver.selfenergy(energy, check_band_edge=check_band_edge)
            check_finite(sigma, "lead self-energy")
            if solver.spin_z:
                ws = [_leads.coupling_factor(sigma[s::2, s::2]) for s in (0, 1)]
                w = np.zeros((len(sigma), sum(x.shape[1] for x in ws)), dtype=complex)
                w[0::2, :ws[0].shape[1]] = ws[0]
                w[1::2, ws[0].shape[1]:] = ws[1]
                spin = np.repeat([1, -1], [ws[0].shape[1], ws[1].shape[1]])
            else:
                w, spin = _leads.coupling_factor(sigma), None
            data.append((sigma, w, spin))
        return data

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_lead_solvers", None)     # rebuilt from the leads on first use
        return state

    def _energy(self, energy):
        if energy is None:
            energy = self.energy
        if energy is None:
            raise KwantLLGError("No energy given: pass energy= here or to FrozenGreens(...).")
        if not np.isfinite(energy):
            raise KwantLLGError(f"The energy must be finite, got {energy!r}.")
        return energy

    # --------------------------------------------------------------- solving
    def _onsite_values(self, onsite_values):
        values = dict(self.onsite_defaults)
        for name, value in (onsite_values or {}).items():
            if name not in values:
                raise KwantLLGError(
                    f"'{name}' is not an onsite parameter of this FrozenGreens; declare it with "
                    f"onsite_parameters=(...) (declared: {list(values) or 'none'}).")
            if not np.isfinite(value):
                raise KwantLLGError(f"The onsite parameter '{name}' must be finite, got {value!r}.")
            values[name] = float(value)
        return values

    def _diagonal_blocks(self, m, onsite_values):
        """−Σ_a m^a X^a − Σ_p v_p Y_p per site: the texture-dependent part of z − H."""
        blocks = -np.einsum("ia,iaxy->ixy", m, self.exchange)
        for name, value in self._onsite_values(onsite_values).items():
            if value:
                blocks -= value * self.onsite_terms[name]
        return blocks

    def _base_data(self, z, lead_data):
        """Nonzeros of z − H_static − Σ(z) (everything that does not depend on m)."""
        data = np.zeros(self._nnz, dtype=complex)
        data[self._pos_static] -= self.static.data        # positions are unique (canonical COO)
        data[self._pos_diag[:, 0, 0]] += z
        data[self._pos_diag[:, 1, 1]] += z
        for pos, (sigma, _, _) in zip(self._pos_lead, lead_data or ()):
            data[pos] -= sigma.ravel()                      # unique within one lead
        return data

    def _matrix_data(self, z, m, onsite_values=None):
        data = self._base_data(z, None)
        data[self._pos_diag.ravel()] += self._diagonal_blocks(m, onsite_values).ravel()
        return data

    def _full_data(self, z, m, lead_data, onsite_values=None):
        data = self._base_data(z, lead_data)
        data[self._pos_diag.ravel()] += self._diagonal_blocks(m, onsite_values).ravel()
        return data

    def _solve_setup(self, energy):
        """Per real energy: m-independent nonzeros, sparse right-hand side W, lead columns."""
        cache = self.__dict__.setdefault("_setup_cache", OrderedDict())
        if energy in cache:
            cache.move_to_end(energy)
            return cache[energy]
        lead_data = self.lead_data(energy)
        rows, cols, vals, lead_cols = [], [], [], []
        col = 0
        for orbs, (_, w, _) in zip(self._lead_orbs, lead_data):
            k = w.shape[1]
            rows.append(np.repeat(orbs, k))
            cols.append(np.tile(np.arange(col, col + k), len(orbs)))
            vals.append(w.ravel())
            lead_cols.append(slice(col, col + k))
            col += k
        rhs = None
        if col:
            # The right-hand side is nonzero only on the lead interfaces: a sparse
            # right-hand side lets MUMPS skip most of the forward substitution.
            rhs = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                shape=(self._norb, col))
        cache[energy] = (self._base_data(energy, lead_data), rhs, lead_cols, lead_data)
        while len(cache) > 8:
            cache.popitem(last=False)
        return cache[energy]

    def _factorize(self, z, m, lead_data, onsite_values=None):
        return self._factor.factor(self._full_data(z, m, lead_data, onsite_values))

    def _rgf_pattern(self):
        """Block-tridiagonal slicing of the pattern (None if the system cannot be sliced)."""
        if not hasattr(self, "_rgf"):
            slices = _rgf.layer_sites(self.num_sites, self._rows // 2, self._cols // 2,
                                      [np.asarray(i) for i in self.fsyst.lead_interfaces],
                                      max_slice=max(64, self.num_sites // 4))
            self._rgf = None
            if slices is not None and len(slices) > 2:
                try:
                    self._rgf = _rgf.BlockTridiagonalPattern(self._rows, self._cols, slices)
                except ValueError:
                    self._rgf = None
        return self._rgf

    def magnetization_array(self, m):
        """Validated magnetisation array (num_sites, 3) from an array or callable."""
        return magnetization_array(self.fsyst, m, name=self.magnetization)

    def solve(self, m, energy=None, *, onsite_values=None):
        """Scattering solution G^r W_α for all leads at a real energy.

        Parameters
        ----------
        m : array_like (num_sites, 3) or callable
            Unit magnetisation per site.
        energy : float, optional
            Real energy; defaults to the one given at construction.
        onsite_values : dict, optional
            Values of the declared ``onsite_parameters`` for this call.

        Returns
        -------
        ScatteringSolution
            Holds ψ_α = G^r W_α (columns: open channels of lead α), from which the
            spin density, LDOS, transmission and DOS follow.
        """
        energy = self._energy(energy)
        if np.iscomplexobj(energy) and complex(energy).imag != 0:
            raise KwantLLGError("solve() works at real energies; use greens_diagonal() for complex z.")
        energy = float(np.real(energy))
        m = self.magnetization_array(m)
        base, rhs, lead_cols, lead_data = self._solve_setup(energy)
        data = base.copy()
        data[self._pos_diag.ravel()] += self._diagonal_blocks(m, onsite_values).ravel()
        solve = self._factor.factor(data)
        self._generation = getattr(self, "_generation", 0) + 1
        if rhs is not None:
            psi = np.asarray(solve(rhs)).reshape(self._norb, -1)
        else:
            psi = np.zeros((self._norb, 0), dtype=complex)
        psi = check_finite(psi, "scattering solution")
        return ScatteringSolution(psi, lead_cols, lead_data, self._lead_orbs, energy)

    def hamiltonian(self, m, *, onsite_values=None):
        """Sparse Hamiltonian H(m) of the scattering region (no self-energies), CSR.

        Assembled from the cached split H_static + Σ m^a X^a + Σ_p v_p Y_p, so it costs
        no value-function calls; equals ``fsyst.hamiltonian_submatrix(params=...)``.
        """
        m = self.magnetization_array(m)
        data = self._matrix_data(0.0, m, onsite_values)
        mat = sp.coo_matrix((-data, (self._rows, self._cols)), shape=(self._norb, self._norb))
        return mat.tocsr()

    def site_orbitals(self, sites=None):
        """Orbital indices (up, down interleaved) of site indices ``sites`` (all if None)."""
        if sites is None:
            return np.arange(self._norb)
        sites = np.asarray(sites, dtype=int).ravel()
        if sites.size and (sites.min() < 0 or sites.max() >= self.num_sites):
            raise KwantLLGError(f"Site indices must lie in [0, {self.num_sites}).")
        return (2 * sites[:, None] + np.arange(2)).ravel()

    @property
    def lead_orbitals(self):
        """Per lead, the orbital indices of the scattering region it couples to."""
        return list(self._lead_orbs)

    def factorize(self, z, m, *, onsite_values=None):
        """Factorised frozen G^r(z) = [z − H(m) − Σ^r(z)]^{-1} (Eq. A5) for repeated solves.

        Parameters
        ----------
        z : float or complex
            Energy; Im z >= 0 (real energies use Kwant's lead modes, complex ones decimation).
        m : array_like (num_sites, 3) or callable
        onsite_values : dict, optional

        Returns
        -------
        GreensFunction
            ``.solve(rhs)`` = G^r rhs, ``.columns(orbitals)``, the lead data at z.

        Notes
        -----
        The factorisation is held by this FrozenGreens (one at a time): calling
        ``factorize``/``solve`` again invalidates earlier GreensFunction objects.
        """
        z = self._energy(z)
        if np.iscomplexobj(z) and complex(z).imag < 0:
            raise KwantLLGError("factorize() needs Im z >= 0 (retarded Green's function).")
        if not (np.iscomplexobj(z) and complex(z).imag != 0):
            z = float(np.real(z))
        m = self.magnetization_array(m)
        lead_data = self.lead_data(z)
        solve = self._factorize(z, m, lead_data, onsite_values)
        self._generation = getattr(self, "_generation", 0) + 1
        return GreensFunction(self, solve, z, lead_data, self._generation)

    def greens_diagonal(self, z, m, *, onsite_values=None, method="auto", chunk=512):
        """Diagonal 2×2 blocks of the frozen G^r(z) = [z − H(m) − Σ(z)]^{-1} (Eq. A5).

        Parameters
        ----------
        z : complex
            Energy with Im z >= 0 (Im z > 0 uses decimated lead self-energies).
        m : array_like (num_sites, 3) or callable
        method : {"auto", "rgf", "sparse"}
            "rgf": recursive Green's function on a breadth-first slicing of the system
            (see :mod:`kwant_llg.rgf`); "sparse": sparse LU and one solve per orbital.
            "auto" uses RGF whenever the system can be sliced.

        Returns
        -------
        ndarray, shape (num_sites, 2, 2)
        """
        z = complex(self._energy(z))
        m = self.magnetization_array(m)
        if method not in ("auto", "rgf", "sparse"):
            raise KwantLLGError(f"Unknown method {method!r}; use 'auto', 'rgf' or 'sparse'.")
        lead_data = self.lead_data(z)
        pattern = self._rgf_pattern() if method != "sparse" else None
        if method == "rgf" and pattern is None:
            raise KwantLLGError("This system cannot be cut into block-tridiagonal slices "
                                "(disconnected parts or leads not at two ends); use method='sparse'.")
        if pattern is not None:
            data = self._full_data(z, m, lead_data, onsite_values)
            blocks = _rgf.rgf_diagonal(*pattern.blocks(data))
            out = np.empty((self.num_sites, 2, 2), dtype=complex)
            for sites, g in zip(pattern.slices, blocks):
                k = np.arange(len(sites))
                out[sites] = g.reshape(len(sites), 2, len(sites), 2)[k, :, k, :]
            return check_finite(out, "Green's function")
        solve = self._factorize(z, m, lead_data, onsite_values)
        self._generation = getattr(self, "_generation", 0) + 1
        n = self.num_sites
        out = np.empty((n, 2, 2), dtype=complex)
        step = max(1, chunk // 2)
        for start in range(0, n, step):
            stop = min(n, start + step)
            cols = np.arange(2 * start, 2 * stop)
            rhs = np.zeros((self._norb, len(cols)), dtype=complex)
            rhs[cols, np.arange(len(cols))] = 1
            x = np.asarray(solve(rhs)).reshape(self._norb, -1)
            sites = np.arange(stop - start)
            xr = x[2 * start:2 * stop].reshape(stop - start, 2, stop - start, 2)
            out[start:stop] = xr[sites, :, sites, :]
        return check_finite(out, "Green's function")


class GreensFunction:
    """A factorised frozen retarded Green's function G^r(z) (from :meth:`FrozenGreens.factorize`).

    Attributes
    ----------
    z : float or complex
    lead_data : list of (Σ_α, W_α, spin) per lead, as :meth:`FrozenGreens.lead_data`.
    lead_orbitals : list of index arrays (interface orbitals of each lead).
    """

    def __init__(self, greens, solve, z, lead_data, generation):
        self._greens, self._solve, self._generation = greens, solve, generation
        self.z, self.lead_data = z, lead_data
        self.lead_orbitals = greens.lead_orbitals
        self.num_orbitals = greens._norb

    def _check_current(self):
        if getattr(self._greens, "_generation", None) != self._generation:
            raise KwantLLGError("This GreensFunction was invalidated by a later factorize()/solve() "
                                "on the same FrozenGreens; factorize again.")

    def solve(self, rhs):
        """G^r(z) @ rhs for a dense right-hand side of shape (num_orbitals,) or (num_orbitals, k)."""
        self._check_current()
        rhs = np.asarray(rhs, dtype=complex)
        if rhs.shape[0] != self.num_orbitals:
            raise KwantLLGError(f"rhs has {rhs.shape[0]} rows; the system has {self.num_orbitals} orbitals.")
        shape = rhs.shape
        if rhs.ndim == 1:
            rhs = rhs[:, None]
        if rhs.shape[1] == 0:
            return rhs.reshape(shape)
        out = np.asarray(self._solve(np.ascontiguousarray(rhs))).reshape(rhs.shape)
        return check_finite(out, "Green's function solve").reshape(shape)

    def columns(self, orbitals):
        """Columns G^r[:, orbitals] (dense, shape (num_orbitals, len(orbitals)))."""
        self._check_current()
        orbitals = np.asarray(orbitals, dtype=int).ravel()
        if orbitals.size == 0:
            return np.zeros((self.num_orbitals, 0), dtype=complex)
        if orbitals.min() < 0 or orbitals.max() >= self.num_orbitals:
            raise KwantLLGError(f"Orbital indices must lie in [0, {self.num_orbitals}).")
        out = self._solve(unit_columns(orbitals, self.num_orbitals))
        return check_finite(out, "Green's function solve")

    def gamma(self, lead):
        """Broadening Γ_α = i(Σ_α − Σ_α^†) of lead α on its interface orbitals."""
        sigma = self.lead_data[lead][0]
        return 1j * (sigma - sigma.conj().T)


def _check_two_orbitals(fsyst):
    bad = [s for s in fsyst.sites if getattr(s.family, "norbs", None) != 2]
    if bad:
        raise KwantLLGError(
            f"{len(bad)} site(s) of the scattering region do not have exactly 2 orbitals "
            f"(e.g. {bad[0]}, norbs={getattr(bad[0].family, 'norbs', None)}). kwant_llg needs "
            "spin-1/2 sites: build the lattice with norbs=2, orbitals ordered (up, down).")
