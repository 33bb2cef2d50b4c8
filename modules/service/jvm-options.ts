/**
 * The Keycloak task's JVM options, in one place. They reach the JVM through the task definition's
 * `JAVA_OPTS_APPEND`, which kc.sh appends after its own `JAVA_OPTS` (its defaults: `-XX:+UseG1GC`,
 * metaspace limits, and the heap as 70 % of the container's memory through `JAVA_OPTS_KC_HEAP`),
 * so an option here wins over kc.sh's. An option is kept only where `npm run bench:capacity --
 * --compare` measured that it pays (README "Capacity, from a real run"); keep each concern's
 * entries in their own list with its measurement.
 */

export interface JvmOption {
  option: string;
  /** Why it is there (the measurement, or what it must come with). */
  why: string;
}

/** Up to this task size (CPU units) the serial collector is used; larger tasks keep kc.sh's G1 (not measured). */
export const SERIAL_GC_MAX_TASK_CPU = 1024;

/**
 * Garbage collector of a task of at most 1 vCPU. The JVM's own ergonomics pick the serial
 * collector for one CPU; kc.sh overrides that with G1, whose concurrent threads and barriers
 * compete with the requests for the single CPU. bench:capacity --compare, 2026-12-06, 1 vCPU /
 * 2 GiB: see the README for the CPU-ms per login, the start to ready and the memory peak with each.
 */
export const SMALL_TASK_GC: readonly JvmOption[] = [
  { option: "-XX:-UseG1GC", why: "kc.sh selects G1; a second collector next to it stops the JVM with 'Conflicting collector combinations'" },
  { option: "-XX:+UseSerialGC", why: "less CPU per login and a faster start on 1 vCPU than G1 (bench:capacity --compare)" },
];

/** The options of a task of `cpu` CPU units. */
export function jvmOptions(cpu: number): readonly JvmOption[] {
  return [...(cpu <= SERIAL_GC_MAX_TASK_CPU ? SMALL_TASK_GC : [])];
}

/** `JAVA_OPTS_APPEND` of a task of `cpu` CPU units: kc.sh splits it on spaces (xargs), so no option may hold one. */
export function javaOptsAppend(cpu: number): string {
  return jvmOptions(cpu)
    .map((o) => o.option)
    .join(" ");
}
