import { albListener, haproxyRules, pathPatternRegex } from "../../policy/alb-rules";
import { synthStack } from "../../modules/synth";
import { DOT_SEGMENT_PATTERNS, NOT_ROUTED, REFUSED_PATH } from "../../modules/edge/listener-routes";

/** The e2e proxy's routing is generated from the synthesized listener; these guard the translation. */
describe("ALB listener rules to haproxy", () => {
  const matches = (pattern: string, path: string) => new RegExp(pathPatternRegex(pattern)).test(path);

  test("a path pattern matches as the ALB's does: whole path, case-sensitive, * spans slashes, ? is one character", () => {
    expect(matches("/admin/*", "/admin/master/console/")).toBe(true);
    expect(matches("/admin/*", "/ADMIN/master/console/")).toBe(false);
    expect(matches("/admin/*", "/x/admin/y")).toBe(false);
    expect(matches("/admin/*", "/admin")).toBe(false);
    expect(matches("*/..*", "/realms/shop/../../admin/")).toBe(true);
    expect(matches("*/?2e?2e*", "/realms/shop/%2e%2e/admin/")).toBe(true);
    expect(matches("*/?2e?2e*", "/realms/shop/%2E%2E/admin/")).toBe(false);
    expect(matches("/a?c", "/abc")).toBe(true);
    expect(matches("/a?c", "/abbc")).toBe(false);
  });

  test("regular-expression characters of a pattern are literal", () => {
    expect(matches("*/.", "/realms/x")).toBe(false);
    expect(matches("*/.", "/realms/.")).toBe(true);
    expect(matches("/a+b$c/*", "/a+b$c/d")).toBe(true);
    expect(matches("/a+b$c/*", "/aab$c/d")).toBe(false);
  });

  test("the synthesized listener is read in priority order with its default action", () => {
    const listener = albListener(synthStack({ adminAllowedCidrs: ["198.51.100.0/24"], publicRealms: ["shop"] }));
    expect(listener.defaultAction).toEqual(NOT_ROUTED);
    expect(listener.rules.map((r) => r.priority)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    expect(listener.rules[0]).toEqual({ priority: 10, paths: ["*/?2e?2e*", "*/."], action: REFUSED_PATH });
    expect(listener.rules.slice(0, 10).flatMap((r) => r.paths).sort()).toEqual([...DOT_SEGMENT_PATTERNS].sort());
    expect(listener.rules[10]).toEqual({ priority: 110, paths: ["/*"], sources: ["198.51.100.0/24"], action: "forward" });
    expect(listener.rules[11]).toEqual({ priority: 120, paths: ["/resources/*", "/realms/shop/*"], action: "forward" });
  });

  test("an open listener (adminPublic) translates to no routing at all: everything is forwarded", () => {
    const listener = albListener(synthStack({ adminPublic: true }));
    expect(listener).toEqual({ rules: [], defaultAction: "forward" });
    expect(haproxyRules(listener)).toEqual(["  http-request set-var(txn.alb_rule) str(alb_default) if !{ var(txn.alb_rule) -m found }"]);
  });

  test("the first matching rule decides: each rule sets the decision only while none is taken, and fixed responses come after", () => {
    const lines = haproxyRules({
      rules: [
        { priority: 10, paths: ["*/..*", "/x/*"], action: { statusCode: "400", contentType: "text/plain", body: "no dots" } },
        { priority: 20, paths: ["/*"], sources: ["198.18.0.0/24", "198.18.1.0/24"], action: "forward" },
      ],
      defaultAction: { statusCode: "404", contentType: "text/plain", body: "not routed" },
    });
    expect(lines).toEqual([
      "  acl alb_10_path path -m reg '^.*/\\.\\..*$'",
      "  acl alb_10_path path -m reg '^/x/.*$'",
      "  http-request set-var(txn.alb_rule) str(alb_10) if !{ var(txn.alb_rule) -m found } alb_10_path",
      "  acl alb_20_path path -m reg '^/.*$'",
      "  acl alb_20_source src 198.18.0.0/24 198.18.1.0/24",
      "  http-request set-var(txn.alb_rule) str(alb_20) if !{ var(txn.alb_rule) -m found } alb_20_path alb_20_source",
      "  http-request set-var(txn.alb_rule) str(alb_default) if !{ var(txn.alb_rule) -m found }",
      "  http-request return status 400 content-type 'text/plain' string 'no dots' if { var(txn.alb_rule) -m str alb_10 }",
      "  http-request return status 404 content-type 'text/plain' string 'not routed' if { var(txn.alb_rule) -m str alb_default }",
    ]);
  });

  test("conditions and actions the translator does not know are refused, not ignored", () => {
    const json = synthStack();
    const rule = Object.values(json.resource!.aws_lb_listener_rule)[0];
    rule.condition = [{ host_header: { values: ["admin.example.com"] } }];
    expect(() => albListener(json)).toThrow(/condition host_header is not one the translator knows/);
    rule.condition = [{ path_pattern: { values: ["/*"] } }];
    rule.action = [{ type: "redirect", redirect: { status_code: "HTTP_301" } }];
    expect(() => albListener(json)).toThrow(/is not one the translator knows \(forward, fixed-response\)/);
  });

  // Each case changes one field of the real listener into something the ALB refuses at apply.
  type Json = ReturnType<typeof synthStack>;
  const ruleNamed = (json: Json, priority: number) => Object.values(json.resource!.aws_lb_listener_rule).find((r) => r.priority === priority)!;
  const paths = (json: Json, priority: number, values: string[]) => {
    ruleNamed(json, priority).condition = [{ path_pattern: { values } }];
  };
  const fixed = (json: Json) => (ruleNamed(json, 10).action as { fixed_response: Record<string, string> }[])[0].fixed_response;
  test.each([
    ["6 wildcards in one rule", (j: Json) => paths(j, 10, ["*/..*", "*/./*", "*/?2e"]), "6 wildcards (* or ?) in the conditions (at most 5 per rule)"],
    ["6 condition values in one rule", (j: Json) => {
      ruleNamed(j, 110).condition = [{ path_pattern: { values: ["/a", "/b", "/c"] } }, { source_ip: { values: ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"] } }];
    }, "6 condition values (at most 5 per rule)"],
    ["4 values in one condition", (j: Json) => paths(j, 120, ["/a", "/b", "/c", "/d"]), "a condition with 4 values (at most 3)"],
    ["a wildcard source", (j: Json) => {
      ruleNamed(j, 110).condition = [{ path_pattern: { values: ["/*"] } }, { source_ip: { values: ["198.51.100.*"] } }];
    }, 'source "198.51.100.*" is not an IPv4 or IPv6 CIDR (no wildcards)'],
    ["a 129-character pattern", (j: Json) => paths(j, 120, [`/${"a".repeat(128)}`]), "path pattern of 129 characters (at most 128)"],
    ["a % in a pattern", (j: Json) => paths(j, 10, ["*/%2e/*"]), "holds a character outside A-Z a-z 0-9"],
    ["a 1025-character fixed response", (j: Json) => { fixed(j).message_body = "x".repeat(1025); }, "fixed response with a body of 1025 characters (at most 1024)"],
    ["a fixed response as text/xml", (j: Json) => { fixed(j).content_type = "text/xml"; }, "fixed response with content type text/xml"],
    ["a fixed 302", (j: Json) => { fixed(j).status_code = "302"; }, "fixed response with status code 302 (2XX, 4XX or 5XX)"],
    ["two rules with one priority", (j: Json) => { ruleNamed(j, 20).priority = 10; }, "priority 10 used twice on one listener"],
    ["priority 50001", (j: Json) => { ruleNamed(j, 20).priority = 50001; }, "priority 50001 (an integer 1-50000)"],
    ["101 rules on the load balancer", (j: Json) => {
      const rules = j.resource!.aws_lb_listener_rule;
      const [name, rule] = Object.entries(rules)[0];
      for (let i = 0; i < 89; i++) rules[`${name}_copy_${i}`] = { ...rule, priority: 1000 + i };
    }, "101 rules (at most 100 per load balancer)"],
  ])("a listener the ALB would refuse is refused: %s", (_what, breakIt, message) => {
    const json = synthStack({ adminAllowedCidrs: ["198.51.100.0/24"], publicRealms: ["shop"] });
    expect(() => albListener(json)).not.toThrow();
    breakIt(json);
    expect(() => albListener(json)).toThrow(message);
    expect(() => albListener(json)).toThrow(/^the ALB would refuse this listener, so the stand-in does too: /);
  });

  test("a value haproxy's quoting cannot carry is refused", () => {
    expect(() =>
      haproxyRules({ rules: [], defaultAction: { statusCode: "404", contentType: "text/plain", body: "it's gone" } }),
    ).toThrow(/cannot put "it's gone" in a haproxy config/);
  });
});
