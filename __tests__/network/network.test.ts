import { resourcesOf, onlyResource, synthStack, ref, onlyResourceName, keycloakContainer } from "../../modules/synth";

describe("Network", () => {
  const zones = ["eu-west-1a", "eu-west-1b"];

  test("the VPC uses 10.0.0.0/16 by default with DNS hostnames on", () => {
    const vpc = onlyResource(synthStack(), "aws_vpc");
    expect(vpc).toMatchObject({ cidr_block: "10.0.0.0/16", enable_dns_hostnames: true, enable_dns_support: true });
  });

  test("the VPC's default security group is managed with no rules, so it allows nothing", () => {
    const json = synthStack();
    const sg = onlyResource(json, "aws_default_security_group");
    expect(sg.vpc_id).toBe(ref("aws_vpc", onlyResourceName(json, "aws_vpc"), "id"));
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  test("one public and one private subnet per configured zone, none overlapping", () => {
    const json = synthStack({ availabilityZones: zones });
    const subnets = Object.values(resourcesOf(json, "aws_subnet"));
    expect(subnets).toHaveLength(4);
    expect(subnets.map((s) => s.availability_zone).sort()).toEqual([...zones, ...zones].sort());
    expect(new Set(subnets.map((s) => s.cidr_block)).size).toBe(4);
    expect(subnets.every((s) => s.map_public_ip_on_launch !== true)).toBe(true);
  });

  test("three zones are allowed and give three subnets of each kind", () => {
    const json = synthStack({ availabilityZones: [...zones, "eu-west-1c"] });
    expect(Object.keys(resourcesOf(json, "aws_subnet"))).toHaveLength(6);
  });

  test("zones come from the aws_availability_zones data source when none are configured", () => {
    const json = synthStack({ azCount: 3 });
    const dataName = Object.keys(json.data?.aws_availability_zones ?? {});
    expect(dataName).toHaveLength(1);
    const subnets = Object.values(resourcesOf(json, "aws_subnet"));
    expect(subnets).toHaveLength(6);
    expect(subnets.every((s) => String(s.availability_zone).includes(`data.aws_availability_zones.${dataName[0]}.names`))).toBe(true);
  });

  test("public subnets route to the internet gateway", () => {
    const json = synthStack();
    const igw = onlyResourceName(json, "aws_internet_gateway");
    const routes = Object.values(resourcesOf(json, "aws_route")).filter((r) => r.gateway_id === ref("aws_internet_gateway", igw, "id"));
    expect(routes).toHaveLength(1);
    expect(routes[0].destination_cidr_block).toBe("0.0.0.0/0");
  });

  test("nat egress: one NAT gateway by default and every private subnet routes through it", () => {
    const json = synthStack({ egressMode: "nat" });
    const nat = ref("aws_nat_gateway", onlyResourceName(json, "aws_nat_gateway"), "id");
    const privateSubnets = Object.entries(resourcesOf(json, "aws_subnet"))
      .filter(([, s]) => String((s.tags as Record<string, string>).Name).includes("-private-"))
      .map(([name]) => ref("aws_subnet", name, "id"));
    expect(privateSubnets).toHaveLength(2);
    const natTables = Object.values(resourcesOf(json, "aws_route"))
      .filter((r) => r.nat_gateway_id === nat && r.destination_cidr_block === "0.0.0.0/0")
      .map((r) => r.route_table_id);
    const tableOf = (subnet: string) =>
      Object.values(resourcesOf(json, "aws_route_table_association")).filter((a) => a.subnet_id === subnet).map((a) => a.route_table_id);
    for (const subnet of privateSubnets) {
      expect(tableOf(subnet)).toHaveLength(1);
      expect(natTables).toContain(tableOf(subnet)[0]);
    }
  });

  test("nat egress per zone: one NAT gateway and elastic IP per zone", () => {
    const json = synthStack({ egressMode: "nat", natGateways: "per-az", availabilityZones: [...zones, "eu-west-1c"] });
    expect(Object.keys(resourcesOf(json, "aws_nat_gateway"))).toHaveLength(3);
    expect(Object.keys(resourcesOf(json, "aws_eip"))).toHaveLength(3);
  });

  test("public-ip egress: no NAT gateway, tasks in the public subnets with public IPs", () => {
    const json = synthStack({ egressMode: "public-ip" });
    expect(resourcesOf(json, "aws_nat_gateway")).toEqual({});
    const service = onlyResource(json, "aws_ecs_service") as { network_configuration: { assign_public_ip: boolean; subnets: string[] } };
    expect(service.network_configuration.assign_public_ip).toBe(true);
    const publicSubnetIds = Object.entries(resourcesOf(json, "aws_subnet"))
      .filter(([, s]) => String((s.tags as Record<string, string>).Name).includes("-public-"))
      .map(([name]) => ref("aws_subnet", name, "id"));
    expect(service.network_configuration.subnets.sort()).toEqual(publicSubnetIds.sort());
  });

  test("endpoints egress: interface endpoints for ECR api/dkr, logs and Secrets Manager plus the S3 gateway, and no route to the internet", () => {
    const json = synthStack({ egressMode: "endpoints" });
    const endpoints = Object.values(resourcesOf(json, "aws_vpc_endpoint"));
    const services = endpoints.map((e) => `${e.vpc_endpoint_type}:${e.service_name}`).sort();
    expect(services).toEqual([
      "Gateway:com.amazonaws.eu-west-1.s3",
      "Interface:com.amazonaws.eu-west-1.ecr.api",
      "Interface:com.amazonaws.eu-west-1.ecr.dkr",
      "Interface:com.amazonaws.eu-west-1.logs",
      "Interface:com.amazonaws.eu-west-1.secretsmanager",
    ]);
    expect(endpoints.filter((e) => e.vpc_endpoint_type === "Interface").every((e) => e.private_dns_enabled === true)).toBe(true);
    expect(resourcesOf(json, "aws_nat_gateway")).toEqual({});
    const service = onlyResource(json, "aws_ecs_service") as { network_configuration: { assign_public_ip: boolean } };
    expect(service.network_configuration.assign_public_ip).toBe(false);
  });

  test("flow logs of rejected traffic go to CloudWatch by default and can be turned off", () => {
    expect(onlyResource(synthStack(), "aws_flow_log")).toMatchObject({ traffic_type: "REJECT", log_destination_type: "cloud-watch-logs" });
    expect(resourcesOf(synthStack({ flowLogs: false }), "aws_flow_log")).toEqual({});
  });

  test("the task's environment trusts only the public subnets (where the ALB's nodes are) as proxies", () => {
    const env = keycloakContainer(synthStack()).environment;
    expect(env).toContainEqual({ name: "KC_PROXY_TRUSTED_ADDRESSES", value: "10.0.0.0/20,10.0.16.0/20" });
  });
});

describe("availability zones (issue 21, item 6)", () => {
  test("the zones data source keeps only real availability zones (no Local or Wavelength Zones)", () => {
    const zones = Object.values(synthStack().data?.aws_availability_zones ?? {})[0];
    expect(zones.filter).toEqual([{ name: "opt-in-status", values: ["opt-in-not-required"] }]);
  });
});
