/**
 * The VIM administration API, `/vim/v1`: regions, zones, hosts (register, list, show with usage,
 * drain/enable, delete), VF settings, agent heartbeats and placement dry-runs.
 *
 * Infrastructure is the operator's: every route, reads included, answers the admin tenant only (other
 * tenants learn where their VNFCs run from their grants, not from the host list). Actions on a resource
 * are `POST {resource}:{verb}`, as in `POST /vim/v1/hosts/{id}:drain` and `POST /vim/v1/placements:dry-run`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError, badRequest, conflict, notFound, replyCreated, type Store } from '../../platform/index.js';
import { discoverHost } from '../../sriov-dpdk/index.js';
import { Inventory, InventoryError } from '../inventory/inventory.js';
import type { Host, HostInventory } from '../inventory/model.js';
import type { SchedulerOptions } from '../placement/scheduler.js';
import { dryRunPlacement } from './dry-run.js';
import type { HostHeartbeats } from './heartbeats.js';
import {
  dryRunSchema,
  heartbeatSchema,
  hostRegistrationSchema,
  idParamsSchema,
  regionRequestSchema,
  vfSettingRequestSchema,
  zoneRequestSchema,
  type DryRunRequest,
  type Heartbeat,
  type HostRegistrationRequest,
  type RegionRequest,
  type VfSetting,
  type ZoneRequest,
} from './schemas.js';
import { hostView } from './views.js';

export const VIM_API_PREFIX = '/vim/v1';

export interface VimApiContext {
  store: Store;
  inventory: Inventory;
  heartbeats: HostHeartbeats;
  schedulerOptions: SchedulerOptions;
}

const TAGS = ['vim'];
const HOST_ACTIONS = ['drain', 'enable'] as const;
type HostAction = (typeof HOST_ACTIONS)[number];
const ADMIN_STATE_OF: Readonly<Record<HostAction, Host['adminState']>> = { drain: 'drained', enable: 'enabled' };

type IdParams = { Params: { id: string } };

/** The InventoryError as the ProblemDetails an operator can act on. */
function problemOf(error: unknown): unknown {
  if (!(error instanceof InventoryError)) return error;
  const problem = error.problem;
  switch (problem.kind) {
    case 'unknown-host':
      return notFound(error.message);
    case 'unknown-zone':
      return new ProblemError(422, error.message, { violations: [{ pointer: '/zoneId', message: 'names no zone', in: 'body' }] });
    case 'unknown-region':
      return new ProblemError(422, error.message, { violations: [{ pointer: '/regionId', message: 'names no region', in: 'body' }] });
    case 'already-exists':
      return conflict(error.message, { id: problem.id });
    case 'host-has-claims':
      return conflict(error.message, { claimIds: problem.claimIds });
    case 'inventory-conflict':
      return conflict(error.message, { problems: problem.problems });
    case 'busy':
      return new ProblemError(503, error.message);
  }
}

async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw problemOf(error);
  }
}

async function inventoryFrom(body: HostRegistrationRequest): Promise<HostInventory | undefined> {
  if (body.sysfsRoot === undefined) {
    if (!body.inventory || !body.physicalNetworks) return body.inventory;
    const networks = body.physicalNetworks;
    return { ...body.inventory, physicalFunctions: body.inventory.physicalFunctions.map((pf) => ({ ...pf, physicalNetwork: networks[pf.netdev] ?? pf.physicalNetwork })) };
  }
  const outcome = await discoverHost({ sysfsRoot: body.sysfsRoot, ...(body.physicalNetworks ? { physicalNetworks: body.physicalNetworks } : {}) });
  if (!outcome.ok) {
    throw new ProblemError(422, `No inventory could be discovered under ${body.sysfsRoot}: ${outcome.problems.map((problem) => `${problem.where}: ${problem.message}`).join('; ')}`, {
      violations: [{ pointer: '/sysfsRoot', message: 'is not a readable sysfs tree', in: 'body' }],
    });
  }
  return outcome.inventory;
}

function oneOf<T extends { id: string }>(items: readonly T[], what: 'region' | 'zone', id: string): T {
  const found = items.find((item) => item.id === id);
  if (!found) throw notFound(`There is no ${what} ${id}.`);
  return found;
}

export function vimRoutes(context: VimApiContext) {
  const { store, inventory, heartbeats } = context;

  async function hostOf(id: string): Promise<Host> {
    const found = await inventory.host(id);
    if (!found) throw notFound(`There is no host ${id}.`);
    return found.value;
  }

  return async (scope: FastifyInstance): Promise<void> => {
    scope.addHook('onRequest', async (request: FastifyRequest) => {
      if (!request.principal.isAdmin) throw new ProblemError(403, `The VIM administration API answers the admin tenant only, not tenant ${request.principal.tenantId}.`);
    });

    scope.post<{ Body: RegionRequest }>('/regions', { schema: { tags: TAGS, summary: 'Create a region', body: regionRequestSchema } }, async (request, reply) => {
      const region = await answering(() => inventory.addRegion({ id: request.body.id ?? randomUUID(), name: request.body.name }));
      return replyCreated(request, reply, `${VIM_API_PREFIX}/regions/${region.id}`, region);
    });
    scope.get('/regions', { schema: { tags: TAGS, summary: 'List regions' } }, async () => inventory.regions());
    scope.get<IdParams>('/regions/:id', { schema: { tags: TAGS, summary: 'Read a region', params: idParamsSchema } }, async (request) =>
      oneOf(await inventory.regions(), 'region', request.params.id),
    );

    scope.post<{ Body: ZoneRequest }>('/zones', { schema: { tags: TAGS, summary: 'Create a zone in a region', body: zoneRequestSchema } }, async (request, reply) => {
      const { id, name, regionId } = request.body;
      const zone = await answering(() => inventory.addZone({ id: id ?? randomUUID(), name, regionId }));
      return replyCreated(request, reply, `${VIM_API_PREFIX}/zones/${zone.id}`, zone);
    });
    scope.get('/zones', { schema: { tags: TAGS, summary: 'List zones' } }, async () => inventory.zones());
    scope.get<IdParams>('/zones/:id', { schema: { tags: TAGS, summary: 'Read a zone', params: idParamsSchema } }, async (request) =>
      oneOf(await inventory.zones(), 'zone', request.params.id),
    );

    scope.post<{ Body: HostRegistrationRequest }>(
      '/hosts',
      { schema: { tags: TAGS, summary: 'Register a host (by hand, or by its agent with the inventory it discovered)', body: hostRegistrationSchema } },
      async (request, reply) => {
        const body = request.body;
        const namesake = (await inventory.hosts()).find((host) => host.name === body.name);
        if (namesake) throw conflict(`A host named ${body.name} is already registered as ${namesake.id}.`, { hostId: namesake.id });
        const discovered = await inventoryFrom(body);
        const { value: host } = await answering(() =>
          inventory.registerHost({
            id: randomUUID(),
            name: body.name,
            libvirtUri: body.libvirtUri,
            ovsdbEndpoint: body.ovsdb,
            integrationBridge: body.integrationBridge,
            ...(body.tunnelAddress !== undefined ? { tunnelAddress: body.tunnelAddress } : {}),
            ...(body.zoneId !== undefined ? { zoneId: body.zoneId } : {}),
            ...(discovered ? { inventory: discovered } : {}),
          }),
        );
        return replyCreated(request, reply, `${VIM_API_PREFIX}/hosts/${host.id}`, hostView(host));
      },
    );

    scope.get('/hosts', { schema: { tags: TAGS, summary: 'List hosts with their usage' } }, async () =>
      (await inventory.hosts()).map((host) => hostView(host, heartbeats.vfSettingsOf(host.id))),
    );

    scope.get<IdParams>('/hosts/:id', { schema: { tags: TAGS, summary: 'Read a host with its per-cell usage', params: idParamsSchema } }, async (request) =>
      hostView(await hostOf(request.params.id), heartbeats.vfSettingsOf(request.params.id)),
    );

    scope.post<{ Params: { hostAction: string } }>(
      '/hosts/:hostAction',
      {
        schema: {
          tags: TAGS,
          summary: 'Drain a host (no new placements; what runs stays) or enable it again: POST /hosts/{id}:drain, /hosts/{id}:enable',
          params: {
            type: 'object',
            additionalProperties: false,
            required: ['hostAction'],
            properties: { hostAction: { type: 'string', pattern: `^[A-Za-z0-9_.-]+:(${HOST_ACTIONS.join('|')})$` } },
          },
        },
      },
      async (request) => {
        const separator = request.params.hostAction.lastIndexOf(':');
        const id = request.params.hostAction.slice(0, separator);
        const action = request.params.hostAction.slice(separator + 1) as HostAction;
        const { value } = await answering(() => inventory.setAdminState(id, ADMIN_STATE_OF[action]));
        return hostView(value, heartbeats.vfSettingsOf(id));
      },
    );

    scope.delete<IdParams>('/hosts/:id', { schema: { tags: TAGS, summary: 'Remove a host that holds no claim', params: idParamsSchema } }, async (request, reply) => {
      await answering(() => inventory.removeHost(request.params.id));
      await heartbeats.forget(request.params.id);
      return reply.code(204).send();
    });

    scope.post<IdParams & { Body: VfSetting }>(
      '/hosts/:id/vf-settings',
      { schema: { tags: TAGS, summary: 'Ask the host agent to set a VF (MAC, VLAN, spoof check)', params: idParamsSchema, body: vfSettingRequestSchema } },
      async (request, reply) => {
        const host = await hostOf(request.params.id);
        const pf = host.inventory?.physicalFunctions.find((candidate) => candidate.netdev === request.body.pf);
        if (!pf) throw new ProblemError(422, `Host ${host.id} has no physical function ${request.body.pf}.`, { violations: [{ pointer: '/pf', message: 'names no PF of the host', in: 'body' }] });
        if (request.body.vf >= pf.totalVfs) {
          throw new ProblemError(422, `${pf.netdev} of host ${host.id} supports ${pf.totalVfs} VFs; there is no VF ${request.body.vf}.`, {
            violations: [{ pointer: '/vf', message: 'names no VF of the PF', in: 'body' }],
          });
        }
        return reply.code(202).send(await heartbeats.requestVfSetting(host.id, request.body));
      },
    );

    scope.post<IdParams & { Body: Heartbeat }>(
      '/hosts/:id/heartbeats',
      { schema: { tags: TAGS, summary: 'A heartbeat of the host agent; answers the VF settings to apply', params: idParamsSchema, body: heartbeatSchema } },
      async (request) => {
        const id = request.params.id;
        await hostOf(id);
        // The host is alive even when its new inventory is refused: a refused inventory needs an operator, not a host taken down.
        const vfSettings = await heartbeats.beat(id, request.body.vfResults ?? []);
        if (request.body.inventory) await answering(() => inventory.updateInventory(id, request.body.inventory as HostInventory));
        return { hostId: id, vfSettings };
      },
    );

    scope.post<{ Body: DryRunRequest }>(
      '/placements::dry-run',
      { schema: { tags: TAGS, summary: 'Where a VNFC with this EPA would go and why, without claiming anything', body: dryRunSchema } },
      async (request) => {
        const zones = await inventory.zones();
        const unknown = (request.body.zones ?? []).flatMap((zoneId, index) => (zones.some((zone) => zone.id === zoneId) ? [] : [index]));
        if (unknown.length > 0) throw badRequest('Unknown zones in the request.', unknown.map((index) => ({ pointer: `/zones/${index}`, message: 'names no zone', in: 'body' })));
        return dryRunPlacement(store, request.body, context.schedulerOptions);
      },
    );
  };
}
