/**
 * SOL 005 clause 6.4: NS instances (create, query, delete), the instantiate and terminate tasks (202 with
 * the occurrence in `Location`), and NS LCM operation occurrences with retry, rollback, continue, fail and cancel.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  absoluteUri,
  conflict,
  listPage,
  listQuerySchema,
  notFound,
  ProblemError,
  replyCreated,
  StoreConflictError,
  tenantScope,
  registerOccurrenceTasks,
  type Json,
  type Operation,
  type Repository,
} from '../../platform/index.js';
import { vnfInstanceView, type VnfInstance, type VnfManager } from '../../vnfm/index.js';
import type { NsdCatalogue } from '../nsd/catalogue.js';
import { atLoadBalancedPositionsOnly } from './chains.js';
import type { NsLifecycle } from './lifecycle.js';
import { scaleStatusAtLevel, targetScaleLevels } from './ns-scaling.js';
import { instantiationOf, nsLcmOperationState, nsLcmResourceChanges, type NsLcmNotifications } from './subscriptions/index.js';
import {
  createNsRequestSchema,
  instantiateNsRequestSchema,
  NS_INSTANCES_PATH,
  NS_LCM_OP_OCCS_PATH,
  terminateNsRequestSchema,
  type CreateNsRequest,
  type InstantiateNsRequest,
  type NsInstance,
  type NsVnffgRecord,
  type NfpRuleData,
  type HealNsRequest,
  healNsRequestSchema,
  type ScaleNsRequest,
  scaleNsRequestSchema,
  type TerminateNsRequest,
  type UpdateNsRequest,
  UPDATE_TYPES,
  updateNsRequestSchema,
} from './model.js';

type BodyViolation = { pointer: string; message: string; in: 'body' };

/** Every port a forwarding graph of the NS steers through. */
function chainPorts(instance: NsInstance): Set<string | undefined> {
  return new Set(instance.vnffgs.flatMap((record) => record.spec.hops.flatMap((hop) => hop.instances.flatMap((member) => [member.ingress, member.egress, member.ingressBackup, member.egressBackup]))));
}

/** Fields of an NfpRule the NS's chains do not classify on. */
const UNCLASSIFIED_NFP_RULE_FIELDS = ['etherDestinationAddress', 'etherSourceAddress', 'vlanTag', 'dscp', 'sourcePortRange', 'extendedCriteria'] as const;

/** An IPv4 or IPv6 prefix (`address/length`): its IP version, or undefined when it is not one. */
function prefixVersion(prefix: string): 4 | 6 | undefined {
  const [address = '', length, ...rest] = prefix.split('/');
  const version = net.isIP(address);
  if (rest.length > 0 || length === undefined || !/^\d{1,3}$/.test(length) || version === 0) return undefined;
  if (version === 4) return Number(length) <= 32 ? 4 : undefined;
  return Number(length) <= 128 ? 6 : undefined;
}

/** What in an NfpRule of an UPDATE_VNFFG the chains cannot classify by, with pointers into the rule. */
function nfpRuleProblems(rule: NfpRuleData): Array<{ pointer: string; message: string }> {
  const problems: Array<{ pointer: string; message: string }> = [];
  for (const field of UNCLASSIFIED_NFP_RULE_FIELDS) if (rule[field] !== undefined) problems.push({ pointer: `/${field}`, message: 'the NS chains do not classify on it' });
  const range = rule.destinationPortRange;
  if (range !== undefined && range.lowerPort > range.upperPort) problems.push({ pointer: '/destinationPortRange', message: 'lowerPort is above upperPort' });
  if (range !== undefined && rule.protocol !== 'TCP' && rule.protocol !== 'UDP') problems.push({ pointer: '/protocol', message: 'a destination port range needs protocol TCP or UDP' });
  const versions = new Set<number>();
  for (const field of ['sourceIpAddressPrefix', 'destinationIpAddressPrefix'] as const) {
    const prefix = rule[field];
    if (prefix === undefined) continue;
    const version = prefixVersion(prefix);
    if (version === undefined) problems.push({ pointer: `/${field}`, message: `${prefix} is not an IPv4 or IPv6 prefix` });
    else versions.add(version);
  }
  if (rule.etherType !== undefined) versions.add(rule.etherType === 'IPV4' ? 4 : 6);
  if (versions.size > 1) problems.push({ pointer: '/etherType', message: 'the rule mixes IPv4 and IPv6' });
  return problems;
}

async function updateViolations(instance: NsInstance, body: UpdateNsRequest, lifecycle: NsLifecycle, vnfm: () => VnfManager): Promise<BodyViolation[]> {
  const violations: BodyViolation[] = [];
  const violation = (pointer: string, message: string) => violations.push({ pointer, message, in: 'body' });
  if (!(UPDATE_TYPES as readonly string[]).includes(body.updateType)) {
    violation('/updateType', `${body.updateType} is not carried out by this NFVO (it does ${UPDATE_TYPES.join(', ')})`);
    return violations;
  }
  if (body.updateType === 'ADD_VNFFG') {
    const nsd = await lifecycle.nsdOf(instance);
    if (!body.addVnffg) violation('/addVnffg', 'ADD_VNFFG needs addVnffg');
    for (const [index, item] of (body.addVnffg ?? []).entries()) {
      if (!nsd.vnffgs.some((vnffg) => vnffg.vnffgId === item.vnffgdId)) violation(`/addVnffg/${index}/vnffgdId`, `the NSD has no VNFFG ${item.vnffgdId}`);
      else if (instance.vnffgs.some((record) => record.vnffgdId === item.vnffgdId)) violation(`/addVnffg/${index}/vnffgdId`, `VNFFG ${item.vnffgdId} is already in the NS`);
    }
  }
  if (body.updateType === 'REMOVE_VNFFG') {
    if (!body.removeVnffg) violation('/removeVnffg', 'REMOVE_VNFFG needs removeVnffg');
    for (const [index, id] of (body.removeVnffg ?? []).entries()) {
      if (!instance.vnffgs.some((record) => `${instance.id}/${record.vnffgdId}` === id)) violation(`/removeVnffg/${index}`, `the NS has no VNFFG instance ${id}`);
    }
  }
  if (body.updateType === 'ADD_VNF') {
    if (!body.addVnfInstance) violation('/addVnfInstance', 'ADD_VNF needs addVnfInstance');
    for (const [index, item] of (body.addVnfInstance ?? []).entries()) {
      const vnf = (await vnfm().instances.instances.get(item.vnfInstanceId, instance.tenantId))?.value;
      if (vnf?.instantiationState !== 'INSTANTIATED') violation(`/addVnfInstance/${index}/vnfInstanceId`, `VNF instance ${item.vnfInstanceId} is not an INSTANTIATED VNF of the tenant`);
      else if (instance.vnfs.some((member) => member.vnfInstanceId === item.vnfInstanceId)) violation(`/addVnfInstance/${index}/vnfInstanceId`, `VNF instance ${item.vnfInstanceId} is already part of the NS`);
    }
  }
  if (body.updateType === 'REMOVE_VNF') {
    if (!body.removeVnfInstanceId) violation('/removeVnfInstanceId', 'REMOVE_VNF needs removeVnfInstanceId');
    for (const [index, vnfInstanceId] of (body.removeVnfInstanceId ?? []).entries()) {
      const member = instance.vnfs.find((vnf) => vnf.vnfInstanceId === vnfInstanceId);
      const chained = member && (await vnfm().instances.instances.get(vnfInstanceId))?.value.instantiatedVnfInfo?.vnfcs.some((vnfc) => vnfc.ports.some((port) => chainPorts(instance).has(port.portId)));
      if (!member) violation(`/removeVnfInstanceId/${index}`, `VNF instance ${vnfInstanceId} is not part of the NS`);
      else if (chained) violation(`/removeVnfInstanceId/${index}`, `VNF ${member.vnfProfileId} is a position of a forwarding graph: remove the graph (REMOVE_VNFFG) first`);
    }
  }
  if (body.updateType === 'UPDATE_VNFFG') {
    if (!body.updateVnffg) violation('/updateVnffg', 'UPDATE_VNFFG needs updateVnffg');
    for (const [index, item] of (body.updateVnffg ?? []).entries()) {
      const pointer = `/updateVnffg/${index}`;
      const nfps = new Set(instance.vnffgs.filter((record) => `${instance.id}/${record.vnffgdId}` === item.vnffgInfoId).map((record) => record.portChainId));
      if (nfps.size === 0) {
        violation(`${pointer}/vnffgInfoId`, `the NS has no VNFFG instance ${item.vnffgInfoId}`);
        continue;
      }
      if (!item.nfp && !item.nfpInfoId) violation(pointer, 'give nfp (NFPs to reclassify) or nfpInfoId (NFPs to delete)');
      for (const [nfpIndex, nfpInfoId] of (item.nfpInfoId ?? []).entries()) {
        if (!nfps.has(nfpInfoId)) violation(`${pointer}/nfpInfoId/${nfpIndex}`, `VNFFG instance ${item.vnffgInfoId} has no NFP ${nfpInfoId}`);
      }
      for (const [nfpIndex, nfp] of (item.nfp ?? []).entries()) {
        const at = `${pointer}/nfp/${nfpIndex}`;
        if (nfp.nfpInfoId === undefined) violation(`${at}/nfpInfoId`, 'an update does not create NFPs: add a VNFFG of the NSD (ADD_VNFFG) instead');
        else if (!nfps.has(nfp.nfpInfoId)) violation(`${at}/nfpInfoId`, `VNFFG instance ${item.vnffgInfoId} has no NFP ${nfp.nfpInfoId}`);
        else if (item.nfpInfoId?.includes(nfp.nfpInfoId)) violation(`${at}/nfpInfoId`, `NFP ${nfp.nfpInfoId} is deleted by the same update`);
        if (nfp.cpGroup !== undefined) violation(`${at}/cpGroup`, "an NFP's positions come from the NSD: an update changes its classification (nfpRule) only");
        if (nfp.nfpRule === undefined) violation(`${at}/nfpRule`, "give the NFP's new classification");
        for (const problem of nfpRuleProblems(nfp.nfpRule ?? {})) violation(`${at}/nfpRule${problem.pointer}`, problem.message);
      }
    }
  }
  if (body.updateType === 'OPERATE_VNF') {
    if (!body.operateVnfData) violation('/operateVnfData', 'OPERATE_VNF needs operateVnfData');
    for (const [index, item] of (body.operateVnfData ?? []).entries()) {
      if (!instance.vnfs.some((vnf) => vnf.vnfInstanceId === item.vnfInstanceId)) violation(`/operateVnfData/${index}/vnfInstanceId`, `VNF instance ${item.vnfInstanceId} is not part of the NS`);
    }
  }
  return violations;
}

const TAGS = ['nslcm'];
const instanceParams = { type: 'object', required: ['nsInstanceId'], properties: { nsInstanceId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const occurrenceParams = { type: 'object', required: ['nsLcmOpOccId'], properties: { nsLcmOpOccId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
type InstanceParams = { Params: { nsInstanceId: string } };
type OccurrenceParams = { Params: { nsLcmOpOccId: string } };

const NS_INSTANCE_SHAPE = { defaultExcluded: ['vnfInstance', 'pnfInfo', 'virtualLinkInfo', 'vnffgInfo', 'sapInfo', 'nsScaleStatus'], mandatory: ['_links'] } as const;
const NS_LCM_OP_OCC_SHAPE = { defaultExcluded: ['operationParams', 'error', 'resourceChanges'], mandatory: ['_links'] } as const;
const NS_INSTANCE_ATTRIBUTES = new Set(['id', 'nsInstanceName', 'nsInstanceDescription', 'nsdId', 'nsdInfoId', 'flavourId', 'nsState', 'vnfInstance', 'virtualLinkInfo', 'vnffgInfo', 'sapInfo', 'nsScaleStatus', '_links']);
const NS_LCM_OP_OCC_ATTRIBUTES = new Set(['id', 'operationState', 'stateEnteredTime', 'nsInstanceId', 'lcmOperationType', 'startTime', 'isAutomaticInvocation', 'operationParams', 'isCancelPending', 'error', 'resourceChanges', '_links']);

export interface NsLifecycleRoutesContext {
  instances: Repository<NsInstance>;
  nsds: NsdCatalogue;
  lifecycle: NsLifecycle;
  vnfm: () => VnfManager;
  notifications: NsLcmNotifications;
  pageSize: number;
}

type JsonObject = { [key: string]: Json };

function nsInstanceView(instance: NsInstance, apiRoot: string, vnfs: readonly VnfInstance[] | undefined): JsonObject {
  const self = `${apiRoot}${NS_INSTANCES_PATH}/${instance.id}`;
  const tasks = instance.nsState === 'NOT_INSTANTIATED' ? ['instantiate'] : ['terminate'];
  const handle = (resourceId: string) => ({ vimId: 'vim-0', resourceId, vimLevelResourceType: 'network' });
  const view = {
    id: instance.id,
    nsInstanceName: instance.nsInstanceName,
    nsInstanceDescription: instance.nsInstanceDescription,
    nsdId: instance.nsdId,
    nsdInfoId: instance.nsdInfoId,
    ...(instance.flavourId === undefined ? {} : { flavourId: instance.flavourId }),
    nsState: instance.nsState,
    vnfInstance: vnfs === undefined ? instance.vnfs.map((vnf) => ({ id: vnf.vnfInstanceId, vnfProfileId: vnf.vnfProfileId })) : vnfs.map((vnf) => ({ ...vnfInstanceView(vnf, apiRoot), vnfProfileId: instance.vnfs.find((item) => item.vnfInstanceId === vnf.id)?.vnfProfileId })),
    virtualLinkInfo: instance.virtualLinks.map((link) => ({ id: link.networkId, nsVirtualLinkDescId: link.nsVirtualLinkDescId, nsVirtualLinkProfileId: link.nsVirtualLinkDescId, resourceHandle: [handle(link.networkId)] })),
    vnffgInfo: vnffgInfoOf(instance.vnffgs, instance),
    ...(instance.nsScaleStatus === undefined ? {} : { nsScaleStatus: instance.nsScaleStatus }),
    sapInfo: instance.saps.map((sap) => ({
      id: sap.portId,
      sapdId: sap.sapdId,
      sapName: sap.sapName,
      sapProtocolInfo: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { macAddress: sap.macAddress, ipAddresses: sap.addresses.length > 0 ? [{ type: 'IPV4', addresses: sap.addresses }] : [] } }],
    })),
    _links: { self: { href: self }, ...Object.fromEntries(tasks.map((task) => [task, { href: `${self}/${task}` }])) },
  };
  return JSON.parse(JSON.stringify(view)) as JsonObject;
}

function vnffgInfoOf(vnffgs: readonly NsVnffgRecord[], instance: NsInstance) {
  const byGraph = new Map<string, NsVnffgRecord[]>();
  for (const record of vnffgs) byGraph.set(record.vnffgdId, [...(byGraph.get(record.vnffgdId) ?? []), record]);
  return [...byGraph].map(([vnffgdId, records]) => ({
    id: `${instance.id}/${vnffgdId}`,
    vnffgdId,
    vnfInstanceId: instance.vnfs.map((vnf) => vnf.vnfInstanceId),
    nsVirtualLinkInfoId: [...new Set(records.map((record) => record.networkId))],
    nfpInfo: records.map((record) => ({ id: record.portChainId, nfpdId: record.nfpId, nfpName: record.spec.name, nfpState: 'ENABLED', portChainId: record.portChainId })),
  }));
}

/** `instantiation`: for a TERMINATE, the instantiation whose resources it removes (its affected resources). */
function nsLcmOpOccView(operation: Operation, apiRoot: string, instantiation?: Operation): JsonObject {
  const self = `${apiRoot}${NS_LCM_OP_OCCS_PATH}/${operation.id}`;
  const input = operation.input as { request?: Json };
  const links: Record<string, { href: string }> = { self: { href: self }, nsInstance: { href: `${apiRoot}${NS_INSTANCES_PATH}/${operation.resourceId}` } };
  if (operation.state === 'FAILED_TEMP') for (const action of ['retry', 'rollback', 'continue', 'fail'] as const) links[action] = { href: `${self}/${action}` };
  if (operation.state === 'PROCESSING' || operation.state === 'ROLLING_BACK') links.cancel = { href: `${self}/cancel` };
  const view = {
    id: operation.id,
    operationState: nsLcmOperationState(operation),
    stateEnteredTime: operation.updatedAt,
    nsInstanceId: operation.resourceId,
    lcmOperationType: operation.kind,
    startTime: operation.createdAt,
    isAutomaticInvocation: false,
    operationParams: input.request ?? {},
    isCancelPending: operation.isCancelPending === true,
    ...(operation.cancelMode === undefined ? {} : { cancelMode: operation.cancelMode }),
    ...(operation.error ? { error: { type: 'about:blank', title: operation.error.title, status: operation.error.status, detail: operation.error.detail, ...(operation.error.step ? { step: operation.error.step } : {}) } } : {}),
    resourceChanges: nsLcmResourceChanges(operation, instantiation === undefined ? {} : { instantiation }),
    _links: links,
  };
  return JSON.parse(JSON.stringify(view)) as JsonObject;
}

export function nsLifecycleRoutes({ instances, nsds, lifecycle, vnfm, notifications, pageSize }: NsLifecycleRoutesContext) {
  const apiRoot = (request: FastifyRequest): string => absoluteUri(request, '');

  async function instanceOf(request: FastifyRequest, id: string): Promise<NsInstance> {
    const found = await instances.get(id, tenantScope(request.principal));
    if (!found) throw notFound(`No NS instance ${id}.`);
    return found.value;
  }

  async function vnfsOf(instance: NsInstance): Promise<VnfInstance[]> {
    const found = await Promise.all(instance.vnfs.map((vnf) => vnfm().instances.instances.get(vnf.vnfInstanceId)));
    return found.flatMap((entry) => (entry ? [entry.value] : []));
  }

  async function occurrenceOf(request: FastifyRequest, id: string): Promise<Operation> {
    const found = await lifecycle.engine.get(id, tenantScope(request.principal));
    if (!found) throw notFound(`No NS LCM operation occurrence ${id}.`);
    return found;
  }

  function accepted(request: FastifyRequest, reply: FastifyReply, operation: Operation): FastifyReply {
    return reply.code(202).header('Location', absoluteUri(request, `${NS_LCM_OP_OCCS_PATH}/${operation.id}`)).send();
  }

  return async (scope: FastifyInstance): Promise<void> => {
    scope.post<{ Body: CreateNsRequest }>('/ns_instances', { schema: { tags: TAGS, summary: 'Create an NS instance resource', body: createNsRequestSchema } }, async (request, reply) => {
      const { tenantId } = request.principal;
      const candidates = await nsds.descriptors.query({ tenantId, where: { nsdOnboardingState: 'ONBOARDED' } });
      const nsd = candidates.map(({ value }) => value).find((candidate) => candidate.nsdId === request.body.nsdId && candidate.nsdOperationalState === 'ENABLED');
      if (!nsd) throw new ProblemError(422, `No enabled, onboarded NSD has nsdId ${request.body.nsdId}.`, { violations: [{ pointer: '/nsdId', message: 'names no enabled onboarded NSD', in: 'body' }] });
      const instance: NsInstance = {
        id: crypto.randomUUID(),
        tenantId,
        nsInstanceName: request.body.nsName,
        nsInstanceDescription: request.body.nsDescription,
        nsdId: request.body.nsdId,
        nsdInfoId: nsd.id,
        nsState: 'NOT_INSTANTIATED',
        vnfs: [],
        virtualLinks: [],
        saps: [],
        vnffgs: [],
        createdAt: new Date().toISOString(),
      };
      const marked = await nsds.markUsage(tenantId, nsd.id, `ns-instance:${instance.id}`, true);
      if (!marked.ok) throw conflict(`NSD ${nsd.id} cannot be used: ${marked.reason}.`);
      await instances.insert(instance);
      await notifications.identifierCreated(instance);
      return replyCreated(request, reply, `${NS_INSTANCES_PATH}/${instance.id}`, nsInstanceView(instance, apiRoot(request), []));
    });

    scope.get('/ns_instances', { schema: { tags: TAGS, summary: 'Query NS instances', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: instances,
        tenantId: tenantScope(request.principal),
        view: (instance: NsInstance) => nsInstanceView(instance, apiRoot(request), undefined),
        shape: NS_INSTANCE_SHAPE,
        pageSize,
        isKnownAttribute: (path) => NS_INSTANCE_ATTRIBUTES.has(path[0] ?? ''),
      }),
    );

    scope.get<InstanceParams>('/ns_instances/:nsInstanceId', { schema: { tags: TAGS, summary: 'Read an NS instance', params: instanceParams } }, async (request) => {
      const instance = await instanceOf(request, request.params.nsInstanceId);
      return nsInstanceView(instance, apiRoot(request), await vnfsOf(instance));
    });

    scope.delete<InstanceParams>('/ns_instances/:nsInstanceId', { schema: { tags: TAGS, summary: 'Delete an NS instance resource', params: instanceParams } }, async (request, reply) => {
      for (;;) {
        const found = await instances.get(request.params.nsInstanceId, tenantScope(request.principal));
        if (!found) throw notFound(`No NS instance ${request.params.nsInstanceId}.`);
        const instance = found.value;
        if (instance.nsState !== 'NOT_INSTANTIATED') throw conflict(`NS instance ${instance.id} is ${instance.nsState}: terminate it first.`, { nsState: instance.nsState });
        const unfinished = (await lifecycle.engine.list({ resourceId: instance.id })).find((operation) => operation.state !== 'COMPLETED' && operation.state !== 'FAILED' && operation.state !== 'ROLLED_BACK');
        if (unfinished) throw conflict(`NS instance ${instance.id} has operation ${unfinished.id} ${unfinished.state}: roll it back or fail it first.`, { nsLcmOpOccId: unfinished.id });
        try {
          await instances.delete(instance.id, found.revision);
        } catch (error) {
          if (error instanceof StoreConflictError && error.reason === 'stale-revision') continue;
          throw error;
        }
        await nsds.markUsage(instance.tenantId, instance.nsdInfoId, `ns-instance:${instance.id}`, false);
        await notifications.identifierDeleted(instance);
        return reply.code(204).send();
      }
    });

    scope.post<InstanceParams & { Body: InstantiateNsRequest }>(
      '/ns_instances/:nsInstanceId/instantiate',
      { schema: { tags: TAGS, summary: 'Instantiate an NS', params: instanceParams, body: instantiateNsRequestSchema } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.nsInstanceId);
        if (instance.nsState !== 'NOT_INSTANTIATED') throw conflict(`NS instance ${instance.id} is already INSTANTIATED.`, { nsState: instance.nsState });
        const nsd = await lifecycle.nsdOf(instance);
        const violations: Array<{ pointer: string; message: string; in: 'body' }> = [];
        if (request.body.nsFlavourId !== nsd.flavourId) violations.push({ pointer: '/nsFlavourId', message: `the NSD has flavour ${nsd.flavourId} only`, in: 'body' });
        const atLevel = scaleStatusAtLevel(nsd, request.body.nsInstantiationLevelId);
        if ('problem' in atLevel) violations.push({ pointer: '/nsInstantiationLevelId', message: atLevel.problem, in: 'body' });
        for (const [index, sap] of (request.body.sapData ?? []).entries()) {
          if (!nsd.saps.some((candidate) => candidate.sapId === sap.sapdId)) violations.push({ pointer: `/sapData/${index}/sapdId`, message: `the NSD has no SAP ${sap.sapdId}`, in: 'body' });
        }
        for (const [index, parameters] of (request.body.additionalParamsForVnf ?? []).entries()) {
          if (!nsd.vnfProfiles.some((profile) => profile.profileId === parameters.vnfProfileId)) violations.push({ pointer: `/additionalParamsForVnf/${index}/vnfProfileId`, message: `the NSD has no VNF profile ${parameters.vnfProfileId}`, in: 'body' });
        }
        if (violations.length > 0) throw new ProblemError(422, `The instantiation request does not fit NSD ${nsd.nsdId}.`, { violations });
        return accepted(request, reply, await lifecycle.start('INSTANTIATE', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: TerminateNsRequest }>(
      '/ns_instances/:nsInstanceId/terminate',
      { schema: { tags: TAGS, summary: 'Terminate an NS', params: instanceParams, body: terminateNsRequestSchema } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.nsInstanceId);
        if (instance.nsState !== 'INSTANTIATED') throw conflict(`NS instance ${instance.id} is NOT_INSTANTIATED.`, { nsState: instance.nsState });
        return accepted(request, reply, await lifecycle.start('TERMINATE', instance, request.body ?? {}));
      },
    );

    scope.post<InstanceParams & { Body: UpdateNsRequest }>(
      '/ns_instances/:nsInstanceId/update',
      { schema: { tags: TAGS, summary: 'Update an NS (ADD_VNF, REMOVE_VNF, OPERATE_VNF, ADD_VNFFG, REMOVE_VNFFG, UPDATE_VNFFG)', params: instanceParams, body: updateNsRequestSchema } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.nsInstanceId);
        if (instance.nsState !== 'INSTANTIATED') throw conflict(`NS instance ${instance.id} is NOT_INSTANTIATED.`, { nsState: instance.nsState });
        const violations = await updateViolations(instance, request.body, lifecycle, vnfm);
        if (violations.length > 0) throw new ProblemError(422, `The update cannot be applied to NS instance ${instance.id}.`, { violations });
        return accepted(request, reply, await lifecycle.start('UPDATE', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: ScaleNsRequest }>(
      '/ns_instances/:nsInstanceId/scale',
      { schema: { tags: TAGS, summary: 'Scale an NS by its scaling aspects (SCALE_NS) or its VNFs (SCALE_VNF)', params: instanceParams, body: scaleNsRequestSchema } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.nsInstanceId);
        if (instance.nsState !== 'INSTANTIATED') throw conflict(`NS instance ${instance.id} is NOT_INSTANTIATED.`, { nsState: instance.nsState });
        const violations: BodyViolation[] = [];
        const nsd = await lifecycle.nsdOf(instance);
        if (request.body.scaleType === 'SCALE_NS') {
          const target = targetScaleLevels(nsd, instance, request.body.scaleNsData);
          if ('violations' in target) violations.push(...target.violations);
        }
        if (request.body.scaleType === 'SCALE_VNF' && !request.body.scaleVnfData) violations.push({ pointer: '/scaleVnfData', message: 'SCALE_VNF needs scaleVnfData', in: 'body' });
        const chained = chainPorts(instance);
        for (const [index, item] of (request.body.scaleVnfData ?? []).entries()) {
          const pointer = `/scaleVnfData/${index}`;
          const vnf = instance.vnfs.find((candidate) => candidate.vnfInstanceId === item.vnfInstanceId);
          if (!vnf) {
            violations.push({ pointer: `${pointer}/vnfInstanceId`, message: `VNF instance ${item.vnfInstanceId} is not part of the NS`, in: 'body' });
            continue;
          }
          if (item.scaleVnfType !== 'SCALE_OUT' && item.scaleVnfType !== 'SCALE_IN') violations.push({ pointer: `${pointer}/scaleVnfType`, message: `${item.scaleVnfType} is not carried out (SCALE_OUT, SCALE_IN)`, in: 'body' });
          if (!item.scaleByStepData) violations.push({ pointer: `${pointer}/scaleByStepData`, message: 'scaling by steps needs scaleByStepData', in: 'body' });
          const record = (await vnfm().instances.instances.get(vnf.vnfInstanceId))?.value;
          const inChain = record?.instantiatedVnfInfo?.vnfcs.some((vnfc) => vnfc.ports.some((port) => chained.has(port.portId)));
          // At load-balanced positions scaling changes the instances flows are spread over; a primary|backup pair
          // (ff) or a single instance is two VNFCs or one of a VNF, which scaling would change the roles of.
          if (inChain && !atLoadBalancedPositionsOnly(nsd, vnf.vnfProfileId)) {
            violations.push({ pointer: `${pointer}/vnfInstanceId`, message: `VNF ${vnf.vnfProfileId} is a position of a forwarding graph that is not load-balanced (lb): remove the graph (REMOVE_VNFFG) before scaling it`, in: 'body' });
          }
        }
        if (violations.length > 0) throw new ProblemError(422, `The scaling cannot be applied to NS instance ${instance.id}.`, { violations });
        return accepted(request, reply, await lifecycle.start('SCALE', instance, request.body));
      },
    );

    scope.post<InstanceParams & { Body: HealNsRequest }>(
      '/ns_instances/:nsInstanceId/heal',
      { schema: { tags: TAGS, summary: 'Heal the VNFs of an NS (healVnfData)', params: instanceParams, body: healNsRequestSchema } },
      async (request, reply) => {
        const instance = await instanceOf(request, request.params.nsInstanceId);
        if (instance.nsState !== 'INSTANTIATED') throw conflict(`NS instance ${instance.id} is NOT_INSTANTIATED.`, { nsState: instance.nsState });
        const violations: BodyViolation[] = [];
        if (!request.body.healVnfData) violations.push({ pointer: '/healVnfData', message: 'this NFVO heals the NS by its VNFs: give healVnfData', in: 'body' });
        for (const [index, item] of (request.body.healVnfData ?? []).entries()) {
          if (!instance.vnfs.some((vnf) => vnf.vnfInstanceId === item.vnfInstanceId)) violations.push({ pointer: `/healVnfData/${index}/vnfInstanceId`, message: `VNF instance ${item.vnfInstanceId} is not part of the NS`, in: 'body' });
        }
        if (violations.length > 0) throw new ProblemError(422, `The healing cannot be applied to NS instance ${instance.id}.`, { violations });
        return accepted(request, reply, await lifecycle.start('HEAL', instance, request.body));
      },
    );

    scope.get('/ns_lcm_op_occs', { schema: { tags: TAGS, summary: 'Query NS LCM operation occurrences', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: lifecycle.engine.repository,
        tenantId: tenantScope(request.principal),
        view: (operation: Operation) => nsLcmOpOccView(operation, apiRoot(request)),
        shape: NS_LCM_OP_OCC_SHAPE,
        pageSize,
        isKnownAttribute: (path) => NS_LCM_OP_OCC_ATTRIBUTES.has(path[0] ?? ''),
      }),
    );

    scope.get<OccurrenceParams>('/ns_lcm_op_occs/:nsLcmOpOccId', { schema: { tags: TAGS, summary: 'Read an NS LCM operation occurrence', params: occurrenceParams } }, async (request) => {
      const operation = await occurrenceOf(request, request.params.nsLcmOpOccId);
      const instantiation = operation.kind === 'TERMINATE' ? await instantiationOf(lifecycle.engine, operation) : undefined;
      return nsLcmOpOccView(operation, apiRoot(request), instantiation);
    });

    registerOccurrenceTasks(scope, {
      path: '/ns_lcm_op_occs',
      param: 'nsLcmOpOccId',
      tags: TAGS,
      engine: lifecycle.engine,
      occurrenceOf,
      view: (operation, request) => nsLcmOpOccView(operation, apiRoot(request)),
      continueTask: true,
    });
  };
}
