import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMIN_TENANT, type ApiToken } from '../config.js';
import { unauthorized } from '../errors.js';
import type { Logger } from '../logger.js';

/** Who is calling: the tenant their token belongs to. The admin tenant sees every tenant's resources. */
export interface Principal {
  tenantId: string;
  isAdmin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token (health, readiness, metrics, API docs). */
    public?: boolean;
  }
}

/** The tenant a query is scoped to: undefined (all tenants) for the admin tenant. */
export function tenantScope(principal: Principal): string | undefined {
  return principal.isAdmin ? undefined : principal.tenantId;
}

export const GENERATED_TOKEN_FILE = 'api-token';

/**
 * The tokens the server accepts: NFV_API_TOKENS when set; otherwise one admin token generated on the first
 * start, printed once, and kept (mode 0600) in the data dir so that restarts keep it.
 */
export function resolveApiTokens(configured: readonly ApiToken[], dataDir: string, logger: Logger): ApiToken[] {
  if (configured.length > 0) return [...configured];
  const file = path.join(dataDir, GENERATED_TOKEN_FILE);
  if (fs.existsSync(file)) {
    logger.info({ file }, 'using the API token stored in the data dir');
    return [{ token: fs.readFileSync(file, 'utf8').trim(), tenantId: ADMIN_TENANT }];
  }
  const token = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  process.stdout.write(`API token (admin tenant), also stored in ${file}: ${token}\n`);
  return [{ token, tenantId: ADMIN_TENANT }];
}

/** Constant-time lookup: tokens are compared by their SHA-256 digests. */
class TokenTable {
  private readonly entries: Array<{ digest: Buffer; tenantId: string }>;

  constructor(tokens: readonly ApiToken[]) {
    this.entries = tokens.map(({ token, tenantId }) => ({ digest: digest(token), tenantId }));
  }

  tenantOf(token: string): string | undefined {
    const presented = digest(token);
    let tenantId: string | undefined;
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(entry.digest, presented)) tenantId = entry.tenantId;
    }
    return tenantId;
  }
}

function digest(token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest();
}

function presentedToken(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const openstackToken = request.headers['x-auth-token'];
  return typeof openstackToken === 'string' && openstackToken !== '' ? openstackToken : undefined;
}

/** Every route requires `Authorization: Bearer T` or `X-Auth-Token: T` unless its config says `public`. */
export function installAuth(app: FastifyInstance, tokens: readonly ApiToken[]): void {
  const table = new TokenTable(tokens);
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    const token = presentedToken(request);
    if (token === undefined) {
      throw unauthorized('A token is required: send "Authorization: Bearer <token>" or "X-Auth-Token: <token>".');
    }
    const tenantId = table.tenantOf(token);
    if (tenantId === undefined) throw unauthorized('The token is not valid.');
    request.principal = { tenantId, isAdmin: tenantId === ADMIN_TENANT };
  });
}
