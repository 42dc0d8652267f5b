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
  openflow: { host: string; port: number; advertise: string };
  pageSize: number;
}

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
  const openflowHost = env.NFV_OPENFLOW_HOST || httpHost;
  const openflowPort = parsePort(env, 'NFV_OPENFLOW_PORT', 6653);
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
      host: openflowHost,
      port: openflowPort,
      advertise: env.NFV_OPENFLOW_ADVERTISE || `tcp:${openflowHost}:${openflowPort}`,
    },
    pageSize: parseInteger(env, 'NFV_PAGE_SIZE', 100, 1, 10000),
  };
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
