import { isExternalSource, matchesChecksumData, packagePath } from './checksum.js';
import { buildEpa } from './epa.js';
import type {
  InstantiationLevel,
  PlacementRule,
  ScalingAspect,
  SwImage,
  Vdu,
  VduCp,
  VirtualStorage,
  VnicType,
  VnfExtCp,
  VnfFlavour,
  Vnfd,
  VnfVirtualLink,
} from './model.js';
import type { Problems, Site } from './problems.js';
import { GIB, MIB, parseScalar } from './scalar.js';
import type { ServiceTemplate } from './service-template.js';
import { read, type Value } from './tosca-values.js';
import { hasSubstitution, readTopology, type NodeTemplate, type PolicyTemplate, type Topology } from './topology.js';
import { child, descend } from './yaml-tree.js';

/**
 * The VNFD model from a service template: the VNF node (in the top-level template, as Tacker and the ETSI
 * examples write it, or in a single-file VNFD), and one deployment flavour per topology template that
 * substitutes it (each in its own file, selected by `substitution_mappings.properties.flavour_id`).
 */
const NFV_TYPES = {
  vnf: 'tosca.nodes.nfv.VNF',
  vdu: 'tosca.nodes.nfv.Vdu.Compute',
  blockStorage: 'tosca.nodes.nfv.Vdu.VirtualBlockStorage',
  vduCp: 'tosca.nodes.nfv.VduCp',
  extCp: 'tosca.nodes.nfv.VnfExtCp',
  virtualLink: 'tosca.nodes.nfv.VnfVirtualLink',
  swImage: 'tosca.artifacts.nfv.SwImage',
  placementGroup: 'tosca.groups.nfv.PlacementGroup',
  scalingAspects: 'tosca.policies.nfv.ScalingAspects',
  vduScalingAspectDeltas: 'tosca.policies.nfv.VduScalingAspectDeltas',
  instantiationLevels: 'tosca.policies.nfv.InstantiationLevels',
  vduInstantiationLevels: 'tosca.policies.nfv.VduInstantiationLevels',
  vduInitialDelta: 'tosca.policies.nfv.VduInitialDelta',
  affinityRule: 'tosca.policies.nfv.AffinityRule',
  antiAffinityRule: 'tosca.policies.nfv.AntiAffinityRule',
} as const;

const PLACEMENT_SCOPES: Readonly<Record<string, PlacementRule['scope']>> = {
  nfvi_node: 'nfvi-node',
  zone: 'zone',
  zone_group: 'zone-group',
  nfvi_pop: 'nfvi-pop',
  network_link_and_node: 'network-link-and-node',
};

export interface VnfdReading {
  vnfd: Vnfd;
  /** Package paths of the software images the VDUs and storages name. */
  softwareImages: Set<string>;
}

export function buildVnfd(template: ServiceTemplate, files: ReadonlyMap<string, Buffer>, problems: Problems): VnfdReading | undefined {
  const { registry } = template;
  const isA = (node: NodeTemplate, type: string) => node.typed && registry.isA('node', node.type, type);
  const vnfNodesOf = (topology: Topology) => [...topology.nodes.values()].filter((node) => isA(node, NFV_TYPES.vnf));

  const top = readTopology(template.entry, template, problems);
  const topVnfNodes = vnfNodesOf(top);
  for (const extra of topVnfNodes.slice(1)) {
    problems.error('vnf-node-multiple', `${extra.name} is a second VNF node; a VNFD describes one VNF (the first is ${topVnfNodes[0]?.name})`, extra.located.site);
  }
  const topVnf = topVnfNodes[0];
  const flavourDocuments = template.documents.filter((document) => document !== template.entry && document.fromPackage && hasSubstitution(document));
  const flavourTopologies = flavourDocuments.length > 0 ? flavourDocuments.map((document) => readTopology(document, template, problems, topVnf?.properties ?? {})) : [top];

  const softwareImages = new Set<string>();
  const flavours: VnfFlavour[] = [];
  const flavourVnfs = flavourTopologies.map((topology) => vnfNodesOf(topology)[0]);
  flavourTopologies.forEach((topology, index) => {
    const flavourVnf = flavourVnfs[index];
    const substitution = topology.substitution;
    if (substitution && topVnf?.typed && !registry.isA('node', topVnf.type, substitution.nodeType) && !registry.isA('node', substitution.nodeType, topVnf.type)) {
      problems.error('substitution-node-type', `this flavour substitutes ${substitution.nodeType}, but the VNF node ${topVnf.name} is a ${topVnf.type}`, child(substitution.located, 'node_type').site);
    }
    const flavourId = read.text(substitution?.properties['flavour_id']) ?? read.text(flavourVnf?.properties['flavour_id']) ?? read.text(topVnf?.properties['flavour_id']);
    if (flavourId === undefined) {
      problems.error('flavour-id-missing', 'this deployment flavour has no flavour_id: set substitution_mappings.properties.flavour_id or the VNF node\'s flavour_id', topology.located.site);
      return;
    }
    if (flavours.some((flavour) => flavour.flavourId === flavourId)) {
      problems.error('flavour-duplicate', `flavour ${flavourId} is defined more than once`, topology.located.site);
      return;
    }
    const description = read.text(flavourVnf?.properties['flavour_description']) ?? read.text(topVnf?.properties['flavour_description']) ?? '';
    flavours.push(new FlavourReader(topology, template, files, problems, softwareImages).read(flavourId, description));
  });

  if (!topVnf && flavourVnfs.every((node) => node === undefined)) {
    problems.error('vnf-node-missing', 'no node template of a type derived from tosca.nodes.nfv.VNF describes the VNF', top.located.site);
    return undefined;
  }
  // The identity is the top-level VNF node's; the flavours' own VNF nodes fill what it leaves out, the first flavour first.
  const identity: Record<string, Value> = Object.assign({}, ...[...flavourVnfs].reverse().map((node) => node?.properties ?? {}), topVnf?.properties ?? {});
  const text = (name: string) => read.text(identity[name]) ?? '';
  const vnfd: Vnfd = {
    vnfdId: text('descriptor_id'),
    provider: text('provider'),
    productName: text('product_name'),
    softwareVersion: text('software_version'),
    vnfdVersion: text('descriptor_version'),
    vnfmInfo: read.list(identity['vnfm_info']).flatMap((entry) => read.text(entry) ?? []),
    flavours,
  };
  const productInfoName = read.text(identity['product_info_name']);
  const productInfoDescription = read.text(identity['product_info_description']);
  if (productInfoName !== undefined) vnfd.productInfoName = productInfoName;
  if (productInfoDescription !== undefined) vnfd.productInfoDescription = productInfoDescription;
  return { vnfd, softwareImages };
}

/** One deployment flavour: its VDUs, storage, connection points, links and policies. */
class FlavourReader {
  private readonly nodes: NodeTemplate[];

  constructor(
    private readonly topology: Topology,
    private readonly template: ServiceTemplate,
    private readonly files: ReadonlyMap<string, Buffer>,
    private readonly problems: Problems,
    private readonly softwareImages: Set<string>,
  ) {
    this.nodes = [...topology.nodes.values()];
  }

  read(flavourId: string, description: string): VnfFlavour {
    const vduCps = this.ofType(NFV_TYPES.vduCp).flatMap((node) => this.vduCp(node) ?? []);
    const scalingAspects = this.scalingAspects();
    const levels = this.instantiationLevels();
    const vdus = this.ofType(NFV_TYPES.vdu).map((node) =>
      this.vdu(
        node,
        this.ofType(NFV_TYPES.vduCp).filter((cp) => cp.requirements.some((requirement) => requirement.name === 'virtual_binding' && requirement.node === node.name)),
      ),
    );
    return {
      flavourId,
      description,
      vdus,
      virtualStorages: this.ofType(NFV_TYPES.blockStorage).map((node) => this.storage(node)),
      vduCps,
      extCps: this.extCps(),
      virtualLinks: this.ofType(NFV_TYPES.virtualLink).map((node) => this.virtualLink(node)),
      scalingAspects,
      instantiationLevels: levels.levels,
      defaultInstantiationLevelId: levels.defaultLevelId,
      affinityRules: this.placementRules(),
    };
  }

  private ofType(type: string): NodeTemplate[] {
    return this.nodes.filter((node) => this.isA(node, type));
  }

  private isA(node: NodeTemplate | undefined, type: string): boolean {
    return node !== undefined && node.typed && this.template.registry.isA('node', node.type, type);
  }

  private policies(type: string): PolicyTemplate[] {
    return this.topology.policies.filter((policy) => this.template.registry.isA('policy', policy.type, type));
  }

  private target(node: NodeTemplate, requirement: string): string | undefined {
    return node.requirements.find((assignment) => assignment.name === requirement)?.node;
  }

  private vdu(node: NodeTemplate, cps: NodeTemplate[]): Vdu {
    const profile = read.record(node.properties['vdu_profile']);
    const minInstances = read.integer(profile['min_number_of_instances']) ?? 1;
    const maxInstances = read.integer(profile['max_number_of_instances']) ?? minInstances;
    if (minInstances > maxInstances) {
      this.problems.error('vdu-profile-range', `vdu_profile.min_number_of_instances (${minInstances}) is greater than max_number_of_instances (${maxInstances})`, this.siteOf(node, ['properties', 'vdu_profile']));
    }
    const vdu: Vdu = {
      vduId: node.name,
      name: read.text(node.properties['name']) ?? node.name,
      description: read.text(node.properties['description']) ?? '',
      minInstances,
      maxInstances,
      swImage: this.swImage(node),
      storageIds: node.requirements.filter((requirement) => requirement.name === 'virtual_storage').flatMap((requirement) => requirement.node ?? []),
      epa: buildEpa(node, cps, this.problems),
    };
    const initialDelta = this.policies(NFV_TYPES.vduInitialDelta).find((policy) => policy.targets.includes(node.name));
    const initialInstances = read.integer(read.at(initialDelta?.properties['initial_delta'], 'number_of_instances'));
    if (initialInstances !== undefined) vdu.initialDelta = initialInstances;
    return vdu;
  }

  private storage(node: NodeTemplate): VirtualStorage {
    const size = parseScalar('scalar-unit.size', read.text(read.at(node.properties['virtual_block_storage_data'], 'size_of_storage')) ?? '') ?? 0;
    return { storageId: node.name, type: 'block', sizeGiB: Math.ceil(size / GIB), swImage: this.swImage(node) };
  }

  /** sw_image_data with the image file its artifact ships (checked against the checksum it declares). */
  private swImage(node: NodeTemplate): SwImage | undefined {
    const data = node.properties['sw_image_data'];
    if (data === undefined) return undefined;
    const size = (name: string) => parseScalar('scalar-unit.size', read.text(read.at(data, name)) ?? '') ?? 0;
    const checksum = { algorithm: read.text(read.at(data, 'checksum', 'algorithm')) ?? '', hash: read.text(read.at(data, 'checksum', 'hash')) ?? '' };
    const artifact = node.artifacts.find((candidate) =>
      candidate.type === undefined ? true : this.template.registry.isA('artifact', candidate.type, NFV_TYPES.swImage),
    );
    let artifactPath: string | undefined;
    if (artifact?.file !== undefined) {
      artifactPath = this.artifactPath(artifact.file, artifact.site);
      const bytes = artifactPath === undefined ? undefined : this.files.get(artifactPath);
      if (artifactPath !== undefined && bytes) {
        this.softwareImages.add(artifactPath);
        if (matchesChecksumData(checksum.algorithm, checksum.hash, bytes) === false) {
          this.problems.error('sw-image-checksum', `${artifactPath} does not have the ${checksum.algorithm} checksum sw_image_data declares`, this.siteOf(node, ['properties', 'sw_image_data', 'checksum', 'hash']));
        }
      }
    }
    return {
      name: read.text(read.at(data, 'name')) ?? '',
      version: read.text(read.at(data, 'version')) ?? '',
      checksum,
      containerFormat: read.text(read.at(data, 'container_format')) ?? '',
      diskFormat: read.text(read.at(data, 'disk_format')) ?? '',
      minDiskGiB: Math.ceil(size('min_disk') / GIB),
      minRamMiB: Math.ceil(size('min_ram') / MIB),
      sizeBytes: Math.round(size('size')),
      artifactPath,
    };
  }

  /**
   * An artifact file: relative to the template that names it (`../Files/images/x.img`), or failing that to
   * the package root; URLs are external images the VIM fetches.
   */
  private artifactPath(file: string, site: Site): string | undefined {
    if (isExternalSource(file)) return undefined;
    const directory = this.topology.document.file.split('/').slice(0, -1).join('/');
    const relative = packagePath(file, directory);
    const fromRoot = packagePath(file);
    if (relative === undefined && fromRoot === undefined) {
      this.problems.error('artifact-outside-package', `artifact ${file} climbs out of the package`, site);
      return undefined;
    }
    const found = [relative, fromRoot].find((path) => path !== undefined && this.files.has(path));
    if (found === undefined) this.problems.error('artifact-missing', `artifact ${file} is not in the package (looked for ${relative ?? fromRoot})`, site);
    return found;
  }

  private vduCp(node: NodeTemplate): VduCp | undefined {
    const vduId = this.target(node, 'virtual_binding');
    if (vduId === undefined) {
      this.problems.error('requirement-missing', `VduCp ${node.name} is bound to no VDU: add the requirement "virtual_binding: <VDU>"`, node.located.site);
      return undefined;
    }
    const link = this.target(node, 'virtual_link');
    return {
      cpId: node.name,
      vduId,
      order: read.integer(node.properties['order']),
      vnicType: (read.text(node.properties['vnic_type']) ?? 'normal') as VnicType,
      bitrateRequirement: read.integer(node.properties['bitrate_requirement']),
      virtualLinkId: this.isA(this.topology.nodes.get(link ?? ''), NFV_TYPES.virtualLink) ? link : undefined,
    };
  }

  /** VnfExtCp nodes, and VduCps the flavour exposes directly through its substitution requirement mappings. */
  private extCps(): VnfExtCp[] {
    const extCps: VnfExtCp[] = this.ofType(NFV_TYPES.extCp).map((node) => ({
      cpId: node.name,
      internalCpId: undefined,
      virtualLinkId: this.target(node, 'internal_virtual_link'),
    }));
    for (const mapping of this.topology.substitution?.requirements ?? []) {
      const node = this.topology.nodes.get(mapping.node);
      const mapped = extCps.find((cp) => cp.cpId === mapping.node);
      if (mapped) mapped.requirement ??= mapping.name;
      else if (this.isA(node, NFV_TYPES.vduCp)) extCps.push({ cpId: mapping.node, internalCpId: mapping.node, virtualLinkId: undefined, requirement: mapping.name });
    }
    return extCps;
  }

  private virtualLink(node: NodeTemplate): VnfVirtualLink {
    const protocolData = read.list(read.at(node.properties['vl_profile'], 'virtual_link_protocol_data'));
    const cidr = protocolData.map((data) => read.text(read.at(data, 'l3_protocol_data', 'cidr'))).find((value) => value !== undefined);
    return {
      virtualLinkId: node.name,
      layerProtocols: read.list(read.at(node.properties['connectivity_type'], 'layer_protocols')).flatMap((protocol) => read.text(protocol) ?? []),
      cidr,
    };
  }

  private scalingAspects(): ScalingAspect[] {
    const aspects: ScalingAspect[] = [];
    for (const policy of this.policies(NFV_TYPES.scalingAspects)) {
      for (const [aspectId, aspect] of Object.entries(read.record(policy.properties['aspects']))) {
        aspects.push({
          aspectId,
          name: read.text(read.at(aspect, 'name')) ?? aspectId,
          description: read.text(read.at(aspect, 'description')) ?? '',
          maxScaleLevel: read.integer(read.at(aspect, 'max_scale_level')) ?? 0,
          deltas: [],
        });
      }
    }
    for (const policy of this.policies(NFV_TYPES.vduScalingAspectDeltas)) {
      const aspectId = read.text(policy.properties['aspect']) ?? '';
      const aspect = aspects.find((candidate) => candidate.aspectId === aspectId);
      if (!aspect) {
        this.problems.error('unknown-aspect', `${policy.name} names the aspect ${aspectId}, which ScalingAspects does not declare`, child(child(policy.located, 'properties'), 'aspect').site);
        continue;
      }
      const stepDeltas = this.stepDeltas(aspectId);
      for (const [deltaId, delta] of Object.entries(read.record(policy.properties['deltas']))) {
        if (stepDeltas && !stepDeltas.includes(deltaId)) {
          this.problems.error('unknown-delta', `delta ${deltaId} is not one of the step_deltas of aspect ${aspectId} (${stepDeltas.join(', ')})`, child(child(child(policy.located, 'properties'), 'deltas'), deltaId).site);
        }
        for (const vduId of policy.targets) aspect.deltas.push({ deltaId, vduId, instances: read.integer(read.at(delta, 'number_of_instances')) ?? 0 });
      }
    }
    return aspects;
  }

  private stepDeltas(aspectId: string): string[] | undefined {
    for (const policy of this.policies(NFV_TYPES.scalingAspects)) {
      const steps = read.at(policy.properties['aspects'], aspectId, 'step_deltas');
      if (steps !== undefined) return read.list(steps).flatMap((step) => read.text(step) ?? []);
    }
    return undefined;
  }

  private instantiationLevels(): { levels: InstantiationLevel[]; defaultLevelId: string | undefined } {
    const levels: InstantiationLevel[] = [];
    let defaultLevelId: string | undefined;
    for (const policy of this.policies(NFV_TYPES.instantiationLevels)) {
      for (const [levelId, level] of Object.entries(read.record(policy.properties['levels']))) {
        const scaleInfo: Record<string, number> = {};
        for (const [aspectId, info] of Object.entries(read.record(read.at(level, 'scale_info')))) scaleInfo[aspectId] = read.integer(read.at(info, 'scale_level')) ?? 0;
        levels.push({ levelId, description: read.text(read.at(level, 'description')) ?? '', vduInstances: {}, scaleInfo });
      }
      const declared = read.text(policy.properties['default_level']);
      if (declared !== undefined && !levels.some((level) => level.levelId === declared)) {
        this.problems.error('unknown-instantiation-level', `default_level ${declared} is not one of the levels`, child(child(policy.located, 'properties'), 'default_level').site);
      }
      defaultLevelId = declared ?? defaultLevelId;
    }
    if (defaultLevelId === undefined && levels.length === 1) defaultLevelId = levels[0]?.levelId;
    for (const policy of this.policies(NFV_TYPES.vduInstantiationLevels)) {
      for (const [levelId, level] of Object.entries(read.record(policy.properties['levels']))) {
        const known = levels.find((candidate) => candidate.levelId === levelId);
        if (!known) {
          this.problems.error('unknown-instantiation-level', `${policy.name} names the level ${levelId}, which InstantiationLevels does not declare`, child(child(child(policy.located, 'properties'), 'levels'), levelId).site);
          continue;
        }
        for (const vduId of policy.targets) known.vduInstances[vduId] = read.integer(read.at(level, 'number_of_instances')) ?? 0;
      }
    }
    return { levels, defaultLevelId };
  }

  private placementRules(): PlacementRule[] {
    const kinds: Array<[string, PlacementRule['kind']]> = [
      [NFV_TYPES.affinityRule, 'affinity'],
      [NFV_TYPES.antiAffinityRule, 'anti-affinity'],
    ];
    return kinds.flatMap(([type, kind]) =>
      this.policies(type).map((policy) => ({
        ruleId: policy.name,
        kind,
        scope: PLACEMENT_SCOPES[read.text(policy.properties['scope']) ?? ''] ?? 'nfvi-node',
        vduIds: policy.targets.flatMap((target) => this.placementVdus(policy, target)),
      })),
    );
  }

  /** The VDUs a placement target stands for: a VDU, or the VDUs of a PlacementGroup. */
  private placementVdus(policy: PolicyTemplate, target: string): string[] {
    const group = this.topology.groups.get(target);
    const members = group ? group.members : [target];
    return members.filter((member) => {
      if (this.isA(this.topology.nodes.get(member), NFV_TYPES.vdu)) return true;
      this.problems.warn('placement-target', `${policy.name} applies to ${member}, which is not a VDU; only VDUs are placed by rules`, child(policy.located, 'targets').site);
      return false;
    });
  }

  /** The place of a value inside a node template, reported against the node template. */
  private siteOf(node: NodeTemplate, keys: readonly string[]): Site {
    return { ...descend(node.located, keys).site, path: node.located.site.path };
  }
}
