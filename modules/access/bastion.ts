import { readFileSync } from "node:fs";
import { Construct } from "constructs";
import { projectPath } from "../shared/paths";
import { Fn, Op, TerraformLocal } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { KeyPair } from "@cdktf/provider-aws/lib/key-pair";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { PORTS } from "../shared/constants";
import { assumeRolePolicy, policyDocument } from "./iam";

export interface BastionProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  /** The bastion runs in the first public subnet. */
  readonly publicSubnetIds: string[];
  /** Who may SSH in. Empty: `terraform plan` stops with a message naming the setting. */
  readonly allowedCidrs: readonly string[];
  /** How the user sets `allowedCidrs`, for that message. @default "allowedCidrs" */
  readonly allowedCidrsSetting?: string;
  /** @default "t4g.nano" */
  readonly instanceType: string;
  /** Empty: latest Amazon Linux 2023 from the public SSM parameter. @default "" */
  readonly amiId: string;
  /** Secrets the database setup only reads (the RDS master secret). */
  readonly readableSecretArns: string[];
  /** Secrets the database setup fills in once (database user, bootstrap admin). */
  readonly writableSecretArns: string[];
}

/** SSH user of Amazon Linux 2023. */
export const BASTION_USER = "ec2-user";

/** The bastion's user data: automatic security updates (dnf-automatic, security only). */
export const BASTION_UPDATES_SCRIPT = projectPath("modules", "access", "bastion-updates.sh");

/** Graviton instance families carry a `g` after the generation digit (t4g, m7g, c7gn). */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType);
}

/**
 * A small EC2 host in a public subnet: the hop for SSH to the private database and the
 * machine the database setup runs on.
 */
export class Bastion extends Construct {
  readonly instance: Instance;
  readonly publicIp: string;
  readonly securityGroupId: string;
  /**
   * A second group on the bastion with no rule at all: the deploy workflow adds its runner's
   * /32 on port 22 for one run and always removes it (tools/ci/bastion-access.sh), so a hosted
   * runner reaches the bastion without widening the allowed CIDRs to GitHub's ranges.
   */
  readonly ciAccessSecurityGroupId: string;
  readonly sshUser: string = BASTION_USER;
  /** Private key of the bastion's key pair; only ever exposed as a sensitive output. */
  readonly privateKeyPem: string;

  constructor(scope: Construct, id: string, props: BastionProps) {
    super(scope, id);
    const name = `${props.namePrefix}-bastion`;

    const key = new PrivateKey(this, "ssh-key", { algorithm: "RSA", rsaBits: 4096 });
    this.privateKeyPem = key.privateKeyPem;
    const keyPair = new KeyPair(this, "key-pair", { keyNamePrefix: `${name}-`, publicKey: key.publicKeyOpenssh });

    const cidrs = new TerraformLocal(this, "ssh-cidrs", [...props.allowedCidrs]);
    const settingName = props.allowedCidrsSetting ?? "allowedCidrs";
    const sg = new SecurityGroup(this, "sg", {
      name,
      description: "Keycloak bastion: SSH from the configured CIDRs only",
      vpcId: props.vpcId,
      tags: { Name: name },
      lifecycle: {
        precondition: [
          {
            // `> 0` would render as `> undefined` (cdktf drops a literal 0 operand).
            condition: Op.gte(Fn.lengthOf(cidrs.asList), 1),
            errorMessage: `No CIDR may SSH to the bastion, so the database setup cannot run. Set ${settingName} to the deploying machine's address, e.g. 203.0.113.7/32.`,
          },
        ],
      },
    });
    this.securityGroupId = sg.id;
    props.allowedCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `ssh-in-${i}`, {
        securityGroupId: sg.id,
        description: `SSH from ${cidr}`,
        ipProtocol: "tcp",
        fromPort: PORTS.ssh,
        toPort: PORTS.ssh,
        cidrIpv4: cidr,
      });
    });
    new VpcSecurityGroupEgressRule(this, "https-out", {
      securityGroupId: sg.id,
      description: "HTTPS to AWS APIs and the Amazon Linux package repositories",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });

    // No ingress or egress blocks: Terraform leaves the run's rule alone and removes AWS's default egress.
    const ciAccess = new SecurityGroup(this, "ci-access", {
      name: `${name}-ci-access`,
      description: "Keycloak bastion: empty; the deploy workflow adds the runner /32 for one run",
      vpcId: props.vpcId,
      tags: { Name: `${name}-ci-access` },
    });
    this.ciAccessSecurityGroupId = ciAccess.id;

    const role = new IamRole(this, "role", {
      namePrefix: `${name}-`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
    });
    new IamRolePolicy(this, "secrets-policy", {
      role: role.id,
      policy: policyDocument([
        { actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], resources: props.readableSecretArns },
        {
          actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"],
          resources: props.writableSecretArns,
        },
      ]),
    });
    const profile = new IamInstanceProfile(this, "profile", { namePrefix: `${name}-`, role: role.name });

    const arch = isArmInstanceType(props.instanceType) ? "arm64" : "x86_64";
    const ami =
      props.amiId !== ""
        ? props.amiId
        : new DataAwsSsmParameter(this, "al2023-ami", {
            name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`,
          }).insecureValue;

    this.instance = new Instance(this, "instance", {
      ami,
      instanceType: props.instanceType,
      subnetId: props.publicSubnetIds[0],
      associatePublicIpAddress: true,
      vpcSecurityGroupIds: [sg.id, ciAccess.id],
      keyName: keyPair.keyName,
      iamInstanceProfile: profile.name,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 8, deleteOnTermination: true },
      monitoring: true,
      // Base64: the script's ${...} would otherwise be Terraform interpolations.
      userDataBase64: readFileSync(BASTION_UPDATES_SCRIPT).toString("base64"),
      tags: { Name: name },
      // A newer AMI must not replace the host under a running deployment.
      lifecycle: { ignoreChanges: ["ami"] },
    });
    this.publicIp = this.instance.publicIp;
  }

  /** Lets the bastion reach a security group on a port (the database). */
  allowTo(id: string, destinationSecurityGroupId: string, port: number, description: string): VpcSecurityGroupEgressRule {
    return new VpcSecurityGroupEgressRule(this, `out-${id}`, {
      securityGroupId: this.securityGroupId,
      description,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: destinationSecurityGroupId,
    });
  }
}
