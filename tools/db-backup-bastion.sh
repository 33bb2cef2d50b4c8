#!/usr/bin/env bash
# The bastion's half of tools/db-backup.sh, which uploads it next to the database setup script
# and runs it over SSH. `dump` writes a gzip-compressed, consistent mysqldump of the Keycloak
# database to stdout; `restore` reads one from stdin into an EMPTY Keycloak database. Progress
# and errors go to stderr. It reuses the setup script's functions (sourced), so it reads the
# master credentials from Secrets Manager with the bastion's role, downloads the CA bundle and
# connects with verified TLS exactly as the setup does; no password reaches a command line.
set -euo pipefail
shopt -s inherit_errexit
umask 077

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# Uploaded side by side with this script; in the repository it is
# modules/database/setup/keycloak-db-setup.sh. Sourced, it only defines functions and constants.
SETUP_SCRIPT="$HERE/keycloak-db-setup.sh"
[[ -r $SETUP_SCRIPT ]] || SETUP_SCRIPT="$HERE/../modules/database/setup/keycloak-db-setup.sh"
readonly SETUP_SCRIPT
# shellcheck source=../modules/database/setup/keycloak-db-setup.sh
source "$SETUP_SCRIPT"

# JDBC_PING2's discovery table: the addresses of the nodes that were running at dump time.
# Restored, they would make new nodes dial dead peers; Keycloak fills it again on start.
readonly DISCOVERY_TABLE="JGROUPS_PING"
readonly PROGRESS_PREFIX="db-backup"

COMMAND=""

# The setup's log goes to stdout, which carries the dump here.
log() {
  echo "${PROGRESS_PREFIX}: $*" >&2
}

die() {
  echo "${PROGRESS_PREFIX}: error: $*" >&2
  exit 1
}

usage() {
  echo "usage: $(basename "$0") dump|restore|drop --db-host HOST [--db-port PORT] --ca-bundle-url URL --master-secret-arn ARN [--user-secret-arn ARN] --region REGION [--attempts N] [--interval-seconds S]"
}

print_help() {
  usage
  cat <<EOF

Runs on the bastion (tools/db-backup.sh uploads and starts it).
  dump      writes database '${DB_NAME}' to stdout: mysqldump --single-transaction (a consistent
            snapshot while Keycloak keeps running), gzip-compressed, without the rows of
            ${DISCOVERY_TABLE}
  restore   reads such a dump from stdin into database '${DB_NAME}', which must have no tables
            and no Keycloak connections; creates the database (${DB_CHARSET}/${DB_COLLATION})
            when it does not exist. The dump runs as user '${DB_USER}' (--user-secret-arn), with
            its rights on '${DB_NAME}' only, never as the master user
  drop      drops database '${DB_NAME}' (the step before a restore over it); refuses while the
            Keycloak user is connected
Options as for keycloak-db-setup.sh.
EOF
}

parse_args() {
  [[ $# -gt 0 ]] || { usage >&2; die "missing command: dump, restore or drop"; }
  case $1 in
    --help | -h) print_help; exit 0 ;;
    dump | restore | drop) COMMAND=$1; shift ;;
    *) usage >&2; die "unknown command '$1': dump, restore or drop" ;;
  esac
  parse_connection_options "$@"
  require_options DB_HOST CA_BUNDLE_URL MASTER_SECRET_ARN REGION
  if [[ $COMMAND == restore && -z $USER_SECRET_ARN ]]; then
    usage >&2
    die "restore needs --user-secret-arn: the dump runs as user ${DB_USER}, not the master user"
  fi
}

# No option beyond the connection options (the setup's --admin-secret-arn is not one of ours).
extra_option() {
  return 1
}

table_count() {
  master_query <<SQL
SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB_NAME}';
SQL
}


# mysqldump --verbose names each table as it starts on it; everything else it says is passed on.
dump_progress() {
  local total=$1
  awk -v total="$total" -v prefix="$PROGRESS_PREFIX" '
    /^-- Retrieving table structure for table / {
      name = $0; sub(/^-- Retrieving table structure for table /, "", name); sub(/\.\.\.$/, "", name); gsub(/`/, "", name)
      printf "%s: dumping table %d/%d %s\n", prefix, ++n, total, name; fflush(); next
    }
    /^-- / { next }
    { printf "%s: mysqldump: %s\n", prefix, $0; fflush() }' >&2
}

dump_database() {
  local tables size_mb status=0
  tables=$(table_count)
  [[ $tables -gt 0 ]] || die "database ${DB_NAME} on ${DB_HOST} has no tables: nothing to dump"
  size_mb=$(master_query <<SQL
SELECT ROUND(COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) / 1048576, 1)
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB_NAME}';
SQL
  )
  log "dumping database ${DB_NAME} from ${DB_HOST}:${DB_PORT}: ${tables} tables, ${size_mb} MB on disk"
  # --single-transaction: one consistent InnoDB snapshot, no locks, Keycloak keeps running.
  # No database name in the dump (no --databases): restore chooses where it goes.
  # Its stderr (progress and errors) goes through dump_progress, its stdout (fd 3) to gzip.
  {
    mysqldump --defaults-extra-file="$MASTER_CNF" --protocol=TCP --host="$DB_HOST" --port="$DB_PORT" \
      --ssl-ca="$CA_FILE" --ssl-verify-server-cert \
      --single-transaction --quick --no-tablespaces --routines --triggers --hex-blob \
      --default-character-set="$DB_CHARSET" --ignore-table-data="${DB_NAME}.${DISCOVERY_TABLE}" \
      --verbose "$DB_NAME" 2>&1 >&3 3>&- | dump_progress "$tables"
  } 3>&1 | gzip -c || status=$?
  [[ $status -eq 0 ]] || die "mysqldump of ${DB_NAME} failed (exit ${status}); the output is incomplete"
  log "dump of ${DB_NAME} complete"
}

# Passes the SQL through and reports each table as its CREATE TABLE goes by.
restore_progress() {
  awk -v prefix="$PROGRESS_PREFIX" '
    /^CREATE TABLE `/ {
      name = $3; gsub(/`/, "", name)
      printf "%s: restoring table %d %s\n", prefix, ++n, name > "/dev/stderr"; fflush("/dev/stderr")
    }
    { print }'
}

restore_database() {
  local tables error_file="$WORK_DIR/restore-error" status=0
  refuse_while_keycloak_connected
  master_query <<SQL >/dev/null
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\` CHARACTER SET ${DB_CHARSET} COLLATE ${DB_COLLATION};
SQL
  tables=$(table_count)
  [[ $tables -eq 0 ]] \
    || die "database ${DB_NAME} on ${DB_HOST} is not empty (${tables} tables): restore only writes into an empty database. Stop Keycloak and drop the database first (README: Backup and restore); nothing was changed"
  log "restoring into the empty database ${DB_NAME} on ${DB_HOST}:${DB_PORT} as user ${SECRET_USERNAME}"
  keycloak_can_log_in \
    || die "user ${SECRET_USERNAME} cannot log in to ${DB_NAME} with the password from secret ${USER_SECRET_ARN}: $(tr -s '\n' ' ' <"$WORK_DIR/login-error"); nothing was restored"
  # As the keycloak user: whatever the file holds runs with that user's rights on ${DB_NAME} only.
  gzip -dc | restore_progress | mysql_as "$KEYCLOAK_CNF" "$DB_NAME" 2>"$error_file" || status=$?
  if [[ $status -ne 0 ]]; then
    die "restore failed (exit ${status}): $(head -c 500 "$error_file" | tr -s '\n' ' '); database ${DB_NAME} is now partly restored: drop it before trying again"
  fi
  log "restored ${DB_NAME}: $(table_count) tables"
}

# The keycloak user's credentials into KEYCLOAK_CNF, read from its secret without changing it
# (the setup's load_credentials would fill an empty secret). After a credential rotation the
# secret names the alternate user, with the same rights.
load_keycloak_credentials() {
  local value status=0 username password
  value=$(read_secret "$USER_SECRET_ARN") || status=$?
  [[ $status -ne 2 ]] || die "secret $USER_SECRET_ARN has no value: the deploy's database setup has not run"
  [[ $status -eq 0 ]] || exit "$status"
  secret_field "$value" username username || die "secret $USER_SECRET_ARN is not JSON with a string field \"username\""
  [[ $username == "$DB_USER" || $username == "$DB_USER_ALTERNATE" ]] \
    || die "secret $USER_SECRET_ARN holds username '$username', expected '${DB_USER}' or '${DB_USER_ALTERNATE}'"
  secret_field "$value" password password || die "secret $USER_SECRET_ARN is not JSON with a string field \"password\""
  check_password "$USER_SECRET_ARN" "$password"
  write_client_config "$KEYCLOAK_CNF" "$username" "$password"
  SECRET_USERNAME=$username
}

# Sessions of either Keycloak user: a restore under a running Keycloak would mix two databases.
refuse_while_keycloak_connected() {
  local user connections
  for user in "$DB_USER" "$DB_USER_ALTERNATE"; do
    connections=$(user_connections "$user")
    [[ $connections -eq 0 ]] \
      || die "user ${user} has ${connections} connections to ${DB_HOST}: a Keycloak is running against it; scale the service to 0 first. Nothing was changed"
  done
}

drop_database() {
  refuse_while_keycloak_connected
  log "dropping database ${DB_NAME} on ${DB_HOST} ($(table_count) tables)"
  master_query <<SQL >/dev/null
DROP DATABASE IF EXISTS \`${DB_NAME}\`;
SQL
  log "dropped database ${DB_NAME}"
}

main() {
  parse_args "$@"
  prepare_master_session
  command -v mysqldump >/dev/null 2>&1 || die "no mysqldump on PATH (it comes with the MySQL client ${MYSQL_CLIENT_PACKAGE})"
  if [[ $COMMAND == restore ]]; then
    load_keycloak_credentials
  fi
  wait_for_database
  case $COMMAND in
    dump) dump_database ;;
    restore) restore_database ;;
    drop) drop_database ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
