import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { KeycloakConfig, RawSettings } from "../modules/config";
import { synthStack, testConfig, type TerraformJson } from "../modules/synth";
import type { Shape } from "./rules";

/** The shape with the ALB's access logs on (off in every other policy shape). */
export const ALB_ACCESS_LOGS_SHAPE = "ALB access logs on";

/** Every supported configuration shape: egress modes, certificate kinds, HA on and off, profiles. */
export const SHAPE_SETTINGS: readonly [string, RawSettings][] = [
  ["prod defaults", { bastionAllowedCidrs: ["198.51.100.7/32"] }],
  ["dev profile", { profile: "dev", bastionAllowedCidrs: ["198.51.100.7/32"] }],
  ["nat per zone, 3 zones", { natGateways: "per-az", azCount: 3 }],
  ["public-ip egress", { egressMode: "public-ip" }],
  ["endpoints egress", { egressMode: "endpoints" }],
  ["custom domain, DNS-validated certificate", { hostname: "login.example.com", hostedZoneId: "Z0123456789ABC" }],
  ["HA off, single task", { highAvailability: false, desiredCount: 1, maxCount: 1, dbMultiAz: false }],
  ["throw-away prod", { throwAway: true }],
  ["ARM64, prebuilt image, admin allow-list", {
    cpuArchitecture: "ARM64", imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26.7.3", adminAllowedCidrs: ["198.51.100.0/24"],
  }],
  ["SSH from anywhere with the explicit opt-in", { bastionAllowedCidrs: ["0.0.0.0/0"], bastionAllowSshFromAnywhere: true }],
  [ALB_ACCESS_LOGS_SHAPE, { albAccessLogs: true }],
];

export function shapeOf(name: string, settings: RawSettings): Shape {
  return shapeOfConfig(name, testConfig(settings));
}

/** The shape of a loaded configuration. */
export function shapeOfConfig(name: string, c: KeycloakConfig): Shape {
  return {
    name,
    profile: c.profile,
    egressMode: c.egressMode,
    throwAway: c.throwAway,
    highAvailability: c.highAvailability,
    bastionAllowSshFromAnywhere: c.bastionAllowSshFromAnywhere,
    albAccessLogs: c.albAccessLogs,
  };
}

/**
 * The synthesized stack of every shape. With POLICY_STACKS_CACHE naming a file they are
 * synthesized once and read back from it: the mutation benchmark sets it for the policy
 * area, where the stacks do not depend on the rules it mutates and a synth per mutant
 * would cost most of the run.
 */
export function policyStacks(cache = process.env.POLICY_STACKS_CACHE): { shape: Shape; json: TerraformJson }[] {
  if (cache && existsSync(cache)) return JSON.parse(readFileSync(cache, "utf8"));
  const stacks = SHAPE_SETTINGS.map(([name, settings]) => ({ shape: shapeOf(name, settings), json: synthStack(settings) }));
  if (cache) writeFileSync(cache, JSON.stringify(stacks));
  return stacks;
}
