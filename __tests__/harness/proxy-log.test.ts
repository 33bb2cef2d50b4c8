import { proxyLogEntries } from "../support/proxy-log";

/** The proxy's log tells which node answered each request (step 3 of the cluster e2e relies on it). */

// Lines as haproxy 2.6 writes them with `option httplog` and `log stdout format raw` (from a real e2e run).
const LOG = `[WARNING]  (1) : Server keycloak/node-a is DOWN, reason: Layer4 connection problem.
198.19.139.1:39018 [29/Nov/2026:09:58:54.534] https~ keycloak/node-a 0/0/1/599/600 200 6947 - - --NI 1/1/0/0/0 0/0 "GET /realms/master/protocol/openid-connect/auth?client_id=account-console&state=g7rmEf63BRPkrg0A HTTP/1.1"
198.19.139.1:39032 [29/Nov/2026:09:58:57.521] https~ keycloak_fail_open/node-b 0/0/1/1458/1459 302 3273 - - --VN 1/1/0/0/0 0/0 "POST /realms/master/login-actions/authenticate?session_code=x&tab_id=Tab-1 HTTP/1.1"
198.19.139.1:39040 [29/Nov/2026:09:58:59.007] https~ keycloak/<NOSRV> 0/-1/-1/-1/2 503 217 - - SC-- 1/1/0/0/0 0/0 "GET /realms/master/.well-known/openid-configuration HTTP/1.1"
`;

test("each request's log line gives the backend, the server that answered, the status, the method and the path", () => {
  expect(proxyLogEntries(LOG)).toEqual([
    {
      backend: "keycloak",
      server: "node-a",
      status: 200,
      method: "GET",
      path: "/realms/master/protocol/openid-connect/auth?client_id=account-console&state=g7rmEf63BRPkrg0A",
    },
    { backend: "keycloak_fail_open", server: "node-b", status: 302, method: "POST", path: "/realms/master/login-actions/authenticate?session_code=x&tab_id=Tab-1" },
    { backend: "keycloak", server: "<NOSRV>", status: 503, method: "GET", path: "/realms/master/.well-known/openid-configuration" },
  ]);
});
