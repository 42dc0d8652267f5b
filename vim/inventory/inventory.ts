/**
 * Regions, zones and hosts in the store. A default region and zone always exist, so a deployment that does
 * not care about topology never has to name one. Host writes are read-modify-write at the document's
 * revision and retried when a placement got there first: operator actions never undo a claim.
 */
import { StoreConflictError, type Repository, type Store, type Versioned } from '../../platform/index.js';
import { HOSTS, REGIONS, ZONES } from './collections.js';
import { mergeInventory } from './merge.js';
import {
  DEFAULT_INTEGRATION_BRIDGE,
  DEFAULT_REGION_ID,
  DEFAULT_ZONE_ID,
  INFRASTRUCTURE_TENANT,
  emptyUsage,
  type AdminState,
  type Host,
  type HostHealth,
  type HostInventory,
  type Region,
  type Zone,
} from './model.js';

export type InventoryProblem =
  | { kind: 'unknown-region'; regionId: string }
  | { kind: 'unknown-zone'; zoneId: string }
  | { kind: 'unknown-host'; hostId: string }
  | { kind: 'already-exists'; what: 'region' | 'zone' | 'host'; id: string }
  | { kind: 'host-has-claims'; hostId: string; claimIds: string[] }
  | { kind: 'inventory-conflict'; hostId: string; problems: string[] }
  | { kind: 'busy'; hostId: string; attempts: number };

function describeProblem(problem: InventoryProblem): string {
  switch (problem.kind) {
    case 'unknown-region':
      return `there is no region ${problem.regionId}`;
    case 'unknown-zone':
      return `there is no zone ${problem.zoneId}`;
    case 'unknown-host':
      return `there is no host ${problem.hostId}`;
    case 'already-exists':
      return `${problem.what} ${problem.id} already exists`;
    case 'host-has-claims':
      return `host ${problem.hostId} still holds claims ${problem.claimIds.join(', ')}; release them (or drain the host) first`;
    case 'inventory-conflict':
      return `the new inventory of host ${problem.hostId} drops what claims hold: ${problem.problems.join('; ')}`;
    case 'busy':
      return `host ${problem.hostId} changed under ${problem.attempts} attempts in a row; retry`;
  }
}

export class InventoryError extends Error {
  constructor(readonly problem: InventoryProblem) {
    super(describeProblem(problem));
    this.name = 'InventoryError';
  }
}

export interface HostRegistration {
  id: string;
  name?: string;
  zoneId?: string;
  libvirtUri: string;
  ovsdbEndpoint?: string;
  integrationBridge?: string;
  tunnelAddress?: string;
  inventory?: HostInventory;
  adminState?: AdminState;
  health?: HostHealth;
}

export type HostChange = { kind: 'written'; host: Host; revision: number } | { kind: 'removed'; hostId: string };

const HOST_WRITE_ATTEMPTS = 16;
/** Hosts written per commit when many are registered at once. */
const REGISTRATION_BATCH = 500;

export class Inventory {
  private readonly listeners = new Set<(change: HostChange) => void>();

  private constructor(
    private readonly store: Store,
    private readonly regionRepo: Repository<Region>,
    private readonly zoneRepo: Repository<Zone>,
    private readonly hostRepo: Repository<Host>,
  ) {}

  /** Opens the inventory and creates the default region and zone if they are missing. */
  static async open(store: Store): Promise<Inventory> {
    const inventory = new Inventory(store, store.collection<Region>(REGIONS), store.collection<Zone>(ZONES), store.collection<Host>(HOSTS));
    await inventory.insertIfMissing(inventory.regionRepo, { id: DEFAULT_REGION_ID, tenantId: INFRASTRUCTURE_TENANT, name: 'Default region' });
    await inventory.insertIfMissing(inventory.zoneRepo, { id: DEFAULT_ZONE_ID, tenantId: INFRASTRUCTURE_TENANT, name: 'Default zone', regionId: DEFAULT_REGION_ID });
    return inventory;
  }

  /** Tells the listener about every host this inventory writes or removes; answers the unsubscribe. */
  onHostChange(listener: (change: HostChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async addRegion(region: { id: string; name: string }): Promise<Region> {
    const doc: Region = { ...region, tenantId: INFRASTRUCTURE_TENANT };
    await this.insertNew(this.regionRepo, doc, 'region');
    return doc;
  }

  async addZone(zone: { id: string; name: string; regionId: string }): Promise<Zone> {
    if (!(await this.regionRepo.get(zone.regionId))) throw new InventoryError({ kind: 'unknown-region', regionId: zone.regionId });
    const doc: Zone = { ...zone, tenantId: INFRASTRUCTURE_TENANT };
    await this.insertNew(this.zoneRepo, doc, 'zone');
    return doc;
  }

  async regions(): Promise<Region[]> {
    return (await this.regionRepo.query()).map((entry) => entry.value);
  }

  async zones(regionId?: string): Promise<Zone[]> {
    return (await this.zoneRepo.query(regionId === undefined ? {} : { where: { regionId } })).map((entry) => entry.value);
  }

  async registerHost(registration: HostRegistration): Promise<Versioned<Host>> {
    const [host] = await this.registerHosts([registration]);
    if (!host) throw new InventoryError({ kind: 'unknown-host', hostId: registration.id });
    return host;
  }

  /** Registers many hosts, a few hundred per atomic commit; a duplicate id refuses its whole batch. */
  async registerHosts(registrations: readonly HostRegistration[]): Promise<Array<Versioned<Host>>> {
    const zones = new Map<string, Zone>();
    const hosts: Host[] = [];
    for (const registration of registrations) {
      const zoneId = registration.zoneId ?? DEFAULT_ZONE_ID;
      let zone = zones.get(zoneId);
      if (!zone) {
        zone = (await this.zoneRepo.get(zoneId))?.value;
        if (!zone) throw new InventoryError({ kind: 'unknown-zone', zoneId });
        zones.set(zoneId, zone);
      }
      hosts.push({
        id: registration.id,
        tenantId: INFRASTRUCTURE_TENANT,
        name: registration.name ?? registration.id,
        regionId: zone.regionId,
        zoneId,
        libvirtUri: registration.libvirtUri,
        ovsdbEndpoint: registration.ovsdbEndpoint,
        integrationBridge: registration.integrationBridge ?? DEFAULT_INTEGRATION_BRIDGE,
        tunnelAddress: registration.tunnelAddress,
        adminState: registration.adminState ?? 'enabled',
        health: registration.health ?? 'up',
        inventory: registration.inventory,
        usage: emptyUsage(),
      });
    }
    const written: Array<Versioned<Host>> = [];
    for (let start = 0; start < hosts.length; start += REGISTRATION_BATCH) {
      const batch = hosts.slice(start, start + REGISTRATION_BATCH);
      try {
        await this.store.commit(batch.map((host) => this.hostRepo.insertWrite(host)));
      } catch (error) {
        if (error instanceof StoreConflictError && error.reason === 'duplicate-id') throw new InventoryError({ kind: 'already-exists', what: 'host', id: error.id });
        throw error;
      }
      for (const host of batch) {
        written.push({ value: host, revision: 1 });
        this.emit({ kind: 'written', host, revision: 1 });
      }
    }
    return written;
  }

  async host(hostId: string): Promise<Versioned<Host> | undefined> {
    return this.hostRepo.get(hostId);
  }

  async hosts(filter: { zoneId?: string; regionId?: string; after?: string; limit?: number } = {}): Promise<Host[]> {
    const where: Record<string, string> = {};
    if (filter.zoneId !== undefined) where.zoneId = filter.zoneId;
    if (filter.regionId !== undefined) where.regionId = filter.regionId;
    return (await this.hostRepo.query({ where, after: filter.after, limit: filter.limit })).map((entry) => entry.value);
  }

  /** Replaces what the host has with a new discovery, keeping what our claims hold on it. */
  async updateInventory(hostId: string, discovered: HostInventory): Promise<Versioned<Host>> {
    return this.rewriteHost(hostId, (host) => {
      const merged = mergeInventory(host.inventory, discovered);
      if (!merged.ok) throw new InventoryError({ kind: 'inventory-conflict', hostId, problems: merged.problems });
      return { ...host, inventory: merged.inventory };
    });
  }

  async setAdminState(hostId: string, adminState: AdminState): Promise<Versioned<Host>> {
    return this.rewriteHost(hostId, (host) => ({ ...host, adminState }));
  }

  async setHealth(hostId: string, health: HostHealth): Promise<Versioned<Host>> {
    return this.rewriteHost(hostId, (host) => ({ ...host, health }));
  }

  /** Removes a host that holds no claim. */
  async removeHost(hostId: string): Promise<void> {
    for (let attempt = 1; attempt <= HOST_WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.hostRepo.get(hostId);
      if (!current) throw new InventoryError({ kind: 'unknown-host', hostId });
      if (current.value.usage.claimIds.length > 0) throw new InventoryError({ kind: 'host-has-claims', hostId, claimIds: current.value.usage.claimIds });
      try {
        await this.hostRepo.delete(hostId, current.revision);
        this.emit({ kind: 'removed', hostId });
        return;
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
      }
    }
    throw new InventoryError({ kind: 'busy', hostId, attempts: HOST_WRITE_ATTEMPTS });
  }

  private async rewriteHost(hostId: string, change: (host: Host) => Host): Promise<Versioned<Host>> {
    for (let attempt = 1; attempt <= HOST_WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.hostRepo.get(hostId);
      if (!current) throw new InventoryError({ kind: 'unknown-host', hostId });
      const next = change(current.value);
      try {
        const written = await this.hostRepo.update(next, current.revision);
        this.emit({ kind: 'written', host: written.value, revision: written.revision });
        return written;
      } catch (error) {
        if (!(error instanceof StoreConflictError && error.reason === 'stale-revision')) throw error;
      }
    }
    throw new InventoryError({ kind: 'busy', hostId, attempts: HOST_WRITE_ATTEMPTS });
  }

  private emit(change: HostChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private async insertNew<T extends Region | Zone>(repo: Repository<T>, doc: T, what: 'region' | 'zone'): Promise<void> {
    try {
      await repo.insert(doc);
    } catch (error) {
      if (error instanceof StoreConflictError && error.reason === 'duplicate-id') throw new InventoryError({ kind: 'already-exists', what, id: doc.id });
      throw error;
    }
  }

  private async insertIfMissing<T extends Region | Zone>(repo: Repository<T>, doc: T): Promise<void> {
    if (await repo.get(doc.id)) return;
    try {
      await repo.insert(doc);
    } catch (error) {
      // Another process created it between our read and our insert: it exists, which is all we want.
      if (!(error instanceof StoreConflictError && error.reason === 'duplicate-id')) throw error;
    }
  }
}
