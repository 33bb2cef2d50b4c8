#!/usr/bin/env bash
# Keeps Keycloak's update-compatibility metadata of the last successful deploy where the next
# run of the deploy workflow finds it: one object in the state bucket (the deploy role already
# reads and writes that bucket). `fetch` prints found=true or found=false for $GITHUB_OUTPUT;
# only "no such object" is a first deploy, any other error stops the run, so a failed read can
# never pass for "nothing to check".
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") fetch S3_URL FILE | store FILE S3_URL"
  echo "  fetch  copies S3_URL to FILE and prints found=true, or prints found=false when there is no such object"
  echo "  store  copies FILE to S3_URL (after a successful deploy)"
}

fetch() {
  local url="$1" file="$2" err
  mkdir -p "$(dirname "$file")"
  if err="$(aws s3 cp --only-show-errors "$url" "$file" 2>&1)"; then
    echo "found=true"
  elif [[ $err == *"(404)"* || $err == *"NoSuchKey"* || $err == *"does not exist"* ]]; then
    echo "no metadata at $url: a first deploy" >&2
    echo "found=false"
  else
    echo "error: reading $url failed: $err" >&2
    return 1
  fi
}

store() {
  local file="$1" url="$2"
  [[ -s $file ]] || { echo "error: $file is missing or empty" >&2; return 1; }
  aws s3 cp --only-show-errors "$file" "$url"
  echo "metadata of the running version stored at $url"
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then usage; return 0; fi
  if [[ $# -ne 3 ]]; then usage >&2; return 2; fi
  case "$1" in
    fetch) fetch "$2" "$3" ;;
    store) store "$2" "$3" ;;
    *) usage >&2; return 2 ;;
  esac
}

main "$@"
