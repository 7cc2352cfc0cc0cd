# Sourced by the scripts: a project virtual environment in .venv, made on first use.
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the virtual environment $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
pip_install() {
  # Reinstall only when the requirements changed since the last install.
  local stamp="$VENV/.installed-$(cat "$@" requirements*.txt | sha1sum | cut -c1-12)"
  if [ ! -e "$stamp" ]; then
    echo "== installing $*"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$@"
    touch "$stamp"
  fi
}
