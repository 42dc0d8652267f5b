import { Reader, Writer } from './buffer.js';
import { readLayout, writeLayout, type GroupNumber, type Layout, type PortNumber, type StructValue } from './layout.js';
import { readOxm, writeOxm, type MatchValue, type OxmName } from './oxm.js';

/**
 * Actions (OpenFlow 1.3.5 section 7.2.5) and instructions (7.2.4), each declared once in a table of
 * (name, type number, body layout). Encoding and decoding walk the tables; set-field and the action lists
 * inside instructions are the only bodies that are not a fixed layout.
 */
export type Action =
  | { type: 'output'; port: PortNumber; maxLen?: number }
  | { type: 'copy_ttl_out' }
  | { type: 'copy_ttl_in' }
  | { type: 'set_mpls_ttl'; ttl: number }
  | { type: 'dec_mpls_ttl' }
  | { type: 'push_vlan'; ethertype: number }
  | { type: 'pop_vlan' }
  | { type: 'push_mpls'; ethertype: number }
  | { type: 'pop_mpls'; ethertype: number }
  | { type: 'set_queue'; queueId: number }
  | { type: 'group'; groupId: GroupNumber }
  | { type: 'set_nw_ttl'; ttl: number }
  | { type: 'dec_nw_ttl' }
  | { type: 'set_field'; field: OxmName; value: MatchValue }
  | { type: 'push_pbb'; ethertype: number }
  | { type: 'pop_pbb' }
  | { type: 'experimenter'; experimenter: number; data: Buffer }
  | { type: 'unknown'; code: number; data: Buffer };

export type Instruction =
  | { type: 'goto_table'; tableId: number }
  | { type: 'write_metadata'; metadata: bigint; mask: bigint }
  | { type: 'write_actions'; actions: Action[] }
  | { type: 'apply_actions'; actions: Action[] }
  | { type: 'clear_actions' }
  | { type: 'meter'; meterId: number }
  | { type: 'experimenter'; experimenter: number; data: Buffer }
  | { type: 'unknown'; code: number; data: Buffer };

/** OFPCML_NO_BUFFER: send whole packets to the controller. */
export const NO_BUFFER = 0xffff;

const PAD4: Layout = [[null, 4]];
const ETHERTYPE: Layout = [['ethertype', 'u16'], [null, 2]];
const TTL: Layout = [['ttl', 'u8'], [null, 3]];

const ACTION_LAYOUTS: Readonly<Record<Exclude<Action['type'], 'set_field' | 'experimenter' | 'unknown'>, { code: number; layout: Layout }>> = {
  output: { code: 0, layout: [['port', 'port'], ['maxLen', 'u16'], [null, 6]] },
  copy_ttl_out: { code: 11, layout: PAD4 },
  copy_ttl_in: { code: 12, layout: PAD4 },
  set_mpls_ttl: { code: 15, layout: TTL },
  dec_mpls_ttl: { code: 16, layout: PAD4 },
  push_vlan: { code: 17, layout: ETHERTYPE },
  pop_vlan: { code: 18, layout: PAD4 },
  push_mpls: { code: 19, layout: ETHERTYPE },
  pop_mpls: { code: 20, layout: ETHERTYPE },
  set_queue: { code: 21, layout: [['queueId', 'u32']] },
  group: { code: 22, layout: [['groupId', 'group']] },
  set_nw_ttl: { code: 23, layout: TTL },
  dec_nw_ttl: { code: 24, layout: PAD4 },
  push_pbb: { code: 26, layout: ETHERTYPE },
  pop_pbb: { code: 27, layout: PAD4 },
};
const SET_FIELD = 25;
const EXPERIMENTER = 0xffff;
const ACTION_BY_CODE = new Map(Object.entries(ACTION_LAYOUTS).map(([name, entry]) => [entry.code, { name, layout: entry.layout }]));

const INSTRUCTION_LAYOUTS: Readonly<Record<'goto_table' | 'write_metadata' | 'clear_actions' | 'meter', { code: number; layout: Layout }>> = {
  goto_table: { code: 1, layout: [['tableId', 'u8'], [null, 3]] },
  write_metadata: { code: 2, layout: [[null, 4], ['metadata', 'u64'], ['mask', 'u64']] },
  clear_actions: { code: 5, layout: PAD4 },
  meter: { code: 6, layout: [['meterId', 'u32']] },
};
const INSTRUCTION_WITH_ACTIONS = { write_actions: 3, apply_actions: 4 } as const;
const INSTRUCTION_BY_CODE = new Map<number, string>([
  ...Object.entries(INSTRUCTION_LAYOUTS).map(([name, entry]) => [entry.code, name] as [number, string]),
  ...Object.entries(INSTRUCTION_WITH_ACTIONS).map(([name, code]) => [code, name] as [number, string]),
]);

export function writeActions(writer: Writer, actions: readonly Action[]): void {
  for (const action of actions) writeAction(writer, action);
}

function writeAction(writer: Writer, action: Action): void {
  const start = writer.length;
  switch (action.type) {
    case 'set_field': {
      writer.u16(SET_FIELD).u16(0);
      writeOxm(writer, action.field, action.value);
      writer.padFrom(start);
      break;
    }
    case 'experimenter':
      writer.u16(EXPERIMENTER).u16(0).u32(action.experimenter).bytes(action.data).padFrom(start);
      break;
    case 'unknown':
      writer.u16(action.code).u16(0).bytes(action.data).padFrom(start);
      break;
    default: {
      const { code, layout } = ACTION_LAYOUTS[action.type];
      const body: StructValue = { ...action };
      if (action.type === 'output' && action.maxLen === undefined) body.maxLen = action.port === 'controller' ? NO_BUFFER : 0;
      writer.u16(code).u16(0);
      writeLayout(writer, layout, body);
    }
  }
  writer.patchU16(start + 2, writer.length - start);
}

export function readActions(reader: Reader): Action[] {
  const actions: Action[] = [];
  while (reader.remaining > 0) actions.push(readAction(reader));
  return actions;
}

function readAction(reader: Reader): Action {
  const code = reader.u16();
  const length = reader.u16();
  if (length < 8 || length % 8 !== 0) throw new RangeError(`action ${code} has length ${length}, not a multiple of 8 of at least 8`);
  const bodyBytes = reader.bytes(length - 4);
  const body = new Reader(bodyBytes);
  if (code === SET_FIELD) {
    const { name, value } = readOxm(body);
    // A field this codec does not know stays as the action's raw body, so that it re-encodes unchanged.
    if (name === undefined || value === undefined) return { type: 'unknown', code, data: Buffer.from(bodyBytes) };
    return { type: 'set_field', field: name, value };
  }
  if (code === EXPERIMENTER) return { type: 'experimenter', experimenter: body.u32(), data: Buffer.from(body.rest()) };
  const entry = ACTION_BY_CODE.get(code);
  if (!entry) return { type: 'unknown', code, data: Buffer.from(body.rest()) };
  return { type: entry.name, ...readLayout(body, entry.layout) } as Action;
}

export function writeInstructions(writer: Writer, instructions: readonly Instruction[]): void {
  for (const instruction of instructions) {
    const start = writer.length;
    switch (instruction.type) {
      case 'write_actions':
      case 'apply_actions':
        writer.u16(INSTRUCTION_WITH_ACTIONS[instruction.type]).u16(0).zeros(4);
        writeActions(writer, instruction.actions);
        break;
      case 'experimenter':
        writer.u16(EXPERIMENTER).u16(0).u32(instruction.experimenter).bytes(instruction.data).padFrom(start);
        break;
      case 'unknown':
        writer.u16(instruction.code).u16(0).bytes(instruction.data).padFrom(start);
        break;
      default: {
        const { code, layout } = INSTRUCTION_LAYOUTS[instruction.type];
        writer.u16(code).u16(0);
        writeLayout(writer, layout, { ...instruction });
      }
    }
    writer.patchU16(start + 2, writer.length - start);
  }
}

export function readInstructions(reader: Reader): Instruction[] {
  const instructions: Instruction[] = [];
  while (reader.remaining > 0) {
    const code = reader.u16();
    const length = reader.u16();
    if (length < 8) throw new RangeError(`instruction ${code} has length ${length}, less than 8`);
    const body = reader.sub(length - 4);
    const name = INSTRUCTION_BY_CODE.get(code);
    if (name === 'write_actions' || name === 'apply_actions') {
      body.skip(4);
      instructions.push({ type: name, actions: readActions(body) });
    } else if (name !== undefined) {
      const { layout } = INSTRUCTION_LAYOUTS[name as keyof typeof INSTRUCTION_LAYOUTS];
      instructions.push({ type: name, ...readLayout(body, layout) } as Instruction);
    } else if (code === EXPERIMENTER) {
      instructions.push({ type: 'experimenter', experimenter: body.u32(), data: Buffer.from(body.rest()) });
    } else {
      instructions.push({ type: 'unknown', code, data: Buffer.from(body.rest()) });
    }
  }
  return instructions;
}

/** Encodes an action list on its own (group buckets, packet-out). */
export function encodeActions(actions: readonly Action[]): Buffer {
  const writer = new Writer();
  writeActions(writer, actions);
  return writer.finish();
}

/** Encodes an instruction list on its own: equal bytes mean the switch holds the same instructions. */
export function encodeInstructions(instructions: readonly Instruction[]): Buffer {
  const writer = new Writer();
  writeInstructions(writer, instructions);
  return writer.finish();
}

export function decodeActions(bytes: Buffer): Action[] {
  return readActions(new Reader(bytes));
}
