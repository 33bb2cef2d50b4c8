import { Testing } from "cdktf";
import { onlyResource, onlyResourceName, resourcesOf, rulesOf as sgRulesOf, synthStack, ref, nameOf, testConfig, type TerraformJson } from "../../modules/synth";
import { HEALTH_READY_PATH, PORTS } from "../../modules/shared/constants";
import { TASK_LIFECYCLE } from "../../modules/service/task-lifecycle";
import { KeycloakStack } from "../../modules/stack";
import { DOT_SEGMENT_PATTERNS, MASTER_REALM, MAX_ADMIN_CIDRS, MAX_PUBLIC_REALMS, NOT_ROUTED, REFUSED_PATH, packPatterns } from "../../modules/edge/listener-routes";
import { ALB_RULES_PER_LOAD_BALANCER, ALB_VALUES_PER_CONDITION, ALB_VALUES_PER_RULE, ALB_WILDCARDS_PER_RULE, wildcardsIn } from "../../modules/edge/alb-limits";

describe("LoadBalancer", () => {
  const json = synthStack();

  test("the ALB is internet-facing in the public subnets and drops invalid header fields", () => {
    const alb = onlyResource(json, "aws_lb") as Record<string, unknown> & { subnets: string[] };
    expect(alb).toMatchObject({ load_balancer_type: "application", internal: false, drop_invalid_header_fields: true });
    const publicSubnets = Object.entries(resourcesOf(json, "aws_subnet"))
      .filter(([, s]) => String((s.tags as Record<string, string>).Name).includes("-public-"))
      .map(([name]) => ref("aws_subnet", name, "id"));
    expect(alb.subnets.sort()).toEqual(publicSubnets.sort());
  });

  test("the ALB security group lets 443 and 80 in from anywhere by default, and nothing else", () => {
    const ingress = sgRulesOf(json, nameOf(json, "aws_security_group", "-alb")).filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => `${r.from_port}:${r.cidr_ipv4}`).sort()).toEqual(["443:0.0.0.0/0", "80:0.0.0.0/0"]);
  });

  test("the ALB ingress CIDRs are configurable", () => {
    const custom = synthStack({ albIngressCidrs: ["198.51.100.0/24", "203.0.113.0/24"] });
    const ingress = sgRulesOf(custom, nameOf(custom, "aws_security_group", "-alb")).filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => r.cidr_ipv4).sort()).toEqual(["198.51.100.0/24", "198.51.100.0/24", "203.0.113.0/24", "203.0.113.0/24"]);
  });

  test("the HTTPS listener uses a TLS 1.2+/1.3 policy and the ACM certificate", () => {
    const https = Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.port === 443)!;
    expect(https.protocol).toBe("HTTPS");
    expect(https.ssl_policy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    expect(https.certificate_arn).toBe(ref("aws_acm_certificate", onlyResourceName(json, "aws_acm_certificate"), "arn"));
  });

  test("the HTTP listener only redirects to HTTPS with 301", () => {
    const http = Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.port === 80)!;
    expect(http.default_action).toEqual([
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } },
    ]);
  });

  test("the target group sends HTTP to 8080 on task IPs, checks readiness on the management port, drains in 30 s and sticks by lb_cookie", () => {
    const tg = onlyResource(json, "aws_lb_target_group");
    expect(tg).toMatchObject({ target_type: "ip", protocol: "HTTP", port: PORTS.http, deregistration_delay: "30" });
    expect(tg.health_check).toMatchObject({ port: String(PORTS.management), path: HEALTH_READY_PATH, matcher: "200", healthy_threshold: TASK_LIFECYCLE.targetHealthCheck.healthyThreshold, unhealthy_threshold: TASK_LIFECYCLE.targetHealthCheck.unhealthyThreshold });
    expect(tg.stickiness).toMatchObject({ enabled: true, type: "lb_cookie" });
  });

  type Rule = { priority: number; depends_on?: string[]; condition: Record<string, { values: string[] }>[]; action: Record<string, unknown>[] };
  const rulesOf = (j: TerraformJson): Rule[] =>
    (Object.values(resourcesOf(j, "aws_lb_listener_rule")) as unknown as Rule[]).sort((a, b) => a.priority - b.priority);
  const httpsListener = (j: TerraformJson) => Object.values(resourcesOf(j, "aws_lb_listener")).find((l) => l.port === 443)!;
  const answer = (r: { statusCode: string; contentType: string; body: string }) => ({
    type: "fixed-response",
    fixed_response: { status_code: r.statusCode, content_type: r.contentType, message_body: r.body },
  });
  const forward = { type: "forward", target_group_arn: ref("aws_lb_target_group", onlyResourceName(json, "aws_lb_target_group"), "arn") };
  /** Each rule as "paths | sources -> action" for compact expectations. */
  const summary = (j: TerraformJson) =>
    rulesOf(j).map((r) => {
      const paths = r.condition.find((c) => c.path_pattern)?.path_pattern.values.join(" ");
      const sources = r.condition.find((c) => c.source_ip)?.source_ip.values.join(" ") ?? "anyone";
      const action = r.action[0].type === "forward" ? "forward" : (r.action[0].fixed_response as { status_code: string }).status_code;
      return `${r.priority}: ${paths} | ${sources} -> ${action}`;
    });

  test("closed by default: the listener answers the ALB's own 404 to every path no rule forwards, and only the static resources are forwarded", () => {
    expect(httpsListener(json).default_action).toEqual([answer(NOT_ROUTED)]);
    expect(summary(json)).toEqual([
      "10: */?2e?2e* */. | anyone -> 400",
      "20: */?2e?2E* | anyone -> 400",
      "30: */?2E?2e* | anyone -> 400",
      "40: */?2E?2E* | anyone -> 400",
      "50: */?2e/* */./* | anyone -> 400",
      "60: */.?2e* */..* | anyone -> 400",
      "70: */?2e.* */?2e | anyone -> 400",
      "80: */?2E/* */?2E | anyone -> 400",
      "90: */.?2E* | anyone -> 400",
      "100: */?2E.* | anyone -> 400",
      "110: /resources/* | anyone -> forward",
    ]);
    expect(rulesOf(json).every((r) => !r.condition.some((c) => c.path_pattern?.values.some((v) => v.startsWith("/admin") || v.includes(MASTER_REALM))))).toBe(true);
  });

  test("dot segments, literal or percent-encoded, are refused before any rule that forwards", () => {
    const rules = rulesOf(synthStack({ adminAllowedCidrs: ["198.51.100.0/24"], publicRealms: ["shop"] }));
    const refusing = rules.filter((r) => r.action[0].type === "fixed-response");
    expect(refusing.flatMap((r) => r.condition[0].path_pattern.values).sort()).toEqual([...DOT_SEGMENT_PATTERNS].sort());
    expect(refusing.every((r) => r.condition.length === 1 && r.action[0].fixed_response !== undefined)).toBe(true);
    expect(refusing.map((r) => r.action[0])).toEqual(refusing.map(() => answer(REFUSED_PATH)));
    const firstForward = rules.findIndex((r) => r.action[0].type === "forward");
    expect(Math.max(...refusing.map((r) => rules.indexOf(r)))).toBeLessThan(firstForward);
  });

  test("admin CIDRs get every path (the admin plane included) from those sources only; public realms are forwarded from anyone", () => {
    const custom = synthStack({ adminAllowedCidrs: ["198.51.100.0/24", "203.0.113.7/32"], publicRealms: ["shop", "staff"] });
    expect(summary(custom).slice(10)).toEqual([
      "110: /* | 198.51.100.0/24 203.0.113.7/32 -> forward",
      "120: /resources/* /realms/shop/* /realms/staff/* | anyone -> forward",
    ]);
    expect(rulesOf(custom).slice(10).map((r) => r.action)).toEqual([[forward], [forward]]);
    expect(httpsListener(custom).default_action).toEqual([answer(NOT_ROUTED)]);
  });

  test("at the config's maxima every rule fits the ALB: 5 values and 5 wildcards per rule, 3 values per condition, unique priorities, under 100 rules", () => {
    const realms = Array.from({ length: MAX_PUBLIC_REALMS }, (_, i) => `realm-${i}`);
    const admins = Array.from({ length: MAX_ADMIN_CIDRS }, (_, i) => `198.51.${100 + i}.0/24`);
    const rules = rulesOf(synthStack({ adminAllowedCidrs: admins, publicRealms: realms }));
    const values = (r: Rule) => r.condition.map((c) => Object.values(c)[0].values);
    for (const rule of rules) {
      expect(values(rule).flat().length).toBeLessThanOrEqual(ALB_VALUES_PER_RULE);
      for (const v of values(rule)) expect(v.length).toBeLessThanOrEqual(ALB_VALUES_PER_CONDITION);
      expect(values(rule).flat().reduce((n, v) => n + wildcardsIn(v), 0)).toBeLessThanOrEqual(ALB_WILDCARDS_PER_RULE);
    }
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
    expect(rules.flatMap((r) => r.condition[0].path_pattern.values)).toEqual(expect.arrayContaining(realms.map((r) => `/realms/${r}/*`)));
    // Every admin source still gets every path, from its own rule.
    expect(rules.filter((r) => r.condition[1]?.source_ip).flatMap((r) => r.condition[1].source_ip.values).sort()).toEqual([...admins].sort());
    expect(rules.length).toBe(29);
    expect(rules.length).toBeLessThan(ALB_RULES_PER_LOAD_BALANCER);
  });

  test("patterns are packed fullest first into as few groups as the wildcard and value limits allow, and a pattern no rule can hold is refused", () => {
    expect(packPatterns(["*/a*", "/b", "*/c/*/?*", "/d/*"], 3)).toEqual([["*/c/*/?*", "/d/*", "/b"], ["*/a*"]]);
    expect(packPatterns(["/a", "/b", "/c", "/d"], 3)).toEqual([["/a", "/b", "/c"], ["/d"]]);
    expect(() => packPatterns(["*/*/*/*/*/*"], 3)).toThrow("path pattern */*/*/*/*/* holds 6 wildcards; an ALB rule holds at most 5");
  });

  test("a forward rule depends on every refusal rule, and the service on the listener and all its rules", () => {
    const j = synthStack({ adminAllowedCidrs: ["198.51.100.0/24"], publicRealms: ["shop"] });
    const named = Object.entries(resourcesOf(j, "aws_lb_listener_rule")) as unknown as [string, Rule][];
    const refusals = named.filter(([, r]) => r.action[0].type === "fixed-response").map(([name]) => `aws_lb_listener_rule.${name}`);
    const forwards = named.filter(([, r]) => r.action[0].type === "forward");
    expect(refusals.length).toBe(10);
    expect(forwards.length).toBe(2);
    for (const [, rule] of forwards) expect([...(rule.depends_on ?? [])].sort()).toEqual([...refusals].sort());
    for (const [name, rule] of named) if (rule.action[0].type !== "forward") expect({ name, depends_on: rule.depends_on }).toEqual({ name, depends_on: undefined });
    const service = onlyResource(j, "aws_ecs_service") as { depends_on: string[] };
    const listener = `aws_lb_listener.${Object.entries(resourcesOf(j, "aws_lb_listener")).find(([, l]) => l.port === 443)![0]}`;
    expect(service.depends_on).toEqual(expect.arrayContaining([listener, ...named.map(([name]) => `aws_lb_listener_rule.${name}`)]));
  });

  test("adminPublic forwards everything with no rules and synth warns naming the setting; the dev profile sets it", () => {
    for (const settings of [{ adminPublic: true }, { profile: "dev" }]) {
      const app = Testing.app();
      const stack = new KeycloakStack(app, "keycloak-test", testConfig(settings));
      const open = JSON.parse(Testing.synth(stack)) as TerraformJson;
      expect(httpsListener(open).default_action).toEqual([forward]);
      expect(resourcesOf(open, "aws_lb_listener_rule")).toEqual({});
      const warnings = stack.node.findAll().flatMap((c) => c.node.metadata).filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
      expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining("adminPublic (env KEYCLOAK_ADMIN_PUBLIC) is true")]));
    }
  });

  test("a closed listener adds no warning about the admin plane", () => {
    const app = Testing.app();
    const stack = new KeycloakStack(app, "keycloak-test", testConfig());
    Testing.synth(stack);
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata).filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings.filter((w) => w.includes("adminPublic"))).toEqual([]);
  });
});
