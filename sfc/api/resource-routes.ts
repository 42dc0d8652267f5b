import type { FastifyInstance } from 'fastify';
import { tenantScope, type Entity, type Principal, type ProblemError, type Repository, type Versioned } from '../../platform/index.js';

export type NeutronView = Record<string, unknown>;

/** One Neutron-shaped resource (`{"port_pair": {...}}`, `{"port_pairs": [...]}`) and what its routes call. */
export interface NeutronResource<T extends Entity, Creation, Update> {
  path: string;
  singular: string;
  plural: string;
  tag: string;
  description: string;
  creationSchema: object;
  updateSchema: object;
  repository: Repository<T>;
  notFound(id: string): ProblemError;
  create(principal: Principal, creation: Creation): Promise<T>;
  /** Validates and writes the update of `current` (read at its revision). */
  update(principal: Principal, current: Versioned<T>, update: Update): Promise<T>;
  /** Deletes `current` (read at its revision), or throws when it is still in use. */
  remove(current: Versioned<T>): Promise<void>;
  view(resource: T): NeutronView;
}

export function ownedView<T extends Entity>({ tenantId, id, ...attributes }: T): NeutronView {
  return { id, tenant_id: tenantId, project_id: tenantId, ...attributes };
}

type ListQuery = Readonly<Record<string, readonly string[] | undefined>>;

function matchesValue(value: unknown, wanted: string): boolean {
  if (Array.isArray(value)) return value.some((element) => matchesValue(element, wanted));
  if (value === null) return wanted === '' || wanted.toLowerCase() === 'none';
  if (typeof value === 'boolean') return String(value) === wanted.toLowerCase();
  return typeof value === 'object' ? false : String(value) === wanted;
}

/** Neutron list filters: every named attribute must match one of its values; unknown names are ignored. */
function matchesFilters(view: NeutronView, query: ListQuery): boolean {
  return Object.entries(query).every(([attribute, wanted]) =>
    attribute === 'fields' || wanted === undefined || !(attribute in view) || wanted.some((one) => matchesValue(view[attribute], one)),
  );
}

function selectFields(view: NeutronView, fields: readonly string[] | undefined): NeutronView {
  if (fields === undefined || fields.length === 0) return view;
  return Object.fromEntries(Object.entries(view).filter(([attribute]) => fields.includes(attribute)));
}

const repeatable = { type: 'array', items: { type: 'string' } } as const;
const listQuerySchema = { type: 'object', additionalProperties: repeatable } as const;
const showQuerySchema = { type: 'object', additionalProperties: false, properties: { fields: repeatable } } as const;
const idParamsSchema = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;

export async function visibleResource<T extends Entity>(repository: Repository<T>, principal: Principal, id: string, notFound: (id: string) => ProblemError): Promise<Versioned<T>> {
  const found = await repository.get(id, tenantScope(principal));
  if (found === undefined) throw notFound(id);
  return found;
}

/** Registers create, list, show, update and delete of one resource, with Neutron's list filters and `fields=`. */
export function registerResource<T extends Entity, Creation, Update>(scope: FastifyInstance, resource: NeutronResource<T, Creation, Update>): void {
  const { path, singular, plural, repository } = resource;
  const schema = (extra: object) => ({ tags: [resource.tag], description: resource.description, ...extra });
  const itemPath = `${path}/:id`;
  type Show = { Params: { id: string }; Querystring: { fields?: string[] } };

  scope.post<{ Body: Record<string, Creation> }>(path, { schema: schema({ body: resource.creationSchema }) }, async (request, reply) => {
    const created = await resource.create(request.principal, request.body[singular] as Creation);
    return reply.code(201).send({ [singular]: resource.view(created) });
  });
  scope.get<{ Querystring: ListQuery }>(path, { schema: schema({ querystring: listQuerySchema }) }, async (request) => {
    const views = (await repository.query({ tenantId: tenantScope(request.principal) })).map(({ value }) => resource.view(value));
    return { [plural]: views.filter((view) => matchesFilters(view, request.query)).map((view) => selectFields(view, request.query.fields)) };
  });
  scope.get<Show>(itemPath, { schema: schema({ params: idParamsSchema, querystring: showQuerySchema }) }, async (request) => {
    const { value } = await visibleResource(repository, request.principal, request.params.id, resource.notFound);
    return { [singular]: selectFields(resource.view(value), request.query.fields) };
  });
  scope.put<{ Params: { id: string }; Body: Record<string, Update> }>(itemPath, { schema: schema({ params: idParamsSchema, body: resource.updateSchema }) }, async (request) => {
    const current = await visibleResource(repository, request.principal, request.params.id, resource.notFound);
    const updated = await resource.update(request.principal, current, request.body[singular] as Update);
    return { [singular]: resource.view(updated) };
  });
  scope.delete<{ Params: { id: string } }>(itemPath, { schema: schema({ params: idParamsSchema }) }, async (request, reply) => {
    await resource.remove(await visibleResource(repository, request.principal, request.params.id, resource.notFound));
    return reply.code(204).send();
  });
}

