#!/usr/bin/env bash
# The bastion's half of tools/rotate-db-credentials.sh, which uploads it next to the database
# setup script and runs it over SSH: Amazon's alternating-users rotation of the Keycloak database
# credential. The DB-user secret names one of the two users (keycloak, keycloak_b); `switch` gives
# the other one a fresh password, checks it logs in and points the secret at it; `retire`, run once
# no task holds the old user's connections any more, locks the old user and gives it a random
# password nobody keeps. It reuses the setup script's functions (sourced): the master credentials
# come from Secrets Manager with the bastion's role, every connection is verified TLS, passwords
# only ever pass through 0600 files.
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

readonly PROGRESS_PREFIX="db-rotate"

COMMAND=""

log() {
  echo "${PROGRESS_PREFIX}: $*" >&2
}

die() {
  echo "${PROGRESS_PREFIX}: error: $*" >&2
  exit 1
}

usage() {
  echo "usage: $(basename "$0") switch|retire --db-host HOST [--db-port PORT] --ca-bundle-url URL --master-secret-arn ARN --user-secret-arn ARN --region REGION [--attempts N] [--interval-seconds S]"
}

print_help() {
  usage
  cat <<EOF

Runs on the bastion (tools/rotate-db-credentials.sh uploads and starts it).
  switch    the user the DB-user secret does not name (${DB_USER} or ${DB_USER_ALTERNATE}) gets a
            fresh password, is unlocked, gets the grants on ${DB_NAME}.* and must log in with it;
            then the secret is switched to it (username and password). The old user keeps
            working. Refuses while the other user has connections (an earlier rotation's tasks).
  retire    locks the user the secret does not name and gives it a random password nobody keeps.
            Refuses while it still has connections: a task started before the switch still runs
            (the deploy has not finished), and its next connection would fail.
Prints the user the secret names on its last line: "secret-user=NAME".
Options as for keycloak-db-setup.sh.
EOF
}

parse_args() {
  [[ $# -gt 0 ]] || { usage >&2; die "missing command: switch or retire"; }
  case $1 in
    --help | -h) print_help; exit 0 ;;
    switch | retire) COMMAND=$1; shift ;;
    *) usage >&2; die "unknown command '$1': switch or retire" ;;
  esac
  parse_connection_options "$@"
  require_options DB_HOST CA_BUNDLE_URL MASTER_SECRET_ARN USER_SECRET_ARN REGION
}

# No option beyond the connection options (the setup's --admin-secret-arn is not one of ours).
extra_option() {
  return 1
}

# The secret's user and password (SECRET_USERNAME, SECRET_PASSWORD), which must log in: a
# rotation starts from a working credential and never locks the one the tasks start with.
load_working_credentials() {
  local value status=0
  value=$(read_secret "$USER_SECRET_ARN") || status=$?
  [[ $status -ne 2 ]] || die "secret $USER_SECRET_ARN has no value: the deploy's database setup has not run"
  [[ $status -eq 0 ]] || exit "$status"
  load_credentials "$USER_SECRET_ARN" "$DB_USER" "$DB_USER_ALTERNATE"
  write_client_config "$KEYCLOAK_CNF" "$SECRET_USERNAME" "$SECRET_PASSWORD"
  keycloak_can_log_in \
    || die "user ${SECRET_USERNAME} from secret $USER_SECRET_ARN cannot log in to ${DB_NAME}: $(tr -s '\n' ' ' <"$WORK_DIR/login-error"); run the database setup (cdktf deploy) first. Nothing was changed"
}

refuse_while_connected() {
  local user=$1 why=$2 connections
  connections=$(user_connections "$user")
  [[ $connections -eq 0 ]] || die "user ${user} has ${connections} connections to ${DB_HOST}: ${why}. Nothing was changed"
}

switch_user() {
  local old=$SECRET_USERNAME new password
  new=$(other_user "$old")
  refuse_while_connected "$new" "tasks of an earlier rotation still use it; let that deploy finish and run 'retire' first"
  password=$(generate_password)
  if user_exists "$new"; then
    write_account "ALTER USER" "$new" "$password" "ACCOUNT UNLOCK"
  else
    write_account "CREATE USER IF NOT EXISTS" "$new" "$password" "ACCOUNT UNLOCK"
  fi
  grant_user "$new"
  write_client_config "$KEYCLOAK_CNF" "$new" "$password"
  keycloak_can_log_in \
    || die "user ${new} cannot log in to ${DB_NAME} with its new password: $(tr -s '\n' ' ' <"$WORK_DIR/login-error"); the secret still names ${old}, which keeps working"
  log "user ${new} has a new password and logs in to ${DB_NAME} with it"
  write_secret "$USER_SECRET_ARN" "$new" "$password"
  load_working_credentials
  [[ $SECRET_USERNAME == "$new" ]] || die "secret $USER_SECRET_ARN names ${SECRET_USERNAME} right after it was switched to ${new}"
  log "secret $USER_SECRET_ARN now names ${new}; ${old} keeps working until 'retire'"
}

retire_user() {
  local old
  old=$(other_user "$SECRET_USERNAME")
  if ! user_exists "$old"; then
    log "user ${old} does not exist: nothing to retire"
    return 0
  fi
  refuse_while_connected "$old" "a task started with the old credential still runs (has the deploy finished?)"
  write_account "ALTER USER" "$old" "$(generate_password)" "ACCOUNT LOCK"
  user_locked "$old" || die "user ${old} is not locked after ALTER USER ... ACCOUNT LOCK"
  log "user ${old} is locked, with a password nobody keeps; ${SECRET_USERNAME} stays"
}

main() {
  parse_args "$@"
  prepare_master_session
  wait_for_database
  load_working_credentials
  case $COMMAND in
    switch) switch_user ;;
    retire) retire_user ;;
  esac
  echo "secret-user=${SECRET_USERNAME}"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
