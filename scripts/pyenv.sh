#!/usr/bin/env bash
# Makes sure the project's Python environment exists and prints the path of its python.
# The environment lives in the cache (ROOTLINE_CACHE_DIR, default ~/.cache/rootline), keyed by the hash of
# python/requirements-dev.txt, so a second run installs nothing and a changed requirements file gets a new one.
#   scripts/pyenv.sh            -> prints .../venv-<hash>/bin/python
#   scripts/pyenv.sh bench      -> the same plus python/requirements-bench.txt (whylogs, for benchmarks only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${ROOTLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rootline}"
reqs=("$root/python/requirements-dev.txt")
if [ "${1:-}" = bench ]; then reqs+=("$root/python/requirements-bench.txt"); fi
hash=$(cat "${reqs[@]}" | sha256sum | cut -c1-12)
venv="$cache/venv-$hash"
if ! command -v python3 >/dev/null 2>&1; then
  echo "pyenv: python3 is not on PATH; install Python 3.11 with pip and venv (apt-get install python3 python3-venv)" >&2
  exit 3
fi
mkdir -p "$cache"
exec 9>"$cache/.venv-$hash.lock"
flock 9
if [ ! -f "$venv/.complete" ]; then
  echo "pyenv: creating the Python environment $venv (once)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --upgrade pip >&2 || true
  for r in "${reqs[@]}"; do "$venv/bin/python" -m pip install -q -r "$r" >&2; done
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
