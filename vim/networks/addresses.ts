import crypto from 'node:crypto';
import net from 'node:net';

/** Neutron's default base MAC: the 0x02 bit of the first octet marks it locally administered, 0x01 clear: unicast. */
const BASE_MAC_PREFIX = 'fa:16:3e';

const MAC_ADDRESS = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

export type AddressCheck = { ok: true; address: string } | { ok: false; reason: string };

export function generatedMacAddress(): string {
  const tail = [...crypto.randomBytes(3)].map((octet) => octet.toString(16).padStart(2, '0'));
  return [BASE_MAC_PREFIX, ...tail].join(':');
}

/** A MAC a port may carry: six octets, unicast, not all zeros; answered lower case with colons. */
export function checkMacAddress(text: string): AddressCheck {
  if (!MAC_ADDRESS.test(text)) return { ok: false, reason: `'${text}' is not a valid MAC address` };
  const address = text.toLowerCase().replace(/-/g, ':');
  const firstOctet = parseInt(address.slice(0, 2), 16);
  if ((firstOctet & 0x01) !== 0) return { ok: false, reason: `'${text}' is a multicast MAC address` };
  if (address === '00:00:00:00:00:00') return { ok: false, reason: `'${text}' is the all-zero MAC address` };
  return { ok: true, address };
}

/** An IPv4 or IPv6 address in its canonical text (IPv6 compressed, lower case), so that uniqueness compares like with like. */
export function checkIpAddress(text: string): AddressCheck {
  if (net.isIPv4(text)) return { ok: true, address: text };
  if (net.isIPv6(text) && !text.includes('%')) return { ok: true, address: new URL(`http://[${text}]/`).hostname.slice(1, -1) };
  return { ok: false, reason: `'${text}' is not a valid IP address` };
}
