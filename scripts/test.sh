#!/usr/bin/env bash
# Runs the test suite: setup (no migration: the tests create their own databases), then
# jest over the compiled tests in dist/test and the specs beside the code in dist/libs, then the portal's
# browser specs (Playwright, test/portal) unless jest was given arguments. Extra arguments go to jest, e.g.
#   npm test -- dist/test/channels        npm test -- -t 'retries'
# The browser specs alone: npx playwright test [test/portal/member.portal.ts]
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

# The portal in a real browser, against a platform of its own (test/portal/global-setup.ts).
browser_status=0
browser_summary=""
if (( $# == 0 )); then
  export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"
  if [[ -z "$CHROMIUM_PATH" ]]; then
    echo "test: chromium is missing (scripts/setup.sh installs it as root; or set CHROMIUM_PATH): the portal's browser specs cannot run" >&2
    browser_status=1
  else
    set +e
    npx --no -- playwright test 2>&1 | tee .data/playwright.log
    browser_status="${PIPESTATUS[0]}"
    set -e
  fi
  browser_summary="$(grep -Eo '[0-9]+ (passed|failed|flaky|skipped)' .data/playwright.log 2>/dev/null | paste -sd, - || true)"
fi

# One plain closing line that any CI can read.
if [[ -s "$results" ]]; then
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + (r.numTodoTests || 0);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$TIDINGS_ROOT/$results" || true
fi
[[ -n "$browser_summary" ]] && echo "browser tests: $browser_summary"
(( status != 0 )) && exit "$status"
exit "$browser_status"
