/**
 * The OpenFlow datapath id of a host's integration bridge, derived from the host id alone: the orchestrator
 * writes it into the bridge (`other_config:datapath-id`), so when the switch connects, its features reply
 * names the host without a lookup table that could go stale across restarts.
 */
import crypto from 'node:crypto';

/** The top byte of every id we derive ('N'), so our bridges are recognisable in `ovs-ofctl show` and dumps. */
export const DATAPATH_ID_MARKER = 0x4en;

const LOW_56_BITS = (1n << 56n) - 1n;
const MAX_DATAPATH_ID = (1n << 64n) - 1n;

/** The first 8 bytes of SHA-256 of the host id, with the top byte replaced by the marker: never zero. */
export function datapathIdOf(hostId: string): bigint {
  const digest = crypto.createHash('sha256').update(hostId, 'utf8').digest();
  return (DATAPATH_ID_MARKER << 56n) | (digest.readBigUInt64BE(0) & LOW_56_BITS);
}

/** Exactly 16 lower-case hex digits, the form OVS requires in `other_config:datapath-id`. */
export function datapathIdHex(datapathId: bigint): string {
  if (datapathId <= 0n || datapathId > MAX_DATAPATH_ID) throw new RangeError(`datapath id ${datapathId} is not a non-zero 64-bit number`);
  return datapathId.toString(16).padStart(16, '0');
}
