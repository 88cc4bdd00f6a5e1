#!/usr/bin/env bash
# Runs the whole platform locally: setup (build + migrate), a Temporal dev server
# (unless TEMPORAL_ADDRESS points at one), the worker and the API. Ctrl-C stops everything.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { printf 'start: %s\n' "$*"; }

# The local platform runs on the development defaults (log providers, development secrets). `npm run start:api`
# and `start:worker` on their own are production unless NODE_ENV says otherwise, and refuse those secrets.
export NODE_ENV="${NODE_ENV:-development}"

bash scripts/setup.sh
hash -r

TEMPORAL_DEV_IP="${TEMPORAL_DEV_IP:-127.0.0.1}"
TEMPORAL_DEV_PORT="${TEMPORAL_DEV_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
TEMPORAL_DATA="$TIDINGS_ROOT/.data/temporal"

pids=()
names=()
stopping=0

stop_all() {
  local code=$?
  (( stopping )) && return
  stopping=1
  trap - INT TERM EXIT
  if (( ${#pids[@]} )); then
    say "stopping ${names[*]} …"
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      (( alive )) || break
      sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
  exit "${1:-$code}"
}
trap 'stop_all 130' INT
trap 'stop_all 143' TERM
trap 'stop_all' EXIT

spawn() { # spawn NAME COMMAND...
  local name="$1"
  shift
  "$@" &
  pids+=("$!")
  names+=("$name")
}

temporal_ui=""
if [[ -z "${TEMPORAL_ADDRESS:-}" ]]; then
  address="$TEMPORAL_DEV_IP:$TEMPORAL_DEV_PORT"
  if "$TEMPORAL_CLI" operator cluster health --address "$address" >/dev/null 2>&1; then
    say "a Temporal server already answers on $address; using it"
  else
    mkdir -p "$TEMPORAL_DATA"
    # SQLite in WAL mode with synchronous=normal (as TemporalDevServer in test/support/platform.ts): about
    # twice the rate of SQLite's defaults. An OS crash or power cut may lose the last transactions but leaves
    # dev.db sound; synchronous=off (a quarter faster on average here) could corrupt it, and every workflow in it.
    say "starting Temporal dev server on $address (log: .data/temporal/server.log) …"
    spawn temporal "$TEMPORAL_CLI" server start-dev \
      --ip "$TEMPORAL_DEV_IP" --port "$TEMPORAL_DEV_PORT" --ui-port "$TEMPORAL_UI_PORT" \
      --db-filename "$TEMPORAL_DATA/dev.db" \
      --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
      --namespace default \
      --search-attribute TidingsOrganizationId=Keyword \
      --search-attribute TidingsRecipientId=Keyword \
      --search-attribute TidingsMessageId=Keyword \
      --search-attribute TidingsConversationId=Keyword \
      --search-attribute TidingsMemberId=Keyword \
      --search-attribute TidingsAssigneeId=Keyword \
      --search-attribute TidingsProgramId=Keyword \
      --search-attribute TidingsTaskStatus=Keyword \
      --search-attribute TidingsCampaignId=Keyword \
      --ui-disable-news-fetch \
      --log-level warn >>"$TEMPORAL_DATA/server.log" 2>&1
    ready=0
    for _ in $(seq 1 120); do
      if "$TEMPORAL_CLI" operator cluster health --address "$address" >/dev/null 2>&1; then
        ready=1
        break
      fi
      kill -0 "${pids[0]}" 2>/dev/null || break
      sleep 0.5
    done
    if (( !ready )); then
      tail -n 20 "$TEMPORAL_DATA/server.log" >&2 || true
      say "ERROR: the Temporal dev server did not come up on $address" >&2
      stop_all 1
    fi
  fi
  export TEMPORAL_ADDRESS="$address"
  temporal_ui="http://localhost:$TEMPORAL_UI_PORT"
fi

# Staff pages link each message to its workflow in this UI.
[[ -n "$temporal_ui" ]] && export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-$temporal_ui}"

# The heap sized for what the worker holds, not for the machine (apps/worker/node-flags.ts).
spawn worker node --max-old-space-size=1024 --max-semi-space-size=16 dist/apps/worker/main.js
spawn api node dist/apps/api/main.js

say "Tidings is starting:"
say "  portal       http://localhost:${PORT:-3000}/   (nobody to log in as yet? npm run seed, in another terminal)"
say "  API          http://localhost:${PORT:-3000}/v1"
say "  API docs     http://localhost:${PORT:-3000}/docs"
if [[ -n "$temporal_ui" ]]; then
  say "  Temporal UI  $temporal_ui   (gRPC $TEMPORAL_ADDRESS)"
else
  say "  Temporal     $TEMPORAL_ADDRESS"
fi
say "  database     $DATABASE_URL"
say "Ctrl-C stops everything."

# Whichever child ends first (for whatever reason) takes the rest down with it.
set +e
wait -n "${pids[@]}"
code=$?
set -e
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[i]}" 2>/dev/null; then
    say "${names[i]} exited (status $code); stopping the rest" >&2
    break
  fi
done
(( code == 0 )) && code=1
stop_all "$code"
