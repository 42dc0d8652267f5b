import crypto from 'node:crypto';
import { StoreConflictError, type Principal, type Repository, type Store, type Versioned, type Write } from '../../platform/index.js';
import { checkIpAddress, checkMacAddress, generatedMacAddress } from './addresses.js';
import { invalidInput, neutronError, networkNotFound, notAuthorized, portNotFound } from './errors.js';
import {
  addressClaims,
  CLAIMS,
  ipClaimId,
  macClaimId,
  NETWORKS,
  PORTS,
  segmentClaimId,
  segmentPool,
  type Claim,
  type FixedIp,
  type Network,
  type Port,
  type PortStatus,
  type Segment,
  type VnicType,
} from './model.js';
import { noNetworkAvailable, pickFreeSegmentationId, requestedSegment, segmentInUse, type ProviderAttributes, type SegmentRanges } from './segments.js';

export interface OwnerAttributes {
  tenant_id?: string;
  project_id?: string;
}

export interface NetworkCreation extends ProviderAttributes, OwnerAttributes {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  shared?: boolean;
  mtu?: number;
  port_security_enabled?: boolean;
}

export type NetworkUpdate = Pick<NetworkCreation, 'name' | 'description' | 'admin_state_up' | 'shared' | 'mtu' | 'port_security_enabled'>;

export interface FixedIpRequest {
  ip_address: string;
  subnet_id?: string;
}

export interface PortUpdate {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  mac_address?: string;
  fixed_ips?: FixedIpRequest[];
  device_id?: string;
  device_owner?: string;
  'binding:host_id'?: string;
  'binding:vnic_type'?: VnicType;
  'binding:profile'?: Record<string, unknown>;
  security_groups?: string[];
  port_security_enabled?: boolean;
}

export interface PortCreation extends PortUpdate, OwnerAttributes {
  network_id: string;
}

/** What other contexts read: networks and ports as stored, with their segment, addresses and binding. */
export interface PortDirectory {
  /** With a tenant id, only a port of that tenant; without, any. */
  port(portId: string, tenantId?: string): Promise<Port | undefined>;
  portsOfNetwork(networkId: string): Promise<Port[]>;
  /** With a tenant id, only a network that tenant owns or that is shared. */
  network(networkId: string, tenantId?: string): Promise<Network | undefined>;
}

export interface HostBinding {
  hostId: string;
  /** The port's OpenFlow port number on the host's bridge. */
  ofport: number;
}

/** The seam through which the compute side reports a port plugged on a host (ACTIVE) or unplugged (DOWN). */
/** Other contexts' resources that name a port: a port in use cannot be deleted. */
export interface PortUsers {
  /** Readable names of what uses the port ("Port Pair <id>"); empty when nothing does. */
  usersOf(portId: string): Promise<string[]>;
}

export interface PortBindings {
  /** Undefined when the port does not exist. */
  markBound(portId: string, binding: HostBinding): Promise<Port | undefined>;
  markUnbound(portId: string): Promise<Port | undefined>;
}

const DEFAULT_MTU = 1500;
/** Optimistic writes that lost a race are re-read and retried; this many losses in a row is contention, not bad luck. */
const ATTEMPTS = 32;
const AGAIN = Symbol('again');
type Attempt<T> = Promise<T | typeof AGAIN>;

async function retried<T>(attempt: () => Attempt<T>): Promise<T> {
  for (let round = 0; round < ATTEMPTS; round += 1) {
    const outcome = await attempt();
    if (outcome !== AGAIN) return outcome;
  }
  throw neutronError(409, 'HTTPConflict', 'The request lost too many concurrent updates in a row; try again.');
}

const isConflict = (error: unknown, reason: StoreConflictError['reason']): error is StoreConflictError =>
  error instanceof StoreConflictError && error.reason === reason;

function ownerOf(principal: Principal, attributes: OwnerAttributes, resource: 'network' | 'port'): string {
  const { tenant_id: tenantId, project_id: projectId } = attributes;
  if (tenantId !== undefined && projectId !== undefined && tenantId !== projectId) {
    throw invalidInput(`tenant_id '${tenantId}' and project_id '${projectId}' differ`, `/${resource}/project_id`);
  }
  const owner = tenantId ?? projectId ?? principal.tenantId;
  if (owner !== principal.tenantId && !principal.isAdmin) throw notAuthorized(`create_${resource}:tenant_id`);
  return owner;
}

export class Networks implements PortDirectory, PortBindings {
  readonly networks: Repository<Network>;
  readonly ports: Repository<Port>;
  private readonly claims: Repository<Claim>;

  constructor(
    private readonly store: Store,
    private readonly ranges: SegmentRanges,
    private readonly portUsers?: PortUsers,
  ) {
    this.networks = store.collection<Network>(NETWORKS);
    this.ports = store.collection<Port>(PORTS);
    this.claims = store.collection<Claim>(CLAIMS);
  }

  async network(networkId: string, tenantId?: string): Promise<Network | undefined> {
    const found = await this.networks.get(networkId);
    if (!found || (tenantId !== undefined && found.value.tenantId !== tenantId && !found.value.shared)) return undefined;
    return found.value;
  }

  async port(portId: string, tenantId?: string): Promise<Port | undefined> {
    return (await this.ports.get(portId, tenantId))?.value;
  }

  async portsOfNetwork(networkId: string): Promise<Port[]> {
    return (await this.ports.query({ where: { networkId } })).map(({ value }) => value);
  }

  async visibleNetwork(principal: Principal, networkId: string): Promise<Versioned<Network>> {
    const found = await this.networks.get(networkId);
    if (!found || !(principal.isAdmin || found.value.tenantId === principal.tenantId || found.value.shared)) throw networkNotFound(networkId);
    return found;
  }

  async visibleNetworks(principal: Principal): Promise<Versioned<Network>[]> {
    if (principal.isAdmin) return this.networks.query();
    const [own, shared] = await Promise.all([this.networks.query({ tenantId: principal.tenantId }), this.networks.query({ where: { shared: true } })]);
    const byId = new Map([...own, ...shared].map((found) => [found.value.id, found]));
    return [...byId.values()].sort((a, b) => (a.value.id < b.value.id ? -1 : 1));
  }

  async visiblePort(principal: Principal, portId: string): Promise<Versioned<Port>> {
    const found = await this.ports.get(portId, principal.isAdmin ? undefined : principal.tenantId);
    if (!found) throw portNotFound(portId);
    return found;
  }

  async visiblePorts(principal: Principal, networkId?: string): Promise<Versioned<Port>[]> {
    return this.ports.query({ tenantId: principal.isAdmin ? undefined : principal.tenantId, where: networkId === undefined ? undefined : { networkId } });
  }

  /**
   * `options.id` (for the lifecycle's own networks, never from the API) makes the creation idempotent: a network
   * that already has that id is answered as it is.
   */
  async createNetwork(principal: Principal, request: NetworkCreation, options: { id?: string } = {}): Promise<Versioned<Network>> {
    if (options.id !== undefined) {
      const existing = await this.networks.get(options.id);
      if (existing) return existing;
    }
    const tenantId = ownerOf(principal, request, 'network');
    const providerGiven = Object.keys(request).some((attribute) => attribute.startsWith('provider:'));
    if (providerGiven && !principal.isAdmin) throw notAuthorized('create_network:provider:network_type');
    if (request.shared !== undefined && !principal.isAdmin) throw notAuthorized('create_network:shared');
    const requested = requestedSegment(request, this.ranges);
    const now = new Date().toISOString();
    return retried(async () => {
      let segment: Segment;
      if (requested.kind === 'given') {
        segment = requested.segment;
      } else {
        const pool = segmentPool({ networkType: requested.networkType, physicalNetwork: requested.physicalNetwork, segmentationId: null });
        const taken = new Set((await this.claims.query({ where: { pool } })).map(({ value }) => Number(value.value)));
        const segmentationId = pickFreeSegmentationId(requested.range, taken);
        if (segmentationId === undefined) throw noNetworkAvailable();
        segment = { networkType: requested.networkType, physicalNetwork: requested.physicalNetwork, segmentationId };
      }
      const network: Network = {
        id: options.id ?? crypto.randomUUID(),
        tenantId,
        name: request.name ?? '',
        description: request.description ?? '',
        adminStateUp: request.admin_state_up ?? true,
        shared: request.shared ?? false,
        segment,
        mtu: request.mtu ?? DEFAULT_MTU,
        portSecurityEnabled: request.port_security_enabled ?? true,
        createdAt: now,
        updatedAt: now,
      };
      const claim: Claim = { id: segmentClaimId(segment), tenantId, pool: segmentPool(segment), value: segment.segmentationId ?? 0, holder: network.id };
      try {
        const [revision = 1] = await this.store.commit([this.networks.insertWrite(network), this.claims.insertWrite(claim)]);
        return { value: network, revision };
      } catch (error) {
        if (!isConflict(error, 'duplicate-id') || error.id !== claim.id) throw error;
        if (requested.kind === 'given') throw segmentInUse(segment);
        return AGAIN;
      }
    });
  }

  async updateNetwork(principal: Principal, networkId: string, update: NetworkUpdate): Promise<Versioned<Network>> {
    if (update.shared !== undefined && !principal.isAdmin) throw notAuthorized('update_network:shared');
    return retried(async () => {
      const found = await this.ownedNetwork(principal, networkId, 'update_network');
      const network: Network = {
        ...found.value,
        name: update.name ?? found.value.name,
        description: update.description ?? found.value.description,
        adminStateUp: update.admin_state_up ?? found.value.adminStateUp,
        shared: update.shared ?? found.value.shared,
        mtu: update.mtu ?? found.value.mtu,
        portSecurityEnabled: update.port_security_enabled ?? found.value.portSecurityEnabled,
        updatedAt: new Date().toISOString(),
      };
      try {
        return await this.networks.update(network, found.revision);
      } catch (error) {
        if (isConflict(error, 'stale-revision')) return AGAIN;
        if (isConflict(error, 'missing')) throw networkNotFound(networkId);
        throw error;
      }
    });
  }

  async deleteNetwork(principal: Principal, networkId: string): Promise<void> {
    await retried(async () => {
      const found = await this.ownedNetwork(principal, networkId, 'delete_network');
      const [port] = await this.ports.query({ where: { networkId }, limit: 1 });
      if (port) {
        throw neutronError(409, 'NetworkInUse', `Unable to complete operation on network ${networkId}. There are one or more ports still in use on the network.`);
      }
      try {
        // A port created meanwhile bumped the network's revision, so this delete goes stale and looks again.
        await this.store.commit([this.networks.deleteWrite(networkId, found.revision), this.claims.deleteWrite(segmentClaimId(found.value.segment))]);
        return undefined;
      } catch (error) {
        if (isConflict(error, 'stale-revision')) return AGAIN;
        if (isConflict(error, 'missing') && error.id === networkId) throw networkNotFound(networkId);
        throw error;
      }
    });
  }

  /** Changing a network is for its owner and the admin; others see a shared one but may not touch it. */
  private async ownedNetwork(principal: Principal, networkId: string, action: string): Promise<Versioned<Network>> {
    const found = await this.visibleNetwork(principal, networkId);
    if (!principal.isAdmin && found.value.tenantId !== principal.tenantId) throw notAuthorized(action);
    return found;
  }

  /** `options.id`: as for `createNetwork`, an idempotent creation under an id the caller derived. */
  async createPort(principal: Principal, request: PortCreation, options: { id?: string } = {}): Promise<Versioned<Port>> {
    if (options.id !== undefined) {
      const existing = await this.ports.get(options.id);
      if (existing) return existing;
    }
    const tenantId = ownerOf(principal, request, 'port');
    const givenMac = request.mac_address === undefined ? undefined : checkedMac(request.mac_address, '/port/mac_address');
    const fixedIps = checkedFixedIps(request.fixed_ips ?? [], '/port/fixed_ips');
    const now = new Date().toISOString();
    return retried(async () => {
      const network = await this.visibleNetwork(principal, request.network_id);
      const port: Port = {
        id: options.id ?? crypto.randomUUID(),
        tenantId,
        networkId: network.value.id,
        name: request.name ?? '',
        description: request.description ?? '',
        adminStateUp: request.admin_state_up ?? true,
        status: 'DOWN',
        macAddress: givenMac ?? generatedMacAddress(),
        fixedIps,
        deviceId: request.device_id ?? '',
        deviceOwner: request.device_owner ?? '',
        binding: {
          hostId: request['binding:host_id'] ?? '',
          vnicType: request['binding:vnic_type'] ?? 'normal',
          profile: request['binding:profile'] ?? {},
          vifType: 'unbound',
          ofport: null,
        },
        portSecurityEnabled: request.port_security_enabled ?? network.value.portSecurityEnabled,
        createdAt: now,
        updatedAt: now,
      };
      const writes: Write[] = [
        this.ports.insertWrite(port),
        ...addressClaims(port).map((claim) => this.claims.insertWrite(claim)),
        // Ties the port to the network revision it saw, so that a concurrent network delete cannot leave it orphaned.
        this.networks.updateWrite(network.value, network.revision),
      ];
      try {
        const [revision = 1] = await this.store.commit(writes);
        return { value: port, revision };
      } catch (error) {
        if (isConflict(error, 'stale-revision') && error.collection === NETWORKS.name) return AGAIN;
        if (isConflict(error, 'missing') && error.collection === NETWORKS.name) throw networkNotFound(request.network_id);
        if (isConflict(error, 'duplicate-id') && givenMac === undefined && error.id === macClaimId(port.networkId, port.macAddress)) return AGAIN;
        throw this.addressInUse(error, port);
      }
    });
  }

  async updatePort(principal: Principal, portId: string, update: PortUpdate): Promise<Versioned<Port>> {
    const macAddress = update.mac_address === undefined ? undefined : checkedMac(update.mac_address, '/port/mac_address');
    const fixedIps = update.fixed_ips === undefined ? undefined : checkedFixedIps(update.fixed_ips, '/port/fixed_ips');
    return retried(async () => {
      const found = await this.visiblePort(principal, portId);
      const current = found.value;
      const port: Port = {
        ...current,
        name: update.name ?? current.name,
        description: update.description ?? current.description,
        adminStateUp: update.admin_state_up ?? current.adminStateUp,
        macAddress: macAddress ?? current.macAddress,
        fixedIps: fixedIps ?? current.fixedIps,
        deviceId: update.device_id ?? current.deviceId,
        deviceOwner: update.device_owner ?? current.deviceOwner,
        binding: {
          ...current.binding,
          hostId: update['binding:host_id'] ?? current.binding.hostId,
          vnicType: update['binding:vnic_type'] ?? current.binding.vnicType,
          profile: update['binding:profile'] ?? current.binding.profile,
        },
        portSecurityEnabled: update.port_security_enabled ?? current.portSecurityEnabled,
        updatedAt: new Date().toISOString(),
      };
      port.status = statusOf(port);
      const before = addressClaims(current).map(({ id }) => id);
      const after = addressClaims(port);
      const writes: Write[] = [
        this.ports.updateWrite(port, found.revision),
        ...before.filter((id) => !after.some((claim) => claim.id === id)).map((id) => this.claims.deleteWrite(id)),
        ...after.filter(({ id }) => !before.includes(id)).map((claim) => this.claims.insertWrite(claim)),
      ];
      try {
        const [revision = found.revision + 1] = await this.store.commit(writes);
        return { value: port, revision };
      } catch (error) {
        if (isConflict(error, 'stale-revision') || (isConflict(error, 'missing') && error.collection === CLAIMS.name)) return AGAIN;
        if (isConflict(error, 'missing') && error.id === portId) throw portNotFound(portId);
        throw this.addressInUse(error, port);
      }
    });
  }

  async deletePort(principal: Principal, portId: string): Promise<void> {
    await this.visiblePort(principal, portId);
    const users = (await this.portUsers?.usersOf(portId)) ?? [];
    if (users.length > 0) throw neutronError(409, 'PortInUse', `Port ${portId} is in use by ${users.join(', ')}.`);
    await retried(async () => {
      const found = await this.visiblePort(principal, portId);
      try {
        await this.store.commit([this.ports.deleteWrite(portId, found.revision), ...addressClaims(found.value).map(({ id }) => this.claims.deleteWrite(id))]);
        return undefined;
      } catch (error) {
        if (isConflict(error, 'stale-revision')) return AGAIN;
        if (isConflict(error, 'missing') && error.id === portId) throw portNotFound(portId);
        throw error;
      }
    });
  }

  async markBound(portId: string, binding: HostBinding): Promise<Port | undefined> {
    return this.rebind(portId, (port) => ({ ...port, binding: { ...port.binding, hostId: binding.hostId, vifType: 'ovs', ofport: binding.ofport } }));
  }

  async markUnbound(portId: string): Promise<Port | undefined> {
    return this.rebind(portId, (port) => ({ ...port, binding: { ...port.binding, hostId: '', vifType: 'unbound', ofport: null } }));
  }

  private async rebind(portId: string, change: (port: Port) => Port): Promise<Port | undefined> {
    return retried(async () => {
      const found = await this.ports.get(portId);
      if (!found) return undefined;
      const changed = change(found.value);
      const port: Port = { ...changed, status: statusOf(changed), updatedAt: new Date().toISOString() };
      try {
        await this.ports.update(port, found.revision);
        return port;
      } catch (error) {
        if (isConflict(error, 'stale-revision')) return AGAIN;
        if (isConflict(error, 'missing')) return undefined;
        throw error;
      }
    });
  }

  private addressInUse(error: unknown, port: Port): unknown {
    if (!isConflict(error, 'duplicate-id') || error.collection !== CLAIMS.name) return error;
    if (error.id === macClaimId(port.networkId, port.macAddress)) {
      return neutronError(409, 'MacAddressInUse', `Unable to complete operation for network ${port.networkId}. The mac address ${port.macAddress} is in use.`);
    }
    const taken = port.fixedIps.find(({ ipAddress }) => error.id === ipClaimId(port.networkId, ipAddress));
    return neutronError(409, 'IpAddressInUse', `Unable to complete operation for network ${port.networkId}. The IP address ${taken?.ipAddress ?? ''} is in use.`);
  }
}

/** As in Neutron, a port is ACTIVE only while it is both plugged on a host and administratively up. */
function statusOf(port: Port): PortStatus {
  return port.binding.ofport !== null && port.adminStateUp ? 'ACTIVE' : 'DOWN';
}

function checkedMac(text: string, pointer: string): string {
  const checked = checkMacAddress(text);
  if (!checked.ok) throw invalidInput(checked.reason, pointer);
  return checked.address;
}

function checkedFixedIps(requested: readonly FixedIpRequest[], pointer: string): FixedIp[] {
  const seen = new Set<string>();
  return requested.map((fixedIp, index) => {
    if (fixedIp.subnet_id !== undefined) {
      throw invalidInput(`subnet ${fixedIp.subnet_id} does not exist: this VIM has no subnets yet, give an ip_address only`, `${pointer}/${index}/subnet_id`);
    }
    const checked = checkIpAddress(fixedIp.ip_address);
    if (!checked.ok) throw invalidInput(checked.reason, `${pointer}/${index}/ip_address`);
    if (seen.has(checked.address)) throw invalidInput(`IP address ${checked.address} is given twice`, `${pointer}/${index}/ip_address`);
    seen.add(checked.address);
    return { ipAddress: checked.address };
  });
}
