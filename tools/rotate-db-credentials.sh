#!/usr/bin/env bash
# Rotates the Keycloak database credential with no window in which a connection fails, from the
# operator's machine (README: Rotating the database credentials). Amazon's alternating-users
# strategy: the DB-user secret names one of two database users with the same grants.
#   1. switch (on the bastion): the other user gets a fresh password, must log in with it, and the
#      secret is switched to it. Running tasks keep their connections as the old user, which works.
#   2. a new ECS deployment: every new task reads the secret at its start, so it connects as the
#      new user; the service's deployment settings keep its capacity while old tasks are replaced.
#   3. wait until that deployment is COMPLETED (a FAILED one stops here: nothing is locked, both
#      users work, the secret names the new one).
#   4. retire (on the bastion): the old user is locked, its password replaced by one nobody keeps;
#      refused while any connection of the old user remains.
# The bastion reads the secrets with its own role; no password passes through this machine.
set -euo pipefail
shopt -s inherit_errexit
umask 077

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# shellcheck source=bastion-session.sh
source "$HERE/bastion-session.sh"
readonly BASTION_SCRIPT="$HERE/db-rotate-bastion.sh"

CLUSTER=""
SERVICE=""
DEPLOY_TIMEOUT_SECONDS=1800
POLL_SECONDS=15

usage() {
  echo "usage: $(basename "$0") --bastion USER@HOST --identity KEY --db-host ENDPOINT --master-secret-id ARN --user-secret-id ARN --region REGION --cluster NAME --service NAME [--ca-bundle-url URL] [--deploy-timeout-seconds N] [--poll-seconds N] [--ssh-option OPTION]..."
}

print_help() {
  usage
  cat <<EOF

Switches the Keycloak database secret to the other of the two database users (keycloak,
keycloak_b) with a fresh password, rolls the ECS service so every task starts with it, waits for
the deployment to complete, then locks the old user. Run it again for the next rotation: it
alternates.

  --bastion USER@HOST        the bastion (terraform output bastion_public_ip; user ec2-user)
  --identity KEY             its SSH private key (terraform output -raw bastion_private_key)
  --db-host ENDPOINT         the RDS endpoint (terraform output db_endpoint)
  --master-secret-id ARN     the RDS-managed master secret (terraform output db_master_secret_arn)
  --user-secret-id ARN       the Keycloak DB-user secret (terraform output keycloak_db_secret_arn)
  --region REGION            AWS region of the secrets and the service
  --cluster NAME             ECS cluster (terraform output ecs_cluster_name)
  --service NAME             ECS service (terraform output ecs_service_name)
  --ca-bundle-url URL        CA bundle the database certificate must chain to
                             (default: RDS's, ${DEFAULT_CA_BUNDLE_URL})
  --deploy-timeout-seconds N how long to wait for the deployment (default ${DEPLOY_TIMEOUT_SECONDS})
  --poll-seconds N           pause between two looks at the deployment (default ${POLL_SECONDS})
  --ssh-option OPTION        passed to ssh as -o OPTION (repeatable)
  --help                     show this help

Needs ssh, tar and the aws CLI (ecs:UpdateService and ecs:DescribeServices on the service) here;
the bastion needs what the database setup needs. No password is printed or put on a command line.
EOF
}

log() { echo "rotate-db-credentials: $*" >&2; }

die() {
  echo "rotate-db-credentials: error: $*" >&2
  exit 1
}

require_positive_integer() {
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --help | -h) print_help; exit 0 ;;
      --cluster) require_value "$1" $#; CLUSTER=$2; shift 2 ;;
      --service) require_value "$1" $#; SERVICE=$2; shift 2 ;;
      --deploy-timeout-seconds) require_value "$1" $#; DEPLOY_TIMEOUT_SECONDS=$2; shift 2 ;;
      --poll-seconds) require_value "$1" $#; POLL_SECONDS=$2; shift 2 ;;
      --*) require_value "$1" $#; set_bastion_option "$1" "$2" || { usage >&2; die "unknown argument '$1'"; }; shift 2 ;;
      *) usage >&2; die "unknown argument '$1'" ;;
    esac
  done
  require_set BASTION IDENTITY DB_HOST MASTER_SECRET_ID USER_SECRET_ID REGION CLUSTER SERVICE
  require_positive_integer --deploy-timeout-seconds "$DEPLOY_TIMEOUT_SECONDS"
  require_positive_integer --poll-seconds "$POLL_SECONDS"
  [[ -r $IDENTITY ]] || die "--identity file '$IDENTITY' is not readable"
}

cleanup() {
  remove_remote_dir
}

# Runs the bastion script's command ($1); prints the user the secret names afterwards.
on_bastion() {
  local command=$1 words output
  words=(bash "$REMOTE_DIR/$(basename "$BASTION_SCRIPT")" "$command" --db-host "$DB_HOST" --ca-bundle-url "$CA_BUNDLE_URL"
    --master-secret-arn "$MASTER_SECRET_ID" --user-secret-arn "$USER_SECRET_ID" --region "$REGION" --attempts 3 --interval-seconds 5)
  output=$(bastion_ssh "$(printf '%q ' "${words[@]}")" </dev/null) || return 1
  [[ $output =~ (^|$'\n')secret-user=([a-z_]+)$ ]] || die "the bastion's $command printed no secret-user line: $output"
  echo "${BASH_REMATCH[2]}"
}

# Starts a deployment of the service's current task definition; prints its id.
force_deployment() {
  aws ecs update-service --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --force-new-deployment \
    --query "service.deployments[?status=='PRIMARY'].id | [0]" --output text
}

# The deployment's rolloutState and how many deployments the service has (old ones still draining).
deployment_state() {
  local id=$1
  aws ecs describe-services --region "$REGION" --cluster "$CLUSTER" --services "$SERVICE" \
    --query "[services[0].deployments[?id=='${id}'].rolloutState | [0], length(services[0].deployments)]" --output text
}

# COMPLETED with no other deployment left: every task of the old ones is stopped.
wait_for_deployment() {
  local id=$1 deadline=$((SECONDS + DEPLOY_TIMEOUT_SECONDS)) answer state count last=""
  while true; do
    answer=$(deployment_state "$id") || die "could not describe service $SERVICE in cluster $CLUSTER; the old user was NOT locked"
    read -r state count <<<"$answer"
    case $state in
      COMPLETED) [[ $count -eq 1 ]] && return 0 ;;
      FAILED) return 1 ;;
      IN_PROGRESS) ;;
      *) die "deployment $id of $SERVICE has rolloutState '$state' (expected IN_PROGRESS, COMPLETED or FAILED)" ;;
    esac
    [[ $SECONDS -lt $deadline ]] || return 2
    if [[ "$state $count" != "$last" ]]; then
      log "deployment $id: $state, $count deployments"
      last="$state $count"
    fi
    sleep "$POLL_SECONDS"
  done
}

rotate() {
  local started=$SECONDS new id current status=0
  upload_scripts "$SETUP_SCRIPT" "$BASTION_SCRIPT" keycloak-db-rotate
  new=$(on_bastion switch) || die "the switch failed on the bastion (see above); the secret and the running tasks are as they were"
  log "the secret names $new now; deploying $SERVICE so every task starts with it"
  id=$(force_deployment) || die "could not start a deployment of $SERVICE: the secret names $new and both users work; deploy, then run this again to retire the old one"
  [[ $id == ecs-svc/* ]] || die "update-service answered '$id' instead of a deployment id"
  wait_for_deployment "$id" || status=$?
  case $status in
    0) ;;
    1) die "deployment $id FAILED: the old user was NOT locked, both users work and the secret names $new. Fix the service, then run this again" ;;
    *) die "deployment $id did not complete within ${DEPLOY_TIMEOUT_SECONDS} s: the old user was NOT locked, both users work and the secret names $new" ;;
  esac
  log "deployment $id completed: no task of the old deployment runs"
  current=$(on_bastion retire) || die "the retire failed on the bastion (see above): the old user was NOT locked, both users work and the secret names $new"
  [[ $current == "$new" ]] || die "the secret names $current, not $new, after the retire"
  log "rotated to $new in $((SECONDS - started)) s; the old user is locked"
}

main() {
  parse_args "$@"
  require_tools ssh tar aws
  trap cleanup EXIT
  rotate
}

main "$@"
