#!/usr/bin/env bash
# Installs the Debian packages the integration and cluster tests start for real
# (MariaDB, OpenSSH, haproxy, ...). Skips what is already there. Needs root.
set -euo pipefail

# buildah builds docker/ (chroot isolation, vfs storage: no Docker engine); mmdebstrap makes the
# Debian root of the stand-in base image (scripts/build-keycloak-base-stand-in.sh).
# chromium + libnss3-tools (certutil): the browser e2e drives Debian's Chromium and trusts the proxy's certificate through NSS.
readonly PACKAGES=(mariadb-server openssh-server haproxy shellcheck iproute2 openssl jq curl maven buildah mmdebstrap chromium libnss3-tools)

usage() {
  echo "usage: $(basename "$0") [--help]"
  echo "Installs with apt-get: ${PACKAGES[*]}"
  echo "  TEST_DEPS_SKIP  space-separated packages to leave out"
}

missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    # TEST_DEPS_SKIP: packages a machine provides otherwise (e.g. a runner with its own Chrome).
    [[ " ${TEST_DEPS_SKIP:-} " == *" $pkg "* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

main() {
  if [[ "${1:-}" == "--help" ]]; then usage; return 0; fi
  local missing
  missing="$(missing_packages)"
  if [[ -z "$missing" ]]; then
    echo "all test packages present"
    return 0
  fi
  if [[ "$(id -u)" != "0" ]]; then
    echo "error: need root to install: $missing" >&2
    return 1
  fi
  # shellcheck disable=SC2086 # one package per word is intended
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

main "$@"
