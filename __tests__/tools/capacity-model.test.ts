import { connectionBudget } from "../../modules/config";
import { keycloakContainer, onlyResource, resourcesOf, synthStack, testConfig } from "../../modules/synth";
import {
  CPU_TARGET_PERCENT,
  HEADROOM_FACTOR,
  KEYCLOAK_FIGURES,
  OUR_FIGURES,
  taskCpuAlarmPercent,
  type RequestCosts,
} from "../../modules/service/capacity-figures";
import { FARGATE_SIZES } from "../../modules/service/fargate";
import {
  baseVcpu,
  capacityExampleMarkdown,
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
  type CapacityPlan,
  type Demand,
} from "../../tools/capacity-model";
import { parseArgs } from "../../tools/capacity";
import { PRICES, RDS_INSTANCE_HOUR } from "../../tools/prices";

const logins = (n: number, refreshes = 0, clientCredentials = 0): Demand => ({
  loginsPerSecond: n,
  refreshesPerSecond: refreshes,
  clientCredentialsPerSecond: clientCredentials,
});

const MIB = 1024 * 1024;
const MB = 1_000_000;

/** Fargate's hourly price of `tasks` tasks of `taskCpu` units and `taskMemory` MiB, from the price table. */
const fargateHourly = (tasks: number, taskCpu: number, taskMemory: number) =>
  tasks * ((taskCpu / 1024) * PRICES.fargateVcpuHourX86.usd + (taskMemory / 1024) * PRICES.fargateGbHourX86.usd);

/** A demand's base vCPU by hand: rate x CPU-ms per request, summed, in CPU-seconds. */
const baseByHand = (d: Demand, costs: RequestCosts) =>
  (d.loginsPerSecond * costs.passwordLoginCpuMs.value + d.refreshesPerSecond * costs.refreshTokenCpuMs.value + d.clientCredentialsPerSecond * costs.clientCredentialsCpuMs.value) / 1000;

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

  test("a task size's hourly Fargate cost is its count x (vCPU x the vCPU-hour price + GB x the GB-hour price)", () => {
    expect(chooseTaskSize(0.795)!.fargateUsdPerHour).toBeCloseTo(fargateHourly(2, 1024, 2048), 12);
    expect(chooseTaskSize(31.8)!.fargateUsdPerHour).toBeCloseTo(fargateHourly(40, 2048, 4096), 12);
  });

  test("the task size is the cheapest, not the smallest, when a larger one costs less: at 3000 MB a node two 2 vCPU / 4 GiB tasks undercut four 1 vCPU / 3 GiB ones", () => {
    expect([1024, 2048, 4096].map((cpu) => taskMemoryMib(cpu, 3000))).toEqual([3072, 4096, 8192]);
    // 1.5 vCPU x 2.5 = 3.75: four 1 vCPU tasks, two 2 vCPU tasks or two 4 vCPU tasks.
    const [four, two, twoLarge] = [fargateHourly(4, 1024, 3072), fargateHourly(2, 2048, 4096), fargateHourly(2, 4096, 8192)];
    expect(two).toBeLessThan(Math.min(four, twoLarge));
    const choice = chooseTaskSize(1.5, 3000)!;
    expect(choice).toMatchObject({ taskCpu: 2048, taskMemory: 4096, count: { tasks: 2 }, maxCount: 4 });
    expect(choice.fargateUsdPerHour).toBeCloseTo(two, 12);
  });

  test("at equal cost the smaller task wins: 1.5 vCPU is four 1 vCPU / 2 GiB tasks or two 2 vCPU / 4 GiB ones, the same vCPU and GB", () => {
    expect(fargateHourly(4, 1024, 2048)).toBe(fargateHourly(2, 2048, 4096));
    expect(chooseTaskSize(1.5)).toMatchObject({ taskCpu: 1024, count: { tasks: 4 } });
  });

  test("a memory need of exactly a Fargate size takes that size, a byte more the next one", () => {
    expect(taskMemoryMib(1024, (4096 * MIB) / MB)).toBe(4096);
    expect(taskMemoryMib(1024, (4096 * MIB + 1) / MB)).toBe(5120);
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

  test("the database is the cheapest class by its price, whatever the order of the price table", () => {
    const cheapestFirst = { "db.t4g.micro": 0.018, "db.t4g.small": 0.036, "db.t4g.medium": 0.072, "db.t4g.large": 0.145 };
    const reversedOrder = Object.fromEntries(Object.entries(cheapestFirst).reverse());
    // Two 1 vCPU tasks need 130 connections: the micro's 76 do not hold them, the small's 153 do.
    expect(chooseDatabase(2, 4, 1, cheapestFirst)!.dbInstanceClass).toBe("db.t4g.small");
    expect(chooseDatabase(2, 4, 1, reversedOrder)!.dbInstanceClass).toBe("db.t4g.small");
    // The same classes priced the other way round: now the large is the cheapest that holds them.
    const largeCheapest = { "db.t4g.micro": 0.4, "db.t4g.small": 0.3, "db.t4g.medium": 0.2, "db.t4g.large": 0.1 };
    expect(chooseDatabase(2, 4, 1, largeCheapest)!.dbInstanceClass).toBe("db.t4g.large");
  });

  test("a class whose max_connections the worst case fills to the last connection holds it (the same <= as synth's check)", () => {
    // A pool of 11 (0.55 vCPU x 20) on 4 tasks plus a deploy's surge of 2: 6 x 11 + 10 reserved = 76, the micro's max_connections.
    const budget = connectionBudget({ dbInstanceClass: "db.t4g.micro", desiredCount: 2, maxCount: 4, dbPoolMaxSize: 11 });
    expect([budget.demand.total, budget.connections]).toEqual([76, 76]);
    expect(chooseDatabase(2, 4, 0.55)).toMatchObject({ dbInstanceClass: "db.t4g.micro", dbPoolMaxSize: 11, connectionsNeeded: 76, maxConnections: 76 });
  });

  test("a priced class whose memory we do not know is never chosen, not even as the fallback", () => {
    const prices = { "db.zz9.large": 0.001, "db.t4g.micro": 0.018 };
    const fits = connectionBudget({ dbInstanceClass: "db.t4g.micro", desiredCount: 2, maxCount: 4, dbPoolMaxSize: 20 }).fits;
    expect(chooseDatabase(2, 4, 1, prices)).toMatchObject({ dbInstanceClass: "db.t4g.micro", dbPoolMaxSize: fits, poolReducedFrom: 20 });
  });

  test("the fallback takes a pool down to 5 connections a task, and below that nothing", () => {
    const fits = (desiredCount: number, maxCount: number) => connectionBudget({ dbInstanceClass: "db.r6g.large", desiredCount, maxCount, dbPoolMaxSize: 20 }).fits;
    expect([fits(120, 240), fits(121, 242)]).toEqual([5, 4]);
    expect(chooseDatabase(120, 240, 1)).toMatchObject({ dbInstanceClass: "db.r6g.large", dbPoolMaxSize: 5, poolReducedFrom: 20 });
    expect(chooseDatabase(121, 242, 1)).toBeUndefined();
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

  test("each line of the report prints the plan's own figures: load, tasks, CPU at the demand and after a loss, autoscaling, alarm, database, cost and settings", () => {
    const demand = logins(12, 90, 30);
    const plan = capacityPlan(demand);
    const base = baseByHand(demand, OUR_FIGURES);
    // 2.5 x base = 4.59: five 1 vCPU tasks for the headroom, three so that losing one leaves the base unthrottled.
    expect(plan.task).toMatchObject({ taskCpu: 1024, taskMemory: 2048, count: { tasks: 5, forHeadroom: 5, forLosingOne: 3 }, maxCount: 10 });
    const budget = connectionBudget({ dbInstanceClass: plan.database.dbInstanceClass, desiredCount: 5, maxCount: 10, dbPoolMaxSize: 20 });
    const monthly = plan.costLines.reduce((sum, line) => sum + line.usd, 0);
    const figure = (key: keyof RequestCosts) => `  ${key} = ${OUR_FIGURES[key].value.toFixed(2)} (${OUR_FIGURES[key].date}): ${OUR_FIGURES[key].source}`;
    const report = capacityReport(plan, "staging");
    const settingsAt = report.indexOf("{");
    expect(report.slice(0, settingsAt).split("\n")).toEqual([
      "Demand: 12 password logins/s, 90 refreshes/s, 30 client credentials grants/s (profile prod, figures ours)",
      "",
      "Figures (CPU-ms per request):",
      figure("passwordLoginCpuMs"),
      figure("refreshTokenCpuMs"),
      figure("clientCredentialsCpuMs"),
      "",
      `Base load:    ${base.toFixed(2)} vCPU = sum of rate x CPU-seconds per request`,
      `Provisioned:  ${(base * HEADROOM_FACTOR).toFixed(2)} vCPU = base x ${HEADROOM_FACTOR} (Keycloak's ${KEYCLOAK_FIGURES.cpuHeadroomPercent.value} % headroom)`,
      `Tasks:        5 x 1 vCPU / 2048 MiB = max(5 for the headroom, ${MIN_TASKS} across zones, 3 so that losing one leaves the rest unthrottled)`,
      `              CPU at this demand ${((base / 5) * 100).toFixed(0)} % (autoscaling target ${CPU_TARGET_PERCENT} %), after losing one task ${((base / 4) * 100).toFixed(0)} %`,
      `Autoscaling:  desiredCount 5, maxCount 10 (x${SCALE_OUT_FACTOR}), CPU target ${CPU_TARGET_PERCENT} %, ${plan.settings.requestsPerTarget} requests per task per minute (the demand's mix at the CPU target)`,
      `CPU alarm:    task-cpu at ${taskCpuAlarmPercent(CPU_TARGET_PERCENT)} % for 10 minutes (midway between the CPU target and 100 %)`,
      `Database:     ${plan.database.dbInstanceClass}, pool 20 per task: ${budget.demand.total} connections at maxCount plus a deploy's surge, of max_connections ${budget.connections}`,
      // Logins and refreshes only: 102 a second at 0.35-0.7 vCPU per 100.
      `              database CPU by Keycloak's guide (not modelled): ${((0.35 * 102) / 100).toFixed(2)}-${((0.7 * 102) / 100).toFixed(2)} vCPU for 102 logins+refreshes/s; check the class's CPU`,
      `Monthly cost: $${monthly.toFixed(2)} (npm run cost's lines for these settings; Fargate: 5 tasks x 1 vCPU / 2 GB (X86_64) at desiredCount)`,
      "",
      'Settings for cdktf.json, under "context" > "environments":',
      "",
    ]);
    expect(JSON.parse(report.slice(settingsAt))).toEqual({ staging: plan.settings });
    expect(report.slice(settingsAt)).toBe(JSON.stringify({ staging: plan.settings }, null, 2));
  });

  test("the report says when the pool was reduced because no priced class holds the default one, and from what", () => {
    const reduced = capacityPlan(logins(200));
    expect(reduced.database.poolReducedFrom).toBe(20);
    const databaseLine = (plan: CapacityPlan) => capacityReport(plan).split("\n").find((l) => l.startsWith("Database:"));
    expect(databaseLine(reduced)).toMatch(new RegExp(`pool ${reduced.database.dbPoolMaxSize} per task: .*, of max_connections \\d+ \\(pool reduced from 20: no priced class holds that\\)$`));
    expect(databaseLine(capacityPlan(logins(5)))).toMatch(/of max_connections \d+$/);
  });

  test("the README's example is a real report with our figures, then what Keycloak's figures make of the same demand", () => {
    const demand = logins(12, 90, 30);
    const theirs = capacityPlan(demand, "keycloak");
    expect(theirs.baseVcpu).toBeCloseTo(baseByHand(demand, KEYCLOAK_FIGURES), 12);
    expect(capacityExampleMarkdown(demand).split("\n")).toEqual([
      "A real run (`npm run capacity -- --logins-per-second 12 --refreshes-per-second 90 --client-credentials-per-second 30`; `npm run docs` writes it here):",
      "",
      "```text",
      ...capacityReport(capacityPlan(demand, "ours")).split("\n"),
      "```",
      "",
      `With \`--figures keycloak\` the same demand is ${baseByHand(demand, KEYCLOAK_FIGURES).toFixed(2)} vCPU of base load: ` +
        `${theirs.task.count.tasks} x ${theirs.task.taskCpu / 1024} vCPU tasks, \`${theirs.database.dbInstanceClass}\`, $${theirs.monthlyUsd.toFixed(2)} a month.`,
    ]);
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
