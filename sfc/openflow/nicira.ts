/**
 * Open vSwitch's Nicira extension actions that OpenFlow 1.3 has no equivalent for, encoded as experimenter
 * actions (vendor 0x00002320). Only what the flow compiler uses.
 */
import type { Action } from './actions.js';

export const NICIRA_VENDOR = 0x00002320;
const NXAST_MULTIPATH = 10;
/** NXM_NX_REG<n>: class 0x0001, field n, 4 bytes. */
const nxmRegister = (index: number): number => ((0x0001 << 16) | (index << 9) | 4) >>> 0;

/** The field sets OVS's `multipath` can hash (NX_HASH_FIELDS_*). */
export const MULTIPATH_FIELDS = {
  eth_src: 0,
  symmetric_l4: 1,
  symmetric_l3l4: 2,
  'symmetric_l3l4+udp': 3,
  nw_src: 4,
  nw_dst: 5,
  symmetric_l3: 6,
} as const;
export type MultipathFields = keyof typeof MULTIPATH_FIELDS;

/**
 * `multipath(fields, basis, modulo_n, links, 0, reg<register>[0..15])`: hashes the fields and writes the
 * hash modulo `links` into the low 16 bits of a register, for later flows to match.
 */
export function multipath(fields: MultipathFields, links: number, register: number, basis = 0): Action {
  if (!Number.isInteger(links) || links < 1 || links > 0x10000) throw new RangeError(`multipath needs 1..65536 links, not ${links}`);
  const data = Buffer.alloc(24);
  data.writeUInt16BE(NXAST_MULTIPATH, 0);
  data.writeUInt16BE(MULTIPATH_FIELDS[fields], 2);
  data.writeUInt16BE(basis, 4);
  // 6: pad; 8: algorithm 0 = modulo_n.
  data.writeUInt16BE(0, 8);
  data.writeUInt16BE(links - 1, 10);
  data.writeUInt32BE(0, 12);
  // 16: pad; 18: ofs_nbits = (offset << 6) | (bits - 1).
  data.writeUInt16BE(15, 18);
  data.writeUInt32BE(nxmRegister(register), 20);
  return { type: 'experimenter', experimenter: NICIRA_VENDOR, data };
}
