/**
 * The only place a policy rule may be waived: rule, resource, the shapes it applies to,
 * and why. The suite fails on any violation not listed here, and on any exception that no
 * longer matches anything.
 */
import type { Shape } from "./rules";

export interface PolicyException {
  readonly rule: string;
  /** Matches the violation's `type.name`. */
  readonly resource: RegExp;
  readonly appliesTo: (shape: Shape) => boolean;
  readonly reason: string;
}

export const EXCEPTIONS: readonly PolicyException[] = [
  {
    rule: "ECS_NO_PUBLIC_IP",
    resource: /^aws_ecs_service\./,
    appliesTo: (s) => s.egressMode === "public-ip",
    reason: "public-ip egress mode by design (the original's no-NAT cost choice): tasks need a public IP to reach ECR, Logs and Secrets Manager; their security group admits only the ALB and each other.",
  },
  {
    rule: "EC2_NO_PUBLIC_IP",
    resource: /^aws_instance\.bastion_/,
    appliesTo: () => true,
    reason: "The bastion is the SSH entry point the deploy uses for the database setup; SSH is open only to bastionAllowedCidrs.",
  },
  {
    rule: "RDS_MULTI_AZ",
    resource: /^aws_db_instance\./,
    appliesTo: (s) => s.profile === "dev",
    reason: "The dev profile trades the standby database for half the database cost; prod keeps Multi-AZ.",
  },
  {
    rule: "VPC_FLOW_LOGS",
    resource: /^aws_vpc\./,
    appliesTo: (s) => s.profile === "dev",
    reason: "The dev profile turns flow logs off to stay at the minimum cost; prod has them on.",
  },
  {
    rule: "ALB_ADMIN_PLANE_CLOSED",
    resource: /^aws_lb_listener\./,
    appliesTo: (s) => s.profile === "dev",
    reason: "The dev profile opens the admin plane (adminPublic) for quick experiments, and synth warns; prod keeps it closed.",
  },
];
