import net from 'node:net';
import type { Nsd, NfpRule, NsInstantiationLevel, NsScalingAspect, Vnffg } from './model.js';
import type { Problems, Site } from './problems.js';
import type { ServiceTemplate } from './service-template.js';
import { read, type Value } from './tosca-values.js';
import { readTopology, type NodeTemplate, type PolicyTemplate, type Topology } from './topology.js';
import { child } from './yaml-tree.js';

/**
 * The NSD model from a service template: the NS node, the VNFs (node templates of types derived from
 * tosca.nodes.nfv.VNF, often the VNF-specific types of the VNFDs the NSD imports), NS virtual links, SAPs,
 * and each VNFFG as ordered forwarding paths with their classifiers. Whether the VNFDs are onboarded is for
 * the caller to check.
 */
const NSD_TYPES = {
  ns: 'tosca.nodes.nfv.NS',
  vnf: 'tosca.nodes.nfv.VNF',
  virtualLink: 'tosca.nodes.nfv.NsVirtualLink',
  sap: 'tosca.nodes.nfv.Sap',
  nfp: 'tosca.nodes.nfv.NFP',
  nfpPosition: 'tosca.nodes.nfv.NfpPosition',
  nfpPositionElement: 'tosca.nodes.nfv.NfpPositionElement',
  vnffg: 'tosca.groups.nfv.VNFFG',
  nfpRule: 'tosca.policies.nfv.NfpRule',
  scalingAspects: 'tosca.policies.nfv.NsScalingAspects',
  vnfToLevelMapping: 'tosca.policies.nfv.VnfToLevelMapping',
  instantiationLevels: 'tosca.policies.nfv.NsInstantiationLevels',
  vnfToInstantiationLevelMapping: 'tosca.policies.nfv.VnfToInstantiationLevelMapping',
} as const;

/** IANA protocol numbers of the keywords NfpRule.protocol is written with. */
const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132 };

const FORWARDING_BEHAVIOURS = new Set(['all', 'lb', 'ff']);

export function buildNsd(template: ServiceTemplate, problems: Problems): Omit<Nsd, 'descriptorFiles'> | undefined {
  const topology = readTopology(template.entry, template, problems);
  const reader = new NsdReader(topology, template, problems);
  const nsNodes = reader.ofType(NSD_TYPES.ns);
  const ns = nsNodes[0];
  for (const extra of nsNodes.slice(1)) problems.error('ns-node-multiple', `${extra.name} is a second NS node; an NSD describes one NS`, extra.located.site);
  if (!ns) {
    problems.error('ns-node-missing', 'no node template of a type derived from tosca.nodes.nfv.NS describes the NS', topology.located.site);
    return undefined;
  }
  const text = (name: string) => read.text(ns.properties[name]) ?? '';
  const vnfProfiles = reader.vnfProfiles();
  return {
    nsdId: text('descriptor_id'),
    designer: text('designer'),
    version: text('version'),
    name: text('name'),
    invariantId: text('invariant_id'),
    flavourId: text('flavour_id'),
    vnfProfiles,
    virtualLinks: reader.ofType(NSD_TYPES.virtualLink).map((node) => ({
      virtualLinkId: node.name,
      layerProtocols: read.list(read.at(node.properties['connectivity_type'], 'layer_protocols')).flatMap((protocol) => read.text(protocol) ?? []),
    })),
    saps: reader.ofType(NSD_TYPES.sap).map((node) => ({ sapId: node.name, virtualLinkId: reader.linkOf(node, ['internal_virtual_link', 'external_virtual_link']) })),
    vnffgs: reader.vnffgs(),
    scalingAspects: reader.scalingAspects(vnfProfiles),
    instantiationLevels: reader.instantiationLevels(vnfProfiles),
  };
}

class NsdReader {
  constructor(
    private readonly topology: Topology,
    private readonly template: ServiceTemplate,
    private readonly problems: Problems,
  ) {}

  ofType(type: string): NodeTemplate[] {
    return [...this.topology.nodes.values()].filter((node) => this.isA(node, type));
  }

  private isA(node: NodeTemplate | undefined, type: string): boolean {
    return node !== undefined && node.typed && this.template.registry.isA('node', node.type, type);
  }

  /** The NS virtual link a node's requirement (the first of `names` it has) points at. */
  linkOf(node: NodeTemplate, names: readonly string[]): string | undefined {
    for (const name of names) {
      const target = node.requirements.find((requirement) => requirement.name === name)?.node;
      if (this.isA(this.topology.nodes.get(target ?? ''), NSD_TYPES.virtualLink)) return target;
    }
    return undefined;
  }

  vnfProfiles(): Nsd['vnfProfiles'] {
    return this.ofType(NSD_TYPES.vnf).map((node) => {
      const profile = read.record(node.properties['vnf_profile']);
      const minInstances = read.integer(profile['min_number_of_instances']) ?? 1;
      const connectivity = node.requirements.flatMap((requirement) =>
        requirement.node !== undefined && this.isA(this.topology.nodes.get(requirement.node), NSD_TYPES.virtualLink)
          ? [{ requirement: requirement.name, virtualLinkId: requirement.node }]
          : [],
      );
      return {
        profileId: node.name,
        vnfdId: read.text(node.properties['descriptor_id']) ?? '',
        minInstances,
        maxInstances: read.integer(profile['max_number_of_instances']) ?? minInstances,
        flavourId: read.text(node.properties['flavour_id']),
        instantiationLevelId: read.text(profile['instantiation_level']),
        virtualLinkConnectivity: connectivity,
      };
    });
  }

  private policies(type: string): PolicyTemplate[] {
    return this.topology.policies.filter((policy) => this.template.registry.isA('policy', policy.type, type));
  }

  private propertySite(policy: PolicyTemplate, ...path: string[]): Site {
    return path.reduce((located, name) => child(located, name), child(policy.located, 'properties')).site;
  }

  /**
   * NsScalingAspects with the VnfToLevelMapping policies of each aspect: per VNF profile, its instances at
   * every level from 0 to the aspect's highest (a level left out would leave the count undefined), within
   * the profile's min and max number of instances. A profile follows one aspect, so its count is never in
   * question.
   */
  scalingAspects(profiles: Nsd['vnfProfiles']): NsScalingAspect[] {
    const aspects: NsScalingAspect[] = [];
    for (const policy of this.policies(NSD_TYPES.scalingAspects)) {
      for (const [aspectId, aspect] of Object.entries(read.record(policy.properties['aspects']))) {
        const levels = Object.keys(read.record(read.at(aspect, 'ns_scale_levels'))).map(Number);
        const maxScaleLevel = Math.max(0, ...levels);
        const missing = Array.from({ length: maxScaleLevel + 1 }, (_, level) => level).filter((level) => !levels.includes(level));
        if (missing.length > 0) this.problems.error('ns-scale-levels', `aspect ${aspectId} has levels up to ${maxScaleLevel} but not ${missing.join(', ')}; levels run from 0 without gaps`, this.propertySite(policy, 'aspects', aspectId, 'ns_scale_levels'));
        aspects.push({ aspectId, name: read.text(read.at(aspect, 'name')) ?? aspectId, description: read.text(read.at(aspect, 'description')) ?? '', maxScaleLevel, vnfInstances: [] });
      }
    }
    const scaledBy = new Map<string, string>();
    for (const policy of this.policies(NSD_TYPES.vnfToLevelMapping)) {
      const aspectId = read.text(policy.properties['aspect']) ?? '';
      const aspect = aspects.find((candidate) => candidate.aspectId === aspectId);
      if (!aspect) {
        this.problems.error('unknown-aspect', `${policy.name} names the aspect ${aspectId}, which NsScalingAspects does not declare`, this.propertySite(policy, 'aspect'));
        continue;
      }
      const counts = read.record(policy.properties['number_of_instances']);
      const instancesAtLevel: number[] = [];
      for (let level = 0; level <= aspect.maxScaleLevel; level += 1) {
        const count = read.integer(counts[String(level)]);
        if (count === undefined) this.problems.error('ns-scale-levels', `${policy.name} gives no number of instances for level ${level} of aspect ${aspectId}`, this.propertySite(policy, 'number_of_instances'));
        instancesAtLevel.push(count ?? 0);
      }
      for (const level of Object.keys(counts).map(Number).filter((level) => level > aspect.maxScaleLevel)) {
        this.problems.error('ns-scale-levels', `${policy.name} maps level ${level}, beyond the highest level ${aspect.maxScaleLevel} of aspect ${aspectId}`, this.propertySite(policy, 'number_of_instances', String(level)));
      }
      for (const vnfProfileId of policy.targets) {
        const profile = profiles.find((candidate) => candidate.profileId === vnfProfileId);
        const other = scaledBy.get(vnfProfileId);
        if (other !== undefined && other !== aspectId) this.problems.error('ns-scale-levels', `VNF ${vnfProfileId} is scaled by aspects ${other} and ${aspectId}; a VNF profile follows one aspect`, policy.located.site);
        scaledBy.set(vnfProfileId, aspectId);
        if (profile && instancesAtLevel.some((count) => count < profile.minInstances || count > profile.maxInstances)) {
          this.problems.error('ns-scale-levels', `${policy.name} gives VNF ${vnfProfileId} ${instancesAtLevel.join(', ')} instances at levels 0..${aspect.maxScaleLevel}, outside its profile's ${profile.minInstances}..${profile.maxInstances}`, this.propertySite(policy, 'number_of_instances'));
        }
        aspect.vnfInstances.push({ vnfProfileId, instancesAtLevel });
      }
    }
    return aspects;
  }

  /** NsInstantiationLevels with the VnfToInstantiationLevelMapping policies, the default level first. */
  instantiationLevels(profiles: Nsd['vnfProfiles']): NsInstantiationLevel[] {
    const levels: NsInstantiationLevel[] = [];
    for (const policy of this.policies(NSD_TYPES.instantiationLevels)) {
      const defaultLevel = read.text(policy.properties['default_level']);
      const declared = Object.entries(read.record(policy.properties['ns_levels']));
      if (defaultLevel !== undefined && !declared.some(([levelId]) => levelId === defaultLevel)) {
        this.problems.error('unknown-instantiation-level', `default_level ${defaultLevel} is not one of the ns_levels (${declared.map(([levelId]) => levelId).join(', ')})`, this.propertySite(policy, 'default_level'));
      }
      for (const [levelId, level] of declared) {
        const isDefault = defaultLevel === undefined ? declared.length === 1 : levelId === defaultLevel;
        levels.push({ levelId, description: read.text(read.at(level, 'description')) ?? '', isDefault, vnfInstances: {} });
      }
    }
    for (const policy of this.policies(NSD_TYPES.vnfToInstantiationLevelMapping)) {
      for (const [levelId, value] of Object.entries(read.record(policy.properties['number_of_instances']))) {
        const level = levels.find((candidate) => candidate.levelId === levelId);
        if (!level) {
          this.problems.error('unknown-instantiation-level', `${policy.name} maps the NS instantiation level ${levelId}, which NsInstantiationLevels does not declare`, this.propertySite(policy, 'number_of_instances', levelId));
          continue;
        }
        const count = read.integer(value) ?? 0;
        for (const vnfProfileId of policy.targets) {
          const profile = profiles.find((candidate) => candidate.profileId === vnfProfileId);
          if (profile && (count < profile.minInstances || count > profile.maxInstances)) {
            this.problems.error('ns-scale-levels', `${policy.name} gives VNF ${vnfProfileId} ${count} instances at level ${levelId}, outside its profile's ${profile.minInstances}..${profile.maxInstances}`, this.propertySite(policy, 'number_of_instances', levelId));
          }
          level.vnfInstances[vnfProfileId] = count;
        }
      }
    }
    return levels.sort((first, second) => Number(second.isDefault) - Number(first.isDefault));
  }

  vnffgs(): Vnffg[] {
    const rules = this.topology.policies.filter((policy) => this.template.registry.isA('policy', policy.type, NSD_TYPES.nfpRule));
    return [...this.topology.groups.values()]
      .filter((group) => this.template.registry.isA('group', group.type, NSD_TYPES.vnffg))
      .map((group) => ({
        vnffgId: group.name,
        nfps: group.members
          .flatMap((member) => this.topology.nodes.get(member) ?? [])
          .filter((node) => this.isA(node, NSD_TYPES.nfp))
          .map((nfp) => ({
            nfpId: nfp.name,
            hops: this.targets(nfp, 'nfp_position', NSD_TYPES.nfpPosition).map((position) => this.hop(position)),
            classifiers: rules.filter((rule) => rule.targets.includes(nfp.name)).map((rule) => this.classifier(rule)),
          })),
      }));
  }

  /** The nodes a node's requirements of one name point at, in the order they are written. */
  private targets(node: NodeTemplate, requirement: string, type: string): NodeTemplate[] {
    return node.requirements
      .filter((assignment) => assignment.name === requirement)
      .flatMap((assignment) => {
        const target = this.topology.nodes.get(assignment.node ?? '');
        return target && this.isA(target, type) ? [target] : [];
      });
  }

  private hop(position: NodeTemplate): Vnffg['nfps'][number]['hops'][number] {
    const behaviour = read.text(position.properties['forwarding_behaviour']) ?? 'all';
    return {
      positionId: position.name,
      forwardingBehaviour: FORWARDING_BEHAVIOURS.has(behaviour) ? (behaviour as 'all' | 'lb' | 'ff') : 'all',
      elements: this.targets(position, 'element', NSD_TYPES.nfpPositionElement).map((element) => this.element(element)),
    };
  }

  /**
   * An NfpPositionElement: one `profile_element` for a point traffic enters and leaves by, two for ingress
   * then egress. Each names a VNF (with the connection point as its capability) or a Sap.
   */
  private element(element: NodeTemplate): Vnffg['nfps'][number]['hops'][number]['elements'][number] {
    const profile = element.requirements.filter((requirement) => requirement.name === 'profile_element');
    const result = { vnfProfileId: undefined as string | undefined, sapId: undefined as string | undefined, ingressCp: undefined as string | undefined, egressCp: undefined as string | undefined };
    profile.forEach((requirement, index) => {
      const target = this.topology.nodes.get(requirement.node ?? '');
      if (!target) return; // reported as unknown-target
      const isSap = this.isA(target, NSD_TYPES.sap);
      if (isSap) result.sapId = target.name;
      else if (this.isA(target, NSD_TYPES.vnf)) result.vnfProfileId = target.name;
      else {
        this.problems.error('vnffg-element-target', `profile_element points at ${target.name}, a ${target.type}; it must be a VNF or a Sap`, requirement.site);
        return;
      }
      const cp = requirement.capability ?? (isSap ? target.name : undefined);
      if (index === 0) result.ingressCp = cp;
      if (index === profile.length - 1) result.egressCp = cp;
    });
    if (profile.length === 0 || profile.length > 2) {
      this.problems.error('vnffg-element-target', `${element.name} needs one profile_element (in and out by the same point) or two (ingress, then egress); it has ${profile.length}`, element.located.site);
    }
    return result;
  }

  private classifier(rule: PolicyTemplate): NfpRule {
    const properties = rule.properties;
    const site = (name: string): Site => ({ ...child(child(rule.located, 'properties'), name).site, path: rule.located.site.path });
    const etherType = read.text(properties['ether_type']);
    return {
      etherType: etherType === 'ipv4' || etherType === 'ipv6' ? etherType : undefined,
      protocol: this.protocol(properties['protocol'], site('protocol')),
      sourceIp: this.prefix(properties['source_ip_address_prefix'], 'source_ip_address_prefix', site('source_ip_address_prefix')),
      destinationIp: this.prefix(properties['destination_ip_address_prefix'], 'destination_ip_address_prefix', site('destination_ip_address_prefix')),
      sourcePortRange: portRange(properties['source_port_range']),
      destinationPortRange: portRange(properties['destination_port_range']),
    };
  }

  private protocol(value: Value | undefined, site: Site): number | undefined {
    const text = read.text(value)?.trim().toLowerCase();
    if (text === undefined) return undefined;
    const number = /^\d+$/.test(text) ? Number(text) : PROTOCOL_NUMBERS[text];
    if (number === undefined || number > 255) {
      this.problems.error('nfp-rule-value', `protocol: "${text}" is neither an IANA protocol number nor one of ${Object.keys(PROTOCOL_NUMBERS).join(', ')}`, site);
      return undefined;
    }
    return number;
  }

  private prefix(value: Value | undefined, name: string, site: Site): string | undefined {
    const text = read.text(value)?.trim();
    if (text === undefined) return undefined;
    const [address = '', length, ...rest] = text.split('/');
    const family = net.isIP(address);
    const bits = length === undefined ? undefined : Number(length);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (bits !== undefined && (!/^\d+$/.test(length ?? '') || bits > maxBits))) {
      this.problems.error('nfp-rule-value', `${name}: "${text}" is not an IP address prefix such as 198.18.0.0/24`, site);
      return undefined;
    }
    return text;
  }
}

function portRange(value: Value | undefined): { min: number; max: number } | undefined {
  const [min, max] = read.list(value);
  if (typeof min !== 'number') return undefined;
  return { min, max: typeof max === 'number' ? max : 65535 };
}
