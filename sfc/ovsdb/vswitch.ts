/**
 * Bridges, ports, interfaces and controllers of one Open vSwitch, read from the monitor cache and changed by
 * typed transactions that keep OVS's conventions: a bridge is referenced from the root row, a port from its
 * bridge, an interface from its port; a port is deleted by taking it out of `Bridge.ports` (OVSDB collects
 * rows nothing references). Changes to sets and maps are mutations, not read-modify-write, so two writers
 * adding ports to one bridge cannot lose each other's port.
 */
import type { OvsdbClient, Monitor } from './client.js';
import type { Column, MapWrite, Uuid } from './datum.js';
import { InterfaceAttachError, RowNotFoundError } from './errors.js';
import {
  Bridge,
  Controller,
  Interface,
  OpenVswitch,
  Port,
  VSWITCH_TABLES,
  type OpenFlowVersion,
  type VLAN_MODES,
} from './open-vswitch.js';
import type { Columns, Condition, Mutation, RowWrite, TableModel } from './table.js';
import { Transaction } from './transaction.js';

export type StringMap = Readonly<Record<string, string>>;

interface InterfaceCommon {
  name: string;
  external_ids?: StringMap;
  ofport_request?: number;
  mtu_request?: number;
}

/** An interface by type, with the options each type cannot do without. */
export type InterfaceSpec = InterfaceCommon &
  (
    | { type: 'internal' | 'system'; options?: StringMap }
    | { type: 'patch'; options: StringMap & { peer: string } }
    | { type: 'vxlan' | 'geneve' | 'gre'; options: StringMap & { remote_ip: string } }
    | { type: 'dpdk'; options: StringMap & { 'dpdk-devargs': string } }
    | { type: 'dpdkvhostuserclient'; options: StringMap & { 'vhost-server-path': string } }
  );

export type InterfaceType = InterfaceSpec['type'];

export type PortSettings = {
  /** Access VLAN, 0 to 4095; `undefined` given explicitly removes it. */
  tag?: number | undefined;
  trunks?: readonly number[];
  vlan_mode?: (typeof VLAN_MODES)[number] | undefined;
  external_ids?: StringMap;
  other_config?: StringMap;
};

export type InterfaceSettings = Pick<RowWrite<typeof Interface.columns>, 'options' | 'external_ids' | 'mtu_request' | 'ofport_request'>;

export interface ControllerSpec {
  target: string;
  connection_mode?: 'in-band' | 'out-of-band';
  inactivity_probe?: number;
  max_backoff?: number;
}

export interface BridgeSpec {
  name: string;
  datapath_type?: string;
  fail_mode?: 'standalone' | 'secure';
  protocols?: readonly OpenFlowVersion[];
  other_config?: StringMap;
  external_ids?: StringMap;
  controllers?: readonly ControllerSpec[];
}

export interface AddedPort {
  port: Uuid;
  interface: Uuid;
}

/** What Bridge, Port and Interface share: a unique `name`, and `external_ids`. */
type NamedColumns = Columns & {
  name: Column<string, string>;
  external_ids: Column<ReadonlyMap<string, string>, MapWrite<string, string>, string>;
};

/** `name == ...`; TypeScript cannot see through the generic that `name` is a string column of every C. */
function named<C extends NamedColumns>(name: string): Condition<C>[] {
  return [['name', '==', name] as unknown as Condition<C>];
}

export class Vswitch {
  private constructor(
    readonly client: OvsdbClient,
    private readonly monitor: Monitor,
  ) {}

  /** Monitors the Open_vSwitch tables on a connected client. */
  static async open(client: OvsdbClient): Promise<Vswitch> {
    return new Vswitch(client, await client.monitor(VSWITCH_TABLES));
  }

  /** Cancels the monitor; the client stays open. */
  close(): Promise<void> {
    return this.monitor.cancel();
  }

  bridge(name: string): Bridge | undefined {
    return this.client.cache.find(Bridge, (row) => row.name === name);
  }

  port(name: string): Port | undefined {
    return this.client.cache.find(Port, (row) => row.name === name);
  }

  interface(name: string): Interface | undefined {
    return this.client.cache.find(Interface, (row) => row.name === name);
  }

  portsOf(bridge: string): Port[] {
    const ports = this.bridge(bridge)?.ports ?? [];
    return ports.map((uuid) => this.client.cache.get(Port, uuid)).filter((port): port is Port => port !== undefined);
  }

  /** Adds a bridge with its local port (an internal interface of the bridge's name), as `ovs-vsctl add-br`. */
  async addBridge(spec: BridgeSpec): Promise<Uuid> {
    const root = this.root();
    const transaction = new Transaction();
    const local = this.insertPort(transaction, { name: spec.name, type: 'internal' }, {});
    const controllers = (spec.controllers ?? []).map((controller) => transaction.insert(Controller, controller));
    const { controllers: _controllers, ...columns } = spec;
    const bridge = transaction.insert(Bridge, { ...columns, ports: [local.port], controller: controllers });
    const linked = transaction.mutate(OpenVswitch, [['_uuid', '==', root]], [['bridges', 'insert', [bridge]]]);
    const outcome = await this.client.transact(transaction);
    this.expectOne(outcome.get(linked), OpenVswitch, root);
    return outcome.uuidOf(bridge);
  }

  async deleteBridge(name: string): Promise<void> {
    const root = this.root();
    const bridge = this.required(Bridge, name);
    const transaction = new Transaction();
    const unlinked = transaction.mutate(OpenVswitch, [['_uuid', '==', root]], [['bridges', 'delete', [bridge]]]);
    this.expectOne((await this.client.transact(transaction)).get(unlinked), OpenVswitch, root);
  }

  /** Adds a port with one interface of the same name (what `ovs-vsctl add-port` makes). */
  async addPort(bridge: string, spec: InterfaceSpec, settings: PortSettings = {}): Promise<AddedPort> {
    const owner = this.required(Bridge, bridge);
    const transaction = new Transaction();
    const inserted = this.insertPort(transaction, spec, settings);
    const linked = transaction.mutate(Bridge, [['_uuid', '==', owner]], [['ports', 'insert', [inserted.port]]]);
    const outcome = await this.client.transact(transaction);
    this.expectOne(outcome.get(linked), Bridge, bridge);
    return { port: outcome.uuidOf(inserted.port), interface: outcome.uuidOf(inserted.interface) };
  }

  /** Takes the port out of its bridge; OVSDB then deletes the port and its interfaces. */
  async deletePort(bridge: string, port: string): Promise<void> {
    const owner = this.required(Bridge, bridge);
    const member = this.required(Port, port);
    const transaction = new Transaction();
    const unlinked = transaction.mutate(Bridge, [['_uuid', '==', owner]], [['ports', 'delete', [member]]]);
    this.expectOne((await this.client.transact(transaction)).get(unlinked), Bridge, bridge);
  }

  async updatePort(name: string, settings: PortSettings): Promise<void> {
    await this.updateNamed(Port, name, settings);
  }

  async updateInterface(name: string, changes: InterfaceSettings): Promise<void> {
    await this.updateNamed(Interface, name, changes);
  }

  /** Sets some keys of `external_ids`, leaving the others as they are. */
  async setExternalIds<C extends NamedColumns>(table: TableModel<C>, name: string, entries: StringMap): Promise<void> {
    const transaction = new Transaction();
    // A map `insert` keeps a key that is already there, so the keys are deleted first.
    const mutations = [
      ['external_ids', 'delete', Object.keys(entries)],
      ['external_ids', 'insert', entries],
    ] as const;
    const changed = transaction.mutate(table, named<C>(name), mutations as unknown as Mutation<C>[]);
    this.expectOne((await this.client.transact(transaction)).get(changed), table, name);
  }

  /** Replaces the bridge's controllers (the old Controller rows are collected by OVSDB). */
  async setControllers(bridge: string, controllers: readonly ControllerSpec[]): Promise<void> {
    const transaction = new Transaction();
    const rows = controllers.map((controller) => transaction.insert(Controller, controller));
    const changed = transaction.update(Bridge, [['name', '==', bridge]], { controller: rows });
    this.expectOne((await this.client.transact(transaction)).get(changed), Bridge, bridge);
  }

  /**
   * The OpenFlow port number ovs-vswitchd assigns the interface, waiting for it through the monitor. An
   * interface OVS could not add (ofport -1) fails with its `error`.
   */
  ofport(interfaceName: string, timeoutMs = 10000): Promise<number> {
    return this.client.waitFor(
      `an OpenFlow port number for ${interfaceName}`,
      (cache) => {
        const row = cache.find(Interface, (candidate) => candidate.name === interfaceName);
        if (row?.ofport === -1) throw new InterfaceAttachError(interfaceName, row.error);
        return row?.ofport !== undefined && row.ofport > 0 ? row.ofport : undefined;
      },
      timeoutMs,
    );
  }

  private insertPort(transaction: Transaction, spec: InterfaceSpec, settings: PortSettings) {
    const iface = transaction.insert(Interface, spec);
    const port = transaction.insert(Port, { ...settings, name: spec.name, interfaces: [iface] });
    return { port, interface: iface };
  }

  private async updateNamed<C extends NamedColumns>(table: TableModel<C>, name: string, row: RowWrite<C>): Promise<void> {
    const transaction = new Transaction();
    const changed = transaction.update(table, named<C>(name), row);
    this.expectOne((await this.client.transact(transaction)).get(changed), table, name);
  }

  private root(): Uuid {
    const root = this.client.cache.rows(OpenVswitch)[0];
    if (!root) throw new RowNotFoundError('Open_vSwitch', 'root row (is the database initialized?)');
    return root._uuid;
  }

  private required<C extends NamedColumns>(table: TableModel<C>, name: string): Uuid {
    const row = this.client.cache.find(table, (candidate) => candidate.name === name);
    if (!row) throw new RowNotFoundError(table.name, name);
    return row._uuid;
  }

  private expectOne(count: number, table: { name: string }, key: string): void {
    if (count !== 1) throw new RowNotFoundError(table.name, key);
  }
}
