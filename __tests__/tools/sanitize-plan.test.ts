/**
 * The plan sanitizer, one clause at a time on small plan fragments in Terraform's JSON
 * shapes. The real plan, with a prior state holding keys and a password, goes through the
 * workflow's command in plan-stack.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../../modules/shared/paths";
import { publishFindings, redact, sanitizePlan } from "../../tools/ci/sanitize-plan";
import { scanForSecrets } from "../../policy/secret-scan";
import { TempDirs } from "../support/temp-dir";

const SECRET = "pw-Planted-0123456789";
const KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEplanted\n-----END RSA PRIVATE KEY-----\n";

type Plan = Parameters<typeof sanitizePlan>[0];
const sanitized = (plan: Plan) => sanitizePlan(plan).plan;
const text = (published: unknown) => JSON.stringify(published);

const temp = new TempDirs();
afterAll(() => temp.removeAll());

/** The sanitizer as plan-stack.sh calls it: plan JSON on stdin. */
function sanitizeCli(plan: unknown, textPlan: string) {
  const dir = temp.make("kc-sanitize-");
  const [out, txt] = [join(dir, "plan.json"), join(dir, "plan.txt")];
  writeFileSync(txt, textPlan);
  const r = spawnSync("node", ["--import", "tsx", "tools/ci/sanitize-plan.ts", out, txt], { cwd: projectPath(), input: JSON.stringify(plan), encoding: "utf8" });
  return { ...r, wroteJson: existsSync(out), keptText: existsSync(txt) };
}

describe("plan sanitizer", () => {
  test("redact nulls exactly what the mask marks, in nested objects and lists", () => {
    const value = { id: "x", password: SECRET, block: [{ a: "keep", b: SECRET }], tags: { Name: "n" } };
    const mask = { password: true, block: [{ b: true }], tags: {} };
    expect(redact(value, mask)).toEqual({ id: "x", password: null, block: [{ a: "keep", b: null }], tags: { Name: "n" } });
  });

  test("redact hides a whole value whose shape the mask does not fit", () => {
    expect(redact(SECRET, { password: true })).toBeNull();
    expect(redact({ a: SECRET }, false)).toEqual({ a: SECRET });
  });

  test("prior_state and sections it does not know are left out and reported", () => {
    const result = sanitizePlan({ format_version: "1.2", prior_state: { values: { outputs: { k: { value: KEY } } } }, future_section: SECRET });
    expect(result.plan).toEqual({ format_version: "1.2" });
    expect(result.dropped).toEqual(["prior_state", "future_section"]);
  });

  test("resource changes and drift lose the before and after values their masks mark sensitive", () => {
    const change = {
      address: "aws_db_instance.db",
      change: { actions: ["update"], before: { password: SECRET, port: 3306 }, after: { password: null, port: 3306 }, before_sensitive: { password: true }, after_sensitive: {} },
    };
    const plan = sanitized({ resource_changes: [change], resource_drift: [change] }) as { resource_changes: { change: { before: unknown } }[]; resource_drift: { change: { before: unknown } }[] };
    expect(plan.resource_changes[0].change.before).toEqual({ password: null, port: 3306 });
    expect(plan.resource_drift[0].change.before).toEqual({ password: null, port: 3306 });
    expect(text(plan)).not.toContain(SECRET);
  });

  test("config generated for an import is left out of a change", () => {
    const plan = sanitized({ resource_changes: [{ address: "a.b", change: { actions: ["no-op"], before: {}, after: {}, generated_config: `password = "${SECRET}"` } }] });
    expect(JSON.stringify(plan)).not.toContain(SECRET);
  });

  test("output changes lose values marked sensitive", () => {
    const plan = sanitized({ output_changes: { key: { actions: ["delete"], before: KEY, after: null, before_sensitive: true, after_sensitive: false } } });
    expect(plan).toEqual({ output_changes: { key: { actions: ["delete"], before: null, after: null, before_sensitive: true, after_sensitive: false } } });
  });

  test("planned values lose sensitive resource attributes (also in child modules) and sensitive outputs", () => {
    const resource = (address: string) => ({ address, values: { private_key: KEY, arn: "arn" }, sensitive_values: { private_key: true } });
    const plan = sanitized({
      planned_values: {
        outputs: { key: { sensitive: true, value: KEY }, url: { sensitive: false, value: "https://x" } },
        root_module: { resources: [resource("aws_acm_certificate.c")], child_modules: [{ address: "module.m", resources: [resource("module.m.aws_acm_certificate.c")] }] },
      },
    });
    expect(text(plan)).not.toContain("PRIVATE KEY");
    expect(text(plan)).toContain("https://x");
    expect(text(plan)).toContain('"arn":"arn"');
  });

  test("planned values also lose what the resource change marks sensitive: Terraform's sensitive_values omits schema-sensitive attributes", () => {
    const plan = sanitized({
      planned_values: { root_module: { resources: [{ address: "aws_acm_certificate.c", values: { private_key: KEY, arn: "arn" }, sensitive_values: { tags: {} } }] } },
      resource_changes: [{ address: "aws_acm_certificate.c", change: { actions: ["create"], before: null, after: { private_key: KEY }, after_sensitive: { private_key: true } } }],
      configuration: { root_module: { resources: [{ address: "aws_acm_certificate.c", expressions: { private_key: { constant_value: KEY } } }] } },
    });
    expect(text(plan)).not.toContain("PRIVATE KEY");
    expect(text(plan)).toContain('"arn":"arn"');
  });

  test("a literal given to a sensitive argument loses its constant_value in the configuration, for every instance", () => {
    const plan = sanitized({
      planned_values: {
        root_module: {
          resources: [
            { address: "aws_acm_certificate.c[0]", values: {}, sensitive_values: {} },
            { address: "aws_acm_certificate.c[1]", values: {}, sensitive_values: { private_key: true } },
          ],
        },
      },
      configuration: {
        root_module: {
          resources: [{ address: "aws_acm_certificate.c", expressions: { private_key: { constant_value: KEY }, certificate_body: { references: ["x.y"] } } }],
          outputs: { key: { sensitive: true, expression: { constant_value: KEY } }, url: { expression: { constant_value: "https://x" } } },
        },
      },
    }) as { configuration: { root_module: { resources: { expressions: unknown }[] } } };
    expect(plan.configuration.root_module.resources[0].expressions).toEqual({ private_key: {}, certificate_body: { references: ["x.y"] } });
    expect(text(plan)).not.toContain("PRIVATE KEY");
    expect(text(plan)).toContain("https://x");
  });

  test("sensitive variables lose their value and their default", () => {
    const plan = sanitized({
      variables: { db_password: { value: SECRET }, region: { value: "eu-west-1" } },
      configuration: { root_module: { variables: { db_password: { sensitive: true, default: SECRET }, region: {} } } },
    });
    expect(text(plan)).not.toContain(SECRET);
    expect(text(plan)).toContain("eu-west-1");
  });

  test("the publish check reports a PEM key in the text plan and a marked value left in the JSON", () => {
    const findings = publishFindings({ output_changes: { k: { before: SECRET, before_sensitive: true } } }, { "plan.txt": `key = ${KEY}` });
    expect(findings.map((f) => f.path).sort()).toEqual(["plan.json.output_changes.k.before", "plan.txt"]);
    expect(JSON.stringify(findings)).not.toContain(SECRET);
  });

  test("the secret scan reports values Terraform marks sensitive, whatever they look like, but not references or nulls", () => {
    const marked = {
      outputs: { a: { sensitive: true, value: SECRET }, b: { sensitive: true, value: "${tls_private_key.k.private_key_pem}" }, c: { sensitive: true, value: null } },
      change: { before: SECRET, before_sensitive: true, after: SECRET, after_sensitive: true },
    };
    expect(scanForSecrets(marked).map((f) => f.path).sort()).toEqual(["$.change.after", "$.change.before", "$.outputs.a.value"]);
  });

  test("the command writes the sanitized plan, and refuses (exit 1, nothing left to upload, no value printed) when a text plan holds a key", () => {
    const plan = { format_version: "1.2", prior_state: { values: { outputs: { k: { sensitive: true, value: KEY } } } } };
    const ok = sanitizeCli(plan, "Plan: 1 to add");
    expect([ok.status, ok.wroteJson, ok.keptText]).toEqual([0, true, true]);
    expect(ok.stdout).toContain("left out: prior_state");
    const refused = sanitizeCli(plan, `leaked ${KEY}`);
    expect([refused.status, refused.wroteJson, refused.keptText]).toEqual([1, false, false]);
    expect(refused.stderr).toContain("refusing to publish the plan: ");
    expect(refused.stderr).not.toContain("MIIEplanted");
  });

  /**
   * A whole `terraform show -json` plan in Terraform's shapes with the resources CI's aws-only
   * plan lacks: a tls_private_key (its key only marked sensitive in the change), a null_resource
   * whose provisioner's command holds a token, and a provider_config with literal credentials.
   */
  const GH_TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
  const fullPlan = (providerSecret: string | null): Plan => ({
    format_version: "1.2",
    terraform_version: "1.9.8",
    variables: { region: { value: "eu-west-1" } },
    planned_values: {
      root_module: {
        resources: [
          { address: "tls_private_key.bastion", mode: "managed", type: "tls_private_key", name: "bastion", values: { algorithm: "ED25519", private_key_pem: KEY, public_key_openssh: "ssh-ed25519 AAAA" }, sensitive_values: {} },
          { address: "null_resource.seed", mode: "managed", type: "null_resource", name: "seed", values: { triggers: { version: "1" } }, sensitive_values: { triggers: {} } },
        ],
      },
    },
    resource_changes: [
      { address: "tls_private_key.bastion", type: "tls_private_key", change: { actions: ["create"], before: null, after: { algorithm: "ED25519", private_key_pem: KEY }, after_unknown: {}, before_sensitive: false, after_sensitive: { private_key_pem: true } } },
      { address: "null_resource.seed", type: "null_resource", change: { actions: ["create"], before: null, after: { triggers: { version: "1" } }, after_unknown: { id: true }, before_sensitive: false, after_sensitive: { triggers: {} } } },
    ],
    prior_state: { values: { root_module: { resources: [{ address: "tls_private_key.bastion", values: { private_key_pem: KEY } }] } } },
    configuration: {
      provider_config: {
        aws: { name: "aws", full_name: "registry.terraform.io/hashicorp/aws", expressions: { region: { constant_value: "eu-west-1" }, ...(providerSecret === null ? {} : { secret_key: { constant_value: providerSecret } }) } },
        tls: { name: "tls", full_name: "registry.terraform.io/hashicorp/tls" },
        null: { name: "null", full_name: "registry.terraform.io/hashicorp/null" },
      },
      root_module: {
        resources: [
          { address: "tls_private_key.bastion", mode: "managed", type: "tls_private_key", name: "bastion", provider_config_key: "tls", expressions: { algorithm: { constant_value: "ED25519" } }, schema_version: 1 },
          {
            address: "null_resource.seed",
            mode: "managed",
            type: "null_resource",
            name: "seed",
            provider_config_key: "null",
            expressions: { triggers: { constant_value: { version: "1" } } },
            provisioners: [{ type: "local-exec", expressions: { command: { constant_value: `curl -H 'Authorization: ${GH_TOKEN}' https://x` }, environment: { references: ["tls_private_key.bastion.public_key_openssh"] } } }],
            schema_version: 0,
          },
        ],
      },
    },
  }) as unknown as Plan;

  test("a whole plan with tls and null resources and a provisioner: prior state, the marked key and the provisioner's literals are gone, the rest kept, and the publish check passes", () => {
    const { plan, dropped } = sanitizePlan(fullPlan(null));
    expect(dropped).toEqual(["prior_state"]);
    expect(text(plan)).not.toContain("PRIVATE KEY");
    expect(text(plan)).not.toContain(GH_TOKEN);
    // What checkov and a reviewer read is still there: the resources, the provisioner's type and references, the provider.
    expect(text(plan)).toContain('"public_key_openssh":"ssh-ed25519 AAAA"');
    expect(text(plan)).toContain('"type":"local-exec"');
    expect(text(plan)).toContain("tls_private_key.bastion.public_key_openssh");
    expect(text(plan)).toContain('"region":{"constant_value":"eu-west-1"}');
    expect(publishFindings(plan, {})).toEqual([]);
  });

  test("a literal credential in provider_config is not published: the publish check finds it by its argument's name", () => {
    const { plan } = sanitizePlan(fullPlan("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
    expect(publishFindings(plan, {}).map((f) => `${f.path}: ${f.reason}`)).toEqual(["plan.json.configuration.provider_config.aws.expressions.secret_key.constant_value: literal value in secret_key"]);
  });

  test("the scan finds secrets beyond PEM keys and access key ids: private keys in any armor, vendor tokens, random literals in secret-named attributes", () => {
    const reasons = (v: unknown) => scanForSecrets(v).map((f) => f.reason);
    expect(reasons({ a: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----" })).toEqual(["literal PEM private key"]);
    expect(reasons({ a: "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQ" })).toEqual(["literal PEM private key"]);
    expect(reasons({ a: "PuTTY-User-Key-File-3: ssh-ed25519" })).toEqual(["literal PEM private key"]);
    expect(reasons({ command: `echo ${GH_TOKEN}` })).toEqual(["literal token with a vendor prefix"]);
    expect(reasons({ master_password_override: "Zx8#kP2qLm9@vB4tWn7" })).toEqual(["random-looking literal in master_password_override"]);
    expect(reasons({ client_secret: "anything" })).toEqual(["literal value in client_secret"]);
    expect(reasons({ api_key: { constant_value: "k-1" } })).toEqual(["literal value in api_key"]);
    // Not secrets: a setting in a secret-named attribute that is a word, and names of secrets.
    expect(reasons({ http_tokens: "required", secret_name: "keycloak/db", token_validity_units: "hours" })).toEqual([]);
    // Pointers to a secret, random-looking as ARNs and ids are: the state's data sources hold them.
    expect(reasons({ secret_id: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-Ab3xYz", master_user_secret_kms_key_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" })).toEqual([]);
    expect(reasons({ db_password_secret_value: "Zx8#kP2qLm9@vB4tWn7" })).toEqual(["random-looking literal in db_password_secret_value"]);
  });
});
