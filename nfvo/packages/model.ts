import type { Entity, ProblemDetails } from '../../platform/index.js';

/** SOL 005 clause 9.5.4: the states of a VNF package. */
export type PackageOnboardingState = 'CREATED' | 'UPLOADING' | 'PROCESSING' | 'ONBOARDED';
export type PackageOperationalState = 'ENABLED' | 'DISABLED';
export type PackageUsageState = 'IN_USE' | 'NOT_IN_USE';

export type KeyValuePairs = Record<string, unknown>;

export interface Checksum {
  algorithm: string;
  hash: string;
}

export interface VnfPackageSoftwareImageInfo {
  id: string;
  name: string;
  provider: string;
  version: string;
  checksum: Checksum;
  /** Always false: SOL 004 encrypted artifacts are not supported. */
  isEncrypted: boolean;
  containerFormat: string;
  diskFormat: string;
  createdAt: string;
  minDisk: number;
  minRam: number;
  size: number;
  imagePath?: string;
}

export interface VnfPackageArtifactInfo {
  artifactPath: string;
  checksum: Checksum;
}

/** What onboarding learnt about the stored archive, to serve its parts without reading the VNFD again. */
export interface PackageContentIndex {
  sizeBytes: number;
  /** The VNFD files, entry first (SOL 005 `GET .../vnfd`). */
  descriptorFiles: string[];
  toscaMetaFile: string | undefined;
  manifestFile: string | undefined;
  /** The files SOL 005 lets clients fetch one by one (`GET .../artifacts/{artifactPath}`). */
  artifactPaths: string[];
}

/** The VnfPkgInfo attributes onboarding learns from the package (absent before). */
export interface OnboardedFacts {
  vnfdId?: string;
  vnfProvider?: string;
  vnfProductName?: string;
  vnfSoftwareVersion?: string;
  vnfdVersion?: string;
  checksum?: Checksum;
  softwareImages?: VnfPackageSoftwareImageInfo[];
  additionalArtifacts?: VnfPackageArtifactInfo[];
}

/** A VNF package as stored: the SOL 005 VnfPkgInfo attributes plus what the NFVO needs to serve and guard it. */
export interface VnfPackage extends Entity, OnboardedFacts {
  onboardingState: PackageOnboardingState;
  operationalState: PackageOperationalState;
  userDefinedData: KeyValuePairs;
  createdAt: string;
  onboardingFailureDetails?: ProblemDetails;
  content?: PackageContentIndex;
  /** NSDs (NsdInfo ids) onboarded with a reference to this package: while any is left, the package cannot go. */
  referencedByNsds: string[];
  /** What uses the package (NS or VNF instances): SOL 005's usageState is IN_USE while any is left. */
  usedBy: string[];
}

export interface Link {
  href: string;
}

/** SOL 005 clause 9.5.2.5 VnfPkgInfo. */
export interface VnfPkgInfo extends OnboardedFacts {
  id: string;
  onboardingState: PackageOnboardingState;
  operationalState: PackageOperationalState;
  usageState: PackageUsageState;
  userDefinedData: KeyValuePairs;
  onboardingFailureDetails?: ProblemDetails;
  _links: { self: Link; vnfd?: Link; packageContent: Link };
}

export const VNF_PACKAGES_PATH = '/vnfpkgm/v1/vnf_packages';

/** SOL 005 usage state of a VNF package or an NSD: IN_USE while any NS or VNF instance uses it. */
export function usageStateOf(resource: { usedBy: readonly string[] }): PackageUsageState {
  return resource.usedBy.length > 0 ? 'IN_USE' : 'NOT_IN_USE';
}

/** `apiRoot` is scheme and authority, e.g. `http://127.0.0.1:9890`. */
export function vnfPkgInfoOf(pkg: VnfPackage, apiRoot: string): VnfPkgInfo {
  const self = `${apiRoot}${VNF_PACKAGES_PATH}/${pkg.id}`;
  const info: VnfPkgInfo = {
    id: pkg.id,
    onboardingState: pkg.onboardingState,
    operationalState: pkg.operationalState,
    usageState: usageStateOf(pkg),
    userDefinedData: pkg.userDefinedData,
    _links: { self: { href: self }, packageContent: { href: `${self}/package_content` } },
  };
  const optional = ['vnfdId', 'vnfProvider', 'vnfProductName', 'vnfSoftwareVersion', 'vnfdVersion', 'checksum', 'softwareImages', 'additionalArtifacts', 'onboardingFailureDetails'] as const;
  for (const key of optional) {
    if (pkg[key] !== undefined) Object.assign(info, { [key]: pkg[key] });
  }
  if (pkg.onboardingState === 'ONBOARDED') info._links.vnfd = { href: `${self}/vnfd` };
  return info;
}

/** Attribute names of VnfPkgInfo, for refusing filters on attributes the resource does not have. */
export const VNF_PKG_INFO_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id', 'vnfdId', 'vnfProvider', 'vnfProductName', 'vnfSoftwareVersion', 'vnfdVersion', 'checksum', 'softwareImages',
  'additionalArtifacts', 'onboardingState', 'operationalState', 'usageState', 'userDefinedData', 'onboardingFailureDetails', '_links',
]);

/** SOL 005 clause 9.4.2.3.2: the complex attributes a list leaves out unless asked for. */
export const VNF_PKG_INFO_SHAPE = {
  defaultExcluded: ['softwareImages', 'additionalArtifacts', 'userDefinedData', 'checksum', 'onboardingFailureDetails'],
  mandatory: ['_links'],
} as const;
