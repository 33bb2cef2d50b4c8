// Transpile-only (swc): type-checking is `npm run build`, so tests stay fast.
const transform = { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }] };
const common = { testEnvironment: "node", transform, moduleFileExtensions: ["ts", "js", "json"] };

module.exports = {
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/__tests__/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/__tests__/integration/", "<rootDir>/__tests__/e2e/"],
    },
    { ...common, displayName: "integration", testMatch: ["<rootDir>/__tests__/integration/**/*.test.ts"] },
    // Opt-in scenarios (`*.opt-in.test.ts`) take too long for CI: `npm run test:e2e:opt-in -- <file>`.
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/__tests__/e2e/**/*.test.ts"], testPathIgnorePatterns: ["/node_modules/", "\\.opt-in\\.test\\.ts$"] },
    { ...common, displayName: "e2e-opt-in", testMatch: ["<rootDir>/__tests__/e2e/**/*.opt-in.test.ts"] },
  ],
};
