/**
 * VIM networks: the Neutron-shaped networks and ports (OpenStack Networking API v2.0) that the SFC APIs
 * reference, with VLAN/VXLAN segments allocated by the VIM, and the seam through which the compute side marks
 * a port bound to a host.
 */
import type { FastifyInstance } from 'fastify';
import { onSuccessfulWrite, type Store } from '../../platform/index.js';
import { Networks, type PortUsers } from './networks.js';
import { networkRoutes } from './routes.js';
import { DEFAULT_SEGMENT_RANGES, type SegmentRanges } from './segments.js';

export { checkIpAddress, checkMacAddress } from './addresses.js';
export type { NeutronErrorBody, NeutronFault } from './errors.js';
export { CLAIMS, NETWORKS, PORTS, type FixedIp, type Network, type NetworkType, type Port, type PortBindingState, type PortStatus, type Segment, type VnicType } from './model.js';
export { Networks, type HostBinding, type PortBindings, type PortDirectory, type PortUsers } from './networks.js';
export { DEFAULT_SEGMENT_RANGES, type SegmentRange, type SegmentRanges } from './segments.js';

export interface NetworkApiServices {
  store: Store;
  /** Defaults to VLANs 100-3999 on `physnet1`, no VXLAN. */
  segmentRanges?: SegmentRanges;
  /** What other contexts use a port for: such a port cannot be deleted. */
  portUsers?: PortUsers;
  /** Called after every successful write of a network or port. */
  onChange?: () => void;
}

/**
 * Registers `/v2.0/networks` and `/v2.0/ports` and answers the `Networks` behind them: the `PortDirectory`
 * other contexts read and the `PortBindings` the compute side reports to.
 */
export async function registerNetworkApi(app: FastifyInstance, services: NetworkApiServices): Promise<Networks> {
  const networks = new Networks(services.store, services.segmentRanges ?? DEFAULT_SEGMENT_RANGES, services.portUsers);
  const { onChange } = services;
  await app.register(async (scope) => {
    if (onChange) onSuccessfulWrite(scope, onChange);
    await scope.register(networkRoutes(networks));
  });
  return networks;
}
