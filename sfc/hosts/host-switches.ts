/**
 * The Open vSwitch of every registered host that has an OVSDB endpoint: one `HostSwitch` each, following the
 * VIM's host list (re-read on `refresh()` and on a timer). It keeps each host's integration bridge pointed at
 * our OpenFlow controller under the host's datapath id, and reports ports plugged and unplugged there to the
 * VIM as Neutron's OVS agent does; listeners hear of each binding change after it is stored.
 */
import { EventEmitter } from 'node:events';
import type { Logger, Store } from '../../platform/index.js';
import { HOSTS, type Host } from '../../vim/index.js';
import { PORTS, type Port, type PortBindings, type PortDirectory } from '../../vim/networks/index.js';
import { HostSwitch, type BindingChange, type OvsdbTuning, type SwitchHost } from './host-switch.js';
import type { TunnelPeer } from './tunnels.js';

export interface HostSwitchesOptions {
  store: Store;
  bindings: PortBindings & PortDirectory;
  /** Where the switches reach our OpenFlow controller, in OVS target syntax: `tcp:IP:PORT` or `unix:PATH`. */
  controllerTarget: string;
  logger: Logger;
  /** How often the host list is re-read and every bridge checked; 5000 by default. */
  refreshIntervalMs?: number;
  /** The datapath type of a bridge we create (`netdev` for the userspace datapath); OVS's default otherwise. */
  datapathType?: string;
  /** How long `start()` and `refresh()` wait for a newly seen host's first sync; 5000 by default. */
  connectTimeoutMs?: number;
  ovsdb?: OvsdbTuning;
}

export interface HostSwitchesEvents {
  port_bound: [portId: string, hostId: string, ofport: number];
  port_unbound: [portId: string];
  /** After `port_bound` or `port_unbound`: one event for listeners that recompute on any change. */
  binding_changed: [BindingChange];
  /** A host's tunnel ports to its peers changed (added, removed, renumbered). */
  tunnels_changed: [hostId: string];
}

export interface HostSwitchView {
  hostId: string;
  name: string;
  ovsdbEndpoint: string;
  bridge: string;
  datapathId: bigint;
  /** The bridge has been made as we want it at least once since the host was first seen. */
  synced: boolean;
}

const DEFAULT_REFRESH_INTERVAL_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export class HostSwitches extends EventEmitter<HostSwitchesEvents> {
  private readonly log: Logger;
  private readonly switches = new Map<string, HostSwitch>();
  /** Hosts whose endpoint we could not use, with that endpoint: logged once, not at every refresh. */
  private readonly refused = new Map<string, string>();
  private refreshing: Promise<void> = Promise.resolve();
  private refreshesQueued = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private peers: TunnelPeer[] = [];

  constructor(private readonly options: HostSwitchesOptions) {
    super();
    this.log = options.logger.child({ module: 'host-switches' });
  }

  /** Connects to every registered host (waiting a while for each) and starts the periodic refresh. */
  async start(): Promise<void> {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => this.periodicRefresh(), this.options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
    this.timer.unref();
    await this.refresh();
  }

  /** Re-reads the host list now: new hosts connect, deleted or changed ones disconnect, every bridge is checked. */
  refresh(): Promise<void> {
    this.refreshesQueued += 1;
    this.refreshing = this.refreshing.then(async () => {
      this.refreshesQueued -= 1;
      if (this.closed) return;
      try {
        await this.refreshOnce();
      } catch (error) {
        this.log.error({ err: error }, 'reading the host list failed');
      }
    });
    return this.refreshing;
  }

  /** The datapath id of a host's integration bridge, for a host we manage. */
  /** Peer host id to the OpenFlow port number of the tunnel reaching it from this host's bridge. */
  tunnelsOf(hostId: string): ReadonlyMap<string, number> {
    return this.switches.get(hostId)?.tunnels ?? new Map();
  }

  datapathOf(hostId: string): bigint | undefined {
    return this.switches.get(hostId)?.datapathId;
  }

  hostOfDatapath(datapathId: bigint): string | undefined {
    for (const hostSwitch of this.switches.values()) if (hostSwitch.datapathId === datapathId) return hostSwitch.host.id;
    return undefined;
  }

  /** The hosts whose OVSDB session is up. */
  hosts(): HostSwitchView[] {
    return [...this.switches.values()]
      .filter((hostSwitch) => hostSwitch.connected)
      .map(({ host, datapathId, synced }) => ({
        hostId: host.id,
        name: host.name,
        ovsdbEndpoint: host.ovsdbEndpoint,
        bridge: host.integrationBridge,
        datapathId,
        synced,
      }));
  }

  /** Stops the timer and every OVSDB session, after the refresh and passes under way. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    // Closed first, so that a refresh waiting for a host's first sync stops waiting.
    await this.closeSwitches();
    await this.refreshing;
    await this.closeSwitches();
  }

  private async closeSwitches(): Promise<void> {
    const switches = [...this.switches.values()];
    this.switches.clear();
    await Promise.all(switches.map((hostSwitch) => hostSwitch.close()));
  }

  private periodicRefresh(): void {
    // A refresh slower than the interval must not pile up behind itself.
    if (this.refreshesQueued === 0) void this.refresh();
  }

  private async refreshOnce(): Promise<void> {
    const wanted = new Map((await this.registeredHosts()).map((host) => [host.id, host]));
    this.peers = [...wanted.values()].flatMap((host) => (host.tunnelAddress === undefined ? [] : [{ hostId: host.id, address: host.tunnelAddress }]));
    for (const [hostId, hostSwitch] of [...this.switches]) {
      const host = wanted.get(hostId);
      if (host && sameSwitch(host, hostSwitch.host)) continue;
      this.switches.delete(hostId);
      this.log.info({ hostId, reason: host ? 'changed' : 'removed' }, 'disconnecting from a host switch');
      await hostSwitch.close();
    }
    const added: HostSwitch[] = [];
    for (const host of wanted.values()) {
      if (this.switches.has(host.id) || this.closed) continue;
      const hostSwitch = this.open(host);
      if (hostSwitch) added.push(hostSwitch);
    }
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    await Promise.all(
      [...this.switches.values()].map(async (hostSwitch) => {
        if (!added.includes(hostSwitch)) return hostSwitch.reconcile();
        if (!(await hostSwitch.whenSynced(timeoutMs)) && !this.closed) {
          this.log.warn({ hostId: hostSwitch.host.id, ovsdbEndpoint: hostSwitch.host.ovsdbEndpoint, timeoutMs }, 'host switch not synced yet; still trying');
        }
      }),
    );
  }

  private open(host: SwitchHost): HostSwitch | undefined {
    try {
      const hostSwitch = new HostSwitch({
        host,
        controllerTarget: this.options.controllerTarget,
        datapathType: this.options.datapathType,
        bindings: this.options.bindings,
        ports: this.options.store.collection<Port>(PORTS),
        logger: this.log,
        ovsdb: this.options.ovsdb ?? {},
        onBindingChange: (change) => this.announce(change),
        peers: () => this.peers.filter((peer) => peer.hostId !== host.id),
        onTunnelsChange: () => this.emit('tunnels_changed', host.id),
      });
      this.refused.delete(host.id);
      this.switches.set(host.id, hostSwitch);
      hostSwitch.start();
      this.log.info({ hostId: host.id, ovsdbEndpoint: host.ovsdbEndpoint, bridge: host.integrationBridge }, 'connecting to a host switch');
      return hostSwitch;
    } catch (error) {
      if (this.refused.get(host.id) !== host.ovsdbEndpoint) this.log.error({ err: error, hostId: host.id, ovsdbEndpoint: host.ovsdbEndpoint }, 'unusable OVSDB endpoint');
      this.refused.set(host.id, host.ovsdbEndpoint);
      return undefined;
    }
  }

  private async registeredHosts(): Promise<SwitchHost[]> {
    const hosts = await this.options.store.collection<Host>(HOSTS).query();
    return hosts.flatMap(({ value: host }) =>
      host.ovsdbEndpoint ? [{ id: host.id, name: host.name, ovsdbEndpoint: host.ovsdbEndpoint, integrationBridge: host.integrationBridge, tunnelAddress: host.tunnelAddress }] : [],
    );
  }

  /** A listener that throws must not stop the pass that stored the change. */
  private announce(change: BindingChange): void {
    try {
      if (change.kind === 'bound') this.emit('port_bound', change.portId, change.hostId, change.ofport);
      else this.emit('port_unbound', change.portId);
      this.emit('binding_changed', change);
    } catch (error) {
      this.log.error({ err: error, change }, 'a binding listener failed');
    }
  }
}

function sameSwitch(a: SwitchHost, b: SwitchHost): boolean {
  return a.ovsdbEndpoint === b.ovsdbEndpoint && a.integrationBridge === b.integrationBridge && a.tunnelAddress === b.tunnelAddress;
}
