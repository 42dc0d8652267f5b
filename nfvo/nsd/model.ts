import type { CollectionSpec, Entity, ProblemDetails } from '../../platform/index.js';
import { usageStateOf, type KeyValuePairs, type Link, type PackageOperationalState, type PackageUsageState } from '../packages/model.js';

/** SOL 005 clause 5.5.4: the states of an NSD resource (the same words as a VNF package's). */
export type NsdOnboardingState = 'CREATED' | 'UPLOADING' | 'PROCESSING' | 'ONBOARDED';

/** How the NSD content was uploaded: one YAML file, or a zip of descriptor files. */
export type NsdContentKind = 'yaml' | 'zip';

/** An NSD resource as stored. */
export interface NsDescriptor extends Entity {
  nsdOnboardingState: NsdOnboardingState;
  nsdOperationalState: PackageOperationalState;
  userDefinedData: KeyValuePairs;
  createdAt: string;
  onboardingFailureDetails?: ProblemDetails;
  contentKind?: NsdContentKind;
  nsdId?: string;
  nsdName?: string;
  nsdVersion?: string;
  nsdDesigner?: string;
  nsdInvariantId?: string;
  /** The VNF packages holding the VNFDs the NSD references, resolved when it was onboarded. */
  vnfPkgIds: string[];
  /** What uses the NSD (NS instances): SOL 005's nsdUsageState is IN_USE while any is left. */
  usedBy: string[];
}

export const NS_DESCRIPTORS: CollectionSpec = { name: 'ns_descriptors', indexes: ['nsdOnboardingState', 'vnfPkgIds'] };

export const NS_DESCRIPTORS_PATH = '/nsd/v1/ns_descriptors';

/** SOL 005 clause 5.5.2.2 NsdInfo. */
export interface NsdInfo {
  id: string;
  nsdId?: string;
  nsdName?: string;
  nsdVersion?: string;
  nsdDesigner?: string;
  nsdInvariantId?: string;
  vnfPkgIds?: string[];
  nsdOnboardingState: NsdOnboardingState;
  onboardingFailureDetails?: ProblemDetails;
  nsdOperationalState: PackageOperationalState;
  nsdUsageState: PackageUsageState;
  userDefinedData: KeyValuePairs;
  _links: { self: Link; nsd_content: Link };
}

export function nsdInfoOf(nsd: NsDescriptor, apiRoot: string): NsdInfo {
  const self = `${apiRoot}${NS_DESCRIPTORS_PATH}/${nsd.id}`;
  const info: NsdInfo = {
    id: nsd.id,
    nsdOnboardingState: nsd.nsdOnboardingState,
    nsdOperationalState: nsd.nsdOperationalState,
    nsdUsageState: usageStateOf(nsd),
    userDefinedData: nsd.userDefinedData,
    _links: { self: { href: self }, nsd_content: { href: `${self}/nsd_content` } },
  };
  for (const key of ['nsdId', 'nsdName', 'nsdVersion', 'nsdDesigner', 'nsdInvariantId', 'onboardingFailureDetails'] as const) {
    if (nsd[key] !== undefined) Object.assign(info, { [key]: nsd[key] });
  }
  if (nsd.nsdOnboardingState === 'ONBOARDED') info.vnfPkgIds = nsd.vnfPkgIds;
  return info;
}

export const NSD_INFO_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id', 'nsdId', 'nsdName', 'nsdVersion', 'nsdDesigner', 'nsdInvariantId', 'vnfPkgIds', 'nsdOnboardingState', 'onboardingFailureDetails',
  'nsdOperationalState', 'nsdUsageState', 'userDefinedData', '_links',
]);

/** SOL 005 clause 5.4.2.3.2: the complex attributes a list leaves out unless asked for. */
export const NSD_INFO_SHAPE = { defaultExcluded: ['userDefinedData', 'onboardingFailureDetails'], mandatory: ['_links'] } as const;
