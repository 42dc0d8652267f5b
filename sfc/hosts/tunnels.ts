/**
 * VXLAN tunnels between the integration bridges of hosts that have a tunnel address: one port per peer host,
 * `key=flow` so that the flows choose the VNI (a network's segment, or a chain's path and hop), named after
 * the peer and marked with it in `external_ids`, so the compiler knows which port reaches which host.
 */
import { createHash } from 'node:crypto';
import { Interface, type Vswitch } from '../ovsdb/index.js';

export const PEER_HOST = 'nfv-peer-host';

export interface TunnelPeer {
  hostId: string;
  address: string;
}

/** `vx` + 10 hex digits of the peer's id: within the 15 characters of an interface name, stable. */
export function tunnelPortName(peerHostId: string): string {
  return `vx${createHash('sha256').update(peerHostId).digest('hex').slice(0, 10)}`;
}

interface TunnelInterface {
  portName: string;
  peerHostId: string;
  remoteIp: string | undefined;
  localIp: string | undefined;
  ofport: number | undefined;
}

function tunnelInterfaces(vswitch: Vswitch, bridge: string): TunnelInterface[] {
  const found: TunnelInterface[] = [];
  for (const port of vswitch.portsOf(bridge)) {
    for (const uuid of port.interfaces) {
      const row = vswitch.client.cache.get(Interface, uuid);
      const peerHostId = row?.external_ids.get(PEER_HOST);
      if (!row || peerHostId === undefined) continue;
      found.push({ portName: port.name, peerHostId, remoteIp: row.options.get('remote_ip'), localIp: row.options.get('local_ip'), ofport: row.ofport !== undefined && row.ofport > 0 ? row.ofport : undefined });
    }
  }
  return found;
}

/** Adds the missing tunnels, re-creates those pointing elsewhere, removes those to hosts no longer peers. */
export async function ensureTunnels(vswitch: Vswitch, bridge: string, localAddress: string | undefined, peers: readonly TunnelPeer[]): Promise<boolean> {
  const existing = tunnelInterfaces(vswitch, bridge);
  const wanted = localAddress === undefined ? [] : peers;
  let changed = false;
  for (const tunnel of existing) {
    const peer = wanted.find((candidate) => candidate.hostId === tunnel.peerHostId);
    if (!peer || peer.address !== tunnel.remoteIp || tunnel.localIp !== localAddress || tunnel.portName !== tunnelPortName(peer.hostId)) {
      await vswitch.deletePort(bridge, tunnel.portName);
      changed = true;
    }
  }
  const kept = new Set(tunnelInterfaces(vswitch, bridge).map((tunnel) => tunnel.peerHostId));
  for (const peer of wanted) {
    if (kept.has(peer.hostId) || localAddress === undefined) continue;
    await vswitch.addPort(bridge, {
      name: tunnelPortName(peer.hostId),
      type: 'vxlan',
      options: { remote_ip: peer.address, local_ip: localAddress, key: 'flow' },
      external_ids: { [PEER_HOST]: peer.hostId },
    });
    changed = true;
  }
  return changed;
}

/** Peer host id to the OpenFlow port number of the tunnel reaching it. */
export function tunnelPorts(vswitch: Vswitch, bridge: string): Map<string, number> {
  const ports = new Map<string, number>();
  for (const tunnel of tunnelInterfaces(vswitch, bridge)) if (tunnel.ofport !== undefined) ports.set(tunnel.peerHostId, tunnel.ofport);
  return ports;
}
