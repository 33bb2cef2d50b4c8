#!/usr/bin/env bash
# Every test the project has: type-check, unit (incl. real-provider validation and policy),
# integration (entrypoint, database setup over SSH) and the 2-node cluster e2e.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--help" ]]; then
  echo "usage: $(basename "$0")   (runs npm run build, npm test, test:integration, test:e2e)"
  echo "  TERRAFORM_VALIDATION_MODE  full (default) or aws-only: what the terraform tests must run;"
  echo "                             aws-only on a machine whose offline provider mirror lacks tls/null"
  exit 0
fi

echo "terraform validation expected: ${TERRAFORM_VALIDATION_MODE:-full} (TERRAFORM_VALIDATION_MODE)"

bash scripts/install-test-deps.sh
npm run build
npm test
npm run test:integration
npm run test:e2e
