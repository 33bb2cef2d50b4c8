import { CPU_UNITS_PER_VCPU, heapIsDefaultShare, HEAP_SHARE_OF_TASK_MEMORY, jvmProcessorsFor } from "../../modules/service/jvm-sizing";

const MIB = 1024 * 1024;

describe("what the JVM makes of a task's size", () => {
  test("the JVM sees one processor per whole vCPU of the task, and one for a fraction of a vCPU", () => {
    expect([256, 512, 1024, 2048, 4096, 8192].map(jvmProcessorsFor)).toEqual([1, 1, 1, 2, 4, 8]);
    expect(jvmProcessorsFor(1.5 * CPU_UNITS_PER_VCPU)).toBe(2);
  });

  test("a heap maximum is the default share when it is within G1's rounding of 70 % of the memory, and not when it is another share", () => {
    expect(heapIsDefaultShare(1434 * MIB, 2048 * MIB)).toBe(true);
    expect(heapIsDefaultShare(HEAP_SHARE_OF_TASK_MEMORY * 4096 * MIB, 4096 * MIB)).toBe(true);
    expect(heapIsDefaultShare(1024 * MIB, 2048 * MIB)).toBe(false);
    expect(heapIsDefaultShare(1536 * MIB, 2048 * MIB)).toBe(false);
    expect(heapIsDefaultShare(0.68 * 2048 * MIB, 2048 * MIB)).toBe(false);
  });
});
