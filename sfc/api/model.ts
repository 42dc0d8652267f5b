import type { CollectionSpec, Entity } from '../../platform/index.js';

/**
 * The stored networking-sfc and Traffic Steering resources. Attribute names are the APIs' own (snake case),
 * since they are the words both the operators and networking-sfc's documentation use for them.
 */

export type Ethertype = 'IPv4' | 'IPv6';

export interface FlowClassifier extends Entity {
  name: string;
  description: string;
  ethertype: Ethertype;
  /** Lower-case protocol name (`tcp`, `udp`, `icmp`, ...) or the IANA number as text when it has none we know. */
  protocol: string | null;
  source_port_range_min: number | null;
  source_port_range_max: number | null;
  destination_port_range_min: number | null;
  destination_port_range_max: number | null;
  source_ip_prefix: string | null;
  destination_ip_prefix: string | null;
  logical_source_port: string | null;
  logical_destination_port: string | null;
}

export interface ServiceFunctionParameters {
  correlation: 'mpls' | null;
  weight: number;
}

export interface PortPair extends Entity {
  name: string;
  description: string;
  ingress: string;
  egress: string;
  service_function_parameters: ServiceFunctionParameters;
}

export type LbField = 'eth_src' | 'eth_dst' | 'ip_src' | 'ip_dst' | 'tcp_src' | 'tcp_dst' | 'udp_src' | 'udp_dst';
export const LB_FIELDS: readonly LbField[] = ['eth_src', 'eth_dst', 'ip_src', 'ip_dst', 'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst'];

export interface PortPairGroup extends Entity {
  name: string;
  description: string;
  port_pairs: string[];
  port_pair_group_parameters: { lb_fields: LbField[] };
}

export interface PortChain extends Entity {
  name: string;
  description: string;
  chain_id: number;
  port_pair_groups: string[];
  flow_classifiers: string[];
  chain_parameters: { correlation: 'mpls'; symmetric: boolean };
}

export interface ServiceGraph extends Entity {
  name: string;
  description: string;
  /** Source chain id to the chains its traffic branches into. */
  port_chains: Record<string, string[]>;
}

/** A Traffic Steering classifier: destination port ranges as `min:max` pairs. */
export interface SteeringClassifier extends Entity {
  name: string;
  description: string;
  protocol: number | null;
  port_range: string | null;
  src_ip: string | null;
  dst_ip: string | null;
}

/** One instance of a Traffic Steering service function: its ports, each with the standby that may take over. */
export interface SteeringInstance {
  ingress: string;
  ingressBackup: string | null;
  egress: string;
  egressBackup: string | null;
}

/** One service function of a Traffic Steering chain, parsed from a `ports` entry: the instances flows are spread over. */
export interface SteeringHop {
  instances: SteeringInstance[];
}

export interface SteeringPortChain extends Entity {
  name: string;
  description: string;
  classifiers: string[];
  hops: SteeringHop[];
  chainId: number;
}

export const FLOW_CLASSIFIERS: CollectionSpec = { name: 'sfc_flow_classifiers', indexes: [] };
export const PORT_PAIRS: CollectionSpec = { name: 'sfc_port_pairs', indexes: [] };
export const PORT_PAIR_GROUPS: CollectionSpec = { name: 'sfc_port_pair_groups', indexes: ['port_pairs'] };
export const PORT_CHAINS: CollectionSpec = { name: 'sfc_port_chains', indexes: ['flow_classifiers', 'port_pair_groups'] };
export const SERVICE_GRAPHS: CollectionSpec = { name: 'sfc_service_graphs', indexes: [] };
export const STEERING_CLASSIFIERS: CollectionSpec = { name: 'ts_classifiers', indexes: [] };
export const STEERING_PORT_CHAINS: CollectionSpec = { name: 'ts_port_chains', indexes: ['classifiers'] };

export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
