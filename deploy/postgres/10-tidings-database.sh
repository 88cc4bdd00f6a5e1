#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data volume
# (mounted into /docker-entrypoint-initdb.d). Temporal's auto-setup creates its own
# `temporal` and `temporal_visibility` databases; Tidings gets a database and role of its own.
set -eo pipefail  # also fine when the entrypoint sources this file instead of running it

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v db="${TIDINGS_DB_NAME:-tidings}" \
  -v role="${TIDINGS_DB_USER:-tidings}" \
  -v password="${TIDINGS_DB_PASSWORD:?TIDINGS_DB_PASSWORD must be set}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
SQL
