/** OVSDB remotes as OVS writes them (ovsdb-server(1)): `tcp:HOST[:PORT]` and `unix:PATH`. */
import net from 'node:net';
import { OvsdbRemoteError } from './errors.js';

export type OvsdbRemote = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** The IANA port for OVSDB, which OVS assumes when a `tcp:` remote names none. */
export const OVSDB_PORT = 6640;

export function parseRemote(text: string): OvsdbRemote {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path === '') throw new OvsdbRemoteError(text, 'no socket path');
    return { kind: 'unix', path };
  }
  if (text.startsWith('tcp:')) {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(text.slice('tcp:'.length));
    if (!match) throw new OvsdbRemoteError(text, 'expected tcp:HOST:PORT (an IPv6 address in brackets)');
    const port = match[3] === undefined ? OVSDB_PORT : Number(match[3]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OvsdbRemoteError(text, `port ${match[3]} is not 1 to 65535`);
    return { kind: 'tcp', host: (match[1] ?? match[2]) as string, port };
  }
  throw new OvsdbRemoteError(text, 'only tcp: and unix: remotes are supported');
}

export function connectOptions(remote: OvsdbRemote): net.NetConnectOpts {
  return remote.kind === 'unix' ? { path: remote.path } : { host: remote.host, port: remote.port };
}

export function remoteText(remote: OvsdbRemote): string {
  if (remote.kind === 'unix') return `unix:${remote.path}`;
  return remote.host.includes(':') ? `tcp:[${remote.host}]:${remote.port}` : `tcp:${remote.host}:${remote.port}`;
}
