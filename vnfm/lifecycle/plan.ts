/** Pure planning of an instantiation: how many VNFCs of each VDU, and where each connection point goes. */
import type { InstantiationLevel, VnfFlavour } from '../../descriptors/index.js';
import { derivedId } from '../../platform/index.js';
import type { ExtVirtualLinkData, IpOverEthernetAddressData, ScaleVnfRequest, ScaleVnfToLevelRequest } from './requests.js';

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

export type ScaleStatus = Array<{ aspectId: string; scaleLevel: number }>;

/** What a scale operation aims at: the VNFC count of every VDU, and the aspects' levels once there. */
export interface ScaleTarget {
  counts: Map<string, number>;
  scaleStatus: ScaleStatus;
  /** Set when the target is an instantiation level of the flavour. */
  instantiationLevelId?: string;
}

export type ScaleOutcome = { ok: true; target: ScaleTarget } | { ok: false; problem: string; pointer: string };

/** The VNFC count of every VDU of the flavour among the given VNFCs. */
export function vnfcCounts(flavour: VnfFlavour, vnfcs: ReadonlyArray<{ vduId: string }>): Map<string, number> {
  const counts = new Map(flavour.vdus.map((vdu) => [vdu.vduId, 0]));
  for (const vnfc of vnfcs) counts.set(vnfc.vduId, (counts.get(vnfc.vduId) ?? 0) + 1);
  return counts;
}

/**
 * The instances one step of the aspect adds to (or, backwards, removes from) each VDU, for the step from
 * `level` to `level + 1`: a VDU's deltas in the order the VNFD gives them, the last one for the remaining steps.
 */
function stepDelta(flavour: VnfFlavour, aspectId: string, vduId: string, level: number): number {
  const deltas = flavour.scalingAspects.find((aspect) => aspect.aspectId === aspectId)?.deltas.filter((delta) => delta.vduId === vduId) ?? [];
  if (deltas.length === 0) return 0;
  return (deltas[Math.min(level, deltas.length - 1)] ?? deltas[0])?.instances ?? 0;
}

/** The instances the aspect adds to a VDU from level 0 to `level`. */
function cumulativeDelta(flavour: VnfFlavour, aspectId: string, vduId: string, level: number): number {
  let total = 0;
  for (let step = 0; step < level; step += 1) total += stepDelta(flavour, aspectId, vduId, step);
  return total;
}

function levelOf(scaleStatus: ScaleStatus, aspectId: string): number {
  return scaleStatus.find((status) => status.aspectId === aspectId)?.scaleLevel ?? 0;
}

/** Every aspect of the flavour with its level: the current ones, changed by `levels`. */
function statusWith(flavour: VnfFlavour, current: ScaleStatus, levels: ReadonlyMap<string, number>): ScaleStatus {
  return flavour.scalingAspects.map((aspect) => ({ aspectId: aspect.aspectId, scaleLevel: levels.get(aspect.aspectId) ?? levelOf(current, aspect.aspectId) }));
}

/** The counts reached by moving the aspects from the current levels to `levels`, or why they are out of bounds. */
function countsAtLevels(flavour: VnfFlavour, current: { vnfcs: ReadonlyArray<{ vduId: string }>; scaleStatus: ScaleStatus }, levels: ReadonlyMap<string, number>, pointer: string): ScaleOutcome {
  const counts = vnfcCounts(flavour, current.vnfcs);
  for (const [aspectId, level] of levels) {
    const from = levelOf(current.scaleStatus, aspectId);
    for (const vdu of flavour.vdus) {
      const change = cumulativeDelta(flavour, aspectId, vdu.vduId, level) - cumulativeDelta(flavour, aspectId, vdu.vduId, from);
      counts.set(vdu.vduId, (counts.get(vdu.vduId) ?? 0) + change);
    }
  }
  for (const vdu of flavour.vdus) {
    const count = counts.get(vdu.vduId) ?? 0;
    if (count < vdu.minInstances || count > vdu.maxInstances) {
      return { ok: false, problem: `VDU ${vdu.vduId} would have ${count} instances, outside ${vdu.minInstances}..${vdu.maxInstances}`, pointer };
    }
  }
  return { ok: true, target: { counts, scaleStatus: statusWith(flavour, current.scaleStatus, levels) } };
}

/** SCALE: the aspect's level moves by `numberOfSteps`, within 0..maxScaleLevel and the VDUs' instance bounds. */
export function scaleTarget(flavour: VnfFlavour, current: { vnfcs: ReadonlyArray<{ vduId: string }>; scaleStatus: ScaleStatus }, request: ScaleVnfRequest): ScaleOutcome {
  const aspect = flavour.scalingAspects.find((candidate) => candidate.aspectId === request.aspectId);
  if (!aspect) {
    return { ok: false, problem: `flavour ${flavour.flavourId} has no scaling aspect ${request.aspectId} (it has ${flavour.scalingAspects.map((item) => item.aspectId).join(', ') || 'none'})`, pointer: '/aspectId' };
  }
  const steps = request.numberOfSteps ?? 1;
  const from = levelOf(current.scaleStatus, aspect.aspectId);
  const to = request.type === 'SCALE_OUT' ? from + steps : from - steps;
  if (to > aspect.maxScaleLevel) {
    return { ok: false, problem: `aspect ${aspect.aspectId} is at level ${from}; ${steps} more step(s) would pass its maximum level ${aspect.maxScaleLevel}`, pointer: '/numberOfSteps' };
  }
  if (to < 0) return { ok: false, problem: `aspect ${aspect.aspectId} is at level ${from}; it cannot scale in by ${steps} step(s)`, pointer: '/numberOfSteps' };
  return countsAtLevels(flavour, current, new Map([[aspect.aspectId, to]]), '/numberOfSteps');
}

/** SCALE_TO_LEVEL: an instantiation level of the flavour, or a level per aspect. */
export function scaleToLevelTarget(flavour: VnfFlavour, current: { vnfcs: ReadonlyArray<{ vduId: string }>; scaleStatus: ScaleStatus }, request: ScaleVnfToLevelRequest): ScaleOutcome {
  if (request.instantiationLevelId !== undefined) {
    const level = countsAtLevel(flavour, request.instantiationLevelId);
    if (!level.ok) return { ok: false, problem: level.problem, pointer: '/instantiationLevelId' };
    return { ok: true, target: { counts: level.counts, scaleStatus: level.scaleStatus, instantiationLevelId: request.instantiationLevelId } };
  }
  const levels = new Map<string, number>();
  for (const [index, info] of (request.scaleInfo ?? []).entries()) {
    const aspect = flavour.scalingAspects.find((candidate) => candidate.aspectId === info.aspectId);
    if (!aspect) {
      return { ok: false, problem: `flavour ${flavour.flavourId} has no scaling aspect ${info.aspectId} (it has ${flavour.scalingAspects.map((item) => item.aspectId).join(', ') || 'none'})`, pointer: `/scaleInfo/${index}/aspectId` };
    }
    if (levels.has(aspect.aspectId)) return { ok: false, problem: `aspect ${aspect.aspectId} is given twice`, pointer: `/scaleInfo/${index}/aspectId` };
    if (info.scaleLevel > aspect.maxScaleLevel) {
      return { ok: false, problem: `aspect ${aspect.aspectId} has no level ${info.scaleLevel} (its maximum is ${aspect.maxScaleLevel})`, pointer: `/scaleInfo/${index}/scaleLevel` };
    }
    levels.set(aspect.aspectId, info.scaleLevel);
  }
  return countsAtLevels(flavour, current, levels, '/scaleInfo');
}

/**
 * What reaching the target changes: the VNFCs to add (ids derived from the operation, indexes following the
 * VDU's existing VNFCs) and the VNFCs to remove (the most recently added of their VDU first).
 */
export function scaleChanges<V extends { id: string; vduId: string }>(operationId: string, vnfcs: readonly V[], target: ReadonlyMap<string, number>): { add: PlannedVnfc[]; remove: V[] } {
  const add: PlannedVnfc[] = [];
  const remove: V[] = [];
  for (const [vduId, count] of target) {
    const existing = vnfcs.filter((vnfc) => vnfc.vduId === vduId);
    for (let index = existing.length; index < count; index += 1) {
      add.push({ id: derivedId(operationId, 'vnfc', vduId, String(index - existing.length)), vduId, index });
    }
    if (count < existing.length) remove.push(...existing.slice(count).reverse());
  }
  return { add, remove };
}

export type ExtConnectivityOutcome =
  | {
      ok: true;
      /** The instance's external VLs once changed. */
      extVirtualLinks: ExtVirtualLinkData[];
      /** The VDU CPs that move: those behind the external CPs the request names or whose link it changes. */
      movedCpIds: Set<string>;
    }
  | { ok: false; problem: string; pointer: string };

/**
 * CHANGE_EXT_CONN: the external VLs after the request. A link the instance already has is replaced by the one
 * given (its CPs follow it to the new network, those the request names with their new cpConfig); a new link
 * takes the CPs it lists from the links they were on. Only external CPs that expose a VDU CP can move: one
 * realized by an internal VL is connected by that VL.
 */
export function extConnectivityChange(flavour: VnfFlavour, current: readonly ExtVirtualLinkData[], requested: readonly ExtVirtualLinkData[]): ExtConnectivityOutcome {
  const named = new Set<string>();
  for (const [linkIndex, link] of requested.entries()) {
    if (requested.findIndex((candidate) => candidate.id === link.id) !== linkIndex) {
      return { ok: false, problem: `external VL ${link.id} is given twice`, pointer: `/extVirtualLinks/${linkIndex}/id` };
    }
    for (const [cpIndex, cp] of link.extCps.entries()) {
      const pointer = `/extVirtualLinks/${linkIndex}/extCps/${cpIndex}/cpdId`;
      const extCp = flavour.extCps.find((candidate) => candidate.cpId === cp.cpdId);
      if (!extCp) {
        return { ok: false, problem: `flavour ${flavour.flavourId} exposes no external CP ${cp.cpdId} (it exposes ${flavour.extCps.map((item) => item.cpId).join(', ') || 'none'})`, pointer };
      }
      if (extCp.internalCpId === undefined) {
        return { ok: false, problem: `external CP ${cp.cpdId} is realized by the internal VL ${extCp.virtualLinkId ?? ''}: it cannot be connected to an external one`, pointer };
      }
      if (named.has(cp.cpdId)) return { ok: false, problem: `external CP ${cp.cpdId} is given twice`, pointer };
      named.add(cp.cpdId);
    }
  }
  const given = new Map(requested.map((link) => [link.id, link]));
  const moved = new Set(named);
  const links: ExtVirtualLinkData[] = [];
  for (const link of current) {
    const others = link.extCps.filter((cp) => !named.has(cp.cpdId));
    const replacement = given.get(link.id);
    if (replacement) {
      for (const cp of others) moved.add(cp.cpdId);
      links.push({ ...replacement, extCps: [...replacement.extCps, ...others] });
    } else if (others.length > 0) {
      links.push({ ...link, extCps: others });
    }
  }
  links.push(...requested.filter((link) => !current.some((candidate) => candidate.id === link.id)));
  const movedCpIds = new Set([...moved].flatMap((cpdId) => flavour.extCps.find((candidate) => candidate.cpId === cpdId)?.internalCpId ?? []));
  return { ok: true, extVirtualLinks: links, movedCpIds };
}
