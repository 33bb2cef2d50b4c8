/**
 * Security and operability rules over the synthesized Terraform JSON, with the checkov
 * check each one mirrors where checkov has a true equivalent (checkov cannot be installed
 * on our CI machines; the users' CI runs the real one). Each rule carries bad cases:
 * mutations of one field of the real synthesized stack, one per clause, so no clause of a
 * rule goes untested.
 *
 * The rules live in one file per AWS concern (rules-*.ts), their parts in rule-kit.ts; this
 * list keeps their order (the README's policy table follows it).
 */
import type { Rule } from "./rule-kit";
import { EDGE_RULES } from "./rules-edge";
import { WAF_RULES } from "./rules-waf";
import { NETWORK_RULES } from "./rules-network";
import { DATABASE_RULES } from "./rules-database";
import { IMAGES_AND_LOGS_RULES } from "./rules-images-and-logs";
import { COMPUTE_RULES } from "./rules-compute";
import { ACCESS_RULES } from "./rules-access";

export type { CheckovCheck, Rule, Shape, Violation } from "./rule-kit";

export const RULES: readonly Rule[] = [...EDGE_RULES, ...WAF_RULES, ...NETWORK_RULES, ...DATABASE_RULES, ...IMAGES_AND_LOGS_RULES, ...COMPUTE_RULES, ...ACCESS_RULES];
