/** Policy rules on the bastion (EC2) and the Keycloak tasks (ECS) (rules.ts lists them all). */
import { REMOVED } from "./mutation";
import { CONTAINER, SECRET_NAME, USER_DATA_SECRET, change, containers, envName, forEach, sidecar, type Res, type Rule } from "./rule-kit";

export const COMPUTE_RULES: readonly Rule[] = [
  {
    id: "EC2_IMDSV2",
    checkov: { id: "CKV_AWS_79", source: "resource/aws/IMDSv1Disabled.py" },
    rationale: "The bastion's instance metadata needs session tokens (IMDSv2), which blocks SSRF-style credential theft.",
    check: forEach("aws_instance", (r) => (r.metadata_options as Res | undefined)?.http_tokens !== "required" && "http_tokens is not required"),
    bad: [
      change("aws_instance", ["metadata_options", "http_tokens"], "optional", "IMDSv1 allowed"),
      change("aws_instance", ["metadata_options"], REMOVED, "metadata options left to the default"),
    ],
  },
  {
    id: "EC2_ROOT_VOLUME_ENCRYPTED",
    checkov: { id: "CKV_AWS_8", source: "resource/aws/LaunchConfigurationEBSEncryption.py" },
    rationale: "The bastion's disk is encrypted at rest.",
    check: forEach("aws_instance", (r) => (r.root_block_device as Res | undefined)?.encrypted !== true && "root volume not encrypted"),
    bad: [
      change("aws_instance", ["root_block_device", "encrypted"], false, "unencrypted root volume"),
      change("aws_instance", ["root_block_device"], REMOVED, "root volume left to the default"),
    ],
  },
  {
    id: "EC2_NO_USER_DATA_SECRETS",
    checkov: { id: "CKV_AWS_46", source: "resource/aws/EC2Credentials.py" },
    rationale: "User data is readable by anyone with ec2:DescribeInstanceAttribute; no secret goes there.",
    check: forEach("aws_instance", (r) => {
      // user_data_base64 is checked decoded: the secret would be in the decoded text.
      const data = `${r.user_data ?? ""}\n${Buffer.from(String(r.user_data_base64 ?? ""), "base64").toString("utf8")}`;
      return USER_DATA_SECRET.test(data) && "user data contains a secret";
    }),
    bad: [
      change("aws_instance", ["user_data"], "export DB_PASSWORD=hunter2", "a password in user data"),
      change("aws_instance", ["user_data_base64"], Buffer.from("aws_secret_access_key=abc").toString("base64"), "an access key in base64 user data"),
      change("aws_instance", ["user_data"], "-----BEGIN OPENSSH PRIVATE KEY-----", "a private key in user data"),
    ],
  },
  {
    id: "EC2_NO_PUBLIC_IP",
    checkov: { id: "CKV_AWS_88", source: "resource/aws/EC2PublicIP.py" },
    rationale: "Instances get no public address unless they must be reached from outside (the bastion, by design).",
    check: forEach("aws_instance", (r) => r.associate_public_ip_address === true && "public IP"),
    // The bastion has its public address by design (excepted), so the case starts without it.
    bad: [change("aws_instance", ["associate_public_ip_address"], true, "an instance with a public address", { from: false })],
  },
  {
    id: "ECS_NO_SECRETS_IN_ENVIRONMENT",
    rationale: "Anything named like a password, secret, token or key comes through `secrets` (Secrets Manager), never `environment`.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) => {
      const names = containers(r, resource).flatMap((c) => ((c.environment as Res[] | undefined) ?? []).map((e) => String(e.name)));
      const leaked = names.filter((n) => SECRET_NAME.test(n) || /USERNAME$/.test(n));
      return leaked.length > 0 && `secret-like variables in environment: ${leaked.join(", ")}`;
    }),
    bad: [
      envName("KC_DB_PASSWORD", "a password"),
      envName("ADMIN_PASSWD", "a passwd"),
      envName("CLIENT_SECRET", "a client secret"),
      envName("API_TOKEN_VALUE", "a token"),
      envName("signing_key", "a key, lowercase"),
      envName("AWS_CREDENTIALS", "credentials"),
      envName("KC_DB_USERNAME", "a user name"),
    ],
    accepts: [
      envName("KC_KEYSTORE_TYPE", "KEY only as part of a word"),
      envName("KC_USERNAME_FORMAT", "USERNAME not at the end"),
    ],
  },
  {
    id: "ECS_READ_ONLY_ROOT_FILESYSTEM",
    checkov: { id: "CKV_AWS_336", source: "resource/aws/ECSContainerReadOnlyRoot.py" },
    rationale: "Keycloak's root filesystem is read-only; it writes only to task storage at /opt/keycloak/data and /tmp.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) => containers(r, resource).some((c) => c.readonlyRootFilesystem !== true) && "writable root filesystem"),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "readonlyRootFilesystem"], false, "writable root"),
      change("aws_ecs_task_definition", [...CONTAINER, "readonlyRootFilesystem"], REMOVED, "root left to the default (writable)"),
      sidecar("readonlyRootFilesystem", false, "a second container with a writable root"),
    ],
  },
  {
    id: "ECS_NOT_PRIVILEGED",
    checkov: { id: "CKV_AWS_334", source: "resource/aws/ECSContainerPrivilege.py" },
    rationale: "No container runs privileged.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) => containers(r, resource).some((c) => c.privileged === true) && "privileged container"),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "privileged"], true, "privileged container"),
      sidecar("privileged", true, "a privileged second container"),
    ],
  },
  {
    id: "ECS_LOGGING",
    rationale: "Every container logs to CloudWatch.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) =>
      containers(r, resource).some((c) => (c.logConfiguration as Res | undefined)?.logDriver !== "awslogs") && "container without awslogs"),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "logConfiguration", "logDriver"], "json-file", "logs stay on the task"),
      change("aws_ecs_task_definition", [...CONTAINER, "logConfiguration"], REMOVED, "no log configuration"),
      sidecar("logConfiguration", { logDriver: "json-file" }, "a second container that logs locally"),
    ],
  },
  {
    id: "ECS_SEPARATE_ROLES",
    checkov: { id: "CKV_AWS_249", source: "resource/aws/ECSTaskDefinitionRoleCheck.py" },
    rationale: "The execution role (pull, logs, secrets) is never the task role: the application's own permissions stay apart (a task without a task role has none).",
    check: forEach("aws_ecs_task_definition", (r) => r.task_role_arn !== undefined && r.task_role_arn === r.execution_role_arn && "execution and task role are the same"),
    bad: [change("aws_ecs_task_definition", ["task_role_arn"], (r: Res) => r.execution_role_arn, "the task runs with the execution role")],
  },
  {
    id: "ECS_NO_PUBLIC_IP",
    checkov: { id: "CKV_AWS_333", source: "resource/aws/ECSServicePublicIP.py" },
    rationale: "Tasks get no public address; the public-ip egress mode does so by design (see exceptions).",
    check: forEach("aws_ecs_service", (r) => (r.network_configuration as Res | undefined)?.assign_public_ip === true && "assign_public_ip"),
    bad: [change("aws_ecs_service", ["network_configuration", "assign_public_ip"], true, "tasks with public addresses")],
  },
  {
    id: "ECS_CONTAINER_INSIGHTS",
    checkov: { id: "CKV_AWS_65", source: "resource/aws/ECSClusterContainerInsights.py" },
    rationale: "Cluster metrics per task, for capacity and failover analysis.",
    check: forEach("aws_ecs_cluster", (r) => !((r.setting as Res[] | undefined) ?? []).some((s) => s.name === "containerInsights" && s.value !== "disabled") && "container insights off"),
    bad: [
      change("aws_ecs_cluster", ["setting", 0, "value"], "disabled", "insights disabled"),
      change("aws_ecs_cluster", ["setting", 0, "name"], "otherSetting", "no insights setting"),
    ],
    accepts: [change("aws_ecs_cluster", ["setting", 1], { name: "otherSetting", value: "x" }, "another cluster setting next to insights")],
  },
  {
    id: "ECS_ROLLBACK_ON_FAILED_DEPLOY",
    rationale: "A release whose tasks never get healthy rolls back by itself.",
    check: forEach("aws_ecs_service", (r) => (r.deployment_circuit_breaker as Res | undefined)?.rollback !== true && "no circuit breaker rollback"),
    bad: [
      change("aws_ecs_service", ["deployment_circuit_breaker", "rollback"], false, "breaker without rollback"),
      change("aws_ecs_service", ["deployment_circuit_breaker"], REMOVED, "no circuit breaker"),
    ],
  },
];
