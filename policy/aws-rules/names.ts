/**
 * Names AWS accepts, for everything the stack names from namePrefix (the load balancer and its
 * target group are in alb.ts). A name AWS refuses fails the apply half-way.
 */
import { change, DOCS, each, LONG, names, nameProblem, type AwsRule } from "./kit";

const SG_CHARS = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const IAM_NAME = /^[\w+=,.@-]+$/;
const RDS_NAME = (name: string, max: number) =>
  nameProblem([
    [name.length < 1 || name.length > max, `1 to ${max} characters`],
    [!/^[a-z]/.test(name), "first character a letter"],
    [/--/.test(name), "no two hyphens in a row"],
    [/-$/.test(name), "no hyphen at the end"],
  ]);

const SG_TYPES = ["aws_security_group"] as const;
const SG_RULE_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"] as const;

export const NAME_RULES: readonly AwsRule[] = [
  {
    id: "ec2-security-group-name",
    resource: "aws_security_group.name",
    rule: "up to 255 characters of a-z A-Z 0-9, spaces and ._-:/()#,@[]+=&;{}!$*; must not start with sg-",
    source: DOCS.ec2CreateSecurityGroup,
    adjustable: false,
    check: names(SG_TYPES, (n) => nameProblem([[n.length > 255, "at most 255 characters"], [!SG_CHARS.test(n), "characters outside a-z A-Z 0-9 and ._-:/()#,@[]+=&;{}!$*"], [/^sg-/i.test(n), "must not start with sg-"]])),
    bad: [
      change("aws_security_group", ["name"], "sg-keycloak", "starts with sg-"),
      change("aws_security_group", ["name"], LONG(256), "256 characters"),
      change("aws_security_group", ["name"], "keycloak—alb", "an em dash"),
    ],
  },
  {
    id: "ec2-security-group-description",
    resource: "aws_security_group.description, aws_vpc_security_group_*_rule.description",
    rule: "up to 255 characters of a-z A-Z 0-9, spaces and ._-:/()#,@[]+=&;{}!$* (no other character, e.g. no em dash or accent)",
    source: `${DOCS.ec2CreateSecurityGroup}; ${DOCS.ec2IpRange}`,
    adjustable: false,
    check: names([...SG_TYPES, ...SG_RULE_TYPES], (n) => nameProblem([[n.length > 255, "at most 255 characters"], [!SG_CHARS.test(n), "characters outside a-z A-Z 0-9 and ._-:/()#,@[]+=&;{}!$*"]]), "description"),
    bad: [
      change("aws_security_group", ["description"], "Keycloak ALB — HTTPS", "an em dash in a group's description"),
      change("aws_vpc_security_group_ingress_rule", ["description"], "Zugriff für Keycloak", "an umlaut in a rule's description"),
      change("aws_vpc_security_group_egress_rule", ["description"], LONG(256), "256 characters in a rule's description"),
    ],
  },
  {
    id: "rds-identifiers",
    resource: "aws_db_instance.identifier, aws_db_parameter_group.name, aws_db_instance.final_snapshot_identifier",
    rule: "instance identifier 1-63, parameter group and snapshot names 1-255 letters, digits or hyphens; first a letter; no two hyphens in a row; no hyphen at the end",
    source: `${DOCS.rdsCreate}; ${DOCS.rdsParameterGroup}; ${DOCS.rdsDelete}`,
    adjustable: false,
    check: (json) => [
      ...names(["aws_db_instance"], (n) => RDS_NAME(n, 63) ?? (/[^a-z0-9-]/.test(n) ? "only lowercase letters, digits and hyphens" : undefined), "identifier")(json),
      ...names(["aws_db_parameter_group"], (n) => RDS_NAME(n, 255) ?? (/[^a-z0-9-]/.test(n) ? "only lowercase letters, digits and hyphens" : undefined))(json),
      // The snapshot's suffix is a null_resource id (digits): a 19-digit number stands in for the reference.
      ...each(json, "aws_db_instance").flatMap(([resource, r]) => {
        if (typeof r.final_snapshot_identifier !== "string") return [];
        const message = RDS_NAME(r.final_snapshot_identifier.replace(/\$\{[^}]*\}/g, "1234567890123456789"), 255);
        return message ? [{ resource, message: `final_snapshot_identifier "${r.final_snapshot_identifier}": ${message}` }] : [];
      }),
    ],
    bad: [
      change("aws_db_instance", ["identifier"], "keycloak--db", "two hyphens in the identifier"),
      change("aws_db_instance", ["identifier"], `k${LONG(63)}`, "64 characters"),
      change("aws_db_instance", ["identifier"], "1keycloak-db", "starts with a digit"),
      change("aws_db_parameter_group", ["name_prefix"], "kc--mysql8-4-", "two hyphens in the parameter group name"),
      change("aws_db_instance", ["final_snapshot_identifier"], "keycloak-test-db-final-", "snapshot name ending with a hyphen", { shape: "prod defaults" }),
    ],
  },
  {
    id: "rds-subnet-group-name",
    resource: "aws_db_subnet_group.name",
    rule: "up to 255 lowercase letters, digits, periods, underscores, spaces or hyphens; first a letter; not default",
    source: DOCS.rdsSubnetGroup,
    adjustable: false,
    check: names(["aws_db_subnet_group"], (n) => nameProblem([[n.length > 255, "at most 255 characters"], [!/^[a-z][0-9a-z_ .-]*$/.test(n), "lowercase letters, digits, . _ space -, first a letter"], [n === "default", "not default"]])),
    bad: [change("aws_db_subnet_group", ["name"], "default", "named default"), change("aws_db_subnet_group", ["name"], "Keycloak-DB", "uppercase")],
  },
  {
    id: "ecr-repository-name",
    resource: "aws_ecr_repository.name",
    rule: "2-256 characters: lowercase path components of letters and digits separated by . _ __ or runs of -, joined by /",
    source: DOCS.ecrCreate,
    adjustable: false,
    check: names(["aws_ecr_repository"], (n) =>
      nameProblem([
        [n.length < 2 || n.length > 256, "2 to 256 characters"],
        [!/^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/.test(n), "lowercase components joined by . _ __ - and /"],
      ]),
    ),
    bad: [change("aws_ecr_repository", ["name"], "Keycloak/keycloak", "uppercase"), change("aws_ecr_repository", ["name"], "keycloak-/keycloak", "component ending with a hyphen")],
  },
  {
    id: "iam-names",
    resource: "aws_iam_role.name(_prefix), aws_iam_instance_profile.name(_prefix)",
    rule: "role names 1-64, instance profile names 1-128 characters of letters, digits and +=,.@_-; with name_prefix Terraform adds 26 characters",
    source: `${DOCS.iamRole}; ${DOCS.iamInstanceProfile}; ${DOCS.tfNamePrefix}`,
    adjustable: false,
    check: (json) => [
      ...names(["aws_iam_role"], (n) => nameProblem([[n.length > 64, "at most 64 characters (name_prefix at most 38)"], [!IAM_NAME.test(n), "letters, digits and +=,.@_-"]]))(json),
      ...names(["aws_iam_instance_profile"], (n) => nameProblem([[n.length > 128, "at most 128 characters"], [!IAM_NAME.test(n), "letters, digits and +=,.@_-"]]))(json),
    ],
    bad: [
      change("aws_iam_role", ["name_prefix"], `${LONG(39)}-`, "a 40-character name_prefix (66 with the suffix)"),
      change("aws_iam_role", ["name_prefix"], "keycloak test-", "a space"),
      change("aws_iam_instance_profile", ["name_prefix"], `${LONG(110)}-`, "a 111-character profile name_prefix"),
    ],
  },
  {
    id: "ecs-names",
    resource: "aws_ecs_cluster.name, aws_ecs_service.name, aws_ecs_task_definition.family, container names",
    rule: "up to 255 letters, digits, underscores and hyphens",
    source: `${DOCS.ecsService}; ${DOCS.ecsRegister}`,
    adjustable: false,
    check: (json) => [
      ...names(["aws_ecs_cluster", "aws_ecs_service"], (n) => (ECS_NAME.test(n) ? undefined : "1-255 letters, digits, _ and -"))(json),
      ...names(["aws_ecs_task_definition"], (n) => (ECS_NAME.test(n) ? undefined : "1-255 letters, digits, _ and -"), "family")(json),
    ],
    bad: [
      change("aws_ecs_cluster", ["name"], "keycloak.test", "a period in the cluster name"),
      change("aws_ecs_service", ["name"], LONG(256), "a 256-character service name"),
      change("aws_ecs_task_definition", ["family"], "keycloak/test", "a slash in the family"),
    ],
  },
  {
    id: "monitoring-names",
    resource: "aws_sns_topic.name, aws_cloudwatch_metric_alarm.alarm_name, aws_cloudwatch_dashboard.dashboard_name, aws_appautoscaling_policy.name",
    rule: "topic 1-256 letters, digits, _ and -; alarm 1-255 characters without control characters; dashboard up to 255 letters, digits, _ and -; scaling policy 1-256 printable characters",
    source: `${DOCS.snsTopic}; ${DOCS.cwAlarm}; ${DOCS.cwDashboard}; ${DOCS.aasPolicy}`,
    adjustable: false,
    check: (json) => [
      ...names(["aws_sns_topic"], (n) => (/^[A-Za-z0-9_-]{1,256}$/.test(n) ? undefined : "1-256 letters, digits, _ and -"))(json),
      // eslint-disable-next-line no-control-regex
      ...names(["aws_cloudwatch_metric_alarm"], (n) => (n.length >= 1 && n.length <= 255 && !/[\x00-\x1f\x7f]/.test(n) ? undefined : "1-255 characters, no control characters"), "alarm_name")(json),
      ...names(["aws_cloudwatch_dashboard"], (n) => (/^[A-Za-z0-9_-]{1,255}$/.test(n) ? undefined : "1-255 letters, digits, _ and -"), "dashboard_name")(json),
      ...names(["aws_appautoscaling_policy"], (n) => (/^[\x20-\x7e]{1,256}$/.test(n) ? undefined : "1-256 printable characters"))(json),
    ],
    bad: [
      change("aws_sns_topic", ["name"], "keycloak alarms", "a space in the topic name"),
      change("aws_cloudwatch_metric_alarm", ["alarm_name"], LONG(256), "a 256-character alarm name"),
      change("aws_cloudwatch_dashboard", ["dashboard_name"], "keycloak.test", "a period in the dashboard name"),
      change("aws_appautoscaling_policy", ["name"], "keycloak\tcpu", "a tab in the policy name"),
    ],
  },
  {
    id: "logs-group-name",
    resource: "aws_cloudwatch_log_group.name",
    rule: "1-512 characters of a-z A-Z 0-9 _ - / . #; must not start with aws/",
    source: DOCS.logsCreate,
    adjustable: false,
    check: names(["aws_cloudwatch_log_group"], (n) => nameProblem([[n.length < 1 || n.length > 512, "1 to 512 characters"], [!/^[.\-_/#A-Za-z0-9]+$/.test(n), "only a-z A-Z 0-9 _ - / . #"], [/^aws\//.test(n), "must not start with aws/"]])),
    bad: [change("aws_cloudwatch_log_group", ["name"], "aws/keycloak", "starts with aws/"), change("aws_cloudwatch_log_group", ["name"], "/ecs/keycloak test", "a space")],
  },
  {
    id: "secretsmanager-secret-name",
    resource: "aws_secretsmanager_secret.name(_prefix)",
    rule: "1-512 ASCII letters, digits and /_+=.@-; not ending with a hyphen and six characters (it would look like the ARN's suffix)",
    source: DOCS.smCreate,
    adjustable: false,
    check: names(["aws_secretsmanager_secret"], (n, r) =>
      nameProblem([
        [n.length < 1 || n.length > 512, "1 to 512 characters"],
        [!/^[A-Za-z0-9/_+=.@-]+$/.test(n), "only ASCII letters, digits and /_+=.@-"],
        [typeof r.name === "string" && /-[A-Za-z0-9]{6}$/.test(n), "ends with a hyphen and six characters"],
      ]),
    ),
    bad: [change("aws_secretsmanager_secret", ["name_prefix"], "keycloak test/db-", "a space"), change("aws_secretsmanager_secret", ["name"], "keycloak/db-abcdef", "ends like an ARN suffix")],
  },
  {
    id: "acm-certificate-domain-name",
    resource: "aws_acm_certificate.domain_name (requested, not imported)",
    rule: "at most 64 characters (the common name, RFC 5280), labels of at most 63, letters, digits and hyphens",
    source: DOCS.acmRequest,
    adjustable: false,
    check: names(["aws_acm_certificate"], (n) =>
      nameProblem([
        [n.length > 64, "at most 64 characters"],
        [!/^(\*\.)?((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(n), "labels of 1-63 letters, digits and hyphens"],
      ]), "domain_name"),
    bad: [
      change("aws_acm_certificate", ["domain_name"], `${LONG(60)}.example.com`, "a 72-character name", { shape: "custom domain, DNS-validated certificate" }),
      change("aws_acm_certificate", ["domain_name"], "login_.example.com", "an underscore", { shape: "custom domain, DNS-validated certificate" }),
    ],
  },
  {
    id: "ec2-key-pair-name",
    resource: "aws_key_pair.key_name(_prefix)",
    rule: "up to 255 ASCII characters",
    source: DOCS.ec2KeyPair,
    adjustable: false,
    check: names(["aws_key_pair"], (n) => (n.length <= 255 && /^[\x20-\x7e]+$/.test(n) ? undefined : "1-255 ASCII characters"), "key_name"),
    bad: [change("aws_key_pair", ["key_name_prefix"], `${LONG(230)}-`, "a 231-character prefix (257 with the suffix)")],
  },
];
