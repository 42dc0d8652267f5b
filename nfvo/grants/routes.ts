/**
 * SOL 003 clause 9.4.3: reading a grant (`GET /grant/v1/grants/{grantId}`), the resource a VNF LCM operation
 * occurrence links to. Grants are asked for in process by the VNFM; this API lets operators see what was granted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { absoluteUri, notFound, tenantScope, type EtsiApi } from '../../platform/index.js';
import type { Grants } from './grants.js';
import type { Grant } from './model.js';

export const GRANT_API: EtsiApi = { name: 'grant', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle operation granting' };

const params = { type: 'object', required: ['grantId'], properties: { grantId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

function grantView({ tenantId: _tenant, releasedAt: _released, createdAt: _created, ...grant }: Grant, request: FastifyRequest) {
  return {
    ...grant,
    _links: {
      self: { href: absoluteUri(request, `/grant/v1/grants/${grant.id}`) },
      vnfLcmOpOcc: { href: absoluteUri(request, `/vnflcm/v1/vnf_lcm_op_occs/${grant.vnfLcmOpOccId}`) },
      vnfInstance: { href: absoluteUri(request, `/vnflcm/v1/vnf_instances/${grant.vnfInstanceId}`) },
    },
  };
}

export function grantRoutes(grants: Grants) {
  return async (scope: FastifyInstance): Promise<void> => {
    scope.get<{ Params: { grantId: string } }>('/grants/:grantId', { schema: { tags: ['grant'], summary: 'Read a grant', params } }, async (request) => {
      const grant = await grants.get(request.params.grantId, tenantScope(request.principal));
      if (!grant) throw notFound(`No grant ${request.params.grantId}.`);
      return grantView(grant, request);
    });
  };
}
