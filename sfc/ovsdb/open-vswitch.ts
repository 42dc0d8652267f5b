/**
 * The tables of the `Open_vSwitch` database (ovs-vswitchd.conf.db(5)) we read and write, with the columns
 * the orchestrator uses. `Open_vSwitch` is the one root row; every other row lives only while something
 * references it: a Bridge from `Open_vSwitch.bridges`, a Port from `Bridge.ports`, an Interface from
 * `Port.interfaces`, a Controller from `Bridge.controller`.
 */
import { atom, column } from './datum.js';
import { table, type RowOf } from './table.js';

export const OpenVswitch = table('Open_vSwitch', {
  bridges: column.set(atom.uuid),
  ovs_version: column.optional(atom.string),
  db_version: column.optional(atom.string),
  cur_cfg: column.scalar(atom.integer),
  next_cfg: column.scalar(atom.integer),
  datapath_types: column.set(atom.string),
  iface_types: column.set(atom.string),
  external_ids: column.map(atom.string, atom.string),
  other_config: column.map(atom.string, atom.string),
});
export type OpenVswitch = RowOf<typeof OpenVswitch>;

export const OPENFLOW_VERSIONS = ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15'] as const;
export type OpenFlowVersion = (typeof OPENFLOW_VERSIONS)[number];

export const Bridge = table('Bridge', {
  name: column.scalar(atom.string),
  /** `system` (kernel datapath) or `netdev` (userspace, the one DPDK uses). */
  datapath_type: column.scalar(atom.string),
  datapath_id: column.optional(atom.string),
  fail_mode: column.optional(atom.oneOf('standalone', 'secure')),
  protocols: column.set(atom.oneOf(...OPENFLOW_VERSIONS)),
  ports: column.set(atom.uuid),
  controller: column.set(atom.uuid),
  other_config: column.map(atom.string, atom.string),
  external_ids: column.map(atom.string, atom.string),
});
export type Bridge = RowOf<typeof Bridge>;

export const VLAN_MODES = ['trunk', 'access', 'native-tagged', 'native-untagged', 'dot1q-tunnel'] as const;

export const Port = table('Port', {
  name: column.scalar(atom.string),
  interfaces: column.set(atom.uuid),
  /** The access VLAN (0 to 4095), absent on a trunk or untagged port. */
  tag: column.optional(atom.integer),
  trunks: column.set(atom.integer),
  vlan_mode: column.optional(atom.oneOf(...VLAN_MODES)),
  other_config: column.map(atom.string, atom.string),
  external_ids: column.map(atom.string, atom.string),
});
export type Port = RowOf<typeof Port>;

export const Interface = table('Interface', {
  name: column.scalar(atom.string),
  /** Empty or `system` for a device of the host; `internal`, `patch`, `vxlan`, `dpdk`, ... otherwise. */
  type: column.scalar(atom.string),
  options: column.map(atom.string, atom.string),
  /** Assigned by ovs-vswitchd once it has added the interface: absent before, -1 when it could not. */
  ofport: column.optional(atom.integer),
  ofport_request: column.optional(atom.integer),
  /** Why ovs-vswitchd could not configure the interface. */
  error: column.optional(atom.string),
  mtu_request: column.optional(atom.integer),
  /** `iface-id` names the logical port (the VNF connection point) this interface is for. */
  external_ids: column.map(atom.string, atom.string),
});
export type Interface = RowOf<typeof Interface>;

export const Controller = table('Controller', {
  /** `tcp:IP:PORT`, `unix:PATH`, `ssl:IP:PORT`, or the passive `ptcp:` / `punix:` forms. */
  target: column.scalar(atom.string),
  connection_mode: column.optional(atom.oneOf('in-band', 'out-of-band')),
  is_connected: column.scalar(atom.boolean),
  inactivity_probe: column.optional(atom.integer),
  max_backoff: column.optional(atom.integer),
  external_ids: column.map(atom.string, atom.string),
});
export type Controller = RowOf<typeof Controller>;

export const VSWITCH_TABLES = [OpenVswitch, Bridge, Port, Interface, Controller] as const;
