import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { JAVA_HOME } from "../../tools/keycloak-dist";

/**
 * Where a node's CPU goes, from a JDK Flight Recorder recording (the JDK's own profiler, started
 * with -XX:StartFlightRecording): the `jdk.ExecutionSample` events of a time window, read with
 * the JDK's `jfr print`, counted by top frame (self), by method anywhere on the stack
 * (inclusive), and by component (the top-most frame that belongs to one). JFR samples Java
 * threads running Java code only: the time of the GC and JIT threads is not in the samples, so
 * the GC pauses of the window are summed apart.
 */

/** Components by the frames that belong to them, the first that matches a frame wins. */
export const COMPONENTS: { name: string; frame: RegExp }[] = [
  { name: "password hashing (argon2, Bouncy Castle)", frame: /^org\.bouncycastle\.crypto\.(generators\.Argon2|digests\.Blake2b)|^org\.keycloak\.crypto\.hash\.Argon2/ },
  { name: "token signing and verification (JWS, RSA/EC)", frame: /^sun\.security\.(rsa|ec|util)\.|^java\.security\.Signature|^org\.keycloak\.(jose|crypto)\.|^java\.math\.BigInteger/ },
  { name: "other cryptography (hashes, random, TLS)", frame: /^org\.bouncycastle\.|^sun\.security\.|^java\.security\.|^javax\.crypto\.|^com\.sun\.crypto\./ },
  { name: "login page rendering (FreeMarker)", frame: /^freemarker\./ },
  { name: "database (Hibernate, JDBC, Agroal)", frame: /^org\.hibernate\.|^org\.mariadb\.|^com\.mysql\.|^io\.agroal\.|^org\.keycloak\.models\.jpa\./ },
  { name: "caches and cluster (Infinispan, JGroups)", frame: /^org\.infinispan\.|^org\.jgroups\./ },
  { name: "JSON (Jackson)", frame: /^com\.fasterxml\.jackson\./ },
  { name: "HTTP stack (Vert.x, Netty, RESTEasy, Quarkus)", frame: /^io\.vertx\.|^io\.netty\.|^org\.jboss\.resteasy\.|^io\.quarkus\./ },
  { name: "Keycloak itself (other org.keycloak)", frame: /^org\.keycloak\./ },
];

/** Keycloak's own code, without the start-up and request plumbing every sample passes through. */
const KEYCLOAK_FRAME = /^org\.keycloak\.(?!quarkus\.runtime\.integration\.|services\.resources\.KeycloakApplication|tracing\.|models\.utils\.KeycloakModelUtils\.runJobInTransaction)/;

export interface Sample {
  at: number;
  /** Frames as `class.method`, top first. */
  frames: string[];
}

/** Parses `jfr print --events jdk.ExecutionSample` output (run with TZ=UTC: its times carry no zone). */
export function parseExecutionSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const block of text.split(/^jdk\.ExecutionSample \{$/m).slice(1)) {
    const time = /startTime = (\d\d:\d\d:\d\d(?:\.\d+)?) \((\d{4}-\d\d-\d\d)\)/.exec(block);
    const stack = /stackTrace = \[\n([\s\S]*?)\n\s*\]/.exec(block);
    if (time === null || stack === null) continue;
    const frames = stack[1]
      .split("\n")
      .map((line) => line.trim().replace(/\(.*$/, ""))
      .filter((line) => line !== "" && line !== "...");
    samples.push({ at: Date.parse(`${time[2]}T${time[1]}Z`), frames });
  }
  return samples;
}

/** Sums the `duration` of `jdk.GarbageCollection` events started in [from, to), in ms. */
export function gcPauseMs(text: string, from: number, to: number): number {
  let total = 0;
  for (const block of text.split(/^jdk\.GarbageCollection \{$/m).slice(1)) {
    const time = /startTime = (\d\d:\d\d:\d\d(?:\.\d+)?) \((\d{4}-\d\d-\d\d)\)/.exec(block);
    const duration = /duration = ([\d.]+) (ms|s|us)\b/.exec(block);
    if (time === null || duration === null) continue;
    const at = Date.parse(`${time[2]}T${time[1]}Z`);
    if (at < from || at >= to) continue;
    total += Number(duration[1]) * (duration[2] === "s" ? 1000 : duration[2] === "us" ? 0.001 : 1);
  }
  return total;
}

export interface Share {
  name: string;
  samples: number;
  percent: number;
}

export interface Profile {
  samples: number;
  components: Share[];
  /** Methods on top of the stack. */
  self: Share[];
  /** Keycloak's own methods anywhere on the stack: which of its operations the time is spent under. */
  inclusive: Share[];
}

function shares(counts: Map<string, number>, total: number, top: number): Share[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, samples]) => ({ name, samples, percent: (100 * samples) / total }));
}

function componentOf(frames: string[]): string {
  for (const frame of frames) {
    const component = COMPONENTS.find((c) => c.frame.test(frame));
    if (component !== undefined) return component.name;
  }
  return "other (JDK, Java runtime)";
}

export function profileOf(samples: Sample[], top = 15): Profile {
  const components = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const sample of samples) {
    add(components, componentOf(sample.frames));
    if (sample.frames.length > 0) add(self, sample.frames[0]);
    for (const frame of new Set(sample.frames)) if (KEYCLOAK_FRAME.test(frame)) add(inclusive, frame);
  }
  return { samples: samples.length, components: shares(components, samples.length, COMPONENTS.length + 1), self: shares(self, samples.length, top), inclusive: shares(inclusive, samples.length, top) };
}

/** The events `names` of `recording`, printed by the JDK's `jfr` tool, with deep stacks. */
export function printRecording(recording: string, names: string[]): string {
  return execFileSync(join(JAVA_HOME, "bin", "jfr"), ["print", "--events", names.join(","), "--stack-depth", "96", recording], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC" },
    maxBuffer: 1024 * 1024 * 1024,
  });
}

/** The profile of the recording's samples in [from, to), as markdown. */
export function profileMarkdown(recording: string, from: number, to: number): string {
  const text = printRecording(recording, ["jdk.ExecutionSample", "jdk.GarbageCollection"]);
  const samples = parseExecutionSamples(text).filter((s) => s.at >= from && s.at < to);
  const profile = profileOf(samples);
  const rows = (list: Share[]) => list.map((s) => `| ${s.name} | ${s.samples} | ${s.percent.toFixed(1)} |`).join("\n");
  return [
    `${profile.samples} execution samples of Java threads in ${((to - from) / 1000).toFixed(0)} s; GC pauses in the window: ${gcPauseMs(text, from, to).toFixed(0)} ms (GC and JIT threads are not sampled).`,
    "",
    "| Component (top-most frame that belongs to one) | Samples | % |",
    "| --- | ---: | ---: |",
    rows(profile.components),
    "",
    "| Top frame (self) | Samples | % |",
    "| --- | ---: | ---: |",
    rows(profile.self),
    "",
    "| Keycloak method anywhere on the stack (inclusive) | Samples | % |",
    "| --- | ---: | ---: |",
    rows(profile.inclusive),
  ].join("\n");
}
