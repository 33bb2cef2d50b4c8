import { onlyResource, onlyResourceName, resourcesOf, rulesOf, synthStack, ref, nameOf } from "./support/synth";
import { HEALTH_READY_PATH, PORTS } from "../modules/constants";

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
    const ingress = rulesOf(json, nameOf(json, "aws_security_group", "-alb")).filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => `${r.from_port}:${r.cidr_ipv4}`).sort()).toEqual(["443:0.0.0.0/0", "80:0.0.0.0/0"]);
  });

  test("the ALB ingress CIDRs are configurable", () => {
    const custom = synthStack({ albIngressCidrs: ["198.51.100.0/24", "203.0.113.0/24"] });
    const ingress = rulesOf(custom, nameOf(custom, "aws_security_group", "-alb")).filter((r) => r.direction === "ingress");
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
    expect(tg.health_check).toMatchObject({ port: String(PORTS.management), path: HEALTH_READY_PATH, matcher: "200", healthy_threshold: 2, unhealthy_threshold: 3 });
    expect(tg.stickiness).toMatchObject({ enabled: true, type: "lb_cookie" });
  });

  test("without an admin allow-list there are no listener rules", () => {
    expect(resourcesOf(json, "aws_lb_listener_rule")).toEqual({});
  });

  test("an admin allow-list forwards /admin/* from the listed CIDRs and answers 403 to everyone else", () => {
    const custom = synthStack({ adminAllowedCidrs: ["198.51.100.0/24"] });
    const rules = Object.values(resourcesOf(custom, "aws_lb_listener_rule")).sort((a, b) => Number(a.priority) - Number(b.priority));
    expect(rules).toHaveLength(2);
    expect(rules[0].condition).toEqual([
      { path_pattern: { values: ["/admin/*"] } },
      { source_ip: { values: ["198.51.100.0/24"] } },
    ]);
    expect((rules[0].action as { type: string }[])[0].type).toBe("forward");
    expect(rules[1].condition).toEqual([{ path_pattern: { values: ["/admin/*"] } }]);
    expect((rules[1].action as { fixed_response: { status_code: string } }[])[0].fixed_response.status_code).toBe("403");
  });
});
