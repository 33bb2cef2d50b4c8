#!/usr/bin/env bash
# Creates Keycloak's database and its two database users on the RDS MySQL instance. Runs on the
# bastion (Terraform's remote-exec), because only hosts inside the VPC reach the database.
# The two users are the alternating users of the credential rotation (tools/rotate-db-credentials.sh):
# the DB-user secret names one of them, which gets the secret's password; the other one exists
# with the same grants, locked, with a random password nobody knows, until a rotation takes it.
# Fills the Keycloak DB-user secret (and the bootstrap-admin secret, when given) with generated
# passwords when they have no value yet, so no password ever passes through Terraform or its state.
# Every connection uses TLS and verifies the server: its certificate must chain to the CA bundle
# given by URL (RDS's, downloaded over HTTPS) and name the host connected to. The Keycloak user
# may log in over TLS only (REQUIRE SSL).
# Rerunnable: a rerun completes a half-finished run, sets the password again after the
# DB-user secret changed by hand, and otherwise changes nothing (nor the locked user's password).
set -euo pipefail
shopt -s inherit_errexit
umask 077

# Must equal DB_NAME, DB_USER, DB_CHARSET and DB_COLLATION in modules/shared/constants.ts
# and DB_USER_ALTERNATE (a unit test compares them; a shell script cannot import TypeScript).
readonly DB_NAME="keycloak"
readonly DB_USER="keycloak"
readonly DB_USER_ALTERNATE="keycloak_b"
readonly DB_CHARSET="utf8mb4"
readonly DB_COLLATION="utf8mb4_unicode_ci"
readonly ADMIN_USER="admin"
# The MySQL command-line client package of Amazon Linux 2023, as the RDS user guide names it.
readonly MYSQL_CLIENT_PACKAGE="mariadb105"
# 48 random bytes = 64 base64url characters (384 bits).
readonly PASSWORD_RANDOM_BYTES=48
readonly CONNECT_TIMEOUT_SECONDS=10
# Makes the escaping in sql_string valid whatever sql_mode the server has (NO_BACKSLASH_ESCAPES).
readonly SESSION_MODE="SET SESSION sql_mode = '';"

DB_HOST=""
DB_PORT="3306"
MASTER_SECRET_ARN=""
USER_SECRET_ARN=""
ADMIN_SECRET_ARN=""
REGION=""
CA_BUNDLE_URL=""
ATTEMPTS="30"
INTERVAL_SECONDS="10"

WORK_DIR=""
JSON_TOOL=""
MASTER_CNF=""
KEYCLOAK_CNF=""
CA_FILE=""
SECRET_USERNAME=""
SECRET_PASSWORD=""

usage() {
  echo "usage: $(basename "$0") --db-host HOST [--db-port PORT] --ca-bundle-url URL --master-secret-arn ARN --user-secret-arn ARN [--admin-secret-arn ARN] --region REGION [--attempts N] [--interval-seconds S]"
}

print_help() {
  usage
  cat <<EOF

Creates database '${DB_NAME}' (${DB_CHARSET}/${DB_COLLATION}) and users '${DB_USER}'@'%' and
'${DB_USER_ALTERNATE}'@'%' with all privileges on ${DB_NAME}.* only, allowed to log in over TLS
only (REQUIRE SSL). The user the DB-user secret names gets its password; the other one is
created locked (the rotation's alternate, tools/rotate-db-credentials.sh).
Every value below is non-secret; passwords are read from and written to AWS Secrets Manager
with the instance role's credentials.

  --db-host HOST             database host name as its TLS certificate names it (the RDS
                             endpoint, e.g. keycloak-prod-db.abc123.eu-west-1.rds.amazonaws.com)
  --db-port PORT             database port (default 3306)
  --ca-bundle-url URL        https:// (or file://) URL of the CA bundle the server's certificate
                             must chain to (RDS: https://truststore.pki.rds.amazonaws.com/...)
  --master-secret-arn ARN    RDS-managed master user secret, JSON {"username","password"}
  --user-secret-arn ARN      Keycloak DB-user secret; filled with username "${DB_USER}" and
                             a generated password when it has no value yet; may name
                             "${DB_USER_ALTERNATE}" after a rotation
  --admin-secret-arn ARN     Keycloak bootstrap-admin secret; filled with username
                             "${ADMIN_USER}" and a generated password when it has no value yet;
                             left out once a permanent admin exists (setting bootstrapAdmin false)
  --region REGION            AWS region of the secrets
  --attempts N               connection attempts while waiting for the database (default 30)
  --interval-seconds S       pause between attempts (default 10)
  --help                     show this help

Needs: aws (CLI v2), curl, jq or python3, and a MariaDB mysql client (installs
${MYSQL_CLIENT_PACKAGE} with dnf when missing). Prints "database ${DB_NAME} ready" on success.
EOF
}

log() {
  echo "$*"
}

die() {
  echo "keycloak-db-setup: error: $*" >&2
  exit 1
}

require_value() {
  local flag=$1 count=$2
  [[ $count -ge 2 ]] || { usage >&2; die "$flag needs a value"; }
}

require_positive_integer() {
  local flag=$1 value=$2
  [[ $value =~ ^[1-9][0-9]*$ ]] || die "$flag must be a positive integer, got '$value'"
}

# The options every bastion script of this project takes (this one, and the ones of
# tools/db-backup-bastion.sh and tools/db-rotate-bastion.sh, which source it): sets the variable
# of option $1 to $2, or returns 1 when $1 is not one of them.
set_connection_option() {
  case $1 in
    --db-host) DB_HOST=$2 ;;
    --db-port) DB_PORT=$2 ;;
    --master-secret-arn) MASTER_SECRET_ARN=$2 ;;
    --user-secret-arn) USER_SECRET_ARN=$2 ;;
    --region) REGION=$2 ;;
    --ca-bundle-url) CA_BUNDLE_URL=$2 ;;
    --attempts) ATTEMPTS=$2 ;;
    --interval-seconds) INTERVAL_SECONDS=$2 ;;
    *) return 1 ;;
  esac
}

# Parses the connection options in "$@" and the extra ones the caller names with an
# `extra_option FLAG VALUE` function that returns 1 for a flag it does not know.
parse_connection_options() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --help | -h) print_help; exit 0 ;;
      --*) require_value "$1" $#
        set_connection_option "$1" "$2" || extra_option "$1" "$2" || { usage >&2; die "unknown argument '$1'"; }
        shift 2 ;;
      *) usage >&2; die "unknown argument '$1'" ;;
    esac
  done
}

# Fails naming the first of the variables $@ that is empty, as its option.
require_options() {
  local flag
  for flag in "$@"; do
    if [[ -z ${!flag} ]]; then
      usage >&2
      die "missing --$(tr '[:upper:]_' '[:lower:]-' <<<"$flag")"
    fi
  done
  require_positive_integer --db-port "$DB_PORT"
  require_positive_integer --attempts "$ATTEMPTS"
  require_positive_integer --interval-seconds "$INTERVAL_SECONDS"
}

extra_option() {
  case $1 in
    --admin-secret-arn) ADMIN_SECRET_ARN=$2 ;;
    *) return 1 ;;
  esac
}

parse_args() {
  parse_connection_options "$@"
  require_options DB_HOST CA_BUNDLE_URL MASTER_SECRET_ARN USER_SECRET_ARN REGION
}

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  else
    sudo -n "$@"
  fi
}

ensure_mysql_client() {
  if command -v mysql >/dev/null 2>&1; then
    return 0
  fi
  command -v dnf >/dev/null 2>&1 \
    || die "no mysql client on PATH and no dnf to install ${MYSQL_CLIENT_PACKAGE}; install a MySQL client first"
  log "installing the MySQL client (${MYSQL_CLIENT_PACKAGE})"
  as_root dnf install -y "$MYSQL_CLIENT_PACKAGE" >/dev/null \
    || die "could not install ${MYSQL_CLIENT_PACKAGE} with dnf (needs root or passwordless sudo, and package repository access)"
  command -v mysql >/dev/null 2>&1 || die "${MYSQL_CLIENT_PACKAGE} is installed but there is still no mysql on PATH"
}

choose_json_tool() {
  if command -v jq >/dev/null 2>&1; then
    JSON_TOOL=jq
  elif command -v python3 >/dev/null 2>&1; then
    JSON_TOOL=python3
  else
    die "need jq or python3 to read the secrets' JSON"
  fi
}

require_aws_cli() {
  command -v aws >/dev/null 2>&1 || die "the aws CLI is not on PATH"
}

require_curl() {
  command -v curl >/dev/null 2>&1 || die "curl is not on PATH; it downloads the database CA bundle"
}

cleanup() {
  if [[ -n $WORK_DIR ]]; then
    rm -rf -- "$WORK_DIR"
  fi
}

make_work_dir() {
  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keycloak-db-setup.XXXXXXXX")
  trap cleanup EXIT
  MASTER_CNF="$WORK_DIR/master.cnf"
  KEYCLOAK_CNF="$WORK_DIR/keycloak.cnf"
  CA_FILE="$WORK_DIR/database-ca-bundle.pem"
}

# The bundle decides which servers are trusted, so it comes over a verified channel only: HTTPS
# (curl checks the download server with the system's CAs) or a local file, never plain HTTP.
fetch_ca_bundle() {
  local error_file="$WORK_DIR/curl-error" count
  curl --silent --show-error --fail --location --proto '=https,file' --proto-redir '=https' \
    --max-time 60 --output "$CA_FILE" "$CA_BUNDLE_URL" 2>"$error_file" \
    || die "could not download the database CA bundle from $CA_BUNDLE_URL: $(tr -s '\n' ' ' <"$error_file")"
  count=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$CA_FILE" || true)
  [[ $count -gt 0 ]] || die "$CA_BUNDLE_URL is not a PEM CA bundle (no certificate in it)"
  log "database CA bundle from $CA_BUNDLE_URL: $count certificates"
}

# Reads one string field of the JSON object on stdin.
json_field() {
  local field=$1
  if [[ $JSON_TOOL == jq ]]; then
    jq -je --arg field "$field" '.[$field] | strings' 2>/dev/null
  else
    python3 -c '
import json, sys
value = json.load(sys.stdin).get(sys.argv[1])
if not isinstance(value, str):
    sys.exit(1)
sys.stdout.write(value)' "$field" 2>/dev/null
  fi
}

# Sets the variable named $3 to the string field $2 of the JSON in $1. The "." appended and
# removed again keeps trailing line breaks, which $(...) would drop silently.
secret_field() {
  local json=$1 field=$2 result_var=$3 value
  value=$(printf '%s' "$json" | json_field "$field" && echo .) || return 1
  printf -v "$result_var" '%s' "${value%.}"
}

# Prints {"username": $1, "password": <stdin>} as JSON.
credentials_json() {
  local username=$1
  if [[ $JSON_TOOL == jq ]]; then
    jq -Rsc --arg username "$username" '{username: $username, password: .}'
  else
    python3 -c '
import json, sys
print(json.dumps({"username": sys.argv[1], "password": sys.stdin.read()}))' "$username"
  fi
}

# Prints the secret's current value. Returns 2 when the secret exists but has no value yet.
read_secret() {
  local arn=$1 error_file="$WORK_DIR/aws-error"
  if aws secretsmanager get-secret-value --region "$REGION" --secret-id "$arn" \
    --query SecretString --output text 2>"$error_file"; then
    return 0
  fi
  if grep -q "can't find the specified secret value" "$error_file"; then
    return 2
  fi
  if ! aws secretsmanager describe-secret --region "$REGION" --secret-id "$arn" >/dev/null 2>&1; then
    die "secret $arn does not exist or is not accessible: $(tr -s '\n' ' ' <"$error_file")"
  fi
  die "cannot read the value of secret $arn: $(tr -s '\n' ' ' <"$error_file")"
}

# Every random byte becomes a base64url character, so the password is safe in URLs,
# JSON, shells and option files, and long enough for any password policy.
generate_password() {
  head -c "$PASSWORD_RANDOM_BYTES" /dev/urandom | base64 -w 0 | tr '+/' '-_'
}

write_secret() {
  local arn=$1 username=$2 password=$3 secret_file="$WORK_DIR/secret.json"
  printf '%s' "$password" | credentials_json "$username" >"$secret_file"
  aws secretsmanager put-secret-value --region "$REGION" --secret-id "$arn" \
    --secret-string "file://$secret_file" >/dev/null \
    || die "could not store a value in secret $arn"
  rm -f -- "$secret_file"
}

# Sets SECRET_USERNAME and SECRET_PASSWORD from the secret, after checking its username is $2
# (or $3, when given). A secret without a value gets $2 and a generated password first.
load_credentials() {
  local arn=$1 username=$2 alternate=${3:-} value status=0 stored_username password
  value=$(read_secret "$arn") || status=$?
  if [[ $status -eq 2 ]]; then
    write_secret "$arn" "$username" "$(generate_password)"
    log "stored a generated password for '$username' in secret $arn"
    value=$(read_secret "$arn") || die "secret $arn has no value right after storing one"
  elif [[ $status -ne 0 ]]; then
    exit "$status"
  fi
  secret_field "$value" username stored_username \
    || die "secret $arn is not JSON with a string field \"username\""
  if [[ $stored_username != "$username" && (-z $alternate || $stored_username != "$alternate") ]]; then
    local expected="'$username'"
    [[ -z $alternate ]] || expected+=" or '$alternate'"
    die "secret $arn holds username '$stored_username', expected $expected"
  fi
  secret_field "$value" password password \
    || die "secret $arn is not JSON with a string field \"password\""
  check_password "$arn" "$password"
  SECRET_USERNAME=$stored_username
  SECRET_PASSWORD=$password
}

# Option files and the mysql client read one line at a time, so line breaks cannot be passed.
check_password() {
  local arn=$1 password=$2
  [[ -n $password ]] || die "secret $arn has an empty password"
  [[ $password != *[$'\n\r']* ]] || die "the password in secret $arn contains a line break, which MySQL option files cannot hold"
}

load_master_credentials() {
  local value status=0 username password
  value=$(read_secret "$MASTER_SECRET_ARN") || status=$?
  [[ $status -ne 2 ]] || die "master secret $MASTER_SECRET_ARN has no value"
  [[ $status -eq 0 ]] || exit "$status"
  secret_field "$value" username username \
    || die "master secret $MASTER_SECRET_ARN is not JSON with a string field \"username\""
  secret_field "$value" password password \
    || die "master secret $MASTER_SECRET_ARN is not JSON with a string field \"password\""
  check_password "$MASTER_SECRET_ARN" "$password"
  write_client_config "$MASTER_CNF" "$username" "$password"
}

# Option-file values in double quotes: only backslash and double quote need escaping.
option_value() {
  local value=${1//\\/\\\\}
  printf '"%s"' "${value//\"/\\\"}"
}

write_client_config() {
  local file=$1 username=$2 password=$3
  printf '[client]\nuser=%s\npassword=%s\n' "$(option_value "$username")" "$(option_value "$password")" >"$file"
}

# SQL string literal; the session runs with backslash escapes on (see SESSION_MODE).
sql_string() {
  local value=${1//\\/\\\\}
  printf "'%s'" "${value//\'/\'\'}"
}

mysql_as() {
  local config=$1
  shift
  # --ssl-verify-server-cert: the certificate must also name DB_HOST, not only chain to the bundle.
  mysql --defaults-extra-file="$config" --protocol=TCP --host="$DB_HOST" --port="$DB_PORT" \
    --ssl-ca="$CA_FILE" --ssl-verify-server-cert \
    --connect-timeout="$CONNECT_TIMEOUT_SECONDS" --batch --skip-column-names "$@"
}

# Runs the SQL on stdin as the master user and prints the result.
master_query() {
  local error_file="$WORK_DIR/mysql-error"
  mysql_as "$MASTER_CNF" 2>"$error_file" || die "database statement failed: $(tr -s '\n' ' ' <"$error_file")"
}

# Like master_query for SQL holding a password: the server quotes the statement in some
# errors, so only the error code is shown.
master_statement_with_password() {
  local sql_file=$1 description=$2 error_file="$WORK_DIR/mysql-error" code
  if ! mysql_as "$MASTER_CNF" <"$sql_file" >/dev/null 2>"$error_file"; then
    rm -f -- "$sql_file"
    code=$(grep -o '^ERROR [0-9]* ([0-9A-Z]*)' "$error_file" | head -n 1 || true)
    die "$description failed: ${code:-mysql exited non-zero} (message withheld: it may quote the password)"
  fi
  rm -f -- "$sql_file"
}

wait_for_database() {
  local attempt error_file="$WORK_DIR/mysql-error"
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    log "waiting for ${DB_HOST}:${DB_PORT} (attempt ${attempt}/${ATTEMPTS})"
    if echo "SELECT 1;" | mysql_as "$MASTER_CNF" >/dev/null 2>"$error_file"; then
      return 0
    fi
    # 2026: the TLS handshake failed; retrying cannot make the certificate trusted.
    if grep -q '^ERROR 2026 ' "$error_file"; then
      die "TLS verification of ${DB_HOST}:${DB_PORT} failed: its certificate must chain to the CA bundle $CA_FILE (from $CA_BUNDLE_URL) and name ${DB_HOST}: $(tr -s '\n' ' ' <"$error_file")"
    fi
    if grep -q '^ERROR 1045 ' "$error_file"; then
      die "${DB_HOST}:${DB_PORT} rejected the credentials of master secret $MASTER_SECRET_ARN: $(tr -s '\n' ' ' <"$error_file")"
    fi
    if [[ $attempt -lt $ATTEMPTS ]]; then
      sleep "$INTERVAL_SECONDS"
    fi
  done
  die "gave up: ${DB_HOST}:${DB_PORT} did not accept connections after ${ATTEMPTS} attempts: $(tr -s '\n' ' ' <"$error_file")"
}

# Keycloak creates its tables with the database's default character set, so the default must
# be right before Keycloak's first start; once tables exist, changing it would leave them
# inconsistent, so that case stops for a human.
ensure_database() {
  local current tables
  master_query <<SQL >/dev/null
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\` CHARACTER SET ${DB_CHARSET} COLLATE ${DB_COLLATION};
SQL
  current=$(master_query <<SQL
SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, '/', DEFAULT_COLLATION_NAME)
  FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DB_NAME}';
SQL
  )
  if [[ $current == "${DB_CHARSET}/${DB_COLLATION}" ]]; then
    log "database ${DB_NAME} is in place (${current})"
    return 0
  fi
  tables=$(master_query <<SQL
SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB_NAME}';
SQL
  )
  [[ $tables -eq 0 ]] \
    || die "database ${DB_NAME} has ${tables} tables with default ${current}, not ${DB_CHARSET}/${DB_COLLATION}; convert it by hand"
  master_query <<SQL >/dev/null
ALTER DATABASE \`${DB_NAME}\` CHARACTER SET ${DB_CHARSET} COLLATE ${DB_COLLATION};
SQL
  log "database ${DB_NAME} changed from ${current} to ${DB_CHARSET}/${DB_COLLATION} (it had no tables)"
}

# The other one of the two alternating users.
other_user() {
  local user=$1
  if [[ $user == "$DB_USER" ]]; then
    echo "$DB_USER_ALTERNATE"
  else
    echo "$DB_USER"
  fi
}

user_exists() {
  local user=$1 count
  count=$(master_query <<SQL
SELECT COUNT(*) FROM mysql.user WHERE User = '${user}' AND Host = '%';
SQL
  )
  [[ $count -ne 0 ]]
}

# Open sessions of the given users: a Keycloak task holds its pool's connections while it runs.
user_connections() {
  local list
  list=$(printf "'%s'," "$@")
  master_query <<SQL
SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN (${list%,});
SQL
}

# SHOW CREATE USER ends in ACCOUNT LOCK for a locked account on MySQL 8 and MariaDB alike.
user_locked() {
  local user=$1
  master_query <<SQL | grep -q ' ACCOUNT LOCK'
SHOW CREATE USER '${user}'@'%';
SQL
}

# Logging in is the one check that works for every authentication plugin (MySQL 8's
# caching_sha2_password salts its hashes), and it avoids a needless ALTER USER.
keycloak_can_log_in() {
  echo "SELECT 1;" | mysql_as "$KEYCLOAK_CNF" "$DB_NAME" >/dev/null 2>"$WORK_DIR/login-error"
}

# $4: ACCOUNT LOCK or ACCOUNT UNLOCK.
account_sql() {
  local verb=$1 user=$2 password=$3 lock=$4
  printf "%s\n%s '%s'@'%%' IDENTIFIED BY %s REQUIRE SSL %s;\n" "$SESSION_MODE" "$verb" "$user" "$(sql_string "$password")" "$lock"
}

# Empty ssl_type: the user may log in without TLS (created before this script required it).
user_requires_tls() {
  local user=$1 ssl_type
  ssl_type=$(master_query <<SQL
SELECT ssl_type FROM mysql.user WHERE User = '${user}' AND Host = '%';
SQL
  )
  [[ -n $ssl_type ]]
}

# Runs CREATE USER or ALTER USER ($1) for user $2 with password $3, REQUIRE SSL and $4
# (ACCOUNT LOCK or ACCOUNT UNLOCK), from a 0600 file that is removed again.
write_account() {
  local verb=$1 user=$2 password=$3 lock=$4 sql_file="$WORK_DIR/account.sql"
  account_sql "$verb" "$user" "$password" "$lock" >"$sql_file"
  master_statement_with_password "$sql_file" "${verb} '${user}'"
}

# TLS only and all privileges on DB_NAME only: the same for both alternating users.
grant_user() {
  local user=$1
  if ! user_requires_tls "$user"; then
    master_query <<SQL >/dev/null
ALTER USER '${user}'@'%' REQUIRE SSL;
SQL
    log "user '${user}'@'%' may now log in over TLS only"
  fi
  master_query <<SQL >/dev/null
GRANT ALL PRIVILEGES ON \`${DB_NAME}\`.* TO '${user}'@'%';
SQL
}

ensure_user() {
  local user=$1 password=$2
  write_client_config "$KEYCLOAK_CNF" "$user" "$password"
  if ! user_exists "$user"; then
    write_account "CREATE USER IF NOT EXISTS" "$user" "$password" "ACCOUNT UNLOCK"
    log "created user '${user}'@'%'"
  elif keycloak_can_log_in; then
    log "user '${user}'@'%' exists and has the password from secret $USER_SECRET_ARN"
  else
    write_account "ALTER USER" "$user" "$password" "ACCOUNT UNLOCK"
    log "set the password of '${user}'@'%' from secret $USER_SECRET_ARN"
  fi
  grant_user "$user"
  keycloak_can_log_in \
    || die "user '${user}' cannot log in to ${DB_NAME} with the password from secret $USER_SECRET_ARN: $(tr -s '\n' ' ' <"$WORK_DIR/login-error")"
  log "user '${user}'@'%' has all privileges on ${DB_NAME}.*"
}

# The user the secret does not name: created locked, with a random password that is never stored,
# when missing. An existing one keeps its password and lock state (a rotation may be under way).
ensure_alternate_user() {
  local user=$1
  if ! user_exists "$user"; then
    write_account "CREATE USER IF NOT EXISTS" "$user" "$(generate_password)" "ACCOUNT LOCK"
    log "created user '${user}'@'%', locked (the credential rotation's alternate)"
  fi
  grant_user "$user"
  log "user '${user}'@'%' has all privileges on ${DB_NAME}.*$(user_locked "$user" && echo ', locked')"
}

# What every bastion script of this project does first: its tools, a private work directory, the
# CA bundle and the master user's client configuration.
prepare_master_session() {
  require_aws_cli
  require_curl
  ensure_mysql_client
  choose_json_tool
  make_work_dir
  fetch_ca_bundle
  load_master_credentials
}

main() {
  parse_args "$@"
  prepare_master_session
  if [[ -n $ADMIN_SECRET_ARN ]]; then
    load_credentials "$ADMIN_SECRET_ARN" "$ADMIN_USER"
  fi
  load_credentials "$USER_SECRET_ARN" "$DB_USER" "$DB_USER_ALTERNATE"
  wait_for_database
  ensure_database
  ensure_user "$SECRET_USERNAME" "$SECRET_PASSWORD"
  ensure_alternate_user "$(other_user "$SECRET_USERNAME")"
  log "database ${DB_NAME} ready"
}

# Sourced (by the unit tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
