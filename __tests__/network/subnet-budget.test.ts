/**
 * The addresses one subnet must hold: AWS's five reserved addresses, where the tasks land in
 * each egress mode (public-ip puts them in the public subnets, nat and endpoints in the
 * private ones), a deploy's surge on top of maxCount, and what else shares each subnet.
 */
import { INTERFACE_ENDPOINT_SERVICES } from "../../modules/network/egress";
import { subnetNeed, usableAddresses } from "../../modules/network/subnet-budget";

// maxCount and surge differ, so a sum cannot pass for a difference.
const tasks = { maxCount: 7, surge: 3 };
const TASKS = "10 tasks (maxCount 7 + deploy surge 3, one address each)";
const PUBLIC_FIXED = ["8 free for the ALB", "1 NAT gateway", "1 bastion"];

describe("subnet budget", () => {
  test.each([
    [28, 11],
    [27, 27],
    [24, 251],
    [20, 4091],
  ])("a /%d has 2^(32 - prefix) - 5 usable addresses: %d", (prefix, usable) => {
    expect(usableAddresses(prefix)).toBe(usable);
  });

  test.each([
    ["public", "nat", 10, PUBLIC_FIXED],
    ["public", "endpoints", 10, PUBLIC_FIXED],
    ["public", "public-ip", 20, [TASKS, ...PUBLIC_FIXED]],
    ["private", "nat", 12, [TASKS, "2 for the database"]],
    ["private", "endpoints", 16, [TASKS, "4 interface endpoints", "2 for the database"]],
    ["private", "public-ip", 2, ["2 for the database"]],
  ] as const)("a %s subnet with %s egress needs %d addresses", (kind, egressMode, total, parts) => {
    expect(subnetNeed(kind, egressMode, tasks)).toEqual({ total, parts });
  });

  test("the endpoint count is the list of interface endpoint services, and no surge adds nothing", () => {
    expect(INTERFACE_ENDPOINT_SERVICES).toHaveLength(4);
    expect(subnetNeed("private", "nat", { maxCount: 4, surge: 0 })).toEqual({ total: 6, parts: ["4 tasks (maxCount 4 + deploy surge 0, one address each)", "2 for the database"] });
  });
});
