import { onlyResource, resourcesOf, synthStack } from "../../modules/synth";

type Statement = { Action: string[]; Resource: string[] };
const executionPolicy = (json: ReturnType<typeof synthStack>) => {
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => String(p.role).includes("execution-role"))!;
  return (JSON.parse(String(policy.policy)) as { Statement: Statement[] }).Statement;
};

/** Issue 21, items 4, 6 and 7: what apply or the first run would find and a plan does not. */
describe("what AWS needs that a plan does not check", () => {
  const json = synthStack();

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

  test("the zones data source keeps only real availability zones (no Local or Wavelength Zones)", () => {
    const zones = Object.values(json.data?.aws_availability_zones ?? {})[0];
    expect(zones.filter).toEqual([{ name: "opt-in-status", values: ["opt-in-not-required"] }]);
  });

  test("RDS exports only logs the engine writes, into log groups we create first and that expire", () => {
    const db = onlyResource(json, "aws_db_instance");
    const exports = db.enabled_cloudwatch_logs_exports as string[];
    expect(exports).not.toContain("slowquery");
    const groups = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group"));
    for (const log of exports) {
      const found = groups.find(([, g]) => g.name === `/aws/rds/instance/keycloak-test-db/${log}`);
      expect(found).toBeDefined();
      expect(found![1].retention_in_days).toBe(30);
      expect(db.depends_on).toContain(`aws_cloudwatch_log_group.${found![0]}`);
    }
  });

  test("the final snapshot's name is unique per created instance and stable between plans", () => {
    const db = onlyResource(json, "aws_db_instance");
    const m = /^keycloak-test-db-final-\$\{null_resource\.([^.}]+)\.id\}$/.exec(String(db.final_snapshot_identifier));
    expect(m).not.toBeNull();
    // A random id made once with the instance's name (null_resource's id), not a timestamp that changes every plan.
    const suffix = resourcesOf(json, "null_resource")[m![1]];
    expect(suffix.triggers).toEqual({ identifier: "keycloak-test-db" });
    expect(JSON.stringify(suffix)).not.toContain("timestamp");
  });

  test("the ECS service waits for its execution-role policy and, in endpoints mode, for the endpoints", () => {
    const service = onlyResource(json, "aws_ecs_service");
    const policy = Object.keys(resourcesOf(json, "aws_iam_role_policy")).find((n) => n.includes("execution-policy"))!;
    expect(service.depends_on).toContain(`aws_iam_role_policy.${policy}`);
    const endpoints = synthStack({ egressMode: "endpoints" });
    const names = Object.keys(resourcesOf(endpoints, "aws_vpc_endpoint"));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(onlyResource(endpoints, "aws_ecs_service").depends_on).toContain(`aws_vpc_endpoint.${n}`);
  });
});
