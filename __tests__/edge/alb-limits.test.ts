import {
  ALB_FIXED_RESPONSE,
  ALB_NAME,
  ALB_PATH_PATTERN_MAX_LENGTH,
  ALB_PRIORITY,
  ALB_RULES_PER_LOAD_BALANCER,
  ALB_SOURCES,
  ALB_VALUES_PER_RULE,
  fixedResponseProblems,
  isAlbSourceCidr,
  listenerProblems,
  ruleProblems,
} from "../../modules/edge/alb-limits";

/**
 * The ALB's documented limits on listener rules, at their edges: each limit's last accepted value
 * passes and the next one is refused, with a message naming the value and the limit.
 */

const rule = (conditions: string[][], sourceCidrs: string[] = []) => ({ conditions, pathPatterns: conditions[0] ?? [], sourceCidrs });
const limits = (problems: { limit: string }[]) => problems.map((p) => p.limit);

describe("source-ip values: IPv4 or IPv6 in CIDR form, nothing else", () => {
  test.each(["0.0.0.0/0", "198.18.0.0/15", "255.255.255.255/32", "10.0.0.1/8", "::/0", "2001:db8::/32", "2001:DB8:0:0:0:0:0:1/128", "fe80::/10"])("%s is a CIDR", (cidr) => {
    expect(isAlbSourceCidr(cidr)).toBe(true);
  });

  test.each([
    ["256.0.0.0/8", "an octet above 255"],
    ["10.0.0.256/8", "the last octet above 255"],
    ["10.0.0.0/33", "an IPv4 prefix above 32"],
    ["10.0.0.0", "no prefix"],
    ["x10.0.0.0/8", "text before the address"],
    ["10.0.0.0/8x", "text after the prefix"],
    ["10.0.0.*/24", "a wildcard"],
    ["2001:db8::/129", "an IPv6 prefix above 128"],
    ["2001:db8::", "an IPv6 address without a prefix"],
    ["g001:db8::/32", "a character outside hexadecimal"],
    ["x2001:db8::/32", "text before the IPv6 address"],
    ["2001:db8::/32x", "text after the IPv6 prefix"],
    ["2001:db8::/1a", "a prefix that is not a number"],
    ["2001db8/32", "no colon"],
  ])("%s is refused: %s", (value) => {
    expect(isAlbSourceCidr(value)).toBe(false);
    expect(ruleProblems(rule([["/x"]], [value]))).toEqual([{ limit: "source-ip", message: `source ${JSON.stringify(value)} is not an IPv4 or IPv6 CIDR (no wildcards)` }]);
  });

  test("a full IPv6 prefix of 128 and a long IPv6 address are CIDRs; three-digit IPv4 octets are read whole", () => {
    expect(isAlbSourceCidr("2001:0db8:85a3:0000:0000:8a2e:0370:7334/128")).toBe(true);
    expect(isAlbSourceCidr("192.168.100.200/32")).toBe(true);
  });
});

describe("rule conditions at their limits", () => {
  test(`${ALB_VALUES_PER_RULE} values in a rule pass, one more is refused with the count`, () => {
    expect(ruleProblems(rule([["/a", "/b", "/c"], ["/d", "/e"]]))).toEqual([]);
    expect(ruleProblems(rule([["/a", "/b", "/c"], ["/d", "/e", "/f"]]))).toEqual([{ limit: "values-per-rule", message: "6 condition values (at most 5 per rule)" }]);
  });

  test(`a path pattern of ${ALB_PATH_PATTERN_MAX_LENGTH} characters passes, one more is refused with its length`, () => {
    const longest = `/${"a".repeat(ALB_PATH_PATTERN_MAX_LENGTH - 1)}`;
    expect(ruleProblems(rule([[longest]]))).toEqual([]);
    expect(ruleProblems(rule([[`${longest}b`]]))).toEqual([{ limit: "path-pattern-length", message: `path pattern of 129 characters (at most 128): ${longest}b` }]);
  });

  test("a refused condition, wildcard count and path character each say which value broke which limit", () => {
    expect(ruleProblems(rule([["/a", "/b", "/c", "/d"]]))).toEqual([{ limit: "values-per-condition", message: "a condition with 4 values (at most 3): /a /b /c /d" }]);
    expect(ruleProblems(rule([["/*/*/*", "/*/*/*"]]))).toEqual([{ limit: "wildcards-per-rule", message: "6 wildcards (* or ?) in the conditions (at most 5 per rule): /*/*/* /*/*/*" }]);
    expect(limits(ruleProblems(rule([["/a b"]])))).toEqual(["path-pattern-characters"]);
  });
});

describe("fixed responses at their limits", () => {
  const ok = { statusCode: "404", contentType: "text/plain", body: "" };
  test(`a body of ${ALB_FIXED_RESPONSE.maxBodyLength} characters passes, one more is refused with its length`, () => {
    expect(fixedResponseProblems({ ...ok, body: "x".repeat(1024) })).toEqual([]);
    expect(fixedResponseProblems({ ...ok, body: "x".repeat(1025) })).toEqual([{ limit: "fixed-response", message: "fixed response with a body of 1025 characters (at most 1024)" }]);
  });

  test("a content type or status code AWS does not take is refused, naming what it takes", () => {
    expect(fixedResponseProblems({ ...ok, contentType: "text/xml" })).toEqual([
      { limit: "fixed-response", message: "fixed response with content type text/xml (one of text/plain, text/css, text/html, application/javascript, application/json)" },
    ]);
    expect(fixedResponseProblems({ ...ok, statusCode: "302" })).toEqual([{ limit: "fixed-response", message: "fixed response with status code 302 (2XX, 4XX or 5XX)" }]);
  });

  test("a status code is three digits: 200, 400 and 599 pass; 4040, 1404 and 40 are refused", () => {
    for (const statusCode of ["200", "400", "599"]) expect(fixedResponseProblems({ ...ok, statusCode })).toEqual([]);
    for (const statusCode of ["4040", "1404", "40"]) expect(limits(fixedResponseProblems({ ...ok, statusCode }))).toEqual(["fixed-response"]);
  });
});

describe("load balancer and target group names", () => {
  test("no hyphen at either end: one character or a hyphen inside passes; a lone hyphen or one at an end is refused", () => {
    expect(["a", "ab", "a-b", "kc-prod-alb"].filter((n) => !ALB_NAME.noEdgeHyphen.test(n))).toEqual([]);
    expect(["-", "-a", "a-", "-a-"].filter((n) => ALB_NAME.noEdgeHyphen.test(n))).toEqual([]);
  });
});

describe("the limits' sources", () => {
  test("every limit's source names the page it comes from", () => {
    expect(Object.entries(ALB_SOURCES).filter(([, source]) => !/^\S.*https:\/\/\S+$/.test(source))).toEqual([]);
  });
});

describe("a load balancer's rules and priorities", () => {
  const priorities = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  test(`${ALB_RULES_PER_LOAD_BALANCER} rules pass, one more is refused with the count`, () => {
    expect(listenerProblems([priorities(60), priorities(40)])).toEqual([]);
    expect(listenerProblems([priorities(60), priorities(41)])).toEqual([{ limit: "rules-per-load-balancer", message: "101 rules (at most 100 per load balancer)" }]);
  });

  test(`priorities ${ALB_PRIORITY.min} and ${ALB_PRIORITY.max} pass; 0, ${ALB_PRIORITY.max + 1} and a fraction are refused; a priority twice on one listener is refused, on two listeners it is not`, () => {
    expect(listenerProblems([[ALB_PRIORITY.min, ALB_PRIORITY.max]])).toEqual([]);
    expect(listenerProblems([[0, 50001, 1.5]])).toEqual([
      { limit: "priority", message: "priority 0 (an integer 1-50000)" },
      { limit: "priority", message: "priority 50001 (an integer 1-50000)" },
      { limit: "priority", message: "priority 1.5 (an integer 1-50000)" },
    ]);
    expect(listenerProblems([[10, 20, 10]])).toEqual([{ limit: "priority", message: "priority 10 used twice on one listener" }]);
    expect(listenerProblems([[10, 20, 10, 20]])).toEqual([{ limit: "priority", message: "priority 10, 20 used twice on one listener" }]);
    expect(listenerProblems([[10], [10]])).toEqual([]);
  });
});
