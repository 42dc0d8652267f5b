/**
 * `etsi_nfv_sol001_nsd_types.yaml` and `etsi_nfv_sol001_pnfd_types.yaml`: the NSD types of ETSI GS NFV-SOL
 * 001 (and the PNF types an NSD may refer to), written for this project from the specification (the subset
 * the product reads). One line a property.
 */
export const SOL001_NSD_TYPES = String.raw`
tosca_definitions_version: tosca_simple_yaml_1_3
description: ETSI NFV SOL 001 NSD types (subset written for nfv-mano, following SOL 001 v2.6.1 and later).
metadata:
  template_name: etsi_nfv_sol001_nsd_types
  template_author: nfv-mano
  template_version: 2.6.1

imports:
  - etsi_nfv_sol001_common_types.yaml
  - etsi_nfv_sol001_vnfd_types.yaml
  - etsi_nfv_sol001_pnfd_types.yaml

data_types:
  tosca.datatypes.nfv.NsVlProfile:
    derived_from: tosca.datatypes.Root
    description: Instantiation data of an NS virtual link in one NS deployment flavour.
    properties:
      max_bitrate_requirements: { type: tosca.datatypes.nfv.LinkBitrateRequirements, required: true }
      min_bitrate_requirements: { type: tosca.datatypes.nfv.LinkBitrateRequirements, required: true }
      qos: { type: tosca.datatypes.nfv.NsVirtualLinkQos, required: false }
      service_availability_level: { type: integer, required: false, constraints: [ greater_or_equal: 1 ] }

  tosca.datatypes.nfv.NsVirtualLinkQos:
    derived_from: tosca.datatypes.nfv.Qos
    properties:
      priority: { type: integer, required: false, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.NsProfile:
    derived_from: tosca.datatypes.Root
    description: How a nested NS is instantiated within its parent NS.
    properties:
      ns_instantiation_level: { type: string, required: false }
      min_number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }
      max_number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.NsLevels:
    derived_from: tosca.datatypes.Root
    description: An NS level (of instantiation or of a scaling aspect).
    properties:
      description: { type: string, required: true }

  tosca.datatypes.nfv.NsScalingAspect:
    derived_from: tosca.datatypes.Root
    description: An aspect the NS scales by horizontally, and its levels (level 0 first).
    properties:
      name: { type: string, required: true }
      description: { type: string, required: true }
      ns_scale_levels: { type: map, required: true, key_schema: { type: integer, constraints: [ greater_or_equal: 0 ] }, entry_schema: { type: tosca.datatypes.nfv.NsLevels } }

  tosca.datatypes.nfv.Mask:
    derived_from: tosca.datatypes.Root
    description: Bits of a frame to match.
    properties:
      starting_point: { type: integer, required: true, constraints: [ greater_or_equal: 1 ] }
      length: { type: integer, required: true, constraints: [ greater_or_equal: 1 ] }
      value: { type: string, required: true }

capability_types:
  tosca.capabilities.nfv.Forwarding:
    derived_from: tosca.capabilities.Root
    description: What a forwarding path can send traffic to.

relationship_types:
  tosca.relationships.nfv.ForwardTo:
    derived_from: tosca.relationships.Root
    valid_target_types: [ tosca.capabilities.nfv.Forwarding ]

interface_types:
  tosca.interfaces.nfv.Nslcm:
    derived_from: tosca.interfaces.Root
    description: The NS lifecycle operations, with their preambles and postambles.
    operations: {
      instantiate_start: {}, instantiate: {}, instantiate_end: {}, terminate_start: {}, terminate: {}, terminate_end: {},
      update_start: {}, update: {}, update_end: {}, scale_start: {}, scale: {}, scale_end: {}, heal_start: {}, heal: {}, heal_end: {} }

node_types:
  tosca.nodes.nfv.NS:
    derived_from: tosca.nodes.Root
    description: The network service.
    properties:
      descriptor_id: { type: string, required: true }
      designer: { type: string, required: true }
      version: { type: string, required: true }
      name: { type: string, required: true }
      invariant_id: { type: string, required: true }
      flavour_id: { type: string, required: true }
      ns_profile: { type: tosca.datatypes.nfv.NsProfile, required: false }
    requirements:
      - virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo, node: tosca.nodes.nfv.NsVirtualLink, occurrences: [ 0, 1 ] }
    interfaces:
      Nslcm: { type: tosca.interfaces.nfv.Nslcm }

  tosca.nodes.nfv.Sap:
    derived_from: tosca.nodes.nfv.Cp
    description: A service access point of the NS.
    capabilities:
      forwarding: { type: tosca.capabilities.nfv.Forwarding }
    requirements:
      - external_virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo, occurrences: [ 0, 1 ] }
      - internal_virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo, occurrences: [ 0, 1 ] }

  tosca.nodes.nfv.NsVirtualLink:
    derived_from: tosca.nodes.Root
    description: A virtual link between the constituents of the NS.
    properties:
      vl_profile: { type: tosca.datatypes.nfv.NsVlProfile, required: true }
      connectivity_type: { type: tosca.datatypes.nfv.ConnectivityType, required: true }
      test_access: { type: list, required: false, entry_schema: { type: string, constraints: [ valid_values: [ passive_monitoring, active_loopback ] ] } }
      description: { type: string, required: false }
      version: { type: string, required: false }
    capabilities:
      virtual_linkable: { type: tosca.capabilities.nfv.VirtualLinkable }

  tosca.nodes.nfv.NfpPositionElement:
    derived_from: tosca.nodes.Root
    description: The connection points of one VNF or Sap at a position of a forwarding path.
    capabilities:
      forwarding: { type: tosca.capabilities.nfv.Forwarding }
    requirements:
      # One occurrence: traffic enters and leaves by the same point; two: ingress first, then egress.
      - profile_element: { capability: tosca.capabilities.nfv.Forwarding, relationship: tosca.relationships.nfv.ForwardTo, occurrences: [ 1, 2 ] }

  tosca.nodes.nfv.NfpPosition:
    derived_from: tosca.nodes.Root
    description: A position of a forwarding path and how traffic is spread over its elements.
    properties:
      forwarding_behaviour: { type: string, required: false, constraints: [ valid_values: [ all, lb, ff ] ] }
      forwarding_behaviour_input_parameters: { type: map, required: false, entry_schema: { type: string } }
    capabilities:
      forwarding: { type: tosca.capabilities.nfv.Forwarding }
    requirements:
      - element: { capability: tosca.capabilities.nfv.Forwarding, node: tosca.nodes.nfv.NfpPositionElement, relationship: tosca.relationships.nfv.ForwardTo, occurrences: [ 1, UNBOUNDED ] }

  tosca.nodes.nfv.NFP:
    derived_from: tosca.nodes.Root
    description: A network forwarding path, as its ordered positions.
    requirements:
      - nfp_position: { capability: tosca.capabilities.nfv.Forwarding, node: tosca.nodes.nfv.NfpPosition, relationship: tosca.relationships.nfv.ForwardTo, occurrences: [ 1, UNBOUNDED ] }

  tosca.nodes.nfv.Forwarding:
    derived_from: tosca.nodes.Root
    capabilities:
      virtual_linkable: { type: tosca.capabilities.nfv.VirtualLinkable }
      forwarding: { type: tosca.capabilities.nfv.Forwarding }
    requirements:
      - virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo }

group_types:
  tosca.groups.nfv.NsPlacementGroup:
    derived_from: tosca.groups.Root
    properties:
      description: { type: string, required: true }
    members: [ tosca.nodes.nfv.VNF, tosca.nodes.nfv.NsVirtualLink, tosca.nodes.nfv.NS, tosca.nodes.nfv.Forwarding, tosca.nodes.nfv.Sap ]

  tosca.groups.nfv.VNFFG:
    derived_from: tosca.groups.Root
    description: A VNF forwarding graph, the topology its forwarding paths run over.
    properties:
      description: { type: string, required: true }
    members: [ tosca.nodes.nfv.NFP, tosca.nodes.nfv.VNF, tosca.nodes.nfv.PNF, tosca.nodes.nfv.NS, tosca.nodes.nfv.NsVirtualLink, tosca.nodes.nfv.NfpPositionElement ]

policy_types:
  tosca.policies.nfv.NfpRule:
    derived_from: tosca.policies.Root
    description: The traffic a forwarding path classifies.
    properties:
      ether_destination_address: { type: string, required: false }
      ether_source_address: { type: string, required: false }
      ether_type: { type: string, required: false, constraints: [ valid_values: [ ipv4, ipv6 ] ] }
      vlan_tag: { type: list, required: false, entry_schema: { type: string } }
      protocol: { type: string, required: false }
      dscp: { type: string, required: false }
      source_port_range: { type: range, required: false, constraints: [ in_range: [ 0, 65535 ] ] }
      destination_port_range: { type: range, required: false, constraints: [ in_range: [ 0, 65535 ] ] }
      source_ip_address_prefix: { type: string, required: false }
      destination_ip_address_prefix: { type: string, required: false }
      extended_criteria: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.Mask } }
    targets: [ tosca.nodes.nfv.NFP ]

  tosca.policies.nfv.NsScalingAspects:
    derived_from: tosca.policies.Root
    description: The aspects the NS scales by, with their NS scale levels.
    properties:
      aspects: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.NsScalingAspect }, constraints: [ min_length: 1 ] }

  tosca.policies.nfv.VnfToLevelMapping:
    derived_from: tosca.policies.Root
    description: How many instances of the targeted VNF profiles run at each NS scale level of an aspect.
    properties:
      aspect: { type: string, required: true }
      number_of_instances: { type: map, required: true, key_schema: { type: integer, constraints: [ greater_or_equal: 0 ] }, entry_schema: { type: integer, constraints: [ greater_or_equal: 0 ] }, constraints: [ min_length: 1 ] }
    targets: [ tosca.nodes.nfv.VNF ]

  tosca.policies.nfv.NsInstantiationLevels:
    derived_from: tosca.policies.Root
    description: The NS instantiation levels of the deployment flavour and the default one.
    properties:
      ns_levels: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.NsLevels }, constraints: [ min_length: 1 ] }
      default_level: { type: string, required: false }

  tosca.policies.nfv.VnfToInstantiationLevelMapping:
    derived_from: tosca.policies.Root
    description: How many instances of the targeted VNF profiles run at each NS instantiation level.
    properties:
      number_of_instances: { type: map, required: true, entry_schema: { type: integer, constraints: [ greater_or_equal: 0 ] }, constraints: [ min_length: 1 ] }
    targets: [ tosca.nodes.nfv.VNF ]

  tosca.policies.nfv.NsAffinityRule:
    derived_from: tosca.policies.Placement
    properties: &ns_placement_scope
      scope: { type: string, required: true, constraints: [ valid_values: [ nfvi_node, zone, zone_group, nfvi_pop, network_link_and_node ] ] }
    targets: &ns_placement_targets [ tosca.nodes.nfv.VNF, tosca.nodes.nfv.NsVirtualLink, tosca.nodes.nfv.NS, tosca.groups.nfv.NsPlacementGroup ]

  tosca.policies.nfv.NsAntiAffinityRule:
    derived_from: tosca.policies.Placement
    properties: *ns_placement_scope
    targets: *ns_placement_targets
`;

export const SOL001_PNFD_TYPES = String.raw`
tosca_definitions_version: tosca_simple_yaml_1_3
description: ETSI NFV SOL 001 PNFD types (the PNF node an NSD may refer to), written for nfv-mano.
metadata:
  template_name: etsi_nfv_sol001_pnfd_types
  template_author: nfv-mano
  template_version: 2.6.1

imports:
  - etsi_nfv_sol001_common_types.yaml

node_types:
  tosca.nodes.nfv.PNF:
    derived_from: tosca.nodes.Root
    description: A physical network function.
    properties:
      descriptor_id: { type: string, required: true }
      function_description: { type: string, required: true }
      provider: { type: string, required: true }
      version: { type: string, required: true }
      descriptor_invariant_id: { type: string, required: true }
      name: { type: string, required: true }
    requirements:
      - virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo, occurrences: [ 0, 1 ] }

  tosca.nodes.nfv.PnfExtCp:
    derived_from: tosca.nodes.nfv.Cp
    description: An external connection point of a PNF.
    requirements:
      - external_virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo }
`;
