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

  test("Multi-AZ doubles the database instance line", () => {
    expect(line(cost({ dbMultiAz: true }), "RDS MySQL")).toBeCloseTo(2 * line(cost({ dbMultiAz: false }), "RDS MySQL"), 5);
  });

  test("ARM64 lowers the Fargate line", () => {
    expect(line(cost({ cpuArchitecture: "ARM64" }), "Fargate")).toBeLessThan(line(cost(), "Fargate"));
  });

  test("NAT egress pays NAT gateways; public-ip pays task addresses and no NAT; endpoints pay 4 endpoints per zone", () => {
    expect(line(cost({ natGateways: "per-az" }), "NAT gateway")).toBeGreaterThan(line(cost(), "NAT gateway"));
    const publicIp = cost({ egressMode: "public-ip" });
    expect(line(publicIp, "NAT gateway")).toBe(0);
    expect(publicIp.find((l) => l.item.startsWith("Public IPv4"))!.item).toContain("2 tasks");
    expect(cost({ egressMode: "endpoints" }).find((l) => l.item.startsWith("Interface endpoints"))!.item).toContain("x4 in 2 zones");
  });
});
