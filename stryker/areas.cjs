// The mutation benchmark in areas: each area mutates some files and runs only the unit tests
// that exercise them, so a mutant costs seconds, not a synth of every test file.
module.exports = {
  config: {
    mutate: ["modules/config/index.ts", "modules/config/settings.ts", "modules/config/values.ts"],
    tests: ["config/config.test.ts", "config/bad-input.test.ts", "config/boundaries.test.ts"],
  },
  policy: {
    mutate: ["policy/rules-*.ts", "policy/rule-kit.ts"],
    tests: ["policy/policy.test.ts"],
    // The rules do not change the stacks: synthesize them once for the whole run (shapes.ts).
    env: { POLICY_STACKS_CACHE: require("node:path").resolve(__dirname, "..", ".cache", "stryker", "policy-stacks.json") },
  },
  tools: {
    mutate: [
      "tools/cost.ts",
      "scripts/diagram.ts",
      "modules/access/iam.ts",
      "modules/image/build-options.ts",
      "modules/database/setup/commands.ts",
      "modules/database/setup/index.ts:26-28",
      "modules/image/image.ts:37-53",
      "modules/access/bastion.ts:38-40",
      "modules/service/keycloak-service.ts:72-85",
    ],
    // Only the test files that import the mutated file: a diagram mutant need not synth the service tests.
    relatedTestsOnly: true,
    tests: ["tools/cost.test.ts", "scripts/readme.test.ts", "database/database-setup.test.ts", "image/image.test.ts", "access/bastion.test.ts", "service/keycloak-service.test.ts"],
  },
};
