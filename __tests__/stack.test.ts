import { keycloakContainer, onlyResource, onlyResourceName, resourcesOf, rulesOf, synthStack, ref, nameOf } from "../modules/synth";
import { PORTS } from "../modules/shared/constants";

describe("KeycloakStack wiring", () => {
  const json = synthStack();
  const container = keycloakContainer(json);

  test("the target group's health check port is the management port the task definition exposes", () => {
    const tg = onlyResource(json, "aws_lb_target_group") as { health_check: { port: string } };
    const ports = (container.portMappings as { containerPort: number }[]).map((p) => p.containerPort);
    expect(ports).toContain(Number(tg.health_check.port));
    expect(Number(tg.health_check.port)).toBe(PORTS.management);
    const env = Object.fromEntries(container.environment.map((e) => [e.name, e.value]));
    expect(env.KC_HTTP_MANAGEMENT_PORT).toBe(tg.health_check.port);
  });

  test("the ALB may reach the tasks' HTTP and management ports, which the tasks' group allows from the ALB's group", () => {
    const albSg = nameOf(json, "aws_security_group", "-alb");
    const egressPorts = rulesOf(json, albSg).filter((r) => r.direction === "egress").map((r) => r.from_port).sort();
    expect(egressPorts).toEqual([PORTS.http, PORTS.management].sort());
    const taskIngress = rulesOf(json, nameOf(json, "aws_security_group", "-keycloak")).filter(
      (r) => r.referenced_security_group_id === ref("aws_security_group", albSg, "id"),
    );
    expect(taskIngress.map((r) => r.from_port).sort()).toEqual(egressPorts);
  });

  test("JGroups 7800 and 57800 are self-referencing rules of the tasks' security group, both directions", () => {
    const sg = nameOf(json, "aws_security_group", "-keycloak");
    const self = rulesOf(json, sg).filter((r) => r.referenced_security_group_id === ref("aws_security_group", sg, "id"));
    expect(self.map((r) => `${r.direction}:${r.from_port}`).sort()).toEqual(
      [`egress:${PORTS.jgroups}`, `egress:${PORTS.jgroupsFailureDetection}`, `ingress:${PORTS.jgroups}`, `ingress:${PORTS.jgroupsFailureDetection}`].sort(),
    );
  });

  test("the tasks get their secrets by ARN and the execution role may read exactly those secrets", () => {
    const arns = container.secrets.map((s) => s.valueFrom.replace(/:(username|password)::$/, ""));
    // The permanent admin's secret is the operators' alone (see secrets.test.ts).
    const secretArns = Object.keys(resourcesOf(json, "aws_secretsmanager_secret"))
      .filter((n) => !n.includes("permanent-admin"))
      .map((n) => ref("aws_secretsmanager_secret", n, "arn"));
    expect([...new Set(arns)].sort()).toEqual(secretArns.sort());
    const task = onlyResource(json, "aws_ecs_task_definition");
    const roleName = String(task.execution_role_arn).match(/aws_iam_role\.([^.]+)\.arn/)![1];
    const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.role === ref("aws_iam_role", roleName, "id"))!;
    const statements = JSON.parse(String(policy.policy)).Statement as { Action: string[]; Resource: string[] }[];
    const secretStatement = statements.find((s) => s.Action.includes("secretsmanager:GetSecretValue"))!;
    expect([...secretStatement.Resource].sort()).toEqual(secretArns.sort());
  });

  test("autoscaling's request metric points at this ALB and target group", () => {
    const policy = Object.values(resourcesOf(json, "aws_appautoscaling_policy")).find((p) => JSON.stringify(p).includes("ALBRequestCountPerTarget"))!;
    const label = (policy.target_tracking_scaling_policy_configuration as { predefined_metric_specification: { resource_label: string } })
      .predefined_metric_specification.resource_label;
    expect(label).toBe(`${ref("aws_lb", onlyResourceName(json, "aws_lb"), "arn_suffix")}/${ref("aws_lb_target_group", onlyResourceName(json, "aws_lb_target_group"), "arn_suffix")}`);
  });

  test("the outputs give the URLs, the bastion, the database, the secrets, the registry the certificate's expiry, the alarm topic and the dashboard", () => {
    expect(Object.keys(json.output ?? {}).sort()).toEqual(
      [
        "admin_console_url", "alarm_topic_arn", "alb_dns_name", "certificate_expires_at", "dashboard_url", "bastion_ci_access_security_group_id", "bastion_private_key", "bastion_public_ip", "bastion_ssh_command", "db_endpoint",
        "db_master_secret_arn", "db_private_name", "ecr_repository_url", "ecs_cluster_name", "ecs_service_name",
        "keycloak_admin_secret_arn", "keycloak_db_secret_arn", "keycloak_image", "keycloak_log_group",
        "keycloak_permanent_admin_secret_arn", "keycloak_url",
      ].sort(),
    );
    expect(Object.entries(json.output ?? {}).filter(([, o]) => o.sensitive).map(([k]) => k)).toEqual(["bastion_private_key"]);
  });

  test("the S3 backend with encryption and a lock file is used only when a state bucket is configured", () => {
    expect(json.terraform?.backend).toBeUndefined();
    const remote = synthStack({ stateBucket: "my-tf-state" }, "prod");
    expect((remote.terraform?.backend as { s3: Record<string, unknown> }).s3).toMatchObject({
      bucket: "my-tf-state",
      key: "keycloak/prod.tfstate",
      encrypt: true,
      use_lockfile: true,
    });
  });
});
