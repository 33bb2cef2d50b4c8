import { Testing } from "cdktf";
import { loadConfig, type KeycloakConfig, type RawSettings } from "./config";
import { KeycloakStack } from "./stack";

/** Synthesized Terraform JSON of one stack. */
export interface TerraformJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean }>;
  provider?: Record<string, unknown[]>;
  terraform?: Record<string, unknown>;
  locals?: Record<string, unknown>;
}

/** A config for tests: defaults of `environment` plus the given settings. */
export function testConfig(settings: RawSettings = {}, environment = "test"): KeycloakConfig {
  return loadConfig({ environment, perEnvironment: settings, env: {} });
}

/** Synthesizes the whole stack in-process and returns its Terraform JSON. */
export function synthStack(settings: RawSettings = {}, environment = "test"): TerraformJson {
  const app = Testing.app();
  const stack = new KeycloakStack(app, `keycloak-${environment}`, testConfig(settings, environment));
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** All resources of a type, by their logical name. */
export function resourcesOf(json: TerraformJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** The only resource of a type; fails when there is not exactly one. */
export function onlyResource(json: TerraformJson, type: string): Record<string, unknown> {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** Logical name of the only resource of a type, for building references. */
export function onlyResourceName(json: TerraformJson, type: string): string {
  const names = Object.keys(resourcesOf(json, type));
  if (names.length !== 1) throw new Error(`expected exactly one ${type}, found ${names.length}`);
  return names[0];
}

/** The Keycloak container definition of the task definition. */
export function keycloakContainer(json: TerraformJson): {
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  [key: string]: unknown;
} {
  const task = onlyResource(json, "aws_ecs_task_definition");
  return JSON.parse(task.container_definitions as string)[0];
}

/** Settings that make a stack plannable offline: explicit zones and AMI, an SSH CIDR. */
export const OFFLINE_SETTINGS: RawSettings = {
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  bastionAmiId: "ami-0123456789abcdef0",
  bastionAllowedCidrs: ["198.51.100.7/32"],
};

/** `${type.name.attr}` reference to a resource's attribute, as cdktf writes it. */
export function ref(type: string, name: string, attr: string): string {
  return `\${${type}.${name}.${attr}}`;
}

/** Logical name of the resource of `type` whose name attribute (or Name tag) ends with `suffix`. */
export function nameOf(json: TerraformJson, type: string, suffix: string): string {
  const match = Object.entries(resourcesOf(json, type)).filter(([, r]) => {
    const n = (r.name as string | undefined) ?? ((r.tags as Record<string, string> | undefined)?.Name ?? "");
    return n.endsWith(suffix);
  });
  if (match.length !== 1) throw new Error(`expected one ${type} named *${suffix}, found ${match.length}`);
  return match[0][0];
}

export interface SgRule {
  direction: "ingress" | "egress";
  from_port?: number;
  to_port?: number;
  ip_protocol: string;
  cidr_ipv4?: string;
  referenced_security_group_id?: string;
  security_group_id: string;
  description?: string;
}

/** Ingress and egress rules of a security group (given by logical name). */
export function rulesOf(json: TerraformJson, sgName: string): SgRule[] {
  const sgRef = ref("aws_security_group", sgName, "id");
  const collect = (type: string, direction: SgRule["direction"]) =>
    Object.values(resourcesOf(json, type))
      .filter((r) => r.security_group_id === sgRef)
      .map((r) => ({ ...(r as unknown as SgRule), direction }));
  return [
    ...collect("aws_vpc_security_group_ingress_rule", "ingress"),
    ...collect("aws_vpc_security_group_egress_rule", "egress"),
  ];
}
