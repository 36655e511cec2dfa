#!/usr/bin/env bash
# Set up a self-contained environment for kwant_llg on a fresh Debian 12 / CPython 3.11 machine.
#
#   bash scripts/setup.sh            # creates ./.venv, builds Kwant 1.5 with MUMPS once, installs kwant_llg
#
# Idempotent: the Kwant wheel is built once and cached in $KWANT_LLG_CACHE (default ~/.cache/kwant_llg);
# a second run only checks the environment (a few seconds).
# Options (environment variables):
#   KWANT_LLG_VENV   where the virtual environment lives (default: <repo>/.venv)
#   KWANT_LLG_CACHE  wheel cache (default: ~/.cache/kwant_llg)
#   KWANT_LLG_EXTRAS extras to install, comma separated (default: test). "test" and "tkwant" also
#                    build tkwant 1.1 (time-dependent reference) once into the wheel cache.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${KWANT_LLG_VENV:-$repo/.venv}
cache=${KWANT_LLG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kwant_llg}
extras=${KWANT_LLG_EXTRAS:-test}
wheels=$cache/wheels
kwant_version=1.5.0
tkwant_version=1.1.0
want_tkwant=0
case ",$extras," in *,test,*|*,tkwant,*) want_tkwant=1 ;; esac
py=${PYTHON:-python3}

say() { echo "[setup] $*" >&2; }

# --- 1. System library: MUMPS (Kwant's fast sparse solver) -------------------------------------------
# OpenBLAS replaces Debian's reference BLAS under MUMPS (measured: ~1.5x faster sparse solves).
apt_pkgs=""
# tkwant's mpi4py (a binary wheel) loads Open MPI's libmpi at run time.
tk_pkgs=""; [ "$want_tkwant" = 1 ] && tk_pkgs=libopenmpi3
for pkg in libmumps-seq-dev libopenblas0-pthread $tk_pkgs; do
    dpkg -s "$pkg" >/dev/null 2>&1 || apt_pkgs="$apt_pkgs $pkg"
done
if [ -n "$apt_pkgs" ]; then
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { say "missing system packages:$apt_pkgs; install them with apt-get"; exit 1; }
        sudo_cmd=sudo
    fi
    say "installing$apt_pkgs with apt-get"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $apt_pkgs >/dev/null
fi

# --- 2. Virtual environment ----------------------------------------------------------------------------
stamp=$venv/.kwant_llg_setup
want=$(cat "$repo/setup.cfg" "$repo/scripts/setup.sh" | sha256sum | cut -c1-16)-$extras
check="import kwant.linalg._mumps, kwant_llg"
[ "$want_tkwant" = 1 ] && check="$check, tkwant.manybody"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$venv/bin/python" -W error -c "$check" 2>/dev/null; then
    say "environment up to date: $venv"
    exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
    say "creating virtual environment $venv"
    "$py" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip setuptools wheel
# Kwant 1.5.0's shipped C sources were generated for NumPy 1.x: build and run it against NumPy 1.26.
"${pip[@]}" install "numpy>=1.24,<2" "scipy>=1.10,<1.16" "cython<3.1" "tinyarray>=1.2"

# --- 3. Kwant with MUMPS, built once and cached as a wheel ---------------------------------------------
mkdir -p "$wheels"
if ! ls "$wheels"/kwant-$kwant_version-*.whl >/dev/null 2>&1; then
    say "building Kwant $kwant_version with MUMPS (1-2 minutes, once per machine)"
    "${pip[@]}" wheel --no-build-isolation --no-deps --no-binary kwant -w "$wheels" "kwant==$kwant_version"
fi
"${pip[@]}" install --no-deps --no-index --find-links "$wheels" "kwant==$kwant_version"
if ! "$venv/bin/python" -W error -c "import kwant.linalg._mumps" 2>/dev/null; then
    say "Kwant was built without MUMPS; removing the cached wheel. Re-run this script."
    rm -f "$wheels"/kwant-$kwant_version-*.whl
    exit 1
fi

# --- 3b. tkwant, built once and cached as a wheel (test extra) -----------------------------------------
# Its sdist ships C files from an old Cython that do not compile on Python 3.11, and it does not
# build with Cython 3: regenerate them with Cython < 3 in a throwaway build venv (the main venv
# keeps its pins).
if [ "$want_tkwant" = 1 ]; then
    if ! ls "$wheels"/tkwant-$tkwant_version-*.whl >/dev/null 2>&1; then
        say "building tkwant $tkwant_version (about a minute, once per machine)"
        build=$(mktemp -d)
        trap 'rm -rf "$build"' EXIT
        "$py" -m venv "$build/venv"
        bpip=("$build/venv/bin/python" -m pip --disable-pip-version-check -q)
        "${bpip[@]}" install "cython<3" "numpy>=1.24,<2" "scipy>=1.10,<1.16" "tinyarray>=1.2" setuptools wheel
        "${bpip[@]}" install --no-deps --no-index --find-links "$wheels" "kwant==$kwant_version"
        "${bpip[@]}" download --no-deps --no-build-isolation --no-binary tkwant -d "$build" "tkwant==$tkwant_version"
        tar -xzf "$build/tkwant-$tkwant_version.tar.gz" -C "$build"
        rm -f "$build/tkwant-$tkwant_version"/tkwant/onebody/*.c
        "${bpip[@]}" wheel --no-build-isolation --no-deps -w "$wheels" "$build/tkwant-$tkwant_version"
        rm -rf "$build"
        trap - EXIT
    fi
    "${pip[@]}" install --no-deps --no-index --find-links "$wheels" "tkwant==$tkwant_version"
    extras="$extras,tkwant"
fi

# --- 4. kwant_llg itself (editable) -----------------------------------------------------------------
"${pip[@]}" install --find-links "$wheels" --no-build-isolation -e "$repo[$extras]"
"$venv/bin/python" -W error -c "$check"
echo "$want" > "$stamp"
say "ready: $venv (activate with: source $venv/bin/activate)"
