import crypto from 'node:crypto';
import { invalidInput, neutronError } from './errors.js';
import { NETWORK_TYPES, type NetworkType, type Segment } from './model.js';

export interface SegmentRange {
  min: number;
  max: number;
}

/** The segments the VIM hands out to networks created without one (Neutron ML2's `network_vlan_ranges`, `vni_ranges`). */
export interface SegmentRanges {
  vlan: SegmentRange & { physicalNetwork: string };
  /** Without it, vxlan networks are refused. */
  vxlan?: SegmentRange;
}

export const DEFAULT_SEGMENT_RANGES: SegmentRanges = { vlan: { physicalNetwork: 'physnet1', min: 100, max: 3999 } };

export interface ProviderAttributes {
  'provider:network_type'?: string;
  'provider:physical_network'?: string;
  'provider:segmentation_id'?: number;
}

/** A segment asked for: complete, or with the segmentation id still to be allocated from `range`. */
export type RequestedSegment =
  | { kind: 'given'; segment: Segment }
  | { kind: 'allocated'; networkType: 'vlan' | 'vxlan'; physicalNetwork: string | null; range: SegmentRange };

const pointerOf = (attribute: string): string => `/network/${attribute.replace(/~/g, '~0').replace(/\//g, '~1')}`;

function isNetworkType(text: string): text is NetworkType {
  return (NETWORK_TYPES as readonly string[]).includes(text);
}

export function requestedSegment(attributes: ProviderAttributes, ranges: SegmentRanges): RequestedSegment {
  const networkType = attributes['provider:network_type'] ?? 'vlan';
  const physicalNetwork = attributes['provider:physical_network'];
  const segmentationId = attributes['provider:segmentation_id'];
  if (!isNetworkType(networkType)) {
    throw invalidInput(`network type '${networkType}' is not supported: this VIM carries vlan, flat and vxlan networks`, pointerOf('provider:network_type'));
  }
  if (networkType === 'vxlan') {
    const range = ranges.vxlan;
    if (!range) throw invalidInput('vxlan networks are not enabled: no VNI range is configured', pointerOf('provider:network_type'));
    if (physicalNetwork !== undefined) throw invalidInput('a vxlan network has no physical network', pointerOf('provider:physical_network'));
    if (segmentationId === undefined) return { kind: 'allocated', networkType, physicalNetwork: null, range };
    checkInRange(segmentationId, range, 'VNI');
    return { kind: 'given', segment: { networkType, physicalNetwork: null, segmentationId } };
  }
  const physical = physicalNetwork ?? ranges.vlan.physicalNetwork;
  if (physical !== ranges.vlan.physicalNetwork) {
    throw invalidInput(`physical network '${physical}' is unknown: this VIM has '${ranges.vlan.physicalNetwork}'`, pointerOf('provider:physical_network'));
  }
  if (networkType === 'flat') {
    if (segmentationId !== undefined) throw invalidInput('a flat network has no segmentation id', pointerOf('provider:segmentation_id'));
    return { kind: 'given', segment: { networkType, physicalNetwork: physical, segmentationId: null } };
  }
  if (segmentationId === undefined) return { kind: 'allocated', networkType, physicalNetwork: physical, range: ranges.vlan };
  checkInRange(segmentationId, ranges.vlan, 'VLAN id');
  return { kind: 'given', segment: { networkType, physicalNetwork: physical, segmentationId } };
}

function checkInRange(segmentationId: number, range: SegmentRange, what: string): void {
  if (segmentationId < range.min || segmentationId > range.max) {
    throw invalidInput(`${what} ${segmentationId} is outside the range ${range.min}-${range.max}`, pointerOf('provider:segmentation_id'));
  }
}

/**
 * A free id of the range, picked at random so that concurrent creators rarely race for the same one; the
 * claim document settles any race that remains. Undefined when the range is exhausted.
 */
export function pickFreeSegmentationId(range: SegmentRange, taken: ReadonlySet<number>): number | undefined {
  const size = range.max - range.min + 1;
  if (taken.size >= size) return undefined;
  const start = crypto.randomInt(size);
  for (let offset = 0; offset < size; offset += 1) {
    const candidate = range.min + ((start + offset) % size);
    if (!taken.has(candidate)) return candidate;
  }
  return undefined;
}

export const noNetworkAvailable = () =>
  neutronError(503, 'NoNetworkAvailable', 'Unable to create the network. No tenant network is available for allocation.');

export function segmentInUse(segment: Segment) {
  switch (segment.networkType) {
    case 'vlan':
      return neutronError(409, 'VlanIdInUse', `Unable to create the network. The VLAN ${segment.segmentationId} on physical network ${segment.physicalNetwork} is in use.`);
    case 'vxlan':
      return neutronError(409, 'TunnelIdInUse', `Unable to create the network. The tunnel ID ${segment.segmentationId} is in use.`);
    case 'flat':
      return neutronError(409, 'FlatNetworkInUse', `Unable to create the flat network. Physical network ${segment.physicalNetwork} is in use.`);
  }
}
