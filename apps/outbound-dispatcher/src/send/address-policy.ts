import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Which network addresses a delivery may connect to (SPEC §5, issue 5 "SSRF guard").
 *
 * Only globally routable unicast addresses are allowed. Loopback, RFC 1918 private,
 * link-local (which holds the cloud metadata service 169.254.169.254), CGNAT
 * (100.64/10, where Alibaba's metadata service lives), unique-local IPv6 (AWS's
 * fd00:ec2::254), multicast, broadcast, unspecified and reserved ranges are refused.
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by the IPv4
 * address they carry, so `::ffff:127.0.0.1` is as refused as `127.0.0.1`.
 */
export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

/** IPv4 special ranges that are public anycast services rather than internal networks. */
const PUBLIC_IPV4_RANGES = new Set(['unicast', 'as112', 'amt']);
const PUBLIC_IPV6_RANGES = new Set(['unicast', 'as112v6', 'amt']);

export function classifyAddress(address: string): AddressVerdict {
  const bare = stripZone(address);
  if (!ipaddr.isValid(bare)) return { allowed: false, range: 'invalid' };
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6') {
    const embedded = embeddedIpv4(parsed as ipaddr.IPv6);
    if (embedded) parsed = embedded;
  }
  const range = parsed.range();
  const publicRanges = parsed.kind() === 'ipv4' ? PUBLIC_IPV4_RANGES : PUBLIC_IPV6_RANGES;
  return publicRanges.has(range) ? { allowed: true } : { allowed: false, range };
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = address.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return address.toIPv4Address();
  const bytes = address.toByteArray();
  if (range === 'rfc6052') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}

/** The error a refused address raises; its message is what the attempt log shows. */
export class RefusedAddressError extends Error {
  readonly code = 'ERR_HOOKGATE_REFUSED_ADDRESS';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `refused to connect to ${host}${host === address ? '' : ` (${address})`}: ` +
        `${range} addresses are not allowed; set OUTBOUND_ALLOW_PRIVATE_NETWORKS=true to allow them`,
    );
    this.name = 'RefusedAddressError';
  }
}

/** Refuses a host that is itself an IP literal (no DNS lookup happens for those). */
export function checkLiteralHost(host: string): RefusedAddressError | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(bare)) return null;
  const verdict = classifyAddress(bare);
  return verdict.allowed ? null : new RefusedAddressError(host, bare, verdict.range);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The shape of `dns.lookup` that sockets call; replaceable in tests with stubbed answers. */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback);

/**
 * A `lookup` for `http.Agent`/`net.connect` that filters the resolved addresses through
 * {@link classifyAddress}. Because the socket connects to exactly what this returns, the
 * check cannot be raced by a DNS answer that changes between a pre-check and the connect
 * (DNS rebinding). When every answer is refused the connection fails with
 * {@link RefusedAddressError}; refused answers mixed with allowed ones are dropped.
 */
export function createGuardedLookup(resolve: Resolver = systemResolver) {
  return function guardedLookup(
    hostname: string,
    options: LookupOneOptions | LookupAllOptions | number | undefined,
    callback: LookupCallback,
  ): void {
    const wanted: LookupOneOptions | LookupAllOptions =
      typeof options === 'number' ? { family: options } : (options ?? {});
    resolve(hostname, { ...wanted, all: true }, (error, addresses) => {
      if (error) return callback(error, wanted.all ? [] : '', undefined);
      const allowed = addresses.filter((entry) => classifyAddress(entry.address).allowed);
      if (allowed.length === 0) {
        const first = addresses[0];
        const refusal = first
          ? new RefusedAddressError(
              hostname,
              first.address,
              (classifyAddress(first.address) as { range: string }).range,
            )
          : Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENOTFOUND' });
        return callback(refusal as NodeJS.ErrnoException, wanted.all ? [] : '', undefined);
      }
      if (wanted.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
