import { onlyResource, resourcesOf, synthStack } from "../../modules/synth";

type Statement = { Action: string[]; Resource: string[] };
const executionPolicy = (json: ReturnType<typeof synthStack>) => {
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => String(p.role).includes("execution-role"))!;
  return (JSON.parse(String(policy.policy)) as { Statement: Statement[] }).Statement;
};

/** Issue 21, items 4 and 7: what a task needs before it starts, which a plan does not check. */
describe("the task execution role", () => {
  test("a prebuilt image in private ECR: the execution role may pull from exactly that repository", () => {
    const uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/keycloak:26.7.3";
    const statements = executionPolicy(synthStack({ imageUri: uri }));
    expect(statements).toContainEqual({ Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] });
    expect(statements).toContainEqual({
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Resource: ["arn:aws:ecr:eu-west-1:123456789012:repository/team/keycloak"],
    });
    // A public image needs no ECR permission at all.
    const open = executionPolicy(synthStack({ imageUri: "quay.io/keycloak/keycloak:26.7.3" }));
    expect(open.flatMap((s) => s.Action).filter((a) => a.startsWith("ecr:"))).toEqual([]);
  });

  test("the ECS service waits for its execution-role policy and, in endpoints mode, for the endpoints", () => {
    const json = synthStack();
    const service = onlyResource(json, "aws_ecs_service");
    const policy = Object.keys(resourcesOf(json, "aws_iam_role_policy")).find((n) => n.includes("execution-policy"))!;
    expect(service.depends_on).toContain(`aws_iam_role_policy.${policy}`);
    const endpoints = synthStack({ egressMode: "endpoints" });
    const names = Object.keys(resourcesOf(endpoints, "aws_vpc_endpoint"));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(onlyResource(endpoints, "aws_ecs_service").depends_on).toContain(`aws_vpc_endpoint.${n}`);
  });
});
