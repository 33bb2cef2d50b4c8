import { onlyResource, onlyResourceName, rulesOf, synthStack, ref, nameOf, resourcesOf } from "../../modules/synth";
import { isArmInstanceType } from "../../modules/access/bastion";

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
  });

  test("a configured AMI is used as is, without the SSM lookup", () => {
    const custom = synthStack({ bastionAmiId: "ami-0123456789abcdef0" });
    expect(custom.data?.aws_ssm_parameter).toBeUndefined();
    expect(onlyResource(custom, "aws_instance").ami).toBe("ami-0123456789abcdef0");
  });

  test("the instance requires IMDSv2, has an encrypted root volume, a public IP and no user data", () => {
    expect(instance.metadata_options).toMatchObject({ http_tokens: "required" });
    expect(instance.root_block_device).toMatchObject({ encrypted: true });
    expect(instance.associate_public_ip_address).toBe(true);
    expect(instance.user_data).toBeUndefined();
  });

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
