/**
 * What the policy rules (rules-*.ts) are made of: the configuration shape, a rule and its
 * violations, and the helpers that walk the synthesized JSON and build bad cases.
 */
import type { TerraformJson } from "../modules/synth";
import type { EgressMode, Profile } from "../modules/config";
import type { Mutation } from "./mutation";
import { constant } from "../modules/shared/constant";

/** The configuration shape a stack was synthesized from. */
export interface Shape {
  readonly name: string;
  readonly profile: Profile;
  readonly egressMode: EgressMode;
  readonly throwAway: boolean;
  readonly highAvailability: boolean;
  readonly bastionAllowSshFromAnywhere: boolean;
  readonly albAccessLogs: boolean;
}

export interface Violation {
  /** `type.name` of the offending resource. */
  readonly resource: string;
  readonly message: string;
}

/** A checkov check, verified against checkov's own source: the file that defines it. */
export interface CheckovCheck {
  readonly id: string;
  /** Path under checkov/terraform/checks/ in bridgecrewio/checkov. */
  readonly source: string;
}

export interface Rule {
  readonly id: string;
  /** The checkov check that tests the same thing, where one exists. */
  readonly checkov?: CheckovCheck;
  readonly rationale: string;
  readonly check: (json: TerraformJson, shape: Shape) => Violation[];
  /** Mutations of the real stack the rule must fire on: one per clause. */
  readonly bad: readonly Mutation[];
  /** Mutations the rule must not fire on (a clause that makes it stricter than it should be). */
  readonly accepts?: readonly Mutation[];
}

export type Res = Record<string, unknown>;

/** Requests of the admin plane: the admin API and admin-cli's token endpoint in the master realm. */
export const ADMIN_PLANE_SAMPLES = ["/admin/realms", "/admin/master/console/", "/realms/master/protocol/openid-connect/token"];

export const DEFAULT_SHAPE: Shape = {
  name: "prod defaults",
  profile: "prod",
  egressMode: "nat",
  throwAway: false,
  highAvailability: true,
  bastionAllowSshFromAnywhere: false,
  albAccessLogs: false,
};

export function each(json: TerraformJson, type: string): [string, Res][] {
  return Object.entries(json.resource?.[type] ?? {}).map(([name, r]) => [`${type}.${name}`, r]);
}

/** Violations for every resource of `type` where `bad(r)` returns a message. */
export function forEach(type: string, bad: (r: Res, shape: Shape, resource: string) => string | false | undefined) {
  return (json: TerraformJson, shape: Shape): Violation[] =>
    each(json, type).flatMap(([resource, r]) => {
      const message = bad(r, shape, resource);
      return message ? [{ resource, message }] : [];
    });
}

/**
 * The container definitions of a task definition. A value that does not parse is an error,
 * not "no containers": otherwise every container rule would pass any stack.
 */
export function containers(r: Res, resource: string): Res[] {
  try {
    return JSON.parse(String(r.container_definitions)) as Res[];
  } catch (error) {
    throw new Error(`${resource}: container_definitions does not parse as JSON (${(error as Error).message}); the container rules cannot check it`);
  }
}

/** `${aws_security_group.X.id}` of the ALB's groups (named `<prefix>-alb`). */
export function albGroups(json: TerraformJson): string[] {
  return each(json, "aws_security_group")
    .filter(([, r]) => String(r.name).endsWith("-alb"))
    .map(([resource]) => `\${${resource}.id}`);
}

/** `${type.name.id}` references to each resource of `type`. */
export const idRefs = (json: TerraformJson, type: string) => each(json, type).map(([resource]) => constant([resource, `\${${resource}.id}`]));

/** Port range a rule opens: protocol "-1" (all traffic) opens every port, whatever from/to say. */
export function portRange(r: Res): [number, number] {
  return r.ip_protocol === "-1" ? [0, 65535] : [Number(r.from_port), Number(r.to_port)];
}

export const isOpen = (r: Res) => OPEN_CIDRS.has(String(r.cidr_ipv4)) || OPEN_CIDRS.has(String(r.cidr_ipv6));

/** A single TCP port: exactly `port`, nothing around it. */
export const onlyPort = (r: Res, port: number) => r.ip_protocol === "tcp" && r.from_port === port && r.to_port === port;

/** Mutation of one field of the first (or picked) resource of `type`. */
export const change = (type: string, path: Mutation["path"], to: unknown, clause: string, more: Partial<Mutation> = {}): Mutation =>
  ({ type, path, to, clause, ...more });
/** Picks the resource whose logical name contains `part`. */
export const named = (part: string) => (_r: Res, name: string) => name.includes(part);
export const httpListener = (r: Res) => r.protocol === "HTTP";
export const httpsListener = (r: Res) => r.protocol === "HTTPS";
export const CONTAINER = constant(["container_definitions", 0]);
export const envName = (name: string, clause: string) => change("aws_ecs_task_definition", [...CONTAINER, "environment", 0, "name"], name, clause);
/** A second, otherwise well-behaved container with `field` set to `value`: every container is checked, not just the first. */
export const sidecar = (field: string, value: unknown, clause: string) =>
  change("aws_ecs_task_definition", ["container_definitions", 1], {
    name: "sidecar", image: "public.ecr.aws/docker/library/busybox:1", essential: false, readonlyRootFilesystem: true, privileged: false,
    logConfiguration: { logDriver: "awslogs" }, [field]: value,
  }, clause);

export const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIALS?)(_|$)/i;
export const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
export const TLS_1_2_PLUS = /^ELBSecurityPolicy-TLS13-1-[23]-/;
export const USER_DATA_SECRET = /password|secret|BEGIN [A-Z ]*PRIVATE KEY|aws_secret_access_key/i;
