#!/usr/bin/env bash
# Dumps the Keycloak database to a local file, or restores such a file into an empty Keycloak
# database, from the operator's machine through the bastion over SSH (README: Backup and
# restore). Only the bastion reaches the database; it reads the master credentials from Secrets
# Manager with its own role, as the deploy's database setup does, so no password passes through
# this machine. The bastion's half is tools/db-backup-bastion.sh, uploaded with the setup script
# it reuses into a private temporary directory that is removed afterwards.
set -euo pipefail
shopt -s inherit_errexit
umask 077

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# shellcheck source=bastion-session.sh
source "$HERE/bastion-session.sh"
readonly BASTION_SCRIPT="$HERE/db-backup-bastion.sh"
# mysqldump's last line when it finished; a file without it is cut short.
readonly DUMP_COMPLETE_MARKER="-- Dump completed"

# Must equal DB_NAME in modules/shared/constants.ts (a unit test compares them).
readonly DB_NAME="keycloak"

COMMAND=""
FILE=""
CONFIRM=""
PARTIAL=""

usage() {
  echo "usage: $(basename "$0") dump --output FILE | restore --input FILE | drop --confirm keycloak  --bastion USER@HOST --identity KEY --db-host ENDPOINT --master-secret-id ARN [--user-secret-id ARN] --region REGION [--ca-bundle-url URL] [--ssh-option OPTION]..."
}

print_help() {
  usage
  cat <<EOF

  dump                       writes a consistent, gzip-compressed dump of the Keycloak database
                             to FILE (mode 0600: it holds client secrets and password hashes);
                             Keycloak keeps running
  restore                    loads FILE into the Keycloak database, which must be empty (no
                             tables) and unused (the service scaled to 0); refuses otherwise.
                             The dump runs as the keycloak database user (--user-secret-id), not
                             the master user: a tampered dump gets that user's rights on its own
                             database only
  drop --confirm keycloak    drops the Keycloak database, the step before a restore over it;
                             refuses while Keycloak is connected. Dump first.
  --output FILE / --input FILE
  --bastion USER@HOST        the bastion (terraform output bastion_public_ip; user ec2-user)
  --identity KEY             its SSH private key (terraform output -raw bastion_private_key)
  --db-host ENDPOINT         the RDS endpoint (terraform output db_endpoint)
  --master-secret-id ARN     the RDS-managed master secret (terraform output db_master_secret_arn)
  --user-secret-id ARN       the keycloak database user's secret, for restore (terraform output
                             keycloak_db_secret_arn)
  --region REGION            AWS region of the secret
  --ca-bundle-url URL        CA bundle the database certificate must chain to
                             (default: RDS's, ${DEFAULT_CA_BUNDLE_URL})
  --ssh-option OPTION        passed to ssh as -o OPTION (repeatable)
  --help                     show this help

Needs ssh, tar and gzip here; the bastion needs what the database setup needs. Progress goes to
stderr; no password is printed or put on a command line.
EOF
}

log() { echo "db-backup: $*" >&2; }

die() {
  echo "db-backup: error: $*" >&2
  exit 1
}

parse_args() {
  [[ $# -gt 0 ]] || { usage >&2; die "missing command: dump, restore or drop"; }
  case $1 in
    --help | -h) print_help; exit 0 ;;
    dump | restore | drop) COMMAND=$1; shift ;;
    *) usage >&2; die "unknown command '$1': dump, restore or drop" ;;
  esac
  while [[ $# -gt 0 ]]; do
    case $1 in
      --help | -h) print_help; exit 0 ;;
      --output) require_value "$1" $#; [[ $COMMAND == dump ]] || die "--output belongs to dump"; FILE=$2; shift 2 ;;
      --input) require_value "$1" $#; [[ $COMMAND == restore ]] || die "--input belongs to restore"; FILE=$2; shift 2 ;;
      --confirm) require_value "$1" $#; [[ $COMMAND == drop ]] || die "--confirm belongs to drop"; CONFIRM=$2; shift 2 ;;
      --*) require_value "$1" $#; set_bastion_option "$1" "$2" || { usage >&2; die "unknown argument '$1'"; }; shift 2 ;;
      *) usage >&2; die "unknown argument '$1'" ;;
    esac
  done
  if [[ $COMMAND == drop ]]; then
    [[ $CONFIRM == "$DB_NAME" ]] || die "drop needs --confirm $DB_NAME: it deletes every realm, user and session"
  else
    [[ -n $FILE ]] || { usage >&2; die "missing --$([[ $COMMAND == dump ]] && echo output || echo input)"; }
  fi
  require_set BASTION IDENTITY DB_HOST MASTER_SECRET_ID REGION
  if [[ $COMMAND == restore && -z $USER_SECRET_ID ]]; then
    usage >&2
    die "restore needs --user-secret-id: the dump is loaded as the keycloak database user, not the master user"
  fi
  [[ -r $IDENTITY ]] || die "--identity file '$IDENTITY' is not readable"
}

cleanup() {
  if [[ -n $PARTIAL ]]; then
    rm -f -- "$PARTIAL"
  fi
  remove_remote_dir
}

remote_command() {
  local words=(bash "$REMOTE_DIR/$(basename "$BASTION_SCRIPT")" "$COMMAND" --db-host "$DB_HOST" --ca-bundle-url "$CA_BUNDLE_URL"
    --master-secret-arn "$MASTER_SECRET_ID" --region "$REGION" --attempts 3 --interval-seconds 5)
  if [[ -n $USER_SECRET_ID ]]; then
    words+=(--user-secret-arn "$USER_SECRET_ID")
  fi
  printf '%q ' "${words[@]}"
}

# A complete dump is gzip without errors whose last line is mysqldump's completion comment.
check_dump_file() {
  local file=$1 last
  gzip -t -- "$file" 2>/dev/null || die "$file is not a complete gzip file"
  last=$(gzip -dc -- "$file" | tail -n 1)
  [[ $last == "$DUMP_COMPLETE_MARKER"* ]] || die "$file does not end with '$DUMP_COMPLETE_MARKER': the dump was cut short"
}

dump() {
  local started=$SECONDS bytes
  [[ ! -e $FILE ]] || die "$FILE exists; choose a new file name"
  PARTIAL="$FILE.partial"
  upload_scripts "$SETUP_SCRIPT" "$BASTION_SCRIPT" keycloak-db-backup
  bastion_ssh "$(remote_command)" >"$PARTIAL" || die "the dump failed on the bastion (see above); nothing was written to $FILE"
  check_dump_file "$PARTIAL"
  mv -- "$PARTIAL" "$FILE"
  PARTIAL=""
  bytes=$(wc -c <"$FILE")
  log "wrote $FILE: $((bytes)) bytes (gzip) in $((SECONDS - started)) s"
}

restore() {
  local started=$SECONDS
  [[ -r $FILE ]] || die "--input file '$FILE' is not readable"
  check_dump_file "$FILE"
  upload_scripts "$SETUP_SCRIPT" "$BASTION_SCRIPT" keycloak-db-backup
  bastion_ssh "$(remote_command)" <"$FILE" || die "the restore failed on the bastion (see above)"
  log "restored $FILE in $((SECONDS - started)) s"
}

drop() {
  upload_scripts "$SETUP_SCRIPT" "$BASTION_SCRIPT" keycloak-db-backup
  bastion_ssh "$(remote_command)" </dev/null || die "the drop failed on the bastion (see above)"
}

main() {
  parse_args "$@"
  require_tools ssh tar gzip
  trap cleanup EXIT
  case $COMMAND in
    dump) dump ;;
    restore) restore ;;
    drop) drop ;;
  esac
}

main "$@"
