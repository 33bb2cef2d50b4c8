#!/usr/bin/env bash
# Lets this CI runner SSH to the bastion for one run, without widening bastionAllowedCidrs to a
# hosted runner's whole address range: `open` adds the runner's public /32 on port 22 to the
# bastion's dedicated, otherwise empty security group (modules/access/bastion.ts, output
# bastion_ci_access_security_group_id); `close` removes every ingress rule of that group, so it
# also cleans up after a run that was cancelled before its own close. deploy.yml runs `close`
# with `if: always()`. Needs the AWS CLI with credentials and curl.
set -euo pipefail

readonly CHECKIP_URL="https://checkip.amazonaws.com"

usage() {
  echo "usage: $(basename "$0") open|close GROUP_NAME"
  echo "  GROUP_NAME  the bastion's CI access group, e.g. keycloak-prod-bastion-ci-access"
}

# The group's id, or nothing when the stack has not created it yet (a first deploy).
group_id() {
  local id
  id="$(aws ec2 describe-security-groups --filters "Name=group-name,Values=$1" \
    --query 'SecurityGroups[0].GroupId' --output text)"
  [[ $id == sg-* ]] && echo "$id"
  return 0
}

open_access() {
  local group="$1" id ip
  id="$(group_id "$group")"
  if [[ -z $id ]]; then
    echo "no security group $group yet (first deploy): the database setup needs bastionAllowedCidrs to cover this runner" >&2
    return 0
  fi
  ip="$(curl -fsS --max-time 10 "$CHECKIP_URL" | tr -d '[:space:]')"
  if [[ ! $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
    echo "error: $CHECKIP_URL answered '$ip', not an IPv4 address" >&2
    return 1
  fi
  aws ec2 authorize-security-group-ingress --group-id "$id" \
    --ip-permissions "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=$ip/32,Description=CI run ${GITHUB_RUN_ID:-local}}]" >/dev/null
  echo "SSH to the bastion open for $ip/32 in $id"
}

close_access() {
  local group="$1" id rules
  id="$(group_id "$group")"
  [[ -n $id ]] || { echo "no security group $group: nothing to close"; return 0; }
  # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
  rules="$(aws ec2 describe-security-group-rules --filters "Name=group-id,Values=$id" \
    --query 'SecurityGroupRules[?IsEgress==`false`].SecurityGroupRuleId' --output text)"
  if [[ -z $rules || $rules == None ]]; then
    echo "no ingress rule in $id"
    return 0
  fi
  # shellcheck disable=SC2086 # one argument per rule id
  aws ec2 revoke-security-group-ingress --group-id "$id" --security-group-rule-ids $rules >/dev/null
  echo "SSH to the bastion closed again: removed $rules from $id"
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then usage; return 0; fi
  if [[ $# -ne 2 ]]; then usage >&2; return 2; fi
  case "$1" in
    open) open_access "$2" ;;
    close) close_access "$2" ;;
    *) usage >&2; return 2 ;;
  esac
}

main "$@"
