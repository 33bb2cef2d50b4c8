import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PORTS } from "../../modules/shared/constants";
import { issueServerCertificate, makeTestCa, type TestCa } from "./database-tls";
import { MariaDb, sqlString } from "./mariadb";
import type { NamespaceRegistry } from "./netns";
import { freeTestSubnet, setNamespaceHosts } from "./netns-extras";
import { SecretsManagerStub } from "./secrets-manager-stub";
import { SshServer } from "./sshd";

/**
 * What the operator scripts that work through the bastion meet (tools/db-backup.sh,
 * tools/rotate-db-credentials.sh): a real OpenSSH bastion and a real MariaDB that requires TLS (the
 * RDS stand-in) in a network namespace of their own, where `dbHostname` resolves to the database;
 * the master user's credentials only in the stand-in Secrets Manager, whose `aws` the bastion's
 * sessions find first on their PATH. This machine reaches both through the namespace's veth.
 */

export interface BastionStand {
  /** Private work folder, not under /tmp: the bastion gets a /tmp of its own. */
  work: string;
  db: MariaDb;
  bastion: SshServer;
  secrets: SecretsManagerStub;
  ca: TestCa;
}

/** Starts the stand; every undo goes on `cleanups`, to run in reverse order. */
export async function startBastionStand(options: {
  /** Of the work folder, e.g. kc-db-backup. */
  prefix: string;
  /** Of the network namespace, e.g. kcbak. */
  namespace: string;
  namespaces: NamespaceRegistry;
  cleanups: (() => void | Promise<void>)[];
  dbHostname: string;
  master: { username: string; password: string; secretArn: string };
}): Promise<BastionStand> {
  const { namespaces, cleanups, dbHostname, master } = options;
  const work = mkdtempSync(`/var/tmp/${options.prefix}-`);
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const subnet = freeTestSubnet();
  const bastionAddress = `${subnet}.2`;
  const dbAddress = `${subnet}.3`;
  const vpc = namespaces.create(options.namespace);
  cleanups.push(() => namespaces.deleteAll());
  const veth = vpc.addVeth({ hostAddress: `${subnet}.1/24`, namespaceAddress: `${bastionAddress}/24` });
  vpc.addAddress(veth.namespaceInterface, `${dbAddress}/24`);
  cleanups.push(setNamespaceHosts(vpc.name, { [dbHostname]: dbAddress }));
  const ca = makeTestCa(join(work, "tls"), "test-rds-ca");
  const certificate = issueServerCertificate(ca, join(work, "tls"), "db", { dns: [dbHostname], ips: [dbAddress] });
  const db = await MariaDb.start({ workDir: join(work, "mariadb"), netns: vpc.name, address: dbAddress, port: PORTS.mysql, tls: { certificate, caFile: ca.certFile } });
  cleanups.push(() => db.stop());
  db.query(`CREATE USER '${master.username}'@'%' IDENTIFIED BY ${sqlString(master.password)};
            GRANT ALL PRIVILEGES ON *.* TO '${master.username}'@'%' WITH GRANT OPTION;`);
  const secrets = new SecretsManagerStub(join(work, "aws"));
  secrets.createSecret(master.secretArn, { username: master.username, password: master.password });
  const bastion = await SshServer.start({ workDir: join(work, "bastion"), netns: vpc.name, address: bastionAddress, port: PORTS.ssh, pathPrefix: [secrets.binDir] });
  cleanups.push(() => bastion.stop());
  return { work, db, bastion, secrets, ca };
}
