#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory: creates the
# application role with a password, so that laas_app can log in over the network (the postgres
# image requires passwords on TCP). `laas serve` then migrates as postgres, finds the role,
# checks it (LOGIN, not superuser, no BYPASSRLS) and grants it what the store needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$LAAS_APP_PASSWORD" <<'SQL'
CREATE ROLE laas_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'pw';
SQL
