import { existsSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { KeycloakSecrets, type KeycloakSecretsProps } from "../../modules/access/secrets";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { keycloakContainer, ref, resourcesOf, synthStack, type TerraformJson } from "../../modules/synth";

/** What the bootstrapAdmin setting decides: who gets the temporary admin's credentials. */

const secretArn = (json: TerraformJson, suffix: string): string | undefined => {
  const entry = Object.entries(resourcesOf(json, "aws_secretsmanager_secret")).find(([, s]) => String(s.name_prefix).includes(`/${suffix}-`));
  return entry && ref("aws_secretsmanager_secret", entry[0], "arn");
};

/** Every secret ARN some IAM policy of the stack names, with the actions allowed on it. */
function secretGrants(json: TerraformJson): { resource: string; actions: string[] }[] {
  return Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap((p) =>
    (JSON.parse(String(p.policy)).Statement as { Action: string[]; Resource: string[] }[]).flatMap((s) =>
      s.Resource.filter((r) => r.includes("aws_secretsmanager_secret")).map((resource) => ({ resource, actions: s.Action })),
    ),
  );
}

interface SetupResource {
  triggers: Record<string, string>;
  provisioner: { "remote-exec"?: { inline: string[] } }[];
}

function databaseSetup(json: TerraformJson): SetupResource {
  return Object.entries(resourcesOf(json, "null_resource")).find(([name]) => name.startsWith("database-setup_"))![1] as unknown as SetupResource;
}

function setupInline(json: TerraformJson): string {
  return databaseSetup(json).provisioner.flatMap((p) => p["remote-exec"]?.inline ?? []).join("\n");
}

describe("KeycloakSecrets and the bootstrapAdmin setting", () => {
  const on = synthStack();
  const off = synthStack({ bootstrapAdmin: false });

  test("bootstrapAdmin on (the default): tasks get KC_BOOTSTRAP_ADMIN_* from the bootstrap secret, which the execution role reads and the bastion fills", () => {
    const bootstrap = secretArn(on, "bootstrap-admin")!;
    expect(bootstrap).toBeDefined();
    expect(keycloakContainer(on).secrets.filter((s) => s.name.startsWith("KC_BOOTSTRAP_ADMIN_"))).toEqual([
      { name: "KC_BOOTSTRAP_ADMIN_USERNAME", valueFrom: `${bootstrap}:username::` },
      { name: "KC_BOOTSTRAP_ADMIN_PASSWORD", valueFrom: `${bootstrap}:password::` },
    ]);
    const grants = secretGrants(on).filter((g) => g.resource === bootstrap);
    expect(grants.map((g) => g.actions.includes("secretsmanager:PutSecretValue")).sort()).toEqual([false, true]);
    expect(setupInline(on)).toContain(`--admin-secret-arn '${bootstrap}'`);
    expect(on.output?.keycloak_admin_secret_arn?.value).toBe(bootstrap);
  });

  test("bootstrapAdmin off: no bootstrap secret, no KC_BOOTSTRAP_ADMIN_* in the task, no role may read it, the setup is not given one", () => {
    expect(secretArn(off, "bootstrap-admin")).toBeUndefined();
    expect(keycloakContainer(off).secrets.map((s) => s.name)).toEqual(["KC_DB_USERNAME", "KC_DB_PASSWORD"]);
    expect(setupInline(off)).not.toContain("--admin-secret-arn");
    expect(Object.keys(databaseSetup(off).triggers)).not.toContain("admin_secret_arn");
    expect(off.output?.keycloak_admin_secret_arn).toBeUndefined();
    // What stays: the database user's secret, read by the tasks and filled by the bastion.
    expect(new Set(secretGrants(off).map((g) => g.resource))).toEqual(new Set([secretArn(off, "db-user")]));
  });

  test("the permanent admin's secret exists either way, is an output, and no role of the stack may touch it", () => {
    for (const json of [on, off]) {
      const permanent = secretArn(json, "permanent-admin")!;
      expect(permanent).toBeDefined();
      expect(json.output?.keycloak_permanent_admin_secret_arn?.value).toBe(permanent);
      expect(secretGrants(json).filter((g) => g.resource === permanent)).toEqual([]);
      expect(JSON.stringify(keycloakContainer(json))).not.toContain(permanent);
    }
  });
});

describe("KeycloakSecrets on its own", () => {
  /** The secrets one KeycloakSecrets synthesizes, by name prefix. */
  const secretsOf = (props: KeycloakSecretsProps) => {
    const json = JSON.parse(Testing.synthScope((scope) => new KeycloakSecrets(scope, "secrets", props))) as TerraformJson;
    return Object.fromEntries(Object.values(resourcesOf(json, "aws_secretsmanager_secret")).map((s) => [String(s.name_prefix), s]));
  };

  test("bootstrapAdmin left unset means on: the database user's, the bootstrap admin's and the permanent admin's secrets, named under the prefix", () => {
    expect(Object.keys(secretsOf({ namePrefix: "kc-unit" })).sort()).toEqual(["kc-unit/bootstrap-admin-", "kc-unit/db-user-", "kc-unit/permanent-admin-"]);
  });

  test("each secret's description says what it holds and which step sets its value", () => {
    const secrets = secretsOf({ namePrefix: "kc-unit" });
    const description = (name: string) => String(secrets[`kc-unit/${name}-`].description);
    expect(description("db-user")).toBe("Keycloak database user (value set by the database setup)");
    expect(description("bootstrap-admin")).toBe("Keycloak bootstrap admin (value set by the database setup)");
    expect(description("permanent-admin")).toBe("Keycloak permanent admin (value set by tools/permanent-admin.sh)");
    expect(existsSync(join(REPO_ROOT, "tools", "permanent-admin.sh"))).toBe(true);
  });

  test("a deleted secret can be restored for 7 days unless recoveryWindowDays says otherwise, for every secret", () => {
    const windows = (props: KeycloakSecretsProps) => Object.values(secretsOf(props)).map((s) => s.recovery_window_in_days);
    expect(windows({ namePrefix: "kc-unit" })).toEqual([7, 7, 7]);
    expect(windows({ namePrefix: "kc-unit", recoveryWindowDays: 30 })).toEqual([30, 30, 30]);
  });

  test("the stack keeps the default 7-day recovery window on every secret, with or without the bootstrap admin", () => {
    for (const json of [synthStack(), synthStack({ bootstrapAdmin: false })]) {
      const windows = Object.values(resourcesOf(json, "aws_secretsmanager_secret")).map((s) => s.recovery_window_in_days);
      expect(windows.length).toBeGreaterThan(1);
      expect(new Set(windows)).toEqual(new Set([7]));
    }
  });
});
