#!/usr/bin/env bash
# Mutation benchmark (npm run test:mutation): StrykerJS over each area of
# stryker/areas.cjs in turn, then the scores per file. A benchmark, not part of .ci/run.
set -euo pipefail

readonly ALL_AREAS=(config config-static policy listener waf albAccessLogs lifecycle capacity monitoring access image tools)

usage() {
  echo "usage: npm run test:mutation [-- AREA...]   areas: ${ALL_AREAS[*]} (default: all)"
}

# The run of an area next to its report: seconds, its UTC start date, the commit it mutated and
# whether it ignored static mutants
# (mutation-summary.ts --markdown prints them; a worktree with changes is marked "+changes").
run_area() {
  local area="$1" start="${SECONDS}" date commit ignore_static
  date="$(date -u +%F)"
  commit="$(git rev-parse --short HEAD)"
  git diff --quiet HEAD -- || commit+="+changes"
  MUTATION_AREA="${area}" npx stryker run stryker/stryker.config.cjs
  # An area with slow tests runs them only against the mutants its fast tests let through.
  if [[ "$(node -p "Boolean(require('./stryker/areas.cjs')['${area}'].confirmTests)")" == true ]]; then
    node --import tsx scripts/mutation-confirm.ts "${area}"
  fi
  mkdir -p .cache/stryker/runs
  ignore_static="$(node -p "require('./stryker/areas.cjs')['${area}'].ignoreStatic ?? true")"
  printf '{"seconds": %d, "date": "%s", "commit": "%s", "ignoreStatic": %s}\n' "$(( SECONDS - start ))" "${date}" "${commit}" "${ignore_static}" >".cache/stryker/runs/${area}.json"
  echo "mutation area ${area}: $(( SECONDS - start )) s" | tee -a .cache/stryker/times.txt
}

main() {
  if [[ "${1:-}" == --help ]]; then
    usage
    exit 0
  fi
  cd "$(dirname "$0")/.."
  local areas=("$@")
  (( ${#areas[@]} > 0 )) || areas=("${ALL_AREAS[@]}")
  mkdir -p .cache/stryker
  # The policy area's stacks are synthesized once per benchmark, never reused from an older one.
  rm -f .cache/stryker/policy-stacks.json .cache/stryker/times.txt
  local area
  for area in "${areas[@]}"; do
    run_area "${area}"
  done
  node --import tsx scripts/mutation-summary.ts
}

main "$@"
