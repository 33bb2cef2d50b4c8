#!/usr/bin/env bash
# Plans one synthesized stack for review and writes only what a pull request may publish:
# the text plan (for the PR comment) and the sanitized plan JSON (for checkov), see
# tools/ci/sanitize-plan.ts. The saved plan and the raw JSON hold the prior state with its
# private keys: the saved plan stays in the stack directory, the raw JSON is never written.
# Run after `npx cdktf synth`.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") STACK [OUT_DIR]"
  echo "  STACK    a stack in \$STACKS_DIR (default cdktf.out/stacks): keycloak-dev, keycloak-prod"
  echo "  OUT_DIR  where plan.txt and plan.json go (default: plan-output/STACK); nothing else is written there"
}

# Writes plan.txt and plan.json to OUT_DIR, or nothing when the secret scan refuses them.
publish_plan() {
  local stack_dir="$1" out_dir="$2" root="$3" staging="$4"
  rm -f "$out_dir/plan.txt" "$out_dir/plan.json"
  terraform -chdir="$stack_dir" show -no-color tfplan > "$staging/plan.txt"
  terraform -chdir="$stack_dir" show -json tfplan \
    | (cd "$root" && node --import tsx tools/ci/sanitize-plan.ts "$staging/plan.json" "$staging/plan.txt")
  mkdir -p "$out_dir"
  mv "$staging/plan.txt" "$staging/plan.json" "$out_dir/"
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then usage; return 0; fi
  if [[ $# -lt 1 || $# -gt 2 ]]; then usage >&2; return 2; fi
  local stack="$1"
  local root
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  local stack_dir="${STACKS_DIR:-$root/cdktf.out/stacks}/$stack"
  local out_dir="${2:-$root/plan-output/$stack}"
  if [[ ! -f "$stack_dir/cdk.tf.json" ]]; then
    echo "error: $stack_dir/cdk.tf.json not found; run 'npx cdktf synth' first" >&2
    return 1
  fi
  local staging
  staging="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
  trap "rm -rf '$staging'" EXIT
  terraform -chdir="$stack_dir" init -input=false -no-color
  terraform -chdir="$stack_dir" plan -input=false -no-color -lock-timeout=5m -out=tfplan
  publish_plan "$stack_dir" "$out_dir" "$root" "$staging"
  echo "plan of $stack written to $out_dir (plan.txt, sanitized plan.json)"
}

main "$@"
