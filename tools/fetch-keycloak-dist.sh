#!/usr/bin/env bash
# Downloads the Keycloak server distribution (org.keycloak:keycloak-quarkus-dist, tar.gz) from
# Maven Central through Maven, so the cluster test runs the same release as the image without
# Docker. Maven keeps a copy in ~/.m2: a CI cache of that directory makes re-runs offline.
set -euo pipefail

readonly GROUP_AND_ARTIFACT="org.keycloak:keycloak-quarkus-dist"
# Pinned so a CI run does not depend on which plugin version Maven's super POM picks.
readonly DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

VERSION=""
OUTPUT_DIR=""

usage() {
  echo "usage: $(basename "$0") --version VERSION --output-dir DIR [--help]"
}

print_help() {
  usage
  cat <<EOF

Copies ${GROUP_AND_ARTIFACT}:VERSION:tar.gz into DIR and prints the file's path.
VERSION is KEYCLOAK_VERSION from modules/shared/constants.ts (the test passes it).
Needs: mvn (Debian: maven) and a JDK; network access to Maven Central unless ~/.m2 has the file.
EOF
}

die() {
  echo "fetch-keycloak-dist: error: $*" >&2
  exit 1
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --help | -h) print_help; exit 0 ;;
      --version) [[ $# -ge 2 ]] || die "--version needs a value"; VERSION=$2; shift 2 ;;
      --output-dir) [[ $# -ge 2 ]] || die "--output-dir needs a value"; OUTPUT_DIR=$2; shift 2 ;;
      *) usage >&2; die "unknown argument '$1'" ;;
    esac
  done
  [[ -n $VERSION ]] || { usage >&2; die "missing --version"; }
  [[ -n $OUTPUT_DIR ]] || { usage >&2; die "missing --output-dir"; }
  [[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9]+)*$ ]] || die "--version '$VERSION' is not a Keycloak version such as 26.7.3"
}

fetch() {
  local file="$OUTPUT_DIR/keycloak-quarkus-dist-${VERSION}.tar.gz"
  command -v mvn >/dev/null 2>&1 || die "mvn is not on PATH (Debian: apt-get install -y maven)"
  mkdir -p -- "$OUTPUT_DIR"
  # Maven's own output goes to stderr: stdout carries only the path, for callers to read.
  mvn --batch-mode --quiet -Dstyle.color=never "${DEPENDENCY_PLUGIN}:copy" \
    "-Dartifact=${GROUP_AND_ARTIFACT}:${VERSION}:tar.gz" \
    "-DoutputDirectory=${OUTPUT_DIR}" >&2 \
    || die "Maven could not fetch ${GROUP_AND_ARTIFACT}:${VERSION}:tar.gz (Maven Central reachable? version published?)"
  [[ -s $file ]] || die "Maven finished but $file is missing"
  echo "$file"
}

main() {
  parse_args "$@"
  fetch
}

main "$@"
