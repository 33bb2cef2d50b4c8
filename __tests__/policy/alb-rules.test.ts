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
    expect(listener.rules.map((r) => r.priority)).toEqual([10, 20, 30, 40, 50]);
    expect(listener.rules[0]).toEqual({ priority: 10, paths: DOT_SEGMENT_PATTERNS.slice(0, 5), action: REFUSED_PATH });
    expect(listener.rules[3]).toEqual({ priority: 40, paths: ["/*"], sources: ["198.51.100.0/24"], action: "forward" });
    expect(listener.rules[4]).toEqual({ priority: 50, paths: ["/resources/*", "/realms/shop/*"], action: "forward" });
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

  test("a value haproxy's quoting cannot carry is refused", () => {
    expect(() =>
      haproxyRules({ rules: [], defaultAction: { statusCode: "404", contentType: "text/plain", body: "it's gone" } }),
    ).toThrow(/cannot put "it's gone" in a haproxy config/);
  });
});
