/**
 * SOL 003 clauses 5.4.4-5.4.17: the task resources that start lifecycle operations (202 Accepted with the
 * occurrence in `Location`), and the operation occurrences with retry, rollback and fail.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { absoluteUri, badRequest, checkIfMatch, registerOccurrenceTasks, conflict, listPage, listQuerySchema, notFound, ProblemError, tenantScope, type Operation } from '../../platform/index.js';
import type { VnfInstance } from '../instances/model.js';
import type { VnfInstanceService } from '../instances/routes.js';
import { countsAtLevel } from './plan.js';
import type { VnfLifecycle } from './lifecycle.js';
import { VNF_LCM_V1, type VnfLcmApiVersion } from '../api-versions.js';
import { VNF_LCM_OP_OCC_ATTRIBUTES, VNF_LCM_OP_OCC_SHAPE, vnfLcmOpOccView } from './op-occs.js';
import {
  changeExtVnfConnectivityRequestSchema,
  changeVnfFlavourRequestSchema,
  type ChangeExtVnfConnectivityRequest,
  type ChangeVnfFlavourRequest,
  healVnfRequestSchema,
  instantiateVnfRequestSchema,
  operateVnfRequestSchema,
  scaleVnfRequestSchema,
  scaleVnfToLevelRequestSchema,
  terminateVnfRequestSchema,
  type HealVnfRequest,
  type InstantiateVnfRequest,
  type OperateVnfRequest,
  type ScaleVnfRequest,
  type ScaleVnfToLevelRequest,
  type TerminateVnfRequest,
  vnfInfoModificationRequestSchema,
  type VnfInfoModificationRequest,
} from './requests.js';

const TAGS = ['vnflcm'];
const instanceParams = { type: 'object', required: ['vnfInstanceId'], properties: { vnfInstanceId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const occurrenceParams = { type: 'object', required: ['vnfLcmOpOccId'], properties: { vnfLcmOpOccId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
type InstanceParams = { Params: { vnfInstanceId: string } };
type OccurrenceParams = { Params: { vnfLcmOpOccId: string } };

export interface LifecycleRoutesContext {
  service: VnfInstanceService;
  lifecycle: VnfLifecycle;
  pageSize: number;
  /** The API version the routes serve (v1 unless given): its URIs, representations and request bodies. */
  version?: VnfLcmApiVersion;
}

export function vnfLifecycleRoutes({ service, lifecycle, pageSize, version = VNF_LCM_V1 }: LifecycleRoutesContext) {
  const apiRoot = (request: FastifyRequest): string => absoluteUri(request, '');
  const occurrenceView = (operation: Operation, request: FastifyRequest) => vnfLcmOpOccView(operation, apiRoot(request), version);

  async function instanceOf(request: FastifyRequest, vnfInstanceId: string): Promise<VnfInstance> {
    const found = await service.instances.get(vnfInstanceId, tenantScope(request.principal));
    if (!found) throw notFound(`No VNF instance ${vnfInstanceId}.`);
    return found.value;
  }

  async function occurrenceOf(request: FastifyRequest, id: string): Promise<Operation> {
    const found = await lifecycle.engine.get(id, tenantScope(request.principal));
    if (!found) throw notFound(`No VNF LCM operation occurrence ${id}.`);
    return found;
  }

  function accepted(request: FastifyRequest, reply: FastifyReply, operation: Operation): FastifyReply {
    return reply.code(202).header('Location', absoluteUri(request, `${version.opOccsPath}/${operation.id}`)).send();
  }

  return async (scope: FastifyInstance): Promise<void> => {
    scope.post<InstanceParams & { Body: InstantiateVnfRequest }>(
      '/vnf_instances/:vnfInstanceId/instantiate',
      { schema: { tags: TAGS, summary: 'Instantiate a VNF', params: instanceParams, body: version.requestSchema(instantiateVnfRequestSchema) } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.vnfInstanceId);
        if (instance.instantiationState !== 'NOT_INSTANTIATED') throw conflict(`VNF instance ${instance.id} is already INSTANTIATED.`, { instantiationState: instance.instantiationState });
        await checkInstantiable(lifecycle, instance, request.body);
        return accepted(request, reply, await lifecycle.start('INSTANTIATE', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: TerminateVnfRequest }>(
      '/vnf_instances/:vnfInstanceId/terminate',
      { schema: { tags: TAGS, summary: 'Terminate a VNF', params: instanceParams, body: terminateVnfRequestSchema } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.vnfInstanceId);
        if (instance.instantiationState !== 'INSTANTIATED') throw conflict(`VNF instance ${instance.id} is NOT_INSTANTIATED.`, { instantiationState: instance.instantiationState });
        return accepted(request, reply, await lifecycle.start('TERMINATE', instance, request.body));
      },
    );

    /** The instance, which must be INSTANTIATED for the task (409 otherwise). */
    async function instantiatedOf(request: FastifyRequest, vnfInstanceId: string): Promise<VnfInstance> {
      const instance = await instanceOf(request, vnfInstanceId);
      if (instance.instantiationState !== 'INSTANTIATED') throw conflict(`VNF instance ${instance.id} is NOT_INSTANTIATED.`, { instantiationState: instance.instantiationState });
      return instance;
    }

    scope.post<InstanceParams & { Body: OperateVnfRequest }>(
      '/vnf_instances/:vnfInstanceId/operate',
      { schema: { tags: TAGS, summary: 'Operate a VNF (start or stop it)', params: instanceParams, body: operateVnfRequestSchema } },
      async (request, reply) => {
        const instance = await instantiatedOf(request, request.params.vnfInstanceId);
        return accepted(request, reply, await lifecycle.start('OPERATE', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: ScaleVnfRequest }>(
      '/vnf_instances/:vnfInstanceId/scale',
      { schema: { tags: TAGS, summary: 'Scale a VNF by steps of an aspect', params: instanceParams, body: scaleVnfRequestSchema } },
      async (request, reply) => {
        const instance = await instantiatedOf(request, request.params.vnfInstanceId);
        const body: ScaleVnfRequest = { ...request.body, numberOfSteps: request.body.numberOfSteps ?? 1 };
        await lifecycle.scaleTargetOf('SCALE', instance, body);
        return accepted(request, reply, await lifecycle.start('SCALE', instance, body));
      },
    );

    scope.post<InstanceParams & { Body: ScaleVnfToLevelRequest }>(
      '/vnf_instances/:vnfInstanceId/scale_to_level',
      { schema: { tags: TAGS, summary: 'Scale a VNF to an instantiation level or to scale levels', params: instanceParams, body: scaleVnfToLevelRequestSchema } },
      async (request, reply) => {
        const given = [request.body.instantiationLevelId, request.body.scaleInfo].filter((value) => value !== undefined).length;
        if (given !== 1) {
          const message = 'exactly one of instantiationLevelId and scaleInfo is required';
          throw badRequest(`The request body is not valid: ${message}.`, [{ pointer: '', message, in: 'body' }]);
        }
        const instance = await instantiatedOf(request, request.params.vnfInstanceId);
        await lifecycle.scaleTargetOf('SCALE_TO_LEVEL', instance, request.body);
        return accepted(request, reply, await lifecycle.start('SCALE_TO_LEVEL', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: HealVnfRequest }>(
      '/vnf_instances/:vnfInstanceId/heal',
      { schema: { tags: TAGS, summary: 'Heal a VNF (recreate its VNFCs)', params: instanceParams, body: healVnfRequestSchema } },
      async (request, reply) => {
        const instance = await instantiatedOf(request, request.params.vnfInstanceId);
        lifecycle.healedVnfcs(instance, request.body);
        return accepted(request, reply, await lifecycle.start('HEAL', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: ChangeExtVnfConnectivityRequest }>(
      '/vnf_instances/:vnfInstanceId/change_ext_conn',
      { schema: { tags: TAGS, summary: 'Change the external connectivity of a VNF', params: instanceParams, body: version.requestSchema(changeExtVnfConnectivityRequestSchema) } },
      async (request, reply) => {
        const instance = await instantiatedOf(request, request.params.vnfInstanceId);
        await lifecycle.extConnectivityChangeOf(instance, request.body);
        return accepted(request, reply, await lifecycle.start('CHANGE_EXT_CONN', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: ChangeVnfFlavourRequest }>(
      '/vnf_instances/:vnfInstanceId/change_flavour',
      { schema: { tags: TAGS, summary: 'Change the deployment flavour of a VNF', params: instanceParams, body: version.requestSchema(changeVnfFlavourRequestSchema) } },
      async (request, reply) => {
        const instance = await instantiatedOf(request, request.params.vnfInstanceId);
        await lifecycle.flavourChangeOf(instance, request.body);
        return accepted(request, reply, await lifecycle.start('CHANGE_FLAVOUR', instance, request.body));
      },
    );

    scope.patch<InstanceParams & { Body: VnfInfoModificationRequest }>(
      '/vnf_instances/:vnfInstanceId',
      { schema: { tags: TAGS, summary: 'Modify VNF instance information (JSON Merge Patch)', params: instanceParams, body: vnfInfoModificationRequestSchema } },
      async (request, reply) => {
        const found = await service.instances.get(request.params.vnfInstanceId, tenantScope(request.principal));
        if (!found) throw notFound(`No VNF instance ${request.params.vnfInstanceId}.`);
        checkIfMatch(request, `VNF instance ${found.value.id}`, found.revision);
        return accepted(request, reply, await lifecycle.start('MODIFY_INFO', found.value, request.body));
      },
    );

    scope.get('/vnf_lcm_op_occs', { schema: { tags: TAGS, summary: 'Query VNF LCM operation occurrences', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: lifecycle.engine.repository,
        tenantId: tenantScope(request.principal),
        view: (operation: Operation) => occurrenceView(operation, request),
        shape: VNF_LCM_OP_OCC_SHAPE,
        pageSize,
        isKnownAttribute: (path) => VNF_LCM_OP_OCC_ATTRIBUTES.has(path[0] ?? ''),
      }),
    );

    scope.get<OccurrenceParams>('/vnf_lcm_op_occs/:vnfLcmOpOccId', { schema: { tags: TAGS, summary: 'Read a VNF LCM operation occurrence', params: occurrenceParams } }, async (request) =>
      occurrenceView(await occurrenceOf(request, request.params.vnfLcmOpOccId), request),
    );

    registerOccurrenceTasks(scope, {
      path: '/vnf_lcm_op_occs',
      param: 'vnfLcmOpOccId',
      tags: TAGS,
      engine: lifecycle.engine,
      occurrenceOf,
      view: occurrenceView,
    });
  };
}

/** What can be refused before anything starts: an unknown flavour or instantiation level (422, nothing changes). */
async function checkInstantiable(lifecycle: VnfLifecycle, instance: VnfInstance, body: InstantiateVnfRequest): Promise<void> {
  const flavour = await lifecycle.flavourOf(instance, body.flavourId);
  const level = countsAtLevel(flavour, body.instantiationLevelId);
  if (!level.ok) throw new ProblemError(422, level.problem, { violations: [{ pointer: '/instantiationLevelId', message: level.problem, in: 'body' }] });
}
