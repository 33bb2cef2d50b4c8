import { connectionBudget } from "../../modules/config";
import { keycloakContainer, onlyResource, resourcesOf, synthStack, testConfig } from "../../modules/synth";
import { CPU_TARGET_PERCENT, KEYCLOAK_FIGURES, OUR_FIGURES } from "../../modules/service/capacity-figures";
import { FARGATE_SIZES } from "../../modules/service/fargate";
import {
  baseVcpu,
  capacityPlan,
  capacityReport,
  chooseDatabase,
  chooseTaskSize,
  MIN_TASKS,
  provisionedVcpu,
  requestsPerTarget,
  SCALE_OUT_FACTOR,
  taskCount,
  taskMemoryMib,
  type Demand,
} from "../../tools/capacity-model";
import { parseArgs } from "../../tools/capacity";
import { RDS_INSTANCE_HOUR } from "../../tools/prices";

const logins = (n: number, refreshes = 0, clientCredentials = 0): Demand => ({
  loginsPerSecond: n,
  refreshesPerSecond: refreshes,
  clientCredentialsPerSecond: clientCredentials,
});

describe("capacity model: the arithmetic", () => {
  test("reproduces Keycloak's own calculation example: 45 logins, 360 client credentials, 360 refreshes a second = 9 vCPU, limit 2.5 x that", () => {
    const base = baseVcpu(logins(45, 360, 360), KEYCLOAK_FIGURES);
    expect(base).toBeCloseTo(9, 9);
    // The guide's example: 3 pods requesting 3 vCPU each, limited at 7.5 each.
    expect(provisionedVcpu(base)).toBeCloseTo(3 * 7.5, 9);
  });

  test("our figures: 5 logins a second at 83.6 CPU-ms are 0.418 vCPU before headroom", () => {
    expect(baseVcpu(logins(5), OUR_FIGURES)).toBeCloseTo(0.418, 9);
    expect(baseVcpu(logins(0, 100), OUR_FIGURES)).toBeCloseTo(0.72, 9);
  });

  test("the task count rounds the provisioned vCPU up, without floating-point dust at an exact fit", () => {
    expect(taskCount(0.8, 1).forHeadroom).toBe(2);
    // 30 logins at 1000/15 CPU-ms each are 2.0000000000000004 vCPU in floating point: 5 tasks, not 6.
    expect(taskCount(baseVcpu(logins(30), KEYCLOAK_FIGURES), 1).forHeadroom).toBe(5);
    expect(taskCount(0.81, 1).forHeadroom).toBe(3);
    expect(taskCount(4, 1).tasks).toBe(10);
    expect(taskCount(4, 2).tasks).toBe(5);
  });

  test(`at least ${MIN_TASKS} tasks, one per zone, however small the load (with none at all, the only rule left)`, () => {
    expect(taskCount(0, 1)).toEqual({ tasks: 2, forHeadroom: 0, forLosingOne: 1 });
    expect(taskCount(0.001, 1).tasks).toBe(2);
    expect(taskCount(0.001, 16).tasks).toBe(2);
  });

  test("losing any one task leaves the survivors enough CPU for the load, unthrottled; the task count at the demand keeps the CPU at or below the scaling target", () => {
    for (let base = 0.05; base < 60; base += 0.37) {
      for (const vcpu of [1, 2, 4]) {
        const { tasks } = taskCount(base, vcpu);
        expect([base, vcpu, (tasks - 1) * vcpu >= base]).toEqual([base, vcpu, true]);
        expect((base / (tasks * vcpu)) * 100).toBeLessThanOrEqual(CPU_TARGET_PERCENT + 1e-9);
      }
    }
  });

  test("losing one task is a rule of its own: with a smaller headroom it adds the task the headroom alone would not", () => {
    expect(taskCount(1.5, 1, 1)).toEqual({ tasks: 3, forHeadroom: 2, forLosingOne: 3 });
    expect(taskCount(1.5, 1, 1.2)).toMatchObject({ tasks: 3, forHeadroom: 2 });
  });

  test("the request-count target is the requests a minute that put one task at the CPU target with the demand's mix (a login is 3 requests)", () => {
    // 83.6 CPU-ms over 3 requests = 27.87 CPU-ms each; 40 % of 1 vCPU = 14.35 requests a second = 861 a minute.
    expect(requestsPerTarget(logins(5), baseVcpu(logins(5), OUR_FIGURES), 1)).toBe(861);
    // 7.2 CPU-ms a refresh: 55.6 a second at 40 % = 3333 a minute; a 2 vCPU task twice that.
    expect(requestsPerTarget(logins(0, 100), baseVcpu(logins(0, 100), OUR_FIGURES), 1)).toBe(3333);
    expect(requestsPerTarget(logins(0, 100), baseVcpu(logins(0, 100), OUR_FIGURES), 2)).toBe(6666);
  });

  test("client credentials grants count in the request-count target, and a demand of client credentials alone is served", () => {
    // 6.2 CPU-ms a grant: 40 % of 1 vCPU is 64.5 grants a second, 3870 a minute.
    expect(requestsPerTarget(logins(0, 0, 100), baseVcpu(logins(0, 0, 100), OUR_FIGURES), 1)).toBe(3870);
    expect(capacityPlan(logins(0, 0, 10)).baseVcpu).toBeCloseTo(0.062, 6);
  });

  test("task memory: the smallest Fargate accepts at that CPU that holds Keycloak's 1250 MB per node", () => {
    // Below 1 vCPU Fargate's smallest memory is too small: 0.25 and 0.5 vCPU need 2048, not 512 or 1024.
    expect(taskMemoryMib(256)).toBe(2048);
    expect(taskMemoryMib(512)).toBe(2048);
    expect(taskMemoryMib(1024)).toBe(2048);
    expect(taskMemoryMib(2048)).toBe(4096);
    expect(taskMemoryMib(4096)).toBe(8192);
    for (const cpu of [1024, 2048, 4096, 8192, 16384]) {
      expect(FARGATE_SIZES[cpu]).toContain(taskMemoryMib(cpu));
      expect(taskMemoryMib(cpu) * 1024 * 1024).toBeGreaterThanOrEqual(1250 * 1_000_000);
    }
  });

  test("the task size is the cheapest whose count and maxCount fit 100 tasks; a larger size only when the smaller would need more", () => {
    expect(chooseTaskSize(0.795)).toMatchObject({ taskCpu: 1024, taskMemory: 2048, maxCount: 4 });
    // 31.8 vCPU x 2.5 = 80 one-vCPU tasks, maxCount 160 > 100: two-vCPU tasks.
    expect(chooseTaskSize(31.8)).toMatchObject({ taskCpu: 2048, count: { tasks: 40 }, maxCount: 80 });
    expect(chooseTaskSize(1000)).toBeUndefined();
  });

  test("a maxCount of exactly the service's 100 tasks fits: 320 vCPU x 2.5 = 50 sixteen-vCPU tasks, maxCount 100", () => {
    expect(chooseTaskSize(320)).toMatchObject({ taskCpu: 16384, count: { tasks: 50 }, maxCount: 100 });
    expect(chooseTaskSize(320.1)).toBeUndefined();
  });

  test("the database is the cheapest priced class whose connection budget (synth's own check) holds the pool", () => {
    const byPrice = Object.keys(RDS_INSTANCE_HOUR).sort((a, b) => RDS_INSTANCE_HOUR[a] - RDS_INSTANCE_HOUR[b]);
    for (const [desired, max, vcpu] of [[2, 4, 1], [3, 6, 1], [10, 20, 1], [27, 54, 1], [10, 20, 2]] as const) {
      const choice = chooseDatabase(desired, max, vcpu)!;
      expect(choice.dbPoolMaxSize).toBe(20 * vcpu);
      const fits = (dbInstanceClass: string) => {
        const b = connectionBudget({ dbInstanceClass, desiredCount: desired, maxCount: max, dbPoolMaxSize: choice.dbPoolMaxSize });
        return b.demand.total <= b.connections;
      };
      expect(fits(choice.dbInstanceClass)).toBe(true);
      for (const cheaper of byPrice.slice(0, byPrice.indexOf(choice.dbInstanceClass))) expect([cheaper, fits(cheaper)]).toEqual([cheaper, false]);
    }
    expect(chooseDatabase(2, 4, 1)!.dbInstanceClass).toBe("db.t4g.small");
  });

  test("when no priced class holds the pool, the largest class gets the largest pool that fits, and says so", () => {
    const choice = chooseDatabase(40, 80, 4)!;
    expect(choice.poolReducedFrom).toBe(80);
    const budget = connectionBudget({ dbInstanceClass: choice.dbInstanceClass, desiredCount: 40, maxCount: 80, dbPoolMaxSize: choice.dbPoolMaxSize });
    expect(budget.demand.total).toBeLessThanOrEqual(budget.connections);
    expect(choice.dbPoolMaxSize).toBe(budget.fits);
  });
});

describe("capacity model: its recommended settings synthesize and pass the configuration's checks", () => {
  test.each([
    ["5 logins/s", logins(5), "prod"],
    ["50 logins/s", logins(50), "prod"],
    ["200 logins/s", logins(200), "prod"],
    ["Keycloak's mixed example", logins(45, 360, 360), "prod"],
    ["5 logins/s, dev profile", logins(5), "dev"],
  ] as const)("%s", (_name, demand, profile) => {
    const plan = capacityPlan(demand, "ours", profile);
    const s = plan.settings;
    // The same validation synth runs, the connection budget included.
    const config = testConfig(s);
    expect(config).toMatchObject({ taskCpu: plan.task.taskCpu, desiredCount: plan.task.count.tasks, maxCount: SCALE_OUT_FACTOR * plan.task.count.tasks });
    const budget = connectionBudget(config);
    expect(budget.demand.total).toBeLessThanOrEqual(budget.connections);

    const json = synthStack(s);
    const task = onlyResource(json, "aws_ecs_task_definition");
    expect([Number(task.cpu), Number(task.memory)]).toEqual([s.taskCpu, s.taskMemory]);
    expect(onlyResource(json, "aws_appautoscaling_target")).toMatchObject({ min_capacity: s.desiredCount, max_capacity: s.maxCount });
    const targets = Object.values(resourcesOf(json, "aws_appautoscaling_policy"))
      .map((p) => (p.target_tracking_scaling_policy_configuration as { target_value?: number } | undefined)?.target_value)
      .filter((v) => v !== undefined);
    expect(targets.sort()).toEqual([s.cpuTargetPercent, s.requestsPerTarget].sort());
    expect(onlyResource(json, "aws_db_instance").instance_class).toBe(s.dbInstanceClass);
    expect(keycloakContainer(json).environment).toContainEqual({ name: "KC_DB_POOL_MAX_SIZE", value: String(s.dbPoolMaxSize) });
    expect(plan.costLines.find((l) => l.item.startsWith("Fargate"))!.item).toContain(`${s.desiredCount} tasks x ${Number(s.taskCpu) / 1024} vCPU`);
  });

  test("the default stack is what 5 logins a second need by our figures", () => {
    const defaults = testConfig({});
    const plan = capacityPlan(logins(5));
    for (const key of ["taskCpu", "taskMemory", "desiredCount", "maxCount", "cpuTargetPercent", "dbInstanceClass", "dbPoolMaxSize"] as const) {
      expect([key, plan.settings[key]]).toEqual([key, defaults[key]]);
    }
  });

  test("the report prints the figures with their sources and a settings block cdktf.json takes", () => {
    const report = capacityReport(capacityPlan(logins(5, 40, 10)), "prod");
    expect(report).toMatch(/clientCredentialsCpuMs = 6\.20 \(\d{4}-\d\d-\d\d\): npm run bench:capacity on our stand/);
    expect(report).toContain("passwordLoginCpuMs = 83.60");
    const block = JSON.parse(report.slice(report.indexOf("{"))) as { prod: Record<string, unknown> };
    expect(() => testConfig(block.prod)).not.toThrow();
  });

  test("a demand nothing serves, or none, is refused with the reason", () => {
    expect(() => capacityPlan(logins(0))).toThrow(/no demand/);
    expect(() => capacityPlan(logins(-1))).toThrow(/loginsPerSecond: got -1; allowed: a number >= 0/);
    expect(() => capacityPlan(logins(10_000))).toThrow(/more than 50 tasks of the largest Fargate size/);
  });
});

describe("npm run capacity: arguments", () => {
  test("rates, profile and figures; rates not given are 0", () => {
    expect(parseArgs(["--logins-per-second", "50", "--figures", "keycloak", "--profile", "dev"])).toEqual({
      demand: logins(50), profile: "dev", figures: "keycloak", environment: undefined,
    });
  });

  test("a bad value names the option, the value and what is allowed", () => {
    expect(() => parseArgs(["--logins-per-second", "many"])).toThrow("--logins-per-second: got 'many'; allowed: a number >= 0");
    expect(() => parseArgs(["--profile", "staging"])).toThrow("--profile: got 'staging'; allowed: prod, dev");
    expect(() => parseArgs(["--figures", "vendor"])).toThrow("--figures: got 'vendor'; allowed: ours, keycloak");
    expect(() => parseArgs(["--logins"])).toThrow("option '--logins' needs a value");
  });
});
