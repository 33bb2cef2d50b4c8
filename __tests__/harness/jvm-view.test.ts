import { parseJvmView } from "../support/keycloak-node";

/** What a node's JVM reports about itself, read from Keycloak's /metrics (Prometheus text). */

const METRICS = `# HELP system_cpu_count The number of processors available to the Java virtual machine
# TYPE system_cpu_count gauge
system_cpu_count 1.0
# TYPE jvm_memory_max_bytes gauge
jvm_memory_max_bytes{area="heap",id="G1 Survivor Space"} -1.0
jvm_memory_max_bytes{area="heap",id="G1 Old Gen"} 1.50314904E9
jvm_memory_max_bytes{area="heap",id="G1 Eden Space"} -1.0
jvm_memory_max_bytes{area="nonheap",id="Metaspace"} 2.68435456E8
`;

test("the processor count and the heap's maximum come from system_cpu_count and the heap pools that have one", () => {
  expect(parseJvmView(METRICS)).toEqual({ processors: 1, heapMaxBytes: 1503149040 });
});

test("metrics without the processor count or a heap maximum are an error, not a zero", () => {
  expect(() => parseJvmView(METRICS.replace(/^system_cpu_count .*$/m, ""))).toThrow("/metrics has no system_cpu_count");
  expect(() => parseJvmView(METRICS.replace(/^jvm_memory_max_bytes\{area="heap",id="G1 Old Gen"\}.*$/m, ""))).toThrow('no jvm_memory_max_bytes{area="heap"}');
});

// The serial collector's pools for 70 % of 2048 MiB (-XX:MaxRAMPercentage=70, as kc.sh sets it),
// as the JVM's MemoryPoolMXBeans report them: the young generation holds two survivor spaces.
const SERIAL_METRICS = `system_cpu_count 1.0
jvm_memory_max_bytes{area="heap",id="Tenured Gen"} 1.002438656E9
jvm_memory_max_bytes{area="heap",id="Eden Space"} 4.0108032E8
jvm_memory_max_bytes{area="heap",id="Survivor Space"} 5.0069504E7
jvm_memory_max_bytes{area="nonheap",id="Metaspace"} 2.68435456E8
`;

test("with the serial collector the heap's maximum counts the survivor pool twice: 1434 MiB, 70 % of 2048 MiB", () => {
  expect(parseJvmView(SERIAL_METRICS)).toEqual({ processors: 1, heapMaxBytes: 1434 * 1024 * 1024 });
});
