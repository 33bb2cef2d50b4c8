import { connectionDemand, instanceMemoryGib, maxConnections, RESERVED_CONNECTIONS } from "../../modules/database/database-capacity";

describe("database connection budget", () => {
  test("class memory follows the family and size", () => {
    expect(instanceMemoryGib("db.t4g.micro")).toBe(1);
    expect(instanceMemoryGib("db.t4g.small")).toBe(2);
    expect(instanceMemoryGib("db.t3.medium")).toBe(4);
    expect(instanceMemoryGib("db.m6g.large")).toBe(8);
    expect(instanceMemoryGib("db.m7g.xlarge")).toBe(16);
    expect(instanceMemoryGib("db.r6g.large")).toBe(16);
    expect(instanceMemoryGib("db.r7g.4xlarge")).toBe(128);
  });

  test("classes whose memory we do not know are undefined, not guessed", () => {
    for (const c of ["db.m6g.small", "db.x1e.large", "db.x1e.2xlarge", "db.t4g.nano", "t4g.small", "db.r6g.huge"]) expect({ c, gib: instanceMemoryGib(c) }).toEqual({ c, gib: undefined });
  });

  test("a class name must be the whole name: text before or after it, or around the size's multiple, makes it unknown", () => {
    for (const c of ["xdb.t4g.small", "db.t4g.small.x", "db.m6g.x2xlarge", "db.m6g.2xlargex"]) expect({ c, gib: instanceMemoryGib(c) }).toEqual({ c, gib: undefined });
  });

  test("max_connections follows RDS's formula on the usable memory: about 150 on 2 GiB, about 75 on 1 GiB", () => {
    expect(maxConnections(2)).toBe(153);
    expect(maxConnections(1)).toBe(76);
    expect(maxConnections(16)).toBe(1228);
  });

  test("the worst case is every task of maxCount plus the deploy surge with a full pool, plus the reserve", () => {
    expect(connectionDemand(4, 2, 20)).toEqual({ tasks: 6, poolMaxSize: 20, total: 6 * 20 + RESERVED_CONNECTIONS });
  });
});
