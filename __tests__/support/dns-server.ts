import { createSocket, type Socket } from "node:dgram";
import { RDS_ENDPOINT_DNS_TTL_SECONDS } from "../../modules/service/jvm-options";

/**
 * A tiny authoritative DNS server for the stand's names, the stand-in for Route 53's private
 * zone that holds the RDS endpoint (a CNAME to the current primary's address, TTL 5 s): A
 * records only, answered with `ttlSeconds`; any other type of a known name gets an empty
 * NOERROR answer (glibc asks A and AAAA at once and must not wait for the AAAA), an unknown
 * name NXDOMAIN. `set` moves a name to another address, as RDS does on a failover.
 */

/** The TTL RDS gives its endpoints' DNS records: the stand answers with the one the task's JVM option is set from. */
export const RDS_DNS_TTL_SECONDS = RDS_ENDPOINT_DNS_TTL_SECONDS;

const TYPE_A = 1;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;

export interface DnsQuestion {
  id: number;
  name: string;
  type: number;
  /** The question section as sent, echoed in the answer. */
  raw: Buffer;
  recursionDesired: boolean;
}

/** The first question of a query; undefined for anything that is not a well-formed standard query. */
export function parseQuery(message: Buffer): DnsQuestion | undefined {
  if (message.length < 12) return undefined;
  const flags = message.readUInt16BE(2);
  if (flags & 0x8000 || message.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    if (offset >= message.length) return undefined;
    const length = message[offset];
    if (length === 0) break;
    if (length > 63 || offset + 1 + length > message.length) return undefined;
    labels.push(message.toString("latin1", offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  const end = offset + 5;
  if (end > message.length) return undefined;
  return {
    id: message.readUInt16BE(0),
    name: labels.join(".").toLowerCase(),
    type: message.readUInt16BE(offset + 1),
    raw: message.subarray(12, end),
    recursionDesired: (flags & 0x0100) !== 0,
  };
}

/** The answer to `question`: the A record when `address` is given and asked for, else no record. */
export function answer(question: DnsQuestion, address: string | undefined, known: boolean, ttlSeconds: number): Buffer {
  const withRecord = known && address !== undefined && question.type === TYPE_A;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, AA, RD echoed; RCODE NXDOMAIN for a name the zone does not hold.
  header.writeUInt16BE(0x8000 | 0x0400 | (question.recursionDesired ? 0x0100 : 0) | (known ? 0 : RCODE_NXDOMAIN), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(withRecord ? 1 : 0, 6);
  if (!withRecord) return Buffer.concat([header, question.raw]);
  const record = Buffer.alloc(16);
  // A pointer to the question's name at offset 12.
  record.writeUInt16BE(0xc00c, 0);
  record.writeUInt16BE(TYPE_A, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(ttlSeconds, 6);
  record.writeUInt16BE(4, 10);
  address!.split(".").forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
  return Buffer.concat([header, question.raw, record]);
}

export class DnsServer {
  private readonly records = new Map<string, string>();
  /** Queries answered, by name: what the nodes asked and when. */
  readonly queries: { at: number; name: string; type: number; answered?: string }[] = [];

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly ttlSeconds: number,
  ) {}

  /** Serves on `address`:`port` (UDP; 53, where resolv.conf's nameserver is asked) until closed. */
  static async start(address: string, ttlSeconds = RDS_DNS_TTL_SECONDS, port = 53): Promise<DnsServer> {
    const socket = createSocket("udp4");
    const server = new DnsServer(socket, address, ttlSeconds);
    socket.on("message", (message, peer) => {
      const question = parseQuery(message);
      if (question === undefined) return;
      const known = server.records.has(question.name);
      const record = server.records.get(question.name);
      server.queries.push({ at: Date.now(), name: question.name, type: question.type, answered: question.type === TYPE_A ? record : undefined });
      socket.send(answer(question, record, known, ttlSeconds), peer.port, peer.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return server;
  }

  /** Points `name` at `address` from the next query on; caches keep the old answer up to the TTL. */
  /** The UDP port it serves on. */
  get port(): number {
    return this.socket.address().port;
  }

  set(name: string, address: string): void {
    this.records.set(name.toLowerCase(), address);
  }

  lookup(name: string): string | undefined {
    return this.records.get(name.toLowerCase());
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
