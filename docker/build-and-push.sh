#!/usr/bin/env bash
# Builds the Keycloak image from this directory and pushes it to ECR. Run by Terraform
# (null_resource local-exec) on the deploying machine; every input is an environment variable.
set -euo pipefail

readonly SCRIPT_NAME="build-and-push.sh"
readonly REQUIRED_VARIABLES=(
  REPOSITORY_URL IMAGE_TAG PLATFORM AWS_REGION
  KEYCLOAK_VERSION HTTP_PORT MANAGEMENT_PORT JGROUPS_PORT JGROUPS_FD_PORT
  DB_CA_BUNDLE_URL DB_CA_BUNDLE_PATH
)
readonly BUILD_ARGS=(KEYCLOAK_VERSION HTTP_PORT MANAGEMENT_PORT JGROUPS_PORT JGROUPS_FD_PORT DB_CA_BUNDLE_URL DB_CA_BUNDLE_PATH)
readonly DIGEST_PATTERN='^[^@[:space:]]+@sha256:[0-9a-f]{64}$'
readonly PREBUILT_HINT="or use a prebuilt image instead: set the 'imageUri' option (environment variable KEYCLOAK_IMAGE_URI)"

usage() {
  cat <<EOF
Usage: ${SCRIPT_NAME} [--help]

Builds the Keycloak image from the directory this script is in (and the realm exports of
../realms staged into the build context as realms/), tags it REPOSITORY_URL:IMAGE_TAG
and pushes it to Amazon ECR. ECR tags are immutable, so when the tag already exists nothing is built.

Environment (all required):
  REPOSITORY_URL     ECR repository, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak
  IMAGE_TAG          image tag to build and push
  PLATFORM           linux/amd64 or linux/arm64 (another architecture than this machine's needs
                     QEMU/binfmt emulation set up for docker)
  AWS_REGION         region of the repository
  KEYCLOAK_VERSION   Keycloak release (base image tag)              } build args, from
  HTTP_PORT, MANAGEMENT_PORT, JGROUPS_PORT, JGROUPS_FD_PORT          } modules/shared/constants.ts
  DB_CA_BUNDLE_URL   HTTPS URL of the database CA bundle the build adds to the image
  DB_CA_BUNDLE_PATH  its place under /opt/keycloak (conf/truststores/...)

Optional:
  BASE_IMAGE         the base image pinned by digest (image@sha256:<64 hex>), the baseImageDigest
                     setting; unset, the Dockerfile's default (the official image by tag)

Needs 'docker' (23 or later, BuildKit) and 'aws' (AWS CLI v2) on PATH, with AWS credentials that
may push to the repository.
EOF
}

fail() {
  printf '%s: error: %s\n' "${SCRIPT_NAME}" "$*" >&2
  exit 1
}

log() {
  printf '%s: %s\n' "${SCRIPT_NAME}" "$*" >&2
}

require_command() {
  command -v "$1" >/dev/null 2>&1 ||
    fail "'$1' is not on PATH. Install $2, ${PREBUILT_HINT}."
}

require_variables() {
  local name missing=()
  for name in "${REQUIRED_VARIABLES[@]}"; do
    [[ -n "${!name:-}" ]] || missing+=("${name}")
  done
  (( ${#missing[@]} == 0 )) ||
    fail "missing environment variable(s): ${missing[*]}. Run '${SCRIPT_NAME} --help' for what each one means."
}

require_platform() {
  case "${PLATFORM}" in
    linux/amd64 | linux/arm64) ;;
    *) fail "PLATFORM='${PLATFORM}' is not supported; use linux/amd64 or linux/arm64" ;;
  esac
}

require_base_image() {
  [[ -z "${BASE_IMAGE:-}" || "${BASE_IMAGE}" =~ ${DIGEST_PATTERN} ]] ||
    fail "BASE_IMAGE='${BASE_IMAGE}' is not pinned by digest (<image>@sha256:<64 hex digits>)"
}

require_repository_url() {
  [[ "${REPOSITORY_URL}" == */* && "${REPOSITORY_URL}" != */ ]] ||
    fail "REPOSITORY_URL='${REPOSITORY_URL}' is not of the form <registry host>/<repository name>"
}

# describe-images fails both for a missing tag and for real errors (credentials, wrong region);
# only the former means "build it".
image_exists() {
  local repository_name="$1" output
  if output="$(aws ecr describe-images --region "${AWS_REGION}" --repository-name "${repository_name}" \
    --image-ids "imageTag=${IMAGE_TAG}" 2>&1 >/dev/null)"; then
    return 0
  fi
  [[ "${output}" == *ImageNotFoundException* ]] && return 1
  fail "cannot check ECR for ${REPOSITORY_URL}:${IMAGE_TAG}: ${output}"
}

registry_login() {
  local registry_host="$1"
  aws ecr get-login-password --region "${AWS_REGION}" |
    docker login --username AWS --password-stdin "${registry_host}"
}

# The build context: this directory's files plus the project's realms/ as realms/, staged in a
# temporary directory (removed on exit) so that any builder can build it.
stage_context() {
  local context_dir="$1" realms_dir="$2" staging="$3"
  cp -R "${context_dir}/." "${staging}/"
  cp -R "${realms_dir}" "${staging}/realms"
}

build_image() {
  local context_dir="$1" realms_dir="$2" name build_arg_flags=() staging
  for name in "${BUILD_ARGS[@]}"; do
    build_arg_flags+=(--build-arg "${name}=${!name}")
  done
  [[ -z "${BASE_IMAGE:-}" ]] || build_arg_flags+=(--build-arg "BASE_IMAGE=${BASE_IMAGE}")
  staging="$(mktemp -d)"
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -rf '${staging}'" EXIT
  stage_context "${context_dir}" "${realms_dir}" "${staging}"
  docker build --platform "${PLATFORM}" "${build_arg_flags[@]}" \
    --tag "${REPOSITORY_URL}:${IMAGE_TAG}" "${staging}"
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    usage
    return 0
  fi
  (( $# == 0 )) || fail "unexpected argument '$1'; inputs are environment variables (see --help)"

  require_variables
  require_platform
  require_base_image
  require_repository_url
  require_command docker "Docker (https://docs.docker.com/engine/install/)"
  require_command aws "the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"

  local context_dir realms_dir registry_host="${REPOSITORY_URL%%/*}" repository_name="${REPOSITORY_URL#*/}"
  context_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
  realms_dir="$(dirname -- "${context_dir}")/realms"
  [[ -d "${realms_dir}" ]] || fail "no realms folder at ${realms_dir}; keep it (empty but for .gitkeep) even without realms to import"

  if image_exists "${repository_name}"; then
    log "${REPOSITORY_URL}:${IMAGE_TAG} is already in ECR; tags are immutable, nothing to build"
    return 0
  fi
  registry_login "${registry_host}"
  build_image "${context_dir}" "${realms_dir}"
  docker push "${REPOSITORY_URL}:${IMAGE_TAG}"
  log "pushed ${REPOSITORY_URL}:${IMAGE_TAG}"
}

main "$@"
