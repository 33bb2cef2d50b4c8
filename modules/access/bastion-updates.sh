#!/bin/bash
# Bastion user data: security updates applied automatically, at first boot and then daily.
# Terraform keeps the instance's AMI fixed (ignoreChanges: a newer AMI must not replace the host
# under a running deployment), so this is what patches it. Amazon Linux 2023 locks dnf to the
# repository version of its AMI; releasever=latest lets dnf see the updates published since.
# usage: runs once as root from cloud-init; BASTION_ROOT prefixes the paths (tests only).
set -euo pipefail

readonly ROOT="${BASTION_ROOT:-}"
readonly AUTOMATIC_CONF="${ROOT}/etc/dnf/automatic.conf"

follow_latest_release() {
  mkdir -p "${ROOT}/etc/dnf/vars"
  printf 'latest\n' > "${ROOT}/etc/dnf/vars/releasever"
}

configure_automatic_security_updates() {
  dnf install -y dnf-automatic
  sed -i -e 's/^upgrade_type[[:space:]]*=.*/upgrade_type = security/' \
    -e 's/^apply_updates[[:space:]]*=.*/apply_updates = yes/' "${AUTOMATIC_CONF}"
  grep -qx 'upgrade_type = security' "${AUTOMATIC_CONF}"
  grep -qx 'apply_updates = yes' "${AUTOMATIC_CONF}"
  systemctl enable --now dnf-automatic.timer
}

main() {
  follow_latest_release
  dnf upgrade -y --security
  configure_automatic_security_updates
}

main "$@"
