/**
 * The capacity model (npm run capacity): from a demand (password logins, refreshes and client
 * credentials grants a second) to the settings that serve it, with Keycloak's headroom rule.
 *
 *   base vCPU        = sum over request kinds of rate x CPU-seconds per request (capacity-figures.ts)
 *   provisioned vCPU = base x (1 + 150 %) = base x 2.5       (Keycloak's headroom)
 *   tasks            = the most of: ceil(provisioned / task vCPU); 2 (one per zone, HA);
 *                      1 + ceil(base / task vCPU): with one task lost, the survivors carry the base
 *                      load unthrottled (Keycloak's performance "dropped significantly" when
 *                      throttled) while its replacement starts (start to ready: capacity-figures.ts).
 *                      With the 2.5 factor and 2 tasks this never binds; it guards a smaller factor.
 *   maxCount         = SCALE_OUT_FACTOR x tasks: autoscaling (at the same CPU target) absorbs
 *                      the load doubling before anyone must act
 *
 * The task size is the cheapest Fargate size from 1 vCPU up whose count fits the service's
 * 100 tasks (a tie goes to the smaller task: losing one costs less); its memory the smallest
 * Fargate allows at that CPU that holds Keycloak's 1250 MB per node. The database class is the
 * cheapest priced class whose connection budget (the same function synth's check uses) holds
 * the pool; the cost is tools/cost.ts's, of the stack these settings synthesize.
 *
 * Rejected: sizing from the request-count target alone (it says nothing about CPU, which is
 * what a login costs); sub-vCPU tasks in prod (start to ready is measured on 1 vCPU, and a
 * slower start lengthens every scale-out and recovery).
 */
import { connectionBudget, SETTINGS, type Profile, type RawSettings } from "../modules/config";
import { HA_MIN_TASKS, MAX_TASKS } from "../modules/config/values";
import { FARGATE_SIZES } from "../modules/service/fargate";
import {
  CPU_TARGET_PERCENT,
  FIGURE_SETS,
  HEADROOM_FACTOR,
  KEYCLOAK_FIGURES,
  REQUESTS_PER_LOGIN,
  taskCpuAlarmPercent,
  type Figure,
  type FigureSet,
  type RequestCosts,
} from "../modules/service/capacity-figures";
import { instanceMemoryGib } from "../modules/database/database-capacity";
import { synthStack } from "../modules/synth";
import { costLines, total, type CostLine } from "./cost";
import { PRICES, RDS_INSTANCE_HOUR } from "./prices";
import { constant } from "../modules/shared/constant";

export interface Demand {
  readonly loginsPerSecond: number;
  readonly refreshesPerSecond: number;
  readonly clientCredentialsPerSecond: number;
}

/** Tasks across the zones: one per zone survives a zone's loss (highAvailability). */
export const MIN_TASKS = HA_MIN_TASKS;
/** maxCount over desiredCount: the stack's own default ratio (2 -> 4). */
export const SCALE_OUT_FACTOR = 2;
/** Smallest task size the model offers: our start-to-ready figures are for 1 vCPU. */
const MIN_TASK_CPU = 1024;
const MB = 1_000_000;
const MIB = 1024 * 1024;
/** The pool a 1 vCPU task gets: dbPoolMaxSize's default. */
const DEFAULT_POOL_PER_VCPU = settingDefault("dbPoolMaxSize");
const POOL_MIN = 5;
const POOL_MAX = 500;
/** Keycloak's guide: the database needs 0.35-0.7 vCPU per 100 login/logout/refresh requests a second (Aurora PostgreSQL). */
export const DB_VCPU_PER_100_REQUESTS = constant([0.35, 0.7]);

function settingDefault(key: "dbPoolMaxSize"): number {
  const setting = SETTINGS.find((s) => s.key === key)!;
  return setting.default as number;
}

/** vCPU the demand's requests take, before any headroom. */
export function baseVcpu(demand: Demand, costs: RequestCosts): number {
  return (
    (demand.loginsPerSecond * costs.passwordLoginCpuMs.value +
      demand.refreshesPerSecond * costs.refreshTokenCpuMs.value +
      demand.clientCredentialsPerSecond * costs.clientCredentialsCpuMs.value) /
    1000
  );
}

/** vCPU to provision: the base plus Keycloak's 150 % headroom. */
export function provisionedVcpu(base: number, headroomFactor = HEADROOM_FACTOR): number {
  return base * headroomFactor;
}

/** A ceiling that ignores floating-point dust: 30 logins at Keycloak's 1000/15 CPU-ms are 2.0000000000000004 vCPU, x 2.5 = 5.000000000000001. */
const ceil = (x: number) => Math.max(0, Math.ceil(x - 1e-9));

export interface TaskCount {
  readonly tasks: number;
  readonly forHeadroom: number;
  readonly forLosingOne: number;
}

/** Tasks of `taskVcpu` each for a base load (see the module comment); the factor is a parameter only for tests. */
export function taskCount(base: number, taskVcpu: number, headroomFactor = HEADROOM_FACTOR): TaskCount {
  const forHeadroom = ceil(provisionedVcpu(base, headroomFactor) / taskVcpu);
  const forLosingOne = 1 + ceil(base / taskVcpu);
  return { tasks: Math.max(MIN_TASKS, forHeadroom, forLosingOne), forHeadroom, forLosingOne };
}

/** The smallest memory (MiB) Fargate accepts at this CPU that holds Keycloak's per-node memory (that memory a parameter only for tests). */
export function taskMemoryMib(taskCpu: number, memoryPerNodeMb: number = KEYCLOAK_FIGURES.memoryPerNodeMb.value): number {
  const need = (memoryPerNodeMb * MB) / MIB;
  return FARGATE_SIZES[taskCpu].find((m) => m >= need)!;
}

export interface TaskSize {
  readonly taskCpu: number;
  readonly taskMemory: number;
  readonly count: TaskCount;
  readonly maxCount: number;
  readonly fargateUsdPerHour: number;
}

/**
 * The cheapest task size (and count) for a base load; undefined when even the largest needs over 100 tasks.
 * The memory per node is a parameter only for tests: with Keycloak's, every size's memory is 2 GiB
 * per vCPU, so the smallest size that fits is always the cheapest; a larger need makes it not.
 */
export function chooseTaskSize(base: number, memoryPerNodeMb: number = KEYCLOAK_FIGURES.memoryPerNodeMb.value): TaskSize | undefined {
  const sizes = Object.keys(FARGATE_SIZES).map(Number).filter((cpu) => cpu >= MIN_TASK_CPU).sort((a, b) => a - b);
  const options = sizes.flatMap((taskCpu) => {
    const taskMemory = taskMemoryMib(taskCpu, memoryPerNodeMb);
    const count = taskCount(base, taskCpu / 1024);
    const maxCount = SCALE_OUT_FACTOR * count.tasks;
    if (maxCount > MAX_TASKS) return [];
    const hourly = count.tasks * ((taskCpu / 1024) * PRICES.fargateVcpuHourX86.usd + (taskMemory / 1024) * PRICES.fargateGbHourX86.usd);
    return [{ taskCpu, taskMemory, count, maxCount, fargateUsdPerHour: hourly }];
  });
  // Stable sort: among equal costs the smaller task (listed first) stays first.
  return [...options].sort((a, b) => a.fargateUsdPerHour - b.fargateUsdPerHour)[0];
}

export interface DatabaseChoice {
  readonly dbInstanceClass: string;
  readonly dbPoolMaxSize: number;
  readonly maxConnections: number;
  readonly connectionsNeeded: number;
  /** The pool the task size would get, when no priced class holds it. */
  readonly poolReducedFrom?: number;
}

/** Priced RDS classes whose memory we know, cheapest first. */
function pricedClasses(prices: Readonly<Record<string, number>>): string[] {
  return Object.keys(prices)
    .filter((c) => instanceMemoryGib(c) !== undefined)
    .sort((a, b) => prices[a] - prices[b]);
}

/**
 * The cheapest class whose budget holds the pool: dbPoolMaxSize's default (20) per task vCPU,
 * since a task's concurrent database work grows with the requests its CPU serves. When no
 * priced class holds it, the class with the most connections and the largest pool that fits.
 * The prices are tools/prices.ts's; a parameter only for tests (the table's own order is already
 * by price within each family).
 */
export function chooseDatabase(desiredCount: number, maxCount: number, taskVcpu: number, prices = RDS_INSTANCE_HOUR): DatabaseChoice | undefined {
  const pool = Math.min(POOL_MAX, DEFAULT_POOL_PER_VCPU * taskVcpu);
  const classes = pricedClasses(prices);
  for (const dbInstanceClass of classes) {
    const budget = connectionBudget({ dbInstanceClass, desiredCount, maxCount, dbPoolMaxSize: pool });
    if (budget.demand.total <= budget.connections) {
      return { dbInstanceClass, dbPoolMaxSize: pool, maxConnections: budget.connections, connectionsNeeded: budget.demand.total };
    }
  }
  const largest = [...classes].sort((a, b) => instanceMemoryGib(b)! - instanceMemoryGib(a)!)[0];
  const { fits } = connectionBudget({ dbInstanceClass: largest, desiredCount, maxCount, dbPoolMaxSize: pool });
  if (fits < POOL_MIN) return undefined;
  const budget = connectionBudget({ dbInstanceClass: largest, desiredCount, maxCount, dbPoolMaxSize: fits });
  return { dbInstanceClass: largest, dbPoolMaxSize: fits, maxConnections: budget.connections, connectionsNeeded: budget.demand.total, poolReducedFrom: pool };
}

/**
 * ALB requests per task per minute at which the demand's mix puts a task at the CPU target:
 * the request-count scaling target then agrees with the CPU one instead of firing first.
 */
export function requestsPerTarget(demand: Demand, base: number, taskVcpu: number): number {
  const requestsPerSecond = demand.loginsPerSecond * REQUESTS_PER_LOGIN + demand.refreshesPerSecond + demand.clientCredentialsPerSecond;
  const cpuSecondsPerRequest = base / requestsPerSecond;
  const atTarget = (taskVcpu * CPU_TARGET_PERCENT) / 100 / cpuSecondsPerRequest;
  return Math.min(100_000, Math.max(10, Math.floor(atTarget * 60)));
}

export interface CapacityPlan {
  readonly demand: Demand;
  readonly figures: FigureSet;
  readonly profile: Profile;
  /** The figures used, with their sources. */
  readonly costs: Readonly<Record<keyof RequestCosts, Figure>>;
  readonly baseVcpu: number;
  readonly provisionedVcpu: number;
  readonly task: TaskSize;
  readonly database: DatabaseChoice;
  /** What to put in cdktf.json context environments.<name>. */
  readonly settings: RawSettings;
  readonly costLines: readonly CostLine[];
  readonly monthlyUsd: number;
}

export class CapacityError extends Error {}

/** The settings, and their cost, for a demand; throws CapacityError when nothing we offer serves it. */
export function capacityPlan(demand: Demand, figures: FigureSet = "ours", profile: Profile = "prod"): CapacityPlan {
  for (const [name, value] of Object.entries(demand)) {
    if (!Number.isFinite(value) || value < 0) throw new CapacityError(`${name}: got ${value}; allowed: a number >= 0`);
  }
  if (demand.loginsPerSecond + demand.refreshesPerSecond + demand.clientCredentialsPerSecond <= 0) {
    throw new CapacityError("no demand: give at least one rate above 0");
  }
  const set = FIGURE_SETS[figures];
  const costs = { passwordLoginCpuMs: set.passwordLoginCpuMs, refreshTokenCpuMs: set.refreshTokenCpuMs, clientCredentialsCpuMs: set.clientCredentialsCpuMs };
  const base = baseVcpu(demand, costs);
  const task = chooseTaskSize(base);
  if (!task) throw new CapacityError(`${base.toFixed(1)} vCPU of load needs more than ${MAX_TASKS / SCALE_OUT_FACTOR} tasks of the largest Fargate size: split the demand over several stacks`);
  const taskVcpu = task.taskCpu / 1024;
  const database = chooseDatabase(task.count.tasks, task.maxCount, taskVcpu);
  if (!database) throw new CapacityError(`no priced database class holds ${task.maxCount} tasks' connections (tools/prices.ts)`);
  const settings: RawSettings = {
    profile,
    taskCpu: task.taskCpu,
    taskMemory: task.taskMemory,
    desiredCount: task.count.tasks,
    maxCount: task.maxCount,
    cpuTargetPercent: CPU_TARGET_PERCENT,
    requestsPerTarget: requestsPerTarget(demand, base, taskVcpu),
    dbInstanceClass: database.dbInstanceClass,
    dbPoolMaxSize: database.dbPoolMaxSize,
  };
  const lines = costLines(synthStack(settings));
  return {
    demand, figures, profile, costs, baseVcpu: base, provisionedVcpu: provisionedVcpu(base), task, database, settings,
    costLines: lines, monthlyUsd: total(lines),
  };
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

/** What `npm run capacity` prints. */
export function capacityReport(plan: CapacityPlan, environment: string = plan.profile): string {
  const { demand, task, database } = plan;
  const taskVcpu = task.taskCpu / 1024;
  const alarm = taskCpuAlarmPercent(CPU_TARGET_PERCENT);
  const dbRequests = demand.loginsPerSecond + demand.refreshesPerSecond;
  const dbVcpu = DB_VCPU_PER_100_REQUESTS.map((v) => fixed((v * dbRequests) / 100));
  const atDemand = (plan.baseVcpu / (task.count.tasks * taskVcpu)) * 100;
  const afterLoss = task.count.tasks > 1 ? (plan.baseVcpu / ((task.count.tasks - 1) * taskVcpu)) * 100 : Infinity;
  const figureRows = (Object.entries(plan.costs) as [string, Figure][]).map(([k, f]) => `  ${k} = ${fixed(f.value)} (${f.date}): ${f.source}`);
  return [
    `Demand: ${demand.loginsPerSecond} password logins/s, ${demand.refreshesPerSecond} refreshes/s, ${demand.clientCredentialsPerSecond} client credentials grants/s (profile ${plan.profile}, figures ${plan.figures})`,
    "",
    "Figures (CPU-ms per request):",
    ...figureRows,
    "",
    `Base load:    ${fixed(plan.baseVcpu)} vCPU = sum of rate x CPU-seconds per request`,
    `Provisioned:  ${fixed(plan.provisionedVcpu)} vCPU = base x ${HEADROOM_FACTOR} (Keycloak's ${KEYCLOAK_FIGURES.cpuHeadroomPercent.value} % headroom)`,
    `Tasks:        ${task.count.tasks} x ${taskVcpu} vCPU / ${task.taskMemory} MiB = max(${task.count.forHeadroom} for the headroom, ${MIN_TASKS} across zones, ${task.count.forLosingOne} so that losing one leaves the rest unthrottled)`,
    `              CPU at this demand ${fixed(atDemand, 0)} % (autoscaling target ${CPU_TARGET_PERCENT} %), after losing one task ${fixed(afterLoss, 0)} %`,
    `Autoscaling:  desiredCount ${task.count.tasks}, maxCount ${task.maxCount} (x${SCALE_OUT_FACTOR}), CPU target ${CPU_TARGET_PERCENT} %, ${plan.settings.requestsPerTarget} requests per task per minute (the demand's mix at the CPU target)`,
    `CPU alarm:    task-cpu at ${alarm} % for 10 minutes (midway between the CPU target and 100 %)`,
    `Database:     ${database.dbInstanceClass}, pool ${database.dbPoolMaxSize} per task: ${database.connectionsNeeded} connections at maxCount plus a deploy's surge, of max_connections ${database.maxConnections}` +
      (database.poolReducedFrom ? ` (pool reduced from ${database.poolReducedFrom}: no priced class holds that)` : ""),
    `              database CPU by Keycloak's guide (not modelled): ${dbVcpu[0]}-${dbVcpu[1]} vCPU for ${dbRequests} logins+refreshes/s; check the class's CPU`,
    `Monthly cost: $${fixed(plan.monthlyUsd)} (npm run cost's lines for these settings; ${plan.costLines.find((l) => l.item.startsWith("Fargate"))?.item} at desiredCount)`,
    "",
    `Settings for cdktf.json, under "context" > "environments":`,
    JSON.stringify({ [environment]: plan.settings }, null, 2),
  ].join("\n");
}

/** The README's example (a generated section): one demand with our figures, and the same with Keycloak's. */
export const README_EXAMPLE: Demand = { loginsPerSecond: 20, refreshesPerSecond: 160, clientCredentialsPerSecond: 40 };

export function capacityExampleMarkdown(demand: Demand = README_EXAMPLE): string {
  const args = `--logins-per-second ${demand.loginsPerSecond} --refreshes-per-second ${demand.refreshesPerSecond} --client-credentials-per-second ${demand.clientCredentialsPerSecond}`;
  const theirs = capacityPlan(demand, "keycloak");
  return [
    `A real run (\`npm run capacity -- ${args}\`; \`npm run docs\` writes it here):`,
    "",
    "```text",
    capacityReport(capacityPlan(demand, "ours")),
    "```",
    "",
    `With \`--figures keycloak\` the same demand is ${fixed(theirs.baseVcpu)} vCPU of base load: ${theirs.task.count.tasks} x ${theirs.task.taskCpu / 1024} vCPU tasks, ` +
      `\`${theirs.database.dbInstanceClass}\`, $${fixed(theirs.monthlyUsd)} a month.`,
  ].join("\n");
}
