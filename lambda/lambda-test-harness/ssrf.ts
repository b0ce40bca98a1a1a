/**
 * The HTTPS invoker's guard against server-side request forgery: it reaches only hosts of its allow-list,
 * and only at public addresses. A host's addresses are checked after DNS resolution, in the lookup the
 * connection itself uses, so a name that resolves (or re-resolves) to 169.254.169.254, a private or a
 * loopback address is refused before a byte is sent. Loopback 127.0.0.1 is reachable only with the
 * test-only escape hatch (INVOKER_TEST_ONLY_ALLOW_LOOPBACK), which the construct never sets.
 */
import * as dns from 'dns';
import * as net from 'net';

/** A refused call: `name` says which rule refused it. */
export class EndpointRefusedError extends Error {
  constructor(name: 'EndpointNotAllowed' | 'ForbiddenAddress' | 'RedirectRefused' | 'ProtocolRefused', message: string) {
    super(message);
    this.name = name;
  }
}

/** Whether `host` is on the allow-list: exact names, or `*.example.com` for its subdomains (not the apex). */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowedHosts.some((pattern) => (pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern));
}

const FORBIDDEN = new net.BlockList();
const V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (instance metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique local (private; fd00:ec2::254 is the instance metadata service)'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
];
const REASONS: Array<{ list: net.BlockList; why: string }> = [...V4.map(([a, p, why]) => ({ a, p, why, t: 'ipv4' as const })), ...V6.map(([a, p, why]) => ({ a, p, why, t: 'ipv6' as const }))].map(
  ({ a, p, why, t }) => {
    const list = new net.BlockList();
    list.addSubnet(a, p, t);
    FORBIDDEN.addSubnet(a, p, t);
    return { list, why };
  },
);

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

/** Why `address` may not be called (undefined when it is a public address, or the test-only 127.0.0.1). */
export function forbiddenAddressReason(address: string, allowLoopbackForTests = false): string | undefined {
  const family = net.isIP(address);
  if (family === 0) return `'${address}' is not an IP address`;
  const v4 = family === 4 ? address : embeddedIpv4(address);
  if (v4 !== undefined) {
    if (allowLoopbackForTests && v4 === '127.0.0.1') return undefined;
    const hit = REASONS.find((r) => r.list.check(v4, 'ipv4'));
    return hit ? `${address} is a ${hit.why} address` : undefined;
  }
  const hit = REASONS.find((r) => r.list.check(address, 'ipv6'));
  return hit ? `${address} is a ${hit.why} address` : undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
export type Resolver = (host: string, options: dns.LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/**
 * A `lookup` for http(s).request that resolves the host and refuses it when ANY of its addresses is
 * forbidden (a name must not mix a public and a metadata address to slip through on a retry).
 */
export function guardedLookup(allowLoopbackForTests: boolean, resolve: Resolver = dns.lookup as unknown as Resolver) {
  return (host: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(host, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.map((a) => forbiddenAddressReason(a.address, allowLoopbackForTests)).find((why) => why !== undefined);
      if (refused) return callback(new EndpointRefusedError('ForbiddenAddress', `${host} resolves to a forbidden address: ${refused}`) as NodeJS.ErrnoException, '');
      if (addresses.length === 0) return callback(new Error(`${host} has no address`) as NodeJS.ErrnoException, '');
      if ((options as dns.LookupAllOptions).all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Refuses a URL the invoker must not call: scheme, allow-list, an IP literal's address. */
export function checkUrl(url: URL, allowedHosts: readonly string[], allowLoopbackForTests: boolean): void {
  if (url.protocol !== 'https:' && !(allowLoopbackForTests && url.protocol === 'http:' && url.hostname === '127.0.0.1')) {
    throw new EndpointRefusedError('ProtocolRefused', `${url.protocol}// is refused: the invoker calls https:// endpoints only`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    const why = forbiddenAddressReason(host, allowLoopbackForTests);
    if (why) throw new EndpointRefusedError('ForbiddenAddress', `${host} is refused: ${why}`);
  }
  if (!hostAllowed(host, allowedHosts)) {
    throw new EndpointRefusedError('EndpointNotAllowed', `${host} is not on this invoker's allow-list (allowedHosts: ${allowedHosts.join(', ') || 'none'})`);
  }
}
