/**
 * The one chain model both northbound APIs map onto (the Traffic Steering API's classifiers and port chains,
 * and networking-sfc's flow classifiers, port pairs, port pair groups and port chains), and the only input
 * of the flow compiler: classifiers select traffic at the chain's entry, then the hops in order, each a set
 * of service function instances.
 */

export interface ChainIntent {
  /** The API resource id of the chain (a TS port chain or a networking-sfc port chain). */
  id: string;
  tenantId: string;
  /** Which API owns the chain. */
  api: 'traffic-steering' | 'networking-sfc';
  /** The path id carried in cookies and, with MPLS correlation, in labels (1..CHAIN_ID_MAX). */
  chainId: number;
  /** `none`: each SF serves one chain and the hop is known from the port traffic comes back on. */
  correlation: 'none' | 'mpls';
  /** Replies traverse the same instances in reverse order. */
  symmetric: boolean;
  classifiers: TrafficClassifier[];
  hops: ChainHop[];
}

/** Traffic one classifier selects. Ranges are inclusive; an absent field matches anything. */
export interface TrafficClassifier {
  id: string;
  ethertype: 'IPv4' | 'IPv6';
  /** IANA protocol number. */
  protocol: number | undefined;
  sourcePrefix: string | undefined;
  destinationPrefix: string | undefined;
  sourcePorts: PortRange[];
  destinationPorts: PortRange[];
  /** Neutron port the traffic enters from; absent: every non-SF port of the network. */
  logicalSourcePort: string | undefined;
  logicalDestinationPort: string | undefined;
}

export interface PortRange {
  min: number;
  max: number;
}

export interface ChainHop {
  /** The port pair group (networking-sfc) or the position in the TS chain. */
  id: string;
  /** Fields a SELECT group hashes on to keep each flow on one instance (networking-sfc `lb_fields`). */
  loadBalanceFields: LoadBalanceField[];
  instances: ServiceFunctionInstance[];
}

export type LoadBalanceField = 'eth_src' | 'eth_dst' | 'ip_src' | 'ip_dst' | 'ip_proto' | 'tp_src' | 'tp_dst';

export interface ServiceFunctionInstance {
  /** The port pair (networking-sfc) or the ingress port id (TS). */
  id: string;
  ingressPort: string;
  egressPort: string;
  weight: number;
  /**
   * The function reads the chain's MPLS label and returns packets with it (networking-sfc port pair
   * `correlation: mpls`): it is sent packets labelled `(chain id << 8) | hop` and they are known by that
   * label when they come back. Otherwise packets reach it unlabelled and are known by the port they return on.
   */
  mpls?: boolean;
  /** Standby instance taking over when the primary's ingress port goes down (TS `"P|B"`). */
  backup: { ingressPort: string; egressPort: string } | undefined;
}

/** networking-sfc encodes `(path << 8) | index` in a 20-bit MPLS label: larger ids cannot be carried. */
export const CHAIN_ID_MAX = 4095;
