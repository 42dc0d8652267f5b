import { readActions, readInstructions, writeActions, writeInstructions, type Action, type Instruction } from './actions.js';
import { Reader, TruncatedError, Writer } from './buffer.js';
import { errorNames, ERROR_TYPE_EXPERIMENTER, ONF_EXPERIMENTER } from './errors.js';
import { layoutSize, readLayout, writeLayout, type GroupNumber, type Layout, type PortNumber, type StructValue } from './layout.js';
import { readOxms, writeOxms, type Match } from './oxm.js';

/**
 * OpenFlow 1.3 messages (OpenFlow 1.3.5 chapter 7): one table maps each message type to its number and its
 * body codec; most bodies are a fixed layout plus at most one variable tail (a match, instructions, actions,
 * buckets, an array of entries, or raw data). `decodeMessage` never throws: malformed input is a value.
 */
export const OFP_VERSION = 0x04;
export const OFP_HEADER_LENGTH = 8;
export const OFP_MAX_MESSAGE_LENGTH = 0xffff;

export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';
export type GroupModCommand = 'add' | 'modify' | 'delete';
export type GroupType = 'all' | 'select' | 'indirect' | 'fast_failover';
export type PortReason = 'add' | 'delete' | 'modify';
export type ControllerRole = 'nochange' | 'equal' | 'master' | 'slave';
export type BundleControlType =
  | 'open_request'
  | 'open_reply'
  | 'close_request'
  | 'close_reply'
  | 'commit_request'
  | 'commit_reply'
  | 'discard_request'
  | 'discard_reply';

export const FLOW_MOD_FLAGS = { sendFlowRemoved: 1, checkOverlap: 2, resetCounts: 4, noPacketCounts: 8, noByteCounts: 16 } as const;
export const BUNDLE_FLAGS = { atomic: 1, ordered: 2 } as const;
export const PORT_CONFIG = { portDown: 1, noRecv: 4, noFwd: 32, noPacketIn: 64 } as const;
export const PORT_STATE = { linkDown: 1, blocked: 2, live: 4 } as const;
export const MULTIPART_MORE = 1;
export const NO_BUFFER_ID = 0xffffffff;
export const ALL_TABLES = 0xff;

export interface PortDesc {
  portNo: PortNumber;
  hwAddr: string;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  currSpeed: number;
  maxSpeed: number;
}

export interface Bucket {
  weight?: number;
  watchPort?: PortNumber;
  watchGroup?: GroupNumber;
  actions: Action[];
}

export interface FlowStats {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface TableStats {
  tableId: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

export interface PortStats {
  portNo: PortNumber;
  rxPackets: bigint;
  txPackets: bigint;
  rxBytes: bigint;
  txBytes: bigint;
  rxDropped: bigint;
  txDropped: bigint;
  rxErrors: bigint;
  txErrors: bigint;
  rxFrameErr: bigint;
  rxOverErr: bigint;
  rxCrcErr: bigint;
  collisions: bigint;
  durationSec: number;
  durationNsec: number;
}

export interface GroupStats {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  durationSec: number;
  durationNsec: number;
  buckets: Array<{ packetCount: bigint; byteCount: bigint }>;
}

export interface GroupDesc {
  groupType: GroupType;
  groupId: number;
  buckets: Bucket[];
}

export interface SwitchDesc {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

export interface FlowStatsRequest {
  tableId?: number;
  outPort?: PortNumber;
  outGroup?: GroupNumber;
  cookie?: bigint;
  cookieMask?: bigint;
  match?: Match;
}

export type MultipartRequestBody =
  | { kind: 'desc' }
  | ({ kind: 'flow' } & FlowStatsRequest)
  | ({ kind: 'aggregate' } & FlowStatsRequest)
  | { kind: 'table' }
  | { kind: 'port_stats'; portNo?: PortNumber }
  | { kind: 'group'; groupId?: GroupNumber }
  | { kind: 'group_desc' }
  | { kind: 'port_desc' }
  | { kind: 'unknown'; code: number; data: Buffer };

export type MultipartReplyBody =
  | ({ kind: 'desc' } & SwitchDesc)
  | { kind: 'flow'; flows: FlowStats[] }
  | { kind: 'aggregate'; packetCount: bigint; byteCount: bigint; flowCount: number }
  | { kind: 'table'; tables: TableStats[] }
  | { kind: 'port_stats'; ports: PortStats[] }
  | { kind: 'group'; groups: GroupStats[] }
  | { kind: 'group_desc'; groups: GroupDesc[] }
  | { kind: 'port_desc'; ports: PortDesc[] }
  | { kind: 'unknown'; code: number; data: Buffer };

export interface FlowMod {
  cookie?: bigint;
  cookieMask?: bigint;
  tableId?: number;
  command: FlowModCommand;
  idleTimeout?: number;
  hardTimeout?: number;
  priority?: number;
  bufferId?: number;
  outPort?: PortNumber;
  outGroup?: GroupNumber;
  flags?: number;
  match: Match;
  instructions: Instruction[];
}

export interface GroupMod {
  command: GroupModCommand;
  groupType: GroupType;
  groupId: number;
  buckets: Bucket[];
}

type WithXid<T> = T & { xid: number };

export type OfpMessage = WithXid<
  | { type: 'hello'; versions: number[] }
  | { type: 'error'; errorType: number; code: number; experimenter?: number; typeName: string; codeName: string; data: Buffer }
  | { type: 'echo_request'; data: Buffer }
  | { type: 'echo_reply'; data: Buffer }
  | { type: 'experimenter'; experimenter: number; expType: number; data: Buffer }
  | { type: 'features_request' }
  | { type: 'features_reply'; datapathId: bigint; nBuffers: number; nTables: number; auxiliaryId: number; capabilities: number }
  | { type: 'get_config_request' }
  | { type: 'get_config_reply'; flags: number; missSendLen: number }
  | { type: 'set_config'; flags: number; missSendLen: number }
  | { type: 'packet_in'; bufferId: number; totalLen: number; reason: number; tableId: number; cookie: bigint; match: Match; data: Buffer }
  | {
      type: 'flow_removed';
      cookie: bigint;
      priority: number;
      reason: number;
      tableId: number;
      durationSec: number;
      durationNsec: number;
      idleTimeout: number;
      hardTimeout: number;
      packetCount: bigint;
      byteCount: bigint;
      match: Match;
    }
  | { type: 'port_status'; reason: PortReason; port: PortDesc }
  | { type: 'packet_out'; bufferId: number; inPort: PortNumber; actions: Action[]; data: Buffer }
  | ({ type: 'flow_mod' } & FlowMod)
  | ({ type: 'group_mod' } & GroupMod)
  | { type: 'port_mod'; portNo: PortNumber; hwAddr: string; config: number; mask: number; advertise: number }
  | { type: 'table_mod'; tableId: number; config: number }
  | { type: 'multipart_request'; flags: number; body: MultipartRequestBody }
  | { type: 'multipart_reply'; flags: number; body: MultipartReplyBody }
  | { type: 'barrier_request' }
  | { type: 'barrier_reply' }
  | { type: 'role_request'; role: ControllerRole; generationId: bigint }
  | { type: 'role_reply'; role: ControllerRole; generationId: bigint }
  | { type: 'bundle_control'; bundleId: number; controlType: BundleControlType; flags: number }
  | { type: 'bundle_add'; bundleId: number; flags: number; message: Outgoing }
  | { type: 'unknown'; code: number; data: Buffer }
>;

export type OfpMessageType = OfpMessage['type'];

/** A message before it has an xid: what callers hand to a connection, which numbers it. */
export type Outgoing = OfpMessage extends infer M ? (M extends OfpMessage ? Omit<M, 'xid'> : never) : never;
export type MessageOf<T extends OfpMessageType> = Extract<OfpMessage, { type: T }>;

// ---------------------------------------------------------------------------------------------------------
// Enumerations carried as names.

class NameTable<N extends string> {
  private readonly byName: Map<string, number>;
  private readonly byNumber: Map<number, N>;

  constructor(entries: ReadonlyArray<readonly [N, number]>) {
    this.byName = new Map(entries);
    this.byNumber = new Map(entries.map(([name, number]) => [number, name]));
  }

  number(name: N): number {
    const number = this.byName.get(name);
    if (number === undefined) throw new RangeError(`unknown name ${name}`);
    return number;
  }

  name(number: number, what: string): N {
    const name = this.byNumber.get(number);
    if (name === undefined) throw new RangeError(`${what} ${number} is not defined`);
    return name;
  }
}

const sequence = <N extends string>(names: readonly N[]): NameTable<N> => new NameTable(names.map((name, index) => [name, index] as const));

const FLOW_MOD_COMMANDS = sequence<FlowModCommand>(['add', 'modify', 'modify_strict', 'delete', 'delete_strict']);
const GROUP_MOD_COMMANDS = sequence<GroupModCommand>(['add', 'modify', 'delete']);
const GROUP_TYPES = sequence<GroupType>(['all', 'select', 'indirect', 'fast_failover']);
const PORT_REASONS = sequence<PortReason>(['add', 'delete', 'modify']);
const ROLES = sequence<ControllerRole>(['nochange', 'equal', 'master', 'slave']);
const BUNDLE_CONTROL_TYPES = sequence<BundleControlType>([
  'open_request',
  'open_reply',
  'close_request',
  'close_reply',
  'commit_request',
  'commit_reply',
  'discard_request',
  'discard_reply',
]);

// ---------------------------------------------------------------------------------------------------------
// Shared structures.

const PORT_DESC_LAYOUT: Layout = [
  ['portNo', 'port'],
  [null, 4],
  ['hwAddr', 'mac'],
  [null, 2],
  ['name', 'string16'],
  ['config', 'u32'],
  ['state', 'u32'],
  ['curr', 'u32'],
  ['advertised', 'u32'],
  ['supported', 'u32'],
  ['peer', 'u32'],
  ['currSpeed', 'u32'],
  ['maxSpeed', 'u32'],
];

/** ofp_match: OXM type, length without padding, the TLVs, padded to 8 bytes. */
function writeMatch(writer: Writer, match: Match): void {
  const start = writer.length;
  writer.u16(1).u16(0);
  writeOxms(writer, match);
  writer.patchU16(start + 2, writer.length - start);
  writer.padFrom(start);
}

function readMatch(reader: Reader): Match {
  const type = reader.u16();
  const length = reader.u16();
  if (type !== 1) throw new RangeError(`match type ${type} is not OXM`);
  if (length < 4) throw new RangeError(`match length ${length} is shorter than its header`);
  const match = readOxms(reader.sub(length - 4));
  reader.skip((8 - (length % 8)) % 8);
  return match;
}

const BUCKET_LAYOUT: Layout = [
  ['weight', 'u16'],
  ['watchPort', 'port'],
  ['watchGroup', 'group'],
  [null, 4],
];

/** A group's buckets as they go on the wire: equal bytes mean the switch holds the same buckets. */
export function encodeBuckets(buckets: readonly Bucket[]): Buffer {
  const writer = new Writer();
  writeBuckets(writer, buckets);
  return writer.finish();
}

function writeBuckets(writer: Writer, buckets: readonly Bucket[]): void {
  for (const bucket of buckets) {
    const start = writer.length;
    writer.u16(0);
    writeLayout(writer, BUCKET_LAYOUT, { watchPort: 'any', watchGroup: 'any', ...bucket });
    writeActions(writer, bucket.actions);
    writer.patchU16(start, writer.length - start);
  }
}

function readBuckets(reader: Reader): Bucket[] {
  const buckets: Bucket[] = [];
  while (reader.remaining > 0) {
    const length = reader.u16();
    if (length < 16) throw new RangeError(`bucket length ${length} is shorter than its header`);
    const body = reader.sub(length - 2);
    const fixed = readLayout(body, BUCKET_LAYOUT);
    buckets.push({ ...(fixed as Omit<Bucket, 'actions'>), actions: readActions(body) });
  }
  return buckets;
}

/** Entries that start with their own u16 length (flow stats, group stats, group desc). */
function readLengthPrefixed<T>(reader: Reader, minimum: number, readEntry: (entry: Reader) => T): T[] {
  const entries: T[] = [];
  while (reader.remaining > 0) {
    const length = reader.u16();
    if (length < minimum) throw new RangeError(`entry length ${length} is shorter than ${minimum}`);
    entries.push(readEntry(reader.sub(length - 2)));
  }
  return entries;
}

function readFixedEntries<T>(reader: Reader, layout: Layout): T[] {
  const size = layoutSize(layout);
  const entries: T[] = [];
  while (reader.remaining > 0) entries.push(readLayout(reader.sub(size), layout) as T);
  return entries;
}

function writeFixedEntries(writer: Writer, layout: Layout, entries: readonly object[]): void {
  for (const entry of entries) writeLayout(writer, layout, entry as StructValue);
}

// ---------------------------------------------------------------------------------------------------------
// Multipart bodies.

const FLOW_STATS_REQUEST_LAYOUT: Layout = [
  ['tableId', 'u8'],
  [null, 3],
  ['outPort', 'port'],
  ['outGroup', 'group'],
  [null, 4],
  ['cookie', 'u64'],
  ['cookieMask', 'u64'],
];
const FLOW_STATS_LAYOUT: Layout = [
  ['tableId', 'u8'],
  [null, 1],
  ['durationSec', 'u32'],
  ['durationNsec', 'u32'],
  ['priority', 'u16'],
  ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'],
  ['flags', 'u16'],
  [null, 4],
  ['cookie', 'u64'],
  ['packetCount', 'u64'],
  ['byteCount', 'u64'],
];
const AGGREGATE_LAYOUT: Layout = [
  ['packetCount', 'u64'],
  ['byteCount', 'u64'],
  ['flowCount', 'u32'],
  [null, 4],
];
const TABLE_STATS_LAYOUT: Layout = [
  ['tableId', 'u8'],
  [null, 3],
  ['activeCount', 'u32'],
  ['lookupCount', 'u64'],
  ['matchedCount', 'u64'],
];
const PORT_STATS_LAYOUT: Layout = [
  ['portNo', 'port'],
  [null, 4],
  ...(['rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxDropped', 'txDropped', 'rxErrors', 'txErrors', 'rxFrameErr', 'rxOverErr', 'rxCrcErr', 'collisions'] as const).map(
    (name) => [name, 'u64'] as const,
  ),
  ['durationSec', 'u32'],
  ['durationNsec', 'u32'],
];
const GROUP_STATS_LAYOUT: Layout = [
  [null, 2],
  ['groupId', 'u32'],
  ['refCount', 'u32'],
  [null, 4],
  ['packetCount', 'u64'],
  ['byteCount', 'u64'],
  ['durationSec', 'u32'],
  ['durationNsec', 'u32'],
];
const BUCKET_COUNTER_LAYOUT: Layout = [
  ['packetCount', 'u64'],
  ['byteCount', 'u64'],
];
const DESC_LAYOUT: Layout = [
  ['mfrDesc', 'string256'],
  ['hwDesc', 'string256'],
  ['swDesc', 'string256'],
  ['serialNum', 'string32'],
  ['dpDesc', 'string256'],
];

type MultipartKind = Exclude<MultipartRequestBody['kind'], 'unknown'>;

const MULTIPART_TYPES = new NameTable<MultipartKind>([
  ['desc', 0],
  ['flow', 1],
  ['aggregate', 2],
  ['table', 3],
  ['port_stats', 4],
  ['group', 6],
  ['group_desc', 7],
  ['port_desc', 13],
]);

function multipartCode(body: { kind: string; code?: number }): number {
  return body.kind === 'unknown' ? (body.code ?? 0xffff) : MULTIPART_TYPES.number(body.kind as MultipartKind);
}

function multipartKind(code: number): MultipartKind | undefined {
  try {
    return MULTIPART_TYPES.name(code, 'multipart type');
  } catch {
    return undefined;
  }
}

function writeMultipartRequest(writer: Writer, body: MultipartRequestBody): void {
  switch (body.kind) {
    case 'flow':
    case 'aggregate':
      writeLayout(writer, FLOW_STATS_REQUEST_LAYOUT, { tableId: ALL_TABLES, outPort: 'any', outGroup: 'any', ...body });
      writeMatch(writer, body.match ?? {});
      return;
    case 'port_stats':
      writeLayout(writer, [['portNo', 'port'], [null, 4]], { portNo: body.portNo ?? 'any' });
      return;
    case 'group':
      writeLayout(writer, [['groupId', 'group'], [null, 4]], { groupId: body.groupId ?? 'all' });
      return;
    case 'unknown':
      writer.bytes(body.data);
      return;
    default:
      return;
  }
}

function readMultipartRequest(code: number, reader: Reader): MultipartRequestBody {
  const kind = multipartKind(code);
  switch (kind) {
    case 'flow':
    case 'aggregate': {
      const fixed = readLayout(reader, FLOW_STATS_REQUEST_LAYOUT);
      return { kind, ...fixed, match: readMatch(reader) } as MultipartRequestBody;
    }
    case 'port_stats':
      return { kind, ...readLayout(reader, [['portNo', 'port'], [null, 4]]) } as MultipartRequestBody;
    case 'group':
      return { kind, ...readLayout(reader, [['groupId', 'group'], [null, 4]]) } as MultipartRequestBody;
    case undefined:
      return { kind: 'unknown', code, data: Buffer.from(reader.rest()) };
    default:
      return { kind } as MultipartRequestBody;
  }
}

function writeMultipartReply(writer: Writer, body: MultipartReplyBody): void {
  switch (body.kind) {
    case 'desc':
      writeLayout(writer, DESC_LAYOUT, { ...body });
      return;
    case 'flow':
      for (const flow of body.flows) {
        const start = writer.length;
        writer.u16(0);
        writeLayout(writer, FLOW_STATS_LAYOUT, { ...flow });
        writeMatch(writer, flow.match);
        writeInstructions(writer, flow.instructions);
        writer.patchU16(start, writer.length - start);
      }
      return;
    case 'aggregate':
      writeLayout(writer, AGGREGATE_LAYOUT, { ...body });
      return;
    case 'table':
      writeFixedEntries(writer, TABLE_STATS_LAYOUT, body.tables);
      return;
    case 'port_stats':
      writeFixedEntries(writer, PORT_STATS_LAYOUT, body.ports);
      return;
    case 'port_desc':
      writeFixedEntries(writer, PORT_DESC_LAYOUT, body.ports);
      return;
    case 'group':
      for (const group of body.groups) {
        const start = writer.length;
        writer.u16(0);
        writeLayout(writer, GROUP_STATS_LAYOUT, { ...group });
        writeFixedEntries(writer, BUCKET_COUNTER_LAYOUT, group.buckets);
        writer.patchU16(start, writer.length - start);
      }
      return;
    case 'group_desc':
      for (const group of body.groups) {
        const start = writer.length;
        writer.u16(0).u8(GROUP_TYPES.number(group.groupType)).u8(0).u32(group.groupId);
        writeBuckets(writer, group.buckets);
        writer.patchU16(start, writer.length - start);
      }
      return;
    case 'unknown':
      writer.bytes(body.data);
  }
}

function readMultipartReply(code: number, reader: Reader): MultipartReplyBody {
  const kind = multipartKind(code);
  switch (kind) {
    case 'desc':
      return { kind, ...(readLayout(reader, DESC_LAYOUT) as unknown as SwitchDesc) };
    case 'flow':
      return {
        kind,
        flows: readLengthPrefixed(reader, 56, (entry) => {
          const fixed = readLayout(entry, FLOW_STATS_LAYOUT);
          const match = readMatch(entry);
          return { ...fixed, match, instructions: readInstructions(entry) } as FlowStats;
        }),
      };
    case 'aggregate':
      return { kind, ...(readLayout(reader, AGGREGATE_LAYOUT) as { packetCount: bigint; byteCount: bigint; flowCount: number }) };
    case 'table':
      return { kind, tables: readFixedEntries<TableStats>(reader, TABLE_STATS_LAYOUT) };
    case 'port_stats':
      return { kind, ports: readFixedEntries<PortStats>(reader, PORT_STATS_LAYOUT) };
    case 'port_desc':
      return { kind, ports: readFixedEntries<PortDesc>(reader, PORT_DESC_LAYOUT) };
    case 'group':
      return {
        kind,
        groups: readLengthPrefixed(reader, 40, (entry) => {
          const fixed = readLayout(entry, GROUP_STATS_LAYOUT);
          return { ...fixed, buckets: readFixedEntries(entry, BUCKET_COUNTER_LAYOUT) } as GroupStats;
        }),
      };
    case 'group_desc':
      return {
        kind,
        groups: readLengthPrefixed(reader, 8, (entry) => {
          const groupType = GROUP_TYPES.name(entry.u8(), 'group type');
          entry.skip(1);
          const groupId = entry.u32();
          return { groupType, groupId, buckets: readBuckets(entry) };
        }),
      };
    default:
      return { kind: 'unknown', code, data: Buffer.from(reader.rest()) };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The message table.

interface BodyCodec<M> {
  write(writer: Writer, message: M, xid: number): void;
  read(reader: Reader, header: { xid: number; version: number }): Omit<M, 'xid' | 'type'>;
}

/** A body that is exactly a layout. */
function fixed<T extends OfpMessageType>(layout: Layout): BodyCodec<MessageOf<T>> {
  return {
    write: (writer, message) => writeLayout(writer, layout, message as unknown as StructValue),
    read: (reader) => readLayout(reader, layout) as Omit<MessageOf<T>, 'xid' | 'type'>,
  };
}

const EMPTY: BodyCodec<OfpMessage> = { write: () => undefined, read: () => ({}) };
const RAW_DATA: BodyCodec<{ data: Buffer }> = {
  write: (writer, message) => writer.bytes(message.data),
  read: (reader) => ({ data: Buffer.from(reader.rest()) }),
};
const SWITCH_CONFIG: Layout = [
  ['flags', 'u16'],
  ['missSendLen', 'u16'],
];
const ROLE_LAYOUT: Layout = [[null, 4], ['generationId', 'u64']];
const ONFT_BUNDLE_CONTROL = 2300;
const ONFT_BUNDLE_ADD_MESSAGE = 2301;

const roleCodec = <T extends 'role_request' | 'role_reply'>(): BodyCodec<MessageOf<T>> => ({
  write(writer, message) {
    writer.u32(ROLES.number((message as { role: ControllerRole }).role));
    writeLayout(writer, ROLE_LAYOUT, { ...message });
  },
  read(reader) {
    const role = ROLES.name(reader.u32(), 'controller role');
    return { role, ...readLayout(reader, ROLE_LAYOUT) } as Omit<MessageOf<T>, 'xid' | 'type'>;
  },
});

type Codecs = { [T in OfpMessageType]: { code: number; body: BodyCodec<MessageOf<T>> } };

const MESSAGES: Codecs = {
  hello: {
    code: 0,
    body: {
      write(writer, message) {
        if (message.versions.length === 0) return;
        const words = new Array<number>(Math.floor(Math.max(...message.versions) / 32) + 1).fill(0);
        for (const version of message.versions) words[version >> 5] = ((words[version >> 5] as number) | (1 << (version & 31))) >>> 0;
        const start = writer.length;
        writer.u16(1).u16(4 + 4 * words.length);
        for (const word of words) writer.u32(word);
        writer.padFrom(start);
      },
      read(reader, header) {
        const versions: number[] = [];
        while (reader.remaining >= 4) {
          const elementType = reader.u16();
          const length = reader.u16();
          if (length < 4) throw new RangeError(`hello element length ${length} is shorter than its header`);
          const element = reader.sub(Math.min(length - 4, reader.remaining));
          if (elementType === 1) {
            for (let word = 0; element.remaining >= 4; word += 1) {
              const bits = element.u32();
              for (let bit = 0; bit < 32; bit += 1) if (bits & (1 << bit)) versions.push(word * 32 + bit);
            }
          }
          reader.skip(Math.min((8 - (length % 8)) % 8, reader.remaining));
        }
        // Without a version bitmap, a HELLO offers its header's version and every earlier one.
        return { versions: versions.length > 0 ? versions : [header.version] };
      },
    },
  },
  error: {
    code: 1,
    body: {
      write(writer, message) {
        writer.u16(message.errorType).u16(message.code);
        if (message.errorType === ERROR_TYPE_EXPERIMENTER) writer.u32(message.experimenter ?? 0);
        writer.bytes(message.data);
      },
      read(reader) {
        const errorType = reader.u16();
        const code = reader.u16();
        const experimenter = errorType === ERROR_TYPE_EXPERIMENTER ? reader.u32() : undefined;
        return {
          errorType,
          code,
          ...(experimenter === undefined ? {} : { experimenter }),
          ...errorNames(errorType, code, experimenter),
          data: Buffer.from(reader.rest()),
        };
      },
    },
  },
  echo_request: { code: 2, body: RAW_DATA },
  echo_reply: { code: 3, body: RAW_DATA },
  experimenter: {
    code: 4,
    body: {
      write: (writer, message) => writer.u32(message.experimenter).u32(message.expType).bytes(message.data),
      read: (reader) => ({ experimenter: reader.u32(), expType: reader.u32(), data: Buffer.from(reader.rest()) }),
    },
  },
  features_request: { code: 5, body: EMPTY },
  features_reply: {
    code: 6,
    body: fixed<'features_reply'>([
      ['datapathId', 'u64'],
      ['nBuffers', 'u32'],
      ['nTables', 'u8'],
      ['auxiliaryId', 'u8'],
      [null, 2],
      ['capabilities', 'u32'],
      [null, 4],
    ]),
  },
  get_config_request: { code: 7, body: EMPTY },
  get_config_reply: { code: 8, body: fixed<'get_config_reply'>(SWITCH_CONFIG) },
  set_config: { code: 9, body: fixed<'set_config'>(SWITCH_CONFIG) },
  packet_in: {
    code: 10,
    body: {
      write(writer, message) {
        writeLayout(writer, PACKET_IN_LAYOUT, { ...message });
        writeMatch(writer, message.match);
        writer.zeros(2).bytes(message.data);
      },
      read(reader) {
        const head = readLayout(reader, PACKET_IN_LAYOUT);
        const match = readMatch(reader);
        reader.skip(2);
        return { ...head, match, data: Buffer.from(reader.rest()) } as Omit<MessageOf<'packet_in'>, 'xid' | 'type'>;
      },
    },
  },
  flow_removed: {
    code: 11,
    body: {
      write(writer, message) {
        writeLayout(writer, FLOW_REMOVED_LAYOUT, { ...message });
        writeMatch(writer, message.match);
      },
      read(reader) {
        const head = readLayout(reader, FLOW_REMOVED_LAYOUT);
        return { ...head, match: readMatch(reader) } as Omit<MessageOf<'flow_removed'>, 'xid' | 'type'>;
      },
    },
  },
  port_status: {
    code: 12,
    body: {
      write(writer, message) {
        writer.u8(PORT_REASONS.number(message.reason)).zeros(7);
        writeLayout(writer, PORT_DESC_LAYOUT, { ...message.port });
      },
      read(reader) {
        const reason = PORT_REASONS.name(reader.u8(), 'port status reason');
        reader.skip(7);
        return { reason, port: readLayout(reader, PORT_DESC_LAYOUT) as unknown as PortDesc };
      },
    },
  },
  packet_out: {
    code: 13,
    body: {
      write(writer, message) {
        writer.u32(message.bufferId);
        writeLayout(writer, [['inPort', 'port']], { inPort: message.inPort });
        const lengthAt = writer.length;
        writer.u16(0).zeros(6);
        const actionsStart = writer.length;
        writeActions(writer, message.actions);
        writer.patchU16(lengthAt, writer.length - actionsStart);
        writer.bytes(message.data);
      },
      read(reader) {
        const bufferId = reader.u32();
        const { inPort } = readLayout(reader, [['inPort', 'port']]);
        const actionsLength = reader.u16();
        reader.skip(6);
        const actions = readActions(reader.sub(actionsLength));
        return { bufferId, inPort: inPort as PortNumber, actions, data: Buffer.from(reader.rest()) };
      },
    },
  },
  flow_mod: {
    code: 14,
    body: {
      write(writer, message) {
        writeLayout(writer, FLOW_MOD_HEAD, message as unknown as StructValue);
        writer.u8(FLOW_MOD_COMMANDS.number(message.command));
        writeLayout(writer, FLOW_MOD_TAIL, message as unknown as StructValue, FLOW_MOD_DEFAULTS);
        writeMatch(writer, message.match);
        writeInstructions(writer, message.instructions);
      },
      read(reader) {
        const head = readLayout(reader, FLOW_MOD_HEAD);
        const command = FLOW_MOD_COMMANDS.name(reader.u8(), 'flow_mod command');
        const tail = readLayout(reader, FLOW_MOD_TAIL);
        const match = readMatch(reader);
        return { ...head, command, ...tail, match, instructions: readInstructions(reader) } as Omit<MessageOf<'flow_mod'>, 'xid' | 'type'>;
      },
    },
  },
  group_mod: {
    code: 15,
    body: {
      write(writer, message) {
        writer.u16(GROUP_MOD_COMMANDS.number(message.command)).u8(GROUP_TYPES.number(message.groupType)).u8(0).u32(message.groupId);
        writeBuckets(writer, message.buckets);
      },
      read(reader) {
        const command = GROUP_MOD_COMMANDS.name(reader.u16(), 'group_mod command');
        const groupType = GROUP_TYPES.name(reader.u8(), 'group type');
        reader.skip(1);
        const groupId = reader.u32();
        return { command, groupType, groupId, buckets: readBuckets(reader) };
      },
    },
  },
  port_mod: {
    code: 16,
    body: fixed<'port_mod'>([
      ['portNo', 'port'],
      [null, 4],
      ['hwAddr', 'mac'],
      [null, 2],
      ['config', 'u32'],
      ['mask', 'u32'],
      ['advertise', 'u32'],
      [null, 4],
    ]),
  },
  table_mod: {
    code: 17,
    body: fixed<'table_mod'>([
      ['tableId', 'u8'],
      [null, 3],
      ['config', 'u32'],
    ]),
  },
  multipart_request: {
    code: 18,
    body: {
      write(writer, message) {
        writer.u16(multipartCode(message.body)).u16(message.flags).zeros(4);
        writeMultipartRequest(writer, message.body);
      },
      read(reader) {
        const code = reader.u16();
        const flags = reader.u16();
        reader.skip(4);
        return { flags, body: readMultipartRequest(code, reader) };
      },
    },
  },
  multipart_reply: {
    code: 19,
    body: {
      write(writer, message) {
        writer.u16(multipartCode(message.body)).u16(message.flags).zeros(4);
        writeMultipartReply(writer, message.body);
      },
      read(reader) {
        const code = reader.u16();
        const flags = reader.u16();
        reader.skip(4);
        return { flags, body: readMultipartReply(code, reader) };
      },
    },
  },
  barrier_request: { code: 20, body: EMPTY },
  barrier_reply: { code: 21, body: EMPTY },
  role_request: { code: 24, body: roleCodec<'role_request'>() },
  role_reply: { code: 25, body: roleCodec<'role_reply'>() },
  // The ONF bundle extension (EXT-230), which Open vSwitch offers on OpenFlow 1.3, rides in EXPERIMENTER
  // messages (type 4): the body starts with the ONF experimenter id and the bundle message type.
  bundle_control: {
    code: 4,
    body: {
      write(writer, message) {
        writer.u32(ONF_EXPERIMENTER).u32(ONFT_BUNDLE_CONTROL).u32(message.bundleId);
        writer.u16(BUNDLE_CONTROL_TYPES.number(message.controlType)).u16(message.flags);
      },
      read(reader) {
        const bundleId = reader.u32();
        const controlType = BUNDLE_CONTROL_TYPES.name(reader.u16(), 'bundle control type');
        return { bundleId, controlType, flags: reader.u16() };
      },
    },
  },
  bundle_add: {
    code: 4,
    body: {
      write(writer, message, xid) {
        writer.u32(ONF_EXPERIMENTER).u32(ONFT_BUNDLE_ADD_MESSAGE).u32(message.bundleId).u16(0).u16(message.flags);
        // The switch requires the inner message to carry the outer xid.
        encodeMessageInto(writer, message.message, xid);
      },
      read(reader, header) {
        const bundleId = reader.u32();
        reader.skip(2);
        const flags = reader.u16();
        const inner = reader.rest();
        const decoded = decodeMessage(inner);
        if (!decoded.ok) throw new RangeError(`bundled message: ${decoded.reason}`);
        const { xid: innerXid, ...message } = decoded.message;
        if (innerXid !== header.xid) throw new RangeError(`bundled message xid ${innerXid} differs from ${header.xid}`);
        return { bundleId, flags, message: message as Outgoing };
      },
    },
  },
  unknown: {
    code: 0xff,
    body: {
      write: (writer, message) => writer.bytes(message.data),
      read: (reader) => ({ code: 0xff, data: Buffer.from(reader.rest()) }),
    },
  },
};

const PACKET_IN_LAYOUT: Layout = [
  ['bufferId', 'u32'],
  ['totalLen', 'u16'],
  ['reason', 'u8'],
  ['tableId', 'u8'],
  ['cookie', 'u64'],
];
const FLOW_REMOVED_LAYOUT: Layout = [
  ['cookie', 'u64'],
  ['priority', 'u16'],
  ['reason', 'u8'],
  ['tableId', 'u8'],
  ['durationSec', 'u32'],
  ['durationNsec', 'u32'],
  ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'],
  ['packetCount', 'u64'],
  ['byteCount', 'u64'],
];
/** ofp_flow_mod around its command byte, which is carried by name. */
const FLOW_MOD_HEAD: Layout = [
  ['cookie', 'u64'],
  ['cookieMask', 'u64'],
  ['tableId', 'u8'],
];
const FLOW_MOD_TAIL: Layout = [
  ['idleTimeout', 'u16'],
  ['hardTimeout', 'u16'],
  ['priority', 'u16'],
  ['bufferId', 'u32'],
  ['outPort', 'port'],
  ['outGroup', 'group'],
  ['flags', 'u16'],
  [null, 2],
];
const FLOW_MOD_DEFAULTS: StructValue = { priority: 0x8000, bufferId: NO_BUFFER_ID, outPort: 'any', outGroup: 'any' };

const TYPE_BY_CODE = new Map<number, OfpMessageType>(
  (Object.entries(MESSAGES) as Array<[OfpMessageType, { code: number }]>)
    .filter(([type]) => type !== 'bundle_control' && type !== 'bundle_add' && type !== 'unknown')
    .map(([type, { code }]) => [code, type]),
);

/** Encodes a message with its header. Throws `RangeError`/`OxmValueError` for values that cannot be encoded. */
export function encodeMessage(message: OfpMessage): Buffer {
  const writer = new Writer(message.type === 'flow_mod' ? 256 : 64);
  encodeMessageInto(writer, message, message.xid);
  return writer.finish();
}

/** Appends one encoded message with the given xid to a writer (many messages into one socket write). */
export function encodeMessageInto(writer: Writer, message: Outgoing, xid: number): void {
  const start = writer.length;
  const code = message.type === 'unknown' ? message.code : MESSAGES[message.type].code;
  writer.u8(OFP_VERSION).u8(code).u16(0).u32(xid);
  (MESSAGES[message.type].body as unknown as BodyCodec<Outgoing>).write(writer, message, xid);
  const length = writer.length - start;
  if (length > OFP_MAX_MESSAGE_LENGTH) throw new RangeError(`${message.type} is ${length} bytes, more than an OpenFlow message can hold`);
  writer.patchU16(start + 2, length);
}

export type DecodeResult = { ok: true; message: OfpMessage } | { ok: false; reason: string; xid?: number; type?: number };

/** Decodes one whole message (header included). Never throws. */
export function decodeMessage(bytes: Buffer): DecodeResult {
  if (bytes.length < OFP_HEADER_LENGTH) return { ok: false, reason: `${bytes.length} bytes is shorter than the OpenFlow header` };
  const version = bytes.readUInt8(0);
  const code = bytes.readUInt8(1);
  const length = bytes.readUInt16BE(2);
  const xid = bytes.readUInt32BE(4);
  if (length !== bytes.length) return { ok: false, reason: `header length ${length} but ${bytes.length} bytes`, xid, type: code };
  const reader = new Reader(bytes, OFP_HEADER_LENGTH);
  try {
    if (code === MESSAGES.experimenter.code && bytes.length >= 16 && bytes.readUInt32BE(8) === ONF_EXPERIMENTER) {
      const expType = bytes.readUInt32BE(12);
      if (expType === ONFT_BUNDLE_CONTROL || expType === ONFT_BUNDLE_ADD_MESSAGE) {
        reader.skip(8);
        const type = expType === ONFT_BUNDLE_CONTROL ? 'bundle_control' : 'bundle_add';
        const body = (MESSAGES[type].body as BodyCodec<OfpMessage>).read(reader, { xid, version });
        return { ok: true, message: { type, xid, ...body } as OfpMessage };
      }
    }
    // HELLO and ERROR are understood whatever their version (negotiation needs them); anything else must be 1.3.
    if (version !== OFP_VERSION && code !== MESSAGES.hello.code && code !== MESSAGES.error.code) {
      return { ok: false, reason: `an OpenFlow version 0x${version.toString(16).padStart(2, '0')} message; this controller speaks 1.3 (0x04)`, xid, type: code };
    }
    const type = TYPE_BY_CODE.get(code);
    if (type === undefined) return { ok: true, message: { type: 'unknown', xid, code, data: Buffer.from(reader.rest()) } };
    const body = (MESSAGES[type].body as BodyCodec<OfpMessage>).read(reader, { xid, version });
    return { ok: true, message: { type, xid, ...body } as OfpMessage };
  } catch (error) {
    const reason = error instanceof TruncatedError || error instanceof RangeError ? error.message : String(error);
    return { ok: false, reason: `malformed ${TYPE_BY_CODE.get(code) ?? `type ${code}`} message: ${reason}`, xid, type: code };
  }
}
