#!/usr/bin/env bash
# Runs the benchmarks (dist/bench/run.js) after setup; arguments go to the bench runner.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash scripts/setup.sh
hash -r

exec node dist/bench/run.js "$@"
