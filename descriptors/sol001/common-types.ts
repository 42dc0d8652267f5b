/**
 * `etsi_nfv_sol001_common_types.yaml`: the types ETSI GS NFV-SOL 001 shares between VNFDs, NSDs and PNFDs,
 * written for this project from the specification (the subset the product reads). One line a property.
 */
export const SOL001_COMMON_TYPES = String.raw`
tosca_definitions_version: tosca_simple_yaml_1_3
description: ETSI NFV SOL 001 common types (subset written for nfv-mano, following SOL 001 v2.6.1 and later).
metadata:
  template_name: etsi_nfv_sol001_common_types
  template_author: nfv-mano
  template_version: 2.6.1

data_types:
  tosca.datatypes.nfv.L2AddressData:
    derived_from: tosca.datatypes.Root
    description: Whether MAC addresses of a connection point are assigned by management and orchestration.
    properties:
      mac_address_assignment: { type: boolean, required: true }

  tosca.datatypes.nfv.L3AddressData:
    derived_from: tosca.datatypes.Root
    description: The IP addressing of a connection point.
    properties:
      ip_address_assignment: { type: boolean, required: true }
      floating_ip_activated: { type: boolean, required: true }
      ip_address_type: { type: string, required: false, constraints: [ valid_values: [ ipv4, ipv6 ] ] }
      number_of_ip_address: { type: integer, required: false, constraints: [ greater_than: 0 ] }

  tosca.datatypes.nfv.AddressData:
    derived_from: tosca.datatypes.Root
    description: The addressing scheme of a connection point.
    properties:
      address_type: { type: string, required: true, constraints: [ valid_values: [ mac_address, ip_address ] ] }
      l2_address_data: { type: tosca.datatypes.nfv.L2AddressData, required: false }
      l3_address_data: { type: tosca.datatypes.nfv.L3AddressData, required: false }

  tosca.datatypes.nfv.ConnectivityType:
    derived_from: tosca.datatypes.Root
    description: The protocols a virtual link gives access to, and its flow pattern.
    properties:
      layer_protocols: { type: list, required: true, entry_schema: { type: string, constraints: [ valid_values: [ ethernet, mpls, odu2, ipv4, ipv6, pseudo-wire ] ] } }
      flow_pattern: { type: string, required: false, constraints: [ valid_values: [ line, tree, mesh ] ] }

  tosca.datatypes.nfv.LinkBitrateRequirements:
    derived_from: tosca.datatypes.Root
    description: Bitrates of a virtual link in bits per second.
    properties:
      root: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }
      leaf: { type: integer, required: false, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.CpProtocolData:
    derived_from: tosca.datatypes.Root
    description: A protocol layer of a connection point and the addresses it takes.
    properties:
      associated_layer_protocol: { type: string, required: true, constraints: [ valid_values: [ ethernet, mpls, odu2, ipv4, ipv6, pseudo-wire ] ] }
      address_data: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.AddressData } }

  tosca.datatypes.nfv.VnfProfile:
    derived_from: tosca.datatypes.Root
    description: How VNFs of one VNFD and flavour are instantiated within an NS deployment flavour.
    properties:
      instantiation_level: { type: string, required: false }
      min_number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }
      max_number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.Qos:
    derived_from: tosca.datatypes.Root
    description: Quality of service of a virtual link.
    properties:
      latency: { type: scalar-unit.time, required: true, constraints: [ greater_than: 0 s ] }
      packet_delay_variation: { type: scalar-unit.time, required: true, constraints: [ greater_or_equal: 0 s ] }
      packet_loss_ratio: { type: float, required: false, constraints: [ in_range: [ 0.0, 1.0 ] ] }

capability_types:
  tosca.capabilities.nfv.VirtualLinkable:
    derived_from: tosca.capabilities.Node
    description: What a tosca.relationships.nfv.VirtualLinksTo relationship can point at.

relationship_types:
  tosca.relationships.nfv.VirtualLinksTo:
    derived_from: tosca.relationships.DependsOn
    description: A connection point attached to a virtual link.
    valid_target_types: [ tosca.capabilities.nfv.VirtualLinkable ]

node_types:
  tosca.nodes.nfv.Cp:
    derived_from: tosca.nodes.Root
    description: A connection point.
    properties:
      layer_protocols: { type: list, required: true, entry_schema: { type: string, constraints: [ valid_values: [ ethernet, mpls, odu2, ipv4, ipv6, pseudo-wire ] ] } }
      role: { type: string, required: false, constraints: [ valid_values: [ root, leaf ] ] }
      description: { type: string, required: false }
      protocol: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.CpProtocolData } }
      trunk_mode: { type: boolean, required: false }
`;
