import crypto from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiToken } from '../config.js';
import { ProblemError } from '../errors.js';
import type { Logger } from '../logger.js';
import { installAuth } from './auth.js';
import { installMetrics } from './metrics.js';
import { installProblemHandling } from './problems.js';
import { validatorCompiler } from './validation.js';

export interface HttpServerOptions {
  logger: Logger;
  tokens: readonly ApiToken[];
  bodyLimitBytes: number;
  /** Throws when the server cannot serve requests (the store is unreachable). */
  readiness: () => Promise<void>;
  version: string;
}

const DOCS_PREFIX = '/docs';

/**
 * The one HTTP server of the product, before any API is registered: ProblemDetails errors, token auth,
 * strict validation, request ids, metrics, health and readiness, and the OpenAPI document that every
 * route registered afterwards lands in. Contexts then register their APIs as plugins; call `ready()` last.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: () => crypto.randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  app.setValidatorCompiler(validatorCompiler);
  installProblemHandling(app);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string', bodyLimit: options.bodyLimitBytes }, parseJson);
  // Some clients (python-tackerclient reusing one header set per command) label a bodiless DELETE or GET as JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.bodyLimitBytes }, (request, body, done) => {
    if (body === '' && (request.method === 'DELETE' || request.method === 'GET')) {
      done(null, undefined);
      return;
    }
    parseJson(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('X-Request-Id', request.id);
    return payload;
  });
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX)) route.config = { ...route.config, public: true };
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'NFV MANO orchestrator',
        description: 'ETSI NFV-SOL 005 (NFVO), SOL 003 (VNFM), VIM administration, Traffic Steering and networking-sfc APIs.',
        version: options.version,
      },
      components: {
        securitySchemes: {
          bearerToken: { type: 'http', scheme: 'bearer' },
          openstackToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
        },
      },
      security: [{ bearerToken: [] }, { openstackToken: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });

  installAuth(app, options.tokens);
  installMetrics(app);

  const healthSchema = { hide: true } as const;
  app.get('/healthz', { config: { public: true }, schema: healthSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true }, schema: healthSchema }, async (request) => {
    try {
      await options.readiness();
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      throw new ProblemError(503, `Not ready: ${(error as Error).message}`);
    }
    return { status: 'ready' };
  });
  return app;
}
