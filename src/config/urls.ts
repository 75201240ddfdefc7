/**
 * Which URLs an agent may make the worker call: MCP servers and alert webhooks. A config is
 * written by an operator, but the worker calls these URLs with its own network position, so a
 * URL that names the worker's host, a cloud metadata service or a private network would turn
 * the agent into a proxy into places the operator cannot reach (SSRF). Plain `http:` would
 * send bearer headers and webhook tokens in the clear.
 *
 * `new URL` has already normalized the host: `0x7f.1`, `2130706433` and `0177.0.0.1` all read
 * as `127.0.0.1`, and IPv6 comes in brackets, compressed and lower-case.
 */

/** Local development and tests run their fakes on 127.0.0.1 over http; production never sets this. */
export interface UrlPolicy {
  allowPrivateUrls?: boolean;
}

/** Hosts under these names resolve inside the machine or the local network, not on the internet. */
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];

/** IPv4 ranges that are not public unicast (RFC 6890 special-purpose registry), as [base, prefix length]. */
const PRIVATE_V4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, where cloud metadata services answer
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
];

function v4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function isPrivateV4(n: number): boolean {
  return PRIVATE_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base)!;
    return n >= start && n < start + size;
  });
}

/** The eight 16-bit groups of an IPv6 address (without brackets), or null if it is not one. */
function v6Groups(ip: string): number[] | null {
  let text = ip;
  // A trailing dotted quad (`::ffff:1.2.3.4`) is two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const n = v4ToInt(quad[1]!);
    if (n === null) return null;
    text = `${text.slice(0, -quad[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.some(Number.isNaN) ? null : groups;
}

function isPrivateV6(g: number[]): boolean {
  const [a = 0, b = 0, , , , f = 0, h7 = 0, h8 = 0] = g;
  const embeddedV4 = h7 * 65_536 + h8;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return true; // ::
  if (zeros(7) && h8 === 1) return true; // ::1
  if (zeros(5) && (f === 0xffff || f === 0)) return isPrivateV4(embeddedV4); // IPv4-mapped and -compatible
  if (a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return isPrivateV4(embeddedV4); // NAT64
  if (a === 0x2002) return isPrivateV4(b * 65_536 + (g[2] ?? 0)); // 6to4
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated, still routed inside some networks)
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  return false;
}

/**
 * Why the worker must not call this host, or null when it names a public address or a public
 * DNS name. DNS names are judged by name only: the Workers runtime does not expose resolution,
 * and Cloudflare's egress does not reach private networks on its own.
 *
 * @example
 * privateHostReason("169.254.169.254"); // "is a private or reserved address"
 * privateHostReason("[::ffff:7f00:1]"); // "is a private or reserved address"
 * privateHostReason("mcp.example.com"); // null
 */
export function privateHostReason(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = v6Groups(host.slice(1, -1));
    return groups === null || isPrivateV6(groups) ? "is a private or reserved address" : null;
  }
  const v4 = v4ToInt(host);
  if (v4 !== null) return isPrivateV4(v4) ? "is a private or reserved address" : null;
  if (host === "localhost" || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return "names the local machine or network";
  // A name without a dot resolves through a local search domain, never on the public internet.
  if (!host.includes(".")) return "is not a public host name";
  return null;
}

/**
 * What is wrong with calling `url` from the worker, worded as a config rule with its fix, or
 * null when it may be called.
 *
 * @example
 * urlRisk("http://127.0.0.1:9100/mcp");
 * // 'must be https: ...'
 * urlRisk("https://mcp.example.com/mcp"); // null
 * urlRisk("http://127.0.0.1:9100/mcp", { allowPrivateUrls: true }); // null
 */
export function urlRisk(url: string, policy: UrlPolicy = {}): string | null {
  if (policy.allowPrivateUrls) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an http(s) URL";
  }
  const reason = privateHostReason(parsed.hostname);
  if (reason) {
    return `must name a public host: "${parsed.hostname}" ${reason}, which the worker must not be made to call; use the server's public https URL (ALLOW_PRIVATE_URLS=true allows private hosts in local development only)`;
  }
  if (parsed.protocol !== "https:") {
    return "must be https: credentials sent over plain http can be read on the way (ALLOW_PRIVATE_URLS=true allows http in local development only)";
  }
  return null;
}

/** Whether `ALLOW_PRIVATE_URLS` is set to a true value. */
export function allowsPrivateUrls(value: string | undefined): boolean {
  return value === "true" || value === "1";
}
