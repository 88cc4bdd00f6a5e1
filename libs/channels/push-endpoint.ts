import { lookup as dnsLookup } from 'node:dns/promises';
import { isIPv4, isIPv6, type LookupFunction } from 'node:net';

/**
 * Where a push endpoint may point. A push subscription's endpoint is a URL the browser hands us and the
 * worker later POSTs to, so without these checks any member could make the worker call the cloud metadata
 * service, the database or anything else on the internal network (SSRF). Checked when a subscription is
 * stored, and again just before each send, with the connection pinned to the addresses checked, so a DNS
 * answer that changes in between (rebinding) cannot redirect the send.
 */

/** What kind of address something is; everything but `public` is refused unless said otherwise below. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade NAT'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking';

/** The kinds PUSH_ALLOW_PRIVATE_HOSTS=true lets through (the tests' push-service fake listens on 127.0.0.1). */
const ALLOWED_WITH_PRIVATE_HOSTS: ReadonlySet<AddressKind> = new Set(['public', 'loopback', 'private']);

type Range = readonly [first: bigint, prefixLength: number, kind: AddressKind];

/** IPv4 ranges that are not on the public internet (IANA special-purpose registry), longest prefixes first where they nest. */
const IPV4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
].map(([address, prefix, kind]) => [ipv4ToBigInt(address as string), prefix as number, kind as AddressKind] as const);

/** IPv6 ranges inside global unicast (2000::/3) that are not public anyway; all else outside 2000::/3 is refused below. */
const IPV6_GLOBAL_EXCEPTIONS: readonly Range[] = [
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'reserved'], // IETF protocol assignments: Teredo, benchmarking (2001:2::/48), ORCHID…
  ['3fff::', 20, 'documentation'],
].map(([address, prefix, kind]) => [ipv6ToBigInt(address as string), prefix as number, kind as AddressKind] as const);

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** An IPv6 address (already checked by isIPv6, any zone id removed) as a 128-bit number; a trailing dotted quad is read as IPv4. */
function ipv6ToBigInt(address: string): bigint {
  let text = address;
  const dottedQuad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dottedQuad) {
    const v4 = ipv4ToBigInt(dottedQuad[1]!);
    text = `${text.slice(0, -dottedQuad[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function inRange(value: bigint, bits: number, [first, prefixLength]: Range): boolean {
  const shift = BigInt(bits - prefixLength);
  return value >> shift === first >> shift;
}

function kindOfIPv4(value: bigint): AddressKind {
  return IPV4_RANGES.find((range) => inRange(value, 32, range))?.[2] ?? 'public';
}

/**
 * What kind of address `address` (IPv4 or IPv6, as dns.lookup returns it) is. IPv6 forms that carry an
 * IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that
 * address; other IPv6 is public only inside global unicast 2000::/3. Anything unparsable is `reserved`.
 */
export function addressKind(address: string): AddressKind {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) return kindOfIPv4(ipv4ToBigInt(bare));
  if (!isIPv6(bare)) return 'reserved';
  const value = ipv6ToBigInt(bare);
  if (value === 0n) return 'unspecified';
  if (value === 1n) return 'loopback';
  const low32 = value & 0xffffffffn;
  if (value >> 32n === 0xffffn) return kindOfIPv4(low32); // ::ffff:0:0/96, IPv4-mapped
  if (value >> 32n === 0x64ff9b0000000000000000n) return kindOfIPv4(low32); // 64:ff9b::/96, NAT64
  if (value >> 112n === 0x2002n) return kindOfIPv4((value >> 80n) & 0xffffffffn); // 2002::/16, 6to4
  if (value >> 121n === 0x7en) return 'private'; // fc00::/7, unique local
  if (value >> 118n === 0x3fan) return 'link-local'; // fe80::/10
  if (value >> 120n === 0xffn) return 'multicast'; // ff00::/8
  if (value >> 125n !== 1n) return 'reserved'; // outside 2000::/3: IPv4-compatible, site-local, unassigned…
  return IPV6_GLOBAL_EXCEPTIONS.find((range) => inRange(value, 128, range))?.[2] ?? 'public';
}

export interface PushEndpointPolicy {
  /** PUSH_ALLOW_PRIVATE_HOSTS: loopback and private addresses (and IP literals for them) are accepted; for tests only. */
  allowPrivateHosts: boolean;
  /** How host names are resolved; node:dns lookup unless a test says otherwise. */
  lookup?: ResolveHost;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has, as `dns.lookup(host, { all: true })` does. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const resolveWithDns: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** An endpoint that may be sent to: its URL, and the addresses checked, which the connection must use. */
export interface AcceptedEndpoint {
  url: URL;
  /** The addresses the host resolved to, all checked; empty when the host is an IP literal (checked itself). */
  addresses: ResolvedAddress[];
}

/** Why an endpoint may not be used; worded to follow "endpoint" (`endpoint: must be an https URL`). */
export class PushEndpointRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PushEndpointRefused';
  }
}

/**
 * Accepts an https URL whose host resolves only to public addresses (every address: a name that also has
 * one internal address is refused, since a connection may use any of them). IP literals are refused, except
 * loopback and private ones with allowPrivateHosts. Throws PushEndpointRefused with the reason; a failed DNS
 * look-up is thrown as it is (its `code`, e.g. ENOTFOUND or EAI_AGAIN, says whether it may pass).
 * The reason names the kind of address, never the address itself: the answer must not become a way to
 * read the internal DNS.
 */
export async function checkPushEndpoint(endpoint: string, policy: PushEndpointPolicy): Promise<AcceptedEndpoint> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new PushEndpointRefused('must be a URL');
  }
  if (url.protocol !== 'https:') throw new PushEndpointRefused('must be an https URL');
  if (url.username || url.password) throw new PushEndpointRefused('must not carry a user name or password');
  const allowed = (kind: AddressKind) => (policy.allowPrivateHosts ? ALLOWED_WITH_PRIVATE_HOSTS.has(kind) : kind === 'public');
  // The WHATWG parser has already turned every IPv4 spelling (0x7f.1, 2130706433, 127.1) into dotted form,
  // and put IPv6 in brackets; node:https reads the URL with the same parser.
  const literal = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : isIPv4(url.hostname) ? url.hostname : undefined;
  if (literal !== undefined) {
    const kind = addressKind(literal);
    if (!policy.allowPrivateHosts)
      throw new PushEndpointRefused(`must name a host, not an IP address${kind === 'public' ? '' : ` (this one is ${article(kind)} address)`}`);
    if (!allowed(kind)) throw new PushEndpointRefused(`must not point at ${article(kind)} address`);
    return { url, addresses: [] };
  }
  const addresses = await (policy.lookup ?? resolveWithDns)(url.hostname);
  if (addresses.length === 0) throw new PushEndpointRefused(`host ${url.hostname} has no address`);
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (!allowed(kind)) throw new PushEndpointRefused(`host ${url.hostname} resolves to ${article(kind)} address`);
  }
  return { url, addresses };
}

function article(kind: AddressKind): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/**
 * A `lookup` for the connection (node:net and node:tls take one) that answers only with the addresses
 * checkPushEndpoint accepted, so the socket goes where the check looked and a second DNS answer cannot
 * differ. The TLS certificate is still checked against the host name.
 */
export function pinnedLookup(accepted: AcceptedEndpoint): LookupFunction {
  const hostname = accepted.url.hostname;
  return (host, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family || undefined;
    const candidates = accepted.addresses.filter((address) => family === undefined || address.family === family);
    if (host !== hostname || candidates.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`${host} was not among the checked addresses of ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
      return;
    }
    if (options.all)
      callback(
        null,
        candidates.map(({ address, family }) => ({ address, family })),
      );
    else callback(null, candidates[0]!.address, candidates[0]!.family);
  };
}
