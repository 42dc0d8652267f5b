import net from 'node:net';
import { Reader, Writer } from './buffer.js';

/**
 * OXM match fields (OpenFlow 1.3.5 section 7.2.3.7), declared once in a table: name, class, field number,
 * payload size, value format, and whether a mask is allowed. Matches and set-field actions are both encoded
 * and decoded by walking this table. Adding a field is one line.
 */
export type OxmFormat = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'mac' | 'ipv4' | 'ipv6';

interface OxmFieldSpec {
  oxmClass: number;
  field: number;
  bytes: number;
  format: OxmFormat;
  maskable: boolean;
}

const OPENFLOW_BASIC = 0x8000;
/** OVS's NXM_1 class, which OVS accepts inside OpenFlow 1.3 matches for its registers. */
const NXM_1 = 0x0001;

const basic = (field: number, bytes: number, format: OxmFormat, maskable = false): OxmFieldSpec => ({
  oxmClass: OPENFLOW_BASIC,
  field,
  bytes,
  format,
  maskable,
});
const register = (index: number): OxmFieldSpec => ({ oxmClass: NXM_1, field: index, bytes: 4, format: 'u32', maskable: true });

/** In OXM number order, which also puts every prerequisite (eth_type, ip_proto) before what needs it. */
export const OXM_FIELDS = {
  in_port: basic(0, 4, 'u32'),
  in_phy_port: basic(1, 4, 'u32'),
  metadata: basic(2, 8, 'u64', true),
  eth_dst: basic(3, 6, 'mac', true),
  eth_src: basic(4, 6, 'mac', true),
  eth_type: basic(5, 2, 'u16'),
  vlan_vid: basic(6, 2, 'u16', true),
  vlan_pcp: basic(7, 1, 'u8'),
  ip_dscp: basic(8, 1, 'u8'),
  ip_ecn: basic(9, 1, 'u8'),
  ip_proto: basic(10, 1, 'u8'),
  ipv4_src: basic(11, 4, 'ipv4', true),
  ipv4_dst: basic(12, 4, 'ipv4', true),
  // OpenFlow 1.3 leaves L4 ports unmaskable; Open vSwitch accepts masks on them, which port ranges need.
  tcp_src: basic(13, 2, 'u16', true),
  tcp_dst: basic(14, 2, 'u16', true),
  udp_src: basic(15, 2, 'u16', true),
  udp_dst: basic(16, 2, 'u16', true),
  sctp_src: basic(17, 2, 'u16', true),
  sctp_dst: basic(18, 2, 'u16', true),
  icmpv4_type: basic(19, 1, 'u8'),
  icmpv4_code: basic(20, 1, 'u8'),
  arp_op: basic(21, 2, 'u16'),
  arp_spa: basic(22, 4, 'ipv4', true),
  arp_tpa: basic(23, 4, 'ipv4', true),
  arp_sha: basic(24, 6, 'mac', true),
  arp_tha: basic(25, 6, 'mac', true),
  ipv6_src: basic(26, 16, 'ipv6', true),
  ipv6_dst: basic(27, 16, 'ipv6', true),
  ipv6_flabel: basic(28, 4, 'u32', true),
  icmpv6_type: basic(29, 1, 'u8'),
  icmpv6_code: basic(30, 1, 'u8'),
  ipv6_nd_target: basic(31, 16, 'ipv6'),
  ipv6_nd_sll: basic(32, 6, 'mac'),
  ipv6_nd_tll: basic(33, 6, 'mac'),
  mpls_label: basic(34, 4, 'u32'),
  mpls_tc: basic(35, 1, 'u8'),
  mpls_bos: basic(36, 1, 'u8'),
  pbb_isid: basic(37, 3, 'u24', true),
  tunnel_id: basic(38, 8, 'u64', true),
  ipv6_exthdr: basic(39, 2, 'u16', true),
  reg0: register(0),
  reg1: register(1),
  reg2: register(2),
  reg3: register(3),
  reg4: register(4),
  reg5: register(5),
  reg6: register(6),
  reg7: register(7),
} as const satisfies Record<string, OxmFieldSpec>;

export type OxmName = keyof typeof OXM_FIELDS;
/** number for up to 32 bits, bigint for 64, text for MAC ("aa:bb:..") and IP addresses. */
export type OxmValue = number | bigint | string;
/** A value, a value with a mask, or for IPv4/IPv6 fields a CIDR string ("198.18.0.0/24"). */
export type MatchValue = OxmValue | { value: OxmValue; mask: OxmValue };

/** An OXM field this table does not know, kept as bytes so that nothing is lost when decoding. */
export interface UnknownOxm {
  oxmClass: number;
  field: number;
  hasMask: boolean;
  payload: Buffer;
}

export type Match = { [K in OxmName]?: MatchValue } & { unknownFields?: UnknownOxm[] };

export const OFPVID_PRESENT = 0x1000;

const FIELD_NAMES = Object.keys(OXM_FIELDS) as OxmName[];

/** Which field a field needs before it in a match (OpenFlow 1.3.5 table 12, "prerequisite"). */
const PREREQUISITES: Partial<Record<OxmName, OxmName>> = {
  vlan_pcp: 'vlan_vid',
  ip_dscp: 'eth_type',
  ip_ecn: 'eth_type',
  ip_proto: 'eth_type',
  ipv4_src: 'eth_type',
  ipv4_dst: 'eth_type',
  arp_op: 'eth_type',
  arp_spa: 'eth_type',
  arp_tpa: 'eth_type',
  arp_sha: 'eth_type',
  arp_tha: 'eth_type',
  ipv6_src: 'eth_type',
  ipv6_dst: 'eth_type',
  ipv6_flabel: 'eth_type',
  ipv6_exthdr: 'eth_type',
  mpls_label: 'eth_type',
  mpls_tc: 'eth_type',
  mpls_bos: 'eth_type',
  pbb_isid: 'eth_type',
  tcp_src: 'ip_proto',
  tcp_dst: 'ip_proto',
  udp_src: 'ip_proto',
  udp_dst: 'ip_proto',
  sctp_src: 'ip_proto',
  sctp_dst: 'ip_proto',
  icmpv4_type: 'ip_proto',
  icmpv4_code: 'ip_proto',
  icmpv6_type: 'ip_proto',
  icmpv6_code: 'ip_proto',
  ipv6_nd_target: 'icmpv6_type',
  ipv6_nd_sll: 'icmpv6_type',
  ipv6_nd_tll: 'icmpv6_type',
};

function prerequisiteDepth(name: OxmName): number {
  const prerequisite = PREREQUISITES[name];
  return prerequisite === undefined ? 0 : 1 + prerequisiteDepth(prerequisite);
}

const DEPTH = new Map<OxmName, number>(FIELD_NAMES.map((name) => [name, prerequisiteDepth(name)]));
const NAME_BY_KEY = new Map<number, OxmName>(FIELD_NAMES.map((name) => [keyOf(OXM_FIELDS[name].oxmClass, OXM_FIELDS[name].field), name]));

function keyOf(oxmClass: number, field: number): number {
  return oxmClass * 128 + field;
}

export class OxmValueError extends Error {
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'OxmValueError';
  }
}

/**
 * Writes the OXM TLVs of a match (without the ofp_match header) in the match's own key order, moved only as
 * far as needed to put every prerequisite first. A match decoded from a switch keeps the switch's order, so
 * re-encoding it gives the same bytes.
 */
export function writeOxms(writer: Writer, match: Match): void {
  let deepest = 0;
  let ordered = true;
  for (const key in match) {
    if (key === 'unknownFields' || match[key as OxmName] === undefined) continue;
    const depth = DEPTH.get(key as OxmName);
    if (depth === undefined) throw new OxmValueError(key, 'is not an OXM field this codec knows');
    if (depth < deepest) ordered = false;
    else deepest = depth;
  }
  if (ordered) {
    for (const key in match) {
      const value = match[key as OxmName];
      if (key !== 'unknownFields' && value !== undefined) writeOxm(writer, key as OxmName, value);
    }
  } else {
    // A field came before its prerequisite: write in prerequisite order, keeping the rest of the key order.
    const names = (Object.keys(match) as OxmName[]).filter((name) => (name as string) !== 'unknownFields' && match[name] !== undefined);
    names.sort((left, right) => (DEPTH.get(left) as number) - (DEPTH.get(right) as number));
    for (const name of names) writeOxm(writer, name, match[name] as MatchValue);
  }
  for (const unknown of match.unknownFields ?? []) {
    writer.u16(unknown.oxmClass).u8((unknown.field << 1) | (unknown.hasMask ? 1 : 0)).u8(unknown.payload.length).bytes(unknown.payload);
  }
}

export function writeOxm(writer: Writer, name: OxmName, matchValue: MatchValue): void {
  const spec = OXM_FIELDS[name];
  let value: OxmValue;
  let mask: OxmValue | undefined;
  if (typeof matchValue === 'object') {
    value = matchValue.value;
    mask = matchValue.mask;
  } else if (typeof matchValue === 'string' && (spec.format === 'ipv4' || spec.format === 'ipv6') && matchValue.indexOf('/') >= 0) {
    ({ value, mask } = splitPrefix(name, spec.format, matchValue));
  } else {
    value = matchValue;
  }
  if (mask !== undefined && !spec.maskable) throw new OxmValueError(name, 'cannot be masked');
  const hasMask = mask !== undefined;
  writer.u16(spec.oxmClass).u8((spec.field << 1) | (hasMask ? 1 : 0)).u8(hasMask ? spec.bytes * 2 : spec.bytes);
  writeValue(writer, name, spec, value);
  if (mask !== undefined) writeValue(writer, name, spec, mask);
}

/** "198.18.0.0/24" to its address and mask (no mask for a full-length prefix). */
function splitPrefix(name: string, format: 'ipv4' | 'ipv6', text: string): { value: string; mask?: string } {
  const slash = text.indexOf('/');
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const bits = format === 'ipv4' ? 32 : 128;
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) throw new OxmValueError(name, `"${text}" has no valid prefix length`);
  return prefix === bits ? { value: address } : { value: address, mask: prefixMask(format, prefix) };
}

/** Reads OXM TLVs until the reader is exhausted. */
export function readOxms(reader: Reader): Match {
  const match: Match = {};
  while (reader.remaining > 0) {
    const { name, value, unknown } = readOxm(reader);
    if (name !== undefined && value !== undefined) match[name] = value;
    if (unknown) (match.unknownFields ??= []).push(unknown);
  }
  return match;
}

export function readOxm(reader: Reader): { name?: OxmName; value?: MatchValue; unknown?: UnknownOxm } {
  const oxmClass = reader.u16();
  const fieldAndMask = reader.u8();
  const length = reader.u8();
  const field = fieldAndMask >> 1;
  const hasMask = (fieldAndMask & 1) === 1;
  const payload = reader.sub(length);
  const name = NAME_BY_KEY.get(keyOf(oxmClass, field));
  const spec = name === undefined ? undefined : OXM_FIELDS[name];
  if (name === undefined || spec === undefined || length !== (hasMask ? 2 * spec.bytes : spec.bytes)) {
    return { unknown: { oxmClass, field, hasMask, payload: Buffer.from(payload.rest()) } };
  }
  const value = readValue(payload, spec);
  if (!hasMask) return { name, value };
  return { name, value: { value, mask: readValue(payload, spec) } };
}

const PREFIX_MASKS = new Map<string, string>();

/** The mask of a prefix length in the field's own text form, computed once per (format, length). */
function prefixMask(format: 'ipv4' | 'ipv6', prefix: number): string {
  const key = `${format}/${prefix}`;
  let mask = PREFIX_MASKS.get(key);
  if (mask === undefined) {
    const bytes = Buffer.alloc(format === 'ipv4' ? 4 : 16);
    for (let bit = 0; bit < prefix; bit += 1) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    mask = format === 'ipv4' ? [...bytes].join('.') : formatIpv6(bytes);
    PREFIX_MASKS.set(key, mask);
  }
  return mask;
}

/** Dotted-quad text to a 32-bit number without allocating; NaN when it is not an IPv4 address. */
export function parseIpv4(text: string): number {
  let value = 0;
  let octet = -1;
  let octets = 0;
  for (let index = 0; index <= text.length; index += 1) {
    const code = index < text.length ? text.charCodeAt(index) : 46;
    if (code === 46) {
      if (octet < 0 || octet > 255) return Number.NaN;
      value = value * 256 + octet;
      octets += 1;
      octet = -1;
    } else if (code >= 48 && code <= 57) {
      if (octet === 0) return Number.NaN;
      octet = octet < 0 ? code - 48 : octet * 10 + (code - 48);
    } else {
      return Number.NaN;
    }
  }
  return octets === 4 ? value : Number.NaN;
}

function writeValue(writer: Writer, name: string, spec: OxmFieldSpec, value: OxmValue): void {
  switch (spec.format) {
    case 'u8':
    case 'u16':
    case 'u24':
    case 'u32': {
      const max = 2 ** (spec.bytes * 8) - 1;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
        throw new OxmValueError(name, `${String(value)} is not an integer in 0..${max}`);
      }
      if (spec.format === 'u8') writer.u8(value);
      else if (spec.format === 'u16') writer.u16(value);
      else if (spec.format === 'u24') writer.u8(value >>> 16).u16(value & 0xffff);
      else writer.u32(value);
      return;
    }
    case 'u64': {
      if (typeof value !== 'bigint' && typeof value !== 'number') throw new OxmValueError(name, `${String(value)} is not a 64-bit integer`);
      writer.u64(BigInt(value));
      return;
    }
    case 'mac':
      writer.bytes(parseMac(name, value));
      return;
    case 'ipv4': {
      const address = typeof value === 'string' ? parseIpv4(value) : Number.NaN;
      if (Number.isNaN(address)) throw new OxmValueError(name, `${String(value)} is not an IPv4 address`);
      writer.u32(address);
      return;
    }
    case 'ipv6':
      if (typeof value !== 'string' || net.isIPv6(value) === false) throw new OxmValueError(name, `${String(value)} is not an IPv6 address`);
      writer.bytes(parseIpv6(value));
  }
}

function readValue(reader: Reader, spec: OxmFieldSpec): OxmValue {
  switch (spec.format) {
    case 'u8':
      return reader.u8();
    case 'u16':
      return reader.u16();
    case 'u24':
      return reader.u8() * 0x10000 + reader.u16();
    case 'u32':
      return reader.u32();
    case 'u64':
      return reader.u64();
    case 'mac':
      return formatMac(reader.bytes(6));
    case 'ipv4':
      return [...reader.bytes(4)].join('.');
    case 'ipv6':
      return formatIpv6(reader.bytes(16));
  }
}

export function parseMac(field: string, value: OxmValue): Buffer {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(value)) {
    throw new OxmValueError(field, `${String(value)} is not a MAC address`);
  }
  return Buffer.from(value.replace(/:/g, ''), 'hex');
}

export function formatMac(bytes: Buffer): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function parseIpv6(text: string): Buffer {
  const bytes = Buffer.alloc(16);
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = text.slice(lastColon + 1).split('.').map(Number);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const groups = [...leftGroups, ...Array(8 - leftGroups.length - rightGroups.length).fill('0'), ...rightGroups];
  groups.forEach((group: string, index) => bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  if (tailV4.length === 4) bytes.set(tailV4, 12);
  return bytes;
}

/** RFC 5952 text: lower case, longest run of zero groups (two or more) as "::". */
export function formatIpv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, index) => bytes.readUInt16BE(index * 2));
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > bestLength && length >= 2) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A match as it comes back from a switch: encoded and decoded again (prefixes become address and mask). */
export function canonicalMatch(match: Match): Match {
  const writer = new Writer(64);
  writeOxms(writer, match);
  return readOxms(new Reader(writer.finish()));
}
