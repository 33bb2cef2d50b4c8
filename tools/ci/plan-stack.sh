#!/usr/bin/env bash
# Plans one synthesized stack for review: terraform init, plan -out, the plan as text
# (for the PR comment) and as JSON (for checkov). Run after `npx cdktf synth`.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") STACK [OUT_DIR]"
  echo "  STACK    a stack in cdktf.out/stacks (keycloak-dev, keycloak-prod)"
  echo "  OUT_DIR  where plan.txt and plan.json go (default: plan-output/STACK)"
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then usage; return 0; fi
  if [[ $# -lt 1 || $# -gt 2 ]]; then usage >&2; return 2; fi
  local stack="$1"
  local root
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  local stack_dir="$root/cdktf.out/stacks/$stack"
  local out_dir="${2:-$root/plan-output/$stack}"
  if [[ ! -f "$stack_dir/cdk.tf.json" ]]; then
    echo "error: $stack_dir/cdk.tf.json not found; run 'npx cdktf synth' first" >&2
    return 1
  fi
  mkdir -p "$out_dir"
  terraform -chdir="$stack_dir" init -input=false -no-color
  terraform -chdir="$stack_dir" plan -input=false -no-color -lock-timeout=5m -out=tfplan
  terraform -chdir="$stack_dir" show -no-color tfplan > "$out_dir/plan.txt"
  terraform -chdir="$stack_dir" show -json tfplan > "$out_dir/plan.json"
  echo "plan of $stack written to $out_dir"
}

main "$@"
