#!/usr/bin/env bash
# The whole test suite: ruff, migrations check, deploy check with production settings,
# translation catalogues, pytest, against throwaway embedded PostgreSQL and Redis.
# Arguments are passed to pytest, e.g. ./test.sh -k finance -x
set -euo pipefail
cd "$(dirname "$0")"
source tools/venv.sh
ensure_venv
exec .venv/bin/python -m tools.test "$@"
