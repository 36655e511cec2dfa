"""kwant_llg: microscopic Landau–Lifshitz–Gilbert dynamics from frozen Green's functions.

A Kwant extension implementing Xu et al., PRB 108, 144409 (2023): frozen
nonequilibrium Green's-function quantities of a Kwant system with a classical
magnetisation texture (spin density, torques, transmission, DOS) and their coupling to
Landau–Lifshitz–Gilbert dynamics.
"""

from ._common import (KwantLLGError, BandEdgeError, ConvergenceError, SIGMA, SIGMA_0,
                      site_field, SiteField, limit_blas_threads)
from .greens import FrozenGreens, GreensFunction
from .solution import ScatteringSolution
from .observables import spin_density, ldos, dos, transmission, frozen_solution
from . import devices, textures, leads, adiabatic
from .spins import SpinLattice, Hamiltonian, Exchange, DMI, Anisotropy, Zeeman
from .llg import llg_rhs, ZhangLiTorque
from .dynamics import LLG, relax, RelaxResult
from .contour import (fermi, fermi_quadrature, spectral_bounds, FermiSeaDensity,
                      equilibrium_density, nonequilibrium_spin_density, fermi_sea_spin_density)
from .topology import topological_charge, skyrmion_center, skyrmion_radius
from . import spins, topology, llg, integrators, dynamics

__version__ = "0.1.0.dev0"

__all__ = ["FrozenGreens", "GreensFunction", "ScatteringSolution", "spin_density", "ldos", "dos", "transmission",
           "frozen_solution", "site_field", "SiteField", "devices", "textures", "leads", "adiabatic",
           "KwantLLGError", "BandEdgeError", "ConvergenceError", "SIGMA", "SIGMA_0", "limit_blas_threads",
           "__version__",
           "SpinLattice", "Hamiltonian", "Exchange", "DMI", "Anisotropy", "Zeeman", "llg_rhs",
           "ZhangLiTorque", "LLG", "relax", "RelaxResult", "topological_charge",
           "skyrmion_center", "skyrmion_radius", "spins", "topology", "llg",
           "integrators", "dynamics", "fermi", "fermi_quadrature", "spectral_bounds",
           "FermiSeaDensity", "equilibrium_density", "nonequilibrium_spin_density",
           "fermi_sea_spin_density"]
