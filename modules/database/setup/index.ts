import { createHash } from "node:crypto";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { DB_CA_BUNDLE_URL, DB_USER, DB_USER_ALTERNATE } from "../../shared/constants";
import { REMOTE_SCRIPT_PATH, setupCommands, setupScript } from "./commands";

export interface DatabaseSetupProps {
  readonly region: string;
  /** Public IP of the bastion to SSH to. */
  readonly bastionHost: string;
  readonly bastionUser: string;
  readonly bastionPrivateKeyPem: string;
  /** RDS endpoint, the name in its TLS certificate: a new database instance re-runs the setup. */
  readonly dbHost: string;
  readonly dbPort: number;
  readonly masterSecretArn: string;
  readonly userSecretArn: string;
  /** Bootstrap admin secret to fill. @default none: the setup leaves admin credentials alone */
  readonly adminSecretArn?: string;
  /** Everything that must exist first: the instance, the DNS record, the security group rules. */
  readonly dependsOn: ITerraformDependable[];
}

/** Keeps Terraform from reading shell `${var}` and `%{` in the script as template syntax. */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");
}

/**
 * Creates the Keycloak database and its two users (the alternating users of the credential
 * rotation) from the bastion during deploy (the original's manual step): a null_resource whose
 * provisioners upload the setup script and run it. It re-runs when the database, the CA bundle,
 * the script (which holds every statement on users and grants), the user names or a secret's ARN
 * change. Not when a secret's value changes: Terraform never reads a value (it would be in the
 * state; even the version list would need the plan role to read the secret's metadata), and the
 * one supported change of the value, tools/rotate-db-credentials.sh, does the database side itself.
 */
export class DatabaseSetup extends Construct {
  readonly resource: Resource;

  constructor(scope: Construct, id: string, props: DatabaseSetupProps) {
    super(scope, id);
    const script = setupScript();
    const connection = {
      type: "ssh" as const,
      host: props.bastionHost,
      user: props.bastionUser,
      privateKey: props.bastionPrivateKeyPem,
      // A new instance needs a minute or two until sshd answers.
      timeout: "10m",
    };
    this.resource = new Resource(this, "run", {
      triggers: {
        db_endpoint: props.dbHost,
        ca_bundle_url: DB_CA_BUNDLE_URL,
        script_sha256: createHash("sha256").update(script).digest("hex"),
        db_users: [DB_USER, DB_USER_ALTERNATE].join(","),
        master_secret_arn: props.masterSecretArn,
        user_secret_arn: props.userSecretArn,
        ...(props.adminSecretArn === undefined ? {} : { admin_secret_arn: props.adminSecretArn }),
      },
      connection,
      provisioners: [
        { type: "file", content: escapeTerraformTemplate(script), destination: REMOTE_SCRIPT_PATH },
        {
          type: "remote-exec",
          inline: setupCommands({
            dbHost: props.dbHost,
            dbPort: props.dbPort,
            caBundleUrl: DB_CA_BUNDLE_URL,
            masterSecretArn: props.masterSecretArn,
            userSecretArn: props.userSecretArn,
            adminSecretArn: props.adminSecretArn,
            region: props.region,
          }),
        },
      ],
      dependsOn: props.dependsOn,
    });
  }
}
