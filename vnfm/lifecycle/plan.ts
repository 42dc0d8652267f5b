/** Pure planning of an instantiation: how many VNFCs of each VDU, and where each connection point goes. */
import type { InstantiationLevel, VnfFlavour } from '../../descriptors/index.js';
import { derivedId } from '../../platform/index.js';
import type { ExtVirtualLinkData, IpOverEthernetAddressData } from './requests.js';

export interface PlannedVnfc {
  id: string;
  vduId: string;
  /** 0-based among the VNFCs of its VDU in this operation. */
  index: number;
}

export type LevelOutcome =
  | { ok: true; level: InstantiationLevel | undefined; counts: Map<string, number>; scaleStatus: Array<{ aspectId: string; scaleLevel: number }> }
  | { ok: false; problem: string };

/**
 * The VNFC count of each VDU at the instantiation level asked for (or the flavour's default level): the
 * level's VduInstantiationLevels, else the VDU's initial delta, else its minimum.
 */
export function countsAtLevel(flavour: VnfFlavour, instantiationLevelId: string | undefined): LevelOutcome {
  const levelId = instantiationLevelId ?? flavour.defaultInstantiationLevelId;
  const level = levelId === undefined ? undefined : flavour.instantiationLevels.find((candidate) => candidate.levelId === levelId);
  if (levelId !== undefined && level === undefined) {
    return { ok: false, problem: `flavour ${flavour.flavourId} has no instantiation level ${levelId} (it has ${flavour.instantiationLevels.map((item) => item.levelId).join(', ') || 'none'})` };
  }
  const counts = new Map<string, number>();
  for (const vdu of flavour.vdus) {
    const count = level?.vduInstances[vdu.vduId] ?? vdu.initialDelta ?? vdu.minInstances;
    if (count < vdu.minInstances || count > vdu.maxInstances) {
      return { ok: false, problem: `VDU ${vdu.vduId} would have ${count} instances, outside ${vdu.minInstances}..${vdu.maxInstances}` };
    }
    counts.set(vdu.vduId, count);
  }
  const scaleStatus = flavour.scalingAspects.map((aspect) => ({ aspectId: aspect.aspectId, scaleLevel: level?.scaleInfo[aspect.aspectId] ?? 0 }));
  return { ok: true, level, counts, scaleStatus };
}

/** The VNFCs an operation creates, with ids derived from the operation so a rerun finds the same ones. */
export function plannedVnfcs(operationId: string, counts: ReadonlyMap<string, number>): PlannedVnfc[] {
  return [...counts].flatMap(([vduId, count]) => Array.from({ length: count }, (_, index) => ({ id: derivedId(operationId, 'vnfc', vduId, String(index)), vduId, index })));
}

export interface CpAttachment {
  networkId: string;
  extCpdId?: string;
  extVirtualLinkId?: string;
  /** The address data given for this VNFC's CP in the request's cpConfig, when any. */
  address?: IpOverEthernetAddressData;
}

/**
 * Where a VDU's CP is attached: its internal VL's network, or (exposed as an external CP) the external
 * network the request gives for that CP. Undefined: the CP is attached to nothing and gets no port.
 */
export function attachmentOf(
  flavour: VnfFlavour,
  cpdId: string,
  instanceIndex: number,
  internalNetworks: ReadonlyMap<string, string>,
  extVirtualLinks: readonly ExtVirtualLinkData[],
): CpAttachment | undefined {
  const cp = flavour.vduCps.find((candidate) => candidate.cpId === cpdId);
  if (cp?.virtualLinkId !== undefined) {
    const networkId = internalNetworks.get(cp.virtualLinkId);
    if (networkId !== undefined) return { networkId };
  }
  const extCp = flavour.extCps.find((candidate) => candidate.internalCpId === cpdId || candidate.cpId === cpdId);
  if (extCp === undefined) return undefined;
  for (const link of extVirtualLinks) {
    const given = link.extCps.find((candidate) => candidate.cpdId === extCp.cpId);
    if (!given) continue;
    const configs = Object.keys(given.cpConfig ?? {})
      .sort()
      .map((key) => given.cpConfig?.[key]);
    const address = configs[instanceIndex]?.cpProtocolData?.find((data) => data.ipOverEthernet !== undefined)?.ipOverEthernet;
    return { networkId: link.resourceId, extCpdId: extCp.cpId, extVirtualLinkId: link.id, ...(address ? { address } : {}) };
  }
  if (extCp.virtualLinkId !== undefined) {
    const networkId = internalNetworks.get(extCp.virtualLinkId);
    if (networkId !== undefined) return { networkId, extCpdId: extCp.cpId };
  }
  return undefined;
}
