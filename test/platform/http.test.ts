import { Writable } from 'node:stream';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  createLogger,
  listPage,
  listQuerySchema,
  registerEtsiApi,
  replyAccepted,
  notFound,
  preconditionFailed,
  replyCreated,
  revisionFromIfMatch,
  setEntityTag,
  SqliteStore,
  tenantScope,
  type Entity,
  type EtsiApi,
  type Repository,
} from '../../platform/index.js';
import { createHttpServer } from '../../platform/index.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

const ADMIN = 'admin-token-123';
const TENANT_A = 'tenant-a-token';
const TENANT_B = 'tenant-b-token';
const PROBE_API: EtsiApi = { name: 'probe', majorVersion: 1, version: '1.2.0', title: 'Probe API' };
const BODY_LIMIT = 64 * 1024;

interface Thing extends Entity {
  name: string;
  count: number;
  tags?: string[];
  details?: { notes: string };
}

const thingSchema = {
  type: 'object',
  required: ['name', 'count'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    count: { type: 'integer', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' } },
    details: { type: 'object', additionalProperties: false, properties: { notes: { type: 'string' } } },
  },
} as const;

/** A small API registered the way every context registers its own, to exercise the shared behaviour. */
function probeRoutes(things: Repository<Thing>) {
  return async (scope: FastifyInstance): Promise<void> => {
    let sequence = 0;
    scope.post<{ Body: Omit<Thing, 'id' | 'tenantId'> }>('/things', { schema: { body: thingSchema } }, async (request, reply) => {
      sequence += 1;
      const thing: Thing = { id: `thing-${String(sequence).padStart(3, '0')}`, tenantId: request.principal.tenantId, ...request.body };
      await things.insert(thing);
      return replyCreated(request, reply, `/probe/v1/things/${thing.id}`, thing);
    });
    scope.get('/things', { schema: { querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: things,
        tenantId: tenantScope(request.principal),
        view: (thing: Thing) => thing,
        shape: { defaultExcluded: ['details'] },
        pageSize: 3,
      }),
    );
    scope.get<{ Querystring: { limit: number } }>(
      '/numbers',
      { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', maximum: 10 } } } } },
      async (request) => ({ limit: request.query.limit }),
    );
    scope.post<{ Params: { id: string } }>('/things/:id/tasks', async (request, reply) =>
      replyAccepted(request, reply, `/probe/v1/tasks/${request.params.id}-task`),
    );
    scope.get<{ Params: { id: string } }>('/things/:id', async (request, reply) => {
      const found = await things.get(request.params.id, tenantScope(request.principal));
      if (!found) throw notFound(`No thing ${request.params.id}.`);
      setEntityTag(reply, found.revision);
      return found.value;
    });
    scope.patch<{ Params: { id: string }; Body: { name?: string } }>(
      '/things/:id',
      { schema: { body: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } } } },
      async (request, reply) => {
        const found = await things.get(request.params.id, tenantScope(request.principal));
        if (!found) throw notFound(`No thing ${request.params.id}.`);
        const expected = revisionFromIfMatch(request) ?? found.revision;
        if (expected !== found.revision) throw preconditionFailed(`The thing is at version "${found.revision}".`);
        const saved = await things.update({ ...found.value, ...request.body }, expected);
        setEntityTag(reply, saved.revision);
        return saved.value;
      },
    );
    scope.get('/fault', async () => {
      throw new Error('a bug, not the client');
    });
  };
}

describe('HTTP server: auth, ProblemDetails, validation, metrics, SOL 013', () => {
  let dir: string;
  let store: SqliteStore;
  let app: FastifyInstance;
  let base: string;
  const logLines: string[] = [];

  const call = (url: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? ADMIN : init.token;
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    return fetch(base + url, { ...init, headers });
  };
  const postJson = (url: string, body: string, token: string = ADMIN, contentType = 'application/json'): Promise<Response> =>
    call(url, { method: 'POST', body, headers: { 'Content-Type': contentType }, token });

  beforeAll(async () => {
    dir = makeTempDir('http');
    store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
    const capture = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        callback();
      },
    });
    app = await createHttpServer({
      logger: createLogger('info', capture),
      tokens: [
        { token: ADMIN, tenantId: 'admin' },
        { token: TENANT_A, tenantId: 'tenant-a' },
        { token: TENANT_B, tenantId: 'tenant-b' },
      ],
      bodyLimitBytes: BODY_LIMIT,
      readiness: () => store.ping(),
      version: 'test',
    });
    await registerEtsiApi(app, PROBE_API, probeRoutes(store.collection<Thing>({ name: 'things', indexes: [] })));
    await app.ready();
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    removeTempDir(dir);
  });

  async function expectProblem(response: Response, status: number): Promise<Record<string, unknown>> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(problem.instance).toEqual(expect.any(String));
    return problem;
  }

  describe('authentication', () => {
    it('accepts a bearer token and the X-Auth-Token header OpenStack clients send', async () => {
      expect((await call('/probe/v1/api_versions')).status).toBe(200);
      const viaOpenstack = await call('/probe/v1/api_versions', { token: null, headers: { 'X-Auth-Token': TENANT_A } });
      expect(viaOpenstack.status).toBe(200);
    });

    it('refuses a request without a token or with a wrong one with 401 ProblemDetails', async () => {
      const missing = await call('/probe/api_versions', { token: null });
      await expectProblem(missing, 401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      await expectProblem(await call('/probe/api_versions', { token: 'not-a-token' }), 401);
      await expectProblem(await call('/probe/v1/things', { token: null, headers: { Authorization: 'Basic abc' } }), 401);
    });

    it('answers health, readiness, metrics and the API docs without a token', async () => {
      expect(await (await call('/healthz', { token: null })).json()).toEqual({ status: 'ok' });
      expect(await (await call('/readyz', { token: null })).json()).toEqual({ status: 'ready' });
      expect((await call('/metrics', { token: null })).status).toBe(200);
      const docsPage = await call('/docs', { token: null, redirect: 'follow' });
      expect(docsPage.status).toBe(200);
      expect(docsPage.headers.get('content-type')).toMatch(/text\/html/);
    });
  });

  describe('SOL 013 API versions and headers', () => {
    it('serves api_versions at the API root and under the major version, with a Version header', async () => {
      for (const url of ['/probe/api_versions', '/probe/v1/api_versions']) {
        const response = await call(url);
        expect(response.status).toBe(200);
        expect(response.headers.get('version')).toBe('1.2.0');
        expect(await response.json()).toEqual({ uriPrefix: '/probe/v1', apiVersions: [{ version: '1.2.0', isDeprecated: false }] });
      }
    });

    it('refuses a request for another major version with 406', async () => {
      const problem = await expectProblem(await call('/probe/v1/things', { headers: { Version: '2.0.0' } }), 406);
      expect(problem.detail).toMatch(/1\.2\.0/);
      expect((await call('/probe/v1/things', { headers: { Version: '1.0.0' } })).status).toBe(200);
    });

    it('answers an asynchronous task with 202 and an absolute Location', async () => {
      const response = await call('/probe/v1/things/t1/tasks', { method: 'POST' });
      expect(response.status).toBe(202);
      expect(response.headers.get('location')).toBe(`${base}/probe/v1/tasks/t1-task`);
    });
  });

  describe('bad input: 4xx ProblemDetails, nothing changed, process up', () => {
    let countBefore: number;
    beforeAll(async () => {
      countBefore = ((await (await call('/probe/v1/things?all_fields')).json()) as unknown[]).length;
    });
    afterAll(async () => {
      const countAfter = ((await (await call('/probe/v1/things?all_fields')).json()) as unknown[]).length;
      expect(countAfter).toBe(countBefore);
      expect((await call('/healthz', { token: null })).status).toBe(200);
    });

    it('malformed JSON', async () => {
      await expectProblem(await postJson('/probe/v1/things', '{"name": "x", "count": '), 400);
      await expectProblem(await postJson('/probe/v1/things', ''), 400);
      await expectProblem(await postJson('/probe/v1/things', '{"__proto__": {"polluted": true}, "name": "x", "count": 1}'), 400);
    });

    it('wrong types, one pointer per violation, no coercion of body values', async () => {
      const problem = await expectProblem(await postJson('/probe/v1/things', JSON.stringify({ name: 7, count: '5', tags: ['a', 3] })), 400);
      expect(problem.violations).toEqual(
        expect.arrayContaining([
          { pointer: '/name', message: 'must be string', in: 'body' },
          { pointer: '/count', message: 'must be integer', in: 'body' },
          { pointer: '/tags/1', message: 'must be string', in: 'body' },
        ]),
      );
    });

    it('missing and unknown attributes, also nested', async () => {
      const problem = await expectProblem(
        await postJson('/probe/v1/things', JSON.stringify({ count: 1, colour: 'red', details: { notes: 'n', extra: 1 } })),
        400,
      );
      expect(problem.violations).toEqual(
        expect.arrayContaining([
          { pointer: '/name', message: 'is required', in: 'body' },
          { pointer: '/colour', message: 'is not a known attribute', in: 'body' },
          { pointer: '/details/extra', message: 'is not a known attribute', in: 'body' },
        ]),
      );
    });

    it('a body that is not an object', async () => {
      await expectProblem(await postJson('/probe/v1/things', '[1,2,3]'), 400);
      await expectProblem(await postJson('/probe/v1/things', 'null'), 400);
    });

    it('a huge body', async () => {
      const huge = JSON.stringify({ name: 'x'.repeat(BODY_LIMIT * 4), count: 1 });
      await expectProblem(await postJson('/probe/v1/things', huge), 413);
    });

    it('an unsupported media type', async () => {
      await expectProblem(await postJson('/probe/v1/things', '<thing/>', ADMIN, 'application/xml'), 415);
    });

    it('a bad query parameter, coerced from text where the type allows', async () => {
      expect(await (await call('/probe/v1/numbers?limit=7')).json()).toEqual({ limit: 7 });
      const problem = await expectProblem(await call('/probe/v1/numbers?limit=seven'), 400);
      expect(problem.violations).toEqual([{ pointer: '/limit', message: 'must be integer', in: 'query' }]);
      await expectProblem(await call('/probe/v1/numbers?limit=11'), 400);
    });

    it('an unknown route', async () => {
      await expectProblem(await call('/probe/v1/nothing-here'), 404);
      await expectProblem(await call('/probe/v1/things', { method: 'DELETE' }), 404);
    });

    it('bad filter expressions and selector combinations', async () => {
      for (const filter of ['(eq,name)', '(like,name,x)', 'eq,name,x', '(eq,name,x', "(eq,name,'x)", '(gt,count,1,2)', '(eq,na me,x)']) {
        const problem = await expectProblem(await call(`/probe/v1/things?filter=${encodeURIComponent(filter)}`), 400);
        expect(problem.violations).toEqual([expect.objectContaining({ pointer: '/filter', in: 'query' })]);
      }
      await expectProblem(await call('/probe/v1/things?all_fields&fields=details'), 400);
      await expectProblem(await call('/probe/v1/things?fields=details&exclude_fields=tags'), 400);
      await expectProblem(await call('/probe/v1/things?nextpage_opaque_marker=garbage'), 400);
    });
  });

  it('answers a genuine fault with 500 ProblemDetails naming the request id, and keeps serving', async () => {
    const response = await call('/probe/v1/fault');
    const problem = await expectProblem(response, 500);
    expect(problem.detail).toContain(response.headers.get('x-request-id') as string);
    expect(problem.detail).not.toContain('a bug');
    expect((await call('/healthz', { token: null })).status).toBe(200);
  });

  it('logs JSON lines carrying the request id, taking a client-sent X-Request-Id', async () => {
    const response = await call('/probe/v1/api_versions', { headers: { 'X-Request-Id': 'req-from-client-42' } });
    expect(response.headers.get('x-request-id')).toBe('req-from-client-42');
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.requestId === 'req-from-client-42');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(logLines.join('\n')).not.toContain(ADMIN);
  });

  describe('tenants and SOL 013 lists', () => {
    beforeAll(async () => {
      for (let index = 0; index < 5; index += 1) {
        const response = await postJson(
          '/probe/v1/things',
          JSON.stringify({ name: `a-${index}`, count: index, tags: index % 2 ? ['odd'] : ['even'], details: { notes: `n${index}` } }),
          TENANT_A,
        );
        expect(response.status).toBe(201);
        expect(response.headers.get('location')).toMatch(new RegExp(`^${base}/probe/v1/things/thing-`));
      }
      expect((await postJson('/probe/v1/things', JSON.stringify({ name: 'b-0', count: 100 }), TENANT_B)).status).toBe(201);
    });

    async function listAll(url: string, token: string): Promise<Array<Record<string, unknown>>> {
      const all: Array<Record<string, unknown>> = [];
      let next: string | undefined = base + url;
      for (let pages = 0; next !== undefined && pages < 20; pages += 1) {
        const response: Response = await fetch(next, { headers: { Authorization: `Bearer ${token}` } });
        expect(response.status).toBe(200);
        all.push(...((await response.json()) as Array<Record<string, unknown>>));
        next = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
      }
      return all;
    }

    it('scopes lists to the caller’s tenant; the admin tenant sees all', async () => {
      const a = await listAll('/probe/v1/things', TENANT_A);
      expect(a.map((thing) => thing.name)).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4']);
      const b = await listAll('/probe/v1/things', TENANT_B);
      expect(b.map((thing) => thing.name)).toEqual(['b-0']);
      expect(await listAll('/probe/v1/things', ADMIN)).toHaveLength(6);
    });

    it('pages with nextpage_opaque_marker and a Link rel="next" header', async () => {
      const first = await call('/probe/v1/things', { token: TENANT_A });
      expect(((await first.json()) as unknown[]).length).toBe(3);
      expect(first.headers.get('link')).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/probe\/v1\/things\?nextpage_opaque_marker=[^>]+>; rel="next"$/);
      const everything = await listAll('/probe/v1/things', ADMIN);
      expect(new Set(everything.map((thing) => thing.id)).size).toBe(6);
    });

    it('filters, keeping the filter across pages', async () => {
      const odd = await listAll(`/probe/v1/things?filter=${encodeURIComponent('(eq,tags,odd)')}`, TENANT_A);
      expect(odd.map((thing) => thing.name)).toEqual(['a-1', 'a-3']);
      const range = await listAll(`/probe/v1/things?filter=${encodeURIComponent('(gte,count,1);(lt,count,4);(neq,name,a-2)')}`, ADMIN);
      expect(range.map((thing) => thing.name)).toEqual(['a-1', 'a-3']);
      const many = await listAll(`/probe/v1/things?filter=${encodeURIComponent('(in,name,a-0,b-0,zzz)')}`, ADMIN);
      expect(many.map((thing) => thing.name)).toEqual(['a-0', 'b-0']);
    });

    it('leaves out the default-excluded attributes unless asked for', async () => {
      const [plain] = (await (await call('/probe/v1/things', { token: TENANT_A })).json()) as Array<Record<string, unknown>>;
      expect(plain).not.toHaveProperty('details');
      expect(plain).toHaveProperty('tags');
      const [all] = (await (await call('/probe/v1/things?all_fields', { token: TENANT_A })).json()) as Array<Record<string, unknown>>;
      expect(all).toHaveProperty('details', { notes: 'n0' });
      const [picked] = (await (await call('/probe/v1/things?fields=details', { token: TENANT_A })).json()) as Array<Record<string, unknown>>;
      expect(picked).toHaveProperty('details');
      expect(picked).not.toHaveProperty('tags');
      expect(picked).toHaveProperty('name');
      const [trimmed] = (await (await call('/probe/v1/things?exclude_fields=tags,name', { token: TENANT_A })).json()) as Array<Record<string, unknown>>;
      expect(trimmed).not.toHaveProperty('tags');
      expect(trimmed).not.toHaveProperty('name');
      expect(trimmed).toHaveProperty('details');
    });
  });

  it('counts requests by route and status in /metrics, with process metrics', async () => {
    await call('/probe/v1/api_versions');
    const metrics = await (await call('/metrics', { token: null })).text();
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/probe\/v1\/api_versions",status_code="200"\} [1-9]/);
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/probe\/api_versions",status_code="401"\} [1-9]/);
    expect(metrics).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/probe\/v1\/api_versions",status_code="200"\}/);
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="unmatched",status_code="404"\}/);
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const response = await call('/docs/json', { token: null });
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.paths['/probe/v1/things']?.post?.requestBody).toBeDefined();
    expect(document.paths['/probe/v1/api_versions']).toBeDefined();
  });

  it('versions a resource with ETag and refuses a stale If-Match with 412', async () => {
    const created = (await (await postJson('/probe/v1/things', JSON.stringify({ name: 'versioned', count: 1 }), TENANT_A)).json()) as Thing;
    const read = await call(`/probe/v1/things/${created.id}`, { token: TENANT_A });
    expect(read.headers.get('etag')).toBe('"1"');
    const patch = (ifMatch: string, name: string): Promise<Response> =>
      call(`/probe/v1/things/${created.id}`, {
        method: 'PATCH',
        token: TENANT_A,
        body: JSON.stringify({ name }),
        headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': ifMatch },
      });
    const first = await patch('"1"', 'renamed');
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    await expectProblem(await patch('"1"', 'lost update'), 412);
    await expectProblem(await patch('W/"2"', 'weak tag'), 412);
    expect(((await (await call(`/probe/v1/things/${created.id}`, { token: TENANT_A })).json()) as Thing).name).toBe('renamed');
    await expectProblem(await call(`/probe/v1/things/${created.id}`, { token: TENANT_B }), 404);
  });

  it('reports not ready once the store is gone', async () => {
    await store.close();
    await expectProblem(await call('/readyz', { token: null }), 503);
    expect((await call('/healthz', { token: null })).status).toBe(200);
  });
});
