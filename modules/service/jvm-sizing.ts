/**
 * What the JVM inside a Keycloak task makes of the task's size. Nothing in the stack sets it: the
 * image leaves it to kc.sh's container default (KC_RUN_IN_CONTAINER: -XX:MaxRAMPercentage=70) and
 * to the JVM's container support (processors from the CPU quota). The e2e's tasks are cgroups sized
 * from the task definition and assert these numbers; `npm run drill` checks the same on Fargate,
 * where the only evidence is what the JVM itself reports.
 */

/** Keycloak's container default: the heap's maximum is 70 % of the memory the container may use. */
export const HEAP_SHARE_OF_TASK_MEMORY = 0.7;
/** G1 rounds the heap to whole regions (1434 MiB for 70 % of 2048 MiB, 70.02 %): a share this close counts. */
export const HEAP_SHARE_TOLERANCE = 0.01;
/** CPU units per vCPU in a task definition. */
export const CPU_UNITS_PER_VCPU = 1024;

/** Processors the JVM should see for a task of `cpuUnits`: a quota of half a CPU still shows one. */
export const jvmProcessorsFor = (cpuUnits: number) => Math.max(1, Math.ceil(cpuUnits / CPU_UNITS_PER_VCPU));

/** Whether a heap maximum is the default share of `memoryBytes`. */
export const heapIsDefaultShare = (heapMaxBytes: number, memoryBytes: number) => Math.abs(heapMaxBytes / memoryBytes - HEAP_SHARE_OF_TASK_MEMORY) <= HEAP_SHARE_TOLERANCE;
