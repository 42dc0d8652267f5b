/**
 * The NS lifecycle (SOL 005) as durable operations on the operation engine.
 *
 * INSTANTIATE: `virtual-links` (a VIM network per NS virtual link) -> `saps` (a port per SAP on its link, with
 * the addresses of `sapData`) -> `vnfs` (every VNF profile created and instantiated through the VNFM, all at
 * once, each with its own grant) -> `vnffgs` (each NFP a service chain over the VNFs' ports on the graph's
 * link) -> `finalize`. Every step resumes after a crash; rollback undoes the done steps in reverse (VNFs are
 * terminated, or their failed instantiation rolled back, then deleted).
 *
 * TERMINATE: `vnffgs` -> `vnfs` (all terminated at once, then deleted) -> `saps` -> `virtual-links` -> `finalize`.
 * Rollback restores the chains; VNFs once terminated stay so (the operation is retried instead).
 */
import type { Nsd } from '../../descriptors/index.js';
import { chainSpecs } from './chains.js';
import {
  changeStored,
  derivedId,
  fromJson,
  ignoringNotFound,
  OperationEngine,
  ProblemError,
  toJson,
  type Logger,
  type Operation,
  type Repository,
  type StepContext,
  type Store,
} from '../../platform/index.js';
import type { SteeredChains } from '../../sfc/index.js';
import type { VimServices } from '../../vim/index.js';
import type { ExtVirtualLinkData, HealVnfRequest, InstantiateVnfRequest, ScaleVnfRequest, VnfInstance, VnfLcmOperationType, VnfManager } from '../../vnfm/index.js';
import type { OnboardedDescriptors } from '../onboarded-descriptors.js';
import {
  NS_LCM_OP_OCCS_COLLECTION,
  type HealNsRequest,
  type InstantiateNsRequest,
  type ScaleNsRequest,
  type OperateVnfData,
  type UpdateNsRequest,
  type NsInstance,
  type NsSapRecord,
  type NsVirtualLinkRecord,
  type NsVnffgRecord,
  type NsVnfRecord,
} from './model.js';

const VNF_OPERATION_TIMEOUT_MS = 10 * 60_000;

export interface NsLifecycleOptions {
  store: Store;
  logger: Logger;
  instances: Repository<NsInstance>;
  descriptors: OnboardedDescriptors;
  vnfm: () => VnfManager;
  vim: () => VimServices;
  chains: () => SteeredChains;
  leaseMs?: number;
}

interface NsInput {
  nsInstanceId: string;
  request: Record<string, unknown>;
}

function writer(tenantId: string) {
  return { tenantId, isAdmin: true };
}

export class NsLifecycle {
  readonly engine: OperationEngine;
  /** VNF instantiations under way now, and the most seen at once (the NS benchmark reports it). */
  private vnfsInFlight = 0;
  maxParallelVnfs = 0;

  constructor(private readonly options: NsLifecycleOptions) {
    this.engine = new OperationEngine({
      store: options.store,
      logger: options.logger,
      collection: NS_LCM_OP_OCCS_COLLECTION,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    });
    this.defineInstantiate();
    this.defineTerminate();
    this.defineUpdate();
    this.defineScaleAndHeal();
  }

  async start(type: 'INSTANTIATE' | 'TERMINATE' | 'UPDATE' | 'SCALE' | 'HEAL', instance: NsInstance, request: object): Promise<Operation> {
    const input: NsInput = { nsInstanceId: instance.id, request: { ...request } };
    return this.engine.start(type, instance.id, toJson(input), { tenantId: instance.tenantId });
  }

  /** Takes over what a process that died left under way, now and whenever a lease expires. */
  async recover(): Promise<void> {
    await this.engine.recover();
    this.engine.startRecovery();
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  async nsdOf(instance: NsInstance): Promise<Nsd> {
    const onboarded = await this.options.descriptors.nsd(instance.tenantId, instance.nsdInfoId);
    if (!onboarded) throw new ProblemError(409, `NSD ${instance.nsdInfoId} is no longer onboarded`);
    return onboarded.descriptor;
  }

  private async instanceOf(nsInstanceId: string): Promise<NsInstance> {
    const found = await this.options.instances.get(nsInstanceId);
    if (!found) throw new ProblemError(404, `NS instance ${nsInstanceId} no longer exists`);
    return found.value;
  }

  /** A VNF instance of the VNFM as it is now (chain specs are built from its VNFCs' ports). */
  private readonly vnfInstance = async (vnfInstanceId: string): Promise<VnfInstance | undefined> => (await this.options.vnfm().instances.instances.get(vnfInstanceId))?.value;

  private async changeInstance(nsInstanceId: string, change: (instance: NsInstance) => NsInstance): Promise<void> {
    if (!(await changeStored(this.options.instances, nsInstanceId, change))) throw new ProblemError(404, `NS instance ${nsInstanceId} no longer exists`);
  }

  // --- resources of the steps -------------------------------------------------------------------------------

  private async createVirtualLinks(operationId: string, instance: NsInstance, nsd: Nsd): Promise<NsVirtualLinkRecord[]> {
    const { networks } = this.options.vim();
    const records: NsVirtualLinkRecord[] = [];
    for (const link of nsd.virtualLinks) {
      const id = derivedId(operationId, 'ns-vl', link.virtualLinkId);
      await networks.createNetwork(writer(instance.tenantId), { name: `ns-${instance.id.slice(0, 8)}-${link.virtualLinkId}`, tenant_id: instance.tenantId }, { id });
      records.push({ nsVirtualLinkDescId: link.virtualLinkId, networkId: id });
    }
    this.options.vim().portsChanged();
    return records;
  }

  private async removeNetworks(tenantId: string, networkIds: readonly string[]): Promise<void> {
    const { networks } = this.options.vim();
    for (const networkId of networkIds) await ignoringNotFound(() => networks.deleteNetwork(writer(tenantId), networkId));
    this.options.vim().portsChanged();
  }

  private async createSaps(operationId: string, instance: NsInstance, nsd: Nsd, links: readonly NsVirtualLinkRecord[], request: InstantiateNsRequest): Promise<NsSapRecord[]> {
    const { networks } = this.options.vim();
    const records: NsSapRecord[] = [];
    for (const sap of nsd.saps) {
      const networkId = links.find((link) => link.nsVirtualLinkDescId === sap.virtualLinkId)?.networkId;
      if (networkId === undefined) continue;
      const data = request.sapData?.find((candidate) => candidate.sapdId === sap.sapId);
      const ethernet = data?.sapProtocolData?.find((item) => item.ipOverEthernet !== undefined)?.ipOverEthernet;
      const addresses = (ethernet?.ipAddresses ?? []).flatMap((address) => address.fixedAddresses ?? []);
      const { value: port } = await networks.createPort(
        writer(instance.tenantId),
        {
          network_id: networkId,
          tenant_id: instance.tenantId,
          name: data?.sapName ?? sap.sapId,
          device_id: `ns-${instance.id}`,
          device_owner: 'nfvo:sap',
          ...(ethernet?.macAddress ? { mac_address: ethernet.macAddress.toLowerCase() } : {}),
          ...(addresses.length > 0 ? { fixed_ips: addresses.map((address) => ({ ip_address: address })) } : {}),
        },
        { id: derivedId(operationId, 'sap', sap.sapId) },
      );
      records.push({ sapdId: sap.sapId, sapName: data?.sapName ?? sap.sapId, portId: port.id, networkId, macAddress: port.macAddress, addresses });
    }
    this.options.vim().portsChanged();
    return records;
  }

  private async removePorts(tenantId: string, portIds: readonly string[]): Promise<void> {
    const { networks } = this.options.vim();
    for (const portId of portIds) await ignoringNotFound(() => networks.deletePort(writer(tenantId), portId));
    this.options.vim().portsChanged();
  }

  /** Runs a VNF operation to its end: one already under way on the instance is waited for instead. */
  /**
   * With `signal` (the NS step's): a cancel of the NS operation is passed on to the VNF operation (FORCEFUL
   * if the NS cancel is), and the wait ends at once with the cancellation.
   */
  private async settleVnfOperation(vnf: VnfInstance, start: () => Promise<Operation>, signal?: AbortSignal): Promise<Operation> {
    const { lifecycle } = this.options.vnfm();
    const unfinished = (await lifecycle.engine.list({ resourceId: vnf.id })).find((operation) => operation.state === 'PROCESSING' || operation.state === 'ROLLING_BACK');
    const operation = unfinished ?? (await start());
    if (signal === undefined) return lifecycle.waitFor(operation.id, VNF_OPERATION_TIMEOUT_MS);
    signal.throwIfAborted();
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        lifecycle.engine.cancel(operation.id, 'FORCEFUL').catch(() => undefined);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([lifecycle.waitFor(operation.id, VNF_OPERATION_TIMEOUT_MS), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Creates (or finds) and instantiates the VNF of one profile; throws with the VNF's error when it fails. */
  private async instantiateVnf(
    operationId: string,
    instance: NsInstance,
    nsd: Nsd,
    profileId: string,
    links: readonly NsVirtualLinkRecord[],
    request: InstantiateNsRequest,
    signal?: AbortSignal,
  ): Promise<NsVnfRecord> {
    const profile = nsd.vnfProfiles.find((candidate) => candidate.profileId === profileId);
    if (!profile) throw new ProblemError(422, `VNF profile ${profileId} is not in the NSD`);
    const { instances, lifecycle } = this.options.vnfm();
    const parameters = request.additionalParamsForVnf?.find((item) => item.vnfProfileId === profileId);
    const { value: vnf } = await instances.create(
      instance.tenantId,
      { vnfdId: profile.vnfdId, vnfInstanceName: parameters?.vnfInstanceName ?? `${instance.nsInstanceName}-${profileId}`, ...(parameters?.vnfInstanceDescription ? { vnfInstanceDescription: parameters.vnfInstanceDescription } : {}) },
      { id: derivedId(operationId, 'vnf', profileId) },
    );
    if (vnf.instantiationState === 'INSTANTIATED') return { vnfProfileId: profileId, vnfInstanceId: vnf.id };
    const onboarded = await this.options.descriptors.vnfd(instance.tenantId, profile.vnfdId);
    const flavour = onboarded?.contents.vnfd.flavours.find((candidate) => candidate.flavourId === (profile.flavourId ?? candidate.flavourId));
    const extVirtualLinks: ExtVirtualLinkData[] = [];
    for (const connectivity of profile.virtualLinkConnectivity ?? []) {
      const networkId = links.find((link) => link.nsVirtualLinkDescId === connectivity.virtualLinkId)?.networkId;
      const extCp = flavour?.extCps.find((cp) => cp.requirement === connectivity.requirement);
      if (networkId === undefined || extCp === undefined) continue;
      extVirtualLinks.push({ id: `${connectivity.virtualLinkId}`, resourceId: networkId, extCps: [{ cpdId: extCp.cpId }] });
    }
    const body: InstantiateVnfRequest = {
      flavourId: profile.flavourId ?? flavour?.flavourId ?? 'default',
      ...(profile.instantiationLevelId ? { instantiationLevelId: profile.instantiationLevelId } : {}),
      extVirtualLinks,
      ...(parameters?.additionalParams ? { additionalParams: parameters.additionalParams } : {}),
    };
    this.vnfsInFlight += 1;
    this.maxParallelVnfs = Math.max(this.maxParallelVnfs, this.vnfsInFlight);
    let settled: Operation;
    try {
      settled = await this.settleVnfOperation(vnf, async () => {
        const operations = await lifecycle.engine.list({ resourceId: vnf.id });
        // An instantiation resumed after a crash may have completed since the instance was read.
        const completed = operations.find((operation) => operation.state === 'COMPLETED' && operation.kind === 'INSTANTIATE');
        if (completed && (await instances.instances.get(vnf.id))?.value.instantiationState === 'INSTANTIATED') return completed;
        const failed = operations.find((operation) => operation.state === 'FAILED_TEMP' && operation.kind === 'INSTANTIATE');
        return failed ? lifecycle.engine.retry(failed.id) : lifecycle.start('INSTANTIATE', vnf, body);
      }, signal);
    } finally {
      this.vnfsInFlight -= 1;
    }
    if (settled.state !== 'COMPLETED') {
      throw new ProblemError(settled.error?.status ?? 500, `VNF ${profileId} (instance ${vnf.id}) did not instantiate: ${settled.error?.detail ?? settled.state}`, {
        title: settled.error?.title ?? 'VNF instantiation failed',
        extensions: { vnfProfileId: profileId, vnfInstanceId: vnf.id, vnfLcmOpOccId: settled.id },
      });
    }
    return { vnfProfileId: profileId, vnfInstanceId: vnf.id };
  }

  /** Takes a VNF of the NS away, whatever state it was left in: terminated, or its instantiation rolled back; then deleted. */
  private async removeVnf(vnfInstanceId: string): Promise<void> {
    const { instances, lifecycle } = this.options.vnfm();
    const found = await instances.instances.get(vnfInstanceId);
    if (!found) return;
    const vnf = found.value;
    const operations = await lifecycle.engine.list({ resourceId: vnf.id });
    const unfinished = operations.find((operation) => operation.state === 'PROCESSING' || operation.state === 'ROLLING_BACK');
    if (unfinished) await lifecycle.waitFor(unfinished.id, VNF_OPERATION_TIMEOUT_MS);
    const failed = (await lifecycle.engine.list({ resourceId: vnf.id })).find((operation) => operation.state === 'FAILED_TEMP');
    if (failed) {
      const rolledBack = await lifecycle.waitFor((await lifecycle.engine.rollback(failed.id)).id, VNF_OPERATION_TIMEOUT_MS);
      if (rolledBack.state !== 'ROLLED_BACK') throw new ProblemError(rolledBack.error?.status ?? 500, `VNF ${vnf.id}: rollback of ${failed.kind} ended ${rolledBack.state}: ${rolledBack.error?.detail ?? ''}`);
    }
    const current = (await instances.instances.get(vnf.id))?.value;
    if (current?.instantiationState === 'INSTANTIATED') {
      const terminated = await lifecycle.waitFor((await lifecycle.start('TERMINATE', current, { terminationType: 'FORCEFUL' })).id, VNF_OPERATION_TIMEOUT_MS);
      if (terminated.state !== 'COMPLETED') throw new ProblemError(terminated.error?.status ?? 500, `VNF ${vnf.id} did not terminate: ${terminated.error?.detail ?? terminated.state}`);
    }
    await instances.delete(vnf.id);
  }

  // --- operations --------------------------------------------------------------------------------------------

  private defineInstantiate(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<NsInput>(ctx.input).request as unknown as InstantiateNsRequest;
    const context = async (ctx: Ctx) => {
      const instance = await this.instanceOf(ctx.resourceId);
      return { instance, nsd: await this.nsdOf(instance) };
    };
    const linksOf = (ctx: Ctx) => fromJson<NsVirtualLinkRecord[]>(ctx.outputs['virtual-links']);
    this.engine.define('INSTANTIATE', [
      {
        name: 'virtual-links',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          return toJson(await this.createVirtualLinks(ctx.operationId, instance, nsd));
        },
        compensate: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          await this.removeNetworks(instance.tenantId, nsd.virtualLinks.map((link) => derivedId(ctx.operationId, 'ns-vl', link.virtualLinkId)));
        },
      },
      {
        name: 'saps',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          return toJson(await this.createSaps(ctx.operationId, instance, nsd, linksOf(ctx), request(ctx)));
        },
        compensate: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          await this.removePorts(instance.tenantId, nsd.saps.map((sap) => derivedId(ctx.operationId, 'sap', sap.sapId)));
        },
      },
      {
        name: 'vnfs',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          const outcomes = await Promise.allSettled(nsd.vnfProfiles.map((profile) => this.instantiateVnf(ctx.operationId, instance, nsd, profile.profileId, linksOf(ctx), request(ctx), ctx.signal)));
          const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          if (failure) throw failure.reason;
          return toJson(outcomes.map((outcome) => (outcome as PromiseFulfilledResult<NsVnfRecord>).value));
        },
        compensate: async (ctx) => {
          const { nsd } = await context(ctx);
          const outcomes = await Promise.allSettled(nsd.vnfProfiles.map((profile) => this.removeVnf(derivedId(ctx.operationId, 'vnf', profile.profileId))));
          const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          if (failure) throw failure.reason;
        },
      },
      {
        name: 'vnffgs',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          const records = await chainSpecs(this.vnfInstance, ctx.operationId, instance, nsd, fromJson<NsVnfRecord[]>(ctx.outputs['vnfs']), linksOf(ctx));
          for (const record of records) await this.options.chains().ensure(record.portChainId, record.spec);
          return toJson(records);
        },
        compensate: async (ctx) => {
          const { nsd } = await context(ctx);
          for (const vnffg of nsd.vnffgs) {
            for (const nfp of vnffg.nfps) await this.options.chains().remove(derivedId(ctx.operationId, 'vnffg', vnffg.vnffgId, nfp.nfpId));
          }
        },
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const body = request(ctx);
          await this.changeInstance(ctx.resourceId, (instance) => ({
            ...instance,
            nsState: 'INSTANTIATED',
            flavourId: body.nsFlavourId,
            virtualLinks: linksOf(ctx),
            saps: fromJson<NsSapRecord[]>(ctx.outputs['saps']),
            vnfs: fromJson<NsVnfRecord[]>(ctx.outputs['vnfs']),
            vnffgs: fromJson<NsVnffgRecord[]>(ctx.outputs['vnffgs']),
          }));
        },
        compensate: async (ctx) => {
          await this.changeInstance(ctx.resourceId, (instance) => ({ ...instance, nsState: 'NOT_INSTANTIATED', virtualLinks: [], saps: [], vnfs: [], vnffgs: [] }));
        },
      },
    ]);
  }

  private defineTerminate(): void {
    type Ctx = StepContext;
    const instanceOf = (ctx: Ctx) => this.instanceOf(ctx.resourceId);
    this.engine.define('TERMINATE', [
      {
        name: 'vnffgs',
        onRestart: 'resume',
        run: async (ctx) => {
          for (const vnffg of (await instanceOf(ctx)).vnffgs) await this.options.chains().remove(vnffg.portChainId);
        },
        compensate: async (ctx) => {
          for (const vnffg of (await instanceOf(ctx)).vnffgs) await this.options.chains().ensure(vnffg.portChainId, vnffg.spec);
        },
      },
      {
        name: 'vnfs',
        onRestart: 'resume',
        run: async (ctx) => {
          const outcomes = await Promise.allSettled((await instanceOf(ctx)).vnfs.map((vnf) => this.removeVnf(vnf.vnfInstanceId)));
          const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          if (failure) throw failure.reason;
        },
      },
      {
        name: 'saps',
        onRestart: 'resume',
        run: async (ctx) => {
          const instance = await instanceOf(ctx);
          await this.removePorts(instance.tenantId, instance.saps.map((sap) => sap.portId));
        },
      },
      {
        name: 'virtual-links',
        onRestart: 'resume',
        run: async (ctx) => {
          const instance = await instanceOf(ctx);
          await this.removeNetworks(instance.tenantId, instance.virtualLinks.map((link) => link.networkId));
        },
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          await this.changeInstance(ctx.resourceId, (instance) => ({ ...instance, nsState: 'NOT_INSTANTIATED', virtualLinks: [], saps: [], vnfs: [], vnffgs: [] }));
        },
      },
    ]);
  }

  /**
   * UPDATE (SOL 005 UpdateNsRequest): ADD_VNFFG (a forwarding graph of the NSD programmed again),
   * REMOVE_VNFFG, OPERATE_VNF (VNFs started or stopped through the VNFM), ADD_VNF (instantiated VNF instances
   * of the tenant join the NS), REMOVE_VNF (VNFs terminated and deleted). `apply` -> `finalize`; rollback undoes
   * `apply` (chains put back or removed, VNFs returned to their state), except for REMOVE_VNF, which is retried.
   */
  private defineUpdate(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<NsInput>(ctx.input).request as unknown as UpdateNsRequest;
    const operateAll = async (items: readonly OperateVnfData[], reverse: boolean): Promise<void> => {
      const { instances, lifecycle } = this.options.vnfm();
      const outcomes = await Promise.allSettled(
        items.map(async (item) => {
          const vnf = (await instances.instances.get(item.vnfInstanceId))?.value;
          if (!vnf) throw new ProblemError(404, `VNF instance ${item.vnfInstanceId} no longer exists`);
          const changeStateTo = reverse ? (item.changeStateTo === 'STARTED' ? 'STOPPED' : 'STARTED') : item.changeStateTo;
          const body = { changeStateTo, ...(item.stopType ? { stopType: item.stopType } : {}), ...(item.gracefulStopTimeout === undefined ? {} : { gracefulStopTimeout: item.gracefulStopTimeout }) };
          const settled = await this.settleVnfOperation(vnf, () => lifecycle.start('OPERATE', vnf, body));
          if (settled.state !== 'COMPLETED') throw new ProblemError(settled.error?.status ?? 500, `VNF ${vnf.id} did not go ${changeStateTo}: ${settled.error?.detail ?? settled.state}`);
        }),
      );
      const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failure) throw failure.reason;
    };
    this.engine.define('UPDATE', [
      {
        name: 'apply',
        onRestart: 'resume',
        run: async (ctx) => {
          const body = request(ctx);
          const instance = await this.instanceOf(ctx.resourceId);
          const membership = { vnfs: instance.vnfs, vnffgs: instance.vnffgs };
          if (body.updateType === 'OPERATE_VNF') {
            await operateAll(body.operateVnfData ?? [], false);
            return toJson(membership);
          }
          if (body.updateType === 'ADD_VNF') {
            return toJson({ ...membership, vnfs: [...instance.vnfs, ...(body.addVnfInstance ?? []).map((item) => ({ vnfProfileId: item.vnfProfileId, vnfInstanceId: item.vnfInstanceId }))] });
          }
          if (body.updateType === 'REMOVE_VNF') {
            const removed = new Set(body.removeVnfInstanceId ?? []);
            const outcomes = await Promise.allSettled([...removed].map((vnfInstanceId) => this.removeVnf(vnfInstanceId)));
            const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
            if (failure) throw failure.reason;
            return toJson({ ...membership, vnfs: instance.vnfs.filter((vnf) => !removed.has(vnf.vnfInstanceId)) });
          }
          if (body.updateType === 'REMOVE_VNFFG') {
            const removed = new Set(body.removeVnffg ?? []);
            for (const record of instance.vnffgs.filter((item) => removed.has(`${instance.id}/${item.vnffgdId}`))) await this.options.chains().remove(record.portChainId);
            return toJson({ ...membership, vnffgs: instance.vnffgs.filter((item) => !removed.has(`${instance.id}/${item.vnffgdId}`)) });
          }
          const added = new Set((body.addVnffg ?? []).map((item) => item.vnffgdId));
          const records = await chainSpecs(this.vnfInstance, ctx.operationId, instance, await this.nsdOf(instance), instance.vnfs, instance.virtualLinks, added);
          for (const record of records) await this.options.chains().ensure(record.portChainId, record.spec);
          return toJson({ ...membership, vnffgs: [...instance.vnffgs, ...records] });
        },
        compensate: async (ctx) => {
          const body = request(ctx);
          const instance = await this.instanceOf(ctx.resourceId);
          if (body.updateType === 'OPERATE_VNF') {
            await operateAll(body.operateVnfData ?? [], true);
          } else if (body.updateType === 'ADD_VNF') {
            // The NS record is written by `finalize` only: nothing to undo.
          } else if (body.updateType === 'REMOVE_VNF') {
            throw new ProblemError(409, 'the removed VNFs were terminated and deleted: a REMOVE_VNF that failed is retried, not rolled back');
          } else if (body.updateType === 'REMOVE_VNFFG') {
            for (const record of instance.vnffgs) await this.options.chains().ensure(record.portChainId, record.spec);
          } else {
            const nsd = await this.nsdOf(instance);
            for (const vnffg of nsd.vnffgs.filter((item) => (body.addVnffg ?? []).some((added) => added.vnffgdId === item.vnffgId))) {
              for (const nfp of vnffg.nfps) await this.options.chains().remove(derivedId(ctx.operationId, 'vnffg', vnffg.vnffgId, nfp.nfpId));
            }
          }
        },
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const { vnfs, vnffgs } = fromJson<{ vnfs: NsVnfRecord[]; vnffgs: NsVnffgRecord[] }>(ctx.outputs['apply']);
          await this.changeInstance(ctx.resourceId, (instance) => ({ ...instance, vnfs, vnffgs }));
        },
      },
    ]);
  }

  /** Runs one VNF operation per item at once; throws the first failure, naming the VNF. */
  private async runOnVnfs<T extends { vnfInstanceId: string }>(items: readonly T[], kind: VnfLcmOperationType, bodyOf: (item: T) => object, signal?: AbortSignal): Promise<void> {
    const { instances, lifecycle } = this.options.vnfm();
    const outcomes = await Promise.allSettled(
      items.map(async (item) => {
        const vnf = (await instances.instances.get(item.vnfInstanceId))?.value;
        if (!vnf) throw new ProblemError(404, `VNF instance ${item.vnfInstanceId} no longer exists`);
        const settled = await this.settleVnfOperation(vnf, () => lifecycle.start(kind, vnf, bodyOf(item)), signal);
        if (settled.state !== 'COMPLETED') {
          throw new ProblemError(settled.error?.status ?? 500, `VNF ${vnf.id}: ${kind} ended ${settled.state}: ${settled.error?.detail ?? ''}`, { extensions: { vnfInstanceId: vnf.id, vnfLcmOpOccId: settled.id } });
        }
      }),
    );
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /**
   * SCALE (SCALE_VNF: each VNF scaled out or in by steps of an aspect through the VNFM; rollback scales back)
   * and HEAL (healVnfData: each VNF's VNFCs recreated through the VNFM). One step, `vnfs`.
   */
  private defineScaleAndHeal(): void {
    type Ctx = StepContext;
    type ScaleItem = NonNullable<ScaleNsRequest['scaleVnfData']>[number];
    const scaleItems = (ctx: Ctx) => (fromJson<NsInput>(ctx.input).request as unknown as ScaleNsRequest).scaleVnfData ?? [];
    const scaleBody = (item: ScaleItem, reverse: boolean): ScaleVnfRequest => {
      const outward = item.scaleVnfType === 'SCALE_OUT';
      return {
        type: outward !== reverse ? 'SCALE_OUT' : 'SCALE_IN',
        aspectId: item.scaleByStepData?.aspectId ?? '',
        numberOfSteps: item.scaleByStepData?.numberOfSteps ?? 1,
        ...(item.scaleByStepData?.additionalParams ? { additionalParams: item.scaleByStepData.additionalParams } : {}),
      };
    };
    this.engine.define('SCALE', [
      {
        name: 'vnfs',
        onRestart: 'resume',
        run: async (ctx) => this.runOnVnfs(scaleItems(ctx), 'SCALE', (item) => scaleBody(item, false), ctx.signal),
        compensate: async (ctx) => this.runOnVnfs(scaleItems(ctx), 'SCALE', (item) => scaleBody(item, true)),
      },
    ]);
    this.engine.define('HEAL', [
      {
        name: 'vnfs',
        onRestart: 'resume',
        run: async (ctx) => {
          const items = (fromJson<NsInput>(ctx.input).request as unknown as HealNsRequest).healVnfData ?? [];
          await this.runOnVnfs(items, 'HEAL', (item): HealVnfRequest => ({ ...(item.cause ? { cause: item.cause } : {}), ...(item.additionalParams ? { additionalParams: item.additionalParams } : {}) }), ctx.signal);
        },
      },
    ]);
  }
}
