import { ALB_RULES_PER_LOAD_BALANCER, ALB_WILDCARDS_PER_RULE } from "../../modules/edge/alb-limits";
import {
  DOT_SEGMENT_PATTERNS,
  EVERYTHING_PATTERN,
  listenerRoutes,
  NOT_ROUTED,
  packPatterns,
  REALM_NAMES_LIKE_ENCODED_DOTS,
  REFUSED_PATH,
  routeProblems,
  STATIC_PATTERNS,
} from "../../modules/edge/listener-routes";

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

  test("the safety net finds what the ALB would refuse in hand-made rules: values over all conditions, a fixed response, a priority twice", () => {
    const route = { priority: 10, paths: ["/a", "/b", "/c"], sourceCidrs: ["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32"], action: "forward" as const, purpose: "test" };
    expect(routeProblems([route]).map((p) => p.message)).toEqual(["6 condition values (at most 5 per rule)"]);
    expect(routeProblems([{ ...route, sourceCidrs: [] }])).toEqual([]);
    expect(routeProblems([{ ...route, sourceCidrs: [], action: { ...NOT_ROUTED, statusCode: "302" } }]).map((p) => p.message)).toEqual(["fixed response with status code 302 (2XX, 4XX or 5XX)"]);
    expect(routeProblems([{ ...route, sourceCidrs: [] }, { ...route, sourceCidrs: [] }]).map((p) => p.message)).toEqual(["priority 10 used twice on one listener"]);
  });

  test(`more public realms than ${ALB_RULES_PER_LOAD_BALANCER} rules can hold stop the synth with the count`, () => {
    const realms = Array.from({ length: 3 * ALB_RULES_PER_LOAD_BALANCER }, (_, i) => `realm${i}`);
    expect(() => listenerRoutes({ adminAllowedCidrs: [], publicRealms: realms })).toThrow(/rules \(at most 100 per load balancer\)/);
  });

  test(`a path pattern with exactly ${ALB_WILDCARDS_PER_RULE} wildcards gets a rule of its own; patterns with as many wildcards keep their order`, () => {
    expect(packPatterns(["*/*/*/*/*"], 3)).toEqual([["*/*/*/*/*"]]);
    expect(packPatterns(["/d", "/c", "/b", "/a"], 3)).toEqual([["/d", "/c", "/b"], ["/a"]]);
    expect(packPatterns(["/x/*", "/w/*", "/v"], 3)).toEqual([["/x/*", "/w/*", "/v"]]);
  });

  test("the ALB's own answers say who answered: the 404 names the load balancer, the 400 the dot segments", () => {
    expect(NOT_ROUTED).toEqual({ statusCode: "404", contentType: "text/plain", body: "Not found: not routed by the load balancer" });
    expect(REFUSED_PATH).toEqual({ statusCode: "400", contentType: "text/plain", body: "Bad request: dot segments are not accepted" });
  });

  test("every realm name the dot-segment rules would refuse is one config refuses (one character and 2e first); longer names with 2e later are not", () => {
    // The ALB's path patterns: * any characters, ? exactly one, case-sensitive.
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    const refusedByListener = (realm: string) => DOT_SEGMENT_PATTERNS.some((p) => glob(p).test(`/realms/${realm}/account`));
    const alphabet = ["a", "2", "e", "E", "_"];
    const names = alphabet.flatMap((a) => [a, ...alphabet.flatMap((b) => [a + b, ...alphabet.flatMap((c) => [a + b + c, ...alphabet.map((d) => a + b + c + d)])])]);
    expect(names.filter(refusedByListener)).toEqual(expect.arrayContaining(["a2e", "a2E", "_2e", "22E"]));
    expect(names.filter((n) => refusedByListener(n) && !REALM_NAMES_LIKE_ENCODED_DOTS.test(n))).toEqual([]);
    expect(["a2e", "22E", "a2eb", "x2e2e"].filter((n) => !REALM_NAMES_LIKE_ENCODED_DOTS.test(n))).toEqual([]);
    expect(["ab2e", "a2f", "a2", "customers2e", "2e"].filter((n) => REALM_NAMES_LIKE_ENCODED_DOTS.test(n))).toEqual([]);
  });
});
