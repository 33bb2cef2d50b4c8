import { mixedVersionMs, versionOverlaps, versionSpans, type VersionReport } from "../support/node-versions";
import { upgradeBreaks } from "../support/stand-upgrade";

/** The upgrade e2e's "two releases at once", read from what the nodes reported, and its switch for doing the upgrade wrong. */

const answered = (node: string, version: string | undefined, ...times: number[]): VersionReport[] => times.map((at) => ({ node, at, version }));

test("a rolling update: an old node still answering while a new one answers counts as mixed, for as long as both answered", () => {
  const reports = [
    ...answered("node-a", "26.7.0", 0, 1_000, 2_000),
    ...answered("node-a", undefined, 3_000, 4_000),
    ...answered("node-c", undefined, 0, 1_000),
    ...answered("node-c", "26.7.3", 2_000, 3_000, 4_000),
  ];
  // node-a answered 26.7.0 until its first miss at 3 000; node-c answered 26.7.3 from 2 000.
  expect(versionSpans(reports)).toEqual([
    { node: "node-a", version: "26.7.0", from: 0, to: 3_000 },
    { node: "node-c", version: "26.7.3", from: 2_000, to: 4_000 },
  ]);
  expect(mixedVersionMs(reports)).toBe(1_000);
});

test("a recreate: every old node silent before the first new one answers never mixes, and one release on two nodes never counts", () => {
  const reports = [
    ...answered("node-a", "26.5.0", 0, 1_000),
    ...answered("node-b", "26.5.0", 0, 1_000),
    ...answered("node-a", undefined, 2_000, 3_000),
    ...answered("node-b", undefined, 2_000, 3_000, 4_000),
    ...answered("node-a", "26.7.3", 4_000, 5_000),
    ...answered("node-b", "26.7.3", 5_000),
  ];
  expect(versionOverlaps(versionSpans(reports))).toEqual([]);
  expect(mixedVersionMs(reports)).toBe(0);
});

test("a node whose release changes between two answers ends its old stretch there; only other nodes' stretches can overlap it", () => {
  const reports = [...answered("node-a", "26.5.0", 0, 1_000), ...answered("node-a", "26.7.3", 2_000, 3_000), ...answered("node-b", "26.5.0", 2_500, 3_500)];
  expect(versionSpans(reports)).toEqual([
    { node: "node-a", version: "26.5.0", from: 0, to: 2_000 },
    { node: "node-a", version: "26.7.3", from: 2_000, to: 3_000 },
    { node: "node-b", version: "26.5.0", from: 2_500, to: 3_500 },
  ]);
  expect(versionOverlaps(versionSpans(reports)).map((o) => [o.first.node, o.second.node, o.ms])).toEqual([["node-a", "node-b", 500]]);
});

test("reports out of order are read in time order", () => {
  const reports = [...answered("node-b", undefined, 2_500), ...answered("node-b", "26.7.3", 1_500), ...answered("node-a", "26.5.0", 2_000, 0, 1_000)];
  expect(mixedVersionMs(reports)).toBe(500);
});

test("E2E_UPGRADE_BREAK names breaks, comma-separated; an unknown one is refused with the allowed ones", () => {
  expect(upgradeBreaks({})).toEqual([]);
  expect(upgradeBreaks({ E2E_UPGRADE_BREAK: "stop-first, mix" })).toEqual(["stop-first", "mix"]);
  expect(() => upgradeBreaks({ E2E_UPGRADE_BREAK: "kill" })).toThrow("E2E_UPGRADE_BREAK 'kill' is not one of stop-first, mix, idle-gap");
});
