/** Policy rules on the load balancer: TLS, redirects, headers, what the ALB exposes and the target group's health check (rules.ts lists them all). */
import { HEALTH_READY_PATH, PORTS } from "../modules/shared/constants";
import { REMOVED } from "./mutation";
import { ALB_ACCESS_LOGS_SHAPE } from "./shapes";
import { TLS_1_2_PLUS, change, forEach, httpListener, httpsListener, type Res, type Rule } from "./rule-kit";

export const EDGE_RULES: readonly Rule[] = [
  {
    id: "ALB_DROP_INVALID_HEADERS",
    checkov: { id: "CKV_AWS_131", source: "resource/aws/ALBDropHttpHeaders.py" },
    rationale: "Header fields with invalid characters are a request-smuggling vector; the ALB drops them.",
    check: forEach("aws_lb", (r) => r.drop_invalid_header_fields !== true && "drop_invalid_header_fields is not true"),
    bad: [
      change("aws_lb", ["drop_invalid_header_fields"], false, "headers kept"),
      change("aws_lb", ["drop_invalid_header_fields"], REMOVED, "setting left to the default"),
    ],
  },
  {
    id: "ALB_HTTPS_MODERN_TLS",
    checkov: { id: "CKV_AWS_103", source: "graph_checks/aws/AppLoadBalancerTLS12.yaml" },
    rationale: "HTTPS listeners allow only TLS 1.2 and 1.3 (ELBSecurityPolicy-TLS13-*).",
    check: forEach("aws_lb_listener", (r) => r.protocol === "HTTPS" && !TLS_1_2_PLUS.test(String(r.ssl_policy)) && `ssl_policy ${r.ssl_policy}`),
    bad: [
      change("aws_lb_listener", ["ssl_policy"], "ELBSecurityPolicy-2016-08", "an old policy", { pick: httpsListener }),
      change("aws_lb_listener", ["ssl_policy"], "ELBSecurityPolicy-TLS13-1-0-2021-06", "a TLS 1.3 policy that still allows TLS 1.0", { pick: httpsListener }),
      change("aws_lb_listener", ["ssl_policy"], REMOVED, "no policy (the provider default is 2016-08)", { pick: httpsListener }),
    ],
  },
  {
    id: "ALB_HTTP_ONLY_REDIRECTS",
    checkov: { id: "CKV_AWS_2", source: "resource/aws/ALBListenerHTTPS.py" },
    rationale: "Plain HTTP never reaches Keycloak: the HTTP listener only answers 301 to HTTPS.",
    check: forEach("aws_lb_listener", (r) => {
      if (r.protocol === "HTTPS") return false;
      const actions = (r.default_action as Res[] | undefined) ?? [];
      const ok = actions.length === 1 && actions[0].type === "redirect" &&
        (actions[0].redirect as Res)?.protocol === "HTTPS" && (actions[0].redirect as Res)?.status_code === "HTTP_301";
      return !ok && `${r.protocol} listener does not only redirect to HTTPS with 301`;
    }),
    bad: [
      change("aws_lb_listener", ["default_action", 0, "type"], "forward", "HTTP forwarded", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 0, "redirect", "protocol"], "HTTP", "redirect to plain HTTP", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 0, "redirect", "status_code"], "HTTP_302", "temporary 302 redirect", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 0, "redirect"], REMOVED, "a redirect action without its target", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 1], { type: "fixed-response" }, "a second action", { pick: httpListener }),
      change("aws_lb_listener", ["protocol"], "HTTP", "the forwarding listener on plain HTTP", { pick: httpsListener }),
    ],
  },
  {
    id: "ALB_ACCESS_LOGS",
    checkov: { id: "CKV_AWS_91", source: "resource/aws/ELBv2AccessLogs.py" },
    rationale: "The ALB logs every request to S3 (albAccessLogs): the address it saw, for cross-checking the one Keycloak records and for forensics.",
    check: forEach("aws_lb", (r) => (r.access_logs as Res | undefined)?.enabled !== true && "access logs are off"),
    bad: [
      change("aws_lb", ["access_logs", "enabled"], false, "logging turned off", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_lb", ["access_logs"], REMOVED, "no access_logs block", { shape: ALB_ACCESS_LOGS_SHAPE }),
    ],
  },
  {
    id: "ALB_NO_HEALTH_OR_METRICS_EXPOSED",
    rationale: "The target group sends traffic to Keycloak's HTTP port only; health and metrics stay on the management port, which the ALB only probes.",
    check: forEach("aws_lb_target_group", (r) => r.port === PORTS.management && "target group forwards traffic to the management port"),
    bad: [change("aws_lb_target_group", ["port"], PORTS.management, "traffic to the management port")],
  },
  {
    id: "TG_HEALTH_ON_MANAGEMENT_READY",
    rationale: "Health checks on 8080 / or /health restart-loop Keycloak 25+; readiness lives on 9000 /health/ready.",
    check: forEach("aws_lb_target_group", (r) => {
      const hc = (r.health_check as Res | undefined) ?? {};
      return (hc.port !== String(PORTS.management) || hc.path !== HEALTH_READY_PATH) && `health check ${hc.port}${hc.path}`;
    }),
    bad: [
      change("aws_lb_target_group", ["health_check", "port"], "traffic-port", "checked on the traffic port"),
      change("aws_lb_target_group", ["health_check", "path"], "/health", "checked on /health"),
      change("aws_lb_target_group", ["health_check", "path"], "/health/live", "checked for liveness, not readiness"),
    ],
  },
];
