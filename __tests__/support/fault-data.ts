import { createHash, randomBytes } from "node:crypto";
import { DB_NAME, PORTS } from "../../modules/shared/constants";
import { fetchOnce } from "../../tools/keycloak-http/browser";
import type { Realm } from "./keycloak-login";
import { adminToken } from "./keycloak-login";
import type { KeycloakNode } from "./keycloak-node";
import type { MariaDb } from "./mariadb";

/**
 * What "0 data lost" means for a fault: the realms, users, credentials and consents in the
 * database, compared row by row (as digests, no secret printed) before and after; and a witness
 * written through Keycloak before the fault (a user with a password and a consent to a client)
 * that still logs in afterwards.
 */

/** Each table's rows, by a digest of the columns that make a realm, a user, a credential or a consent. */
const TABLES: Record<string, string> = {
  REALM: "SELECT ID, NAME, ENABLED FROM REALM ORDER BY ID",
  USER_ENTITY: "SELECT ID, USERNAME, REALM_ID, ENABLED FROM USER_ENTITY ORDER BY ID",
  CREDENTIAL: "SELECT ID, USER_ID, TYPE, SECRET_DATA, CREDENTIAL_DATA FROM CREDENTIAL ORDER BY ID",
  USER_CONSENT: "SELECT ID, USER_ID, CLIENT_ID FROM USER_CONSENT ORDER BY ID",
  USER_CONSENT_CLIENT_SCOPE: "SELECT USER_CONSENT_ID, SCOPE_ID FROM USER_CONSENT_CLIENT_SCOPE ORDER BY USER_CONSENT_ID, SCOPE_ID",
};

export type DataSnapshot = Record<string, { rows: number; digest: string }>;

/** The tables' row counts and digests, read over the database's own socket. */
export function dataSnapshot(db: MariaDb): DataSnapshot {
  return Object.fromEntries(
    Object.entries(TABLES).map(([table, sql]) => {
      const out = db.query(`USE \`${DB_NAME}\`; ${sql};`);
      const rows = out.split("\n").filter((line) => line !== "").length;
      return [table, { rows, digest: createHash("sha256").update(out).digest("hex").slice(0, 16) }];
    }),
  );
}

/** A user written through Keycloak before the fault, with a password and a consent. */
export interface Witness {
  username: string;
  password: string;
  clientId: string;
  /** The account API's answer to the consent (a success is 2xx). */
  consentStatus: number;
}

async function admin(node: KeycloakNode, token: string, method: string, path: string, json?: unknown): Promise<string> {
  const response = await fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms/master${path}`, { address: node.address }, {
    method,
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    ...(json === undefined ? {} : { json }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path} through ${node.name}: ${response.status} ${response.body}`);
  return response.body;
}

/** The password grant of admin-cli for `username`: its access token, or the refusal. */
async function passwordGrant(node: KeycloakNode, username: string, password: string): Promise<{ status: number; token?: string }> {
  const response = await fetchOnce(`http://${node.address}:${PORTS.http}/realms/master/protocol/openid-connect/token`, { address: node.address }, {
    form: { grant_type: "password", client_id: "admin-cli", username, password },
  });
  return { status: response.status, token: response.status === 200 ? (JSON.parse(response.body) as { access_token: string }).access_token : undefined };
}

/**
 * Writes the witness through `node`: a user with a password (the admin API), a client that asks
 * for consent, and the user's consent to it (the account API, as the user).
 */
export async function writeWitness(node: KeycloakNode, realm: Realm): Promise<Witness> {
  const token = await adminToken(node, realm);
  const suffix = randomBytes(4).toString("hex");
  const witness = { username: `fault-witness-${suffix}`, password: randomBytes(18).toString("base64url"), clientId: `fault-consent-${suffix}`, consentStatus: 0 };
  await admin(node, token, "POST", "/users", {
    username: witness.username,
    enabled: true,
    email: `${witness.username}@e2e.test`,
    firstName: "Fault",
    lastName: "Witness",
    emailVerified: true,
    credentials: [{ type: "password", value: witness.password, temporary: false }],
  });
  await admin(node, token, "POST", "/clients", { clientId: witness.clientId, publicClient: true, consentRequired: true, redirectUris: ["https://app.e2e.test/*"] });
  const scopes = JSON.parse(await admin(node, token, "GET", "/client-scopes")) as { id: string; name: string }[];
  const profile = scopes.find((scope) => scope.name === "profile");
  if (profile === undefined) throw new Error("the master realm has no profile client scope");
  // Granting a consent through the account API needs the account client's manage-consent role.
  const [userRow] = JSON.parse(await admin(node, token, "GET", `/users?exact=true&username=${witness.username}`)) as { id: string }[];
  const [account] = JSON.parse(await admin(node, token, "GET", "/clients?clientId=account")) as { id: string }[];
  const manageConsent = JSON.parse(await admin(node, token, "GET", `/clients/${account.id}/roles/manage-consent`)) as unknown;
  await admin(node, token, "POST", `/users/${userRow.id}/role-mappings/clients/${account.id}`, [manageConsent]);
  const user = await passwordGrant(node, witness.username, witness.password);
  if (user.token === undefined) throw new Error(`the witness cannot log in through ${node.name}: ${user.status}`);
  const consent = await fetchOnce(`http://${node.address}:${PORTS.http}/realms/master/account/applications/${witness.clientId}/consent`, { address: node.address }, {
    method: "POST",
    headers: { Authorization: `Bearer ${user.token}`, Accept: "application/json" },
    json: { grantedScopes: [{ id: profile.id, name: profile.name }] },
  });
  // Not thrown: the fault's other results are worth having when only the consent failed; the e2e asserts on it.
  if (consent.status >= 300) process.stdout.write(`the witness's consent through ${node.name}: ${consent.status} ${consent.body.slice(0, 300)}\n`);
  return { ...witness, consentStatus: consent.status };
}

/** The witness still logs in with its password, through `node`. */
export async function witnessLogsIn(node: KeycloakNode, witness: Witness): Promise<boolean> {
  return (await passwordGrant(node, witness.username, witness.password)).status === 200;
}
