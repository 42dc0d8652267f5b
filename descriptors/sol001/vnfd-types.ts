/**
 * `etsi_nfv_sol001_vnfd_types.yaml`: the VNFD types of ETSI GS NFV-SOL 001, written for this project from
 * the specification (the subset the product reads; the vnic_type values follow the later versions, which
 * add SR-IOV `direct`). One line a property.
 */
export const SOL001_VNFD_TYPES = String.raw`
tosca_definitions_version: tosca_simple_yaml_1_3
description: ETSI NFV SOL 001 VNFD types (subset written for nfv-mano, following SOL 001 v2.6.1 and later).
metadata:
  template_name: etsi_nfv_sol001_vnfd_types
  template_author: nfv-mano
  template_version: 2.6.1

imports:
  - etsi_nfv_sol001_common_types.yaml

data_types:
  tosca.datatypes.nfv.VirtualNetworkInterfaceRequirements:
    derived_from: tosca.datatypes.Root
    description: Platform requirements on the virtual NIC of a connection point.
    properties:
      name: { type: string, required: false }
      description: { type: string, required: false }
      support_mandatory: { type: boolean, required: true }
      network_interface_requirements: { type: map, required: true, entry_schema: { type: string } }
      nic_io_requirements: { type: tosca.datatypes.nfv.LogicalNodeData, required: false }

  tosca.datatypes.nfv.RequestedAdditionalCapability:
    derived_from: tosca.datatypes.Root
    description: An additional platform capability a VDU asks for.
    properties:
      requested_additional_capability_name: { type: string, required: true }
      support_mandatory: { type: boolean, required: true }
      min_requested_additional_capability_version: { type: string, required: false }
      preferred_requested_additional_capability_version: { type: string, required: false }
      target_performance_parameters: { type: map, required: true, entry_schema: { type: string } }

  tosca.datatypes.nfv.VirtualMemory:
    derived_from: tosca.datatypes.Root
    description: The virtual memory of a virtual compute resource.
    properties:
      virtual_mem_size: { type: scalar-unit.size, required: true }
      virtual_mem_oversubscription_policy: { type: string, required: false }
      vdu_mem_requirements: { type: map, required: false, entry_schema: { type: string } }
      numa_enabled: { type: boolean, required: false, default: false }

  tosca.datatypes.nfv.VirtualCpu:
    derived_from: tosca.datatypes.Root
    description: The virtual CPUs of a virtual compute resource.
    properties:
      cpu_architecture: { type: string, required: false }
      num_virtual_cpu: { type: integer, required: true, constraints: [ greater_than: 0 ] }
      virtual_cpu_clock: { type: scalar-unit.frequency, required: false }
      virtual_cpu_oversubscription_policy: { type: string, required: false }
      vdu_cpu_requirements: { type: map, required: false, entry_schema: { type: string } }
      virtual_cpu_pinning: { type: tosca.datatypes.nfv.VirtualCpuPinning, required: false }

  tosca.datatypes.nfv.VirtualCpuPinning:
    derived_from: tosca.datatypes.Root
    description: How virtual CPUs are pinned to logical CPUs (static) or left to the VIM (dynamic).
    properties:
      virtual_cpu_pinning_policy: { type: string, required: false, constraints: [ valid_values: [ static, dynamic ] ] }
      virtual_cpu_pinning_rule: { type: list, required: false, entry_schema: { type: string } }

  tosca.datatypes.nfv.LogicalNodeData:
    derived_from: tosca.datatypes.Root
    description: Compute, memory and I/O requirements of one logical (NUMA) node.
    properties:
      logical_node_requirements: { type: map, required: false, entry_schema: { type: string } }

  tosca.datatypes.nfv.VduProfile:
    derived_from: tosca.datatypes.Root
    description: How many instances of a VDU a deployment flavour allows.
    properties:
      min_number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }
      max_number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.ChecksumData:
    derived_from: tosca.datatypes.Root
    description: The result of a checksum over some data.
    properties:
      algorithm: { type: string, required: true, constraints: [ valid_values: [ sha-224, sha-256, sha-384, sha-512 ] ] }
      hash: { type: string, required: true }

  tosca.datatypes.nfv.SwImageData:
    derived_from: tosca.datatypes.Root
    description: A software image of a VDU or of a virtual storage.
    properties:
      name: { type: string, required: true }
      version: { type: string, required: true }
      checksum: { type: tosca.datatypes.nfv.ChecksumData, required: true }
      container_format: { type: string, required: true, constraints: [ valid_values: [ aki, ami, ari, bare, docker, ova, ovf ] ] }
      disk_format: { type: string, required: true, constraints: [ valid_values: [ aki, ami, ari, iso, qcow2, raw, vdi, vhd, vhdx, vmdk ] ] }
      min_disk: { type: scalar-unit.size, required: true, constraints: [ greater_or_equal: 0 B ] }
      min_ram: { type: scalar-unit.size, required: false, constraints: [ greater_or_equal: 0 B ] }
      size: { type: scalar-unit.size, required: true }
      operating_system: { type: string, required: false }
      supported_virtualisation_environments: { type: list, required: false, entry_schema: { type: string } }

  tosca.datatypes.nfv.VirtualBlockStorageData:
    derived_from: tosca.datatypes.Root
    description: Block storage of a VDU, as a local disk or attached.
    properties:
      size_of_storage: { type: scalar-unit.size, required: true, constraints: [ greater_or_equal: 0 B ] }
      vdu_storage_requirements: { type: map, required: false, entry_schema: { type: string } }
      rdma_enabled: { type: boolean, required: false, default: false }

  tosca.datatypes.nfv.VirtualObjectStorageData:
    derived_from: tosca.datatypes.Root
    properties:
      max_size_of_storage: { type: scalar-unit.size, required: false, constraints: [ greater_or_equal: 0 B ] }

  tosca.datatypes.nfv.VirtualFileStorageData:
    derived_from: tosca.datatypes.Root
    properties:
      size_of_storage: { type: scalar-unit.size, required: true, constraints: [ greater_or_equal: 0 B ] }
      file_system_protocol: { type: string, required: true }

  tosca.datatypes.nfv.VlProfile:
    derived_from: tosca.datatypes.Root
    description: Instantiation data of an internal virtual link in one deployment flavour.
    properties:
      max_bitrate_requirements: { type: tosca.datatypes.nfv.LinkBitrateRequirements, required: true }
      min_bitrate_requirements: { type: tosca.datatypes.nfv.LinkBitrateRequirements, required: true }
      qos: { type: tosca.datatypes.nfv.Qos, required: false }
      virtual_link_protocol_data: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VirtualLinkProtocolData } }

  tosca.datatypes.nfv.VirtualLinkProtocolData:
    derived_from: tosca.datatypes.Root
    properties:
      associated_layer_protocol: { type: string, required: true, constraints: [ valid_values: [ ethernet, mpls, odu2, ipv4, ipv6, pseudo-wire ] ] }
      l2_protocol_data: { type: tosca.datatypes.nfv.L2ProtocolData, required: false }
      l3_protocol_data: { type: tosca.datatypes.nfv.L3ProtocolData, required: false }

  tosca.datatypes.nfv.L2ProtocolData:
    derived_from: tosca.datatypes.Root
    properties:
      name: { type: string, required: false }
      network_type: { type: string, required: false, constraints: [ valid_values: [ flat, vlan, vxlan, gre ] ] }
      vlan_transparent: { type: boolean, required: false, default: false }
      mtu: { type: integer, required: false, constraints: [ greater_than: 0 ] }

  tosca.datatypes.nfv.L3ProtocolData:
    derived_from: tosca.datatypes.Root
    properties:
      name: { type: string, required: false }
      ip_version: { type: string, required: true, constraints: [ valid_values: [ ipv4, ipv6 ] ] }
      cidr: { type: string, required: true }
      ip_allocation_pools: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.IpAllocationPool } }
      gateway_ip: { type: string, required: false }
      dhcp_enabled: { type: boolean, required: false }
      ipv6_address_mode: { type: string, required: false, constraints: [ valid_values: [ slaac, dhcpv6-stateful, dhcpv6-stateless ] ] }

  tosca.datatypes.nfv.IpAllocationPool:
    derived_from: tosca.datatypes.Root
    properties:
      start_ip_address: { type: string, required: true }
      end_ip_address: { type: string, required: true }

  tosca.datatypes.nfv.InstantiationLevel:
    derived_from: tosca.datatypes.Root
    description: A level of resources of a deployment flavour, as a scale level per aspect.
    properties:
      description: { type: string, required: true }
      scale_info: { type: map, required: false, entry_schema: { type: tosca.datatypes.nfv.ScaleInfo } }

  tosca.datatypes.nfv.VduLevel:
    derived_from: tosca.datatypes.Root
    description: The number of instances of a VDU at a level or in a scaling delta.
    properties:
      number_of_instances: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.ScaleInfo:
    derived_from: tosca.datatypes.Root
    properties:
      scale_level: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }

  tosca.datatypes.nfv.ScalingAspect:
    derived_from: tosca.datatypes.Root
    properties:
      name: { type: string, required: true }
      description: { type: string, required: true }
      max_scale_level: { type: integer, required: true, constraints: [ greater_or_equal: 0 ] }
      step_deltas: { type: list, required: false, entry_schema: { type: string } }

  tosca.datatypes.nfv.VirtualLinkBitrateLevel:
    derived_from: tosca.datatypes.Root
    properties:
      bitrate_requirements: { type: tosca.datatypes.nfv.LinkBitrateRequirements, required: true }

  tosca.datatypes.nfv.VnfLcmOperationsConfiguration:
    derived_from: tosca.datatypes.Root
    properties:
      instantiate: { type: tosca.datatypes.nfv.VnfInstantiateOperationConfiguration, required: false }
      scale: { type: tosca.datatypes.nfv.VnfScaleOperationConfiguration, required: false }
      scale_to_level: { type: tosca.datatypes.nfv.VnfScaleToLevelOperationConfiguration, required: false }
      change_flavour: { type: tosca.datatypes.nfv.VnfChangeFlavourOperationConfiguration, required: false }
      heal: { type: tosca.datatypes.nfv.VnfHealOperationConfiguration, required: false }
      terminate: { type: tosca.datatypes.nfv.VnfTerminateOperationConfiguration, required: false }
      operate: { type: tosca.datatypes.nfv.VnfOperateOperationConfiguration, required: false }
      change_ext_connectivity: { type: tosca.datatypes.nfv.VnfChangeExtConnectivityOperationConfiguration, required: false }

  tosca.datatypes.nfv.VnfInstantiateOperationConfiguration: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfChangeFlavourOperationConfiguration: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfChangeExtConnectivityOperationConfiguration: { derived_from: tosca.datatypes.Root }

  tosca.datatypes.nfv.VnfScaleOperationConfiguration:
    derived_from: tosca.datatypes.Root
    properties:
      scaling_by_more_than_one_step_supported: { type: boolean, required: false, default: false }

  tosca.datatypes.nfv.VnfScaleToLevelOperationConfiguration:
    derived_from: tosca.datatypes.Root
    properties:
      arbitrary_target_levels_supported: { type: boolean, required: true }

  tosca.datatypes.nfv.VnfHealOperationConfiguration:
    derived_from: tosca.datatypes.Root
    properties:
      causes: { type: list, required: false, entry_schema: { type: string } }

  tosca.datatypes.nfv.VnfTerminateOperationConfiguration:
    derived_from: tosca.datatypes.Root
    properties:
      min_graceful_termination_timeout: { type: scalar-unit.time, required: true }
      max_recommended_graceful_termination_timeout: { type: scalar-unit.time, required: false }

  tosca.datatypes.nfv.VnfOperateOperationConfiguration:
    derived_from: tosca.datatypes.Root
    properties:
      min_graceful_stop_timeout: { type: scalar-unit.time, required: true }
      max_recommended_graceful_stop_timeout: { type: scalar-unit.time, required: false }

  tosca.datatypes.nfv.VnfConfigurableProperties:
    derived_from: tosca.datatypes.Root
    properties:
      is_autoscale_enabled: { type: boolean, required: false }
      is_autoheal_enabled: { type: boolean, required: false }

  tosca.datatypes.nfv.VnfAdditionalConfigurableProperties: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfInfoModifiableAttributes: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfInfoModifiableAttributesExtensions: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfInfoModifiableAttributesMetadata: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfcConfigurableProperties: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfcAdditionalConfigurableProperties: { derived_from: tosca.datatypes.Root }
  tosca.datatypes.nfv.VnfOperationAdditionalParameters: { derived_from: tosca.datatypes.Root }

  tosca.datatypes.nfv.VnfMonitoringParameter:
    derived_from: tosca.datatypes.Root
    properties:
      name: { type: string, required: true }
      performance_metric: { type: string, required: true }
      collection_period: { type: scalar-unit.time, required: false, constraints: [ greater_than: 0 s ] }

  tosca.datatypes.nfv.VnfcMonitoringParameter:
    derived_from: tosca.datatypes.nfv.VnfMonitoringParameter

  tosca.datatypes.nfv.VirtualLinkMonitoringParameter:
    derived_from: tosca.datatypes.nfv.VnfMonitoringParameter

artifact_types:
  tosca.artifacts.nfv.SwImage:
    derived_from: tosca.artifacts.Deployment.Image
    description: A software image loaded on the virtualisation container of a VDU or on a virtual storage.

capability_types:
  tosca.capabilities.nfv.VirtualBindable:
    derived_from: tosca.capabilities.Node
    description: What a tosca.relationships.nfv.VirtualBindsTo relationship can point at.

  tosca.capabilities.nfv.VirtualCompute:
    derived_from: tosca.capabilities.Node
    description: The virtual compute resources of a VDU.
    properties:
      logical_node: { type: map, required: false, entry_schema: { type: tosca.datatypes.nfv.LogicalNodeData } }
      requested_additional_capabilities: { type: map, required: false, entry_schema: { type: tosca.datatypes.nfv.RequestedAdditionalCapability } }
      compute_requirements: { type: map, required: false, entry_schema: { type: string } }
      virtual_memory: { type: tosca.datatypes.nfv.VirtualMemory, required: true }
      virtual_cpu: { type: tosca.datatypes.nfv.VirtualCpu, required: true }
      virtual_local_storage: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VirtualBlockStorageData } }

  tosca.capabilities.nfv.VirtualStorage:
    derived_from: tosca.capabilities.Root
    description: What a VDU attaches as storage.

relationship_types:
  tosca.relationships.nfv.VirtualBindsTo:
    derived_from: tosca.relationships.DependsOn
    description: A VduCp bound to its VDU.
    valid_target_types: [ tosca.capabilities.nfv.VirtualBindable ]

  tosca.relationships.nfv.AttachesTo:
    derived_from: tosca.relationships.Root
    description: A virtual storage attached to a VDU.
    valid_target_types: [ tosca.capabilities.nfv.VirtualStorage ]

interface_types:
  tosca.interfaces.nfv.Vnflcm:
    derived_from: tosca.interfaces.Root
    description: The VNF lifecycle operations, with their preambles and postambles.
    operations: {
      instantiate: {}, instantiate_start: {}, instantiate_end: {}, terminate: {}, terminate_start: {}, terminate_end: {},
      modify_information: {}, modify_information_start: {}, modify_information_end: {},
      change_flavour: {}, change_flavour_start: {}, change_flavour_end: {},
      change_external_connectivity: {}, change_external_connectivity_start: {}, change_external_connectivity_end: {},
      operate: {}, operate_start: {}, operate_end: {}, heal: {}, heal_start: {}, heal_end: {},
      scale: {}, scale_start: {}, scale_end: {}, scale_to_level: {}, scale_to_level_start: {}, scale_to_level_end: {} }

node_types:
  tosca.nodes.nfv.VNF:
    derived_from: tosca.nodes.Root
    description: The abstract VNF; every VNF-specific node type derives from it.
    properties:
      descriptor_id: { type: string, required: true }
      descriptor_version: { type: string, required: true }
      provider: { type: string, required: true }
      product_name: { type: string, required: true }
      software_version: { type: string, required: true }
      product_info_name: { type: string, required: false }
      product_info_description: { type: string, required: false }
      vnfm_info: { type: list, required: true, entry_schema: { type: string, constraints: [ pattern: '(^etsivnfm:v[0-9]?[0-9]\.[0-9]?[0-9]\.[0-9]?[0-9]$)|(^[0-9]+:[a-zA-Z0-9.-]+$)' ] } }
      localization_languages: { type: list, required: false, entry_schema: { type: string } }
      default_localization_language: { type: string, required: false }
      lcm_operations_configuration: { type: tosca.datatypes.nfv.VnfLcmOperationsConfiguration, required: false }
      monitoring_parameters: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VnfMonitoringParameter } }
      flavour_id: { type: string, required: true }
      flavour_description: { type: string, required: true }
      vnf_profile: { type: tosca.datatypes.nfv.VnfProfile, required: false }
    requirements:
      - virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo, occurrences: [ 0, 1 ] }
    interfaces:
      Vnflcm: { type: tosca.interfaces.nfv.Vnflcm }

  tosca.nodes.nfv.VnfExtCp:
    derived_from: tosca.nodes.nfv.Cp
    description: An external connection point of the VNF, exposing an internal virtual link.
    properties:
      virtual_network_interface_requirements: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VirtualNetworkInterfaceRequirements } }
    requirements:
      - external_virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo }
      - internal_virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo }

  tosca.nodes.nfv.Vdu.Compute:
    derived_from: tosca.nodes.Root
    description: The virtual compute part of a VDU.
    properties:
      name: { type: string, required: true }
      description: { type: string, required: true }
      boot_order: { type: list, required: false, entry_schema: { type: string } }
      nfvi_constraints: { type: list, required: false, entry_schema: { type: string } }
      monitoring_parameters: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VnfcMonitoringParameter } }
      vdu_profile: { type: tosca.datatypes.nfv.VduProfile, required: true }
      sw_image_data: { type: tosca.datatypes.nfv.SwImageData, required: false }
      boot_data: { type: string, required: false }
    capabilities:
      virtual_compute: { type: tosca.capabilities.nfv.VirtualCompute, occurrences: [ 1, 1 ] }
      virtual_binding: { type: tosca.capabilities.nfv.VirtualBindable, occurrences: [ 1, UNBOUNDED ] }
    requirements:
      - virtual_storage: { capability: tosca.capabilities.nfv.VirtualStorage, relationship: tosca.relationships.nfv.AttachesTo, occurrences: [ 0, UNBOUNDED ] }

  tosca.nodes.nfv.Vdu.VirtualBlockStorage:
    derived_from: tosca.nodes.Root
    description: Virtual block storage of a VDU.
    properties:
      virtual_block_storage_data: { type: tosca.datatypes.nfv.VirtualBlockStorageData, required: true }
      sw_image_data: { type: tosca.datatypes.nfv.SwImageData, required: false }
    capabilities: &storage_capabilities
      virtual_storage: { type: tosca.capabilities.nfv.VirtualStorage }

  tosca.nodes.nfv.Vdu.VirtualObjectStorage:
    derived_from: tosca.nodes.Root
    properties:
      virtual_object_storage_data: { type: tosca.datatypes.nfv.VirtualObjectStorageData, required: true }
    capabilities: *storage_capabilities

  tosca.nodes.nfv.Vdu.VirtualFileStorage:
    derived_from: tosca.nodes.Root
    properties:
      virtual_file_storage_data: { type: tosca.datatypes.nfv.VirtualFileStorageData, required: true }
    capabilities: *storage_capabilities
    requirements:
      - virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo }

  tosca.nodes.nfv.VduCp:
    derived_from: tosca.nodes.nfv.Cp
    description: A connection point of a VDU to an internal virtual link.
    properties:
      bitrate_requirement: { type: integer, required: false, constraints: [ greater_or_equal: 0 ] }
      virtual_network_interface_requirements: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VirtualNetworkInterfaceRequirements } }
      order: { type: integer, required: false, constraints: [ greater_or_equal: 0 ] }
      vnic_type: { type: string, required: false, constraints: [ valid_values: [ normal, virtio, direct-physical, direct, macvtap, baremetal, virtio-forwarder, smart-nic ] ] }
    requirements:
      - virtual_link: { capability: tosca.capabilities.nfv.VirtualLinkable, relationship: tosca.relationships.nfv.VirtualLinksTo }
      - virtual_binding: { capability: tosca.capabilities.nfv.VirtualBindable, relationship: tosca.relationships.nfv.VirtualBindsTo, node: tosca.nodes.nfv.Vdu.Compute }

  tosca.nodes.nfv.VnfVirtualLink:
    derived_from: tosca.nodes.Root
    description: An internal virtual link of the VNF.
    properties:
      connectivity_type: { type: tosca.datatypes.nfv.ConnectivityType, required: true }
      description: { type: string, required: false }
      test_access: { type: list, required: false, entry_schema: { type: string, constraints: [ valid_values: [ passive_monitoring, active_loopback ] ] } }
      vl_profile: { type: tosca.datatypes.nfv.VlProfile, required: true }
      monitoring_parameters: { type: list, required: false, entry_schema: { type: tosca.datatypes.nfv.VirtualLinkMonitoringParameter } }
    capabilities:
      virtual_linkable: { type: tosca.capabilities.nfv.VirtualLinkable }

group_types:
  tosca.groups.nfv.PlacementGroup:
    derived_from: tosca.groups.Root
    description: VDUs or virtual links that an affinity or anti-affinity rule treats together.
    properties:
      description: { type: string, required: true }
    members: [ tosca.nodes.nfv.Vdu.Compute, tosca.nodes.nfv.VnfVirtualLink ]

policy_types:
  tosca.policies.nfv.InstantiationLevels:
    derived_from: tosca.policies.Root
    description: The instantiation levels of a deployment flavour and the default one.
    properties:
      levels: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.InstantiationLevel }, constraints: [ min_length: 1 ] }
      default_level: { type: string, required: false }

  tosca.policies.nfv.VduInstantiationLevels:
    derived_from: tosca.policies.Root
    description: The number of instances of the target VDUs at each instantiation level.
    properties:
      levels: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.VduLevel }, constraints: [ min_length: 1 ] }
    targets: [ tosca.nodes.nfv.Vdu.Compute ]

  tosca.policies.nfv.VirtualLinkInstantiationLevels:
    derived_from: tosca.policies.Root
    properties:
      levels: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.VirtualLinkBitrateLevel }, constraints: [ min_length: 1 ] }
    targets: [ tosca.nodes.nfv.VnfVirtualLink ]

  tosca.policies.nfv.ScalingAspects:
    derived_from: tosca.policies.Root
    description: The scaling aspects of a deployment flavour.
    properties:
      aspects: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.ScalingAspect }, constraints: [ min_length: 1 ] }

  tosca.policies.nfv.VduScalingAspectDeltas:
    derived_from: tosca.policies.Root
    description: The instances one scaling step of an aspect adds to the target VDUs.
    properties:
      aspect: { type: string, required: true }
      deltas: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.VduLevel }, constraints: [ min_length: 1 ] }
    targets: [ tosca.nodes.nfv.Vdu.Compute ]

  tosca.policies.nfv.VirtualLinkBitrateScalingAspectDeltas:
    derived_from: tosca.policies.Root
    properties:
      aspect: { type: string, required: true }
      deltas: { type: map, required: true, entry_schema: { type: tosca.datatypes.nfv.VirtualLinkBitrateLevel }, constraints: [ min_length: 1 ] }
    targets: [ tosca.nodes.nfv.VnfVirtualLink ]

  tosca.policies.nfv.VduInitialDelta:
    derived_from: tosca.policies.Root
    description: The instances of the target VDUs at scale level 0.
    properties:
      initial_delta: { type: tosca.datatypes.nfv.VduLevel, required: true }
    targets: [ tosca.nodes.nfv.Vdu.Compute ]

  tosca.policies.nfv.VirtualLinkBitrateInitialDelta:
    derived_from: tosca.policies.Root
    properties:
      initial_delta: { type: tosca.datatypes.nfv.VirtualLinkBitrateLevel, required: true }
    targets: [ tosca.nodes.nfv.VnfVirtualLink ]

  tosca.policies.nfv.AffinityRule:
    derived_from: tosca.policies.Placement
    description: The targets are placed together within the scope.
    properties: &placement_scope
      scope: { type: string, required: true, constraints: [ valid_values: [ nfvi_node, zone, zone_group, nfvi_pop, network_link_and_node ] ] }
    targets: &placement_targets [ tosca.nodes.nfv.Vdu.Compute, tosca.nodes.nfv.VnfVirtualLink, tosca.groups.nfv.PlacementGroup ]

  tosca.policies.nfv.AntiAffinityRule:
    derived_from: tosca.policies.Placement
    description: The targets are placed apart across the scope.
    properties: *placement_scope
    targets: *placement_targets

  tosca.policies.nfv.SecurityGroupRule:
    derived_from: tosca.policies.Root
    properties:
      description: { type: string, required: false }
      direction: { type: string, required: false, default: ingress, constraints: [ valid_values: [ ingress, egress ] ] }
      ether_type: { type: string, required: false, default: ipv4, constraints: [ valid_values: [ ipv4, ipv6 ] ] }
      protocol: { type: string, required: false, default: tcp }
      port_range_min: { type: integer, required: false, default: 0, constraints: [ in_range: [ 0, 65535 ] ] }
      port_range_max: { type: integer, required: false, default: 65535, constraints: [ in_range: [ 0, 65535 ] ] }
    targets: [ tosca.nodes.nfv.VduCp, tosca.nodes.nfv.VnfExtCp ]
`;
