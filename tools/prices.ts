/**
 * On-demand list prices, eu-west-1 (the stack's default region), USD. Recorded on
 * 2026-11-28 from the public AWS pricing pages named next to each entry; this machine has
 * no internet access, so they were not re-fetched live: check them before budgeting.
 */
export const PRICES_DATE = "2026-11-28";
export const PRICES_REGION = "eu-west-1";
export const HOURS_PER_MONTH = 730;

export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
}

const FARGATE = "https://aws.amazon.com/fargate/pricing/";
const ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/";
const VPC = "https://aws.amazon.com/vpc/pricing/";
const PRIVATELINK = "https://aws.amazon.com/privatelink/pricing/";
const RDS = "https://aws.amazon.com/rds/mysql/pricing/";
const EC2 = "https://aws.amazon.com/ec2/pricing/on-demand/";
const EBS = "https://aws.amazon.com/ebs/pricing/";
const SECRETS = "https://aws.amazon.com/secrets-manager/pricing/";
const ROUTE53 = "https://aws.amazon.com/route53/pricing/";
const CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/";
const ECR = "https://aws.amazon.com/ecr/pricing/";
const KMS = "https://aws.amazon.com/kms/pricing/";
const WAF = "https://aws.amazon.com/waf/pricing/";
const S3 = "https://aws.amazon.com/s3/pricing/";

export const PRICES = {
  fargateVcpuHourX86: { usd: 0.04048, unit: "vCPU-hour", source: FARGATE },
  fargateGbHourX86: { usd: 0.004445, unit: "GB-hour", source: FARGATE },
  fargateVcpuHourArm: { usd: 0.03238, unit: "vCPU-hour", source: FARGATE },
  fargateGbHourArm: { usd: 0.00356, unit: "GB-hour", source: FARGATE },
  albHour: { usd: 0.0252, unit: "ALB-hour", source: ELB },
  albLcuHour: { usd: 0.008, unit: "LCU-hour", source: ELB },
  natHour: { usd: 0.048, unit: "NAT gateway-hour", source: VPC },
  natGb: { usd: 0.048, unit: "GB processed", source: VPC },
  publicIpv4Hour: { usd: 0.005, unit: "public IPv4 address-hour", source: VPC },
  interfaceEndpointAzHour: { usd: 0.011, unit: "endpoint-AZ-hour", source: PRIVATELINK },
  interfaceEndpointGb: { usd: 0.01, unit: "GB processed", source: PRIVATELINK },
  rdsGp3GbMonthSingleAz: { usd: 0.127, unit: "GB-month", source: RDS },
  ebsGp3GbMonth: { usd: 0.088, unit: "GB-month", source: EBS },
  secretMonth: { usd: 0.4, unit: "secret-month", source: SECRETS },
  hostedZoneMonth: { usd: 0.5, unit: "hosted zone-month", source: ROUTE53 },
  logsIngestGb: { usd: 0.57, unit: "GB ingested", source: CLOUDWATCH },
  vendedLogsIngestGb: { usd: 0.5, unit: "GB ingested (vended: flow logs)", source: CLOUDWATCH },
  customMetricMonth: { usd: 0.3, unit: "metric-month", source: CLOUDWATCH },
  alarmMonth: { usd: 0.1, unit: "alarm-month", source: CLOUDWATCH },
  dashboardMonth: { usd: 3, unit: "dashboard-month (beyond the 3 free ones)", source: CLOUDWATCH },
  ecrGbMonth: { usd: 0.1, unit: "GB-month", source: ECR },
  // Rotation keeps the old key material: each of the first two rotations adds $1/month, later ones nothing.
  kmsKeyMonth: { usd: 1, unit: "customer managed key-month (first year, before its first rotation)", source: KMS },
  wafWebAclMonth: { usd: 5, unit: "web ACL-month", source: WAF },
  /** A managed rule group counts as one rule (the AWS groups we use carry no extra subscription fee). */
  wafRuleMonth: { usd: 1, unit: "rule-month", source: WAF },
  wafMillionRequests: { usd: 0.6, unit: "million requests inspected", source: WAF },
  s3StandardGbMonth: { usd: 0.023, unit: "GB-month (S3 Standard, first 50 TB)", source: S3 },
  s3ThousandPuts: { usd: 0.005, unit: "1,000 PUT requests (S3 Standard)", source: S3 },
} satisfies Record<string, Price>;

export const INSTANCE_PRICE_SOURCES = [RDS, EC2] as const;

/** RDS for MySQL single-AZ instance-hours; Multi-AZ costs twice. */
export const RDS_INSTANCE_HOUR: Readonly<Record<string, number>> = {
  "db.t4g.micro": 0.018,
  "db.t4g.small": 0.036,
  "db.t4g.medium": 0.072,
  "db.t4g.large": 0.145,
  "db.t3.micro": 0.02,
  "db.t3.small": 0.04,
  "db.t3.medium": 0.08,
  "db.m6g.large": 0.17,
  "db.m7g.large": 0.181,
  "db.r6g.large": 0.258,
  "db.r7g.large": 0.275,
};

/** EC2 Linux instance-hours (bastion). */
export const EC2_INSTANCE_HOUR: Readonly<Record<string, number>> = {
  "t4g.nano": 0.0046,
  "t4g.micro": 0.0092,
  "t4g.small": 0.0184,
  "t3.nano": 0.0057,
  "t3.micro": 0.0114,
  "t3.small": 0.0228,
};

/** Usage the stack does not determine; stated in the output. */
export const ASSUMPTIONS = {
  albLcus: 1,
  natGbPerMonth: 5,
  endpointGbPerMonth: 5,
  keycloakLogGbPerMonth: 2,
  flowLogGbPerMonth: 1,
  wafMillionRequestsPerMonth: 5,
  /** Only blocked and counted requests are logged (modules/edge/waf.ts). */
  wafLogGbPerMonth: 0.5,
  imageGb: 0.5,
  /** ALB access logs as stored (gzip), per month of traffic; an estimate, not a measurement. */
  albAccessLogGbPerMonth: 0.5,
  containerInsightsMetricsPerTask: 10,
  bastionRootGb: 8,
  /** One cluster-metrics EMF line (about 330 bytes) plus the 26 bytes CloudWatch Logs bills per event. */
  clusterMetricsEventBytes: 360,
} as const;
