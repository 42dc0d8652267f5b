import type {
  FlowClassifier,
  LbField,
  PortChain,
  PortPair,
  PortPairGroup,
  SteeringClassifier,
  SteeringPortChain,
} from '../api/model.js';
import { PROTOCOL_NUMBERS } from '../api/model.js';
import type { ChainHop, ChainIntent, LoadBalanceField, PortRange, TrafficClassifier } from './model.js';

/** The stored resources of both northbound APIs, as the chain model is computed from them. */
export interface ChainResources {
  flowClassifiers: readonly FlowClassifier[];
  portPairs: readonly PortPair[];
  portPairGroups: readonly PortPairGroup[];
  portChains: readonly PortChain[];
  steeringClassifiers: readonly SteeringClassifier[];
  steeringPortChains: readonly SteeringPortChain[];
}

/** OpenFlow hashes on the transport port whatever the protocol: `tcp_src` and `udp_src` are one field. */
const LOAD_BALANCE_FIELD: Readonly<Record<LbField, LoadBalanceField>> = {
  eth_src: 'eth_src',
  eth_dst: 'eth_dst',
  ip_src: 'ip_src',
  ip_dst: 'ip_dst',
  tcp_src: 'tp_src',
  udp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_dst: 'tp_dst',
};

function rangeOf(min: number | null, max: number | null): PortRange[] {
  if (min === null && max === null) return [];
  return [{ min: min ?? 0, max: max ?? 65535 }];
}

function protocolNumber(protocol: string | null, ethertype: 'IPv4' | 'IPv6'): number | undefined {
  if (protocol === null) return undefined;
  // Neutron's "icmp" means ICMPv6 in an IPv6 classifier.
  if (protocol === 'icmp' && ethertype === 'IPv6') return PROTOCOL_NUMBERS.icmpv6;
  return PROTOCOL_NUMBERS[protocol] ?? Number(protocol);
}

export function flowClassifierTraffic(classifier: FlowClassifier): TrafficClassifier {
  return {
    id: classifier.id,
    ethertype: classifier.ethertype,
    protocol: protocolNumber(classifier.protocol, classifier.ethertype),
    sourcePrefix: classifier.source_ip_prefix ?? undefined,
    destinationPrefix: classifier.destination_ip_prefix ?? undefined,
    sourcePorts: rangeOf(classifier.source_port_range_min, classifier.source_port_range_max),
    destinationPorts: rangeOf(classifier.destination_port_range_min, classifier.destination_port_range_max),
    logicalSourcePort: classifier.logical_source_port ?? undefined,
    logicalDestinationPort: classifier.logical_destination_port ?? undefined,
  };
}

/** `"800:900,1200:1300"` (already validated) as ranges; a bare port is a range of one. */
export function parsedPortRanges(text: string | null): PortRange[] {
  if (text === null) return [];
  return text.split(',').map((range) => {
    const [min = '', max = min] = range.trim().split(':');
    return { min: Number(min), max: Number(max) };
  });
}

export function steeringClassifierTraffic(classifier: SteeringClassifier): TrafficClassifier {
  const v6 = (classifier.src_ip ?? classifier.dst_ip ?? '').includes(':');
  return {
    id: classifier.id,
    ethertype: v6 ? 'IPv6' : 'IPv4',
    protocol: classifier.protocol ?? undefined,
    sourcePrefix: classifier.src_ip ?? undefined,
    destinationPrefix: classifier.dst_ip ?? undefined,
    sourcePorts: [],
    destinationPorts: parsedPortRanges(classifier.port_range),
    logicalSourcePort: undefined,
    logicalDestinationPort: undefined,
  };
}

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item.id, item]));
}

function resolved<T>(index: Map<string, T>, ids: readonly string[]): T[] {
  return ids.flatMap((id) => {
    const item = index.get(id);
    return item === undefined ? [] : [item];
  });
}

function portChainIntent(chain: PortChain, classifiers: Map<string, FlowClassifier>, groups: Map<string, PortPairGroup>, pairs: Map<string, PortPair>): ChainIntent {
  const hops: ChainHop[] = resolved(groups, chain.port_pair_groups).map((group) => ({
    id: group.id,
    loadBalanceFields: [...new Set(group.port_pair_group_parameters.lb_fields.map((field) => LOAD_BALANCE_FIELD[field]))],
    instances: resolved(pairs, group.port_pairs).map((pair) => ({
      id: pair.id,
      ingressPort: pair.ingress,
      egressPort: pair.egress,
      weight: pair.service_function_parameters.weight,
      mpls: pair.service_function_parameters.correlation === 'mpls',
      backup: undefined,
    })),
  }));
  return {
    id: chain.id,
    tenantId: chain.tenantId,
    api: 'networking-sfc',
    chainId: chain.chain_id,
    correlation: chain.chain_parameters.correlation,
    symmetric: chain.chain_parameters.symmetric,
    classifiers: resolved(classifiers, chain.flow_classifiers).map(flowClassifierTraffic),
    hops,
  };
}

/**
 * A Traffic Steering hop is one service function with one or more load-balanced instances (weight 1 each,
 * so that the compiler spreads flows evenly over them). An instance's primary is its ingress with its egress
 * primary; its backup, when either side names a standby, is the standby ingress (or the primary's) with the
 * standby egress (or the primary's).
 */
function steeringChainIntent(chain: SteeringPortChain, classifiers: Map<string, SteeringClassifier>): ChainIntent {
  return {
    id: chain.id,
    tenantId: chain.tenantId,
    api: 'traffic-steering',
    chainId: chain.chainId,
    correlation: 'none',
    symmetric: false,
    classifiers: resolved(classifiers, chain.classifiers).map(steeringClassifierTraffic),
    hops: chain.hops.map((hop) => ({
      id: hop.instances[0]?.ingress ?? '',
      loadBalanceFields: [],
      instances: hop.instances.map((instance) => ({
        id: instance.ingress,
        ingressPort: instance.ingress,
        egressPort: instance.egress,
        weight: 1,
        backup:
          instance.ingressBackup === null && instance.egressBackup === null
            ? undefined
            : { ingressPort: instance.ingressBackup ?? instance.ingress, egressPort: instance.egressBackup ?? instance.egress },
      })),
    })),
  };
}

/** Every chain of both APIs in the chain model, in chain id order: the flow compiler's one input. */
export function chainIntents(resources: ChainResources): ChainIntent[] {
  const pairs = byId(resources.portPairs);
  const groups = byId(resources.portPairGroups);
  const flowClassifiers = byId(resources.flowClassifiers);
  const steeringClassifiers = byId(resources.steeringClassifiers);
  return [
    ...resources.portChains.map((chain) => portChainIntent(chain, flowClassifiers, groups, pairs)),
    ...resources.steeringPortChains.map((chain) => steeringChainIntent(chain, steeringClassifiers)),
  ].sort((first, second) => first.chainId - second.chainId);
}
