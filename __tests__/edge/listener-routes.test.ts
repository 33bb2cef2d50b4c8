import { DOT_SEGMENT_PATTERNS, EVERYTHING_PATTERN, listenerRoutes, REFUSED_PATH, STATIC_PATTERNS } from "../../modules/edge/listener-routes";

/**
 * The listener's routes on their own, for what the stack's tests (one set of admin CIDRs) do not
 * reach: no admin source at all, and what each rule is for. Mutation testing (the listener area)
 * found both unchecked.
 */

const forwardsEverything = (routes: ReturnType<typeof listenerRoutes>) => routes.filter((r) => r.action === "forward" && r.paths.includes(EVERYTHING_PATTERN));

describe("listener routes", () => {
  test("routes the ALB would refuse stop the synth, with every limit they break named", () => {
    expect(() => listenerRoutes({ adminAllowedCidrs: [], publicRealms: ["x".repeat(120), "a%b"] })).toThrow(
      /^listener rules the ALB would refuse: path pattern of 130 characters \(at most 128\): \/realms\/x+\/\*; path pattern "\/realms\/a%b\/\*" holds a character outside /,
    );
  });

  test("with no admin source, no rule forwards every path: the admin plane stays closed to everyone", () => {
    const routes = listenerRoutes({ adminAllowedCidrs: [], publicRealms: ["example"] });
    expect(forwardsEverything(routes)).toEqual([]);
    expect(routes.map((r) => r.purpose)).not.toContain("admin sources");
  });

  test("each rule says what it is for, in priority order: dot segments refused, admin sources, then the public realms", () => {
    const routes = listenerRoutes({ adminAllowedCidrs: ["198.51.100.7/32"], publicRealms: ["example"] });
    const purposes = [...new Set(routes.map((r) => r.purpose))];
    expect(purposes).toEqual(["refuse dot segments", "admin sources", "public realms"]);
    expect(routes.filter((r) => r.purpose === "refuse dot segments").every((r) => r.action === REFUSED_PATH && r.sourceCidrs.length === 0)).toBe(true);
    // Every dot-segment pattern refused exactly once; the rules pack them by wildcards (alb-limits.ts), not in list order.
    expect(routes.filter((r) => r.purpose === "refuse dot segments").flatMap((r) => r.paths).sort()).toEqual([...DOT_SEGMENT_PATTERNS].sort());
    expect(forwardsEverything(routes)).toEqual([expect.objectContaining({ purpose: "admin sources", sourceCidrs: ["198.51.100.7/32"] })]);
    expect(routes.find((r) => r.purpose === "public realms")?.paths).toEqual(expect.arrayContaining([...STATIC_PATTERNS]));
  });

  test.each([1, 3, 4, 6, 7])("%i admin sources are split into rules of at most 3 sources, every one of them with a source condition: no admin rule without sources forwards every path to everyone", (count) => {
    const cidrs = Array.from({ length: count }, (_, i) => `198.51.100.${i}/32`);
    const admin = forwardsEverything(listenerRoutes({ adminAllowedCidrs: cidrs, publicRealms: [] }));
    expect(admin.map((r) => r.sourceCidrs)).toEqual(Array.from({ length: Math.ceil(count / 3) }, (_, i) => cidrs.slice(3 * i, 3 * i + 3)));
  });
});
