/**
 * The local Keycloak cluster's support code, one file per concern; this file keeps the import
 * path that tests and other helpers use (`../support/cluster`).
 */
export { clusterCheck, waitForCluster, type ClusterCheck } from "./cluster-checks";
export { measureDisruption, outsideBound, Poller, type Disruption, type DisruptionBound, type Poll } from "./disruption";
export { ENTRYPOINT, KeycloakNode, nodeEnvironment, type ClusterView, type JvmView, type KeycloakNodeOptions, type NodeStart } from "./keycloak-node";
export {
  forMariaDbStandIn,
  jdbcTarget,
  MARIADB_STAND_IN_OVERRIDES,
  parseSecretReference,
  resolveSecrets,
  STACK,
  synthesizeTaskContainer,
  synthesizeTaskContainers,
  type SynthSettings,
  type TaskContainer,
} from "./task-definition";
export { TaskCgroup, type TaskSize } from "./task-cgroup";
export { killGroup, runLogDir, Teardown, type Guard, type ResourceKind } from "./teardown";
export { jgroupsPingRows, runDatabaseSetup, TestNetwork, type DatabaseSetupOptions, type Host, type PingRow } from "./test-network";
export { sleep, waitFor } from "./waiting";
