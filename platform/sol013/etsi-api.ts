import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { preconditionFailed, ProblemError } from '../errors.js';

/**
 * One ETSI NFV API hosted by the server (SOL 013 clause 4: URI structure `/{apiName}/v{major}/...`, the
 * `Version` header, and the API versions resource of clause 9.3).
 */
export interface EtsiApi {
  /** The API name in the URI, e.g. `vnfpkgm`, `nsd`, `nslcm`, `vnflcm`. */
  name: string;
  majorVersion: number;
  /** Full version this server implements, sent in every response's `Version` header. */
  version: string;
  title: string;
}

export interface ApiVersions {
  uriPrefix: string;
  apiVersions: Array<{ version: string; isDeprecated: boolean }>;
}

const apiVersionsSchema = {
  response: {
    200: {
      type: 'object',
      required: ['uriPrefix', 'apiVersions'],
      properties: {
        uriPrefix: { type: 'string' },
        apiVersions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['version'],
            properties: { version: { type: 'string' }, isDeprecated: { type: 'boolean' } },
          },
        },
      },
    },
  },
} as const;

export function uriPrefixOf(api: EtsiApi): string {
  return `/${api.name}/v${api.majorVersion}`;
}

export function apiVersionsOf(api: EtsiApi): ApiVersions {
  return { uriPrefix: uriPrefixOf(api), apiVersions: [{ version: api.version, isDeprecated: false }] };
}

/**
 * Registers an ETSI API: `GET /{name}/api_versions`, and under `/{name}/v{major}` the given routes plus their
 * own `api_versions`. Every response carries `Version`; a request asking for another major version by its
 * `Version` header is refused with 406 (a request without the header gets this server's version).
 */
export async function registerEtsiApi(app: FastifyInstance, api: EtsiApi, routes: FastifyPluginAsync): Promise<void> {
  const apiVersionsRoute = {
    schema: { ...apiVersionsSchema, tags: [api.name], summary: `${api.title}: API versions` },
    handler: async (): Promise<ApiVersions> => apiVersionsOf(api),
  };
  const withVersionHeader = (scope: FastifyInstance): void => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('Version', api.version);
      return payload;
    });
  };
  await app.register(
    async (scope) => {
      withVersionHeader(scope);
      scope.get('/api_versions', apiVersionsRoute);
    },
    { prefix: `/${api.name}` },
  );
  await app.register(
    async (scope) => {
      withVersionHeader(scope);
      scope.addHook('onRequest', async (request) => {
        const requested = request.headers.version;
        if (typeof requested === 'string' && requested !== '' && majorOf(requested) !== api.majorVersion) {
          throw new ProblemError(406, `This server implements ${api.name} version ${api.version}; "Version: ${requested}" was asked for.`, {
            type: 'unsupported-version',
          });
        }
      });
      scope.get('/api_versions', apiVersionsRoute);
      await scope.register(routes);
    },
    { prefix: uriPrefixOf(api) },
  );
}

function majorOf(version: string): number {
  return Number.parseInt(version.trim().split('.')[0] ?? '', 10);
}

/** 202 Accepted for an asynchronous task, with `Location` naming the resource that tracks it (SOL 013 5.8). */
export function replyAccepted(request: FastifyRequest, reply: FastifyReply, resourcePath: string): FastifyReply {
  return reply.code(202).header('Location', absoluteUri(request, resourcePath)).send();
}

/** 201 Created with `Location` and the representation of the new resource. */
export function replyCreated(request: FastifyRequest, reply: FastifyReply, resourcePath: string, body: unknown): FastifyReply {
  return reply.code(201).header('Location', absoluteUri(request, resourcePath)).send(body);
}

export function absoluteUri(request: FastifyRequest, resourcePath: string): string {
  return `${request.protocol}://${request.host}${resourcePath}`;
}

/** A strong entity tag for a stored revision (SOL 013 clause 4.5: ETag and If-Match on modifiable resources). */
export function setEntityTag(reply: FastifyReply, revision: number): FastifyReply {
  return reply.header('ETag', `"${revision}"`);
}

/**
 * The revision an `If-Match` header asks for, or undefined without one (`*` also means "any"). A tag this
 * server did not issue can never match: 412, as a stale one would be.
 */
export function revisionFromIfMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new ProblemError(412, `If-Match ${header} does not name a current version of this resource.`);
  return Number(match[1]);
}

/** 412 when an `If-Match` header names another version than the stored one. */
export function checkIfMatch(request: FastifyRequest, subject: string, revision: number): void {
  const expected = revisionFromIfMatch(request);
  if (expected !== undefined && expected !== revision) throw preconditionFailed(`${subject} is at version "${revision}".`);
}
