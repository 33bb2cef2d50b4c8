#!/usr/bin/env bash
# Replaces Keycloak's temporary bootstrap admin with a permanent one: creates the permanent
# admin in the master realm with a generated password (stored in Secrets Manager, never shown),
# grants it the master realm's `admin` role, proves it can log in and use the admin API, and
# then deletes the bootstrap admin user. Run it from a machine the ALB lets reach the admin
# plane; afterwards set bootstrapAdmin to false and deploy (README: Permanent admin).
# Rerunnable: every step checks first, so a rerun finishes a half-done run and otherwise
# changes nothing.
set -euo pipefail
shopt -s inherit_errexit
umask 077

readonly REALM="master"
readonly CLIENT_ID="admin-cli"
readonly ADMIN_ROLE="admin"
readonly PASSWORD_RANDOM_BYTES=36
readonly REALM_PATH="/realms/$REALM"

URL=""
USERNAME=""
BOOTSTRAP_SECRET_ID=""
ADMIN_SECRET_ID=""
REGION=""
CACERT=""
WORK_DIR=""
# Set by the functions below; globals keep passwords out of command lines and subshells.
TOKEN=""
SECRET_USERNAME=""
SECRET_PASSWORD=""
HTTP_STATUS=""
PERMANENT_ID=""

usage() {
  echo "usage: $(basename "$0") --url URL --username NAME --bootstrap-secret-id ARN --admin-secret-id ARN --region REGION [--cacert FILE]"
}

print_help() {
  usage
  cat <<EOF

Creates the permanent Keycloak admin NAME in the ${REALM} realm and deletes the temporary
bootstrap admin, talking to Keycloak's admin API at URL (the public address, through the ALB).

  --url URL                    Keycloak's base URL, https:// only, e.g. https://login.example.com
                               (terraform output keycloak_url)
  --username NAME              the permanent admin's user name; not the bootstrap admin's
  --bootstrap-secret-id ARN    the bootstrap admin's secret (terraform output
                               keycloak_admin_secret_arn); may be gone on a rerun
  --admin-secret-id ARN        where the permanent admin's credentials go (terraform output
                               keycloak_permanent_admin_secret_arn); filled with NAME and a
                               generated password when it has no value yet
  --region REGION              AWS region of the secrets
  --cacert FILE                CA certificate(s) to trust for URL (the self-signed certificate)
  --help                       show this help

Needs: aws (CLI v2), curl, jq. Honours https_proxy. Prints "permanent admin NAME ready" on
success. Passwords never appear on a command line or in the output.
EOF
}

log() { echo "permanent-admin: $*"; }

die() {
  echo "permanent-admin: error: $*" >&2
  exit 1
}

cleanup() {
  if [[ -n $WORK_DIR ]]; then
    rm -rf -- "$WORK_DIR"
  fi
}

require_value() {
  [[ $2 -ge 2 ]] || die "$1 needs a value"
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --help | -h) print_help; exit 0 ;;
      --url) require_value "$1" $#; URL=${2%/}; shift 2 ;;
      --username) require_value "$1" $#; USERNAME=$2; shift 2 ;;
      --bootstrap-secret-id) require_value "$1" $#; BOOTSTRAP_SECRET_ID=$2; shift 2 ;;
      --admin-secret-id) require_value "$1" $#; ADMIN_SECRET_ID=$2; shift 2 ;;
      --region) require_value "$1" $#; REGION=$2; shift 2 ;;
      --cacert) require_value "$1" $#; CACERT=$2; shift 2 ;;
      *) usage >&2; die "unknown argument '$1'" ;;
    esac
  done
  local flag
  for flag in URL USERNAME BOOTSTRAP_SECRET_ID ADMIN_SECRET_ID REGION; do
    if [[ -z ${!flag} ]]; then
      usage >&2
      die "missing --$(tr '[:upper:]_' '[:lower:]-' <<<"$flag")"
    fi
  done
  # https only: the bootstrap and the permanent admin's passwords travel in these requests.
  [[ $URL =~ ^https://[^/]+ ]] || die "--url must be https://host[:port][/path] (the admins' passwords travel over it), got '$URL'"
  # Keycloak stores user names in lower case; a differently cased name would never match.
  [[ $USERNAME =~ ^[a-z0-9][a-z0-9._@-]*$ ]] \
    || die "--username must be lower-case letters, digits and . _ @ -, got '$USERNAME'"
  if [[ -n $CACERT && ! -r $CACERT ]]; then
    die "--cacert file '$CACERT' is not readable"
  fi
}

require_tools() {
  local tool
  for tool in aws curl jq; do
    command -v "$tool" >/dev/null 2>&1 || die "needs '$tool' on PATH"
  done
}

# ---- Secrets Manager -------------------------------------------------------

# Sets SECRET_USERNAME and SECRET_PASSWORD from the secret's JSON {"username","password"}.
# Returns 2 when the secret exists without a value, 3 when it does not exist (any more).
read_credentials() {
  local id=$1 value_file="$WORK_DIR/secret-value" error_file="$WORK_DIR/aws-error"
  SECRET_USERNAME=""
  SECRET_PASSWORD=""
  if ! aws secretsmanager get-secret-value --region "$REGION" --secret-id "$id" \
    --query SecretString --output text >"$value_file" 2>"$error_file"; then
    if grep -q "can't find the specified secret value" "$error_file"; then
      return 2
    fi
    # Deleted by Terraform (bootstrapAdmin false): gone, or scheduled for deletion.
    if grep -q -e "ResourceNotFoundException" -e "marked for deletion" "$error_file"; then
      return 3
    fi
    die "cannot read secret $id: $(tr -s '\n' ' ' <"$error_file")"
  fi
  SECRET_USERNAME=$(jq -je '.username | strings' <"$value_file") \
    || die "secret $id is not JSON with a string field \"username\""
  SECRET_PASSWORD=$(jq -je '.password | strings' <"$value_file") \
    || die "secret $id is not JSON with a string field \"password\""
  rm -f -- "$value_file"
}

# Every random byte becomes a base64url character: safe in JSON and forms, and long.
generate_password() {
  head -c "$PASSWORD_RANDOM_BYTES" /dev/urandom | base64 -w 0 | tr '+/' '-_'
}

# Stores {"username": $2, "password": <generated>} in secret $1 and loads it back.
store_generated_credentials() {
  local id=$1 username=$2 secret_file="$WORK_DIR/secret.json" status=0
  generate_password | jq -Rc --arg username "$username" '{username: $username, password: .}' >"$secret_file"
  aws secretsmanager put-secret-value --region "$REGION" --secret-id "$id" \
    --secret-string "file://$secret_file" >/dev/null || die "could not store a value in secret $id"
  rm -f -- "$secret_file"
  read_credentials "$id" || status=$?
  [[ $status -eq 0 ]] || die "secret $id has no value right after storing one"
}

# ---- Keycloak's admin API ---------------------------------------------------

# curl with the options every call shares; the CA file only when given.
kc_curl() {
  local ca=()
  if [[ -n $CACERT ]]; then
    ca=(--cacert "$CACERT")
  fi
  curl --silent --show-error --connect-timeout 10 --max-time 60 "${ca[@]}" "$@"
}

# Sets TOKEN to an admin-cli access token for user $1 with password $2, or returns 1 when
# Keycloak refuses the credentials. The form goes through a file: no password in argv.
log_in() {
  local username=$1 password=$2 form="$WORK_DIR/login-form" body="$WORK_DIR/login-response"
  TOKEN=""
  U=$username P=$password jq -jn --arg client "$CLIENT_ID" \
    '"grant_type=password&client_id=\($client|@uri)&username=\(env.U|@uri)&password=\(env.P|@uri)"' >"$form"
  HTTP_STATUS=$(kc_curl --output "$body" --write-out '%{http_code}' \
    --data-binary "@$form" -H "Content-Type: application/x-www-form-urlencoded" \
    "$URL/realms/$REALM/protocol/openid-connect/token") \
    || die "cannot reach $URL/realms/$REALM (is this machine allowed on the admin plane?)"
  rm -f -- "$form"
  case $HTTP_STATUS in
    200) TOKEN=$(jq -je '.access_token | strings' <"$body") || die "the token endpoint answered 200 without an access token" ;;
    400 | 401) return 1 ;;
    403 | 404) die "$URL answered HTTP $HTTP_STATUS for the master realm's token endpoint: run this from an address in adminAllowedCidrs" ;;
    *) die "the token endpoint of $URL answered HTTP $HTTP_STATUS: $(head -c 300 "$body")" ;;
  esac
}

readonly API_RESPONSE_FILE="api-response"

# Calls the admin API: api METHOD PATH [JSON-BODY], PATH below /admin. Sets HTTP_STATUS and
# leaves the body in $WORK_DIR/$API_RESPONSE_FILE. The bearer token goes in a header file,
# not on the command line.
api() {
  local method=$1 path=$2 body=${3-} headers="$WORK_DIR/headers" data=()
  printf 'Authorization: Bearer %s\nAccept: application/json\nContent-Type: application/json\n' "$TOKEN" >"$headers"
  if [[ -n $body ]]; then
    printf '%s' "$body" >"$WORK_DIR/api-body"
    data=(--data-binary "@$WORK_DIR/api-body")
  fi
  HTTP_STATUS=$(kc_curl -X "$method" --output "$WORK_DIR/$API_RESPONSE_FILE" --write-out '%{http_code}' \
    -H "@$headers" "${data[@]}" "$URL/admin$path") \
    || die "cannot reach $URL/admin (is this machine allowed on the admin plane?)"
  rm -f -- "$WORK_DIR/api-body"
}

# Like api, but prints the body, and any status other than $1 ends the script.
api_expect() {
  local expected=$1
  shift
  api "$@"
  [[ $HTTP_STATUS == "$expected" ]] \
    || die "$1 /admin$2 answered HTTP $HTTP_STATUS (expected $expected): $(head -c 300 "$WORK_DIR/$API_RESPONSE_FILE")"
  cat "$WORK_DIR/$API_RESPONSE_FILE"
}

# Prints the id of user $1, or nothing when there is none.
user_id() {
  local users
  users=$(api_expect 200 GET "$REALM_PATH/users?exact=true&briefRepresentation=true&username=$(jq -rn --arg u "$1" '$u|@uri')")
  jq -r --arg u "$1" '.[] | select(.username == $u) | .id' <<<"$users"
}

# ---- the steps ----------------------------------------------------------------

# Whether TOKEN may list the realms, which only an admin may.
can_administer() {
  api GET /realms
  [[ $HTTP_STATUS == 200 ]]
}

# Sets TOKEN: as the permanent admin when it already works (a rerun), else as the bootstrap admin.
log_in_as_someone() {
  local status=0 bootstrap_username bootstrap_password
  read_credentials "$ADMIN_SECRET_ID" || status=$?
  if [[ $status -eq 0 && $SECRET_USERNAME == "$USERNAME" ]] && log_in "$USERNAME" "$SECRET_PASSWORD" && can_administer; then
    log "logged in as the permanent admin '$USERNAME' (from an earlier run)"
    return 0
  fi
  status=0
  read_credentials "$BOOTSTRAP_SECRET_ID" || status=$?
  case $status in
    0) ;;
    2) die "the bootstrap secret $BOOTSTRAP_SECRET_ID has no value: deploy with bootstrapAdmin true first" ;;
    *) die "the bootstrap secret $BOOTSTRAP_SECRET_ID is gone and '$USERNAME' cannot log in with secret $ADMIN_SECRET_ID: recover with kc.sh bootstrap-admin (README: Permanent admin)" ;;
  esac
  bootstrap_username=$SECRET_USERNAME
  bootstrap_password=$SECRET_PASSWORD
  [[ $bootstrap_username != "$USERNAME" ]] \
    || die "--username '$USERNAME' is the bootstrap admin's name; choose another, the bootstrap admin gets deleted"
  log_in "$bootstrap_username" "$bootstrap_password" \
    || die "Keycloak refused the bootstrap admin '$bootstrap_username' (HTTP $HTTP_STATUS) and '$USERNAME' cannot log in either"
  log "logged in as the bootstrap admin '$bootstrap_username'"
}

# Leaves the permanent admin's credentials in SECRET_USERNAME/SECRET_PASSWORD; generates them
# into the secret when it has no value. A secret for another user is never overwritten.
ensure_admin_secret() {
  local status=0
  read_credentials "$ADMIN_SECRET_ID" || status=$?
  case $status in
    0)
      [[ $SECRET_USERNAME == "$USERNAME" ]] \
        || die "secret $ADMIN_SECRET_ID already holds the credentials of '$SECRET_USERNAME'; pass --username $SECRET_USERNAME or another secret"
      log "secret $ADMIN_SECRET_ID holds the credentials of '$USERNAME'"
      ;;
    2)
      store_generated_credentials "$ADMIN_SECRET_ID" "$USERNAME"
      log "stored a generated password for '$USERNAME' in secret $ADMIN_SECRET_ID"
      ;;
    *) die "secret $ADMIN_SECRET_ID does not exist" ;;
  esac
}

# Creates the user when missing and gives it the secret's password unless it already has it.
ensure_user() {
  local id token=$TOKEN
  id=$(user_id "$USERNAME")
  if [[ -z $id ]]; then
    api_expect 201 POST "$REALM_PATH/users" "$(jq -nc --arg u "$USERNAME" '{username: $u, enabled: true}')" >/dev/null
    id=$(user_id "$USERNAME")
    [[ -n $id ]] || die "created user '$USERNAME' but cannot find it"
    log "created user '$USERNAME'"
  fi
  if log_in "$USERNAME" "$SECRET_PASSWORD"; then
    log "user '$USERNAME' has the password from secret $ADMIN_SECRET_ID"
  else
    TOKEN=$token
    api_expect 204 PUT "$REALM_PATH/users/$id/reset-password" \
      "$(P=$SECRET_PASSWORD jq -nc '{type: "password", value: env.P, temporary: false}')" >/dev/null
    log "set the password of '$USERNAME' from secret $ADMIN_SECRET_ID"
  fi
  TOKEN=$token
  PERMANENT_ID=$id
}

ensure_admin_role() {
  local mappings role
  mappings=$(api_expect 200 GET "$REALM_PATH/users/$PERMANENT_ID/role-mappings/realm")
  if jq -e --arg r "$ADMIN_ROLE" 'any(.[]; .name == $r)' <<<"$mappings" >/dev/null; then
    log "user '$USERNAME' has the $REALM realm's '$ADMIN_ROLE' role"
    return 0
  fi
  role=$(api_expect 200 GET "$REALM_PATH/roles/$ADMIN_ROLE")
  api_expect 204 POST "$REALM_PATH/users/$PERMANENT_ID/role-mappings/realm" "$(jq -c '[{id, name}]' <<<"$role")" >/dev/null
  log "granted '$USERNAME' the $REALM realm's '$ADMIN_ROLE' role"
}

# The permanent admin logs in on its own and lists the realms.
verify_permanent_admin() {
  log_in "$USERNAME" "$SECRET_PASSWORD" || die "'$USERNAME' cannot log in with the password from secret $ADMIN_SECRET_ID (HTTP $HTTP_STATUS)"
  can_administer \
    || die "'$USERNAME' logs in but may not use the admin API: GET /admin/realms answered HTTP $HTTP_STATUS"
  jq -e --arg r "$REALM" 'any(.[]; .realm == $r)' "$WORK_DIR/$API_RESPONSE_FILE" >/dev/null \
    || die "'$USERNAME' may call the admin API but does not see the $REALM realm"
  log "verified: '$USERNAME' logs in and administers the realms"
}

# Runs as the permanent admin: the bootstrap admin's own token must not be what deletes it.
delete_bootstrap_admin() {
  local status=0 id
  read_credentials "$BOOTSTRAP_SECRET_ID" || status=$?
  if [[ $status -ne 0 ]]; then
    log "no bootstrap admin credentials stand (secret $BOOTSTRAP_SECRET_ID has no value or is gone)"
    return 0
  fi
  id=$(user_id "$SECRET_USERNAME")
  if [[ -z $id ]]; then
    log "the bootstrap admin '$SECRET_USERNAME' is already deleted"
  else
    [[ $id != "$PERMANENT_ID" ]] || die "the bootstrap admin is '$USERNAME' itself; refusing to delete it"
    api_expect 204 DELETE "$REALM_PATH/users/$id" >/dev/null
    log "deleted the bootstrap admin '$SECRET_USERNAME'"
  fi
  if log_in "$SECRET_USERNAME" "$SECRET_PASSWORD"; then
    die "the bootstrap admin '$SECRET_USERNAME' can still log in"
  fi
  log "verified: the bootstrap admin '$SECRET_USERNAME' can no longer log in"
}

main() {
  parse_args "$@"
  require_tools
  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/permanent-admin.XXXXXXXX")
  trap cleanup EXIT
  log_in_as_someone
  ensure_admin_secret
  ensure_user
  ensure_admin_role
  verify_permanent_admin
  delete_bootstrap_admin
  log "permanent admin $USERNAME ready; next: set bootstrapAdmin to false and deploy"
}

main "$@"
