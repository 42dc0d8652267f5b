/**
 * Inspection of a chain in the dataplane: `GET .../port_chains/{id}/dataplane` on both APIs answers the
 * chain's flows and groups per switch with live counters, and packets in and out per hop.
 */
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import { installNeutronErrors, neutronProblem, tenantScope, type Violation } from '../../platform/index.js';
import type { PortDirectory } from '../../vim/networks/index.js';
import type { RenderedChain } from '../flows/inspection.js';
import type { PathTrace, TraceQuery } from '../flows/path-trace.js';
import { sfcError } from './errors.js';
import { pcNotFound } from './networking-sfc.js';
import type { SfcRepositories } from './repositories.js';
import { visibleResource } from './resource-routes.js';
import { portChainNotFound } from './traffic-steering.js';

export interface ChainDataplane {
  /** Undefined when the chain is not (yet) known to the flow programmer. */
  render(chainResourceId: string): Promise<RenderedChain | undefined>;
  trace(query: TraceQuery): Promise<PathTrace | { problem: string }>;
}

const PROTOCOLS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, icmp: 1, sctp: 132, icmpv6: 58 };
const transportPort = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const traceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['trace'],
  properties: {
    trace: {
      type: 'object',
      additionalProperties: false,
      required: ['ingress_port', 'source_ip', 'destination_ip'],
      properties: {
        ingress_port: { type: 'string', minLength: 1, maxLength: 64 },
        ethertype: { enum: ['IPv4', 'IPv6'] },
        protocol: { anyOf: [{ enum: Object.keys(PROTOCOLS) }, { type: 'integer', minimum: 0, maximum: 255 }] },
        source_ip: { type: 'string', minLength: 1, maxLength: 64 },
        destination_ip: { type: 'string', minLength: 1, maxLength: 64 },
        source_port: transportPort,
        destination_port: transportPort,
      },
    },
  },
} as const;

interface TraceBody {
  trace: {
    ingress_port: string;
    ethertype?: 'IPv4' | 'IPv6';
    protocol?: string | number;
    source_ip: string;
    destination_ip: string;
    source_port?: number;
    destination_port?: number;
  };
}

/** The query of a valid body, or the violations (one per offending member). */
function traceQuery({ trace }: TraceBody): TraceQuery | Violation[] {
  const ethertype = trace.ethertype ?? (trace.source_ip.includes(':') ? 'IPv6' : 'IPv4');
  const family = ethertype === 'IPv6' ? 6 : 4;
  const violations: Violation[] = [];
  for (const member of ['source_ip', 'destination_ip'] as const) {
    if (isIP(trace[member]) !== family) violations.push({ pointer: `/trace/${member}`, message: `"${trace[member]}" is not an ${ethertype} address`, in: 'body' });
  }
  const protocol = typeof trace.protocol === 'string' ? PROTOCOLS[trace.protocol] : trace.protocol;
  const transport = protocol === 6 || protocol === 17 || protocol === 132;
  for (const member of ['source_port', 'destination_port'] as const) {
    if (trace[member] !== undefined && !transport) violations.push({ pointer: `/trace/${member}`, message: 'ports need protocol tcp, udp or sctp', in: 'body' });
  }
  if (violations.length > 0) return violations;
  return {
    ingressPortId: trace.ingress_port,
    ethertype,
    protocol,
    sourceIp: trace.source_ip,
    destinationIp: trace.destination_ip,
    sourcePort: trace.source_port,
    destinationPort: trace.destination_port,
  };
}

const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;

export function dataplaneRoutes(repositories: SfcRepositories, ports: PortDirectory, dataplane: ChainDataplane) {
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
    scope.post<{ Body: TraceBody }>(
      '/v2.0/sfc/traces',
      {
        schema: {
          tags: ['networking-sfc'],
          description:
            'Where a packet entering at a port would go: the flows it hits on each switch, the service functions (chain, hop) it crosses, and the ports it is delivered to. Service functions are taken to return the packet unchanged on their egress port; a SELECT group’s choice is indicative.',
          body: traceSchema,
        },
      },
      async (request) => {
        const query = traceQuery(request.body);
        if (Array.isArray(query)) throw neutronProblem(400, 'InvalidInput', `Invalid input for operation: ${query.map((violation) => violation.message).join('; ')}.`, query);
        if ((await ports.port(query.ingressPortId, tenantScope(request.principal))) === undefined) {
          throw sfcError(404, 'PortNotFound', `Port ${query.ingressPortId} could not be found.`, '/trace/ingress_port');
        }
        const traced = await dataplane.trace(query);
        if ('problem' in traced) throw sfcError(409, 'TraceNotPossible', `The packet cannot be traced: ${traced.problem}.`, '/trace/ingress_port');
        return { trace: traced };
      },
    );
  };
}
