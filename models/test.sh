#!/usr/bin/env bash
# Runs the model pipeline's tests (CI entry point). Tests that need ../shared skip with the reason.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x "$here/.venv/bin/python" ] || bash "$here/setup.sh"
cd "$here/training"
OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" exec "$here/.venv/bin/python" -m pytest -q -rs tests "$@"
