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
