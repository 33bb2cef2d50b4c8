import { synthStack } from "../../modules/synth";
import { SHAPE_SETTINGS } from "../../policy/shapes";
import { scanForSecrets } from "../../policy/secret-scan";

describe("secret scan", () => {
  test.each(SHAPE_SETTINGS.map(([name, settings]) => [name, settings] as const))(
    "the %s stack contains no literal password, private key or token",
    (_name, settings) => {
      expect(scanForSecrets(synthStack(settings))).toEqual([]);
    },
  );

  test("TLS-provider keys appear only as references, and the bastion key only in a sensitive output", () => {
    const json = synthStack();
    const values: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string") values.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(json);
    const uses = values.filter((v) => v.includes("private_key_pem") || v.includes("PRIVATE KEY"));
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use).toMatch(/^\$\{tls_private_key\.[A-Za-z0-9_-]+\.private_key_pem\}$/);
    const outputs = Object.values(json.output ?? {}).filter((o) => JSON.stringify(o.value).includes("private_key_pem"));
    expect(outputs.every((o) => o.sensitive === true)).toBe(true);
  });

  test("the scan finds a literal password, a PEM key, an access key and a secret inside an embedded JSON document", () => {
    const planted = {
      resource: {
        aws_db_instance: { a: { password: "hunter2hunter2" } },
        tls_cert: { b: { private_key: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----" } },
        aws_instance: { c: { user_data: "AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP" } },
        aws_ecs_task_definition: { d: { container_definitions: JSON.stringify([{ environment: [{ name: "KC_DB_PASSWORD", value: "x1" }] }]) } },
      },
    };
    expect(scanForSecrets(planted).map((f) => f.reason).sort()).toEqual(
      ["literal AWS access key id", "literal PEM private key", "literal value for KC_DB_PASSWORD", "literal value in password", "literal value in private_key"].sort(),
    );
  });

  test("references to Terraform-held values are not findings", () => {
    expect(scanForSecrets({ private_key: "${tls_private_key.k.private_key_pem}", password: "${var.p}" })).toEqual([]);
  });
});
