#!/usr/bin/env bash
# Create .venv with Python 3.13 when missing and install exactly the versions in uv.lock.
# Re-syncs only when pyproject.toml or uv.lock changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1 && pyenv which python3.13 >/dev/null 2>&1; then
    pyenv which python3.13
    return 0
  fi
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
  python=$(find_python) || { echo "Python 3.13 is required (pyenv install 3.13, or your OS package)." >&2; exit 1; }
  echo "Creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi

# uv is itself in the lock (test group), so the first install brings the version that stays.
if [ ! -x .venv/bin/uv ]; then
  uv_pin=$(sed -n '/^name = "uv"$/{n;s/^version = "\(.*\)"$/\1/p}' uv.lock)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==${uv_pin}"
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ uv.lock -nt "$stamp" ]; then
  echo "Installing the locked dependencies into .venv"
  UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --locked --quiet --python .venv/bin/python
  touch "$stamp"
fi
