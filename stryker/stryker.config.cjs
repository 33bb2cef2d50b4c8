// StrykerJS configuration of one mutation area (MUTATION_AREA, see areas.cjs); run all
// areas with `npm run test:mutation`. A benchmark, not part of .ci/run.
const areas = require("./areas.cjs");

const name = process.env.MUTATION_AREA;
const area = areas[name];
if (!area) throw new Error(`MUTATION_AREA must be one of ${Object.keys(areas).join(", ")}`);

// Inherited by the test runner processes (see areas.cjs: env).
Object.assign(process.env, area.env ?? {});

module.exports = {
  packageManager: "npm",
  testRunner: "jest",
  jest: { projectType: "custom", configFile: "stryker/jest.config.cjs", enableFindRelatedTests: area.relatedTestsOnly ?? false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  // Mutants that only run while a module loads (the settings' and rules' documentation
  // strings) would need every test per mutant; the README's generated-section test guards those texts.
  ignoreStatic: area.ignoreStatic ?? true,
  // The machine is shared: one test runner.
  concurrency: 1,
  timeoutMS: 30000,
  tempDirName: ".stryker-tmp",
  // Downloads, builds and reports (Keycloak distributions, images: gigabytes) stay out of the sandbox.
  ignorePatterns: [".cache"],
  cleanTempDir: "always",
  reporters: ["clear-text", "progress-append-only", "json"],
  jsonReporter: { fileName: `.cache/stryker/${name}.json` },
  mutate: area.mutate,
};
