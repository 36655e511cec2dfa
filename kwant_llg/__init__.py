"""kwant_llg: microscopic Landau–Lifshitz–Gilbert dynamics from frozen Green's functions.

A Kwant extension implementing Xu et al., PRB 108, 144409 (2023): frozen
nonequilibrium Green's-function quantities of a Kwant system with a classical
magnetisation texture (spin density, torques, transmission, DOS, the LLG
coefficients) and their coupling to Landau–Lifshitz–Gilbert dynamics.

Submodules (all importable as ``kwant_llg.<name>``): ``greens``, ``observables``,
``contour``, ``adiabatic`` (frozen Green's functions and energy integrals);
``coefficients``, ``velocity``, ``torque``, ``scattering``, ``molecule``, ``macrospin``, ``spatial`` (LLG
coefficients of Secs. II–IV and single-magnet dynamics); ``spins``, ``llg``,
``integrators``, ``dynamics``, ``topology`` (classical spin lattice); ``pumping``,
``coupled``, ``floquet``, ``floquet_sea``, ``floquet_llg``, ``diagnostics``, ``tdref``,
``tdcoupled`` (quantum pumping, Sec. V, and its references); ``simulation``, ``sweeps``, ``io``, ``plotting`` (runs, checkpoints, figures).
"""

from ._common import (KwantLLGError, BandEdgeError, ConvergenceError, SIGMA, SIGMA_0,
                      site_field, SiteField, limit_blas_threads)
from .greens import FrozenGreens, GreensFunction
from .solution import ScatteringSolution
from .observables import spin_density, ldos, dos, transmission, frozen_solution
from . import devices, textures, leads, adiabatic
from .spins import (SpinLattice, Hamiltonian, Exchange, DMI, Anisotropy, Zeeman,
                    compile_field, CompiledField)
from .llg import llg_rhs, ZhangLiTorque
from .dynamics import LLG, relax, RelaxResult
from .contour import (fermi, fermi_quadrature, spectral_bounds, FermiSeaDensity,
                      equilibrium_density, nonequilibrium_spin_density, fermi_sea_spin_density)
from .topology import topological_charge, skyrmion_center, skyrmion_radius, far_field
from .adiabatic import first_order_density, fermi_sea_density, AdiabaticDensity
from .coefficients import (gilbert_damping, inertia_tensor, dynamic_damping, eta_tensor,
                           effective_gyromagnetic_ratio, spin_torque, Coefficient)
from .scattering import btb_damping
from .torque import local_torque, MacrospinTorque
from .macrospin import Macrospin
from .spatial import spin_transfer_coefficients, SpinTransferFit
from .pumping import PumpDrive, PumpModel, pumped_current, charge_per_cycle, brouwer_charge
from .pumped_spin import spin_per_cycle, PumpedSpin
from .coupled import PumpedLLG, SkyrmionLost
from .tdcoupled import TimeDependentLLG
from .floquet import floquet_solve, FloquetSolution, FloquetCache, converge_sidebands
from .floquet_sea import floquet_density, FloquetDensity
from .floquet_llg import FloquetLLG
from .velocity import velocity_response, VelocityResponse
from .diagnostics import pump_adiabaticity, Adiabaticity, AdiabaticityWarning
from .simulation import RunResult
from .sweeps import sweep, SweepResult
from .io import read_run
from . import (spins, topology, llg, integrators, dynamics, molecule, coefficients, scattering,
               macrospin, spatial, pumping, coupled, floquet, diagnostics, simulation, sweeps,
               io, tdref, tdcoupled, torque, velocity, floquet_sea, floquet_llg, pumped_spin)

__version__ = "0.1.0.dev0"

__all__ = [
    # frozen Green's functions
    "FrozenGreens", "GreensFunction", "ScatteringSolution", "spin_density", "ldos", "dos",
    "transmission", "frozen_solution", "site_field", "SiteField", "fermi", "fermi_quadrature",
    "spectral_bounds", "FermiSeaDensity", "equilibrium_density", "nonequilibrium_spin_density",
    "fermi_sea_spin_density", "first_order_density", "fermi_sea_density", "AdiabaticDensity",
    # LLG coefficients and the macrospin
    "gilbert_damping", "inertia_tensor", "dynamic_damping", "eta_tensor",
    "effective_gyromagnetic_ratio", "spin_torque", "Coefficient", "btb_damping", "Macrospin",
    "local_torque", "MacrospinTorque",
    "spin_transfer_coefficients", "SpinTransferFit",
    # classical spins
    "SpinLattice", "Hamiltonian", "Exchange", "DMI", "Anisotropy", "Zeeman", "compile_field",
    "CompiledField", "llg_rhs", "ZhangLiTorque", "LLG", "relax", "RelaxResult",
    "topological_charge", "skyrmion_center", "skyrmion_radius", "far_field",
    # pumping
    "PumpDrive", "PumpModel", "pumped_current", "charge_per_cycle", "brouwer_charge",
    "spin_per_cycle", "PumpedSpin",
    "PumpedLLG", "SkyrmionLost", "TimeDependentLLG", "floquet_solve", "FloquetSolution", "FloquetCache", "converge_sidebands",
    "floquet_density", "FloquetDensity", "FloquetLLG", "velocity_response", "VelocityResponse",
    "pump_adiabaticity", "Adiabaticity", "AdiabaticityWarning",
    # runs
    "RunResult", "sweep", "SweepResult", "read_run",
    # errors, constants, utilities
    "KwantLLGError", "BandEdgeError", "ConvergenceError", "SIGMA", "SIGMA_0",
    "limit_blas_threads", "__version__",
    # submodules
    "devices", "textures", "leads", "adiabatic", "spins", "topology", "llg", "integrators",
    "dynamics", "molecule", "coefficients", "scattering", "macrospin", "spatial", "pumping",
    "coupled", "floquet", "diagnostics", "simulation", "sweeps", "io", "tdref", "tdcoupled", "torque",
    "velocity", "floquet_sea", "floquet_llg",
]
