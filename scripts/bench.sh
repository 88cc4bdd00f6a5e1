#!/usr/bin/env bash
# Runs the benchmarks (dist/bench/run.js) after setup; arguments go to the bench runner and name the
# cases (portal, sanitize, bare, baseline, throughput, lag, email-lag, conversations, …; none runs them all). The baseline wants
# Redis on 127.0.0.1:6379 (BENCH_REDIS_URL) and is skipped without it.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash scripts/setup.sh
hash -r

exec node dist/bench/run.js "$@"
