import net from 'node:net';

export interface IpPrefix {
  version: 4 | 6;
  /** The network address as an integer of 32 or 128 bits. */
  network: bigint;
  length: number;
}

function addressBits(address: string, version: 4 | 6): bigint {
  if (version === 4) return address.split('.').reduce((bits, octet) => (bits << 8n) | BigInt(Number(octet)), 0n);
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const expand = (part: string): string[] => groups(part).flatMap((group) => (group.includes('.') ? v4AsGroups(group) : [group]));
  const left = expand(head);
  const right = tail === undefined ? [] : expand(tail);
  const middle = new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].reduce((bits, group) => (bits << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function v4AsGroups(dotted: string): string[] {
  const bits = addressBits(dotted, 4);
  return [(bits >> 16n).toString(16), (bits & 0xffffn).toString(16)];
}

/**
 * Parses `address/length` (a bare address is a host prefix). Answers the reason when the text is not a
 * prefix or has host bits set: a classifier matches on network and mask, so `10.0.0.1/24` would silently
 * mean `10.0.0.0/24`.
 */
export function parseIpPrefix(text: string): IpPrefix | string {
  const [address = '', length, ...rest] = text.split('/');
  const version = net.isIPv4(address) ? 4 : net.isIPv6(address) ? 6 : undefined;
  if (version === undefined || rest.length > 0) return `"${text}" is not an IPv4 or IPv6 prefix`;
  const width = version === 4 ? 32 : 128;
  if (length !== undefined && !/^\d{1,3}$/.test(length)) return `"${text}" has no valid prefix length`;
  const prefixLength = length === undefined ? width : Number(length);
  if (prefixLength > width) return `"${text}" has a prefix length above ${width}`;
  const network = addressBits(address, version);
  const hostMask = (1n << BigInt(width - prefixLength)) - 1n;
  if ((network & hostMask) !== 0n) return `"${text}" has host bits set`;
  return { version, network, length: prefixLength };
}

/** Whether two prefixes share an address (absent: any address). */
export function prefixesOverlap(first: IpPrefix | undefined, second: IpPrefix | undefined): boolean {
  if (first === undefined || second === undefined) return true;
  if (first.version !== second.version) return false;
  const width = first.version === 4 ? 32 : 128;
  const shorter = Math.min(first.length, second.length);
  const shift = BigInt(width - shorter);
  return first.network >> shift === second.network >> shift;
}
