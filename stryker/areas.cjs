// The mutation benchmark in areas: each area mutates some files and runs only the unit tests
// that exercise them, so a mutant costs seconds, not a synth of every test file. Every file of
// modules/ that holds logic is in one area (a test in __tests__/scripts/mutation-areas.test.ts
// checks); files that only declare resources from their props are listed in declarative.cjs with why.
// Areas whose code runs while a test file synthesizes its stacks in `describe` (every module the
// stack calls) are run without ignoreStatic: under it, such a mutant is either Ignored or run only
// against the few tests that synthesize inside a test, and survives unproven. Without it a static
// mutant runs every test of its area (an area's tests take 5-20 s). config and policy keep
// ignoreStatic (their static code is documentation; config-static runs the settings without it).
const TOOLS_TESTS = ["tools/cost.test.ts", "scripts/readme.test.ts", "scripts/diagram.test.ts", "database/database-setup.test.ts", "image/image.test.ts", "access/bastion.test.ts", "service/keycloak-service.test.ts", "service/jvm-options.test.ts"];

module.exports = {
  config: {
    mutate: ["modules/config/index.ts", "modules/config/settings.ts", "modules/config/values.ts", "modules/network/subnet-budget.ts"],
    tests: ["config/config.test.ts", "config/bad-input.test.ts", "config/boundaries.test.ts", "config/aws-limits.test.ts", "config/cross-checks.test.ts", "config/settings-table.test.ts", "config/patterns.test.ts", "network/subnet-budget.test.ts"],
  },
  // The same settings without ignoreStatic: the module-level validation patterns and allowed-value
  // lists run while the module loads, so each such mutant runs every test of the area (slow).
  "config-static": {
    mutate: ["modules/config/settings.ts", "modules/config/values.ts"],
    tests: ["config/config.test.ts", "config/bad-input.test.ts", "config/boundaries.test.ts", "config/settings-table.test.ts", "config/patterns.test.ts"],
    ignoreStatic: false,
  },
  policy: {
    mutate: ["policy/rules-*.ts", "policy/rule-kit.ts"],
    tests: ["policy/policy.test.ts"],
    // The rules do not change the stacks: synthesize them once for the whole run (shapes.ts).
    env: { POLICY_STACKS_CACHE: require("node:path").resolve(__dirname, "..", ".cache", "stryker", "policy-stacks.json") },
  },
  // The ALB's listener rules: which paths reach Keycloak, which are refused. Its tables are
  // module-level, so most mutants are static: Stryker runs each against the two fast test files,
  // and scripts/mutation-confirm.ts runs the three that synthesize stacks (28 s a mutant) only
  // against the mutants those let through (confirmTests: an area's slow second stage).
  listener: {
    ignoreStatic: false,
    mutate: ["modules/edge/listener-routes.ts", "modules/edge/alb-limits.ts"],
    tests: ["edge/alb-limits.test.ts", "edge/listener-routes.test.ts"],
    confirmTests: ["edge/load-balancer.test.ts", "policy/alb-rules.test.ts", "policy/aws-rules-alb.test.ts"],
  },
  // The web ACL: managed groups, forwarding headers refused, per-address rate limits.
  waf: {
    ignoreStatic: false,
    mutate: ["modules/edge/waf.ts", "modules/edge/waf-limits.ts"],
    tests: ["edge/waf.test.ts", "edge/waf-limits.test.ts", "policy/waf-rules.test.ts", "policy/aws-rules.test.ts"],
  },
  // ALB access logs: the bucket, its policy per Region, its expiry; S3's naming rules.
  albAccessLogs: {
    ignoreStatic: false,
    mutate: ["modules/edge/alb-access-logs.ts", "modules/edge/s3-limits.ts"],
    tests: ["edge/alb-access-logs.test.ts", "config/aws-limits.test.ts", "policy/aws-rules.test.ts"],
  },
  // Health check, draining, stop timeout, deployment percentages; the upgrade decision.
  lifecycle: {
    ignoreStatic: false,
    mutate: ["modules/service/task-lifecycle.ts", "modules/service/upgrade.ts", "modules/service/db-failover.ts"],
    relatedTestsOnly: true,
    tests: ["service/task-lifecycle.test.ts", "service/db-failover.test.ts", "service/upgrade.test.ts", "service/keycloak-service.test.ts", "harness/ecs-stand-in.test.ts", "edge/load-balancer.test.ts"],
  },
  // Database connections against the instance's capacity, maintenance windows, task autoscaling,
  // the capacity figures and the model that sizes the stack from them.
  capacity: {
    ignoreStatic: false,
    mutate: [
      "modules/database/database-capacity.ts", "modules/database/rds-windows.ts", "modules/service/autoscaling.ts",
      "modules/service/capacity-figures.ts", "tools/capacity-model.ts", "modules/service/jvm-sizing.ts",
    ],
    relatedTestsOnly: true,
    tests: [
      "database/database-capacity.test.ts", "database/rds-windows.test.ts", "service/autoscaling.test.ts",
      "service/capacity-figures.test.ts", "tools/capacity-model.test.ts", "tools/drill-checks.test.ts", "service/jvm-sizing.test.ts",
    ],
  },
  // Alarm definitions and the cluster's own metrics.
  monitoring: {
    ignoreStatic: false,
    mutate: ["modules/monitoring/alarm-definitions.ts", "modules/service/cluster-metrics.ts"],
    relatedTestsOnly: true,
    tests: ["monitoring/monitoring.test.ts", "service/cluster-metrics.test.ts"],
  },
  // IAM policy documents and the secrets they grant.
  access: {
    ignoreStatic: false,
    mutate: ["modules/access/iam.ts", "modules/access/secrets.ts"],
    relatedTestsOnly: true,
    tests: ["access/iam.test.ts", "access/secrets.test.ts", "access/bastion.test.ts", "service/keycloak-service.test.ts", "service/jvm-options.test.ts"],
  },
  // What goes into the image, and where it is pushed.
  image: {
    ignoreStatic: false,
    mutate: ["modules/image/image-content.ts", "modules/image/registry.ts", "modules/image/build-options.ts", "modules/image/base-image.ts"],
    relatedTestsOnly: true,
    tests: ["image/image-content.test.ts", "image/image.test.ts", "image/base-image.test.ts", "image/registry.test.ts", "image/build-options.test.ts"],
  },
  tools: {
    mutate: [
      "tools/cost.ts",
      "scripts/diagram.ts",
      "modules/database/setup/commands.ts",
      "modules/database/setup/index.ts:26-28",
      "modules/image/image.ts:19-21",
      "modules/image/image.ts:58-76",
      "modules/access/bastion.ts:44-46",
      "modules/service/keycloak-service.ts:88-116",
      "modules/service/jvm-options.ts",
    ],
    // Only the test files that import the mutated file: a diagram mutant need not synth the service tests.
    relatedTestsOnly: true,
    tests: TOOLS_TESTS,
    // Under ignoreStatic a mutant also reached while a test file synthesizes in `describe` ran only
    // with the tests that reached it inside a test: the second stage runs the related files whole
    // against each survivor (the first run, 2026-12-07: 105 of cost.ts's 109 survivors were such).
    confirmTests: TOOLS_TESTS,
  },
};
