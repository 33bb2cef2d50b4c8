/**
 * What one request costs a Keycloak task, and how much CPU to leave free: the one table the
 * capacity model (`npm run capacity`, tools/capacity-model.ts), the autoscaling CPU target and
 * the task CPU alarm all read. Every figure carries its source and the date it was recorded, so
 * a reader sees whether it is ours or Keycloak's, and `npm run bench:capacity` replaces ours.
 *
 * Keycloak's figures: "Concepts for sizing CPU and memory resources", Keycloak 26.x
 * (KEYCLOAK_SIZING_GUIDE), measured on c7g Graviton with argon2 defaults and the load from
 * other machines. Ours: one node in its 1 vCPU / 2 GiB cgroup on our stand, CPU read from the
 * cgroup (`npm run bench:capacity`, issue #26).
 */
import { constant } from "../shared/constant";

export const KEYCLOAK_SIZING_GUIDE = "https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing";

export interface Figure {
  readonly value: number;
  readonly unit: string;
  /** Who measured it, how, and under which conditions; "not measured here" says so. */
  readonly source: string;
  /** When it was recorded (YYYY-MM-DD). */
  readonly date: string;
}

/** The per-request costs the model sizes with. */
export interface RequestCosts {
  /** A password login: the authorization code flow (login page, password POST, code exchange). */
  readonly passwordLoginCpuMs: Figure;
  readonly clientCredentialsCpuMs: Figure;
  readonly refreshTokenCpuMs: Figure;
}

const KEYCLOAK_DATE = "2026-12-06";
const perVcpu = (perSecond: number, what: string): Figure => ({
  value: 1000 / perSecond,
  unit: "CPU-ms per request",
  source: `Keycloak's sizing guide: 1 vCPU per ${perSecond} ${what} a second (${KEYCLOAK_SIZING_GUIDE}; c7g Graviton, argon2 defaults)`,
  date: KEYCLOAK_DATE,
});

/** Keycloak's published figures. */
export const KEYCLOAK_FIGURES = constant({
  passwordLoginCpuMs: perVcpu(15, "password-based user logins"),
  clientCredentialsCpuMs: perVcpu(120, "client credential grants"),
  refreshTokenCpuMs: perVcpu(120, "refresh token requests"),
  memoryPerNodeMb: {
    value: 1250,
    unit: "MB per node",
    source: `Keycloak's sizing guide: base memory of a node with realm caches and 10,000 cached sessions (${KEYCLOAK_SIZING_GUIDE})`,
    date: KEYCLOAK_DATE,
  },
  cpuHeadroomPercent: {
    value: 150,
    unit: "% of the CPU the load needs, on top of it",
    source: `Keycloak's sizing guide: "leave 150% extra head-room for CPU usage" for spikes, start-up and failover; its example requests 3 vCPU and limits at 7.5 (${KEYCLOAK_SIZING_GUIDE})`,
    date: KEYCLOAK_DATE,
  },
}) satisfies RequestCosts & Record<string, Figure>;

const STAND =
  "npm run bench:capacity on our stand: one node (the image's Keycloak 26.7.3, JDK 21, kc.sh's G1 and 70 % heap) in its 1 vCPU / 2 GiB cgroup, database and load generator in cgroups of their own, CPU from the node's cgroup over 40 s phases at 52-69 % of the quota, argon2 defaults, x86 (AMD EPYC, 2 shared cores)";
const STAND_DATE = "2026-12-06";

/** Ours, from the benchmark's recorded run (README "Capacity, from a real run"). */
export const OUR_FIGURES = constant({
  passwordLoginCpuMs: {
    value: 83.6,
    unit: "CPU-ms per request",
    source: `${STAND}: a password login (login page, password POST, code exchange with PKCE); 81 % of its samples are the argon2 hash`,
    date: STAND_DATE,
  },
  refreshTokenCpuMs: { value: 7.2, unit: "CPU-ms per request", source: `${STAND}: a refresh token grant`, date: STAND_DATE },
  clientCredentialsCpuMs: { value: 6.2, unit: "CPU-ms per request", source: `${STAND}: a client credentials grant`, date: STAND_DATE },
  memoryPeakMb: { value: 1035, unit: "MiB per node", source: `${STAND}: the node cgroup's memory peak over all phases (about a thousand sessions, not Keycloak's 10,000)`, date: STAND_DATE },
  startToReadySeconds: { value: 31, unit: "s on 1 vCPU", source: `${STAND}: 22.7-30.7 s from start to ready without a migration, upper end`, date: STAND_DATE },
  startToReadyWithMigrationSeconds: {
    value: 55,
    unit: "s on 1 vCPU",
    source: `${STAND}: first start with the schema migration, 41-55 s in the quieter runs, upper end (87.2 s on the crowded machine)`,
    date: STAND_DATE,
  },
}) satisfies RequestCosts & Record<string, Figure>;

export const FIGURE_SETS = constant({ ours: OUR_FIGURES, keycloak: KEYCLOAK_FIGURES });
export type FigureSet = keyof typeof FIGURE_SETS;

/** HTTP requests to Keycloak per password login (login page GET, password POST, code exchange POST). */
export const REQUESTS_PER_LOGIN = 3;

/** Keycloak's headroom as a factor: provisioned CPU = the load's CPU x (1 + 150 %) = x 2.5. */
export const HEADROOM_FACTOR = 1 + KEYCLOAK_FIGURES.cpuHeadroomPercent.value / 100;

/**
 * The autoscaling CPU target: the share of a task's CPU the load may use so that the rest is
 * Keycloak's headroom, 100 / 2.5 = 40 %. Keycloak's guide sizes Kubernetes pods as request = the
 * load and limit = 2.5 x the load; a Fargate task has no request below its limit (the task
 * size is the limit), so keeping the average at 40 % of it is the same provision. The guide
 * names no autoscaling target of its own; scaling out above 40 % restores the headroom instead
 * of spending it.
 */
export const CPU_TARGET_PERCENT = Math.floor(100 / HEADROOM_FACTOR);

/**
 * The task CPU alarm: half of the headroom above the target used for the alarm's 10 minutes,
 * midway between the target and throttling (100 %), where Keycloak's performance "dropped
 * significantly". At 40 % that is 70 %: no spike lasts that long, so autoscaling has not
 * restored the headroom (at maxCount, or failing to start tasks).
 */
export function taskCpuAlarmPercent(cpuTargetPercent: number): number {
  return Math.ceil((cpuTargetPercent + 100) / 2);
}
