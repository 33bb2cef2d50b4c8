import { Resolver } from "node:dns/promises";
import { DnsServer, RDS_DNS_TTL_SECONDS } from "../support/dns-server";

/** The stand's DNS server (support/dns-server.ts), asked by a real resolver over UDP. */

let server: DnsServer;
let resolver: Resolver;

beforeAll(async () => {
  server = await DnsServer.start("127.0.0.1", RDS_DNS_TTL_SECONDS, 0);
  resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
});

afterAll(() => server.close());

test("answers a known name's A record with RDS's 5 s TTL, and the new address once the name moved", async () => {
  server.set("keycloak-prod-db.rds.e2e.test", "198.18.2.2");
  expect(await resolver.resolve4("keycloak-prod-db.rds.e2e.test", { ttl: true })).toEqual([{ address: "198.18.2.2", ttl: 5 }]);
  server.set("keycloak-prod-db.rds.e2e.test", "198.18.2.5");
  expect(await resolver.resolve4("KEYCLOAK-prod-db.rds.e2e.test", { ttl: true })).toEqual([{ address: "198.18.2.5", ttl: 5 }]);
  expect(server.queries.at(-1)).toMatchObject({ name: "keycloak-prod-db.rds.e2e.test", answered: "198.18.2.5" });
});

test("a known name's AAAA is an empty answer at once (no timeout for the resolver), an unknown name NXDOMAIN", async () => {
  server.set("keycloak-prod-db.rds.e2e.test", "198.18.2.2");
  await expect(resolver.resolve6("keycloak-prod-db.rds.e2e.test")).rejects.toMatchObject({ code: "ENODATA" });
  await expect(resolver.resolve4("elsewhere.e2e.test")).rejects.toMatchObject({ code: "ENOTFOUND" });
});
