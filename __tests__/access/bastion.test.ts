import { onlyResource, onlyResourceName, rulesOf, synthStack, ref, nameOf, resourcesOf } from "../../modules/synth";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASTION_UPDATES_SCRIPT, isArmInstanceType } from "../../modules/access/bastion";
import { BinDir, resolveCommand } from "../support/command-stubs";
import { runProcess } from "../support/run-process";
import { TempDirs } from "../support/temp-dir";

const tempDirs = new TempDirs();
afterAll(() => tempDirs.removeAll());

/** Runs the bastion's user data with dnf and systemctl recording their calls, over a fake root with AL2023's automatic.conf. */
async function runUpdatesScript(dnfFails = false) {
  const dir = tempDirs.make("kc-bastion-updates-");
  const root = join(dir, "root");
  mkdirSync(join(root, "etc", "dnf"), { recursive: true });
  // The shipped defaults of dnf-automatic: download, do not apply, every update.
  writeFileSync(join(root, "etc", "dnf", "automatic.conf"), "[commands]\nupgrade_type = default\nrandom_sleep = 0\ndownload_updates = yes\napply_updates = no\n");
  const calls = join(dir, "calls");
  new BinDir(join(dir, "bin"))
    .link("mkdir", "sed", "grep")
    .script("dnf", `echo "dnf $*" >> '${calls}'; ${dnfFails ? "exit 1" : "true"}`)
    .script("systemctl", `echo "systemctl $*" >> '${calls}'`);
  const result = await runProcess(resolveCommand("bash"), [BASTION_UPDATES_SCRIPT], { env: { PATH: join(dir, "bin"), BASTION_ROOT: root } });
  const read = (file: string) => { try { return readFileSync(file, "utf8"); } catch { return ""; } };
  return { result, calls: read(calls).split("\n").filter(Boolean), conf: read(join(root, "etc", "dnf", "automatic.conf")), releasever: read(join(root, "etc", "dnf", "vars", "releasever")) };
}

describe("Bastion", () => {
  const json = synthStack({ bastionAllowedCidrs: ["198.51.100.7/32"] });
  const instance = onlyResource(json, "aws_instance");

  test("Amazon Linux 2023 comes from the public SSM parameter for the instance's architecture", () => {
    const [paramName, param] = Object.entries(json.data?.aws_ssm_parameter ?? {})[0] as [string, { name: string }];
    expect(param.name).toBe("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    expect(instance.ami).toBe(`\${data.aws_ssm_parameter.${paramName}.insecure_value}`);
    const x86 = synthStack({ bastionInstanceType: "t3.micro" });
    expect((Object.values(x86.data?.aws_ssm_parameter ?? {})[0] as { name: string }).name).toMatch(/x86_64$/);
  });

  test("Graviton instance types are recognised by the g after the generation", () => {
    expect(["t4g.nano", "m7g.large", "c7gn.xlarge"].map(isArmInstanceType)).toEqual([true, true, true]);
    expect(["t3.micro", "m5.large", "c6i.large"].map(isArmInstanceType)).toEqual([false, false, false]);
    // A family of two letters (im4gn), a generation of two digits, and the g of the family itself (g5) or of a later part.
    expect(["im4gn.large", "x2gd.medium", "ab12g.large"].map(isArmInstanceType)).toEqual([true, true, true]);
    expect(["g5.xlarge", "u-t4g.large", "inf2.xlarge"].map(isArmInstanceType)).toEqual([false, false, false]);
  });

  test("a configured AMI is used as is, without the SSM lookup", () => {
    const custom = synthStack({ bastionAmiId: "ami-0123456789abcdef0" });
    expect(custom.data?.aws_ssm_parameter).toBeUndefined();
    expect(onlyResource(custom, "aws_instance").ami).toBe("ami-0123456789abcdef0");
  });

  test("the instance requires IMDSv2, has an encrypted root volume, a public IP, and its user data is the security-updates script", () => {
    expect(instance.metadata_options).toMatchObject({ http_tokens: "required" });
    expect(instance.root_block_device).toMatchObject({ encrypted: true });
    expect(instance.associate_public_ip_address).toBe(true);
    expect(instance.user_data).toBeUndefined();
    expect(Buffer.from(String(instance.user_data_base64), "base64").toString("utf8")).toBe(readFileSync(BASTION_UPDATES_SCRIPT, "utf8"));
  });

  test("the user data applies security updates now and daily: latest release, dnf-automatic security-only with apply on, its timer enabled", async () => {
    const { result, calls, conf, releasever } = await runUpdatesScript();
    expect(result.code).toBe(0);
    expect(releasever).toBe("latest\n");
    expect(calls).toEqual(["dnf upgrade -y --security", "dnf install -y dnf-automatic", "systemctl enable --now dnf-automatic.timer"]);
    expect(conf).toContain("upgrade_type = security\n");
    expect(conf).toContain("apply_updates = yes\n");
    expect(conf).not.toContain("apply_updates = no");
  }, 30_000);

  test("the user data stops at the first failing step instead of carrying on unpatched", async () => {
    const { result, calls } = await runUpdatesScript(true);
    expect(result.code).not.toBe(0);
    expect(calls).toEqual(["dnf upgrade -y --security"]);
  }, 30_000);

  test("the key pair is made from a TLS-provider key and the private key is only a sensitive output", () => {
    const keyPair = onlyResource(json, "aws_key_pair");
    expect(String(keyPair.public_key)).toMatch(/^\$\{tls_private_key\.bastion_ssh-key_[A-Z0-9]+\.public_key_openssh\}$/);
    expect(instance.key_name).toBe(ref("aws_key_pair", onlyResourceName(json, "aws_key_pair"), "key_name"));
    const privateKeyOutputs = Object.values(json.output ?? {}).filter((o) => String(o.value).includes("private_key_pem"));
    expect(privateKeyOutputs).toHaveLength(1);
    expect(privateKeyOutputs[0].sensitive).toBe(true);
  });

  test("SSH comes in only from the configured CIDRs", () => {
    const ingress = rulesOf(json, nameOf(json, "aws_security_group", "-bastion")).filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => `${r.from_port}-${r.to_port}:${r.cidr_ipv4}`)).toEqual(["22-22:198.51.100.7/32"]);
  });

  test("a second, empty security group on the bastion is the deploy workflow's door: no rule in Terraform, its id an output", () => {
    const ciName = nameOf(json, "aws_security_group", "-bastion-ci-access");
    const ci = resourcesOf(json, "aws_security_group")[ciName];
    expect(rulesOf(json, ciName)).toEqual([]);
    // Inline blocks would make Terraform remove the run's rule on the next deploy.
    expect([ci.ingress, ci.egress]).toEqual([undefined, undefined]);
    expect(instance.vpc_security_group_ids).toEqual([
      ref("aws_security_group", nameOf(json, "aws_security_group", "-bastion"), "id"),
      ref("aws_security_group", ciName, "id"),
    ]);
    expect(json.output?.bastion_ci_access_security_group_id?.value).toBe(ref("aws_security_group", ciName, "id"));
  });

  test("with no CIDR there is no SSH rule and a precondition that names the setting stops the plan", () => {
    const open = synthStack({ bastionAllowedCidrs: [] });
    const sgName = nameOf(open, "aws_security_group", "-bastion");
    expect(rulesOf(open, sgName).filter((r) => r.direction === "ingress")).toEqual([]);
    const sg = resourcesOf(open, "aws_security_group")[sgName] as { lifecycle: { precondition: { condition: string; error_message: string }[] } };
    expect(sg.lifecycle.precondition[0].condition).toMatch(/length\(local\.[^)]+\) >= 1/);
    expect(sg.lifecycle.precondition[0].error_message).toContain("bastionAllowedCidrs (env KEYCLOAK_BASTION_ALLOWED_CIDRS)");
  });

  test("the instance role may read the master secret and fill in exactly the DB-user and bootstrap-admin secrets", () => {
    const policies = Object.values(resourcesOf(json, "aws_iam_role_policy")).map((p) => JSON.parse(String(p.policy)));
    const bastionPolicy = policies.find((p) => JSON.stringify(p).includes("PutSecretValue"))!;
    const [read, write] = bastionPolicy.Statement;
    expect(read.Resource).toEqual([ref("aws_db_instance", onlyResourceName(json, "aws_db_instance"), "master_user_secret[0].secret_arn")]);
    expect(read.Action).not.toContain("secretsmanager:PutSecretValue");
    const secretArns = Object.keys(resourcesOf(json, "aws_secretsmanager_secret"))
      .filter((n) => /_(db-user|bootstrap-admin)_/.test(n))
      .map((n) => ref("aws_secretsmanager_secret", n, "arn"));
    expect(secretArns).toHaveLength(2);
    expect([...write.Resource].sort()).toEqual(secretArns.sort());
  });
});
