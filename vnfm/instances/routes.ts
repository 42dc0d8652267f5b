/**
 * SOL 003 clause 5.4.2 and 5.4.3: VNF instance resources. Creating one takes an onboarded VNFD (through the
 * NFVO's package catalogue: the Or-Vnfm reference point as a plain call) and marks its package in use;
 * deleting one is possible only while it is NOT_INSTANTIATED.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  absoluteUri,
  conflict,
  listPage,
  listQuerySchema,
  notFound,
  ProblemError,
  replyCreated,
  setEntityTag,
  StoreConflictError,
  tenantScope,
  type Repository,
  type Versioned,
  keyValuePairsSchema,
} from '../../platform/index.js';
import type { VnfPackageCatalogue } from '../../nfvo/index.js';
import { isV2, VNF_LCM_V1, type VnfLcmApiVersion } from '../api-versions.js';
import type { VnfLcmNotifications } from '../subscriptions/index.js';
import { VNF_INSTANCE_ATTRIBUTES, VNF_INSTANCE_SHAPE, vnfInstanceView, type VnfInstance } from './model.js';
import { vnfInstanceViewV2 } from './view-v2.js';

const TAGS = ['vnflcm'];

/** SOL 003 clause 5.5.2.3 CreateVnfRequest. */
const createVnfRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['vnfdId'],
  properties: {
    vnfdId: { type: 'string', minLength: 1, maxLength: 255 },
    vnfInstanceName: { type: 'string', maxLength: 255 },
    vnfInstanceDescription: { type: 'string', maxLength: 1024 },
    metadata: keyValuePairsSchema,
  },
} as const;

export interface CreateVnfRequest {
  vnfdId: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  metadata?: Record<string, unknown>;
}

type InstanceParams = { Params: { vnfInstanceId: string } };
const params = { type: 'object', required: ['vnfInstanceId'], properties: { vnfInstanceId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export interface VnfInstanceRoutesContext {
  service: VnfInstanceService;
  pageSize: number;
  /** The API version the routes serve (v1 unless given). */
  version?: VnfLcmApiVersion;
}

/**
 * Creating and deleting VNF instance resources, for the API and for the NFVO (which creates the VNF instances
 * of an NS through it).
 */
export class VnfInstanceService {
  constructor(
    readonly instances: Repository<VnfInstance>,
    private readonly packages: VnfPackageCatalogue,
    private readonly notifications?: Pick<VnfLcmNotifications, 'identifierCreated' | 'identifierDeleted'>,
  ) {}

  /** `options.id` (the NFVO's VNFs of an NS): creating again under that id answers the instance as it is. */
  async create(tenantId: string, body: CreateVnfRequest, options: { id?: string } = {}): Promise<Versioned<VnfInstance>> {
    if (options.id !== undefined) {
      const existing = await this.instances.get(options.id);
      if (existing) return existing;
    }
    const pkg = await this.packages.onboardedInTenant(tenantId, body.vnfdId);
    if (!pkg || pkg.value.operationalState !== 'ENABLED') {
      throw new ProblemError(422, `No enabled, onboarded VNF package holds VNFD ${body.vnfdId}.`, {
        violations: [{ pointer: '/vnfdId', message: 'names no enabled onboarded VNFD', in: 'body' }],
      });
    }
    const facts = pkg.value;
    const instance: VnfInstance = {
      id: options.id ?? crypto.randomUUID(),
      tenantId,
      vnfInstanceName: body.vnfInstanceName,
      vnfInstanceDescription: body.vnfInstanceDescription,
      vnfdId: body.vnfdId,
      vnfProvider: facts.vnfProvider ?? '',
      vnfProductName: facts.vnfProductName ?? '',
      vnfSoftwareVersion: facts.vnfSoftwareVersion ?? '',
      vnfdVersion: facts.vnfdVersion ?? '',
      vnfPkgId: facts.id,
      instantiationState: 'NOT_INSTANTIATED',
      metadata: body.metadata ?? {},
      extensions: {},
      createdAt: new Date().toISOString(),
    };
    // The package is marked before the instance exists: a crash in between leaves a mark without a user,
    // which a later delete of the package reports, rather than an instance whose package could go.
    const marked = await this.packages.markUsage(tenantId, facts.id, `vnf-instance:${instance.id}`, true);
    if (!marked.ok) throw conflict(`VNF package ${facts.id} cannot be used: ${marked.reason}.`);
    const { revision } = await this.instances.insert(instance);
    await this.notifications?.identifierCreated(instance);
    return { value: instance, revision };
  }

  /** Only a NOT_INSTANTIATED instance can go (409 otherwise); deleting one that is gone is not an error. */
  async delete(vnfInstanceId: string): Promise<void> {
    for (;;) {
      const found = await this.instances.get(vnfInstanceId);
      if (!found) return;
      const { value: instance, revision } = found;
      if (instance.instantiationState !== 'NOT_INSTANTIATED') {
        throw conflict(`VNF instance ${instance.id} is ${instance.instantiationState}: terminate it first.`, { instantiationState: instance.instantiationState });
      }
      try {
        await this.instances.delete(instance.id, revision);
      } catch (error) {
        if (error instanceof StoreConflictError && error.reason === 'stale-revision') continue;
        throw error;
      }
      await this.packages.markUsage(instance.tenantId, instance.vnfPkgId, `vnf-instance:${instance.id}`, false);
      await this.notifications?.identifierDeleted(instance);
      return;
    }
  }
}

export function vnfInstanceRoutes({ service, pageSize, version = VNF_LCM_V1 }: VnfInstanceRoutesContext) {
  const instances = service.instances;
  const apiRoot = (request: FastifyRequest): string => absoluteUri(request, '');
  const viewOf = (instance: VnfInstance, request: FastifyRequest): object =>
    isV2(version) ? vnfInstanceViewV2(instance, apiRoot(request)) : vnfInstanceView(instance, apiRoot(request), version.instancesPath);

  async function instanceOf(request: FastifyRequest, vnfInstanceId: string): Promise<Versioned<VnfInstance>> {
    const found = await instances.get(vnfInstanceId, tenantScope(request.principal));
    if (!found) throw notFound(`No VNF instance ${vnfInstanceId}.`);
    return found;
  }

  return async (scope: FastifyInstance): Promise<void> => {
    scope.post<{ Body: CreateVnfRequest }>('/vnf_instances', { schema: { tags: TAGS, summary: 'Create a VNF instance resource', body: createVnfRequestSchema } }, async (request, reply) => {
      const { value: instance, revision } = await service.create(request.principal.tenantId, request.body);
      setEntityTag(reply, revision);
      return replyCreated(request, reply, `${version.instancesPath}/${instance.id}`, viewOf(instance, request));
    });

    scope.get('/vnf_instances', { schema: { tags: TAGS, summary: 'Query VNF instances', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: instances,
        tenantId: tenantScope(request.principal),
        view: (instance: VnfInstance) => viewOf(instance, request),
        shape: VNF_INSTANCE_SHAPE,
        pageSize,
        isKnownAttribute: (path) => VNF_INSTANCE_ATTRIBUTES.has(path[0] ?? ''),
      }),
    );

    scope.get<InstanceParams>('/vnf_instances/:vnfInstanceId', { schema: { tags: TAGS, summary: 'Read a VNF instance', params } }, async (request, reply) => {
      const { value, revision } = await instanceOf(request, request.params.vnfInstanceId);
      setEntityTag(reply, revision);
      return viewOf(value, request);
    });

    scope.delete<InstanceParams>('/vnf_instances/:vnfInstanceId', { schema: { tags: TAGS, summary: 'Delete a VNF instance resource', params } }, async (request, reply) => {
      await instanceOf(request, request.params.vnfInstanceId);
      await service.delete(request.params.vnfInstanceId);
      return reply.code(204).send();
    });
  };
}
