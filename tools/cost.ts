/**
 * Monthly cost of the synthesized stack (npm run cost): every priced resource is counted
 * in the Terraform JSON, so the table follows the stack. A resource type that is neither
 * priced nor known to be free stops the script, so nothing is silently left out.
 */
import type { RawSettings } from "../modules/config";
import { SCRAPE_INTERVAL_SECONDS, SIDECAR_NAME } from "../modules/service/cluster-metrics";
import { synthStack, type TerraformJson } from "../modules/synth";
import { ASSUMPTIONS, EC2_INSTANCE_HOUR, HOURS_PER_MONTH, INSTANCE_PRICE_SOURCES, PRICES, PRICES_DATE, PRICES_REGION, RDS_INSTANCE_HOUR } from "./prices";

/** Resource types that cost nothing by themselves (their usage is priced elsewhere). */
export const FREE_TYPES = new Set([
  "aws_acm_certificate", "aws_acm_certificate_validation", "aws_appautoscaling_target", "aws_db_parameter_group",
  "aws_db_subnet_group", "aws_default_security_group", "aws_ecr_lifecycle_policy", "aws_ecs_task_definition",
  "aws_iam_instance_profile", "aws_iam_role", "aws_iam_role_policy", "aws_internet_gateway", "aws_key_pair",
  "aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group", "aws_route", "aws_route53_record",
  "aws_route_table", "aws_route_table_association", "aws_security_group", "aws_subnet", "aws_vpc",
  "aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule", "null_resource",
  "tls_private_key", "tls_self_signed_cert", "aws_sns_topic", "aws_sns_topic_subscription",
  "aws_wafv2_web_acl_association", "aws_wafv2_web_acl_logging_configuration",
  "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block", "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_lifecycle_configuration",
]);

export interface CostLine {
  readonly item: string;
  readonly usd: number;
}

type Res = Record<string, unknown>;
const all = (json: TerraformJson, type: string): Res[] => Object.values(json.resource?.[type] ?? {});
const month = (hourly: number) => hourly * HOURS_PER_MONTH;

/** Priced lines of one synthesized stack. Throws on a resource type it cannot price. */
export function costLines(json: TerraformJson): CostLine[] {
  const priced = new Set([
    "aws_ecs_service", "aws_ecs_cluster", "aws_lb", "aws_nat_gateway", "aws_eip", "aws_vpc_endpoint", "aws_db_instance",
    "aws_instance", "aws_secretsmanager_secret", "aws_route53_zone", "aws_cloudwatch_log_group", "aws_flow_log",
    "aws_ecr_repository", "aws_appautoscaling_policy", "aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard",
    "aws_kms_key",
    "aws_wafv2_web_acl",
    "aws_s3_bucket",
  ]);
  const unknown = Object.keys(json.resource ?? {}).filter((t) => !priced.has(t) && !FREE_TYPES.has(t));
  if (unknown.length > 0) throw new Error(`no price for resource types: ${unknown.join(", ")} (add them to tools/cost.ts)`);

  const lines: CostLine[] = [];
  const add = (item: string, usd: number) => usd > 0 && lines.push({ item, usd });

  const task = all(json, "aws_ecs_task_definition")[0];
  const service = all(json, "aws_ecs_service")[0];
  // The running count is the autoscaling minimum: the service is created with one task (first boot) and raised to it.
  const tasks = Number(all(json, "aws_appautoscaling_target")[0].min_capacity);
  const vcpu = Number(task.cpu) / 1024;
  const gb = Number(task.memory) / 1024;
  const arm = (task.runtime_platform as Res).cpu_architecture === "ARM64";
  const vcpuHour = arm ? PRICES.fargateVcpuHourArm.usd : PRICES.fargateVcpuHourX86.usd;
  const gbHour = arm ? PRICES.fargateGbHourArm.usd : PRICES.fargateGbHourX86.usd;
  add(`Fargate: ${tasks} tasks x ${vcpu} vCPU / ${gb} GB (${arm ? "ARM64" : "X86_64"})`, tasks * month(vcpu * vcpuHour + gb * gbHour));
  add(`Container Insights: ~${ASSUMPTIONS.containerInsightsMetricsPerTask} metrics per task`, tasks * ASSUMPTIONS.containerInsightsMetricsPerTask * PRICES.customMetricMonth.usd);

  const publicIps: string[] = [];
  const zones = all(json, "aws_subnet").length / 2;
  for (const _ of all(json, "aws_lb")) {
    add(`ALB (+${ASSUMPTIONS.albLcus} LCU)`, month(PRICES.albHour.usd + ASSUMPTIONS.albLcus * PRICES.albLcuHour.usd));
    publicIps.push(`${zones} for the ALB`);
  }
  for (const acl of all(json, "aws_wafv2_web_acl")) {
    const rules = (JSON.parse(String(acl.rule_json)) as unknown[]).length;
    add(
      `WAF web ACL + ${rules} rules (+${ASSUMPTIONS.wafMillionRequestsPerMonth}M requests, ${ASSUMPTIONS.wafLogGbPerMonth} GB of logs)`,
      PRICES.wafWebAclMonth.usd + rules * PRICES.wafRuleMonth.usd + ASSUMPTIONS.wafMillionRequestsPerMonth * PRICES.wafMillionRequests.usd +
        ASSUMPTIONS.wafLogGbPerMonth * PRICES.vendedLogsIngestGb.usd,
    );
  }
  const nats = all(json, "aws_nat_gateway").length;
  for (const lifecycle of all(json, "aws_s3_bucket_lifecycle_configuration")) {
    const days = Number((((lifecycle.rule as Res[])[0].expiration as Res[])[0]).days);
    // The ALB writes one file per node (one per zone) every 5 minutes; storage holds `days` of logs.
    const subnets = all(json, "aws_lb")[0].subnets;
    const puts = (subnets as unknown[]).length * 12 * HOURS_PER_MONTH;
    const gb = (ASSUMPTIONS.albAccessLogGbPerMonth * days) / 30;
    add(`ALB access logs in S3 (~${gb.toFixed(1)} GB kept for ${days} days, ${puts} PUTs)`, gb * PRICES.s3StandardGbMonth.usd + (puts / 1000) * PRICES.s3ThousandPuts.usd);
  }
  add(`NAT gateway x${nats} (+${ASSUMPTIONS.natGbPerMonth} GB)`, nats * month(PRICES.natHour.usd) + (nats > 0 ? ASSUMPTIONS.natGbPerMonth * PRICES.natGb.usd : 0));
  const eips = all(json, "aws_eip").length;
  if (eips > 0) publicIps.push(`${eips} NAT`);
  const interfaces = all(json, "aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface");
  const endpointAzs = interfaces.reduce((n, e) => n + (e.subnet_ids as unknown[]).length, 0);
  add(`Interface endpoints x${interfaces.length} in ${zones} zones (+${ASSUMPTIONS.endpointGbPerMonth} GB)`, month(endpointAzs * PRICES.interfaceEndpointAzHour.usd) + (interfaces.length > 0 ? ASSUMPTIONS.endpointGbPerMonth * PRICES.interfaceEndpointGb.usd : 0));

  for (const db of all(json, "aws_db_instance")) {
    const hourly = RDS_INSTANCE_HOUR[String(db.instance_class)];
    if (hourly === undefined) throw new Error(`no price for RDS class ${db.instance_class} (add it to tools/prices.ts)`);
    const copies = db.multi_az === true ? 2 : 1;
    add(`RDS MySQL ${db.instance_class}${copies === 2 ? " Multi-AZ" : ""}`, copies * month(hourly));
    add(`RDS gp3 ${db.allocated_storage} GB${copies === 2 ? " Multi-AZ" : ""}`, copies * Number(db.allocated_storage) * PRICES.rdsGp3GbMonthSingleAz.usd);
  }
  for (const instance of all(json, "aws_instance")) {
    const hourly = EC2_INSTANCE_HOUR[String(instance.instance_type)];
    if (hourly === undefined) throw new Error(`no price for EC2 type ${instance.instance_type} (add it to tools/prices.ts)`);
    add(`Bastion ${instance.instance_type} + ${ASSUMPTIONS.bastionRootGb} GB gp3`, month(hourly) + ASSUMPTIONS.bastionRootGb * PRICES.ebsGp3GbMonth.usd);
    publicIps.push("1 bastion");
  }
  if ((service.network_configuration as Res).assign_public_ip === true) publicIps.push(`${tasks} tasks`);
  const ipCount = publicIps.reduce((n, p) => n + Number(p.split(" ")[0]), 0);
  add(`Public IPv4 addresses x${ipCount} (${publicIps.join(", ")})`, ipCount * month(PRICES.publicIpv4Hour.usd));

  const secrets = all(json, "aws_secretsmanager_secret").length + all(json, "aws_db_instance").length;
  add(`Secrets Manager x${secrets} (incl. the RDS-managed master secret)`, secrets * PRICES.secretMonth.usd);
  add(`Route53 private zone x${all(json, "aws_route53_zone").length}`, all(json, "aws_route53_zone").length * PRICES.hostedZoneMonth.usd);
  add(`CloudWatch Logs: Keycloak ~${ASSUMPTIONS.keycloakLogGbPerMonth} GB`, ASSUMPTIONS.keycloakLogGbPerMonth * PRICES.logsIngestGb.usd);
  add(...clusterMetricsCost(task, tasks));
  add(`VPC flow logs ~${ASSUMPTIONS.flowLogGbPerMonth} GB`, all(json, "aws_flow_log").length * ASSUMPTIONS.flowLogGbPerMonth * PRICES.vendedLogsIngestGb.usd);
  // Target tracking makes its own high and low alarms; a metric math alarm is billed per metric in it.
  const trackingAlarms = all(json, "aws_appautoscaling_policy").filter((p) => p.policy_type === "TargetTrackingScaling").length * 2;
  const alarmMetrics = all(json, "aws_cloudwatch_metric_alarm").reduce(
    (n, a) => n + (Array.isArray(a.metric_query) ? (a.metric_query as Res[]).filter((q) => q.metric !== undefined).length : 1),
    0,
  );
  const alarms = trackingAlarms + alarmMetrics;
  add(`Alarms: ${alarms} alarm metrics (autoscaling, monitoring)`, alarms * PRICES.alarmMonth.usd);
  const dashboards = all(json, "aws_cloudwatch_dashboard").length;
  add(`CloudWatch dashboard x${dashboards}`, dashboards * PRICES.dashboardMonth.usd);
  const keys = all(json, "aws_kms_key").length;
  add(`KMS key x${keys} (alarm topic; +$1/month after each of its first two yearly rotations)`, keys * PRICES.kmsKeyMonth.usd);
  add(`ECR ~${ASSUMPTIONS.imageGb} GB`, all(json, "aws_ecr_repository").length * ASSUMPTIONS.imageGb * PRICES.ecrGbMonth.usd);
  return lines;
}

/**
 * The cluster-split alarm's metric (modules/service/cluster-metrics.ts): one custom metric (the
 * sidecars of all tasks share its dimensions) and the EMF lines they log, one per task and scrape.
 */
function clusterMetricsCost(task: Res, tasks: number): [string, number] {
  const containers = JSON.parse(String(task.container_definitions)) as Res[];
  if (!containers.some((c) => c.name === SIDECAR_NAME)) return ["cluster-metrics sidecar (none)", 0];
  const events = tasks * ((HOURS_PER_MONTH * 3600) / SCRAPE_INTERVAL_SECONDS);
  const gb = (events * ASSUMPTIONS.clusterMetricsEventBytes) / 1024 ** 3;
  return [`Cluster-split metric: 1 custom metric + ${gb.toFixed(3)} GB of EMF lines (${tasks} sidecars, one line a minute)`, PRICES.customMetricMonth.usd + gb * PRICES.logsIngestGb.usd];
}

export const total = (lines: readonly CostLine[]) => lines.reduce((n, l) => n + l.usd, 0);

/** The configurations the README compares. */
export const VARIANTS: readonly [string, RawSettings][] = [
  ["prod defaults (nat, Multi-AZ, X86_64)", {}],
  ["dev profile", { profile: "dev" }],
  ["prod, NAT per zone", { natGateways: "per-az" }],
  ["prod, public-ip egress", { egressMode: "public-ip" }],
  ["prod, endpoints egress", { egressMode: "endpoints" }],
  ["prod, single-AZ database", { dbMultiAz: false }],
  ["prod, ARM64 tasks", { cpuArchitecture: "ARM64" }],
  ["prod, WAF off", { wafEnabled: false }],
  ["prod, ALB access logs on", { albAccessLogs: true }],
];

const usd = (n: number) => `$${n.toFixed(2)}`;

export function costMarkdown(): string {
  const rows = VARIANTS.map(([name, settings]) => {
    const lines = costLines(synthStack(settings));
    const top = [...lines].sort((a, b) => b.usd - a.usd).slice(0, 3).map((l) => `${l.item.split(" (")[0]} ${usd(l.usd)}`);
    return `| ${name} | ${usd(total(lines))} | ${top.join("; ")} |`;
  });
  const defaults = costLines(synthStack({}));
  const sources = [...new Set([...Object.values(PRICES).map((p) => p.source), ...INSTANCE_PRICE_SOURCES])];
  return [
    `Monthly (${HOURS_PER_MONTH} h) on-demand list prices, ${PRICES_REGION}, recorded ${PRICES_DATE} from the pages below and not re-checked live (no internet here): re-check before budgeting. Usage-based lines use the stated assumptions. Generated by \`npm run cost\` from the synthesized stacks.`,
    "",
    "| configuration | per month | largest lines |",
    "| --- | ---: | --- |",
    ...rows,
    "",
    "Default configuration, line by line:",
    "",
    "| line | per month |",
    "| --- | ---: |",
    ...defaults.map((l) => `| ${l.item} | ${usd(l.usd)} |`),
    `| **total** | **${usd(total(defaults))}** |`,
    "",
    `Assumptions: ${Object.entries(ASSUMPTIONS).map(([k, v]) => `${k} = ${v}`).join(", ")}.`,
    "",
    `Sources: ${sources.join(", ")}`,
  ].join("\n");
}

if (require.main === module) console.log(costMarkdown());
