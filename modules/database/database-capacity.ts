/**
 * How many connections the RDS MySQL instance takes, and how many Keycloak may open. RDS sets
 * `max_connections` to {DBInstanceClassMemory/12582880}; every Keycloak task holds up to its pool
 * size, and during a deploy the surge tasks hold theirs next to the old ones. A configuration
 * whose worst case does not fit fails logins with "Too many connections" exactly when it hurts
 * (under load, during a deploy, after a failover), so it is refused before any deploy.
 */

/** Memory (GiB) of the `large` size of each family; other sizes scale from it. */
const LARGE_GIB: Readonly<Record<string, number>> = {
  t3: 8, t4g: 8,
  m5: 8, m5d: 8, m6g: 8, m6gd: 8, m6i: 8, m6id: 8, m7g: 8, m7i: 8, m8g: 8,
  r5: 16, r5b: 16, r5d: 16, r6g: 16, r6gd: 16, r6i: 16, r6id: 16, r7g: 16, r7i: 16, r8g: 16,
};

/** The burstable classes below `large`. */
const SMALL_SIZES_GIB: Readonly<Record<string, number>> = { micro: 1, small: 2, medium: 4 };

/** RDS's divisor in the MySQL max_connections formula. */
const BYTES_PER_CONNECTION = 12_582_880;

/**
 * DBInstanceClassMemory is the class's memory less what RDS keeps for the OS and its own
 * processes; AWS does not publish it. Counting 90 % gives about 150 on a 2 GiB class, as seen.
 */
const USABLE_MEMORY_SHARE = 0.9;

/** Connections kept free for the database setup, an operator's session and RDS's own tools. */
export const RESERVED_CONNECTIONS = 10;

/** Memory in GiB of an RDS class such as `db.t4g.small`, or undefined for a class we do not know. */
export function instanceMemoryGib(instanceClass: string): number | undefined {
  const m = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!m) return undefined;
  const [, family, size] = m;
  const large = LARGE_GIB[family];
  if (large === undefined) return undefined;
  if (size in SMALL_SIZES_GIB) return family.startsWith("t") ? SMALL_SIZES_GIB[size] : undefined;
  if (size === "large") return large;
  const multiple = /^(\d*)xlarge$/.exec(size);
  if (!multiple) return undefined;
  return large * 2 * Number(multiple[1] || "1");
}

/** MySQL's max_connections on that class with RDS's default parameter. */
export function maxConnections(memoryGib: number): number {
  return Math.floor((memoryGib * 1024 ** 3 * USABLE_MEMORY_SHARE) / BYTES_PER_CONNECTION);
}

export interface ConnectionDemand {
  /** Tasks the service may run: autoscaling's maximum plus a deploy's surge at that count. */
  readonly tasks: number;
  readonly poolMaxSize: number;
  /** Connections in the worst case, the reserve included. */
  readonly total: number;
}

export function connectionDemand(maxTasks: number, surge: number, poolMaxSize: number): ConnectionDemand {
  const tasks = maxTasks + surge;
  return { tasks, poolMaxSize, total: tasks * poolMaxSize + RESERVED_CONNECTIONS };
}
