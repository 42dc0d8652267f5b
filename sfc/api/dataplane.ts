/**
 * Inspection of a chain in the dataplane: `GET .../port_chains/{id}/dataplane` on both APIs answers the
 * chain's flows and groups per switch with live counters, and packets in and out per hop.
 */
import type { FastifyInstance } from 'fastify';
import { installNeutronErrors } from '../../platform/index.js';
import type { RenderedChain } from '../flows/inspection.js';
import { pcNotFound } from './networking-sfc.js';
import type { SfcRepositories } from './repositories.js';
import { visibleResource } from './resource-routes.js';
import { portChainNotFound } from './traffic-steering.js';

export interface ChainDataplane {
  /** Undefined when the chain is not (yet) known to the flow programmer. */
  render(chainResourceId: string): Promise<RenderedChain | undefined>;
}

const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;

export function dataplaneRoutes(repositories: SfcRepositories, dataplane: ChainDataplane) {
  return async (scope: FastifyInstance): Promise<void> => {
    installNeutronErrors(scope);
    const routes = [
      { path: '/v2.0/sfc/port_chains/:id/dataplane', tag: 'networking-sfc', repository: repositories.portChains, notFound: pcNotFound },
      { path: '/v2.0/ts/port_chains/:id/dataplane', tag: 'traffic-steering', repository: repositories.steeringPortChains, notFound: portChainNotFound },
    ] as const;
    for (const route of routes) {
      scope.get<{ Params: { id: string } }>(
        route.path,
        { schema: { tags: [route.tag], description: 'The chain as programmed: flows and groups per switch with live packet and byte counters, and packets in and out per hop.', params } },
        async (request) => {
          const { value } = await visibleResource<{ id: string; tenantId: string }>(route.repository, request.principal, request.params.id, route.notFound);
          const rendered = (await dataplane.render(value.id)) ?? { chain_id: null, switches: [] };
          return { dataplane: rendered };
        },
      );
    }
  };
}
