// Jest for one mutation area (MUTATION_AREA): the unit project's settings, only the area's tests
// (with MUTATION_STAGE=confirm its slow confirmTests, which scripts/mutation-confirm.ts runs).
const { projects } = require("../jest.config");
const areas = require("./areas.cjs");

const area = areas[process.env.MUTATION_AREA];
if (!area) throw new Error(`MUTATION_AREA must be one of ${Object.keys(areas).join(", ")}`);
const unit = projects.find((p) => p.displayName === "unit");

module.exports = {
  ...unit,
  rootDir: "..",
  displayName: undefined,
  testPathIgnorePatterns: ["/node_modules/"],
  testMatch: (process.env.MUTATION_STAGE === "confirm" ? area.confirmTests : area.tests).map((file) => `<rootDir>/__tests__/${file}`),
};
