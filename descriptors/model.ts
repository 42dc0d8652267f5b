/**
 * What the descriptors context hands the rest of the product: a VNF package read from a SOL 004 CSAR (with
 * its SOL 001 VNFD as a typed model and the EPA of every VDU normalized for the VIM), or an NSD. Reading is
 * pure: bytes in, this model or precise errors out.
 */

/** One problem in a package, located as precisely as the input allows. */
export interface DescriptorError {
  /** A stable identifier of the kind of problem, e.g. `zip-path-traversal`, `yaml-syntax`, `required-property`. */
  code: string;
  message: string;
  /** Path of the file inside the package, when the problem is in one. */
  file?: string;
  /** 1-based YAML position, when known. */
  line?: number;
  column?: number;
  /** Dotted path inside the template, e.g. `topology_template.node_templates.VDU1.capabilities.virtual_compute`. */
  path?: string;
}

export type ReadResult<T> = { ok: true; value: T; warnings: DescriptorError[] } | { ok: false; errors: DescriptorError[] };

/** How far a zip may go before it is refused (defensive reading). */
export interface CsarLimits {
  maxEntries: number;
  maxTotalUncompressedBytes: number;
  maxEntryUncompressedBytes: number;
  /** Uncompressed size over compressed size, per entry and overall. */
  maxCompressionRatio: number;
}

export const DEFAULT_CSAR_LIMITS: CsarLimits = {
  maxEntries: 2000,
  maxTotalUncompressedBytes: 512 * 1024 * 1024,
  maxEntryUncompressedBytes: 256 * 1024 * 1024,
  maxCompressionRatio: 100,
};

export interface PackageFile {
  path: string;
  size: number;
  sha256: string;
}

export interface ManifestEntry {
  source: string;
  algorithm: 'SHA-256' | 'SHA-384' | 'SHA-512';
  hash: string;
}

export interface Manifest {
  path: string;
  metadata: Record<string, string>;
  entries: ManifestEntry[];
}

/** A software image or other artifact the package carries (SOL 005 VnfPackageArtifactInfo). */
export interface PackageArtifact {
  path: string;
  checksum: { algorithm: string; hash: string };
  /** Whether the VNFD names it as a software image (sw_image_data / artifacts of a VDU). */
  isSoftwareImage: boolean;
}

export interface VnfPackageContents {
  vnfd: Vnfd;
  /** The TOSCA.meta keys, or for the variant without TOSCA-Metadata the root YAML's `metadata:` block. */
  toscaMeta: Record<string, string>;
  entryDefinitions: string;
  manifest: Manifest | undefined;
  /** Every descriptor (TOSCA YAML) file of the package, entry first: what `GET .../vnfd` returns. */
  descriptorFiles: string[];
  artifacts: PackageArtifact[];
  files: PackageFile[];
  /** The bytes of one file of the package (already checked against the limits). */
  file(path: string): Buffer | undefined;
}

export interface Vnfd {
  vnfdId: string;
  provider: string;
  productName: string;
  softwareVersion: string;
  vnfdVersion: string;
  productInfoName?: string;
  productInfoDescription?: string;
  vnfmInfo: string[];
  flavours: VnfFlavour[];
}

export interface VnfFlavour {
  flavourId: string;
  description: string;
  vdus: Vdu[];
  virtualStorages: VirtualStorage[];
  /** Internal connection points of VDUs (VduCp). */
  vduCps: VduCp[];
  extCps: VnfExtCp[];
  virtualLinks: VnfVirtualLink[];
  scalingAspects: ScalingAspect[];
  instantiationLevels: InstantiationLevel[];
  defaultInstantiationLevelId: string | undefined;
  affinityRules: PlacementRule[];
}

export interface Vdu {
  /** The node template name, as SOL 003 uses it for vduId. */
  vduId: string;
  name: string;
  description: string;
  minInstances: number;
  maxInstances: number;
  swImage: SwImage | undefined;
  storageIds: string[];
  epa: VduEpa;
  /** Instances at scale level 0 (VduInitialDelta), when the flavour declares it. */
  initialDelta?: number;
}

export interface SwImage {
  name: string;
  version: string;
  checksum: { algorithm: string; hash: string };
  containerFormat: string;
  diskFormat: string;
  minDiskGiB: number;
  minRamMiB: number;
  sizeBytes: number;
  /** Path of the image file inside the package, when it is shipped. */
  artifactPath: string | undefined;
}

export interface VirtualStorage {
  storageId: string;
  type: 'block';
  sizeGiB: number;
  swImage: SwImage | undefined;
}

export type VnicType = 'normal' | 'virtio' | 'direct' | 'direct-physical' | 'macvtap' | 'baremetal' | 'virtio-forwarder' | 'smart-nic';
export type InterfaceKind = 'virtio' | 'sriov-vf' | 'pci-passthrough' | 'vhost-user';
export type PciNumaAffinityPolicy = 'required' | 'socket' | 'preferred' | 'legacy';

export interface VduCp {
  cpId: string;
  vduId: string;
  order: number | undefined;
  vnicType: VnicType;
  bitrateRequirement: number | undefined;
  /** The VnfVirtualLink it binds to, when internal. */
  virtualLinkId: string | undefined;
}

export interface VnfExtCp {
  cpId: string;
  /** The VduCp or VnfVirtualLink it exposes. */
  internalCpId: string | undefined;
  virtualLinkId: string | undefined;
  /** The VNF's virtual link requirement (substitution mapping) this CP realizes, e.g. `virtual_link_data`. */
  requirement?: string;
}

export interface VnfVirtualLink {
  virtualLinkId: string;
  layerProtocols: string[];
  cidr: string | undefined;
}

export interface ScalingAspect {
  aspectId: string;
  name: string;
  description: string;
  maxScaleLevel: number;
  /** Per VDU, the number of instances one step adds (from VduScalingAspectDeltas). */
  deltas: Array<{ deltaId: string; vduId: string; instances: number }>;
}

export interface InstantiationLevel {
  levelId: string;
  description: string;
  /** VDU -> number of instances at this level (VduInstantiationLevels). */
  vduInstances: Record<string, number>;
  /** Aspect -> scale level at this level. */
  scaleInfo: Record<string, number>;
}

export interface PlacementRule {
  ruleId: string;
  kind: 'affinity' | 'anti-affinity';
  scope: 'nfvi-node' | 'zone' | 'zone-group' | 'nfvi-pop' | 'network-link-and-node';
  vduIds: string[];
}

/** The enhanced platform awareness of one VDU, normalized: what the VIM places by. */
export interface VduEpa {
  vcpus: number;
  memoryMiB: number;
  cpuPolicy: 'shared' | 'dedicated';
  threadPolicy: 'prefer' | 'isolate' | 'require' | undefined;
  emulatorThreadPolicy: 'share' | 'isolate' | undefined;
  /** Guest NUMA topology; undefined means no requirement. */
  numa: { nodes: Array<{ id: number; vcpus: number[] | undefined; memoryMiB: number | undefined }> } | undefined;
  pageSize: 'small' | 'large' | 'any' | '2MB' | '1GB' | undefined;
  interfaces: Array<{
    cpId: string;
    order: number | undefined;
    kind: InterfaceKind;
    physicalNetwork: string | undefined;
    numaAffinity: PciNumaAffinityPolicy | undefined;
  }>;
}

export interface Nsd {
  nsdId: string;
  designer: string;
  version: string;
  name: string;
  invariantId: string;
  flavourId: string;
  vnfProfiles: Array<{
    profileId: string;
    vnfdId: string;
    minInstances: number;
    maxInstances: number;
    flavourId: string | undefined;
    /** The VNF's instantiation level in this profile (SOL 001 VnfProfile.instantiation_level). */
    instantiationLevelId?: string | undefined;
    /** The NS virtual links the VNF connects to, by the requirement (of its VNF node) that names them. */
    virtualLinkConnectivity?: Array<{ requirement: string; virtualLinkId: string }>;
  }>;
  virtualLinks: Array<{ virtualLinkId: string; layerProtocols: string[] }>;
  saps: Array<{ sapId: string; virtualLinkId: string | undefined }>;
  vnffgs: Vnffg[];
  /** The aspects the NS scales by (NsScalingAspects with their VnfToLevelMapping policies). */
  scalingAspects: NsScalingAspect[];
  /** The NS instantiation levels (NsInstantiationLevels with their VnfToInstantiationLevelMapping policies), the default first. */
  instantiationLevels: NsInstantiationLevel[];
  /** Every descriptor file of the NSD, entry first. */
  descriptorFiles: string[];
}

/** An aspect an NS scales by horizontally (SOL 001 NsScalingAspect): its levels run from 0 to `maxScaleLevel`. */
export interface NsScalingAspect {
  aspectId: string;
  name: string;
  description: string;
  maxScaleLevel: number;
  /** The VNF profiles the aspect scales, with their number of instances at each level (index = level). */
  vnfInstances: Array<{ vnfProfileId: string; instancesAtLevel: number[] }>;
}

/** An NS instantiation level: VNF profile -> number of instances (profiles it does not name keep their minimum). */
export interface NsInstantiationLevel {
  levelId: string;
  description: string;
  isDefault: boolean;
  vnfInstances: Record<string, number>;
}

/** A VNF forwarding graph as an ordered chain intent: what SFC compiles. */
export interface Vnffg {
  vnffgId: string;
  nfps: Array<{
    nfpId: string;
    /** In chain order. */
    hops: Array<{
      positionId: string;
      forwardingBehaviour: 'all' | 'lb' | 'ff';
      elements: Array<{ vnfProfileId: string | undefined; sapId: string | undefined; ingressCp: string | undefined; egressCp: string | undefined }>;
    }>;
    classifiers: NfpRule[];
  }>;
}

/** One match of an NfpRule (SOL 001 tosca.datatypes.nfv.NfpRule). */
export interface NfpRule {
  etherType: 'ipv4' | 'ipv6' | undefined;
  protocol: number | undefined;
  sourceIp: string | undefined;
  destinationIp: string | undefined;
  sourcePortRange: { min: number; max: number } | undefined;
  destinationPortRange: { min: number; max: number } | undefined;
}
