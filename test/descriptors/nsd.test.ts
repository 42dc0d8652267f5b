import { NSD_YAML_FILE, readNsd } from '../../descriptors/index.js';
import { errorWithCode, positionOf, valueOf, vnfNodeYaml, VNFD_ID, VNFD_TYPES } from './packages.js';
import { buildZip } from './zip.js';

/** NSD: the NS, its VNFs, links and SAPs, and each VNFFG as ordered forwarding paths with classifiers. */
const vnf = (name: string, descriptorId: string, extra = '') => vnfNodeYaml(name, descriptorId, name, 'simple', extra);

const NSD = `tosca_definitions_version: tosca_simple_yaml_1_3
description: Web traffic through a firewall and two load balancers
imports:
  - etsi_nfv_sol001_nsd_types.yaml

topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: 0f2e8c4a-1d2b-4e5f-8a9b-0c1d2e3f4a5b
        designer: Company
        version: '1.0'
        name: web-chain
        invariant_id: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d
        flavour_id: default

${vnf(
  'firewall',
  'fw-vnfd',
  `        vnf_profile:
          min_number_of_instances: 1
          max_number_of_instances: 2
      requirements:
        - virtual_link: data_vl
`,
)}
${vnf('lb1', 'lb-vnfd')}
${vnf('lb2', 'lb-vnfd')}
    data_vl:
      type: tosca.nodes.nfv.NsVirtualLink
      properties:
        connectivity_type:
          layer_protocols: [ ipv4 ]
        vl_profile:
          max_bitrate_requirements: { root: 1000000000 }
          min_bitrate_requirements: { root: 1000000 }

    client_sap:
      type: tosca.nodes.nfv.Sap
      properties:
        layer_protocols: [ ipv4 ]
      requirements:
        - internal_virtual_link: data_vl

    web_path:
      type: tosca.nodes.nfv.NFP
      requirements:
        - nfp_position: position_fw
        - nfp_position: position_lb

    position_fw:
      type: tosca.nodes.nfv.NfpPosition
      properties:
        forwarding_behaviour: all
      requirements:
        - element: element_fw

    element_fw:
      type: tosca.nodes.nfv.NfpPositionElement
      requirements:
        - profile_element: { node: firewall, capability: fw_in }
        - profile_element: { node: firewall, capability: fw_out }

    position_lb:
      type: tosca.nodes.nfv.NfpPosition
      properties:
        forwarding_behaviour: lb
      requirements:
        - element: element_lb1
        - element: element_lb2

    element_lb1:
      type: tosca.nodes.nfv.NfpPositionElement
      requirements:
        - profile_element: { node: lb1, capability: lb_port }

    element_lb2:
      type: tosca.nodes.nfv.NfpPositionElement
      requirements:
        - profile_element: lb2

  groups:
    vnffg1:
      type: tosca.groups.nfv.VNFFG
      properties:
        description: Web traffic through the firewall and the balancers
      members: [ web_path, firewall, lb1, lb2, data_vl ]

  policies:
    - web_traffic:
        type: tosca.policies.nfv.NfpRule
        properties:
          ether_type: ipv4
          protocol: tcp
          source_ip_address_prefix: 198.18.0.0/16
          destination_ip_address_prefix: 198.19.1.10/32
          source_port_range: [ 1024, 65535 ]
          destination_port_range: [ 80, 80 ]
        targets: [ web_path ]
`;

const readYaml = (text: string) => readNsd(Buffer.from(text), 'yaml');

describe('NSD', () => {
  it('reads the NS, VNF profiles, links, SAPs and the VNFFG as an ordered chain with its classifier', async () => {
    const nsd = valueOf(await readYaml(NSD));
    expect(nsd).toEqual({
      nsdId: '0f2e8c4a-1d2b-4e5f-8a9b-0c1d2e3f4a5b',
      designer: 'Company',
      version: '1.0',
      name: 'web-chain',
      invariantId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      flavourId: 'default',
      vnfProfiles: [
        { profileId: 'firewall', vnfdId: 'fw-vnfd', minInstances: 1, maxInstances: 2, flavourId: 'simple', virtualLinkConnectivity: [{ requirement: 'virtual_link', virtualLinkId: 'data_vl' }] },
        { profileId: 'lb1', vnfdId: 'lb-vnfd', minInstances: 1, maxInstances: 1, flavourId: 'simple', virtualLinkConnectivity: [] },
        { profileId: 'lb2', vnfdId: 'lb-vnfd', minInstances: 1, maxInstances: 1, flavourId: 'simple', virtualLinkConnectivity: [] },
      ],
      virtualLinks: [{ virtualLinkId: 'data_vl', layerProtocols: ['ipv4'] }],
      saps: [{ sapId: 'client_sap', virtualLinkId: 'data_vl' }],
      vnffgs: [
        {
          vnffgId: 'vnffg1',
          nfps: [
            {
              nfpId: 'web_path',
              hops: [
                { positionId: 'position_fw', forwardingBehaviour: 'all', elements: [{ vnfProfileId: 'firewall', sapId: undefined, ingressCp: 'fw_in', egressCp: 'fw_out' }] },
                {
                  positionId: 'position_lb',
                  forwardingBehaviour: 'lb',
                  elements: [
                    { vnfProfileId: 'lb1', sapId: undefined, ingressCp: 'lb_port', egressCp: 'lb_port' },
                    { vnfProfileId: 'lb2', sapId: undefined, ingressCp: undefined, egressCp: undefined },
                  ],
                },
              ],
              classifiers: [
                {
                  etherType: 'ipv4',
                  protocol: 6,
                  sourceIp: '198.18.0.0/16',
                  destinationIp: '198.19.1.10/32',
                  sourcePortRange: { min: 1024, max: 65535 },
                  destinationPortRange: { min: 80, max: 80 },
                },
              ],
            },
          ],
        },
      ],
      scalingAspects: [],
      instantiationLevels: [],
      descriptorFiles: [NSD_YAML_FILE],
    });
  });

  it('reads an NSD zip whose VNFs are of node types imported from the VNFD type files', async () => {
    const nsd = NSD.replace('  - etsi_nfv_sol001_nsd_types.yaml\n', '  - etsi_nfv_sol001_nsd_types.yaml\n  - vnfd_types.yaml\n').replace(
      /    lb2:\n      type: tosca.nodes.nfv.VNF\n(.*\n){9}/,
      '    lb2:\n      type: company.provider.VNF\n',
    );
    const zip = await buildZip({
      'TOSCA-Metadata/TOSCA.meta': 'TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: Company\nEntry-Definitions: Definitions/nsd.yaml\n',
      'Definitions/nsd.yaml': nsd,
      'Definitions/vnfd_types.yaml': VNFD_TYPES,
    });
    const read = valueOf(await readNsd(zip, 'zip'));
    expect(read.vnfProfiles.find((profile) => profile.profileId === 'lb2')).toMatchObject({ vnfdId: VNFD_ID, flavourId: 'simple' });
    expect(read.descriptorFiles).toEqual(['Definitions/nsd.yaml', 'Definitions/vnfd_types.yaml']);
  });

  it('refuses an NSD as one YAML that imports anything but the SOL 001 definitions', async () => {
    const nsd = NSD.replace('  - etsi_nfv_sol001_nsd_types.yaml\n', '  - etsi_nfv_sol001_nsd_types.yaml\n  - vnfd_types.yaml\n');
    expect(errorWithCode(await readYaml(nsd), 'import-unresolved')).toMatchObject({ file: NSD_YAML_FILE, path: 'imports[1]', message: 'vnfd_types.yaml is not in the package (looked for vnfd_types.yaml)' });
  });

  it('refuses an NSD with two NS nodes', async () => {
    const nsd = NSD.replace('    data_vl:\n', '    other_ns:\n      type: tosca.nodes.nfv.NS\n      properties: { descriptor_id: d, designer: c, version: \'1\', name: n, invariant_id: i, flavour_id: f }\n\n    data_vl:\n');
    expect(errorWithCode(await readYaml(nsd), 'ns-node-multiple')).toMatchObject({ message: 'other_ns is a second NS node; an NSD describes one NS', line: positionOf(nsd, 'other_ns:').line });
  });

  it('refuses an NSD without an NS node', async () => {
    const nsd = NSD.replace('      type: tosca.nodes.nfv.NS\n', '      type: tosca.nodes.nfv.NsVirtualLink\n').replace(/        descriptor_id: 0f2e[\s\S]*?flavour_id: default\n/, '        description: not an NS\n        connectivity_type: { layer_protocols: [ ipv4 ] }\n        vl_profile: { max_bitrate_requirements: { root: 1 }, min_bitrate_requirements: { root: 1 } }\n');
    expect(errorWithCode(await readYaml(nsd), 'ns-node-missing').message).toBe('no node template of a type derived from tosca.nodes.nfv.NS describes the NS');
  });
});

describe('NSD with bad VNFFG references', () => {
  it.each<[string, string, string, string, string, string]>([
    ['an NFP position that is not an NfpPosition', '        - nfp_position: position_lb\n', '        - nfp_position: element_lb1\n', 'requirement-target-type', 'element_lb1', 'requirement nfp_position needs a tosca.nodes.nfv.NfpPosition, but element_lb1 is a tosca.nodes.nfv.NfpPositionElement'],
    ['an element that does not exist', '        - element: element_lb2\n', '        - element: element_lb3\n', 'unknown-target', 'element_lb3', 'requirement element points at element_lb3, which is not a node template of this topology'],
    ['a profile_element that is a virtual link', '        - profile_element: lb2\n', '        - profile_element: data_vl\n', 'vnffg-element-target', 'profile_element: data_vl', 'profile_element points at data_vl, a tosca.nodes.nfv.NsVirtualLink; it must be a VNF or a Sap'],
    ['a classifier on a VNF instead of an NFP', '        targets: [ web_path ]\n', '        targets: [ firewall ]\n', 'policy-target-type', 'firewall ]', 'firewall is a tosca.nodes.nfv.VNF; tosca.policies.nfv.NfpRule targets tosca.nodes.nfv.NFP'],
    ['a VNFFG member that does not exist', '      members: [ web_path, firewall,', '      members: [ web_path, firewal,', 'unknown-target', 'firewal,', 'group vnffg1 has the member firewal, which is not a node template'],
    ['a VNFFG member of a type VNFFGs do not have', '      members: [ web_path, firewall,', '      members: [ web_path, client_sap,', 'group-member-type', 'client_sap,', 'client_sap is a tosca.nodes.nfv.Sap; members of tosca.groups.nfv.VNFFG are tosca.nodes.nfv.NFP, tosca.nodes.nfv.VNF, tosca.nodes.nfv.PNF, tosca.nodes.nfv.NS, tosca.nodes.nfv.NsVirtualLink, tosca.nodes.nfv.NfpPositionElement'],
    ['a classifier protocol that is no IANA protocol', '          protocol: tcp\n', '          protocol: tcpp\n', 'nfp-rule-value', 'tcpp', 'protocol: "tcpp" is neither an IANA protocol number nor one of icmp, igmp, tcp, udp, gre, esp, ah, icmpv6, ipv6-icmp, sctp'],
    ['a classifier prefix that is no IP prefix', '198.18.0.0/16', '198.18.0.300/16', 'nfp-rule-value', '198.18.0.300/16', 'source_ip_address_prefix: "198.18.0.300/16" is not an IP address prefix such as 198.18.0.0/24'],
    ['a port range upside down', '[ 80, 80 ]', '[ 90, 80 ]', 'property-type', '[ 90, 80 ]', 'destination_port_range: expected a range whose lower bound is not above its upper bound, found a list'],
    ['a port range beyond 65535', '[ 1024, 65535 ]', '[ 1024, 70000 ]', 'property-constraint', '[ 1024, 70000 ]', 'source_port_range: [1024,70000] is not in the range [0, 65535]'],
  ])('refuses %s, where it is written', async (_name, original, replacement, code, needle, message) => {
    const nsd = NSD.replace(original, replacement);
    expect(nsd).not.toBe(NSD);
    const error = errorWithCode(await readYaml(nsd), code);
    expect(error).toMatchObject({ message, file: NSD_YAML_FILE, line: positionOf(nsd, needle).line });
  });

  it('refuses a position element with more than an ingress and an egress', async () => {
    const nsd = NSD.replace('        - profile_element: lb2\n', '        - profile_element: lb2\n        - profile_element: lb1\n        - profile_element: firewall\n');
    expect(errorWithCode(await readYaml(nsd), 'vnffg-element-target')).toMatchObject({
      message: 'element_lb2 needs one profile_element (in and out by the same point) or two (ingress, then egress); it has 3',
      path: 'topology_template.node_templates.element_lb2',
    });
  });

  it('reads a SAP as a position element, with the SAP as its connection point', async () => {
    const nsd = NSD.replace('        - profile_element: lb2\n', '        - profile_element: client_sap\n');
    const element = valueOf(await readYaml(nsd)).vnffgs[0]?.nfps[0]?.hops[1]?.elements[1];
    expect(element).toEqual({ vnfProfileId: undefined, sapId: 'client_sap', ingressCp: 'client_sap', egressCp: 'client_sap' });
  });
});

describe('NSD scaling', () => {
  const SCALING = `    - ns_scaling:
        type: tosca.policies.nfv.NsScalingAspects
        properties:
          aspects:
            firewalls:
              name: Firewalls
              description: More firewalls
              ns_scale_levels:
                0: { description: base }
                1: { description: doubled }
    - firewall_levels:
        type: tosca.policies.nfv.VnfToLevelMapping
        properties:
          aspect: firewalls
          number_of_instances: { 0: 1, 1: 2 }
        targets: [ firewall ]
    - ns_levels:
        type: tosca.policies.nfv.NsInstantiationLevels
        properties:
          ns_levels:
            small: { description: one firewall }
            big: { description: two firewalls }
          default_level: small
    - firewall_instantiation:
        type: tosca.policies.nfv.VnfToInstantiationLevelMapping
        properties:
          number_of_instances: { small: 1, big: 2 }
        targets: [ firewall ]
`;
  const scaled = NSD.replace('  policies:\n', `  policies:\n${SCALING}`);

  it('reads the NS scaling aspects with instances per level of each VNF profile, and the NS instantiation levels', async () => {
    const nsd = valueOf(await readYaml(scaled));
    expect(nsd.scalingAspects).toEqual([{ aspectId: 'firewalls', name: 'Firewalls', description: 'More firewalls', maxScaleLevel: 1, vnfInstances: [{ vnfProfileId: 'firewall', instancesAtLevel: [1, 2] }] }]);
    expect(nsd.instantiationLevels).toEqual([
      { levelId: 'small', description: 'one firewall', isDefault: true, vnfInstances: { firewall: 1 } },
      { levelId: 'big', description: 'two firewalls', isDefault: false, vnfInstances: { firewall: 2 } },
    ]);
  });

  it.each<[string, string, string, string, string]>([
    ['a mapping of an aspect that is not declared', '          aspect: firewalls\n', '          aspect: routers\n', 'unknown-aspect', 'firewall_levels names the aspect routers, which NsScalingAspects does not declare'],
    ['a mapping missing a level', '{ 0: 1, 1: 2 }', '{ 0: 1 }', 'ns-scale-levels', 'firewall_levels gives no number of instances for level 1 of aspect firewalls'],
    ['a mapping beyond the highest level', '{ 0: 1, 1: 2 }', '{ 0: 1, 1: 2, 2: 2 }', 'ns-scale-levels', 'firewall_levels maps level 2, beyond the highest level 1 of aspect firewalls'],
    ['more instances than the profile allows', '{ 0: 1, 1: 2 }', '{ 0: 1, 1: 3 }', 'ns-scale-levels', "firewall_levels gives VNF firewall 1, 3 instances at levels 0..1, outside its profile's 1..2"],
    ['levels with a gap', '                1: { description: doubled }\n', '                2: { description: doubled }\n', 'ns-scale-levels', 'aspect firewalls has levels up to 2 but not 1; levels run from 0 without gaps'],
    ['a negative level', '{ 0: 1, 1: 2 }', '{ 0: 1, -1: 2 }', 'property-constraint', ''],
    ['an instantiation level that is not declared', '{ small: 1, big: 2 }', '{ small: 1, huge: 2 }', 'unknown-instantiation-level', 'firewall_instantiation maps the NS instantiation level huge, which NsInstantiationLevels does not declare'],
  ])('refuses %s', async (_name, original, replacement, code, message) => {
    const nsd = scaled.replace(original, replacement);
    expect(nsd).not.toBe(scaled);
    const error = errorWithCode(await readYaml(nsd), code);
    if (message !== '') expect(error.message).toBe(message);
  });
});
