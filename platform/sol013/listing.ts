import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { Entity, IndexValue, Repository } from '../store/contract.js';
import { FilterSyntaxError, matchesFilter, parseFilter, type Filter } from './filter.js';
import { parseSelector, SelectorError, selectAttributes, type AttributeSelector, type ResourceShape } from './selectors.js';

/** The SOL 013 query parameters of a list (GET on a collection), for route schemas and the OpenAPI document. */
export const listQuerySchema = {
  type: 'object',
  properties: {
    filter: { type: 'string', description: 'SOL 013 attribute filter, e.g. (eq,operationState,COMPLETED);(gt,startTime,2026-01-01)' },
    all_fields: { type: 'string' },
    fields: { type: 'string', description: 'Complex attributes to include, comma separated, nested with /' },
    exclude_fields: { type: 'string' },
    exclude_default: { type: 'string' },
    nextpage_opaque_marker: { type: 'string' },
  },
} as const;

export interface ListQuery {
  filter?: string;
  all_fields?: string;
  fields?: string;
  exclude_fields?: string;
  exclude_default?: string;
  nextpage_opaque_marker?: string;
}

export interface ListOptions<T extends Entity, V extends object> {
  request: FastifyRequest;
  reply: FastifyReply;
  repository: Repository<T>;
  /** From the principal: undefined lists every tenant's resources. */
  tenantId: string | undefined;
  /** The API representation of a stored document; filters and selectors apply to it. */
  view: (doc: T) => V;
  shape: ResourceShape;
  pageSize: number;
  where?: Readonly<Record<string, IndexValue>>;
  isKnownAttribute?: (path: readonly string[]) => boolean;
}

/**
 * One page of a SOL 013 list: filtered, attribute-selected, and with `Link: <...>; rel="next"` when more
 * matches follow. The marker is opaque to clients (an encoded keyset position).
 */
export async function listPage<T extends Entity, V extends object>(options: ListOptions<T, V>): Promise<Array<Partial<V>>> {
  const query = options.request.query as ListQuery;
  const filter = parseFilterParameter(query.filter, options.isKnownAttribute);
  const selector = parseSelectorParameters(query);
  let after = query.nextpage_opaque_marker === undefined ? undefined : decodeMarker(query.nextpage_opaque_marker);
  const page: V[] = [];
  let lastId: string | undefined;
  let more = false;
  const batchSize = options.pageSize + 1;
  scan: for (;;) {
    const batch = await options.repository.query({ tenantId: options.tenantId, where: options.where, after, limit: batchSize });
    for (const { value } of batch) {
      after = value.id;
      const view = options.view(value);
      if (!matchesFilter(view, filter)) continue;
      if (page.length === options.pageSize) {
        more = true;
        break scan;
      }
      page.push(view);
      lastId = value.id;
    }
    if (batch.length < batchSize) break;
  }
  if (more && lastId !== undefined) {
    options.reply.header('Link', `<${nextPageUri(options.request, encodeMarker(lastId))}>; rel="next"`);
  }
  return page.map((view) => selectAttributes(view, selector, options.shape));
}

export function parseFilterParameter(text: string | undefined, isKnownAttribute?: (path: readonly string[]) => boolean): Filter {
  if (text === undefined) return [];
  try {
    return parseFilter(text, isKnownAttribute);
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw badRequest(`The filter is not valid: ${error.message}.`, [{ pointer: '/filter', message: error.message, in: 'query' }]);
    }
    throw error;
  }
}

export function parseSelectorParameters(query: ListQuery): AttributeSelector {
  try {
    return parseSelector(query);
  } catch (error) {
    if (error instanceof SelectorError) {
      throw badRequest(`The attribute selector is not valid: ${error.message}.`, [
        { pointer: '/' + error.parameter, message: error.message, in: 'query' },
      ]);
    }
    throw error;
  }
}

function encodeMarker(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

function decodeMarker(marker: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof decoded.after === 'string') return decoded.after;
  } catch {
    // fall through to the refusal below
  }
  throw badRequest('The nextpage_opaque_marker is not one this server issued.', [
    { pointer: '/nextpage_opaque_marker', message: 'is not a marker this server issued', in: 'query' },
  ]);
}

function nextPageUri(request: FastifyRequest, marker: string): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  url.searchParams.set('nextpage_opaque_marker', marker);
  return url.toString();
}
