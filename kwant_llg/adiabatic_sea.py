"""Retarded-only (Fermi-sea) part of the first-order adiabatic density, on a complex contour.

For a slowly varying H(t) in equilibrium (all leads at f(E)), the first-order density matrix
splits into a Fermi-surface and a Fermi-sea term (docs/theory.md, "Adiabatic first-order
density"; Apps. A and C of Xu et al., PRB 108, 144409 (2023)):

    ρ^(1) = ∫ dE (−∂f/∂E) (1/2π) G^r Ḣ G^a                                  (A)
          − (1/2π) ∫ dE f(E) [∂_E G^r Ḣ G^r + h.c.],                         (B)

with ∂_E G^r = −G^r (1 − ∂_E Σ^r) G^r (Σ^r the lead self-energy; in the wide-band limit
−∂_E G^r = G^r G^r and (B) is (1/2π) ∫ f [G^r G^r Ḣ G^r + h.c.]). The integrand of (B)
involves retarded functions only, so F = ∫_{E_min}^∞ f ∂_z G Ḣ G dz is evaluated on the
contour of :mod:`kwant_llg.contour`; below E_min (under the whole spectrum) G^r is Hermitian,
the integrand of (B) is the total derivative ∂_E(G Ḣ G), and that part gives
−(1/2π) [G Ḣ G](E_min). Hence

    (B) = −(1/2π) { F + F^† + [G Ḣ G](E_min) }.

For Ḣ supported on a set S of sites (gate columns, or the sites of a moving texture), the
onsite blocks [∂_z G Ḣ G]_ii need, at each contour point z, three sparse solves with |S|
right-hand sides each, all on one LU factorisation of A = z − H − Σ(z):

* C = G[:, S]                       (A C = 1_S),
* R = G[S, :]^T                     (A^T R = 1_S, a transposed solve on the same LU),
* D = ∂_z G[:, S] = −G (1 − ∂_z Σ) C  (A D = −(1 − ∂_z Σ) C).

∂_z Σ_α = v^† ∂_z g_s v follows from the surface Green's function g_s of the lead, which obeys
g_s = (z − h0 − v^† g_s v)^{-1} (padded v); differentiating gives the Stein equation
∂g = −g g + (g v^†) ∂g (v g), solved by Smith's doubling iteration.
"""

import functools
import weakref

import numpy as np

from ._common import ConvergenceError, KwantLLGError, check_finite
from . import contour as _contour
from . import leads as _leads
from .sparse_lu import HAVE_MUMPS, SparseLU, unit_columns

__all__ = ["surface_greens_derivative", "selfenergy_derivative", "lead_selfenergy_derivatives",
           "sea_blocks", "fermi_window_rule", "lead_thresholds"]


def surface_greens_derivative(z, h0, v, *, tol=1e-14, max_iter=200):
    """Surface Green's function g_s(z) of a semi-infinite lead and its derivative ∂g_s/∂z.

    Parameters
    ----------
    z : complex
        Energy with Im z > 0.
    h0, v : ndarray
        Cell Hamiltonian and Kwant's ``inter_cell_hopping`` (see :mod:`kwant_llg.leads`).

    Returns
    -------
    g, dg : ndarray (n, n)
        g_s from :func:`kwant_llg.leads.surface_greens_function`, and the solution of
        ∂g = −g g + (g v^†) ∂g (v g) (the derivative of g = (z − h0 − v^† g v)^{-1}) by
        Smith doubling, which converges like the decimation itself.
    """
    g = _leads.surface_greens_function(z, h0, v, tol=tol, max_iter=max_iter)
    n = h0.shape[0]
    vfull = np.zeros((n, n), dtype=complex)
    vfull[:, :v.shape[1]] = v
    dg = -g @ g
    left, right = g @ vfull.conj().T, vfull @ g
    scale = max(1.0, np.abs(dg).max())
    for _ in range(max_iter):
        step = left @ dg @ right
        dg = dg + step
        left, right = left @ left, right @ right
        if np.abs(step).max() < tol * scale and max(np.abs(left).max(), np.abs(right).max()) < 1:
            return g, dg
    raise ConvergenceError(f"The energy derivative of the lead self-energy did not converge at "
                           f"z = {z}; Im z is too small for this lead.")


def selfenergy_derivative(lead, z, *, params=None):
    """∂Σ^r/∂z of a Kwant lead at complex z (Im z > 0): v^† ∂g_s/∂z v."""
    z = complex(z)
    if not z.imag > 0:
        raise KwantLLGError(f"selfenergy_derivative needs Im z > 0, got z = {z}.")
    return _selfenergy_derivative(*_leads.lead_matrices(lead, params=params), z)


def _selfenergy_derivative(h0, v, z):
    _, dg = surface_greens_derivative(z, h0, v)
    return v.conj().T @ dg @ v


class _Workspace:
    """Per-FrozenGreens state: a transposable factorisation and a cache of ∂Σ/∂z."""

    def __init__(self, greens):
        backend = greens.solver if (greens.solver != "mumps" or HAVE_MUMPS) else "superlu"
        # a factorisation of its own, so that GreensFunction objects the caller holds stay
        # valid; SCOTCH nested dissection where MUMPS has it
        self.factor = SparseLU(greens._rows, greens._cols, greens._norb, backend,
                               ordering=("scotch", "amd"), scaling=True)
        self.dsigma = {}
        self.thresholds = None
        self.cache_size = greens.lead_cache_size

    def dsigma_at(self, greens, z):
        key = complex(z)
        if key not in self.dsigma:
            if len(self.dsigma) >= max(1, self.cache_size):
                self.dsigma.pop(next(iter(self.dsigma)))
            self.dsigma[key] = [_selfenergy_derivative(s.h0, s.v, key)
                                for s in greens.lead_solvers]
        return self.dsigma[key]


_WORKSPACES = weakref.WeakKeyDictionary()


def _workspace(greens):
    if greens not in _WORKSPACES:
        _WORKSPACES[greens] = _Workspace(greens)
    return _WORKSPACES[greens]


def lead_selfenergy_derivatives(greens, z):
    """∂Σ_α/∂z of all leads of a FrozenGreens at complex z (cached per energy)."""
    return _workspace(greens).dsigma_at(greens, z)


def _pair_blocks(x, rt, hdot, rows, cols):
    """Blocks [X Ḣ Y]_{rows_k, cols_k} with X = x (orbitals × S) and Y^T = rt.

    ``hdot`` has shape (P, k, 2, 2) (P perturbations on the same k sites); the result
    (P, len(rows), 2, 2). Ḣ is block diagonal, so X Ḣ costs 2×2 products per orbital and
    site of S; each output block is then a sum over the 2|S| orbitals of S.
    """
    npert, k = hdot.shape[:2]
    xh = np.einsum("ogb,pgbc->pogc", x.reshape(-1, k, 2), hdot)
    xh = xh.reshape(npert, -1, 2, 1, 2 * k)
    yb = rt.reshape(-1, 1, 2, 2 * k)
    if len(rows) == xh.shape[1] and np.array_equal(rows, cols) \
            and np.array_equal(rows, np.arange(len(rows))):
        return (xh * yb).sum(axis=-1)
    return (xh[:, rows] * yb[cols]).sum(axis=-1)


def sea_blocks(greens, z, m, hdot, orbitals, rows, cols, *, onsite_values=None,
               derivative=True):
    """Blocks of [∂_z G Ḣ G] (or [G Ḣ G] if ``derivative`` is False) at one energy z.

    Parameters
    ----------
    greens : FrozenGreens
    z : complex or float
        Energy (Im z > 0 when ``derivative``; any allowed energy otherwise).
    m : ndarray (num_sites, 3)
        Validated magnetisation.
    hdot : ndarray (P, k, 2, 2)
        Onsite blocks of P perturbations Ḣ on the k sites whose orbitals are ``orbitals``
        (2k of them); the solves do not depend on Ḣ, so P > 1 costs almost nothing extra.
    rows, cols : int arrays
        Site pairs (rows[j], cols[j]) whose 2×2 blocks are returned.

    Returns
    -------
    ndarray, shape (P, len(rows), 2, 2), complex
    """
    ws = _workspace(greens)
    lead_data = greens.lead_data(z)
    ws.factor.factor(greens._full_data(z, m, lead_data, onsite_values))
    unit = unit_columns(orbitals, greens._norb)
    c = ws.factor.solve(unit)
    rt = ws.factor.solve(unit, transpose=True)
    if derivative:
        rhs = c.copy()
        for orbs, ds in zip(greens.lead_orbitals, ws.dsigma_at(greens, z)):
            rhs[orbs] -= ds @ c[orbs]
        c = -ws.factor.solve(rhs)
    return check_finite(_pair_blocks(c, rt, hdot, rows, cols), "Fermi-sea integrand")


def fermi_surface_blocks(greens, e, m, hdot, orbitals, rows, cols, *, onsite_values=None):
    """Blocks of (1/2π) [G^r Ḣ G^a] at a real energy e (own factorisation)."""
    ws = _workspace(greens)
    lead_data = greens.lead_data(float(e))
    ws.factor.factor(greens._full_data(float(e), m, lead_data, onsite_values))
    c = ws.factor.solve(unit_columns(orbitals, greens._norb))
    out = _pair_blocks(c, c.conj(), hdot, rows, cols) / (2 * np.pi)
    return check_finite(out, "Fermi-surface density")


def _combine(f_blocks, npairs, swap):
    """ρ_PQ = −(1/2π)(F_PQ + F_QP^†) from the blocks [F_PQ (all pairs), F_QP (pairs ``swap``)].

    The pair axis is the third from the end. For P = Q (onsite blocks) F_QP is F_PQ and is
    not computed twice.
    """
    fpq = f_blocks[..., :npairs, :, :]
    fqp = fpq.copy()
    fqp[..., swap, :, :] = f_blocks[..., npairs:, :, :]
    return -(fpq + np.conj(np.swapaxes(fqp, -1, -2))) / (2 * np.pi)


def _real_components(blocks):
    return np.concatenate([blocks.real.ravel(), blocks.imag.ravel()])


def _from_components(values, shape):
    half = values.size // 2
    return (values[:half] + 1j * values[half:]).reshape(shape)


def integrate_sea(greens, m, hdot, orbitals, rows, cols, *, mu, kT, n_points, e_min, tol,
                  max_points, n_poles=None, onsite_values=None):
    """Term (B) of the module docstring for the site pairs (rows, cols).

    Returns (blocks, error, evaluations, info). ``rows``/``cols`` list the pairs P–Q; the
    blocks ρ_PQ are returned in that order.
    """
    rows, cols = np.asarray(rows), np.asarray(cols)
    npairs = len(rows)
    swap = np.flatnonzero(rows != cols)
    all_rows = np.concatenate([rows, cols[swap]])
    all_cols = np.concatenate([cols, rows[swap]])
    segments, poles, pole_w = _contour._contour(e_min, mu, kT, n_poles)

    def evaluate(z):
        return np.array([sea_blocks(greens, zk, m, hdot, orbitals, all_rows, all_cols,
                                    onsite_values=onsite_values) for zk in z])

    def contract(w, vals):
        return _real_components(_combine(np.einsum("k,k...->...", w, vals), npairs, swap))

    value, error, count = _contour._integrate(segments, evaluate, contract, n_points, tol,
                                              max_points, "adiabatic Fermi-sea (contour) integral")
    if len(poles):
        value = value + contract(pole_w, evaluate(poles))
        count += len(poles)
    blocks = _from_components(value, (len(hdot), npairs, 2, 2))
    # the part of the real axis below E_min: −(1/2π)[G Ḣ G](E_min), G Hermitian there
    low = sea_blocks(greens, float(e_min), m, hdot, orbitals, all_rows, all_cols,
                     onsite_values=onsite_values, derivative=False)
    blocks = blocks + 0.5 * _combine(low, npairs, swap)
    info = dict(e_min=float(e_min), n_poles=len(poles), mu=mu, kT=kT)
    return blocks, error, count + 1, info


@functools.lru_cache(maxsize=None)
def fermi_window_rule(n):
    """Gauss rule for the Fermi window: ∫ (1/4) sech²(s/2) g(s) ds ≈ Σ_k w_k g(s_k), |s| <= 40.

    s = (E − μ)/kT, so (1/4) sech²(s/2) ds = −∂f/∂E dE. Nodes and weights follow from the
    Jacobi matrix of this weight (Lanczos with full reorthogonalisation on a fine composite
    Gauss–Legendre discretisation of the weight, 160 panels × 48 nodes); the rule is exact for
    polynomials of degree 2n − 1 up to that discretisation (relative 1e-15).
    """
    xg, wg = np.polynomial.legendre.leggauss(48)
    edges = np.linspace(-_contour.TAIL, _contour.TAIL, 161)
    half = 0.5 * np.diff(edges)[:, None]
    x = (0.5 * (edges[:-1] + edges[1:])[:, None] + half * xg).ravel()
    w = (half * wg).ravel() * 0.25 / np.cosh(0.5 * x) ** 2
    q = np.sqrt(w) / np.sqrt(w.sum())
    basis, alpha, beta = [q], [], []
    prev, b = np.zeros_like(q), 0.0
    for k in range(n):
        v = x * q - b * prev
        a = q @ v
        v -= a * q
        stack = np.array(basis)
        v -= stack.T @ (stack @ v)                      # full reorthogonalisation
        alpha.append(a)
        b = np.linalg.norm(v)
        beta.append(b)
        prev, q = q, v / b
        basis.append(q)
    jac = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
    nodes, vecs = np.linalg.eigh(jac)
    return nodes, w.sum() * vecs[0] ** 2


def lead_thresholds(greens, lower, upper, *, n_k=401):
    """Energies in [lower, upper] where a lead subband opens or closes (band extrema).

    From Kwant's band structure of every lead on a k grid of ``n_k`` points in [−π, π]
    (containing 0 and ±π, where the extrema of simple leads lie): local extrema of every
    (sorted) band. Cached per FrozenGreens.
    """
    import kwant
    ws = _workspace(greens)
    if ws.thresholds is None:
        ks = np.linspace(-np.pi, np.pi, n_k)
        found = []
        for lead in greens.fsyst.leads:
            bands = kwant.physics.Bands(lead, params=greens.params)
            energies = np.array([bands(k) for k in ks])
            slope = np.diff(energies, axis=0)
            turn = np.sign(slope[1:]) != np.sign(slope[:-1])
            found.append(energies[1:-1][turn])
            found.append(energies[[0, n_k // 2]].ravel())
        t = np.unique(np.concatenate(found))
        keep = np.concatenate([[True], np.diff(t) > 1e-9 * max(1.0, np.abs(t).max())])
        ws.thresholds = t[keep]
    t = ws.thresholds
    return t[(t > lower) & (t < upper)]


def integrate_fermi_window(greens, m, hdot, orbitals, rows, cols, *, mu, kT, n_points, tol,
                           max_points, onsite_values=None):
    """Term (A) at kT > 0: ∫ dE (−∂f/∂E) (1/2π) G^r Ḣ G^a on the real axis.

    G^r Ḣ G^a mixes retarded and advanced functions and is not analytic, so it is integrated
    on the real axis (:func:`fermi_window_integral`).
    """
    scale = max(np.linalg.norm(hdot, ord=2, axis=(-2, -1)).max(initial=0.0), 1e-300)

    def func(e):
        return fermi_surface_blocks(greens, e, m, hdot, orbitals, rows, cols,
                                    onsite_values=onsite_values)

    return fermi_window_integral(greens, func, (len(hdot), len(rows), 2, 2), mu=mu, kT=kT,
                                 scale=scale, tol=tol, n_points=n_points,
                                 max_points=max_points)


def fermi_window_integral(greens, func, shape, *, mu, kT, scale, tol, n_points, max_points):
    """∫ dE (−∂f/∂E) func(E) over the Fermi window on the real axis (kT > 0).

    The window is μ ± x with x = kT·min(40, ln(scale/tol) + 8) (the weight beyond is
    below e^{−x/kT}; ``scale`` bounds |func|). Where no lead subband opens in the window,
    with the Gauss rule of the weight −∂f/∂E itself (:func:`fermi_window_rule`): the nodes
    need only resolve func, and rules of 16, 24, 32 and 48 nodes are tried until two
    successive ones agree to ``tol``. Otherwise (or if that fails: resonances narrower than
    kT) the window is cut at the lead thresholds (:func:`lead_thresholds`), where Σ has
    square-root branch points, and each piece [a, b] is integrated in θ with
    E = a + (b − a)(1 − cos θ)/2, which makes √(E − a) and √(b − E) smooth, by adaptive
    Gauss–Legendre panels. Returns (value of the given shape, error, evaluations).
    """
    tail = kT * min(_contour.TAIL, np.log(max(scale / tol, 1.0)) + 8.0)
    edges = lead_thresholds(greens, mu - tail, mu + tail)
    count, previous = 0, None
    for n in (16, 24, 32, 48) if len(edges) == 0 else ():
        if count + n > max_points:
            break
        s, w = fermi_window_rule(n)
        vals = np.array([func(mu + kT * sk) for sk in s])
        count += n
        value = np.einsum("k,k...->...", w, vals)
        if previous is not None:
            error = float(np.abs(value - previous).max())
            if error <= tol:
                return value, error, count
        previous = value

    def piece(a, b):
        def weight(theta):
            e = a + 0.5 * (b - a) * (1 - np.cos(theta))
            f = _contour._fermi_real(e, mu, kT)
            return e, f * (1 - f) / kT * 0.5 * (b - a) * np.sin(theta)
        return _contour._Segment(0.0, np.pi, weight)

    points = np.concatenate([[mu - tail], edges, [mu + tail]])
    segments = [piece(a, b) for a, b in zip(points[:-1], points[1:])]

    def evaluate(energies):
        return np.array([func(e) for e in energies])

    def contract(w, vals):
        return _real_components(np.einsum("k,k...->...", w.real, vals))

    value, error, panel_count = _contour._integrate(
        segments, evaluate, contract, n_points, tol, max(max_points - count, 0),
        "Fermi-window (real-axis) integral")
    return _from_components(value, shape), error, count + panel_count
