import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { IPv4, IPv6 } from 'ipaddr.js';

// ipaddr.js is CommonJS with `export =`, which this ESM build cannot default-import.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof import('ipaddr.js');

/** A fetch refused because its host resolves to an address the agent may not reach. */
export class RefusedAddressError extends Error {
  readonly code = 'MNEMOS_ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

/** Which hosts `web_fetch` may reach besides public unicast addresses. */
export interface WebAddressPolicy {
  /** True when the host name or IP literal is on the allowlist (then any of its addresses is fine). */
  allowsHost(hostname: string): boolean;
  /** Why the address may not be reached, or null when it may. */
  refusal(address: string): string | null;
}

/** Name ipaddr.js gives a range, as a short phrase for the model. */
const rangeWords: Record<string, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  uniqueLocal: 'a unique local (private IPv6) address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
};

/** Strips the brackets URL hostnames put around IPv6 literals. */
function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * The policy of `allowHosts`: entries are host names (`api.example.com`, `*.example.com` for its
 * subdomains), IP literals or CIDR ranges (`10.1.0.0/16`). Everything else that is not a public
 * unicast address (loopback, private, CGNAT, link-local and metadata, unique local, multicast,
 * unspecified, reserved, IPv4 embedded in IPv6) is refused.
 */
export function webAddressPolicy(allowHosts: readonly string[] = []): WebAddressPolicy {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const ranges: Array<[IPv4 | IPv6, number]> = [];
  for (const entry of allowHosts.map((host) => bare(host.trim().toLowerCase()))) {
    if (ipaddr.isValidCIDR(entry)) ranges.push(ipaddr.parseCIDR(entry));
    else if (isIP(entry)) {
      const address = ipaddr.process(entry);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else if (entry) names.add(entry.replace(/\.$/u, ''));
  }
  const inAllowedRange = (address: IPv4 | IPv6): boolean =>
    ranges.some(([network, bits]) => {
      if (network.kind() !== address.kind()) return false;
      return address.match(network, bits);
    });
  return {
    allowsHost(hostname) {
      const host = bare(hostname.toLowerCase()).replace(/\.$/u, '');
      if (names.has(host) || suffixes.some((suffix) => host.endsWith(suffix))) return true;
      return isIP(host) !== 0 && inAllowedRange(ipaddr.process(host));
    },
    refusal(raw) {
      if (!ipaddr.isValid(raw)) return `${raw} is not an IP address`;
      // `process` turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into the IPv4 address it carries.
      const address = ipaddr.process(raw);
      if (inAllowedRange(address)) return null;
      const range = address.range();
      if (range === 'unicast') return null;
      return `${address.toString()} is ${rangeWords[range] ?? `a ${range} address`}`;
    },
  };
}

/** A `lookup` for sockets, in the shape `net.connect` calls it. */
export type GuardedLookup = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (
    error: NodeJS.ErrnoException | null,
    address: string | LookupAddress[],
    family?: number,
  ) => void,
) => void;

/**
 * A DNS lookup that resolves every address of the host and fails with {@link RefusedAddressError}
 * when any of them is refused, so the socket connects only to addresses that were checked (a DNS
 * answer that changes between check and connect cannot slip through). `allowSetting` is the
 * setting the refusal tells the user to change.
 */
export function guardedLookup(
  policy: WebAddressPolicy,
  allowSetting = 'agent.web.allow_hosts',
): GuardedLookup {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    dnsLookup(
      hostname,
      { all: true, ...(family === 4 || family === 6 ? { family } : {}) },
      (error, addresses) => {
        if (error) return callback(error, options.all ? [] : '');
        if (!policy.allowsHost(hostname)) {
          for (const { address } of addresses) {
            const reason = policy.refusal(address);
            if (reason) {
              return callback(
                new RefusedAddressError(
                  `refused to fetch ${hostname}: it resolves to ${reason}; only public addresses can be fetched unless ${allowSetting} lists the host`,
                ),
                options.all ? [] : '',
              );
            }
          }
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0];
        if (!first)
          return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '');
        callback(null, first.address, first.family);
      },
    );
  };
}
