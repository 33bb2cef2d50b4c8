import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";

export interface KeycloakSecretsProps {
  readonly namePrefix: string;
  /** Days a deleted secret can be restored. @default 7 */
  readonly recoveryWindowDays?: number;
}

/**
 * Secrets for the Keycloak database user and the bootstrap admin. Terraform creates them
 * empty; the database setup on the bastion generates each password once and stores it, so
 * no password is ever in the code, the configuration or the Terraform state.
 */
export class KeycloakSecrets extends Construct {
  /** JSON {"username","password"} of the Keycloak database user. */
  readonly dbUserSecretArn: string;
  /** JSON {"username","password"} of Keycloak's bootstrap admin. */
  readonly adminSecretArn: string;

  constructor(scope: Construct, id: string, props: KeycloakSecretsProps) {
    super(scope, id);
    const secret = (suffix: string, description: string) =>
      new SecretsmanagerSecret(this, suffix, {
        namePrefix: `${props.namePrefix}/${suffix}-`,
        description,
        recoveryWindowInDays: props.recoveryWindowDays ?? 7,
      });
    this.dbUserSecretArn = secret("db-user", "Keycloak database user (value set by the database setup)").arn;
    this.adminSecretArn = secret("bootstrap-admin", "Keycloak bootstrap admin (value set by the database setup)").arn;
  }
}
