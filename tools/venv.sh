# Sourced by run.sh and test.sh (not executable on its own): make sure .venv exists and
# holds the project's current dependencies. Needs only Python 3.11 and access to PyPI.
#
#   - creates .venv with Python 3.11 if it is missing or unusable (the first 3.11 among
#     $PYTHON, python3.11, python3);
#   - runs `pip install -e ".[dev]"` only when pyproject.toml changed since the last
#     successful install (its SHA-256 is kept in .venv/.install-stamp).

is_py311() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in ${PYTHON:+"$PYTHON"} python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && is_py311 "$candidate"; then
            echo "$candidate"
            return
        fi
    done
    echo "error: Python 3.11 is required (install it, or set PYTHON=/path/to/python3.11)" >&2
    return 1
}

ensure_venv() {
    local venv=.venv stamp=.venv/.install-stamp python want have=""
    if ! is_py311 "$venv/bin/python"; then
        python="$(find_python)"
        echo "==> creating $venv with $python" >&2
        if ! "$python" -m venv --clear "$venv"; then
            # Debian's python3.11 without the python3.11-venv package has no ensurepip;
            # make the venv without pip and install pip into it with the system's pip.
            echo "==> retrying without ensurepip, using $python -m pip" >&2
            "$python" -m venv --clear --without-pip "$venv"
            "$python" -m pip --python "$venv/bin/python" install --quiet pip
        fi
    fi
    want="$("$venv/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$want" != "$have" ]; then
        echo "==> installing dependencies into $venv (pyproject.toml changed; the first time" \
            "takes a few minutes)" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
        echo "$want" >"$stamp"
    fi
}
