/**
 * One host's Open vSwitch as the orchestrator keeps it: an OVSDB session (reconnecting by itself), the
 * integration bridge made and kept as we want it, and the VIM ports plugged into that bridge reported to the
 * VIM as bound to this host. Work is level-triggered and serialized: a pass reads the monitor cache and the
 * store as they are now, so passes asked for while one runs fold into the next.
 */
import type { Logger, Repository } from '../../platform/index.js';
import type { Port, PortBindings, PortDirectory } from '../../vim/networks/index.js';
import { OvsdbClient, Vswitch, type CacheUpdate, type ConnectedEvent, type OvsdbClientOptions } from '../ovsdb/index.js';
import { ensureIntegrationBridge } from './bridge.js';
import { datapathIdOf } from './datapath.js';
import { pluggedPorts } from './plugged.js';
import { ensureTunnels, tunnelPorts, type TunnelPeer } from './tunnels.js';

/** A registered host that has an OVSDB endpoint. */
export interface SwitchHost {
  id: string;
  name: string;
  ovsdbEndpoint: string;
  integrationBridge: string;
  /** Where VXLAN tunnels of other hosts reach this one; undefined: this host has no tunnels. */
  tunnelAddress: string | undefined;
}

export type BindingChange =
  | { kind: 'bound'; portId: string; hostId: string; ofport: number }
  | { kind: 'unbound'; portId: string; hostId: string };

/** OVSDB client settings other than where and how to log: timeouts, keepalive, reconnect backoff. */
export type OvsdbTuning = Partial<Omit<OvsdbClientOptions, 'remote' | 'logger' | 'database'>>;

export interface HostSwitchOptions {
  host: SwitchHost;
  controllerTarget: string;
  datapathType: string | undefined;
  bindings: PortBindings & PortDirectory;
  /** The VIM's stored ports, read to find those bound to this host. */
  ports: Repository<Port>;
  logger: Logger;
  ovsdb: OvsdbTuning;
  onBindingChange: (change: BindingChange) => void;
  /** The other hosts this one keeps a tunnel to (read on every full pass). */
  peers: () => TunnelPeer[];
  /** The tunnel ports (peer host to ofport) changed. */
  onTunnelsChange: () => void;
}

/** The OVSDB tables whose changes can plug or unplug a port. */
const BINDING_TABLES = ['Bridge', 'Port', 'Interface'];

export class HostSwitch {
  readonly host: SwitchHost;
  readonly datapathId: bigint;
  private readonly client: OvsdbClient;
  private readonly log: Logger;
  private vswitch: Vswitch | undefined;
  private tunnelOfports = new Map<string, number>();
  /** Ports this switch has reported bound, with the ofport reported. */
  private readonly bound = new Map<string, number>();
  /** Plugged interfaces whose iface-id names no VIM port, by ofport: looked at again on full passes only. */
  private readonly unknown = new Map<string, number>();
  private fullWanted = false;
  private bindingsWanted = false;
  private passes: Promise<void> | undefined;
  private everSynced = false;
  private readonly syncWaiters = new Set<(synced: boolean) => void>();
  private closed = false;

  constructor(private readonly options: HostSwitchOptions) {
    this.host = options.host;
    this.datapathId = datapathIdOf(options.host.id);
    this.log = options.logger.child({ hostId: options.host.id });
    // Throws on an endpoint that is not an OVSDB remote, before anything is started.
    this.client = new OvsdbClient({ ...options.ovsdb, remote: options.host.ovsdbEndpoint, logger: this.log });
    this.client.on('connected', (event) => this.onConnected(event));
    this.client.on('cache-updated', (update) => this.onCacheUpdated(update));
  }

  /** Peer host id to the OpenFlow port number of the tunnel to it, as last seen. */
  get tunnels(): ReadonlyMap<string, number> {
    return this.tunnelOfports;
  }

  get connected(): boolean {
    return this.client.state === 'connected';
  }

  /** Whether a full pass has succeeded since the start. */
  get synced(): boolean {
    return this.everSynced;
  }

  /** Starts connecting in the background; every connection is followed by a full pass. */
  start(): void {
    this.client.start();
  }

  /** A full pass now if connected (the next connection brings one otherwise). */
  async reconcile(): Promise<void> {
    if (this.connected) await this.request('full');
  }

  /** Resolves true once the first full pass has succeeded, false on timeout or close. */
  whenSynced(timeoutMs: number): Promise<boolean> {
    if (this.everSynced) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (synced: boolean): void => {
        clearTimeout(timer);
        this.syncWaiters.delete(done);
        resolve(synced);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.syncWaiters.add(done);
    });
  }

  /** Closes the session and waits for the pass under way, if any; bindings stay as they are in the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const done of [...this.syncWaiters]) done(false);
    await this.client.close();
    await this.passes;
  }

  private onConnected(event: ConnectedEvent): void {
    this.log.debug({ reconnected: event.reconnected }, 'host switch connected: reconciling');
    void this.request('full');
  }

  private onCacheUpdated(update: CacheUpdate): void {
    // Initial and resynchronized contents are followed by `connected`, which asks for a full pass.
    if (update.cause !== 'update' || !this.vswitch) return;
    if (BINDING_TABLES.some((name) => hasChanges(update, name))) void this.request('bindings');
  }

  /** Asks for a pass; answers when a pass that started after the request has ended. Never rejects. */
  private request(kind: 'full' | 'bindings'): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (kind === 'full') this.fullWanted = true;
    else this.bindingsWanted = true;
    this.passes ??= this.runPasses();
    return this.passes;
  }

  private async runPasses(): Promise<void> {
    try {
      while (!this.closed && (this.fullWanted || this.bindingsWanted)) {
        const full = this.fullWanted;
        this.fullWanted = false;
        this.bindingsWanted = false;
        try {
          await (full ? this.fullPass() : this.bindingPass(false));
        } catch (error) {
          // A pass can fail mid-way (connection lost, a write refused); the next connection or refresh redoes it.
          if (!this.closed) this.log.warn({ err: error, full }, 'host switch pass failed');
        }
      }
    } finally {
      this.passes = undefined;
    }
  }

  private async fullPass(): Promise<void> {
    if (!this.connected) return;
    this.vswitch ??= await Vswitch.open(this.client);
    const outcome = await ensureIntegrationBridge(this.vswitch, {
      name: this.host.integrationBridge,
      datapathId: this.datapathId,
      controllerTarget: this.options.controllerTarget,
      datapathType: this.options.datapathType,
    });
    if (outcome.kind === 'created') this.log.info({ bridge: this.host.integrationBridge }, 'integration bridge created');
    if (outcome.kind === 'corrected') this.log.info({ bridge: this.host.integrationBridge, drift: outcome.drift }, 'integration bridge corrected');
    if (await ensureTunnels(this.vswitch, this.host.integrationBridge, this.host.tunnelAddress, this.options.peers())) this.log.info('tunnels to peer hosts updated');
    await this.bindingPass(true);
    if (!this.everSynced && !this.closed) {
      this.everSynced = true;
      for (const done of [...this.syncWaiters]) done(true);
    }
  }

  /**
   * Reports what the bridge shows. A full pass also checks the store: a port bound to this host there but
   * no longer plugged (unplugged while we were away) is unbound.
   */
  private async bindingPass(full: boolean): Promise<void> {
    if (!this.vswitch) return;
    const plugged = pluggedPorts(this.vswitch, this.host.integrationBridge);
    for (const [portId, ofport] of plugged) {
      if (this.bound.get(portId) === ofport) continue;
      if (!full && this.unknown.get(portId) === ofport) continue;
      await this.bind(portId, ofport);
    }
    const candidates = new Set(this.bound.keys());
    if (full) for (const portId of await this.portsBoundHere()) candidates.add(portId);
    for (const portId of candidates) if (!plugged.has(portId)) await this.unbind(portId);
    for (const portId of [...this.unknown.keys()]) if (!plugged.has(portId)) this.unknown.delete(portId);
    const tunnels = tunnelPorts(this.vswitch, this.host.integrationBridge);
    if (!sameEntries(tunnels, this.tunnelOfports)) {
      this.tunnelOfports = tunnels;
      this.options.onTunnelsChange();
    }
  }

  private async bind(portId: string, ofport: number): Promise<void> {
    const port = await this.options.bindings.port(portId);
    const unchanged = port?.binding.hostId === this.host.id && port.binding.ofport === ofport;
    const written = port && !unchanged ? await this.options.bindings.markBound(portId, { hostId: this.host.id, ofport }) : port;
    if (!written) {
      this.bound.delete(portId);
      this.unknown.set(portId, ofport);
      this.log.debug({ portId, ofport }, 'an interface names a port the VIM does not have; ignored');
      return;
    }
    this.unknown.delete(portId);
    this.bound.set(portId, ofport);
    if (unchanged) return;
    this.log.info({ portId, ofport }, 'port bound');
    this.options.onBindingChange({ kind: 'bound', portId, hostId: this.host.id, ofport });
  }

  /** Only a port still bound to this host: one that moved to another host keeps that binding. */
  private async unbind(portId: string): Promise<void> {
    this.bound.delete(portId);
    const port = await this.options.bindings.port(portId);
    if (port?.binding.hostId !== this.host.id || port.binding.ofport === null) return;
    if (!(await this.options.bindings.markUnbound(portId))) return;
    this.log.info({ portId }, 'port unbound');
    this.options.onBindingChange({ kind: 'unbound', portId, hostId: this.host.id });
  }

  /** Ports the store says are plugged on this host. Reads every port: the store has no index on the binding. */
  private async portsBoundHere(): Promise<string[]> {
    const ports = await this.options.ports.query();
    return ports.filter(({ value }) => value.binding.hostId === this.host.id && value.binding.ofport !== null).map(({ value }) => value.id);
  }
}

function sameEntries(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

function hasChanges(update: CacheUpdate, table: string): boolean {
  const change = update.tables.get(table);
  return change !== undefined && change.inserted.length + change.modified.length + change.deleted.length > 0;
}
