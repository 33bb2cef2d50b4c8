import { startOutcome, timedViews } from "../support/cluster-split";

/** The harness's reading of a simultaneous start from the nodes' logs (lines as Keycloak 26.7.3 writes them). */

const line = (time: string, view: string, merged = false) =>
  `2026-11-29 ${time} INFO  [org.infinispan.CLUSTER] (jgroups-5,x) ISPN00009${merged ? "3: Received new, MERGED" : "4: Received new"} cluster view for channel ISPN: ${merged ? "MergeView::" : ""}${view}`;

const A_ALONE = line("09:58:32,287", "[localhost-13153(v=16.0.14)|0] (1) [localhost-13153(v=16.0.14)]");
const B_ALONE = line("09:58:33,100", "[localhost-42628(v=16.0.14)|0] (1) [localhost-42628(v=16.0.14)]");
const B_JOINS_A = line("09:58:43,627", "[localhost-13153(v=16.0.14)|1] (2) [localhost-13153(v=16.0.14), localhost-42628(v=16.0.14)]");
const MERGED = line(
  "09:59:21,100",
  "[localhost-13153(v=16.0.14)|2] (2) [localhost-13153(v=16.0.14), localhost-42628(v=16.0.14)], 2 subgroups: [localhost-42628(v=16.0.14)|0] (1) [localhost-42628(v=16.0.14)], [localhost-13153(v=16.0.14)|0] (1) [localhost-13153(v=16.0.14)]",
  true,
);

test("views are read with their time, coordinator, size and whether they ended a split; other lines are ignored", () => {
  expect(timedViews(["noise", A_ALONE, MERGED].join("\n"))).toEqual([
    { at: Date.parse("2026-11-29T09:58:32.287Z"), coordinator: "localhost-13153", size: 1, merged: false },
    { at: Date.parse("2026-11-29T09:59:21.100Z"), coordinator: "localhost-13153", size: 2, merged: true },
  ]);
});

test("a node that joins the other's first view is no split", () => {
  expect(startOutcome([[A_ALONE, B_JOINS_A].join("\n"), B_JOINS_A], 0)).toEqual({
    split: false,
    mergeSeconds: 0,
    firstViews: ["localhost-13153 (1)", "localhost-13153 (2)"],
  });
});

test("two one-node clusters are a split that lasts from the later of them to the merged view", () => {
  const outcome = startOutcome([[A_ALONE, MERGED].join("\n"), [B_ALONE, MERGED].join("\n")], 0);
  expect(outcome).toEqual({ split: true, mergeSeconds: 48, firstViews: ["localhost-13153 (1)", "localhost-42628 (1)"] });
});

test("a split that has not merged yet lasts until now, and a node without any view is an error", () => {
  expect(startOutcome([A_ALONE, B_ALONE], Date.parse("2026-11-29T09:59:33.100Z")).mergeSeconds).toBe(60);
  expect(() => startOutcome([A_ALONE, "nothing yet"], 0)).toThrow("logged no cluster view");
});
