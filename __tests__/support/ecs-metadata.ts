import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the ECS task metadata endpoint v4 on Fargate. Shapes follow AWS's
 * "Amazon ECS task metadata v4 examples for tasks on Fargate" (task response: Cluster, TaskARN,
 * Family, Revision, statuses, Limits, AvailabilityZone, Containers[] each with Networks[]).
 */

export interface NetworkMetadataV4 {
  NetworkMode: "awsvpc";
  IPv4Addresses: string[];
  AttachmentIndex: number;
  MACAddress: string;
  IPv4SubnetCIDRBlock: string;
  DomainNameServers: string[];
  DomainNameSearchList: string[];
  PrivateDNSName: string;
  SubnetGatewayIpv4Address: string;
}

export interface ContainerMetadataV4 {
  DockerId: string;
  Name: string;
  DockerName: string;
  Image: string;
  ImageID: string;
  Labels: Record<string, string>;
  DesiredStatus: string;
  KnownStatus: string;
  Limits: { CPU: number; Memory?: number };
  CreatedAt: string;
  StartedAt: string;
  Type: "NORMAL";
  Networks?: NetworkMetadataV4[];
  ContainerARN: string;
  Snapshotter: string;
}

export interface TaskMetadataV4 {
  Cluster: string;
  TaskARN: string;
  Family: string;
  Revision: string;
  DesiredStatus: string;
  KnownStatus: string;
  Limits: { CPU: number; Memory: number };
  PullStartedAt: string;
  PullStoppedAt: string;
  AvailabilityZone: string;
  Containers: ContainerMetadataV4[];
  LaunchType: "FARGATE";
  ClockDrift: { ClockErrorBound: number; ReferenceTimestamp: string; ClockSynchronizationStatus: string };
  EphemeralStorageMetrics: { Utilized: number; Reserved: number };
}

export interface TaskContainer {
  name: string;
  /** The container's task address; omitted = a container without network metadata. */
  ipv4Address?: string;
  image?: string;
}

export interface TaskMetadataOptions {
  containers: TaskContainer[];
  region?: string;
  clusterName?: string;
  family?: string;
  revision?: string;
}

const TIMESTAMP = "2025-07-21T15:45:44.91368314Z";

function network(ipv4Address: string, region: string): NetworkMetadataV4 {
  const [a, b, c] = ipv4Address.split(".");
  const mac = createHash("sha256").update(ipv4Address).digest("hex").slice(0, 10).match(/../g)!.join(":");
  return {
    NetworkMode: "awsvpc",
    IPv4Addresses: [ipv4Address],
    AttachmentIndex: 0,
    MACAddress: `0e:${mac}`,
    IPv4SubnetCIDRBlock: `${a}.${b}.${c}.0/24`,
    DomainNameServers: [`${a}.${b}.0.2`],
    DomainNameSearchList: [`${region}.compute.internal`],
    PrivateDNSName: `ip-${ipv4Address.replaceAll(".", "-")}.${region}.compute.internal`,
    SubnetGatewayIpv4Address: `${a}.${b}.${c}.1/24`,
  };
}

/** A `${ECS_CONTAINER_METADATA_URI_V4}/task` response for a Fargate task with the given containers. */
export function buildTaskMetadata(options: TaskMetadataOptions): TaskMetadataV4 {
  const { region = "eu-west-1", clusterName = "keycloak", family = "keycloak", revision = "1" } = options;
  const account = "123456789012";
  const taskId = randomBytes(16).toString("hex");
  const cluster = `arn:aws:ecs:${region}:${account}:cluster/${clusterName}`;
  const taskArn = `arn:aws:ecs:${region}:${account}:task/${clusterName}/${taskId}`;
  return {
    Cluster: cluster,
    TaskARN: taskArn,
    Family: family,
    Revision: revision,
    DesiredStatus: "RUNNING",
    KnownStatus: "RUNNING",
    Limits: { CPU: 1, Memory: 2048 },
    PullStartedAt: "2025-07-21T15:45:33.532811081Z",
    PullStoppedAt: "2025-07-21T15:45:38.541068435Z",
    AvailabilityZone: `${region}a`,
    Containers: options.containers.map((container, index) => ({
      DockerId: `${taskId}-${1117626119 + index}`,
      Name: container.name,
      DockerName: container.name,
      Image: container.image ?? `${account}.dkr.ecr.${region}.amazonaws.com/${container.name}:latest`,
      ImageID: `sha256:${createHash("sha256").update(container.name).digest("hex")}`,
      Labels: {
        "com.amazonaws.ecs.cluster": cluster,
        "com.amazonaws.ecs.container-name": container.name,
        "com.amazonaws.ecs.task-arn": taskArn,
        "com.amazonaws.ecs.task-definition-family": family,
        "com.amazonaws.ecs.task-definition-version": revision,
      },
      DesiredStatus: "RUNNING",
      KnownStatus: "RUNNING",
      Limits: { CPU: 2 },
      CreatedAt: TIMESTAMP,
      StartedAt: TIMESTAMP,
      Type: "NORMAL",
      ...(container.ipv4Address === undefined ? {} : { Networks: [network(container.ipv4Address, region)] }),
      ContainerARN: `arn:aws:ecs:${region}:${account}:container/${clusterName}/${taskId}/${randomBytes(8).toString("hex")}`,
      Snapshotter: "overlayfs",
    })),
    LaunchType: "FARGATE",
    ClockDrift: { ClockErrorBound: 0.446931, ReferenceTimestamp: "2025-07-21T16:09:17Z", ClockSynchronizationStatus: "SYNCHRONIZED" },
    EphemeralStorageMetrics: { Utilized: 261, Reserved: 20496 },
  };
}

/** The usual single-container Keycloak task with the given address. */
export function taskMetadataFor(ipv4Address: string, containerName = "keycloak"): TaskMetadataV4 {
  return buildTaskMetadata({ containers: [{ name: containerName, ipv4Address }] });
}

export interface MetadataServerOptions {
  /** Served at `/task`; its first container is the one asking, served at the base path. */
  task?: TaskMetadataV4;
  /** Raw body served at both paths instead of `task` (for malformed responses). */
  body?: string;
  /** The first this-many requests get 503, as while the agent is not ready yet. */
  unavailableResponses?: number;
  /** Accept connections but never answer (a hung endpoint). */
  neverRespond?: boolean;
  /** Listen address; 127.0.0.1 by default, a 198.18.x veth address to serve a namespace. */
  host?: string;
}

export interface MetadataServer {
  /** The value for ECS_CONTAINER_METADATA_URI_V4. */
  uri: string;
  /** Paths of all requests received, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

export async function startMetadataServer(options: MetadataServerOptions): Promise<MetadataServer> {
  const { task, body, unavailableResponses = 0, neverRespond = false, host = "127.0.0.1" } = options;
  if ((task === undefined) === (body === undefined)) {
    throw new Error("startMetadataServer needs exactly one of `task` and `body`");
  }
  const basePath = `/v4/${randomBytes(16).toString("hex")}-2495160603`;
  const requests: string[] = [];

  const respond = (request: IncomingMessage, response: ServerResponse): void => {
    const path = request.url ?? "";
    requests.push(path);
    if (neverRespond) return;
    if (requests.length <= unavailableResponses) {
      response.writeHead(503, { "Content-Type": "text/plain" }).end("agent not ready\n");
      return;
    }
    if (path !== basePath && path !== `${basePath}/task`) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found\n");
      return;
    }
    const payload = body ?? JSON.stringify(path === basePath ? task!.Containers[0] : task);
    response.writeHead(200, { "Content-Type": "application/json" }).end(payload);
  };

  const server = createServer(respond);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://${host}:${port}${basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
