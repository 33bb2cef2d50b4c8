import { Construct } from "constructs";
import { Fn, type ITerraformDependable } from "cdktf";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { INTERFACE_ENDPOINT_SERVICES, type EgressMode, type NatGatewayMode } from "./egress";
import { assumeRolePolicy, policyDocument } from "../access/iam";

export interface NetworkProps {
  readonly namePrefix: string;
  readonly region: string;
  /** @default "10.0.0.0/16" */
  readonly vpcCidr: string;
  /** Zone names; empty means the first `azCount` from the aws_availability_zones data source. */
  readonly availabilityZones: readonly string[];
  /** @default 2 */
  readonly azCount: number;
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  /** @default "nat" */
  readonly egressMode: EgressMode;
  /** @default "single" */
  readonly natGateways: NatGatewayMode;
  /** VPC flow logs of rejected traffic. @default true */
  readonly flowLogs: boolean;
  /** @default 30 */
  readonly logRetentionDays: number;
}

export { INTERFACE_ENDPOINT_SERVICES } from "./egress";

/**
 * VPC over 2-3 zones: public subnets (ALB, bastion, NAT) and private subnets (database,
 * and the tasks unless egress mode is `public-ip`).
 */
export class Network extends Construct {
  readonly vpcId: string;
  /** ARN of the VPC: names the account and partition without an API call at plan time. */
  readonly vpcArn: string;
  readonly vpcCidr: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  /** Subnets the Keycloak tasks run in, by egress mode. */
  readonly taskSubnetIds: string[];
  /** Whether tasks need a public IP to reach AWS APIs (egress mode `public-ip`). */
  readonly tasksNeedPublicIp: boolean;
  /** Security group of the interface endpoints, when egress mode is `endpoints`. */
  readonly endpointSecurityGroupId?: string;
  /** What tasks need before they start (the VPC endpoints in `endpoints` mode; nothing otherwise). */
  readonly taskPrerequisites: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });

    const vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: name("vpc"),
    });
    this.vpcId = vpc.id;
    this.vpcArn = vpc.arn;
    this.vpcCidr = props.vpcCidr;
    // Managed without rules, the default group allows nothing: a resource launched without
    // a security group of its own is isolated.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: vpc.id, tags: name("default-closed") });

    const zoneCount = props.publicSubnetCidrs.length;
    const zones: string[] =
      props.availabilityZones.length > 0
        ? [...props.availabilityZones]
        : (() => {
            // Only real zones: opted-in Local and Wavelength Zones sort before them (us-west-2-lax-1a < us-west-2a).
            const available = new DataAwsAvailabilityZones(this, "zones", {
              state: "available",
              filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
            });
            return Array.from({ length: zoneCount }, (_, i) => Fn.element(available.names, i));
          })();

    const igw = new InternetGateway(this, "igw", { vpcId: vpc.id, tags: name("igw") });

    const publicRoutes = new RouteTable(this, "public-routes", { vpcId: vpc.id, tags: name("public") });
    new Route(this, "public-default-route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });

    const publicSubnets = props.publicSubnetCidrs.map((cidr, i) => {
      const subnet = new Subnet(this, `public-${i}`, {
        vpcId: vpc.id,
        cidrBlock: cidr,
        availabilityZone: zones[i],
        // Addresses are assigned explicitly (ALB, NAT, bastion, tasks in public-ip mode).
        mapPublicIpOnLaunch: false,
        tags: name(`public-${i}`),
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });

    const natGateways =
      props.egressMode !== "nat"
        ? []
        : Array.from({ length: props.natGateways === "per-az" ? zoneCount : 1 }, (_, i) => {
            const eip = new Eip(this, `nat-eip-${i}`, { domain: "vpc", tags: name(`nat-${i}`) });
            return new NatGateway(this, `nat-${i}`, {
              allocationId: eip.allocationId,
              subnetId: publicSubnets[i].id,
              tags: name(`nat-${i}`),
              dependsOn: [igw],
            });
          });

    const privateRouteTables: RouteTable[] = [];
    const privateSubnets = props.privateSubnetCidrs.map((cidr, i) => {
      const subnet = new Subnet(this, `private-${i}`, {
        vpcId: vpc.id,
        cidrBlock: cidr,
        availabilityZone: zones[i],
        tags: name(`private-${i}`),
      });
      const routes = new RouteTable(this, `private-${i}-routes`, { vpcId: vpc.id, tags: name(`private-${i}`) });
      privateRouteTables.push(routes);
      if (natGateways.length > 0) {
        new Route(this, `private-${i}-default-route`, {
          routeTableId: routes.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: natGateways[Math.min(i, natGateways.length - 1)].id,
        });
      }
      new RouteTableAssociation(this, `private-${i}-association`, { subnetId: subnet.id, routeTableId: routes.id });
      return subnet;
    });

    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.tasksNeedPublicIp = props.egressMode === "public-ip";
    this.taskSubnetIds = this.tasksNeedPublicIp ? this.publicSubnetIds : this.privateSubnetIds;

    if (props.egressMode === "endpoints") {
      const sg = new SecurityGroup(this, "endpoints-sg", {
        name: `${props.namePrefix}-endpoints`,
        description: "Interface VPC endpoints: HTTPS from inside the VPC",
        vpcId: vpc.id,
        tags: name("endpoints"),
      });
      new VpcSecurityGroupIngressRule(this, "endpoints-https-from-vpc", {
        securityGroupId: sg.id,
        description: "HTTPS to the AWS APIs from inside the VPC",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: props.vpcCidr,
      });
      this.endpointSecurityGroupId = sg.id;
      for (const service of INTERFACE_ENDPOINT_SERVICES) {
        const endpoint = new VpcEndpoint(this, `endpoint-${service.replace(".", "-")}`, {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [sg.id],
          tags: name(`endpoint-${service}`),
        });
        this.taskPrerequisites.push(endpoint);
      }
      // ECR stores image layers in S3.
      const s3 = new VpcEndpoint(this, "endpoint-s3", {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${props.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRouteTables.map((r) => r.id),
        tags: name("endpoint-s3"),
      });
      this.taskPrerequisites.push(s3);
    }

    if (props.flowLogs) {
      const logGroup = new CloudwatchLogGroup(this, "flow-logs", {
        name: `/vpc/${props.namePrefix}/flow-logs`,
        retentionInDays: props.logRetentionDays,
      });
      const role = new IamRole(this, "flow-logs-role", {
        namePrefix: `${props.namePrefix}-flowlogs-`,
        assumeRolePolicy: assumeRolePolicy("vpc-flow-logs.amazonaws.com"),
      });
      new IamRolePolicy(this, "flow-logs-policy", {
        role: role.id,
        policy: policyDocument([
          {
            actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources: [`${logGroup.arn}:*`],
          },
        ]),
      });
      // Rejected traffic only: it is what a security review needs, at a fraction of the volume.
      new FlowLog(this, "flow-log", {
        vpcId: vpc.id,
        trafficType: "REJECT",
        logDestinationType: "cloud-watch-logs",
        logDestination: logGroup.arn,
        iamRoleArn: role.arn,
        tags: name("flow-log"),
      });
    }
  }
}
