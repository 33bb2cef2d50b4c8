import { explainedByZoneLoss } from "../support/db-faults";
import { stickyTarget } from "../support/haproxy";

describe("the fault harness's reading of the load", () => {
  test("a stickiness cookie with haproxy's maxlife dates pins to the server named before the first '|'", () => {
    expect(stickyTarget("node-b|axXrh|axXqQ")).toBe("node-b");
    expect(stickyTarget("node-a")).toBe("node-a");
    expect(stickyTarget(undefined)).toBeUndefined();
  });

  test("a zone loss explains a re-login only of a user pinned to the killed task, refused while the database was failing over", () => {
    const t = { lostAt: 1_000, backAt: 121_000 };
    expect(explainedByZoneLoss({ user: "session-2", at: 2_600 }, ["session-2"], t)).toBe(true);
    expect(explainedByZoneLoss({ user: "session-1", at: 2_600 }, ["session-2"], t)).toBe(false);
    expect(explainedByZoneLoss({ user: "session-2", at: 999 }, ["session-2"], t)).toBe(false);
    expect(explainedByZoneLoss({ user: "session-2", at: 121_000 }, ["session-2"], t)).toBe(false);
    expect(explainedByZoneLoss({ user: "session-2", at: 120_999 }, ["session-2"], t)).toBe(true);
  });
});
