#!/bin/bash
# Re-records the files in this folder with a real Flyway (see ../../../../../shared/flyway-build/README.md for
# building Flyway 12.0.2). Needs `flyway` on PATH and a PostgreSQL reachable as
# PGHOST/PGPORT/PGUSER (trust authentication); creates and drops databases named fw17_*.
# Volatile values (timestamps, execution times, absolute paths, stack traces) are replaced by fixed tokens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
url() { echo "jdbc:postgresql://${PGHOST}:${PGPORT}/$1"; }
fresh() { psql -X -q -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" postgres 2>/dev/null; }
fw() { local db=$1; shift; flyway -url="$(url "$db")" -user="$PGUSER" "$@"; }
normalise() { # the JSON document in Flyway's output, volatile values replaced
  python3 -c '
import json, sys, re
text = sys.stdin.read(); doc = json.loads(text[text.index("{"):])
def clean(value, key=None):
    if isinstance(value, dict): return {k: clean(v, k) for k, v in value.items()}
    if isinstance(value, list): return [clean(v) for v in value]
    if key in ("timestamp", "installedOnUTC") and value: return "<timestamp>"
    if key in ("executionTime", "totalMigrationTime"): return 0
    if key == "stackTrace": return "<stack trace>"
    if key == "database": return "<database>"
    if isinstance(value, str): return value.replace(sys.argv[1], "<dir>")
    return value
print(json.dumps(clean(doc), indent=2))' "$work"
}

# 1. migrate that fails in its second migration: V1 applied, V2 fails at line 2.
mkdir -p "$work/failing"; cp "$here/failing/"*.sql "$work/failing/"
fresh fw17_fail
fw fw17_fail -locations="filesystem:$work/failing" -outputType=json migrate | normalise > "$here/failed-migrate.json" || true
# 2. a second migrate with nothing pending; 3. info of the same database.
mkdir -p "$work/ok"; cp "$here/failing/V1__a.sql" "$work/ok/"
fresh fw17_noop
fw fw17_noop -locations="filesystem:$work/ok" migrate > /dev/null
fw fw17_noop -locations="filesystem:$work/ok" -outputType=json migrate | normalise > "$here/noop-migrate.json"
# 4. schemas with defaultSchema last / in the middle / not listed: the schema-creation row.
: > "$here/schema-creation.txt"
for default in gamma beta delta; do
  fresh fw17_schemas
  fw fw17_schemas -locations="filesystem:$work/ok" -schemas=alpha,beta,gamma -defaultSchema=$default migrate > /dev/null
  printf '%s|' "$default" >> "$here/schema-creation.txt"
  psql -X -At -d fw17_schemas -c "SELECT script FROM $default.flyway_schema_history WHERE type = 'SCHEMA'" >> "$here/schema-creation.txt"
done
fw fw17_schemas -locations="filesystem:$work/ok" -schemas=alpha,beta,gamma -defaultSchema=delta -outputType=json info \
  | normalise > "$here/info-schemas.json"
# 5. info after a baseline: the BASELINE row's Undoable column.
fresh fw17_baseline
psql -X -q -d fw17_baseline -c 'CREATE TABLE existing (id int)'
fw fw17_baseline -locations="filesystem:$work/ok" -baselineVersion=0 baseline > /dev/null
fw fw17_baseline -locations="filesystem:$work/ok" info | grep '^[|+]' | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}/<installed-on-time>/' > "$here/baseline-info.txt"
# 6. ${flyway:environment}: -environment=prod without config files, and a flyway.toml selecting prod.
printf "CREATE TABLE env AS SELECT '\${flyway:environment}'::text AS name;\n" > "$work/V1__env.sql"
mkdir -p "$work/env"; mv "$work/V1__env.sql" "$work/env/"
: > "$here/environment.txt"
fresh fw17_env; fw fw17_env -locations="filesystem:$work/env" migrate > /dev/null
printf 'no environment|' >> "$here/environment.txt"; psql -X -At -d fw17_env -c 'SELECT name FROM env' >> "$here/environment.txt"
fresh fw17_env; fw fw17_env -locations="filesystem:$work/env" -environment=prod migrate > /dev/null
printf -- '-environment=prod|' >> "$here/environment.txt"; psql -X -At -d fw17_env -c 'SELECT name FROM env' >> "$here/environment.txt"
printf '[environments.prod]\nurl = "%s"\nuser = "%s"\n\n[flyway]\nenvironment = "prod"\nlocations = ["filesystem:%s"]\n' \
  "$(url fw17_env)" "$PGUSER" "$work/env" > "$work/flyway.toml"
fresh fw17_env; (cd "$work" && flyway migrate > /dev/null)
printf 'flyway.toml environment = "prod"|' >> "$here/environment.txt"; psql -X -At -d fw17_env -c 'SELECT name FROM env' >> "$here/environment.txt"
rm "$work/flyway.toml"
# 7. files migrate skips: the count Flyway reports, and that it migrates.
mkdir -p "$work/naming/rollback"; cp "$work/ok/V1__a.sql" "$work/naming/"
echo 'SELECT 1;' > "$work/naming/update-sequences.sql"; echo 'SELECT 1;' > "$work/naming/rollback/1_drop_a.sql"
echo 'SELECT 1;' > "$work/naming/v2__lower.sql"
fresh fw17_naming
fw fw17_naming -locations="filesystem:$work/naming" migrate | grep -E 'detected but not run|Successfully applied' \
  | sed -E 's/ \(execution time .*\)//' > "$here/naming-migrate.txt"
# 8. group: a deferred constraint that fails at COMMIT.
fresh fw17_group
fw fw17_group -locations="filesystem:$here/group-commit" -group=true -outputType=json migrate | normalise > "$here/group-commit.json" || true
# 9. B__ baseline migrations on an empty database: the history rows (B2 applied instead of V1 and V2, then V3).
mkdir -p "$work/baseline-migrations"
echo 'CREATE TABLE a (id int); CREATE TABLE b (id int);' > "$work/baseline-migrations/B2__base.sql"
echo 'CREATE TABLE a (id int);' > "$work/baseline-migrations/V1__a.sql"
echo 'CREATE TABLE b (id int);' > "$work/baseline-migrations/V2__b.sql"
echo 'CREATE TABLE c (id int);' > "$work/baseline-migrations/V3__c.sql"
fresh fw17_bmig
fw fw17_bmig -locations="filesystem:$work/baseline-migrations" migrate > /dev/null
psql -X -At -d fw17_bmig -c "SELECT concat_ws('|', installed_rank, version, description, type, script, checksum, success) FROM flyway_schema_history ORDER BY installed_rank" > "$here/baseline-migrations-history.txt"
# 10. initSql: the session setting it makes is what the migration sees.
mkdir -p "$work/initsql"
echo "CREATE TABLE seen AS SELECT current_setting('TimeZone') AS zone, current_setting('application_name') AS app;" > "$work/initsql/V1__seen.sql"
fresh fw17_initsql
fw fw17_initsql -locations="filesystem:$work/initsql" "-initSql=SET TIME ZONE 'Asia/Tokyo'" migrate > /dev/null
psql -X -At -d fw17_initsql -c "SELECT zone FROM seen" > "$here/initsql.txt"
# 11. connectRetries: a port nothing listens on, 2 retries capped at 1 s: the waits Flyway announces, and its exit code.
status=0
flyway -url="jdbc:postgresql://127.0.0.1:1/none" -user="$PGUSER" -connectRetries=2 -connectRetriesInterval=1 info \
  > "$work/retries.out" 2>&1 || status=$?
{ grep -o 'Retrying in [0-9]* sec' "$work/retries.out"; echo "exit $status"; } > "$here/connect-retries.txt"
# 12. group with a statement-error callback: V2 fails at line 2 while afterEachMigrateStatementError.sql exists.
fresh fw17_gcb
status=0
fw fw17_gcb -locations="filesystem:$here/group-callback" -group=true -outputType=json migrate > "$work/gcb.out" 2>&1 || status=$?
{
  echo "exit $status"
  python3 -c 'import json, sys; t = open(sys.argv[1]).read(); e = json.loads(t[t.index("{"):])["error"]
print("errorCode " + e["errorCode"]); print("callbackFailed " + str("afterEachMigrateStatementError" in e["message"]).lower())' "$work/gcb.out"
  psql -X -At -d fw17_gcb -c "SELECT 'history ' || (to_regclass('flyway_schema_history') IS NOT NULL) || ' rows ' || (SELECT count(*) FROM flyway_schema_history) || ' table_a ' || (to_regclass('a') IS NOT NULL)"
} > "$here/group-callback.txt"
for db in fw17_gcb fw17_fail fw17_noop fw17_schemas fw17_baseline fw17_env fw17_naming fw17_group fw17_bmig fw17_initsql; do
  psql -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres
done
