/**
 * One row of the table of AWS rules we depend on: a quota, length, character set, range or
 * cross-field rule that AWS enforces at apply time (or, worse, silently at run time) and that
 * `terraform plan` never checks. Each row names its AWS documentation source, checks every
 * synthesized shape, and carries bad cases that show it can fire.
 */
import type { TerraformJson } from "../../modules/synth";
import type { Shape, Violation } from "../rule-kit";
import type { Mutation } from "../mutation";

export interface AwsRule {
  /** kebab-case, prefixed by the service: `alb-rule-condition-wildcards`. */
  readonly id: string;
  /** The Terraform resource type(s) the rule applies to. */
  readonly resource: string;
  /** The rule in words, with its number: "at most 5 wildcards (* or ?) in a rule's conditions". */
  readonly rule: string;
  /** AWS documentation: page title and URL. */
  readonly source: string;
  /** Whether AWS lets an account raise it (a Service Quotas request); the table assumes the default. */
  readonly adjustable: boolean;
  readonly check: (json: TerraformJson, shape: Shape) => Violation[];
  /** Mutations of the real stack the rule must fire on, one per clause. */
  readonly bad: readonly Mutation[];
}
