import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";

export interface KeycloakSecretsProps {
  readonly namePrefix: string;
  /** Days a deleted secret can be restored. @default 7 */
  readonly recoveryWindowDays?: number;
  /**
   * Whether the temporary bootstrap admin's secret exists. Off once a permanent admin exists:
   * the secret is deleted, so no credential of the bootstrap admin stands anywhere. @default true
   */
  readonly bootstrapAdmin?: boolean;
}

/**
 * Secrets for the Keycloak database user, the bootstrap admin and the permanent admin.
 * Terraform creates them empty; the database setup on the bastion generates the first two
 * passwords once and stores them, tools/permanent-admin.sh the third, so no password is ever in
 * the code, the configuration or the Terraform state.
 */
export class KeycloakSecrets extends Construct {
  /** JSON {"username","password"} of the Keycloak database user. */
  readonly dbUserSecretArn: string;
  /** JSON {"username","password"} of Keycloak's bootstrap admin; undefined when bootstrapAdmin is off. */
  readonly adminSecretArn?: string;
  /**
   * JSON {"username","password"} of the permanent admin that tools/permanent-admin.sh creates.
   * No role of the stack may read it: only operators, with their own AWS credentials.
   */
  readonly permanentAdminSecretArn: string;

  constructor(scope: Construct, id: string, props: KeycloakSecretsProps) {
    super(scope, id);
    const secret = (suffix: string, description: string) =>
      new SecretsmanagerSecret(this, suffix, {
        namePrefix: `${props.namePrefix}/${suffix}-`,
        description,
        recoveryWindowInDays: props.recoveryWindowDays ?? 7,
      });
    this.dbUserSecretArn = secret("db-user", "Keycloak database user (value set by the database setup)").arn;
    if (props.bootstrapAdmin ?? true) {
      this.adminSecretArn = secret("bootstrap-admin", "Keycloak bootstrap admin (value set by the database setup)").arn;
    }
    this.permanentAdminSecretArn = secret("permanent-admin", "Keycloak permanent admin (value set by tools/permanent-admin.sh)").arn;
  }
}
