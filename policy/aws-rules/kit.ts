/**
 * What the AWS rules table (policy/aws-rules/*.ts) is made of: the row type, the AWS
 * documentation pages it cites, and helpers for names, ranges and references.
 */
import type { TerraformJson } from "../../modules/synth";
import { each, type Res, type Violation } from "../rule-kit";

export type { AwsRule } from "./rule";
export { change, CONTAINER, each, forEach, named, sidecar, type Res, type Violation } from "../rule-kit";
export { REMOVED } from "../mutation";

export const DOCS = {
  ec2CreateSecurityGroup: "EC2 API Reference, CreateSecurityGroup: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
  ec2IpRange: "EC2 API Reference, IpRange: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
  ec2KeyPair: "EC2 API Reference, CreateKeyPair: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateKeyPair.html",
  ec2Azs: "EC2 API Reference, DescribeAvailabilityZones / AvailabilityZone.OptInStatus: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html",
  ec2FlowLogs: "EC2 API Reference, CreateFlowLogs (MaxAggregationInterval): https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html",
  vpcQuotas: "Amazon VPC quotas: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
  vpcCidr: "VPC CIDR blocks: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html",
  subnetSizing: "Subnet CIDR blocks (5 reserved addresses per subnet): https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
  albSubnets: "Subnets for your load balancer (/27, 8 free addresses): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer",
  fargateEndpoints: "Amazon ECR interface VPC endpoints: https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html",
  rdsCreate: "RDS API Reference, CreateDBInstance: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
  rdsParameterGroup: "RDS API Reference, CreateDBParameterGroup: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
  rdsSubnetGroup: "RDS API Reference, CreateDBSubnetGroup: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html",
  rdsDelete: "RDS API Reference, DeleteDBInstance (FinalDBSnapshotIdentifier): https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html",
  rdsAutoscaling: "Managing capacity automatically with Amazon RDS storage autoscaling: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html",
  rdsStorage: "Amazon RDS DB instance storage: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html",
  rdsClasses: "DB instance class types: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Types.html",
  rdsMysqlLogs: "MySQL database log files (slow query and general logs): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.MySQL.LogFileSize.html",
  rdsLogsToCloudWatch: "Publishing MySQL logs to Amazon CloudWatch Logs: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs.html",
  rdsFailover: "Failing over a Multi-AZ DB instance for Amazon RDS: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html",
  ecsServices: "Amazon ECS services (the scheduler replaces tasks a container or target group health check finds unhealthy): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html",
  ecsRegister: "ECS API Reference, RegisterTaskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
  ecsContainer: "ECS API Reference, ContainerDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html",
  ecsHealthCheck: "ECS API Reference, HealthCheck: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html",
  ecsLogConfiguration: "ECS API Reference, LogConfiguration: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LogConfiguration.html",
  ecsAwsVpc: "ECS API Reference, AwsVpcConfiguration: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html",
  ecsDeployment: "ECS API Reference, DeploymentConfiguration: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html",
  ecsService: "ECS API Reference, CreateService: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
  ecsExecutionRole: "Amazon ECS task execution IAM role: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
  fargateSizes: "Troubleshoot Amazon ECS task definition invalid CPU or memory errors: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html",
  aasTarget: "Application Auto Scaling API Reference, RegisterScalableTarget: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html",
  aasPolicy: "Application Auto Scaling API Reference, PutScalingPolicy / PredefinedMetricSpecification: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html",
  acmRequest: "ACM API Reference, RequestCertificate: https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html",
  ecrCreate: "ECR API Reference, CreateRepository: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html",
  ecrLifecycle: "ECR API Reference, PutLifecyclePolicy: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutLifecyclePolicy.html",
  ecrLifecycleRules: "Lifecycle policy properties in Amazon ECR: https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html",
  ecrActions: "Actions, resources, and condition keys for Amazon ECR: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html",
  iamRole: "IAM API Reference, CreateRole: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
  iamInstanceProfile: "IAM API Reference, CreateInstanceProfile: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html",
  iamQuotas: "IAM and AWS STS quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
  snsTopic: "SNS API Reference, CreateTopic: https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
  snsKeys: "SNS key management, compatibility with AWS services (customer managed key): https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
  cwAlarm: "CloudWatch API Reference, PutMetricAlarm: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
  cwMetricQuery: "CloudWatch API Reference, MetricDataQuery: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html",
  cwAlarmsGuide: "Using Amazon CloudWatch alarms (M out of N, evaluation range): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
  cwQuotas: "CloudWatch service quotas: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html",
  cwAlbMetrics: "CloudWatch metrics for your Application Load Balancer (metrics, dimensions, statistics): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
  cwEcsMetrics: "Amazon ECS CloudWatch metrics (AWS/ECS, valid dimensions and statistics): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-metrics.html",
  cwContainerInsightsEcs: "Amazon ECS Container Insights metrics (ECS/ContainerInsights): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html",
  cwRdsMetrics: "Amazon CloudWatch metrics for Amazon RDS (AWS/RDS): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html",
  cwRdsDimensions: "Amazon CloudWatch dimensions for Amazon RDS: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/dimensions.html",
  cwAcmMetrics: "ACM, supported CloudWatch metrics (AWS/CertificateManager DaysToExpiry): https://docs.aws.amazon.com/acm/latest/userguide/cloudwatch-metrics.html",
  cwDashboard: "CloudWatch API Reference, PutDashboard: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
  cwDashboardBody: "Dashboard body structure and syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html",
  logsCreate: "CloudWatch Logs API Reference, CreateLogGroup: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
  logsRetention: "CloudWatch Logs API Reference, PutRetentionPolicy: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
  smCreate: "Secrets Manager API Reference, CreateSecret: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
  smDelete: "Secrets Manager API Reference, DeleteSecret (RecoveryWindowInDays): https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html",
  tfNamePrefix: "terraform-provider-aws: name_prefix appends a 26-character unique suffix (internal/create/naming.go)",
} as const;

/** Terraform's name_prefix appends a unique id of this many characters. */
export const NAME_PREFIX_SUFFIX = "20261206150000000000000001";

/** A `${...}` reference: its value is only known at apply. */
export const isRef = (v: unknown) => typeof v === "string" && v.includes("${");

/**
 * The name a resource will have: `name` as written, or `name_prefix` plus Terraform's
 * 26-character suffix; undefined when it is a reference.
 */
export function nameOf(r: Res, field = "name"): string | undefined {
  const given = r[field];
  const prefix = r[`${field}_prefix`];
  if (typeof given === "string" && !isRef(given)) return given;
  if (typeof prefix === "string" && !isRef(prefix)) return prefix + NAME_PREFIX_SUFFIX;
  return undefined;
}

/** A rule over the names of `types`: `problem(name)` says what is wrong with one. */
export function names(types: readonly string[], problem: (name: string, r: Res) => string | undefined, field = "name") {
  return (json: TerraformJson): Violation[] =>
    types.flatMap((type) =>
      each(json, type).flatMap(([resource, r]) => {
        const name = nameOf(r, field);
        const message = name === undefined ? undefined : problem(name, r);
        return message ? [{ resource, message: `${field} "${name}": ${message}` }] : [];
      }),
    );
}

/** The first broken clause of a name rule, or undefined. */
export function nameProblem(clauses: readonly [boolean, string][]): string | undefined {
  return clauses.find(([broken]) => broken)?.[1];
}

/** `min <= value <= max` for a number (or a numeric string); references pass. */
export function outside(value: unknown, min: number, max: number): boolean {
  if (value === undefined || isRef(value)) return false;
  const n = Number(value);
  return !Number.isInteger(n) || n < min || n > max;
}

export const LONG = (n: number) => "k".repeat(n);
