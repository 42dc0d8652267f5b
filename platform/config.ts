import net from 'node:net';
import path from 'node:path';

/**
 * The process configuration, read once from the environment. Every variable has an embedded default so that
 * `npm start` on a fresh machine needs nothing set.
 */
export interface Config {
  dataDir: string;
  http: { host: string; port: number; bodyLimitBytes: number };
  /** Static API tokens from NFV_API_TOKENS; empty means "generate one and keep it under the data dir". */
  apiTokens: ApiToken[];
  logLevel: LogLevel;
  mongoUrl: string | undefined;
  openflow: {
    listen: SocketAddress;
    /** The controller target written into switches; undefined means "the address we listen on". */
    advertise: string | undefined;
  };
  pageSize: number;
  sfc: {
    /** `datapath_type` of integration bridges the SFC module creates; undefined: the OVS default (kernel). */
    bridgeDatapathType: string | undefined;
    /** How often each switch is compared with the flows and groups we applied (drift -> replaced). */
    auditIntervalMs: number;
    /** How often the registered hosts are re-read and their bridges checked. */
    hostRefreshIntervalMs: number;
  };
  vim: {
    /** A host whose agent has not sent a heartbeat for this long is marked down (and up again on the next one). */
    heartbeatTimeoutMs: number;
  };
  operations: {
    /**
     * How long a lifecycle operation's lease lasts without renewal: how soon a restarted process (or another
     * replica) takes over the operations of one that died. Recovery looks every half lease.
     */
    leaseMs: number;
  };
}

/** The host agent (`npm run agent`): where the VIM is and what this host is. */
export interface AgentConfig {
  /** The orchestrator's base URL, e.g. `http://10.0.0.5:9890`. */
  vimUrl: string;
  token: string;
  hostName: string;
  zoneId: string | undefined;
  sysfsRoot: string;
  libvirtUri: string;
  ovsdbEndpoint: string;
  integrationBridge: string;
  /** VXLAN tunnel endpoint address of this host (NFV_AGENT_TUNNEL_ADDRESS); unset: no tunnels to it. */
  tunnelAddress: string | undefined;
  heartbeatIntervalMs: number;
  logLevel: LogLevel;
}

/** A TCP endpoint or a unix socket path. */
export type SocketAddress = { host: string; port: number } | { path: string };

export interface ApiToken {
  token: string;
  tenantId: string;
}

export const ADMIN_TENANT = 'admin';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const httpHost = env.NFV_HTTP_HOST || '127.0.0.1';
  return {
    dataDir: path.resolve(env.NFV_DATA_DIR || './data'),
    http: {
      host: httpHost,
      port: parsePort(env, 'NFV_HTTP_PORT', 9890),
      bodyLimitBytes: parseInteger(env, 'NFV_HTTP_BODY_LIMIT', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    apiTokens: parseTokens(env.NFV_API_TOKENS),
    logLevel: parseLogLevel(env.NFV_LOG_LEVEL),
    mongoUrl: env.NFV_MONGO_URL || undefined,
    openflow: {
      listen: parseSocketAddress('NFV_OPENFLOW_LISTEN', env.NFV_OPENFLOW_LISTEN || '127.0.0.1:6653'),
      advertise: env.NFV_OPENFLOW_ADVERTISE || undefined,
    },
    pageSize: parseInteger(env, 'NFV_PAGE_SIZE', 100, 1, 10000),
    sfc: {
      bridgeDatapathType: parseDatapathType(env.NFV_OVS_DATAPATH_TYPE),
      auditIntervalMs: parseSeconds(env, 'NFV_SFC_AUDIT_INTERVAL', 10),
      hostRefreshIntervalMs: parseSeconds(env, 'NFV_SFC_HOST_REFRESH_INTERVAL', 5),
    },
    vim: { heartbeatTimeoutMs: parseSeconds(env, 'NFV_VIM_HEARTBEAT_TIMEOUT', 30) },
    operations: { leaseMs: parseSeconds(env, 'NFV_OPERATION_LEASE', 30) },
  };
}

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env, defaultHostName = 'localhost'): AgentConfig {
  const vimUrl = env.NFV_AGENT_VIM_URL ?? '';
  if (!/^https?:\/\/[^/]+/.test(vimUrl)) throw new ConfigError('NFV_AGENT_VIM_URL', `"${vimUrl}" is not an http(s) URL of the orchestrator`);
  const token = env.NFV_AGENT_TOKEN ?? '';
  if (token.length < 8) throw new ConfigError('NFV_AGENT_TOKEN', 'an admin API token of at least 8 characters is required');
  const ovsdbEndpoint = env.NFV_AGENT_OVSDB || 'unix:/var/run/openvswitch/db.sock';
  parseSocketAddress('NFV_AGENT_OVSDB', ovsdbEndpoint);
  return {
    vimUrl: vimUrl.replace(/\/+$/, ''),
    token,
    hostName: env.NFV_AGENT_HOST_NAME || defaultHostName,
    zoneId: env.NFV_AGENT_ZONE || undefined,
    sysfsRoot: path.resolve(env.NFV_AGENT_SYSFS_ROOT || '/sys'),
    libvirtUri: env.NFV_AGENT_LIBVIRT_URI || 'qemu:///system',
    ovsdbEndpoint,
    integrationBridge: env.NFV_AGENT_INTEGRATION_BRIDGE || 'br-int',
    tunnelAddress: parseAddress('NFV_AGENT_TUNNEL_ADDRESS', env.NFV_AGENT_TUNNEL_ADDRESS),
    heartbeatIntervalMs: parseSeconds(env, 'NFV_AGENT_HEARTBEAT_INTERVAL', 10),
    logLevel: parseLogLevel(env.NFV_LOG_LEVEL),
  };
}

function parseAddress(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (net.isIP(raw) === 0) throw new ConfigError(name, `"${raw}" is not an IPv4 or IPv6 address`);
  return raw;
}

function parseDatapathType(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'system' && raw !== 'netdev') throw new ConfigError('NFV_OVS_DATAPATH_TYPE', `"${raw}" is neither system nor netdev`);
  return raw;
}

/** Seconds, fractions allowed (tests use short ones), as milliseconds. */
function parseSeconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a number of seconds`);
  const milliseconds = Math.round(Number(raw) * 1000);
  if (milliseconds < 100 || milliseconds > 86400 * 1000) throw new ConfigError(name, `${raw} is outside 0.1..86400 seconds`);
  return milliseconds;
}

function parseInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
  return value;
}

function parsePort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return parseInteger(env, name, fallback, 0, 65535);
}

/** `HOST:PORT`, `tcp:HOST:PORT` (IPv6 hosts in brackets) or `unix:PATH`, as OVS writes connection targets. */
export function parseSocketAddress(variable: string, raw: string): SocketAddress {
  if (raw.startsWith('unix:')) {
    const socketPath = raw.slice('unix:'.length);
    if (!socketPath) throw new ConfigError(variable, `"${raw}" names no socket path`);
    return { path: path.resolve(socketPath) };
  }
  const match = /^(?:tcp:)?(\[[0-9a-fA-F:]+\]|[^:\[\]]+):(\d+)$/.exec(raw);
  if (!match) throw new ConfigError(variable, `"${raw}" is not HOST:PORT, tcp:HOST:PORT or unix:PATH`);
  const port = Number(match[2]);
  if (port > 65535) throw new ConfigError(variable, `port ${port} is outside 0..65535`);
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

/** The OVS connection target (`tcp:IP:PORT`, `unix:PATH`) of an address. */
export function socketTarget(address: SocketAddress): string {
  if ('path' in address) return `unix:${address.path}`;
  return `tcp:${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/** One sentence on why listening failed, naming the variable that sets the address. */
export function describeListenFailure(error: unknown, variable: string, address: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `${variable}: ${address} is already in use by another process.`;
  if (code === 'EADDRNOTAVAIL') return `${variable}: ${address} is not an address of this machine.`;
  if (code === 'EACCES') return `${variable}: ${address} needs privileges this process does not have.`;
  return `${variable}: cannot listen on ${address}: ${(error as Error).message}`;
}

function parseLogLevel(raw: string | undefined): LogLevel {
  if (!raw) return 'info';
  const level = raw.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new ConfigError('NFV_LOG_LEVEL', `"${raw}" is not one of ${LOG_LEVELS.join(', ')}`);
}

/** `token` or `token=tenantId`, comma separated. A token without a tenant belongs to the admin tenant. */
export function parseTokens(raw: string | undefined): ApiToken[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [token = '', tenantId = ADMIN_TENANT] = entry.split('=', 2);
      if (token.length < 8) throw new ConfigError('NFV_API_TOKENS', 'every token needs at least 8 characters');
      if (!/^[A-Za-z0-9_.:-]+$/.test(tenantId)) {
        throw new ConfigError('NFV_API_TOKENS', `tenant id "${tenantId}" has characters outside [A-Za-z0-9_.:-]`);
      }
      return { token, tenantId };
    });
}
