import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { DB_NAME, DB_SSL_MODE, FIRST_BOOT_TASK_COUNT, HEALTH_LIVE_PATH, KEYCLOAK_VERSION, PORTS, WRITABLE_PATHS } from "../shared/constants";
import { readBuildOptions } from "../image/build-options";
import { KEYCLOAK_START_COMMAND } from "../image/image-content";
import type { CpuArchitecture } from "./fargate";
import { assumeRolePolicy, ecrPullStatements, policyDocument, privateEcrRepositoryArn, type Statement } from "../access/iam";
import { oneAtATimeMaximumPercent, TASK_LIFECYCLE } from "./task-lifecycle";
import { clusterMetricsScript, SIDECAR_NAME } from "./cluster-metrics";
import { javaOptsAppend } from "./jvm-options";
import { DB_POOL_VALIDATION_ENVIRONMENT } from "./db-failover";

export interface KeycloakServiceProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly vpcId: string;
  /** Trusted proxies: the ALB sits somewhere in the VPC. */
  readonly vpcCidr: string;
  /** Where the load balancer's nodes are: only their X-Forwarded-* headers are believed (proxy-trusted-addresses). */
  readonly trustedProxyCidrs: readonly string[];
  readonly subnetIds: string[];
  /** Only in egress mode `public-ip`. @default false */
  readonly assignPublicIp: boolean;
  readonly albSecurityGroupId: string;
  readonly targetGroupArn: string;
  readonly imageUri: string;
  /** ECR repository the execution role may pull from. @default the private ECR repository imageUri names, none for other registries */
  readonly pullRepositoryArn?: string;
  /** Public host name, Keycloak's `hostname` is https://<this>. */
  readonly hostname: string;
  /** Keycloak's `hostname-admin`: the admin console's own address. @default "" (the console is on hostname) */
  readonly hostnameAdmin?: string;
  /** The RDS endpoint: the host name its TLS certificate names (see DB_SSL_MODE). */
  readonly dbHost: string;
  readonly dbPort: number;
  readonly dbSecurityGroupId: string;
  readonly dbUserSecretArn: string;
  /** Bootstrap admin secret, given to every task. @default none: no bootstrap credentials in the tasks */
  readonly adminSecretArn?: string;
  /** @default 1024 */
  readonly cpu: number;
  /** @default 2048 */
  readonly memory: number;
  /** @default "X86_64" */
  readonly cpuArchitecture: CpuArchitecture;
  /** @default 2 */
  readonly desiredCount: number;
  /** @default 300 */
  readonly healthCheckGracePeriodSeconds: number;
  /** Database connections per task (fixed pool). @default 20 */
  readonly dbPoolMaxSize: number;
  /** @default 30 */
  readonly logRetentionDays: number;
  /** Started only after these: the database setup, the image build, the HTTPS listener. */
  readonly dependsOn: ITerraformDependable[];
}

/** The sidecar's EMF lines are read by CloudWatch on ingestion; a day keeps them for a look when the metric looks wrong. */
const CLUSTER_METRICS_LOG_RETENTION_DAYS = 1;
/** Hard memory limit of the sidecar (bash and sleep): far below what it needs to fail, far below the task's. */
const CLUSTER_METRICS_MEMORY_MIB = 32;

/** Name of the Keycloak container; the entrypoint finds its own address under it in the task metadata. */
export const CONTAINER_NAME = "keycloak";

/**
 * Container health check: liveness on the management port. The image has no curl: bash sends the
 * request over /dev/tcp and the check passes on a `200` status line only. Exec form with bash, as
 * /bin/sh need not be bash. The e2e runs it in a container from the built image.
 */
export const CONTAINER_HEALTH_CHECK_COMMAND = [
  "CMD",
  "/bin/bash",
  "-c",
  `exec 3<>/dev/tcp/127.0.0.1/${PORTS.management} && printf 'GET ${HEALTH_LIVE_PATH} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && IFS= read -r -t 5 status <&3 && [[ $status == 'HTTP/1.'?' 200 '* ]]`,
];

/** The Keycloak run-time environment (no secrets: those come through `secrets`). */
export function keycloakEnvironment(
  p: Pick<KeycloakServiceProps, "hostname" | "hostnameAdmin" | "dbHost" | "dbPort" | "trustedProxyCidrs" | "dbPoolMaxSize">,
): Record<string, string> {
  return {
    ...readBuildOptions(),
    // The driver verifies the certificate with the JVM's default truststore, which Keycloak builds
    // from the image's conf/truststores (the RDS CA bundle, DB_CA_BUNDLE_PATH).
    KC_DB_URL: `jdbc:mysql://${p.dbHost}:${p.dbPort}/${DB_NAME}?characterEncoding=UTF-8&sslMode=${DB_SSL_MODE}`,
    KC_HOSTNAME: `https://${p.hostname}`,
    ...(p.hostnameAdmin ? { KC_HOSTNAME_ADMIN: p.hostnameAdmin } : {}),
    KC_HTTP_ENABLED: "true",
    KC_HTTP_PORT: String(PORTS.http),
    KC_HTTP_MANAGEMENT_PORT: String(PORTS.management),
    KC_PROXY_HEADERS: "xforwarded",
    KC_PROXY_TRUSTED_ADDRESSES: p.trustedProxyCidrs.join(","),
    KC_CACHE_EMBEDDED_NETWORK_BIND_PORT: String(PORTS.jgroups),
    // A fixed-size pool: no connection churn under load, and the budget checked in config.ts holds.
    KC_DB_POOL_INITIAL_SIZE: String(p.dbPoolMaxSize),
    KC_DB_POOL_MIN_SIZE: String(p.dbPoolMaxSize),
    KC_DB_POOL_MAX_SIZE: String(p.dbPoolMaxSize),
    // Connections to a dead address leave the pool after a short validation (DB_POOL_VALIDATION).
    ...DB_POOL_VALIDATION_ENVIRONMENT,
    KC_SHUTDOWN_DELAY: `${TASK_LIFECYCLE.shutdownDelaySeconds}s`,
    KC_SHUTDOWN_TIMEOUT: `${TASK_LIFECYCLE.shutdownTimeoutSeconds}s`,
    KEYCLOAK_CONTAINER_NAME: CONTAINER_NAME,
    // The JVM options the stack adds to kc.sh's own (jvm-options.ts): DNS caching for RDS failovers.
    JAVA_OPTS_APPEND: javaOptsAppend(),
  };
}

/** ECS cluster, task definition, service and its security group. */
export class KeycloakService extends Construct {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly securityGroupId: string;
  readonly taskDefinitionArn: string;
  readonly logGroupName: string;
  readonly containerName = CONTAINER_NAME;

  constructor(scope: Construct, id: string, props: KeycloakServiceProps) {
    super(scope, id);
    const prefix = props.namePrefix;

    // Plain names, known at synth: the cluster-metrics sidecar puts them into its metric's
    // dimensions (a reference to the service from its own task definition would be a cycle).
    const names = { clusterName: prefix, serviceName: `${prefix}-keycloak` };
    const cluster = new EcsCluster(this, "cluster", {
      name: names.clusterName,
      setting: [{ name: "containerInsights", value: "enabled" }],
    });
    this.clusterName = cluster.name;

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/ecs/${prefix}/keycloak`,
      retentionInDays: props.logRetentionDays,
    });
    this.logGroupName = logGroup.name;
    const metricsLogGroup = new CloudwatchLogGroup(this, "cluster-metrics-logs", {
      name: `/ecs/${prefix}/${SIDECAR_NAME}`,
      retentionInDays: CLUSTER_METRICS_LOG_RETENTION_DAYS,
    });

    const sg = this.securityGroup(props);
    this.securityGroupId = sg.id;

    const pullRepositoryArn = props.pullRepositoryArn ?? privateEcrRepositoryArn(props.imageUri);
    const pullStatements = pullRepositoryArn === undefined ? [] : ecrPullStatements(pullRepositoryArn);
    const adminSecretArns = props.adminSecretArn === undefined ? [] : [props.adminSecretArn];
    const { role: executionRole, policy: executionPolicy } = this.role(prefix, "execution", "Pulls the image, writes logs, reads the secrets", [
      ...pullStatements,
      { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`, `${metricsLogGroup.arn}:*`] },
      { actions: ["secretsmanager:GetSecretValue"], resources: [props.dbUserSecretArn, ...adminSecretArns] },
    ]);
    const volumes = WRITABLE_PATHS.map((path) => ({ path, name: path.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") }));
    const container = {
      name: CONTAINER_NAME,
      image: props.imageUri,
      essential: true,
      command: [...KEYCLOAK_START_COMMAND],
      portMappings: [PORTS.http, PORTS.management, PORTS.jgroups, PORTS.jgroupsFailureDetection].map((port) => ({
        containerPort: port,
        protocol: "tcp",
      })),
      environment: Object.entries(keycloakEnvironment(props)).map(([name, value]) => ({ name, value })),
      secrets: [
        { name: "KC_DB_USERNAME", valueFrom: `${props.dbUserSecretArn}:username::` },
        { name: "KC_DB_PASSWORD", valueFrom: `${props.dbUserSecretArn}:password::` },
        // Keycloak creates the bootstrap admin only on the start that creates the master realm.
        ...adminSecretArns.flatMap((arn) => [
          { name: "KC_BOOTSTRAP_ADMIN_USERNAME", valueFrom: `${arn}:username::` },
          { name: "KC_BOOTSTRAP_ADMIN_PASSWORD", valueFrom: `${arn}:password::` },
        ]),
      ],
      healthCheck: {
        command: CONTAINER_HEALTH_CHECK_COMMAND,
        interval: TASK_LIFECYCLE.containerHealthCheck.intervalSeconds,
        timeout: TASK_LIFECYCLE.containerHealthCheck.timeoutSeconds,
        retries: TASK_LIFECYCLE.containerHealthCheck.retries,
        // A first start migrates the schema; the ALB's grace period covers the rest.
        startPeriod: TASK_LIFECYCLE.containerHealthCheck.startPeriodSeconds,
      },
      readonlyRootFilesystem: true,
      mountPoints: volumes.map((v) => ({ sourceVolume: v.name, containerPath: v.path, readOnly: false })),
      privileged: false,
      linuxParameters: { initProcessEnabled: true },
      stopTimeout: TASK_LIFECYCLE.stopTimeoutSeconds,
      ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": logGroup.name,
          "awslogs-region": props.region,
          "awslogs-stream-prefix": "keycloak",
        },
      },
      dockerLabels: { "org.keycloak.version": KEYCLOAK_VERSION },
    };

    // The cluster-split alarm's metric (cluster-metrics.ts): the same image, bash instead of the
    // entrypoint, non-essential (if it stops, the alarm sees no data and fires; the task goes on).
    const sidecar = {
      name: SIDECAR_NAME,
      image: props.imageUri,
      essential: false,
      entryPoint: ["/bin/bash", "-c"],
      command: [clusterMetricsScript(names)],
      memory: CLUSTER_METRICS_MEMORY_MIB,
      readonlyRootFilesystem: true,
      privileged: false,
      dependsOn: [{ containerName: CONTAINER_NAME, condition: "START" }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": metricsLogGroup.name,
          "awslogs-region": props.region,
          "awslogs-stream-prefix": SIDECAR_NAME,
        },
      },
    };

    const taskDefinition = new EcsTaskDefinition(this, "task", {
      family: `${prefix}-keycloak`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(props.cpu),
      memory: String(props.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture },
      executionRoleArn: executionRole.arn,
      // No task role: Keycloak calls no AWS API, so the container gets no AWS credentials at all.
      // ECS Exec is off for the same reason and because it needs a writable root filesystem.
      // Task storage for the paths Keycloak writes to; the root filesystem stays read-only.
      volume: volumes.map((v) => ({ name: v.name })),
      containerDefinitions: JSON.stringify([container, sidecar]),
    });
    this.taskDefinitionArn = taskDefinition.arn;

    const service = new EcsService(this, "service", {
      name: names.serviceName,
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      launchType: "FARGATE",
      platformVersion: "1.4.0",
      // First boot starts one task and Terraform waits for the service to be steady before the
      // autoscaling target (it references the service) raises it to desiredCount: the schema is
      // created by one task alone and the next ones join its cluster (FIRST_BOOT_TASK_COUNT).
      desiredCount: Math.min(FIRST_BOOT_TASK_COUNT, props.desiredCount),
      waitForSteadyState: true,
      // One new task at a time next to all the old ones: each departing node hands its cache over.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: oneAtATimeMaximumPercent(props.desiredCount),
      deploymentCircuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds,
      enableExecuteCommand: false,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      networkConfiguration: {
        subnets: props.subnetIds,
        securityGroups: [sg.id],
        assignPublicIp: props.assignPublicIp,
      },
      loadBalancer: [{ targetGroupArn: props.targetGroupArn, containerName: CONTAINER_NAME, containerPort: PORTS.http }],
      // Autoscaling (autoscaling.ts) owns the running count after the first deploy.
      lifecycle: { ignoreChanges: ["desired_count"] },
      // A task started before its role may pull, read the secrets and log fails (and trips the circuit breaker).
      dependsOn: [...props.dependsOn, executionPolicy],
    });
    this.serviceName = service.name;
  }

  private securityGroup(props: KeycloakServiceProps): SecurityGroup {
    const sg = new SecurityGroup(this, "sg", {
      name: `${props.namePrefix}-keycloak`,
      description: "Keycloak tasks: HTTP and health from the ALB, JGroups between the tasks",
      vpcId: props.vpcId,
      tags: { Name: `${props.namePrefix}-keycloak` },
    });
    const rule = (
      kind: "in" | "out",
      id: string,
      port: number,
      description: string,
      peer: { referencedSecurityGroupId: string } | { cidrIpv4: string },
    ) => {
      const args = { securityGroupId: sg.id, description, ipProtocol: "tcp", fromPort: port, toPort: port, ...peer };
      return kind === "in"
        ? new VpcSecurityGroupIngressRule(this, `in-${id}`, args)
        : new VpcSecurityGroupEgressRule(this, `out-${id}`, args);
    };
    const alb = { referencedSecurityGroupId: props.albSecurityGroupId };
    const self = { referencedSecurityGroupId: sg.id };
    rule("in", "http-from-alb", PORTS.http, "Keycloak HTTP from the ALB", alb);
    rule("in", "health-from-alb", PORTS.management, "Health checks from the ALB", alb);
    rule("in", "jgroups", PORTS.jgroups, "JGroups data between Keycloak tasks", self);
    rule("in", "jgroups-fd", PORTS.jgroupsFailureDetection, "JGroups failure detection between Keycloak tasks", self);
    rule("out", "jgroups", PORTS.jgroups, "JGroups data between Keycloak tasks", self);
    rule("out", "jgroups-fd", PORTS.jgroupsFailureDetection, "JGroups failure detection between Keycloak tasks", self);
    rule("out", "mysql", props.dbPort, "MySQL to the Keycloak database", { referencedSecurityGroupId: props.dbSecurityGroupId });
    rule("out", "https", 443, "HTTPS to ECR, CloudWatch Logs and Secrets Manager", { cidrIpv4: "0.0.0.0/0" });
    return sg;
  }

  private role(prefix: string, kind: string, description: string, statements: Statement[]): { role: IamRole; policy: IamRolePolicy } {
    const role = new IamRole(this, `${kind}-role`, {
      namePrefix: `${prefix}-${kind}-`,
      description,
      assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
    });
    const policy = new IamRolePolicy(this, `${kind}-policy`, { role: role.id, policy: policyDocument(statements) });
    return { role, policy };
  }
}
