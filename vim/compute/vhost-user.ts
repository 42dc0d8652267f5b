/**
 * The Open vSwitch side of a vhost-user port: a `dpdkvhostuserclient` interface that connects to the socket
 * QEMU serves (the domain's `<interface type='vhostuser'>` with `mode='server'`), known to OVS by the
 * port's id like every VIM port.
 */
import path from 'node:path';
import type { AddedPort, Vswitch } from '../../sfc/ovsdb/index.js';
import { portExternalIds } from './ovs-port.js';

export interface VhostUserPort {
  portId: string;
  mac: string;
  /** The VNFC's uuid, for OVS's `vm-uuid`. */
  vnfcUuid: string;
  socketPath: string;
}

/** `vhu` and the start of the port id: OVS and QEMU both see this name, which holds 15 characters. */
export function vhostUserPortName(portId: string): string {
  return `vhu${portId}`.slice(0, 15);
}

/** Where QEMU serves the port's socket, in a directory OVS may read. */
export function vhostUserSocketPath(directory: string, portId: string): string {
  return path.join(directory, vhostUserPortName(portId));
}

export function addVhostUserPort(vswitch: Vswitch, bridge: string, port: VhostUserPort): Promise<AddedPort> {
  return vswitch.addPort(bridge, {
    name: vhostUserPortName(port.portId),
    type: 'dpdkvhostuserclient',
    options: { 'vhost-server-path': port.socketPath },
    external_ids: portExternalIds(port.portId, port.mac, port.vnfcUuid),
  });
}
