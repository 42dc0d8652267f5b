import type { Reader, Writer } from './buffer.js';
import { formatMac, parseMac } from './oxm.js';

/**
 * Fixed-size structures declared as field lists, the way the OpenFlow specification draws them. One
 * declaration drives both encoding and decoding. A field is `[name, kind]`; `[null, n]` is n bytes of padding.
 * Missing values encode as zero. Fixed-size strings (port names, descriptions) are NUL-padded bytes, read and
 * written as Latin-1 so that any byte survives a round trip.
 */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'mac' | 'port' | 'group' | `string${number}`;
export type Layout = ReadonlyArray<readonly [string, FieldKind] | readonly [null, number]>;

export type StructValue = Record<string, unknown>;

/** Reserved port numbers (OpenFlow 1.3 7.2.1), by the names ovs-ofctl prints. */
export const RESERVED_PORTS = {
  in_port: 0xfffffff8,
  table: 0xfffffff9,
  normal: 0xfffffffa,
  flood: 0xfffffffb,
  all: 0xfffffffc,
  controller: 0xfffffffd,
  local: 0xfffffffe,
  any: 0xffffffff,
} as const;
export type ReservedPort = keyof typeof RESERVED_PORTS;
export type PortNumber = number | ReservedPort;

export const RESERVED_GROUPS = { all: 0xfffffffc, any: 0xffffffff } as const;
export type GroupNumber = number | keyof typeof RESERVED_GROUPS;

const PORT_NAMES = new Map<number, ReservedPort>(Object.entries(RESERVED_PORTS).map(([name, number]) => [number, name as ReservedPort]));
const GROUP_NAMES = new Map<number, keyof typeof RESERVED_GROUPS>([
  [0xfffffffc, 'all'],
  [0xffffffff, 'any'],
]);

export function portNumber(port: PortNumber): number {
  return typeof port === 'number' ? port : RESERVED_PORTS[port];
}

export function groupNumber(group: GroupNumber): number {
  return typeof group === 'number' ? group : RESERVED_GROUPS[group];
}

export function layoutSize(layout: Layout): number {
  let size = 0;
  for (const [name, kind] of layout) size += name === null ? (kind as number) : kindSize(kind as FieldKind);
  return size;
}

function kindSize(kind: FieldKind): number {
  switch (kind) {
    case 'u8':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
    case 'port':
    case 'group':
      return 4;
    case 'u64':
      return 8;
    case 'mac':
      return 6;
    default:
      return Number(kind.slice('string'.length));
  }
}

type FieldWriter = (writer: Writer, value: StructValue, defaults: StructValue | undefined) => void;

const COMPILED = new WeakMap<Layout, FieldWriter[]>();

/** Turns a layout into one small writer per field, once: encoding is on the flow-programming hot path. */
function compile(layout: Layout): FieldWriter[] {
  let writers = COMPILED.get(layout);
  if (writers) return writers;
  writers = layout.map(([name, kind]): FieldWriter => {
    if (name === null) return (writer) => void writer.zeros(kind as number);
    const fieldOf = (value: StructValue, defaults: StructValue | undefined): unknown => value[name] ?? defaults?.[name];
    switch (kind as FieldKind) {
      case 'u8':
        return (writer, value, defaults) => void writer.u8(Number(fieldOf(value, defaults) ?? 0));
      case 'u16':
        return (writer, value, defaults) => void writer.u16(Number(fieldOf(value, defaults) ?? 0));
      case 'u32':
        return (writer, value, defaults) => void writer.u32(Number(fieldOf(value, defaults) ?? 0));
      case 'u64':
        return (writer, value, defaults) => void writer.u64(BigInt((fieldOf(value, defaults) as bigint | number | undefined) ?? 0));
      case 'mac':
        return (writer, value, defaults) => {
          const field = fieldOf(value, defaults);
          writer.bytes(field === undefined ? Buffer.alloc(6) : parseMac(name, field as string));
        };
      case 'port':
        return (writer, value, defaults) => void writer.u32(portNumber((fieldOf(value, defaults) as PortNumber | undefined) ?? 0));
      case 'group':
        return (writer, value, defaults) => void writer.u32(groupNumber((fieldOf(value, defaults) as GroupNumber | undefined) ?? 0));
      default: {
        const size = kindSize(kind as FieldKind);
        return (writer, value, defaults) => {
          const text = Buffer.alloc(size);
          text.write(String(fieldOf(value, defaults) ?? ''), 0, size, 'latin1');
          writer.bytes(text);
        };
      }
    }
  });
  COMPILED.set(layout, writers);
  return writers;
}

/** Writes a structure; a field missing from `value` takes its value from `defaults`, else zero. */
export function writeLayout(writer: Writer, layout: Layout, value: StructValue, defaults?: StructValue): void {
  for (const write of compile(layout)) write(writer, value, defaults);
}

export function readLayout(reader: Reader, layout: Layout): StructValue {
  const value: StructValue = {};
  for (const [name, kind] of layout) {
    if (name === null) {
      reader.skip(kind as number);
      continue;
    }
    switch (kind as FieldKind) {
      case 'u8':
        value[name] = reader.u8();
        break;
      case 'u16':
        value[name] = reader.u16();
        break;
      case 'u32':
        value[name] = reader.u32();
        break;
      case 'u64':
        value[name] = reader.u64();
        break;
      case 'mac':
        value[name] = formatMac(reader.bytes(6));
        break;
      case 'port': {
        const number = reader.u32();
        value[name] = PORT_NAMES.get(number) ?? number;
        break;
      }
      case 'group': {
        const number = reader.u32();
        value[name] = GROUP_NAMES.get(number) ?? number;
        break;
      }
      default: {
        const bytes = reader.bytes(kindSize(kind as FieldKind));
        const end = bytes.indexOf(0);
        value[name] = bytes.subarray(0, end < 0 ? bytes.length : end).toString('latin1');
      }
    }
  }
  return value;
}
