/** IAM and ECR: what the task execution role needs to start a task, and the documents' limits. */
import { change, CONTAINER, DOCS, each, forEach, type AwsRule, type Res, type Violation } from "./kit";
import { containers } from "../rule-kit";
import type { TerraformJson } from "../../modules/synth";

interface Statement { Effect: string; Action: string | string[]; Resource: string | string[] }
const statements = (policy: unknown): Statement[] => [(JSON.parse(String(policy)) as { Statement: Statement | Statement[] }).Statement].flat();
const list = (v: string | string[]) => [v].flat();

/** Does the policy allow `action` on `resource` (exact, `*`, or a trailing `*` pattern)? */
function allows(policy: unknown, action: string, resource: string): boolean {
  const matches = (pattern: string, value: string) => pattern === "*" || pattern === value || (pattern.endsWith("*") && value.startsWith(pattern.slice(0, -1)));
  return statements(policy).some((s) => s.Effect === "Allow" && list(s.Action).some((a) => matches(a, action)) && list(s.Resource).some((r) => matches(r, resource)));
}

/** Each task definition with its execution role's inline policy text. */
function executionPolicies(json: TerraformJson): { resource: string; task: Res; policy: string | undefined; policyResource: string | undefined }[] {
  return each(json, "aws_ecs_task_definition").map(([resource, task]) => {
    const role = /^\$\{aws_iam_role\.([^.}]+)\.arn\}$/.exec(String(task.execution_role_arn))?.[1];
    const found = each(json, "aws_iam_role_policy").find(([, p]) => p.role === `\${aws_iam_role.${role}.id}` || p.role === `\${aws_iam_role.${role}.name}`);
    return { resource, task, policy: found && String(found[1].policy), policyResource: found?.[0] };
  });
}

/** The ECR repository an image comes from, as an ARN (or a reference to one), or undefined outside ECR. */
function repositoryOf(json: TerraformJson, image: string): string | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(image);
  if (m) return `arn:aws:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
  const repo = each(json, "aws_ecr_repository").find(([resource]) => image.includes(`\${${resource}.repository_url}`));
  if (repo) return `\${${repo[0]}.arn}`;
  // The built image's URI is the build's output; the stack's own repository is the only one it pushes to.
  if (image.includes("${null_resource.") && each(json, "aws_ecr_repository").length === 1) return `\${${each(json, "aws_ecr_repository")[0][0]}.arn}`;
  return undefined;
}

const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

export const IAM_ECR_RULES: readonly AwsRule[] = [
  {
    id: "ecs-execution-role-pulls",
    resource: "aws_iam_role_policy of the task execution role",
    rule: "an image in private ECR needs ecr:GetAuthorizationToken on * (it has no resource-level permission) and ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability on the repository; otherwise CannotPullContainerError",
    source: `${DOCS.ecsExecutionRole}; ${DOCS.ecrActions}`,
    adjustable: false,
    check: (json) =>
      executionPolicies(json).flatMap(({ resource, task, policy }): Violation[] =>
        containers(task, resource).flatMap((c) => {
          const repository = repositoryOf(json, String(c.image));
          if (!repository) return [];
          const missing = [["ecr:GetAuthorizationToken", "*"] as const, ...PULL_ACTIONS.map((a) => [a, repository] as const)].filter(([a, r]) => !policy || !allows(policy, a, r));
          return missing.length > 0 ? [{ resource, message: `container ${String(c.name)} cannot pull ${String(c.image)}: no ${missing.map(([a]) => a).join(", ")}` }] : [];
        }),
      ),
    bad: [
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Resource"], ["arn:aws:ecr:eu-west-1:123456789012:repository/other"], "the token action scoped to a repository",
        { pick: (_r, n) => n.includes("execution"), shape: "ARM64, prebuilt image, admin allow-list" }),
      change("aws_iam_role_policy", ["policy", "Statement", 1, "Action"], ["ecr:BatchGetImage"], "no GetDownloadUrlForLayer", { pick: (_r, n) => n.includes("execution") }),
      change("aws_iam_role_policy", ["policy", "Statement", 1, "Resource"], ["arn:aws:ecr:eu-west-1:123456789012:repository/other"], "the layer actions on another repository",
        { pick: (_r, n) => n.includes("execution"), shape: "ARM64, prebuilt image, admin allow-list" }),
    ],
  },
  {
    id: "ecs-execution-role-logs-and-secrets",
    resource: "aws_iam_role_policy of the task execution role",
    rule: "awslogs needs logs:CreateLogStream and logs:PutLogEvents on the group; each secret in the task definition needs secretsmanager:GetSecretValue on it",
    source: DOCS.ecsExecutionRole,
    adjustable: false,
    check: (json) =>
      executionPolicies(json).flatMap(({ resource, task, policy }) =>
        containers(task, resource).flatMap((c) => {
          const group = ((c.logConfiguration as Res | undefined)?.options as Res | undefined)?.["awslogs-group"];
          const groupArn = each(json, "aws_cloudwatch_log_group").find(([r]) => group === `\${${r}.name}`)?.[0];
          const needs = [
            ...(groupArn ? ["logs:CreateLogStream", "logs:PutLogEvents"].map((a) => [a, `\${${groupArn}.arn}:*`] as const) : []),
            ...((c.secrets as Res[] | undefined) ?? []).map((s) => ["secretsmanager:GetSecretValue", String(s.valueFrom).replace(/:[^:]*::$/, "")] as const),
          ];
          const missing = needs.filter(([a, r]) => !policy || !allows(policy, a, r));
          return missing.length > 0 ? [{ resource, message: `container ${String(c.name)}: no ${missing.map(([a, r]) => `${a} on ${r}`).join(", ")}` }] : [];
        }),
      ),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "secrets", 0, "valueFrom"], "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other:username::", "a secret the role may not read"),
      change("aws_ecs_task_definition", [...CONTAINER, "logConfiguration", "options", "awslogs-group"], (_r: Res, json: TerraformJson) => `\${${each(json, "aws_cloudwatch_log_group").find(([, g]) => String(g.name).startsWith("/vpc/"))![0]}.name}`, "logs to a group the role may not write"),
    ],
  },
  {
    id: "ecs-service-waits-for-execution-role",
    resource: "aws_ecs_service.depends_on",
    rule: "tasks start only once the execution role's policy exists (IAM is eventually consistent; a task started before it cannot pull, log or read its secrets and trips the circuit breaker)",
    source: DOCS.ecsExecutionRole,
    adjustable: false,
    check: (json) =>
      each(json, "aws_ecs_service").flatMap(([resource, s]) => {
        const policies = executionPolicies(json).map((p) => p.policyResource).filter((p) => p !== undefined);
        const waits = (s.depends_on as string[] | undefined) ?? [];
        return policies.filter((p) => !waits.includes(p)).map((p) => ({ resource, message: `does not wait for ${p}` }));
      }),
    bad: [change("aws_ecs_service", ["depends_on"], (r: Res) => (r.depends_on as string[]).filter((d) => !d.startsWith("aws_iam_role_policy")), "the dependency removed")],
  },
  {
    id: "iam-document-sizes",
    resource: "aws_iam_role.assume_role_policy, aws_iam_role_policy.policy",
    rule: "trust policy at most 2048 characters; a role's inline policies together at most 10240 characters (whitespace not counted)",
    source: DOCS.iamQuotas,
    adjustable: true,
    check: (json, shape) => {
      const size = (text: unknown) => String(text).replace(/\s/g, "").length;
      const trust = forEach("aws_iam_role", (r) => size(r.assume_role_policy) > 2048 && `trust policy of ${size(r.assume_role_policy)} characters`)(json, shape);
      const perRole = new Map<string, [string, number]>();
      for (const [resource, p] of each(json, "aws_iam_role_policy")) {
        const [first, n] = perRole.get(String(p.role)) ?? [resource, 0];
        perRole.set(String(p.role), [first, n + size(p.policy)]);
      }
      return [...trust, ...[...perRole.values()].filter(([, n]) => n > 10240).map(([resource, n]) => ({ resource, message: `${n} characters of inline policy` }))];
    },
    bad: [change("aws_iam_role_policy", ["policy", "Statement", 0, "Resource"], Array.from({ length: 300 }, (_, i) => `arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/k${i}:*`), "300 log group ARNs")],
  },
  {
    id: "ecr-lifecycle-policy",
    resource: "aws_ecr_lifecycle_policy.policy",
    rule: "100-30720 characters; rule priorities unique; a tagStatus any rule has the highest priority number; tagged rules name tagPrefixList or tagPatternList",
    source: `${DOCS.ecrLifecycle}; ${DOCS.ecrLifecycleRules}`,
    adjustable: false,
    check: forEach("aws_ecr_lifecycle_policy", (r) => {
      const text = String(r.policy);
      if (text.length < 100 || text.length > 30720) return `${text.length} characters`;
      const rules = (JSON.parse(text) as { rules: { rulePriority: number; selection: Res }[] }).rules;
      const priorities = rules.map((x) => x.rulePriority);
      if (new Set(priorities).size !== priorities.length) return "two rules share a priority";
      const any = rules.find((x) => x.selection.tagStatus === "any");
      if (any && any.rulePriority !== Math.max(...priorities)) return "the tagStatus any rule is not last";
      return rules.some((x) => x.selection.tagStatus === "tagged" && !x.selection.tagPrefixList && !x.selection.tagPatternList) && "a tagged rule without a tag list";
    }),
    bad: [
      change("aws_ecr_lifecycle_policy", ["policy", "rules", 1], { rulePriority: 2, selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }, action: { type: "expire" } }, "an untagged rule after tagStatus any"),
      change("aws_ecr_lifecycle_policy", ["policy", "rules", 0, "selection", "tagStatus"], "tagged", "a tagged rule without a tag list"),
    ],
  },
  {
    id: "ecr-repository-settings",
    resource: "aws_ecr_repository.image_tag_mutability",
    rule: "MUTABLE or IMMUTABLE (provider 5.x)",
    source: DOCS.ecrCreate,
    adjustable: false,
    check: forEach("aws_ecr_repository", (r) => r.image_tag_mutability !== undefined && !["MUTABLE", "IMMUTABLE"].includes(String(r.image_tag_mutability)) && `mutability ${String(r.image_tag_mutability)}`),
    bad: [change("aws_ecr_repository", ["image_tag_mutability"], "READONLY", "READONLY")],
  },
];
