// Transpile-only (swc): type-checking is `npm run build`, so tests stay fast.
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
  // openid-client and its two dependencies ship only ES modules: swc turns them into CommonJS for jest.
  "^.+\\.js$": ["@swc/jest", { jsc: { parser: { syntax: "ecmascript" }, target: "es2022" }, module: { type: "commonjs" } }],
};
const common = {
  testEnvironment: "node",
  transform,
  transformIgnorePatterns: ["/node_modules/(?!(openid-client|oauth4webapi|jose)/)"],
  moduleFileExtensions: ["ts", "js", "json"],
};

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
