/**
 * Every command a user or contributor runs, in one list: `./help` prints it and the README's
 * command table shows it (both written by `npm run docs`; a unit test fails when either, or
 * package.json's scripts, drift from it).
 */

export interface Command {
  /** What to type, from the project's root. */
  readonly run: string;
  /** One line: what it does. */
  readonly what: string;
}

export interface CommandGroup {
  readonly title: string;
  readonly commands: readonly Command[];
}

export const COMMANDS: readonly CommandGroup[] = [
  {
    title: "Quick start (fresh clone, no AWS credentials needed)",
    commands: [
      { run: "npm ci && npm run synth", what: "Install, then write the Terraform JSON for review to cdktf.out/" },
      { run: "npm run test:all", what: "Every test (installs the Debian packages the tests start; needs root)" },
    ],
  },
  {
    title: "Synthesize, check and deploy",
    commands: [
      { run: "npm run synth", what: "cdktf synth without cdktf's telemetry check (CHECKPOINT_DISABLE=1)" },
      { run: "npm run deploy -- [stack]", what: "cdktf deploy (AWS credentials; Docker unless KEYCLOAK_IMAGE_URI is set)" },
      { run: "npm run policy -- [stack]", what: "The security rules on the synthesized stacks: each finding with rule, resource and why" },
      { run: "npm run cost -- [stack]", what: "Monthly cost of the synthesized stacks, by resource" },
      { run: "npm run capacity -- --logins-per-second N", what: "Tasks, their size, maxCount, database class and pool, and cost for a demand (README: Sizing)" },
      { run: "npx cdktf diff|destroy|output [stack]", what: "Plan, destroy (prod: deletion protection first), show outputs" },
    ],
  },
  {
    title: "Operate a deployed stack",
    commands: [
      { run: "npm run upgrade -- check ...", what: "Keycloak's compatibility check decides: rolling update or recreate" },
      { run: "npm run drill -- <stack> ...", what: "The original's failover check, and our stand-ins' assumptions, on AWS" },
      { run: "npm run backup -- <stack> dump|restore FILE", what: "Dump or restore the Keycloak database through the bastion (tools/db-backup.sh)" },
      { run: "npm run permanent-admin -- <stack> ...", what: "Replace the temporary bootstrap admin by a permanent one (tools/permanent-admin.sh)" },
      { run: "npm run rotate-db-credentials -- <stack>", what: "Rotate the database credential to the other database user, roll the tasks, lock the old user (tools/rotate-db-credentials.sh)" },
    ],
  },
  {
    title: "Compile, test and measure",
    commands: [
      { run: "npm run build", what: "Type-check everything (tsc --noEmit)" },
      { run: "npm test", what: "Unit tests: stack, config, policy, real-provider validate + offline plan" },
      { run: "npm run test:integration", what: "Entrypoint and database setup, run for real (SSH, MariaDB, netns)" },
      { run: "npm run test:e2e", what: "Real Keycloak clusters behind the ALB stand-in: failover, lifecycle, clients" },
      { run: "npm run test:e2e:opt-in", what: "Long scenarios outside CI: repeated first boots, real upgrades" },
      { run: "npm run test:mutation", what: "Mutation score of config, policy and the stack's logic (Stryker)" },
      { run: "npm run bench", what: "Synth time and memory of the app" },
      { run: "npm run bench:cluster", what: "The lifecycle scenario's figures on this machine" },
      { run: "npm run bench:capacity", what: "Per-vCPU capacity of one task (logins, client credentials, refreshes) beside Keycloak's sizing figures; --profile, --compare" },
      { run: "npm run docs", what: "Regenerate README's generated sections and ./help" },
    ],
  },
  {
    title: "Configuration",
    commands: [
      { run: 'cdktf.json "context"', what: 'Settings shared by all environments ("keycloak") and per environment' },
      { run: "KEYCLOAK_* env variables", what: "Override any setting; see the table in README.md" },
      { run: "KEYCLOAK_ENVIRONMENTS=prod", what: "Synthesize only some environments" },
    ],
  },
];

const RULE = "=".repeat(100);
const WIDTH = Math.max(...COMMANDS.flatMap((g) => g.commands.map((c) => c.run.length))) + 2;

/** What `./help` prints. */
export function helpText(): string {
  const lines = [RULE, "", "  Keycloak HA on AWS ECS Fargate - a CDK for Terraform (TypeScript) project", "", RULE];
  for (const group of COMMANDS) {
    lines.push("", `  ${group.title}`, "");
    for (const c of group.commands) lines.push(`    ${c.run.padEnd(WIDTH)}${c.what}`);
  }
  lines.push("", RULE);
  return lines.join("\n") + "\n";
}

/** The `./help` script: prints helpText(). */
export function helpScript(): string {
  return ["#!/usr/bin/env bash", "# Written by `npm run docs` from scripts/commands.ts: edit that file, not this one.", "cat <<'EOF'", helpText() + "EOF", ""].join("\n");
}

/** The README's command table. */
export function commandsMarkdown(): string {
  const rows = COMMANDS.flatMap((g) => g.commands.map((c) => `| ${g.title.split(" (")[0]} | \`${c.run.replace(/\|/g, "\\|")}\` | ${c.what.replace(/\|/g, "\\|")} |`));
  return ["| for | command | what it does |", "| --- | --- | --- |", ...rows].join("\n");
}

/** The npm scripts the list names (`npm run X`, `npm test`). */
export function namedNpmScripts(): string[] {
  return COMMANDS.flatMap((g) => g.commands).flatMap((c) => [...c.run.matchAll(/npm (?:run ([\w:-]+)|(test)\b)/g)].map((m) => m[1] ?? m[2]));
}
