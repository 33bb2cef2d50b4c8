/**
 * Files of modules/ no area mutates, and why: they declare resources from their props with no
 * branch or computation of their own (the policy rules and the stack tests check what they declare).
 */
module.exports = {
  "modules/synth.ts": "the cdktf app's entry: synthesizes the stack the config describes",
  "modules/stack.ts": "wires the concerns together from the settings; the stack tests check the result",
  "modules/shared/paths.ts": "joins the project root to a path",
  "modules/shared/constants.ts": "pinned versions and names",
  "modules/shared/constant.ts": "returns its argument: `x as const` in a form the mutator sees into (nothing of its own to mutate)",
  "modules/network/egress.ts": "one constant list of egress ports",
  "modules/network/network.ts": "VPC, subnets and endpoints declared from props",
  "modules/edge/tls-policies.ts": "the ALB's TLS policy names",
  "modules/edge/load-balancer.ts": "the ALB and its listeners declared from props; its routes are listener-routes.ts",
  "modules/edge/certificate.ts": "the ACM certificate and its DNS validation declared from props",
  "modules/database/engine.ts": "the engine's name and version",
  "modules/database/database.ts": "the RDS instance declared from props; its capacity and windows are their own files",
  "modules/service/fargate.ts": "the Fargate task sizes table",
  "modules/monitoring/monitoring.ts": "the alarms of alarm-definitions.ts declared as resources",
  // Mutated in the tools area only in their computing lines; the rest declares resources.
  "modules/access/bastion.ts": "the bastion host declared from props; lines 39-41 (isArmInstanceType) are mutated in the tools area",
  "modules/service/keycloak-service.ts": "the ECS service and task definition declared from props; keycloakEnvironment are mutated in the tools area",
  "modules/image/image.ts": "the image build resource declared from props; lines 42-60 (dockerPlatform, filesDigest) are mutated in the tools area",
  "modules/database/setup/index.ts": "the database setup resource declared from props; lines 26-28 (escapeTerraformTemplate) are mutated in the tools area",
};
