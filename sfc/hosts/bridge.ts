/**
 * The integration bridge as the orchestrator wants it on every host: `fail_mode=secure` (traffic keeps to the
 * installed flows while the controller is away), OpenFlow 1.3 only, the datapath id derived from the host id,
 * and our controller as its one controller. Created when missing; corrected when someone changed it.
 */
import {
  Bridge,
  Controller,
  RowNotFoundError,
  Transaction,
  type OpenFlowVersion,
  type Vswitch,
} from '../ovsdb/index.js';
import { datapathIdHex } from './datapath.js';

export interface IntegrationBridgeSpec {
  name: string;
  datapathId: bigint;
  /** OVS controller target syntax: `tcp:IP:PORT` or `unix:PATH`. */
  controllerTarget: string;
  /** Used only when the bridge is created; an existing bridge keeps its datapath type. */
  datapathType?: string | undefined;
}

/** A setting of the bridge that is not what the spec says. */
export type BridgeDrift = 'fail_mode' | 'protocols' | 'datapath-id' | 'controller';

export type BridgeOutcome = { kind: 'created' } | { kind: 'corrected'; drift: readonly BridgeDrift[] } | { kind: 'unchanged' };

const PROTOCOLS: readonly OpenFlowVersion[] = ['OpenFlow13'];
const DATAPATH_ID_KEY = 'datapath-id';

/** What differs between the bridge as the cache shows it and the spec. */
export function bridgeDrift(vswitch: Vswitch, bridge: Bridge, spec: IntegrationBridgeSpec): BridgeDrift[] {
  const drift: BridgeDrift[] = [];
  if (bridge.fail_mode !== 'secure') drift.push('fail_mode');
  if (bridge.protocols.length !== PROTOCOLS.length || !PROTOCOLS.every((version) => bridge.protocols.includes(version))) drift.push('protocols');
  if (bridge.other_config.get(DATAPATH_ID_KEY) !== datapathIdHex(spec.datapathId)) drift.push('datapath-id');
  const targets = bridge.controller.map((uuid) => vswitch.client.cache.get(Controller, uuid)?.target);
  if (targets.length !== 1 || targets[0] !== spec.controllerTarget) drift.push('controller');
  return drift;
}

/** Makes the bridge what the spec says, in one transaction; leaves a bridge that already is untouched. */
export async function ensureIntegrationBridge(vswitch: Vswitch, spec: IntegrationBridgeSpec): Promise<BridgeOutcome> {
  const bridge = vswitch.bridge(spec.name);
  if (!bridge) {
    await vswitch.addBridge({
      name: spec.name,
      ...(spec.datapathType === undefined ? {} : { datapath_type: spec.datapathType }),
      fail_mode: 'secure',
      protocols: PROTOCOLS,
      other_config: { [DATAPATH_ID_KEY]: datapathIdHex(spec.datapathId) },
      controllers: [{ target: spec.controllerTarget }],
    });
    return { kind: 'created' };
  }
  const drift = bridgeDrift(vswitch, bridge, spec);
  if (drift.length === 0) return { kind: 'unchanged' };
  await correct(vswitch, spec, drift);
  return { kind: 'corrected', drift };
}

async function correct(vswitch: Vswitch, spec: IntegrationBridgeSpec, drift: readonly BridgeDrift[]): Promise<void> {
  const transaction = new Transaction();
  const where = [['name', '==', spec.name]] as const;
  const updated = transaction.update(Bridge, where, { fail_mode: 'secure', protocols: PROTOCOLS });
  // The other keys of other_config are someone else's; a map `insert` keeps an existing key, hence the delete.
  transaction.mutate(Bridge, where, [
    ['other_config', 'delete', [DATAPATH_ID_KEY]],
    ['other_config', 'insert', { [DATAPATH_ID_KEY]: datapathIdHex(spec.datapathId) }],
  ]);
  // New Controller rows drop the switch's OpenFlow session, so they are written only when the target is wrong.
  if (drift.includes('controller')) {
    const controller = transaction.insert(Controller, { target: spec.controllerTarget });
    transaction.update(Bridge, where, { controller: [controller] });
  }
  const outcome = await vswitch.client.transact(transaction);
  if (outcome.get(updated) !== 1) throw new RowNotFoundError(Bridge.name, spec.name);
}
