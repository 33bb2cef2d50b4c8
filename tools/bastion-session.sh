#!/usr/bin/env bash
# shellcheck disable=SC2034 # the variables are the sourcing scripts'
# Sourced by the operator scripts that run a script of theirs on the bastion over SSH
# (db-backup.sh, rotate-db-credentials.sh): the SSH call, the upload of the bastion scripts into a
# private temporary directory there (REMOTE_DIR), its removal, and the options they all take.
# The caller defines log, die and usage.

SESSION_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SESSION_HERE
readonly SETUP_SCRIPT="$SESSION_HERE/../modules/database/setup/keycloak-db-setup.sh"
# Must equal DB_CA_BUNDLE_URL in modules/shared/constants.ts (a unit test compares them).
readonly DEFAULT_CA_BUNDLE_URL="https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

BASTION=""
IDENTITY=""
DB_HOST=""
MASTER_SECRET_ID=""
USER_SECRET_ID=""
REGION=""
CA_BUNDLE_URL=$DEFAULT_CA_BUNDLE_URL
SSH_OPTIONS=()
REMOTE_DIR=""

# Fails unless every program $@ is on PATH and the scripts to upload (the caller's BASTION_SCRIPT
# and the setup script) are in this checkout.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "needs '$tool' on PATH"
  done
  # shellcheck disable=SC2153 # BASTION_SCRIPT is the sourcing script's
  [[ -r $BASTION_SCRIPT && -r $SETUP_SCRIPT ]] || die "run it from a checkout of this repository: $BASTION_SCRIPT or $SETUP_SCRIPT is missing"
}

require_value() {
  [[ $2 -ge 2 ]] || die "$1 needs a value"
}

# Sets the variable of the shared option $1 to $2; returns 1 when $1 is not one of them.
set_bastion_option() {
  case $1 in
    --bastion) BASTION=$2 ;;
    --identity) IDENTITY=$2 ;;
    --db-host) DB_HOST=$2 ;;
    --master-secret-id) MASTER_SECRET_ID=$2 ;;
    --user-secret-id) USER_SECRET_ID=$2 ;;
    --region) REGION=$2 ;;
    --ca-bundle-url) CA_BUNDLE_URL=$2 ;;
    --ssh-option) SSH_OPTIONS+=(-o "$2") ;;
    *) return 1 ;;
  esac
}

# Fails naming the first of the variables $@ that is empty, as its option.
require_set() {
  local flag
  for flag in "$@"; do
    if [[ -z ${!flag} ]]; then
      usage >&2
      die "missing --$(tr '[:upper:]_' '[:lower:]-' <<<"$flag")"
    fi
  done
}

bastion_ssh() {
  ssh -i "$IDENTITY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
    -o ConnectTimeout=15 -o LogLevel=ERROR "${SSH_OPTIONS[@]}" "$BASTION" "$@"
}

remove_remote_dir() {
  if [[ -n $REMOTE_DIR ]]; then
    bastion_ssh "rm -rf -- $(printf '%q' "$REMOTE_DIR")" || log "could not remove $REMOTE_DIR on the bastion"
  fi
}

# Uploads the setup script ($1) and the caller's bastion script ($2) side by side into a new
# directory named $3.XXXXXXXX (mode 0700) on the bastion; sets REMOTE_DIR.
upload_scripts() {
  local setup_script=$1 bastion_script=$2 prefix=$3
  log "uploading the bastion scripts to $BASTION"
  # shellcheck disable=SC2016 # expanded on the bastion
  REMOTE_DIR=$(tar -cf - -C "$(dirname "$setup_script")" "$(basename "$setup_script")" -C "$(dirname "$bastion_script")" "$(basename "$bastion_script")" \
    | bastion_ssh "umask 077 && dir=\$(mktemp -d \"\${TMPDIR:-/tmp}/${prefix}.XXXXXXXX\") && tar -xf - -C \"\$dir\" && echo \"\$dir\"") \
    || die "could not reach the bastion $BASTION over SSH, or upload to it"
  [[ $REMOTE_DIR == /* ]] || die "the bastion answered '$REMOTE_DIR' instead of a directory"
}
