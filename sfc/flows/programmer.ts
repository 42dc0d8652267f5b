/**
 * Keeps every connected integration bridge at the state the chains and ports call for. One pass at a time:
 * read the chain resources and ports from the store, compile each switch's desired state, and bring the
 * switch there (whole replacement after a connect or a detected drift, the difference otherwise). Requests
 * made while a pass runs are served by one more pass, so bursts of API writes coalesce.
 */
import type { Logger, Store } from '../../platform/index.js';
import { NETWORKS, PORTS, type Network, type Port } from '../../vim/networks/index.js';
import type { SfcRepositories } from '../api/index.js';
import { storedChainResources } from '../api/index.js';
import { chainIntents } from '../chains/mapping.js';
import type { ChainIntent } from '../chains/model.js';
import type { OpenFlowController, SwitchConnection } from '../openflow/index.js';
import { CompileCache, compileSwitch, type ChainNotice, type PortFacts } from './compiler.js';
import { renderChainOnSwitch, type RenderedChain } from './inspection.js';
import { tracePath, type PathTrace, type TraceQuery } from './path-trace.js';
import { PATH_VNI_MARK } from './pipeline.js';
import { hasDrift, SwitchReconciler } from './reconciler.js';

export interface ChainProgrammerOptions {
  store: Store;
  repositories: SfcRepositories;
  controller: OpenFlowController;
  /** The registered host whose integration bridge has this datapath id. */
  hostOfDatapath(datapathId: bigint): string | undefined;
  /** Peer host id to the ofport of the host bridge's tunnel to it; none: the host has no tunnels. */
  tunnelsOf?(hostId: string): ReadonlyMap<string, number>;
  logger: Logger;
  /** How often each switch is compared with what we applied (0: never). */
  auditIntervalMs?: number;
}

interface ManagedSwitch {
  hostId: string;
  cache: CompileCache;
  reconciler: SwitchReconciler;
  needsReplace: boolean;
  notices: ChainNotice[];
  /** Why the last pass could not program the switch (an OpenFlow error it answered, a lost connection). */
  failure?: string;
}

/** A switch whose desired state could not be programmed in the last pass. */
export interface SwitchFailure {
  hostId: string;
  problem: string;
}

/** What one pass computes from the store: the same for every switch. */
export interface ChainSnapshot {
  chains: ChainIntent[];
  ports: Map<string, PortFacts>;
  networkTags: Map<string, bigint>;
  networkVnis: Map<string, number>;
}

/** The metadata value of a network on the bridge: 48 bits of its UUID, stable across restarts. */
export function networkTagOf(networkId: string): bigint {
  const hex = networkId.replace(/-/g, '').slice(0, 12);
  return /^[0-9a-f]{12}$/i.test(hex) ? BigInt(`0x${hex}`) : 0n;
}

export class ChainProgrammer {
  private readonly switches = new Map<bigint, ManagedSwitch>();
  private readonly unknown = new Map<bigint, SwitchConnection>();
  private requested = 0;
  private completed = 0;
  private auditRequested = false;
  private loop: Promise<void> | undefined;
  private waiters: Array<{ generation: number; resolve: () => void }> = [];
  private auditTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private networkFacts: Omit<ChainSnapshot, 'chains'> | undefined;
  private readonly onSwitchUp = (connection: SwitchConnection): void => this.connected(connection);
  private readonly onSwitchDown = (connection: SwitchConnection): void => this.disconnected(connection);

  constructor(private readonly options: ChainProgrammerOptions) {}

  start(): void {
    this.options.controller.on('switch_up', this.onSwitchUp);
    this.options.controller.on('switch_down', this.onSwitchDown);
    for (const connection of this.options.controller.switches) this.connected(connection);
    const interval = this.options.auditIntervalMs ?? 0;
    if (interval > 0) {
      this.auditTimer = setInterval(() => void this.audit().catch(() => undefined), interval);
      this.auditTimer.unref();
    }
  }

  /** Asks for a pass; resolves once a pass that started after this call has finished. */
  schedule(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.requested += 1;
    const generation = this.requested;
    const done = new Promise<void>((resolve) => this.waiters.push({ generation, resolve }));
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
    return done;
  }

  /** Runs a pass and answers the switches it could not program (empty: every connected switch holds the desired state). */
  async programmed(): Promise<SwitchFailure[]> {
    await this.schedule();
    return [...this.switches.values()].flatMap((managed) => (managed.failure === undefined ? [] : [{ hostId: managed.hostId, problem: managed.failure }]));
  }

  /** Compares every switch with what was applied; drift makes the next pass replace that switch's state. */
  audit(): Promise<void> {
    this.auditRequested = true;
    this.networkFacts = undefined;
    return this.schedule();
  }

  /** Hosts whose switch is connected and known. */
  connectedHosts(): string[] {
    return [...this.switches.values()].map((managed) => managed.hostId);
  }

  reconcilerOf(hostId: string): SwitchReconciler | undefined {
    return [...this.switches.values()].find((managed) => managed.hostId === hostId)?.reconciler;
  }

  noticesOf(hostId: string): ChainNotice[] {
    return [...this.switches.values()].find((managed) => managed.hostId === hostId)?.notices ?? [];
  }

  /** The chain's flows and groups as each connected switch reports them; undefined for an unknown chain. */
  async render(chainResourceId: string): Promise<RenderedChain | undefined> {
    const chain = (await this.snapshot()).chains.find((candidate) => candidate.id === chainResourceId);
    if (!chain) return undefined;
    const switches = await Promise.all(
      [...this.switches.values()].map((managed) => renderChainOnSwitch(chain, managed.hostId, managed.reconciler, managed.notices).catch(() => undefined)),
    );
    return { chain_id: chain.chainId, switches: switches.filter((rendered) => rendered !== undefined) };
  }

  /** Where a packet entering at a port would go through the flows as last applied to the switches. */
  async trace(query: TraceQuery): Promise<PathTrace | { problem: string }> {
    const snapshot = await this.snapshot();
    return tracePath(
      { chains: snapshot.chains, ports: snapshot.ports, stateOf: (hostId) => this.reconcilerOf(hostId)?.current, tunnelsOf: (hostId) => this.options.tunnelsOf?.(hostId) ?? new Map() },
      query,
    );
  }

  /** The ports and networks changed (a binding, a port written through the VIM's API): read them again. */
  portsChanged(): Promise<void> {
    this.networkFacts = undefined;
    return this.schedule();
  }

  async snapshot(): Promise<ChainSnapshot> {
    const resources = await storedChainResources(this.options.repositories);
    this.networkFacts ??= await this.readNetworkFacts();
    return { chains: chainIntents(resources), ...this.networkFacts };
  }

  /**
   * Ports and networks, kept between passes: the chain APIs change far more often than ports do, and a pass
   * should not read thousands of ports for each chain written. Bindings and audits read them again.
   */
  private async readNetworkFacts(): Promise<Omit<ChainSnapshot, 'chains'>> {
    const ports = (await this.options.store.collection<Port>(PORTS).query()).map(({ value }) => value);
    const networkTags = new Map<string, bigint>();
    for (const port of ports) if (!networkTags.has(port.networkId)) networkTags.set(port.networkId, networkTagOf(port.networkId));
    const networkVnis = new Map<string, number>();
    for (const { value: network } of await this.options.store.collection<Network>(NETWORKS).query()) {
      const vni = network.segment.segmentationId;
      if (vni !== null && vni < PATH_VNI_MARK) networkVnis.set(network.id, vni);
    }
    return { ports: new Map(ports.map((port) => [port.id, portFacts(port)])), networkTags, networkVnis };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.auditTimer) clearInterval(this.auditTimer);
    this.options.controller.off('switch_up', this.onSwitchUp);
    this.options.controller.off('switch_down', this.onSwitchDown);
    await this.loop?.catch(() => undefined);
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  private connected(connection: SwitchConnection): void {
    const datapathId = connection.datapathId;
    if (datapathId === undefined) return;
    this.unknown.set(datapathId, connection);
    void this.schedule();
  }

  private disconnected(connection: SwitchConnection): void {
    if (connection.datapathId === undefined) return;
    const managed = this.switches.get(connection.datapathId);
    if (managed?.reconciler.connection === connection) this.switches.delete(connection.datapathId);
    if (this.unknown.get(connection.datapathId) === connection) this.unknown.delete(connection.datapathId);
  }

  private async run(): Promise<void> {
    while (this.completed < this.requested && !this.closed) {
      const target = this.requested;
      try {
        await this.pass();
      } catch (error) {
        this.options.logger.error({ err: error }, 'chain programming pass failed');
      }
      this.completed = target;
      const ready = this.waiters.filter((waiter) => waiter.generation <= target);
      this.waiters = this.waiters.filter((waiter) => waiter.generation > target);
      for (const waiter of ready) waiter.resolve();
    }
  }

  private async pass(): Promise<void> {
    this.adoptKnownSwitches();
    if (this.auditRequested) {
      this.auditRequested = false;
      await this.findDrift();
    }
    if (this.switches.size === 0) return;
    const snapshot = await this.snapshot();
    for (const [datapathId, managed] of this.switches) {
      const compiled = compileSwitch({ hostId: managed.hostId, ...snapshot, tunnels: this.options.tunnelsOf?.(managed.hostId) ?? new Map() }, managed.cache);
      managed.notices = compiled.notices;
      try {
        if (managed.needsReplace) {
          await managed.reconciler.replace(compiled.state);
          managed.needsReplace = false;
        } else {
          await managed.reconciler.apply(compiled.state);
        }
        managed.failure = undefined;
      } catch (error) {
        managed.needsReplace = true;
        managed.failure = error instanceof Error ? error.message : String(error);
        this.options.logger.warn({ err: error, hostId: managed.hostId, datapathId: datapathId.toString(16) }, 'switch programming failed; its state will be replaced');
      }
    }
  }

  private adoptKnownSwitches(): void {
    for (const [datapathId, connection] of this.unknown) {
      if (connection.state === 'closed') {
        this.unknown.delete(datapathId);
        continue;
      }
      const hostId = this.options.hostOfDatapath(datapathId);
      if (hostId === undefined) continue;
      this.unknown.delete(datapathId);
      this.switches.set(datapathId, { hostId, cache: new CompileCache(), reconciler: new SwitchReconciler(connection), needsReplace: true, notices: [] });
      this.options.logger.info({ hostId, datapathId: datapathId.toString(16) }, 'integration bridge connected');
    }
  }

  private async findDrift(): Promise<void> {
    for (const managed of this.switches.values()) {
      if (managed.needsReplace) continue;
      try {
        const drift = await managed.reconciler.audit();
        if (hasDrift(drift)) {
          managed.needsReplace = true;
          this.options.logger.warn({ hostId: managed.hostId, drift }, 'switch drifted from the applied state; replacing ours');
        }
      } catch (error) {
        this.options.logger.warn({ err: error, hostId: managed.hostId }, 'switch audit failed');
      }
    }
  }
}

function portFacts(port: Port): PortFacts {
  const bound = port.binding.vifType === 'ovs' && port.binding.ofport !== null && port.binding.ofport > 0;
  return {
    id: port.id,
    networkId: port.networkId,
    macAddress: port.macAddress,
    ipAddresses: port.fixedIps.map((fixedIp) => fixedIp.ipAddress),
    hostId: bound ? port.binding.hostId : undefined,
    ofport: bound ? (port.binding.ofport ?? undefined) : undefined,
    portSecurity: port.portSecurityEnabled,
  };
}
