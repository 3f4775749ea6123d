#!/bin/bash
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d). It does not run again on later starts: to change a password
# afterwards, use ALTER ROLE, or start from a fresh volume.
#
# One login role per consumer, each owning only its own databases:
#   temporal   -> temporal, temporal_visibility  (schemas applied by the temporal-schema service)
#   actiongate -> actiongate                     (tables applied by the actiongate-migrate job)
#   actiongate_app: logs in to actiongate only; the migrate job grants it what the workers need
#                   (append and read receipts and bundles; never update, delete or create)
# PUBLIC loses CONNECT on all three, so neither role can open the other's database.
# Owning its databases is also what lets temporal create btree_gin, the trusted extension
# (PostgreSQL 13+) that the visibility schema needs, without being a superuser.
#
# The entrypoint sources this file when it is not executable, so it sets no shell options of its
# own (the entrypoint already runs with -e and pipefail) and never calls exit.

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set for the postgres service}"
: "${ACTIONGATE_DB_PASSWORD:?ACTIONGATE_DB_PASSWORD must be set for the postgres service}"
: "${ACTIONGATE_APP_DB_PASSWORD:?ACTIONGATE_APP_DB_PASSWORD must be set for the postgres service}"

# Passwords go in as psql variables (:'name' quotes them as literals), never spliced into SQL text.
psql --no-psqlrc -v ON_ERROR_STOP=1 \
  --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v actiongate_password="$ACTIONGATE_DB_PASSWORD" \
  -v actiongate_app_password="$ACTIONGATE_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

CREATE ROLE actiongate LOGIN PASSWORD :'actiongate_password';
CREATE DATABASE actiongate OWNER actiongate;

CREATE ROLE actiongate_app LOGIN PASSWORD :'actiongate_app_password';

REVOKE ALL ON DATABASE temporal, temporal_visibility, actiongate FROM PUBLIC;
GRANT CONNECT ON DATABASE actiongate TO actiongate_app;
SQL
