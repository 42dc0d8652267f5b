/**
 * Scaling an NS by the NSD's scaling aspects (SOL 005 ScaleNsRequest, scaleType SCALE_NS): from the level each
 * aspect is at and the request (steps of one aspect, levels of several, or an NS instantiation level), the
 * levels the NS goes to and the VNF instances each scaled profile gains or loses (VnfToLevelMapping gives its
 * instances at every level). Also the VNFs an instantiation at an NS instantiation level creates, and the
 * aspects' levels that level amounts to.
 */
import type { Nsd } from '../../descriptors/index.js';
import { derivedId } from '../../platform/index.js';
import type { NsInstance, NsScaleInfo, NsVnfRecord, ScaleNsData } from './model.js';

export interface ScaleViolation {
  pointer: string;
  message: string;
  in: 'body';
}

/** A VNF a scaling out adds: its profile, the key it is created under (as INSTANTIATE uses the occurrence id), its id. */
export interface AddedVnf extends NsVnfRecord {
  creationKey: string;
}

export interface NsScalingPlan {
  /** The level of every aspect of the NSD once the scaling is done. */
  scaleStatus: NsScaleInfo[];
  added: AddedVnf[];
  /** The most recently added VNFs of their profile go first. */
  removed: NsVnfRecord[];
  /** SCALE_VNF: the VNFs scaled by their own aspects. */
  scaled?: NsVnfRecord[];
  /** SCALE_VNF: the VNFCs the VNFM removes from them (scale-in), left out of the chains before they go. */
  leavingVnfcs?: string[];
}

/** The level each aspect of the NSD is at: 0 for one the NS was never scaled by. */
export function currentScaleLevels(nsd: Nsd, instance: NsInstance): Map<string, number> {
  return new Map(nsd.scalingAspects.map((aspect) => [aspect.aspectId, Number(instance.nsScaleStatus?.find((info) => info.nsScalingAspectId === aspect.aspectId)?.nsScaleLevelId ?? 0)]));
}

/** The level each aspect goes to, or why the request cannot be carried out (pointers into the ScaleNsRequest). */
export function targetScaleLevels(nsd: Nsd, instance: NsInstance, data: ScaleNsData | undefined): { levels: Map<string, number> } | { violations: ScaleViolation[] } {
  const violations: ScaleViolation[] = [];
  const violation = (pointer: string, message: string) => violations.push({ pointer: `/scaleNsData${pointer}`, message, in: 'body' });
  const levels = currentScaleLevels(nsd, instance);
  const declared = nsd.scalingAspects.map((aspect) => aspect.aspectId).join(', ') || 'none';
  const byStep = data?.scaleNsByStepsData;
  const toLevel = data?.scaleNsToLevelData;
  if (data?.vnfInstanceToBeAdded !== undefined) violation('/vnfInstanceToBeAdded', 'this NFVO scales an NS by its scaling aspects only (scaleNsByStepsData or scaleNsToLevelData); add VNFs with an update (ADD_VNF)');
  if (data?.vnfInstanceToBeRemoved !== undefined) violation('/vnfInstanceToBeRemoved', 'this NFVO scales an NS by its scaling aspects only (scaleNsByStepsData or scaleNsToLevelData); remove VNFs with an update (REMOVE_VNF)');
  if ((byStep === undefined) === (toLevel === undefined)) violation('', 'SCALE_NS needs exactly one of scaleNsByStepsData and scaleNsToLevelData');
  if (byStep !== undefined) {
    const aspect = nsd.scalingAspects.find((candidate) => candidate.aspectId === byStep.aspectId);
    if (!aspect) {
      violation('/scaleNsByStepsData/aspectId', `the NSD has no NS scaling aspect ${byStep.aspectId} (it has ${declared})`);
    } else {
      const steps = (byStep.numberOfSteps ?? 1) * (byStep.scalingDirection === 'SCALE_OUT' ? 1 : -1);
      const from = levels.get(aspect.aspectId) ?? 0;
      if (from + steps < 0 || from + steps > aspect.maxScaleLevel) {
        violation('/scaleNsByStepsData/numberOfSteps', `aspect ${aspect.aspectId} is at level ${from} of 0..${aspect.maxScaleLevel}: ${Math.abs(steps)} step(s) ${byStep.scalingDirection === 'SCALE_OUT' ? 'out' : 'in'} would take it to ${from + steps}`);
      }
      levels.set(aspect.aspectId, from + steps);
    }
  }
  if (toLevel?.nsInstantiationLevel !== undefined) {
    const atLevel = scaleStatusAtLevel(nsd, toLevel.nsInstantiationLevel);
    if ('problem' in atLevel) violation('/scaleNsToLevelData/nsInstantiationLevel', atLevel.problem);
    else for (const info of atLevel.scaleStatus) levels.set(info.nsScalingAspectId, Number(info.nsScaleLevelId));
  }
  if (toLevel !== undefined && toLevel.nsScaleInfo === undefined && toLevel.nsInstantiationLevel === undefined) violation('/scaleNsToLevelData', 'scaleNsToLevelData needs nsScaleInfo');
  for (const [index, parameters] of (data?.additionalParamsForVnf ?? []).entries()) {
    if (!nsd.vnfProfiles.some((profile) => profile.profileId === parameters.vnfProfileId)) violation(`/additionalParamsForVnf/${index}/vnfProfileId`, `the NSD has no VNF profile ${parameters.vnfProfileId}`);
  }
  const seen = new Set<string>();
  for (const [index, info] of (toLevel?.nsScaleInfo ?? []).entries()) {
    const pointer = `/scaleNsToLevelData/nsScaleInfo/${index}`;
    const aspect = nsd.scalingAspects.find((candidate) => candidate.aspectId === info.nsScalingAspectId);
    if (!aspect) {
      violation(`${pointer}/nsScalingAspectId`, `the NSD has no NS scaling aspect ${info.nsScalingAspectId} (it has ${declared})`);
      continue;
    }
    if (seen.has(aspect.aspectId)) violation(`${pointer}/nsScalingAspectId`, `aspect ${aspect.aspectId} is given twice`);
    seen.add(aspect.aspectId);
    const level = /^\d+$/.test(info.nsScaleLevelId) ? Number(info.nsScaleLevelId) : undefined;
    if (level === undefined || level > aspect.maxScaleLevel) violation(`${pointer}/nsScaleLevelId`, `aspect ${aspect.aspectId} has levels 0..${aspect.maxScaleLevel}, not ${info.nsScaleLevelId}`);
    else levels.set(aspect.aspectId, level);
  }
  return violations.length > 0 ? { violations } : { levels };
}

/**
 * The VNFs to add and remove so that every profile an aspect scales has the instances of the aspect's target
 * level. Added VNFs get ids derived from the occurrence (the same derivation as INSTANTIATE's, under a key per
 * added VNF), so that running the plan again after a crash finds them.
 */
export function nsScalingPlan(operationId: string, nsd: Nsd, instance: NsInstance, levels: ReadonlyMap<string, number>): NsScalingPlan {
  const added: AddedVnf[] = [];
  const removed: NsVnfRecord[] = [];
  for (const aspect of nsd.scalingAspects) {
    const level = levels.get(aspect.aspectId) ?? 0;
    for (const { vnfProfileId, instancesAtLevel } of aspect.vnfInstances) {
      const members = instance.vnfs.filter((vnf) => vnf.vnfProfileId === vnfProfileId);
      const wanted = instancesAtLevel[level] ?? members.length;
      for (let ordinal = members.length; ordinal < wanted; ordinal += 1) {
        added.push(createdVnf(operationId, vnfProfileId, ordinal));
      }
      removed.push(...members.slice(wanted).reverse());
    }
  }
  const scaleStatus = nsd.scalingAspects.map((aspect) => ({ nsScalingAspectId: aspect.aspectId, nsScaleLevelId: String(levels.get(aspect.aspectId) ?? 0) }));
  return { scaleStatus, added, removed };
}

/**
 * A VNF an NS operation creates for a profile: the first of each profile an instantiation creates is keyed by
 * the occurrence itself (its id derived from it and the profile), any other by a key of its own.
 */
function createdVnf(operationId: string, vnfProfileId: string, ordinal: number): AddedVnf {
  const creationKey = ordinal === 0 ? operationId : derivedId(operationId, 'ns-scale', vnfProfileId, String(ordinal));
  return { vnfProfileId, vnfInstanceId: derivedId(creationKey, 'vnf', vnfProfileId), creationKey };
}

/** The NSD's instantiation level of that id, its default one when no id is given; undefined when it has no such level. */
function instantiationLevelOf(nsd: Nsd, levelId: string | undefined): Nsd['instantiationLevels'][number] | undefined {
  return levelId === undefined ? (nsd.instantiationLevels.find((level) => level.isDefault) ?? nsd.instantiationLevels[0]) : nsd.instantiationLevels.find((level) => level.levelId === levelId);
}

/**
 * How many VNF instances of each profile an instantiation creates: as the instantiation level says (the NSD's
 * default level when none is asked for); a profile the level does not name, or any profile of an NSD without
 * levels, gets its minimum (at least one).
 */
export function instancesAtLevel(nsd: Nsd, levelId: string | undefined): Map<string, number> {
  const level = instantiationLevelOf(nsd, levelId);
  return new Map(nsd.vnfProfiles.map((profile) => [profile.profileId, level?.vnfInstances[profile.profileId] ?? Math.max(1, profile.minInstances)]));
}

/** Every VNF an instantiation at the level creates, profile by profile in NSD order. */
export function instantiationVnfs(operationId: string, nsd: Nsd, levelId: string | undefined): AddedVnf[] {
  return [...instancesAtLevel(nsd, levelId)].flatMap(([vnfProfileId, count]) => Array.from({ length: count }, (_, ordinal) => createdVnf(operationId, vnfProfileId, ordinal)));
}

/**
 * The level of each scaling aspect an NS at the instantiation level is at: for each aspect, the lowest of its
 * levels at which every profile it scales has the level's number of instances. An instantiation level no aspect
 * level matches (or that the NSD lacks) is a problem to refuse, so that later scaling starts from a known level.
 */
export function scaleStatusAtLevel(nsd: Nsd, levelId: string | undefined): { scaleStatus: NsScaleInfo[] } | { problem: string } {
  if (levelId !== undefined && instantiationLevelOf(nsd, levelId) === undefined) {
    return { problem: `the NSD has no NS instantiation level ${levelId} (it has ${nsd.instantiationLevels.map((level) => level.levelId).join(', ') || 'none'})` };
  }
  const counts = instancesAtLevel(nsd, levelId);
  const scaleStatus: NsScaleInfo[] = [];
  for (const aspect of nsd.scalingAspects) {
    const level = Array.from({ length: aspect.maxScaleLevel + 1 }, (_, candidate) => candidate).find((candidate) =>
      aspect.vnfInstances.every(({ vnfProfileId, instancesAtLevel: atLevel }) => atLevel[candidate] === counts.get(vnfProfileId)),
    );
    if (level === undefined) {
      const given = aspect.vnfInstances.map(({ vnfProfileId }) => `${vnfProfileId} ${counts.get(vnfProfileId) ?? 0}`).join(', ');
      return { problem: `NS instantiation level ${levelId ?? '(default)'} gives ${given} instance(s), which no level of scaling aspect ${aspect.aspectId} has` };
    }
    scaleStatus.push({ nsScalingAspectId: aspect.aspectId, nsScaleLevelId: String(level) });
  }
  return { scaleStatus };
}
