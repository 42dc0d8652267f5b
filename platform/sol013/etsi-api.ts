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
  /**
   * Whether a request must say which version it is for (SOL 013 v3: the `Version` header is mandatory; 400
   * without it). Otherwise a request without the header gets this server's version, as older clients expect.
   */
  requiresVersionHeader?: boolean;
}

/** One major version of an API and the routes it serves under `/{name}/v{major}`. */
export interface EtsiApiVersion {
  api: EtsiApi;
  routes: FastifyPluginAsync;
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
 * What `/{name}/api_versions` answers: every major version served. With one, its URI prefix (as
 * `/{name}/v{major}/api_versions` says too); with several, the prefix they share, `/{name}`.
 */
function allApiVersionsOf(apis: readonly EtsiApi[]): ApiVersions {
  const [only] = apis;
  if (apis.length === 1 && only) return apiVersionsOf(only);
  return { uriPrefix: `/${only?.name ?? ''}`, apiVersions: apis.map((api) => ({ version: api.version, isDeprecated: false })) };
}

/**
 * Registers an ETSI API: `GET /{name}/api_versions`, and under `/{name}/v{major}` the given routes plus their
 * own `api_versions`; with several major versions (e.g. SOL 003 VNF LCM v1 and v2), each under its prefix and
 * `/{name}/api_versions` listing them all. Every response carries `Version`. The `Version` header of a request
 * is checked by `checkRequestedVersion`; the `api_versions` resources answer whatever version is asked for
 * (clients ask them to find out which versions there are).
 */
export async function registerEtsiApi(app: FastifyInstance, api: EtsiApi, routes: FastifyPluginAsync): Promise<void>;
export async function registerEtsiApi(app: FastifyInstance, versions: readonly EtsiApiVersion[]): Promise<void>;
export async function registerEtsiApi(app: FastifyInstance, apiOrVersions: EtsiApi | readonly EtsiApiVersion[], routes?: FastifyPluginAsync): Promise<void> {
  let versions: readonly EtsiApiVersion[];
  if (isVersionList(apiOrVersions)) versions = apiOrVersions;
  else if (routes) versions = [{ api: apiOrVersions, routes }];
  else throw new Error(`registerEtsiApi: no routes for ${uriPrefixOf(apiOrVersions)}`);
  const apis = [...versions.map((version) => version.api)].sort((a, b) => a.majorVersion - b.majorVersion);
  const newest = apis[apis.length - 1];
  if (!newest || apis.some((api) => api.name !== newest.name) || new Set(apis.map((api) => api.majorVersion)).size !== apis.length) {
    throw new Error(`registerEtsiApi takes distinct major versions of one API, not ${apis.map((api) => uriPrefixOf(api)).join(', ')}`);
  }
  const summary = (api: EtsiApi) => ({ ...apiVersionsSchema, tags: [api.name], summary: `${api.title}: API versions` });
  const withVersionHeader = (scope: FastifyInstance, version: string): void => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('Version', version);
      return payload;
    });
  };
  await app.register(
    async (scope) => {
      withVersionHeader(scope, newest.version);
      scope.get('/api_versions', { schema: summary(newest), handler: async (): Promise<ApiVersions> => allApiVersionsOf(apis) });
    },
    { prefix: `/${newest.name}` },
  );
  for (const { api, routes: versionRoutes } of versions) {
    await app.register(
      async (scope) => {
        withVersionHeader(scope, api.version);
        scope.addHook('onRequest', async (request) => {
          if (request.routeOptions.url !== `${uriPrefixOf(api)}/api_versions`) checkRequestedVersion(api, request.headers.version);
        });
        scope.get('/api_versions', { schema: summary(api), handler: async (): Promise<ApiVersions> => apiVersionsOf(api) });
        await scope.register(versionRoutes);
      },
      { prefix: uriPrefixOf(api) },
    );
  }
}

function isVersionList(value: EtsiApi | readonly EtsiApiVersion[]): value is readonly EtsiApiVersion[] {
  return Array.isArray(value);
}

/** SOL 013 clause 4.2.2: `{major}.{minor}.{patch}`, optionally followed by `-impl:{implementation}`. */
const VERSION_PATTERN = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})(-impl:[^\s]+)?$/;

/**
 * SOL 013 clause 4.6 / 9.1: the `Version` a request asks for must be of the major version its URI names. A
 * malformed one is a bad request (400), as a missing one is where the API requires it; another major version
 * is not acceptable (406), a minor or patch level of the same major is served as this server's.
 */
function checkRequestedVersion(api: EtsiApi, header: string | string[] | undefined): void {
  const requested = (Array.isArray(header) ? header[0] : header)?.trim();
  if (requested === undefined || requested === '') {
    if (!api.requiresVersionHeader) return;
    throw new ProblemError(400, `A request to ${uriPrefixOf(api)} must carry a "Version" header (this server implements ${api.name} version ${api.version}).`, {
      type: 'missing-version',
      violations: [{ pointer: '/Version', message: 'is required', in: 'header' }],
    });
  }
  const parsed = VERSION_PATTERN.exec(requested);
  if (!parsed) {
    throw new ProblemError(400, `"Version: ${requested}" is not a version: expected {major}.{minor}.{patch}, e.g. ${api.version}.`, {
      type: 'invalid-version',
      violations: [{ pointer: '/Version', message: 'is not of the form {major}.{minor}.{patch}', in: 'header' }],
    });
  }
  if (Number(parsed[1]) !== api.majorVersion) {
    throw new ProblemError(406, `This server implements ${api.name} version ${api.version} under ${uriPrefixOf(api)}; "Version: ${requested}" was asked for.`, {
      type: 'unsupported-version',
    });
  }
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
