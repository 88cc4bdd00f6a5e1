#!/usr/bin/env bash
# Runs the test suite: setup (no migration: the tests create their own databases), then
# jest over the compiled tests in dist/test and the specs beside the code in dist/libs. Extra arguments go to jest, e.g.
#   npm test -- dist/test/channels        npm test -- -t 'retries'
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SKIP_MIGRATE=1 bash scripts/setup.sh
hash -r

mkdir -p .data
results=.data/jest-results.json
rm -f "$results"

status=0
# `--` keeps npm from taking jest's --json for its own option.
NODE_OPTIONS="--experimental-vm-modules${NODE_OPTIONS:+ $NODE_OPTIONS}" \
  npx --no -- jest --runInBand --json --outputFile="$results" "$@" || status=$?

# One plain closing line that any CI can read.
if [[ -s "$results" ]]; then
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + (r.numTodoTests || 0);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$TIDINGS_ROOT/$results" || true
fi
exit "$status"
