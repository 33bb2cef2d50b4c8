/**
 * The addresses each subnet must hold, and the security group rule quota: AWS limits a plan
 * does not check (the configuration refuses what would not fit; the AWS rules table checks
 * the synthesized stacks against the same numbers).
 */
import { INTERFACE_ENDPOINT_SERVICES, type EgressMode } from "./egress";

/** Inbound and outbound rules per security group, each (Amazon VPC quotas; adjustable, the table assumes the default). */
export const SG_RULES_PER_DIRECTION = 60;
/** AWS reserves the first four and the last address of every subnet. */
export const RESERVED_PER_SUBNET = 5;
/** An ALB subnet must be /27 or larger with at least 8 free addresses ("Subnets for your load balancer"). */
export const ALB_SUBNET_MAX_PREFIX = 27;
export const ALB_FREE_ADDRESSES = 8;
/** Addresses the database takes in a private subnet: the instance, and its standby or a replacement during maintenance. */
export const DATABASE_ADDRESSES = 2;

export const usableAddresses = (prefix: number) => 2 ** (32 - prefix) - RESERVED_PER_SUBNET;

export interface SubnetNeed {
  readonly total: number;
  /** What the total is made of, for the error message. */
  readonly parts: readonly string[];
}

/**
 * Addresses one subnet must have free. Tasks count all in one subnet: when a zone fails, ECS
 * places every task (and a deploy's surge) in the zones left.
 */
export function subnetNeed(kind: "public" | "private", egressMode: EgressMode, tasks: { maxCount: number; surge: number }): SubnetNeed {
  const parts: [number, string][] = [];
  const tasksHere = (egressMode === "public-ip") === (kind === "public");
  if (tasksHere) parts.push([tasks.maxCount + tasks.surge, `${tasks.maxCount + tasks.surge} tasks (maxCount ${tasks.maxCount} + deploy surge ${tasks.surge}, one address each)`]);
  if (kind === "public") {
    parts.push([ALB_FREE_ADDRESSES, `${ALB_FREE_ADDRESSES} free for the ALB`], [1, "1 NAT gateway"], [1, "1 bastion"]);
  } else {
    if (egressMode === "endpoints") parts.push([INTERFACE_ENDPOINT_SERVICES.length, `${INTERFACE_ENDPOINT_SERVICES.length} interface endpoints`]);
    parts.push([DATABASE_ADDRESSES, `${DATABASE_ADDRESSES} for the database`]);
  }
  return { total: parts.reduce((n, [k]) => n + k, 0), parts: parts.map(([, p]) => p) };
}
