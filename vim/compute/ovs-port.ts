import type { StringMap } from '../../sfc/ovsdb/index.js';

/** The keys by which OVS (and OVN, and Neutron's agent) tie an interface to a VIM port and its VNFC. */
export function portExternalIds(portId: string, mac: string, vnfcUuid: string): StringMap {
  return { 'iface-id': portId, 'attached-mac': mac.toLowerCase(), 'iface-status': 'active', 'vm-uuid': vnfcUuid };
}
