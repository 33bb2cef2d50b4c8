import { jgroupsTimingsOfStack, mergeBoundMs, OBSERVATION_SLACK_MS, partitionBreak, splitBoundMs, taskToTaskPortsOf } from "../support/partition";

/** The partition e2e's model and bounds (support/partition.ts), read from stacks shaped like the real ones. */

/** The protocols of Infinispan 16.0.14's default-jgroups-tcp.xml (in Keycloak 26.7.3) that the bounds read, as written there. */
const TCP_STACK = `<config xmlns="urn:org:jgroups">
   <TCP bind_addr="\${jgroups.bind.address,jgroups.tcp.address:SITE_LOCAL}" bind_port="\${jgroups.bind.port,jgroups.tcp.port:7800}"/>
   <RED/>
   <MPING mcast_addr="\${jgroups.mcast_addr:239.6.7.8}"/>
   <MERGE3 min_interval="10s"
           max_interval="30s"
   />
   <FD_SOCK2 offset="\${jgroups.fd.port-offset:50000}"/>
   <FD_ALL3/>
   <VERIFY_SUSPECT2 timeout="1s"/>
   <pbcast.GMS print_local_addr="false"
               join_timeout="\${jgroups.join_timeout:2s}"
   />
</config>`;

test("the tcp stack's MERGE3 and VERIFY_SUSPECT2 settings and JGroups' own FD_ALL3 and GMS defaults give a split within 54 s of the drop and a merge within 88 s of the heal", () => {
  const timings = jgroupsTimingsOfStack(TCP_STACK);
  expect(timings).toEqual({
    mergeMinIntervalMs: 10_000,
    mergeMaxIntervalMs: 30_000,
    mergeCheckIntervalMs: 48_000,
    mergeTimeoutMs: 5_000,
    fdTimeoutMs: 40_000,
    fdIntervalMs: 8_000,
    verifySuspectMs: 1_000,
  });
  // 40 + 8 + 1 s, and 30 + 48 + 5 s, each plus the harness's observation slack.
  expect(splitBoundMs(timings)).toBe(49_000 + OBSERVATION_SLACK_MS);
  expect(mergeBoundMs(timings)).toBe(83_000 + OBSERVATION_SLACK_MS);
});

test("a stack that sets FD_ALL3's timings or GMS's merge_timeout is refused: the bounds would not follow it", () => {
  expect(() => jgroupsTimingsOfStack(TCP_STACK.replace("<FD_ALL3/>", '<FD_ALL3 timeout="10s"/>'))).toThrow(/FD_ALL3 \{"timeout":"10s"\}/);
  expect(() => jgroupsTimingsOfStack(TCP_STACK.replace('print_local_addr="false"', 'merge_timeout="9s"'))).toThrow(/merge_timeout 9s/);
  expect(() => jgroupsTimingsOfStack(TCP_STACK.replace("<VERIFY_SUSPECT2 timeout=\"1s\"/>", ""))).toThrow(/no VERIFY_SUSPECT2/);
});

test("the partition's ports are those of the ingress rules whose peer is the task security group itself, not the ALB's", () => {
  const sg = "${aws_security_group.task.id}";
  const rule = (port: number, peer: string) => ({ security_group_id: sg, referenced_security_group_id: peer, ip_protocol: "tcp", from_port: port, to_port: port });
  const json = {
    resource: {
      aws_vpc_security_group_ingress_rule: {
        http: rule(8080, "${aws_security_group.alb.id}"),
        health: rule(9000, "${aws_security_group.alb.id}"),
        fd: rule(57800, sg),
        jgroups: rule(7800, sg),
      },
    },
  };
  expect(taskToTaskPortsOf(json, "s")).toEqual([7800, 57800]);
  expect(() => taskToTaskPortsOf({ resource: {} }, "s")).toThrow(/no ingress rule between the tasks/);
});

test("E2E_PARTITION_BREAK names one of the known breaks", () => {
  expect(partitionBreak({})).toBeUndefined();
  expect(partitionBreak({ E2E_PARTITION_BREAK: "no-heal" })).toBe("no-heal");
  expect(() => partitionBreak({ E2E_PARTITION_BREAK: "nope" })).toThrow(/not one of no-heal, no-partition/);
});
