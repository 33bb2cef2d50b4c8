import { onlyResource, onlyResourceName, resourcesOf, synthStack, ref } from "../../modules/synth";
import { escapeTerraformTemplate } from "../../modules/database/setup";
import { REMOTE_SCRIPT_PATH, setupCommands, setupScript, shellQuote } from "../../modules/database/setup/commands";
import { readFileSync } from "node:fs";
import { projectPath } from "../../modules/shared/paths";
import { DB_CA_BUNDLE_URL, DB_USER, DB_USER_ALTERNATE } from "../../modules/shared/constants";
import { createHash } from "node:crypto";

describe("DatabaseSetup", () => {
  const json = synthStack();
  const [name, setup] = Object.entries(resourcesOf(json, "null_resource")).find(([n]) => n.startsWith("database-setup"))! as [
    string,
    {
      connection: Record<string, unknown>;
      provisioner: Record<string, { content?: string; destination?: string; inline?: string[] }>[];
      triggers: Record<string, string>;
      depends_on: string[];
    },
  ];
  const bastion = onlyResourceName(json, "aws_instance");

  test("connects over SSH to the bastion's public IP as ec2-user with the generated key, waiting up to 10 minutes", () => {
    expect(setup.connection).toMatchObject({ type: "ssh", user: "ec2-user", host: ref("aws_instance", bastion, "public_ip"), timeout: "10m" });
    expect(String(setup.connection.private_key)).toMatch(/^\$\{tls_private_key\.bastion_ssh-key_[A-Z0-9]+\.private_key_pem\}$/);
  });

  test("uploads the project's setup script unchanged (Terraform template syntax escaped) and runs the commands of setupCommands", () => {
    const file = setup.provisioner[0].file!;
    expect(file.destination).toBe(REMOTE_SCRIPT_PATH);
    // Terraform reads `${` and `%{` in a string as template syntax; `$${` and `%%{` are their escapes.
    const script = readFileSync(projectPath("modules", "database", "setup", "keycloak-db-setup.sh"), "utf8");
    expect(script).toMatch(/\$\{/);
    expect(file.content!).not.toMatch(/(^|[^$])\$\{/);
    expect(file.content!).not.toMatch(/(^|[^%])%\{/);
    expect(file.content!.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")).toBe(script);
    const inline = setup.provisioner[1]["remote-exec"].inline!;
    expect(inline[0]).toContain("cloud-init status --wait");
    expect(inline[1]).toMatch(/^bash \/tmp\/keycloak-db-setup\.sh --db-host '\$\{aws_db_instance\.[^.]+\.address\}' --db-port '3306' --ca-bundle-url '[^']+' --master-secret-arn '\$\{aws_db_instance\..+\.master_user_secret\[0\]\.secret_arn\}' --user-secret-arn '\$\{aws_secretsmanager_secret\..+\.arn\}' --admin-secret-arn '\$\{aws_secretsmanager_secret\..+\.arn\}' --region 'eu-west-1'$/);
  });

  test("connects to the RDS endpoint, the name in its certificate, and verifies it against RDS's CA bundle fetched over HTTPS", () => {
    const inline = setup.provisioner[1]["remote-exec"].inline!;
    const endpoint = ref("aws_db_instance", onlyResourceName(json, "aws_db_instance"), "address");
    expect(inline[1]).toContain(` --db-host ${shellQuote(endpoint)} `);
    expect(inline[1]).toContain(` --ca-bundle-url ${shellQuote(DB_CA_BUNDLE_URL)} `);
    expect(DB_CA_BUNDLE_URL).toMatch(/^https:\/\/truststore\.pki\.rds\.amazonaws\.com\//);
  });

  test("no password or secret value is part of the provisioner text", () => {
    expect(JSON.stringify(setup.provisioner[1])).not.toMatch(/password|SecretString/i);
  });

  test("re-runs when the database endpoint, the CA bundle URL, the script, the database users or a secret ARN changes, and not otherwise", () => {
    expect(Object.keys(setup.triggers).sort()).toEqual(["admin_secret_arn", "ca_bundle_url", "db_endpoint", "db_users", "master_secret_arn", "script_sha256", "user_secret_arn"]);
    expect(setup.triggers.db_users).toBe(`${DB_USER},${DB_USER_ALTERNATE}`);
    expect(setup.triggers.ca_bundle_url).toBe(DB_CA_BUNDLE_URL);
    expect(setup.triggers.script_sha256).toBe(createHash("sha256").update(setupScript()).digest("hex"));
    expect(setup.triggers.db_endpoint).toBe(ref("aws_db_instance", onlyResourceName(json, "aws_db_instance"), "address"));
    expect(synthStack().resource!.null_resource[name].triggers).toEqual(setup.triggers);
  });

  test("a change of the users' statements in the script (its grants, the alternate user) changes the trigger, so the next apply re-runs the setup", () => {
    const changed = setupScript().replace("GRANT ALL PRIVILEGES ON", "GRANT SELECT ON");
    expect(changed).not.toBe(setupScript());
    expect(createHash("sha256").update(changed).digest("hex")).not.toBe(setup.triggers.script_sha256);
    expect(setupScript()).toContain(`readonly DB_USER_ALTERNATE="${DB_USER_ALTERNATE}"`);
  });

  test("Terraform never reads a secret's value or versions: no secret version resource or data source, nothing from a secret in the triggers", () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/aws_secretsmanager_secret_version/);
    expect(Object.values(setup.triggers).filter((value) => /secret_string|password/i.test(value))).toEqual([]);
  });

  test("waits for the database, its DNS name, the bastion and the security group rules between them", () => {
    expect(setup.depends_on).toEqual(
      expect.arrayContaining([
        `aws_db_instance.${onlyResourceName(json, "aws_db_instance")}`,
        `aws_route53_record.${onlyResourceName(json, "aws_route53_record")}`,
        `aws_instance.${bastion}`,
      ]),
    );
    expect(setup.depends_on.filter((d) => d.startsWith("aws_vpc_security_group_"))).toHaveLength(2);
  });

  test("the ECS service depends on the database setup", () => {
    expect((onlyResource(json, "aws_ecs_service").depends_on as string[])).toContain(`null_resource.${name}`);
  });

  test("shellQuote keeps values with quotes and spaces as one word", () => {
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(setupCommands({ dbHost: "h", dbPort: 1, caBundleUrl: "c", masterSecretArn: "m", userSecretArn: "u", adminSecretArn: "a", region: "r" })).toHaveLength(2);
  });

  test("the setup command passes each argument as a flag and a quoted value; the admin secret only when there is one", () => {
    const args = { dbHost: "h", dbPort: 1, caBundleUrl: "c", masterSecretArn: "m", userSecretArn: "u", region: "r" };
    const flags = `--db-host 'h' --db-port '1' --ca-bundle-url 'c' --master-secret-arn 'm' --user-secret-arn 'u'`;
    expect(setupCommands(args)[1]).toBe(`bash ${REMOTE_SCRIPT_PATH} ${flags} --region 'r'`);
    expect(setupCommands({ ...args, adminSecretArn: "a" })[1]).toBe(`bash ${REMOTE_SCRIPT_PATH} ${flags} --admin-secret-arn 'a' --region 'r'`);
  });

  test("Terraform template syntax in the script is escaped: ${ and %{ reach the bastion as written", () => {
    expect(escapeTerraformTemplate('echo "${HOME}" %{if} $x %')).toBe('echo "$${HOME}" %%{if} $x %');
  });
});
