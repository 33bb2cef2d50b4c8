import { keycloakContainer, onlyResource, onlyResourceName, resourcesOf, rulesOf, synthStack, ref, nameOf } from "../../modules/synth";
import { DB_SSL_MODE, FIRST_BOOT_TASK_COUNT, PORTS } from "../../modules/shared/constants";
import { readBuildOptions } from "../../modules/image/build-options";
import { TASK_LIFECYCLE } from "../../modules/service/task-lifecycle";
import { CONTAINER_HEALTH_CHECK_COMMAND } from "../../modules/service/keycloak-service";
import { DB_CONNECT_TIMEOUT_SECONDS, DB_POOL_VALIDATION } from "../../modules/service/db-failover";

describe("KeycloakService", () => {
  const json = synthStack();
  const container = keycloakContainer(json);
  const env = Object.fromEntries(container.environment.map((e) => [e.name, e.value]));
  const task = onlyResource(json, "aws_ecs_task_definition");
  const service = onlyResource(json, "aws_ecs_service") as Record<string, unknown> & { depends_on: string[] };

  test("the ECS cluster has Container Insights on", () => {
    expect(onlyResource(json, "aws_ecs_cluster").setting).toEqual([{ name: "containerInsights", value: "enabled" }]);
  });

  test("the task definition is Fargate, awsvpc, 1 vCPU / 2 GB on X86_64 by default", () => {
    expect(task).toMatchObject({ requires_compatibilities: ["FARGATE"], network_mode: "awsvpc", cpu: "1024", memory: "2048" });
    expect(task.runtime_platform).toEqual({ operating_system_family: "LINUX", cpu_architecture: "X86_64" });
    expect(onlyResource(synthStack({ cpuArchitecture: "ARM64", taskCpu: 2048, taskMemory: 4096 }), "aws_ecs_task_definition")).toMatchObject({
      cpu: "2048",
      memory: "4096",
      runtime_platform: { cpu_architecture: "ARM64" },
    });
  });

  test("the container exposes HTTP, management and both JGroups ports", () => {
    expect((container.portMappings as { containerPort: number }[]).map((p) => p.containerPort)).toEqual([
      PORTS.http, PORTS.management, PORTS.jgroups, PORTS.jgroupsFailureDetection,
    ]);
  });

  test("Keycloak runs behind the ALB: MySQL at the RDS endpoint, https hostname, xforwarded headers, HTTP enabled, build options repeated", () => {
    expect(env).toMatchObject({
      KC_DB: "mysql",
      KC_DB_URL: `jdbc:mysql://${ref("aws_db_instance", onlyResourceName(json, "aws_db_instance"), "address")}:3306/keycloak?characterEncoding=UTF-8&sslMode=VERIFY_IDENTITY`,
      KC_PROXY_HEADERS: "xforwarded",
      KC_HTTP_ENABLED: "true",
      KC_HEALTH_ENABLED: "true",
      KC_CACHE_STACK: "jdbc-ping",
      ...readBuildOptions(),
    });
    expect(env.KC_HOSTNAME).toBe(`https://${ref("aws_lb", onlyResourceName(json, "aws_lb"), "dns_name")}`);
    // Keycloak reads the trusted proxies as a comma-separated list: the ALB's subnets, one per zone.
    expect(env.KC_PROXY_TRUSTED_ADDRESSES.split(",")).toEqual(["10.0.0.0/20", "10.0.16.0/20"]);
  });

  test("the JDBC driver requires TLS and verifies chain and host name (sslMode=VERIFY_IDENTITY), against the RDS endpoint the certificate names", () => {
    const [, host, query] = /^jdbc:mysql:\/\/(.+):\d+\/[^?]+\?(.*)$/.exec(env.KC_DB_URL)!;
    const parameters = new URLSearchParams(query);
    expect(parameters.getAll("sslMode")).toEqual([DB_SSL_MODE]);
    expect(DB_SSL_MODE).toBe("VERIFY_IDENTITY");
    // Not the private CNAME db.<zone>: RDS certificates do not name it, VERIFY_IDENTITY would fail.
    expect(host).toBe(ref("aws_db_instance", onlyResourceName(json, "aws_db_instance"), "address"));
    // Nothing overrides the driver's truststore: it falls back to the JVM default Keycloak builds from conf/truststores.
    expect([...parameters.keys()].filter((key) => /trust|ssl|tls/i.test(key))).toEqual(["sslMode"]);
  });

  test("the admin console's own address (hostnameAdmin) reaches Keycloak as KC_HOSTNAME_ADMIN, and is absent by default", () => {
    expect(env.KC_HOSTNAME_ADMIN).toBeUndefined();
    const custom = keycloakContainer(synthStack({ hostnameAdmin: "https://admin.internal.example:8443" }));
    expect(custom.environment).toContainEqual({ name: "KC_HOSTNAME_ADMIN", value: "https://admin.internal.example:8443" });
  });

  test("every credential comes from Secrets Manager through secrets, never through environment", () => {
    const secretArn = (suffix: string) =>
      ref("aws_secretsmanager_secret", Object.entries(resourcesOf(json, "aws_secretsmanager_secret")).find(([, s]) => String(s.name_prefix).includes(suffix))![0], "arn");
    expect(container.secrets).toEqual([
      { name: "KC_DB_USERNAME", valueFrom: `${secretArn("db-user")}:username::` },
      { name: "KC_DB_PASSWORD", valueFrom: `${secretArn("db-user")}:password::` },
      { name: "KC_BOOTSTRAP_ADMIN_USERNAME", valueFrom: `${secretArn("bootstrap-admin")}:username::` },
      { name: "KC_BOOTSTRAP_ADMIN_PASSWORD", valueFrom: `${secretArn("bootstrap-admin")}:password::` },
    ]);
    expect(Object.keys(env).filter((n) => /PASSWORD|SECRET|TOKEN|USERNAME/.test(n))).toEqual([]);
  });

  test("the container health check asks liveness (not readiness) on the management port; root filesystem read-only with task storage for what Keycloak writes", () => {
    // Readiness would let ECS replace a survivor that Keycloak's split-brain check holds back.
    // Run for real in a container from the built image by __tests__/e2e/image.test.ts.
    expect((container.healthCheck as { command: string[] }).command).toEqual(CONTAINER_HEALTH_CHECK_COMMAND);
    expect(CONTAINER_HEALTH_CHECK_COMMAND.join(" ")).toContain(`/dev/tcp/127.0.0.1/${PORTS.management} && printf 'GET /health/live `);
    expect(container.readonlyRootFilesystem).toBe(true);
    expect((container.mountPoints as { containerPath: string }[]).map((m) => m.containerPath)).toEqual(["/opt/keycloak/data", "/tmp"]);
    expect((task.volume as { name: string }[]).map((v) => v.name)).toEqual(["opt-keycloak-data", "tmp"]);
    expect(container.privileged).toBe(false);
    expect((container.logConfiguration as { logDriver: string }).logDriver).toBe("awslogs");
  });

  test("the service keeps 2 tasks with rollback on failed deployments, deploys one extra task at a time (100/150 %) and has a start grace period, without ECS Exec", () => {
    expect(service).toMatchObject({
      launch_type: "FARGATE",
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 150,
      deployment_circuit_breaker: { enable: true, rollback: true },
      enable_execute_command: false,
      health_check_grace_period_seconds: 300,
    });
    expect(service.load_balancer).toEqual([
      { target_group_arn: ref("aws_lb_target_group", onlyResourceName(json, "aws_lb_target_group"), "arn"), container_name: "keycloak", container_port: PORTS.http },
    ]);
  });

  test("the container gets no AWS credentials: no task role, and no policy grants ECS Exec's SSM channels", () => {
    expect(task.task_role_arn).toBeUndefined();
    const policies = Object.values(resourcesOf(json, "aws_iam_role_policy")).map((p) => String(p.policy));
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) expect(policy).not.toContain("ssmmessages:");
  });

  test("the service starts only after the database setup, the image build and the HTTPS listener", () => {
    // The final snapshot's name suffix is a null_resource too, of the database alone.
    const nulls = Object.keys(resourcesOf(json, "null_resource")).filter((n) => !n.includes("final-snapshot")).map((n) => `null_resource.${n}`);
    expect(service.depends_on).toEqual(expect.arrayContaining(nulls));
    expect(nulls).toHaveLength(2);
    const https = Object.entries(resourcesOf(json, "aws_lb_listener")).filter(([, l]) => l.protocol === "HTTPS").map(([n]) => `aws_lb_listener.${n}`);
    expect(https).toHaveLength(1);
    expect(service.depends_on).toContain(https[0]);
  });

  test("tasks take 8080 and 9000 only from the ALB and the JGroups ports only from each other", () => {
    const sg = nameOf(json, "aws_security_group", "-keycloak");
    const self = ref("aws_security_group", sg, "id");
    const alb = ref("aws_security_group", nameOf(json, "aws_security_group", "-alb"), "id");
    const ingress = rulesOf(json, sg).filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => `${r.from_port}<-${r.referenced_security_group_id}`).sort()).toEqual(
      [`${PORTS.http}<-${alb}`, `${PORTS.management}<-${alb}`, `${PORTS.jgroups}<-${self}`, `${PORTS.jgroupsFailureDetection}<-${self}`].sort(),
    );
    expect(ingress.every((r) => r.cidr_ipv4 === undefined)).toBe(true);
  });

  test("a deploy of 3 tasks also adds only one task at a time", () => {
    expect(onlyResource(synthStack({ desiredCount: 3, maxCount: 3 }), "aws_ecs_service").deployment_maximum_percent).toBe(134);
  });

  test("Keycloak gets a fixed-size database pool of dbPoolMaxSize and the shutdown delay and timeout of the stop chain", () => {
    expect(env).toMatchObject({
      KC_DB_POOL_INITIAL_SIZE: "20",
      KC_DB_POOL_MIN_SIZE: "20",
      KC_DB_POOL_MAX_SIZE: "20",
      KC_SHUTDOWN_DELAY: `${TASK_LIFECYCLE.shutdownDelaySeconds}s`,
      KC_SHUTDOWN_TIMEOUT: `${TASK_LIFECYCLE.shutdownTimeoutSeconds}s`,
    });
    expect(container.stopTimeout).toBe(TASK_LIFECYCLE.stopTimeoutSeconds);
    const custom = keycloakContainer(synthStack({ dbPoolMaxSize: 12 }));
    expect(custom.environment).toEqual(expect.arrayContaining([{ name: "KC_DB_POOL_MAX_SIZE", value: "12" }]));
  });

  test("the pool validates connections (idle ones before hand-out, all idle ones in the background, with a short timeout) so a failover's dead connections leave it", () => {
    expect(env).toMatchObject({
      QUARKUS_DATASOURCE_JDBC_FOREGROUND_VALIDATION_INTERVAL: `${DB_POOL_VALIDATION.foregroundSeconds}S`,
      QUARKUS_DATASOURCE_JDBC_BACKGROUND_VALIDATION_INTERVAL: `${DB_POOL_VALIDATION.backgroundSeconds}S`,
      QUARKUS_DATASOURCE_JDBC_VALIDATION_QUERY_TIMEOUT: `${DB_POOL_VALIDATION.timeoutSeconds}S`,
    });
    // A dead connection's validation gives up before a statement on it would (the 10 s socket timeout).
    expect(DB_POOL_VALIDATION.timeoutSeconds).toBeLessThan(DB_CONNECT_TIMEOUT_SECONDS);
    expect(DB_POOL_VALIDATION.foregroundSeconds).toBeGreaterThan(0);
  });

  test("first boot starts one task, Terraform waits for it to be steady, and only then does the autoscaling target (which names the service) raise it to the minimum", () => {
    expect(FIRST_BOOT_TASK_COUNT).toBe(1);
    expect(service).toMatchObject({ desired_count: FIRST_BOOT_TASK_COUNT, wait_for_steady_state: true });
    const target = onlyResource(json, "aws_appautoscaling_target");
    expect({ min: target.min_capacity, dependsOnService: String(target.resource_id).includes(ref("aws_ecs_service", onlyResourceName(json, "aws_ecs_service"), "name")) }).toEqual({
      min: 2,
      dependsOnService: true,
    });
    // Later deploys leave the running count to autoscaling.
    expect((service.lifecycle as { ignore_changes: string[] }).ignore_changes).toContain("desired_count");
  });

  test("a single task is allowed only with highAvailability off", () => {
    expect(onlyResource(synthStack({ highAvailability: false, desiredCount: 1, maxCount: 1 }), "aws_ecs_service").desired_count).toBe(1);
  });
});
