#!/bin/sh
# One-shot (service temporal-schema): brings Temporal's two Postgres stores to the schema shipped
# in this admin-tools image, whose version must match the temporalio/server image.
# The databases and their owner role come from deploy/postgres/initdb/10-databases.sh.
#
# Safe to run on every `docker compose up`: setup-schema -v 0.0 only creates the version tables
# when missing and leaves a newer version alone; update-schema applies only the versions not yet
# applied. That is also how a server upgrade gets its schema changes: bump both image tags.
# The password comes from SQL_PASSWORD in the environment, not from the command line.
set -eu

SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" "$@"
}

echo 'temporal-schema: default store (database temporal)'
sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema -d "$SCHEMA_ROOT/temporal/versioned"

echo 'temporal-schema: visibility store (database temporal_visibility)'
sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema -d "$SCHEMA_ROOT/visibility/versioned"

echo 'temporal-schema: done'
