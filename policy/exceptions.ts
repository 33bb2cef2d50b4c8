/**
 * The only place a policy rule may be waived: rule, resource, the shapes it applies to,
 * and why. The suite fails on any violation not listed here, and on any exception that no
 * longer matches anything.
 */
import type { Shape } from "./rules";

export interface PolicyException {
  readonly rule: string;
  /** Matches the violation's `type.name`. */
  readonly resource: RegExp;
  readonly appliesTo: (shape: Shape) => boolean;
  readonly reason: string;
}

export const EXCEPTIONS: readonly PolicyException[] = [
  {
    rule: "ECS_NO_PUBLIC_IP",
    resource: /^aws_ecs_service\./,
    appliesTo: (s) => s.egressMode === "public-ip",
    reason: "public-ip egress mode by design (the original's no-NAT cost choice): tasks need a public IP to reach ECR, Logs and Secrets Manager; their security group admits only the ALB and each other.",
  },
  {
    rule: "EC2_NO_PUBLIC_IP",
    resource: /^aws_instance\.bastion_/,
    appliesTo: () => true,
    reason: "The bastion is the SSH entry point the deploy uses for the database setup; SSH is open only to bastionAllowedCidrs.",
  },
  {
    rule: "RDS_MULTI_AZ",
    resource: /^aws_db_instance\./,
    appliesTo: (s) => s.profile === "dev",
    reason: "The dev profile trades the standby database for half the database cost; prod keeps Multi-AZ.",
  },
  {
    rule: "VPC_FLOW_LOGS",
    resource: /^aws_vpc\./,
    appliesTo: (s) => s.profile === "dev",
    reason: "The dev profile turns flow logs off to stay at the minimum cost; prod has them on.",
  },
  {
    rule: "ALB_ADMIN_PLANE_CLOSED",
    resource: /^aws_lb_listener\./,
    appliesTo: (s) => s.profile === "dev",
    reason: "The dev profile opens the admin plane (adminPublic) for quick experiments, and synth warns; prod keeps it closed.",
  },
  // The other WAF rules look at the web ACLs, and dev has none.
  ...["WAF_ON_ALB", "WAF_MANAGED_BASELINE"].map((rule) => ({
    rule,
    resource: /^aws_lb\./,
    appliesTo: (s: Shape) => s.profile === "dev",
    reason: "The dev profile turns the WAF off (wafEnabled) to stay at the minimum cost; prod has it on. Without it a client can choose the address Keycloak records (README: Client address).",
  })),
  {
    rule: "ALB_ACCESS_LOGS",
    resource: /^aws_lb\./,
    appliesTo: (s) => !s.albAccessLogs,
    reason: "ALB access logs are opt-in (albAccessLogs, off in both profiles): the WAF log and Keycloak's events cover day-to-day needs, and the logs cost S3 storage that grows with traffic (README: Internet-facing protection).",
  },
];

/**
 * checkov checks the users' CI skips although no rule here mirrors them: what the design
 * chooses not to do, and why. Together with the checkov ids of the exceptions above they
 * are checkov's skip list (`policy/checkov-skips.ts`), so the list has one source. Each was
 * read in checkov's source (`source`, under checkov/terraform/checks/) and judged to fail
 * on this stack; checkov itself cannot be installed on our CI machines.
 */
export interface CheckovSkip {
  readonly check: string;
  readonly source: string;
  readonly reason: string;
}

export const CHECKOV_SKIPS: readonly CheckovSkip[] = [
  {
    check: "CKV_AWS_260",
    source: "resource/aws/SecurityGroupUnrestrictedIngress80.py",
    reason: "Port 80 of the ALB is open to albIngressCidrs on purpose: it only answers 301 to HTTPS (rule ALB_HTTP_ONLY_REDIRECTS); SG_NO_OPEN_INGRESS allows nothing else.",
  },
  {
    check: "CKV_AWS_161",
    source: "resource/aws/RDSIAMAuthentication.py",
    reason: "IAM database authentication is not used: Keycloak logs in with the keycloak user's password from Secrets Manager (its JDBC pool has no IAM-token login). The master password is RDS-managed (rule RDS_MANAGED_MASTER_PASSWORD).",
  },
  {
    check: "CKV_AWS_378",
    source: "graph_checks/aws/LBTargetGroup.yaml",
    reason: "TLS ends at the ALB and the ALB reaches the tasks over HTTP inside the VPC, as Keycloak's reverse-proxy guide describes (proxy-headers=xforwarded).",
  },
  {
    check: "CKV_AWS_192",
    source: "resource/aws/WAFACLCVE202144228.py",
    reason: "checkov reads the web ACL's `rule` blocks only, and ours are in `rule_json` (the WAF API's JSON, which the e2e proxy and the policy rules read), so it finds no known-bad-inputs group and fails; rule WAF_MANAGED_BASELINE checks that group (Log4JRCE included) blocks on the ALB's ACL.",
  },
  {
    check: "CKV_AWS_150",
    source: "resource/aws/LBDeletionProtection.py",
    reason: "The ALB holds no data and an apply recreates it; deletion protection would only block teardown. The database, which holds the data, is protected.",
  },
  {
    check: "CKV_AWS_158",
    source: "resource/aws/CloudWatchLogGroupKMSKey.py",
    reason: "Log groups are encrypted at rest by CloudWatch Logs' default encryption; a customer-managed KMS key adds cost and a key policy without shutting out a reader the IAM policies admit.",
  },
  {
    check: "CKV_AWS_338",
    source: "resource/aws/CloudWatchLogGroupRetentionYear.py",
    reason: "Retention is the logRetentionDays setting (30 days by default, to keep cost low); a year is the operator's choice.",
  },
  {
    check: "CKV_AWS_149",
    source: "resource/aws/SecretManagerSecretEncrypted.py",
    reason: "Secrets use the AWS-managed key aws/secretsmanager; a customer-managed key adds cost and a key policy without shutting out a reader the IAM policies admit.",
  },
  {
    check: "CKV2_AWS_57",
    source: "graph_checks/aws/SecretsAreRotated.yaml",
    reason: "No rotation Lambda: the RDS-managed master secret rotates itself, and the Keycloak user's password is rotated by changing its secret and re-running the database setup (README, The database setup).",
  },
  {
    check: "CKV_AWS_136",
    source: "resource/aws/ECRRepositoryEncrypted.py",
    reason: "Images are encrypted at rest with ECR's default AES-256; the image holds no secret (every credential comes from Secrets Manager at start).",
  },
  {
    check: "CKV_AWS_118",
    source: "resource/aws/RDSEnhancedMonitorEnabled.py",
    reason: "Enhanced monitoring needs another IAM role and adds CloudWatch Logs cost; the standard RDS metrics and the exported error log cover this design.",
  },
  {
    check: "CKV_AWS_353",
    source: "resource/aws/RDSInstancePerformanceInsights.py",
    reason: "Performance Insights is off to keep the database at its minimum cost; turn it on when tuning queries.",
  },
  {
    check: "CKV_AWS_135",
    source: "resource/aws/EC2EBSOptimized.py",
    reason: "The bastion is a Graviton t4g instance, EBS-optimized by default; the flag changes nothing for it.",
  },
  {
    check: "CKV_AWS_223",
    source: "resource/aws/ECSClusterLoggingEnabled.py",
    reason: "The cluster has no execute-command configuration: the security review drops ECS Exec (issue 10 item 4), so there is no Exec session to log.",
  },
  {
    check: "CKV_AWS_224",
    source: "resource/aws/ECSClusterLoggingEncryptedWithCMK.py",
    reason: "As CKV_AWS_223: no ECS Exec, no Exec session log to encrypt.",
  },
  {
    check: "CKV_AWS_332",
    source: "resource/aws/ECSServiceFargateLatest.py",
    reason: "The Fargate platform version is pinned (1.4.0, the current one) so a platform change comes through a reviewed plan, like the Keycloak version.",
  },
  {
    check: "CKV_AWS_234",
    source: "resource/aws/ACMCertSetLoggingPreference.py",
    reason: "Certificate-transparency logging applies to certificates ACM issues; the default certificate is self-signed and imported, and a DNS-validated one gets ACM's default (logging enabled).",
  },
];
