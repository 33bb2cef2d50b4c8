import { costLines, total, VARIANTS } from "../../tools/cost";
import { synthStack } from "../../modules/synth";
import { PRICES } from "../../tools/prices";

const cost = (settings = {}) => costLines(synthStack(settings));
const line = (lines: ReturnType<typeof costLines>, prefix: string) => lines.filter((l) => l.item.startsWith(prefix)).reduce((n, l) => n + l.usd, 0);

describe("cost", () => {
  test.each(VARIANTS.map(([name, s]) => [name, s] as const))("every resource type of the %s stack is priced or known to be free", (_n, settings) => {
    expect(total(cost(settings))).toBeGreaterThan(0);
  });

  test("a resource type the script does not know stops it instead of being left out", () => {
    const json = synthStack();
    json.resource!.aws_elasticache_cluster = { x: {} };
    expect(() => costLines(json)).toThrow(/no price for resource types: aws_elasticache_cluster/);
    json.resource!.aws_mq_broker = { y: {} };
    expect(() => costLines(json)).toThrow("no price for resource types: aws_elasticache_cluster, aws_mq_broker (add them to tools/cost.ts)");
  });

  test("a metric math alarm is billed per metric in it, not per expression", () => {
    const alarms = (lines: ReturnType<typeof costLines>) => Number(/^Alarms: (\d+) alarm metrics/.exec(lines.find((l) => l.item.startsWith("Alarms:"))!.item)![1]);
    const json = synthStack();
    const before = alarms(costLines(json));
    json.resource!.aws_cloudwatch_metric_alarm.math = { metric_query: [{ id: "m1", metric: {} }, { id: "m2", metric: {} }, { id: "e1", expression: "m1 + m2" }] };
    expect(alarms(costLines(json))).toBe(before + 2);
  });

  test("a database class or bastion type without a price stops it, naming the class and where prices live", () => {
    const json = synthStack();
    Object.values(json.resource!.aws_db_instance)[0].instance_class = "db.x9.huge";
    expect(() => costLines(json)).toThrow("no price for RDS class db.x9.huge (add it to tools/prices.ts)");
    const bastion = synthStack();
    Object.values(bastion.resource!.aws_instance)[0].instance_type = "x9.huge";
    expect(() => costLines(bastion)).toThrow("no price for EC2 type x9.huge (add it to tools/prices.ts)");
  });

  test("the cluster-split metric costs one custom metric plus one EMF line a minute per task, and nothing without the sidecar", () => {
    const two = line(cost(), "Cluster-split metric");
    const four = line(cost({ desiredCount: 4, maxCount: 4 }), "Cluster-split metric");
    const perTaskLogs = (730 * 60 * 360 * 0.57) / 1024 ** 3;
    expect(two).toBeCloseTo(0.3 + 2 * perTaskLogs, 5);
    expect(four).toBeCloseTo(0.3 + 4 * perTaskLogs, 5);
    const json = synthStack();
    const task = Object.values(json.resource!.aws_ecs_task_definition)[0];
    task.container_definitions = JSON.stringify((JSON.parse(String(task.container_definitions)) as { name: string }[]).filter((c) => c.name === "keycloak"));
    expect(line(costLines(json), "Cluster-split metric")).toBe(0);
  });

  test("the WAF costs its web ACL, one rule fee per rule, the requests it inspects and its log; none with it off", () => {
    const wafLine = (settings: Record<string, unknown>) => costLines(synthStack(settings)).find((l) => l.item.startsWith("WAF web ACL"));
    expect(wafLine({})).toEqual({
      item: "WAF web ACL + 7 rules (+5M requests, 0.5 GB of logs)",
      usd: PRICES.wafWebAclMonth.usd + 7 * PRICES.wafRuleMonth.usd + 5 * PRICES.wafMillionRequests.usd + 0.5 * PRICES.vendedLogsIngestGb.usd,
    });
    expect(wafLine({ wafEnabled: false })).toBeUndefined();
    expect(wafLine({ profile: "dev" })).toBeUndefined();
  });

  test("ALB access logs cost the days of logs S3 keeps and one PUT per ALB node every 5 minutes; nothing while off", () => {
    const logsLine = (settings: Record<string, unknown>) => cost(settings).find((l) => l.item.startsWith("ALB access logs in S3"));
    expect(logsLine({})).toBeUndefined();
    const puts = 2 * 12 * 730;
    expect(logsLine({ albAccessLogs: true, albAccessLogRetentionDays: 90 })).toEqual({
      item: `ALB access logs in S3 (~1.5 GB kept for 90 days, ${puts} PUTs)`,
      usd: 1.5 * PRICES.s3StandardGbMonth.usd + (puts / 1000) * PRICES.s3ThousandPuts.usd,
    });
    expect(logsLine({ albAccessLogs: true, azCount: 3 })!.item).toContain(`${3 * 12 * 730} PUTs`);
  });

  test("Multi-AZ doubles the database instance line, and only a Multi-AZ database's lines say so", () => {
    const [multi, single] = [cost({ dbMultiAz: true }), cost({ dbMultiAz: false })];
    expect(line(multi, "RDS MySQL")).toBeCloseTo(2 * line(single, "RDS MySQL"), 5);
    expect(multi.filter((l) => l.item.startsWith("RDS")).map((l) => l.item.endsWith(" Multi-AZ"))).toEqual([true, true]);
    expect(single.filter((l) => l.item.startsWith("RDS")).map((l) => l.item)).toEqual([expect.stringMatching(/^RDS MySQL db\.[a-z0-9]+\.[a-z0-9]+$/), expect.stringMatching(/^RDS gp3 \d+ GB$/)]);
  });

  test("ARM64 lowers the Fargate line, which names the architecture", () => {
    const arm = cost({ cpuArchitecture: "ARM64" });
    expect(line(arm, "Fargate")).toBeLessThan(line(cost(), "Fargate"));
    expect(arm.find((l) => l.item.startsWith("Fargate"))!.item).toMatch(/\(ARM64\)$/);
    expect(cost().find((l) => l.item.startsWith("Fargate"))!.item).toMatch(/\(X86_64\)$/);
  });

  test("NAT egress pays NAT gateways; public-ip pays task addresses and no NAT; endpoints pay 4 endpoints per zone", () => {
    expect(line(cost({ natGateways: "per-az" }), "NAT gateway")).toBeGreaterThan(line(cost(), "NAT gateway"));
    const publicIp = cost({ egressMode: "public-ip" });
    expect(line(publicIp, "NAT gateway")).toBe(0);
    expect(publicIp.find((l) => l.item.startsWith("Public IPv4"))!.item).toContain("2 tasks");
    expect(publicIp.find((l) => l.item.startsWith("Public IPv4"))!.item).not.toContain("NAT");
    // Counts of two digits are read whole: 12 task addresses, 2 for the ALB, 1 for the bastion.
    const twelve = cost({ egressMode: "public-ip", desiredCount: 12, maxCount: 12, dbInstanceClass: "db.r7g.large" }).find((l) => l.item.startsWith("Public IPv4"))!.item;
    expect(twelve).toMatch(/^Public IPv4 addresses x15 \(/);
    expect(cost({ egressMode: "endpoints" }).find((l) => l.item.startsWith("Interface endpoints"))!.item).toContain("x4 in 2 zones");
  });
});
