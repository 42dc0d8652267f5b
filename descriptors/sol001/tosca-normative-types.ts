/**
 * The TOSCA Simple Profile normative types that the SOL 001 definitions derive from (the subset they use and
 * a little more). Always loaded, as TOSCA processors do, whatever a template imports.
 */
export const TOSCA_NORMATIVE_TYPES = String.raw`
tosca_definitions_version: tosca_simple_yaml_1_3
description: Normative TOSCA Simple Profile types used by the ETSI NFV SOL 001 definitions.
metadata:
  template_name: tosca_normative_types
  template_version: '1.3'

data_types:
  tosca.datatypes.Root: { description: The root of every data type. }
  tosca.datatypes.json: { derived_from: string }
  tosca.datatypes.xml: { derived_from: string }
  tosca.datatypes.Credential:
    derived_from: tosca.datatypes.Root
    properties:
      protocol: { type: string, required: false }
      token_type: { type: string, default: password }
      token: { type: string }
      keys: { type: map, required: false, entry_schema: { type: string } }
      user: { type: string, required: false }
  tosca.datatypes.TimeInterval:
    derived_from: tosca.datatypes.Root
    properties:
      start_time: { type: timestamp }
      end_time: { type: timestamp }
  tosca.datatypes.network.NetworkInfo:
    derived_from: tosca.datatypes.Root
    properties:
      network_name: { type: string, required: false }
      network_id: { type: string, required: false }
      addresses: { type: list, required: false, entry_schema: { type: string } }
  tosca.datatypes.network.PortInfo:
    derived_from: tosca.datatypes.Root
    properties:
      port_name: { type: string, required: false }
      port_id: { type: string, required: false }
      network_id: { type: string, required: false }
      mac_address: { type: string, required: false }
      addresses: { type: list, required: false, entry_schema: { type: string } }
  tosca.datatypes.network.PortDef:
    derived_from: integer
    constraints: [ in_range: [ 1, 65535 ] ]
  tosca.datatypes.network.PortSpec:
    derived_from: tosca.datatypes.Root
    properties:
      protocol: { type: string, default: tcp, constraints: [ valid_values: [ udp, tcp, igmp ] ] }
      source: { type: tosca.datatypes.network.PortDef, required: false }
      source_range: { type: range, required: false, constraints: [ in_range: [ 1, 65535 ] ] }
      target: { type: tosca.datatypes.network.PortDef, required: false }
      target_range: { type: range, required: false, constraints: [ in_range: [ 1, 65535 ] ] }

capability_types:
  tosca.capabilities.Root: { description: The root of every capability type. }
  tosca.capabilities.Node: { derived_from: tosca.capabilities.Root }
  tosca.capabilities.Container: { derived_from: tosca.capabilities.Root }
  tosca.capabilities.Attachment: { derived_from: tosca.capabilities.Root }
  tosca.capabilities.Storage:
    derived_from: tosca.capabilities.Root
    properties:
      name: { type: string, required: false }
  tosca.capabilities.Network:
    derived_from: tosca.capabilities.Root
    properties:
      name: { type: string, required: false }
  tosca.capabilities.Compute:
    derived_from: tosca.capabilities.Container
    properties:
      name: { type: string, required: false }
      num_cpus: { type: integer, required: false, constraints: [ greater_or_equal: 1 ] }
      cpu_frequency: { type: scalar-unit.frequency, required: false, constraints: [ greater_or_equal: 0.1 GHz ] }
      disk_size: { type: scalar-unit.size, required: false, constraints: [ greater_or_equal: 0 MB ] }
      mem_size: { type: scalar-unit.size, required: false, constraints: [ greater_or_equal: 0 MB ] }
  tosca.capabilities.Endpoint:
    derived_from: tosca.capabilities.Root
    properties:
      protocol: { type: string, default: tcp }
      port: { type: tosca.datatypes.network.PortDef, required: false }
      secure: { type: boolean, default: false }
      url_path: { type: string, required: false }
      port_name: { type: string, required: false }
      network_name: { type: string, default: PRIVATE }
      initiator: { type: string, default: source, constraints: [ valid_values: [ source, target, peer ] ] }
      ports: { type: map, required: false, entry_schema: { type: tosca.datatypes.network.PortSpec } }
  tosca.capabilities.OperatingSystem:
    derived_from: tosca.capabilities.Root
    properties:
      architecture: { type: string, required: false }
      type: { type: string, required: false }
      distribution: { type: string, required: false }
      version: { type: version, required: false }
  tosca.capabilities.Scalable:
    derived_from: tosca.capabilities.Root
    properties:
      min_instances: { type: integer, default: 1 }
      max_instances: { type: integer, default: 1 }
      default_instances: { type: integer, required: false }
  tosca.capabilities.network.Linkable: { derived_from: tosca.capabilities.Node }
  tosca.capabilities.network.Bindable: { derived_from: tosca.capabilities.Node }

relationship_types:
  tosca.relationships.Root: { description: The root of every relationship type. }
  tosca.relationships.DependsOn: { derived_from: tosca.relationships.Root, valid_target_types: [ tosca.capabilities.Node ] }
  tosca.relationships.HostedOn: { derived_from: tosca.relationships.Root, valid_target_types: [ tosca.capabilities.Container ] }
  tosca.relationships.ConnectsTo: { derived_from: tosca.relationships.Root, valid_target_types: [ tosca.capabilities.Endpoint ] }
  tosca.relationships.AttachesTo: { derived_from: tosca.relationships.Root, valid_target_types: [ tosca.capabilities.Attachment ] }
  tosca.relationships.RoutesTo: { derived_from: tosca.relationships.ConnectsTo, valid_target_types: [ tosca.capabilities.Endpoint ] }
  tosca.relationships.network.LinksTo: { derived_from: tosca.relationships.DependsOn, valid_target_types: [ tosca.capabilities.network.Linkable ] }
  tosca.relationships.network.BindsTo: { derived_from: tosca.relationships.DependsOn, valid_target_types: [ tosca.capabilities.network.Bindable ] }

interface_types:
  tosca.interfaces.Root: { description: The root of every interface type. }
  tosca.interfaces.node.lifecycle.Standard:
    derived_from: tosca.interfaces.Root
    operations: { create: {}, configure: {}, start: {}, stop: {}, delete: {} }
  tosca.interfaces.relationship.Configure:
    derived_from: tosca.interfaces.Root
    operations: { pre_configure_source: {}, pre_configure_target: {}, post_configure_source: {}, post_configure_target: {}, add_target: {}, add_source: {}, target_changed: {}, remove_target: {} }

artifact_types:
  tosca.artifacts.Root: { description: The root of every artifact type. }
  tosca.artifacts.File: { derived_from: tosca.artifacts.Root }
  tosca.artifacts.Deployment: { derived_from: tosca.artifacts.Root }
  tosca.artifacts.Deployment.Image: { derived_from: tosca.artifacts.Deployment }
  tosca.artifacts.Deployment.Image.VM: { derived_from: tosca.artifacts.Deployment.Image }
  tosca.artifacts.Implementation: { derived_from: tosca.artifacts.Root }
  tosca.artifacts.Implementation.Bash: { derived_from: tosca.artifacts.Implementation, mime_type: application/x-sh, file_ext: [ sh ] }
  tosca.artifacts.Implementation.Python: { derived_from: tosca.artifacts.Implementation, mime_type: application/x-python, file_ext: [ py ] }

node_types:
  tosca.nodes.Root:
    description: The root of every node type.
    capabilities:
      feature: { type: tosca.capabilities.Node }
    requirements:
      - dependency: { capability: tosca.capabilities.Node, node: tosca.nodes.Root, relationship: tosca.relationships.DependsOn, occurrences: [ 0, UNBOUNDED ] }
    interfaces:
      Standard: { type: tosca.interfaces.node.lifecycle.Standard }

group_types:
  tosca.groups.Root: { description: The root of every group type. }

policy_types:
  tosca.policies.Root: { description: The root of every policy type. }
  tosca.policies.Placement: { derived_from: tosca.policies.Root }
  tosca.policies.Scaling: { derived_from: tosca.policies.Root }
  tosca.policies.Update: { derived_from: tosca.policies.Root }
  tosca.policies.Performance: { derived_from: tosca.policies.Root }
`;
