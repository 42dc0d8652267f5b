import type { CollectionSpec, Entity } from '../../platform/index.js';

export type NetworkType = 'vlan' | 'flat' | 'vxlan';
export const NETWORK_TYPES: readonly NetworkType[] = ['vlan', 'flat', 'vxlan'];

/** The one segment a network is carried on (Neutron's provider extension, single-segment form). */
export interface Segment {
  networkType: NetworkType;
  /** Set for vlan and flat, null for vxlan. */
  physicalNetwork: string | null;
  /** VLAN id or VNI; null for flat. */
  segmentationId: number | null;
}

export interface Network extends Entity {
  name: string;
  description: string;
  adminStateUp: boolean;
  shared: boolean;
  segment: Segment;
  mtu: number;
  portSecurityEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type VnicType = 'normal' | 'direct' | 'direct-physical' | 'macvtap' | 'baremetal' | 'virtio-forwarder' | 'vdpa' | 'remote-managed';
export const VNIC_TYPES: readonly VnicType[] = ['normal', 'direct', 'direct-physical', 'macvtap', 'baremetal', 'virtio-forwarder', 'vdpa', 'remote-managed'];

export interface FixedIp {
  ipAddress: string;
}

export type PortStatus = 'ACTIVE' | 'DOWN';

export interface PortBindingState {
  /** The host asked for, or once bound the host the port is plugged on; '' when neither. */
  hostId: string;
  vnicType: VnicType;
  profile: Record<string, unknown>;
  vifType: 'unbound' | 'ovs';
  /** The OpenFlow port number on the host's integration bridge, once bound. */
  ofport: number | null;
}

export interface Port extends Entity {
  networkId: string;
  name: string;
  description: string;
  adminStateUp: boolean;
  status: PortStatus;
  macAddress: string;
  fixedIps: FixedIp[];
  deviceId: string;
  deviceOwner: string;
  binding: PortBindingState;
  portSecurityEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * What a network or port holds exclusively: a segment of a pool, or a MAC or IP address on one network. Each
 * is a document whose id is the thing held, so the store's duplicate-id refusal makes a claim atomic across
 * connections and processes.
 */
export interface Claim extends Entity {
  pool: string;
  value: number | string;
  holder: string;
}

export const NETWORKS: CollectionSpec = { name: 'vim_networks', indexes: ['shared'] };
export const PORTS: CollectionSpec = { name: 'vim_ports', indexes: ['networkId'] };
export const CLAIMS: CollectionSpec = { name: 'vim_network_claims', indexes: ['pool'] };

export function segmentPool(segment: Segment): string {
  return segment.networkType === 'vxlan' ? 'vxlan' : `${segment.networkType}/${segment.physicalNetwork ?? ''}`;
}

export function segmentClaimId(segment: Segment): string {
  return segment.networkType === 'flat' ? `segment/${segmentPool(segment)}` : `segment/${segmentPool(segment)}/${segment.segmentationId}`;
}

export const macClaimId = (networkId: string, macAddress: string): string => `address/${networkId}/mac/${macAddress}`;
export const ipClaimId = (networkId: string, ipAddress: string): string => `address/${networkId}/ip/${ipAddress}`;

/** The MAC and IP addresses a port holds on its network. */
export function addressClaims(port: Port): Claim[] {
  const claim = (id: string, kind: 'mac' | 'ip', value: string): Claim => ({ id, tenantId: port.tenantId, pool: `address/${port.networkId}/${kind}`, value, holder: port.id });
  return [
    claim(macClaimId(port.networkId, port.macAddress), 'mac', port.macAddress),
    ...port.fixedIps.map(({ ipAddress }) => claim(ipClaimId(port.networkId, ipAddress), 'ip', ipAddress)),
  ];
}

export type NeutronView = Record<string, unknown>;

/** Neutron's network resource. Both tenant_id and project_id: older clients read the first, newer the second. */
export function networkView(network: Network, revision: number): NeutronView {
  return {
    id: network.id,
    name: network.name,
    description: network.description,
    tenant_id: network.tenantId,
    project_id: network.tenantId,
    admin_state_up: network.adminStateUp,
    status: 'ACTIVE',
    shared: network.shared,
    subnets: [],
    mtu: network.mtu,
    port_security_enabled: network.portSecurityEnabled,
    'provider:network_type': network.segment.networkType,
    'provider:physical_network': network.segment.physicalNetwork,
    'provider:segmentation_id': network.segment.segmentationId,
    'router:external': false,
    revision_number: revision,
    created_at: network.createdAt,
    updated_at: network.updatedAt,
  };
}

export function portView(port: Port, revision: number): NeutronView {
  return {
    id: port.id,
    name: port.name,
    description: port.description,
    network_id: port.networkId,
    tenant_id: port.tenantId,
    project_id: port.tenantId,
    admin_state_up: port.adminStateUp,
    status: port.status,
    mac_address: port.macAddress,
    fixed_ips: port.fixedIps.map(({ ipAddress }) => ({ ip_address: ipAddress })),
    device_id: port.deviceId,
    device_owner: port.deviceOwner,
    'binding:host_id': port.binding.hostId,
    'binding:vif_type': port.binding.vifType,
    'binding:vnic_type': port.binding.vnicType,
    'binding:profile': port.binding.profile,
    'binding:vif_details': port.binding.ofport === null ? {} : { ofport: port.binding.ofport },
    security_groups: [],
    port_security_enabled: port.portSecurityEnabled,
    revision_number: revision,
    created_at: port.createdAt,
    updated_at: port.updatedAt,
  };
}
