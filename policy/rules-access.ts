/** Policy rules on who may do what: IAM, secrets, and the admin plane behind the ALB (rules.ts lists them all). */
import { pathPatternRegex } from "./alb-rules";
import { ADMIN_PLANE_SAMPLES, change, each, forEach, httpListener, httpsListener, named, type Res, type Rule } from "./rule-kit";

/** The shape whose stack forwards the admin plane to an allow-list, and that rule. */
const ADMIN_LIST = "ARM64, prebuilt image, admin allow-list";
const adminRule = (r: Res) => ((r.condition as Res[] | undefined) ?? []).some((c) => c.source_ip !== undefined);
/** The rule that forwards the static resources from anywhere. */
const staticRule = (r: Res) => JSON.stringify(r.condition).includes("/resources/*");

export const ACCESS_RULES: readonly Rule[] = [
  {
    id: "IAM_NO_ADMIN_WILDCARD",
    checkov: { id: "CKV_AWS_62", source: "resource/aws/IAMAdminPolicyDocument.py" },
    rationale: "No policy allows `*` actions (or every action of a service, `svc:*`) on `*` resources.",
    check: (json) =>
      ["aws_iam_role_policy", "aws_iam_policy"].flatMap((type) =>
        each(json, type).flatMap(([resource, r]) => {
          const statements = ([] as Res[]).concat(JSON.parse(String(r.policy)).Statement ?? []);
          const wide = statements.some((s) => {
            const actions = ([] as unknown[]).concat(s.Action);
            const resources = ([] as unknown[]).concat(s.Resource);
            return s.Effect === "Allow" && actions.some((a) => a === "*" || String(a).endsWith(":*")) && resources.includes("*");
          });
          return wide ? [{ resource, message: "allows * on *" }] : [];
        }),
      ),
    bad: [
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Action"], "*", "every action on every resource", { pick: named("execution-policy") }),
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Action", 0], "ecr:*", "every ECR action on every resource", { pick: named("execution-policy") }),
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Action", 1], "*", "a * added next to a specific action", { pick: named("execution-policy") }),
      change("aws_iam_policy", [], { policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) }, "a managed policy with a single * statement"),
    ],
    accepts: [
      change("aws_iam_role_policy", ["policy", "Statement", 0], { Effect: "Deny", Action: "*", Resource: "*" }, "a deny of everything", { pick: named("execution-policy") }),
      change("aws_iam_role_policy", ["policy", "Statement", 1, "Action"], "*", "every action on one repository", { pick: named("execution-policy") }),
    ],
  },
  {
    id: "SECRETS_RECOVERY_WINDOW",
    rationale: "A deleted secret can be restored for a week.",
    check: forEach("aws_secretsmanager_secret", (r) => !(Number(r.recovery_window_in_days) >= 7) && `recovery_window_in_days ${r.recovery_window_in_days}`),
    bad: [
      change("aws_secretsmanager_secret", ["recovery_window_in_days"], 0, "deleted at once"),
      change("aws_secretsmanager_secret", ["recovery_window_in_days"], 6, "six days"),
    ],
  },
  {
    id: "NO_LITERAL_SECRET_VERSIONS",
    rationale: "Terraform never holds Keycloak's passwords: no secret version with a literal value (not even a write-only one: it is in the code).",
    check: forEach("aws_secretsmanager_secret_version", (r) =>
      ["secret_string", "secret_binary", "secret_string_wo"].some((field) => r[field] !== undefined) && "secret value in Terraform"),
    bad: [
      change("aws_secretsmanager_secret_version", [], { secret_id: "x", secret_string: "{\"password\":\"x\"}" }, "a secret version with its value"),
      change("aws_secretsmanager_secret_version", [], { secret_id: "x", secret_binary: "aHVudGVyMg==" }, "a binary secret version"),
      change("aws_secretsmanager_secret_version", [], { secret_id: "x", secret_string_wo: "hunter2", secret_string_wo_version: 1 }, "a write-only secret version"),
    ],
  },
  {
    id: "ALB_ADMIN_PLANE_CLOSED",
    rationale: "The admin console, the admin API and the master realm are not forwarded from the internet: no listener forwards by default (HTTPS answers 404, HTTP redirects), and only rules limited to adminAllowedCidrs forward them.",
    check: (json, shape) => [
      // Any listener: an HTTP listener that forwards by default opens the admin plane as well, in plain text.
      ...forEach("aws_lb_listener", (r) => ((r.default_action as Res[] | undefined) ?? []).some((a) => a.type === "forward") && `the ${r.protocol} listener forwards everything by default`)(json, shape),
      ...forEach("aws_lb_listener_rule", (r) => {
        const conditions = (r.condition as Res[] | undefined) ?? [];
        const valuesOf = (key: string) => conditions.flatMap((c) => ((c[key] as { values?: string[] } | undefined)?.values ?? []));
        const paths = valuesOf("path_pattern");
        const reachesAdmin = paths.length === 0 || paths.some((p) => ADMIN_PLANE_SAMPLES.some((sample) => new RegExp(pathPatternRegex(p)).test(sample)));
        const fromAnywhere = valuesOf("source_ip").length === 0 || valuesOf("source_ip").some((cidr) => cidr.endsWith("/0"));
        const forwards = ((r.action as Res[] | undefined) ?? []).some((a) => a.type === "forward");
        return forwards && reachesAdmin && fromAnywhere && `forwards the admin plane from anywhere (${paths.join(" ")})`;
      })(json, shape),
    ],
    bad: [
      change("aws_lb_listener", ["default_action"], (r: Res) => [{ type: "forward", target_group_arn: (r.default_action as Res[])[0]?.target_group_arn ?? "tg" }], "the HTTPS listener forwards by default", { pick: httpsListener }),
      change("aws_lb_listener", ["default_action"], [{ type: "forward", target_group_arn: "tg" }], "the HTTP listener forwards by default instead of redirecting", { pick: httpListener }),
      change("aws_lb_listener", ["default_action"], [{ type: "authenticate-oidc", order: 1 }, { type: "forward", order: 2, target_group_arn: "tg" }], "the HTTPS listener signs users in, then forwards by default", { pick: httpsListener }),
      change("aws_lb_listener_rule", ["condition"], (r: Res) => (r.condition as Res[]).filter((c) => c.source_ip === undefined), "an admin rule loses its source restriction", { shape: ADMIN_LIST, pick: adminRule }),
      change("aws_lb_listener_rule", ["condition", 1, "source_ip", "values"], ["198.51.100.0/24", "0.0.0.0/0"], "an admin rule adds 0.0.0.0/0 to its sources", { shape: ADMIN_LIST, pick: adminRule }),
      change("aws_lb_listener_rule", ["condition", 1, "source_ip", "values"], ["::/0"], "an admin rule's source becomes every IPv6 address", { shape: ADMIN_LIST, pick: adminRule }),
      change("aws_lb_listener_rule", ["condition"], [{ host_header: { values: ["*.example.com"] } }], "a forward rule matches a host, not a path", { pick: staticRule }),
      change("aws_lb_listener_rule", ["condition", 0, "path_pattern", "values"], ["/resources/*", "/realms/master/*"], "the static rule also forwards the master realm", { pick: staticRule }),
      change("aws_lb_listener_rule", ["condition", 0, "path_pattern", "values"], ["/admin/*"], "the static rule forwards the admin API and console", { pick: staticRule }),
    ],
    accepts: [
      change("aws_lb_listener_rule", ["condition", 0, "path_pattern", "values"], ["/admin/*"], "a rule on the admin paths answers by itself, without forwarding", { pick: named("rule-100") }),
      change("aws_lb_listener_rule", ["condition", 1, "source_ip", "values"], ["198.51.100.0/24", "203.0.113.0/24"], "an admin rule lists a second narrow source", { shape: ADMIN_LIST, pick: adminRule }),
    ],
  },
];
