import { mixedVersionMs } from "../support/stand-upgrade";

/** The upgrade e2e's measure of "two versions ran at once", from the nodes' version spans. */

test("a rolling update's overlapping old and new nodes count as mixed, for as long as both ran", () => {
  expect(
    mixedVersionMs([
      { node: "node-a", version: "26.7.0", from: 0, to: 1_000 },
      { node: "node-b", version: "26.7.0", from: 0, to: 5_000 },
      { node: "node-a", version: "26.7.3", from: 1_500 },
    ], 10_000),
  ).toBe(3_500);
});

test("a recreate (every old node gone before the first new one starts) never mixes, and nodes of one version never count", () => {
  expect(
    mixedVersionMs([
      { node: "node-a", version: "26.5.0", from: 0, to: 1_000 },
      { node: "node-b", version: "26.5.0", from: 0, to: 2_000 },
      { node: "node-a", version: "26.7.3", from: 2_000 },
      { node: "node-b", version: "26.7.3", from: 3_000 },
    ], 10_000),
  ).toBe(0);
});
