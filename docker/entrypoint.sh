#!/usr/bin/env bash
# Container entrypoint: gives JGroups the task's own routable IPv4 address, then becomes kc.sh.
# The address ends up in the JGROUPS_PING table and is what the other nodes dial, so a wrong
# guess (a link-local or loopback address) silently splits the cluster: better to refuse to start.
set -euo pipefail

readonly SCRIPT_NAME="entrypoint.sh"
readonly BIND_VARIABLE="KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS"

# Builtins only (read, printf): the entrypoint needs nothing from the image but bash.
usage() {
  local text
  IFS= read -r -d '' text <<EOF || true
Usage: ${SCRIPT_NAME} [--entrypoint-help] [kc.sh arguments...]

Sets ${BIND_VARIABLE} to this task's own IPv4 address and then runs
'exec kc.sh <arguments>' (kc.sh from PATH), so Keycloak keeps this PID and receives SIGTERM.
All arguments go to kc.sh unchanged; '--help' is Keycloak's, '--entrypoint-help' prints this text.

Address source, first match wins:
  1. ${BIND_VARIABLE}, when already set (passed through as given).
  2. The first local IPv4 address that is neither loopback nor link-local (169.254.0.0/16),
     RFC 1918 addresses first. Read with 'ip' when installed, else from /proc/net/fib_trie.
     On Fargate (awsvpc) that is the task's ENI address, the one the other tasks reach.
  Nothing found: exit 1 without starting Keycloak.
Needs nothing but bash: no curl, jq or ip in the image.
EOF
  printf '%s' "${text}"
}

log() {
  printf '%s: %s\n' "${SCRIPT_NAME}" "$*" >&2
}

fail() {
  log "error: $*"
  exit 1
}

require_command() {
  command -v "$1" >/dev/null 2>&1 || fail "'$1' is not on PATH; it is needed to $2"
}

is_ipv4() {
  local address="$1" octet
  [[ "${address}" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  for octet in "${BASH_REMATCH[@]:1}"; do
    (( 10#${octet} <= 255 )) || return 1
  done
}

is_private_ipv4() {
  [[ "$1" =~ ^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.) ]]
}

is_loopback_or_link_local() {
  [[ "$1" == 127.* || "$1" == 169.254.* ]]
}

local_addresses_from_ip() {
  local _index _interface _family cidr _rest
  while read -r _index _interface _family cidr _rest; do
    printf '%s\n' "${cidr%/*}"
  done < <(ip -4 -o addr show)
}

# Each address the kernel owns appears in the trie as "|-- <address>" followed, among other
# entries, by "/32 host LOCAL".
local_addresses_from_fib_trie() {
  local line current=""
  while IFS= read -r line; do
    if [[ "${line}" == *"|-- "* ]]; then
      current="${line##* }"
    elif [[ "${line}" == *"/32 host LOCAL"* ]]; then
      printf '%s\n' "${current}"
    fi
  done </proc/net/fib_trie
}

# `ip` lists addresses per interface and is used where installed (hosts, tests); the image has no
# iproute (Keycloak's container guide advises against extra RPMs), so there the kernel's trie serves.
local_addresses() {
  if command -v ip >/dev/null 2>&1; then
    local_addresses_from_ip
  elif [[ -r /proc/net/fib_trie ]]; then
    local_addresses_from_fib_trie
  fi
}

address_from_interfaces() {
  local address first_other="" first_private=""
  while read -r address; do
    is_ipv4 "${address}" || continue
    is_loopback_or_link_local "${address}" && continue
    if is_private_ipv4 "${address}"; then
      first_private="${first_private:-${address}}"
    else
      first_other="${first_other:-${address}}"
    fi
  done < <(local_addresses)
  address="${first_private:-${first_other}}"
  [[ -n "${address}" ]] ||
    fail "no IPv4 address other than loopback or link-local found; set ${BIND_VARIABLE}" \
      "to the address the other Keycloak nodes can reach this one on"
  printf '%s' "${address}"
}

resolve_bind_address() {
  local address
  if [[ -n "${KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS:-}" ]]; then
    log "JGroups bind address ${KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS} (source: ${BIND_VARIABLE})"
    return 0
  fi
  address="$(address_from_interfaces)"
  log "JGroups bind address ${address} (source: local interfaces)"
  export KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS="${address}"
}

main() {
  if [[ "${1:-}" == "--entrypoint-help" ]]; then
    usage
    return 0
  fi
  resolve_bind_address
  require_command kc.sh "start Keycloak (the image puts /opt/keycloak/bin on PATH)"
  exec kc.sh "$@"
}

main "$@"
