import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTAINER_NAME } from "../../modules/service/keycloak-service";
import { mariaDbSslMode } from "./database-tls";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import type { SecretsManagerStub } from "./secrets-manager-stub";

/** The stack's own ECS task definition, as the local cluster runs it. */

/** The stack whose task definition the nodes run. */
export const STACK = "keycloak-prod";

export interface TaskContainer {
  name: string;
  command: string[];
  environment: Record<string, string>;
  secrets: { name: string; valueFrom: string }[];
  /** The task's `cpu`: CPU units, 1024 to a vCPU. */
  cpu: number;
  /** The task's `memory` in MiB: the hard limit Fargate kills the task at. */
  memory: number;
}

/**
 * The stack's `vpcCidr` for a test network `<a>.<b>.<c>.0/24` (freeTestSubnet: `c` even): the /23
 * that starts with it. The configuration refuses a VPC smaller than /23 (its subnets could not
 * hold the ALB's /27 with 8 free addresses); the stack's public subnets (the ALB's, trusted as
 * proxies) are then `<c>.0/27` and `<c>.32/27`, which hold the proxy at the gateway `<c>.1`, and
 * test clients from host number 64 up are outside them.
 */
export function vpcCidrAround(testSubnet: string): string {
  const [a, b, c] = testSubnet.split(".").map(Number);
  if (c % 2 !== 0) throw new Error(`test network ${testSubnet}.0/24 is not the lower half of a /23 (use freeTestSubnet)`);
  return `${a}.${b}.${c}.0/23`;
}

export interface SynthSettings {
  /** `vpcCidr` of the stack: the test network, so the proxy is a trusted one as the ALB is in the VPC. */
  vpcCidr: string;
  /** `hostname` of the stack: the name the proxy answers to. */
  hostname: string;
  /** Further settings as their KEYCLOAK_* variables, e.g. the admin CIDRs of the test's clients. @default {} */
  env?: Record<string, string>;
  /** `bootstrapAdmin` of the stack. @default the stack's default */
  bootstrapAdmin?: boolean;
}

/**
 * Synthesizes the stack the way `cdktf synth` does (cdktf.json's `app`) into `outDir`, with the
 * test network's settings given as the documented KEYCLOAK_* variables, and returns the
 * Keycloak container of its ECS task definition.
 */
export function synthesizeTaskContainer(outDir: string, settings: SynthSettings): TaskContainer {
  return synthesizeTaskContainers(outDir, settings, [STACK])[STACK];
}

/** As `synthesizeTaskContainer`, for several stacks (`keycloak-<environment>`) in one synth. */
export function synthesizeTaskContainers(outDir: string, settings: SynthSettings, stacks: string[]): Record<string, TaskContainer> {
  const app = (JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8")) as { app: string }).app;
  // Only this test's settings: a KEYCLOAK_* variable of the caller's shell would change the stack.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KEYCLOAK_")));
  execFileSync("sh", ["-c", app], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      CDKTF_OUTDIR: outDir,
      KEYCLOAK_ENVIRONMENTS: stacks.map((stack) => stack.replace(/^keycloak-/, "")).join(","),
      KEYCLOAK_VPC_CIDR: settings.vpcCidr,
      KEYCLOAK_HOSTNAME: settings.hostname,
      ...settings.env,
      ...(settings.bootstrapAdmin === undefined ? {} : { KEYCLOAK_BOOTSTRAP_ADMIN: String(settings.bootstrapAdmin) }),
    },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  });
  return Object.fromEntries(stacks.map((stack) => [stack, taskContainerOf(outDir, stack)]));
}

function taskContainerOf(outDir: string, stack: string): TaskContainer {
  const json = JSON.parse(readFileSync(join(outDir, "stacks", stack, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
  };
  const tasks = Object.values(json.resource?.aws_ecs_task_definition ?? {});
  if (tasks.length !== 1) throw new Error(`${stack}: expected one aws_ecs_task_definition, found ${tasks.length}`);
  const containers = JSON.parse(tasks[0].container_definitions as string) as {
    name: string;
    command?: string[];
    environment?: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
  }[];
  // The Keycloak container; the cluster-metrics sidecar is tested on its own (support/cluster-metrics.ts).
  const keycloak = containers.filter((c) => c.name === CONTAINER_NAME);
  if (keycloak.length !== 1) throw new Error(`${stack}: expected one container definition named ${CONTAINER_NAME}, found ${keycloak.length}`);
  const [container] = keycloak;
  const cpu = Number(tasks[0].cpu);
  const memory = Number(tasks[0].memory);
  if (!(cpu > 0 && memory > 0)) throw new Error(`${stack}: task cpu '${tasks[0].cpu}' / memory '${tasks[0].memory}' are not positive numbers`);
  return {
    name: container.name,
    command: container.command ?? [],
    environment: Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value])),
    secrets: container.secrets ?? [],
    cpu,
    memory,
  };
}

/** Host and port of a `jdbc:<kind>://host:port/...` URL. */
export function jdbcTarget(url: string): { host: string; port: number } {
  const m = /^jdbc:[a-z]+:\/\/([^/:?]+):(\d+)\//.exec(url);
  if (!m) throw new Error(`KC_DB_URL '${url}' is not jdbc:<db>://host:port/...`);
  return { host: m[1], port: Number(m[2]) };
}

/**
 * MariaDB stands in for RDS MySQL here, and Keycloak's `db=mysql` cannot use it: MariaDB 10.11
 * announces itself as version 5.5.5 (Hibernate's MySQL dialect wants 8.0+), and even with a faked
 * version MySQL Connector/J fails on the missing `transaction_isolation` variable. So the test
 * builds and runs Keycloak with `db=mariadb`, which Keycloak supports for MariaDB 10.11, and gives
 * the MariaDB driver its URL scheme and its name for the URL's sslMode (mariaDbSslMode: same check,
 * other driver). Host, port, database and the other parameters stay the task definition's.
 */
export const MARIADB_STAND_IN_OVERRIDES = { KC_DB: "mariadb" } as const;

export function forMariaDbStandIn(environment: Record<string, string>): Record<string, string> {
  return {
    ...environment,
    ...MARIADB_STAND_IN_OVERRIDES,
    KC_DB_URL: mariaDbSslMode(environment.KC_DB_URL.replace(/^jdbc:mysql:/, "jdbc:mariadb:")),
  };
}

/** A secret reference of the task definition: `<secret arn>:<json key>::`. */
export function parseSecretReference(valueFrom: string): { arn: string; jsonKey: string } {
  const m = /^(.+):([^:]*):([^:]*):([^:]*)$/.exec(valueFrom);
  if (!m || m[2] === "") throw new Error(`secret reference '${valueFrom}' is not <arn>:<json key>::`);
  return { arn: m[1], jsonKey: m[2] };
}

/** What ECS does with `secrets` at task start: each name gets the JSON key of the secret's current value. */
export function resolveSecrets(
  container: TaskContainer,
  arnFor: (reference: string) => string,
  stub: SecretsManagerStub,
): Record<string, string> {
  return Object.fromEntries(
    container.secrets.map((secret) => {
      const { arn, jsonKey } = parseSecretReference(secret.valueFrom);
      const value = (JSON.parse(stub.currentValue(arnFor(arn)) ?? "{}") as Record<string, string>)[jsonKey];
      if (typeof value !== "string") throw new Error(`secret ${arn} has no string "${jsonKey}" for ${secret.name}`);
      return [secret.name, value];
    }),
  );
}
