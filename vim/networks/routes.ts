import type { FastifyInstance } from 'fastify';
import { installNeutronErrors } from '../../platform/index.js';
import { matchesFilters, selectFields, type ListQuery } from './listing.js';
import { networkView, portView } from './model.js';
import type { NetworkCreation, Networks, NetworkUpdate, PortCreation, PortUpdate } from './networks.js';
import {
  idParamsSchema,
  listQuerySchemaOf,
  NETWORK_FILTERS,
  networkCreationSchema,
  networkUpdateSchema,
  PORT_FILTERS,
  portCreationSchema,
  portUpdateSchema,
  showQuerySchema,
} from './schemas.js';

const TAGS = ['networking'];

type Show = { Params: { id: string }; Querystring: { fields?: string[] } };
type List = { Querystring: ListQuery };

/** OpenStack Networking API v2.0 networks and ports (not an ETSI API: no Version header, no SOL 013 paging). */
export function networkRoutes(networks: Networks) {
  return async (scope: FastifyInstance): Promise<void> => {
    installNeutronErrors(scope);

    scope.post<{ Body: { network: NetworkCreation } }>('/v2.0/networks', { schema: { tags: TAGS, body: networkCreationSchema } }, async (request, reply) => {
      const { value, revision } = await networks.createNetwork(request.principal, request.body.network);
      return reply.code(201).send({ network: networkView(value, revision) });
    });

    scope.get<List>('/v2.0/networks', { schema: { tags: TAGS, querystring: listQuerySchemaOf(NETWORK_FILTERS) } }, async (request) => {
      const views = (await networks.visibleNetworks(request.principal)).map(({ value, revision }) => networkView(value, revision));
      return { networks: views.filter((view) => matchesFilters(view, request.query)).map((view) => selectFields(view, request.query.fields)) };
    });

    scope.get<Show>('/v2.0/networks/:id', { schema: { tags: TAGS, params: idParamsSchema, querystring: showQuerySchema } }, async (request) => {
      const { value, revision } = await networks.visibleNetwork(request.principal, request.params.id);
      return { network: selectFields(networkView(value, revision), request.query.fields) };
    });

    scope.put<{ Params: { id: string }; Body: { network: NetworkUpdate } }>(
      '/v2.0/networks/:id',
      { schema: { tags: TAGS, params: idParamsSchema, body: networkUpdateSchema } },
      async (request) => {
        const { value, revision } = await networks.updateNetwork(request.principal, request.params.id, request.body.network);
        return { network: networkView(value, revision) };
      },
    );

    scope.delete<{ Params: { id: string } }>('/v2.0/networks/:id', { schema: { tags: TAGS, params: idParamsSchema } }, async (request, reply) => {
      await networks.deleteNetwork(request.principal, request.params.id);
      return reply.code(204).send();
    });

    scope.post<{ Body: { port: PortCreation } }>('/v2.0/ports', { schema: { tags: TAGS, body: portCreationSchema } }, async (request, reply) => {
      const { value, revision } = await networks.createPort(request.principal, request.body.port);
      return reply.code(201).send({ port: portView(value, revision) });
    });

    scope.get<List>('/v2.0/ports', { schema: { tags: TAGS, querystring: listQuerySchemaOf(PORT_FILTERS) } }, async (request) => {
      const [onlyNetwork, ...otherNetworks] = request.query.network_id ?? [];
      const networkId = otherNetworks.length === 0 ? onlyNetwork : undefined;
      const views = (await networks.visiblePorts(request.principal, networkId)).map(({ value, revision }) => portView(value, revision));
      return { ports: views.filter((view) => matchesFilters(view, request.query)).map((view) => selectFields(view, request.query.fields)) };
    });

    scope.get<Show>('/v2.0/ports/:id', { schema: { tags: TAGS, params: idParamsSchema, querystring: showQuerySchema } }, async (request) => {
      const { value, revision } = await networks.visiblePort(request.principal, request.params.id);
      return { port: selectFields(portView(value, revision), request.query.fields) };
    });

    scope.put<{ Params: { id: string }; Body: { port: PortUpdate } }>(
      '/v2.0/ports/:id',
      { schema: { tags: TAGS, params: idParamsSchema, body: portUpdateSchema } },
      async (request) => {
        const { value, revision } = await networks.updatePort(request.principal, request.params.id, request.body.port);
        return { port: portView(value, revision) };
      },
    );

    scope.delete<{ Params: { id: string } }>('/v2.0/ports/:id', { schema: { tags: TAGS, params: idParamsSchema } }, async (request, reply) => {
      await networks.deletePort(request.principal, request.params.id);
      return reply.code(204).send();
    });
  };
}
