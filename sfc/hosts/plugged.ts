/**
 * Which VIM ports are plugged into a bridge, as OVS shows it: an Interface of the bridge whose
 * `external_ids:iface-id` names the port (the key Neutron's agent and OVN read) and to which ovs-vswitchd
 * has given an OpenFlow port number.
 */
import { Interface, type Vswitch } from '../ovsdb/index.js';

export const IFACE_ID = 'iface-id';

/** Port id to OpenFlow port number. Of two interfaces naming one port, the first found counts. */
export function pluggedPorts(vswitch: Vswitch, bridge: string): Map<string, number> {
  const plugged = new Map<string, number>();
  for (const port of vswitch.portsOf(bridge)) {
    for (const uuid of port.interfaces) {
      const row = vswitch.client.cache.get(Interface, uuid);
      const portId = row?.external_ids.get(IFACE_ID);
      const ofport = row?.ofport;
      if (portId && ofport !== undefined && ofport > 0 && !plugged.has(portId)) plugged.set(portId, ofport);
    }
  }
  return plugged;
}
