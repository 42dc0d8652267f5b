/**
 * The NS lifecycle (SOL 005) as durable operations on the operation engine.
 *
 * INSTANTIATE: `virtual-links` (a VIM network per NS virtual link) -> `saps` (a port per SAP on its link, with
 * the addresses of `sapData`) -> `vnfs` (each VNF profile's instances, as many as the NS instantiation level
 * says, created and instantiated through the VNFM, all at once, each with its own grant) -> `vnffgs` (each NFP
 * a service chain over the VNFs' ports on the graph's link) -> `finalize` (with the scale levels the
 * instantiation level amounts to). Every step resumes after a crash; rollback undoes the done steps in reverse (VNFs are
 * terminated, or their failed instantiation rolled back, then deleted).
 *
 * TERMINATE: `vnffgs` -> `vnfs` (all terminated at once, then deleted) -> `saps` -> `virtual-links` -> `finalize`.
 * Rollback brings the NS back whole: networks and SAP ports created again under their ids (SAPs with their MAC
 * and addresses), each VNF it terminated created again under its instance id and instantiated through the VNFM
 * with the request of its last instantiation (saved by `vnfs` before the first VNF goes), a failed VNF
 * termination rolled back instead, then the chains (same port chain ids, their classifiers as they were) over
 * the VNFs' ports as they are now. What stays lost: a VNF comes back with new VNFCs (domains, ports, MACs) at
 * the instantiation level it was instantiated with (a later VNF scaling is not redone), and a VNF whose own
 * terminate rollback fails leaves the NS rollback FAILED_TEMP (roll back again once the VNF is fixed, or fail).
 * Tested by test/nfvo/ns-terminate-rollback.test.ts.
 *
 * CONTINUE (SOL 005 clause 6.4.13; `OperationEngine.continue`): a FAILED_TEMP occurrence goes on past the step
 * that failed, leaving out what failed, and ends PARTIALLY_COMPLETED. Per operation type:
 * - INSTANTIATE, step `vnfs`: the VNFs whose instantiation failed are left as they are (NOT_INSTANTIATED, their
 *   VNF LCM occurrence FAILED_TEMP for the VNFM's operator; not retried), the others are instantiated; the NS
 *   keeps all of them as members, so its terminate removes the failed ones too; `vnffgs` then leaves out the
 *   graphs through a VNF that was left out; affectedVnfs reports those VNFs FAILED.
 * - every other step, and TERMINATE, UPDATE, SCALE and HEAL: not continued (409 naming the step): what failed
 *   there cannot be left out without leaving the NS inconsistent (a network with ports, a chain without a
 *   position), so they are retried, rolled back or failed.
 * Tested by test/nfvo/ns-continue-cancel.test.ts (and the engine's transition by test/platform/operations/continue.test.ts).
 *
 * CANCEL (GRACEFUL or FORCEFUL, `OperationEngine.cancel`): the VNF operations a step waits for are cancelled
 * with the NS operation's mode (GRACEFUL through the step's `cancellation`, FORCEFUL through its `signal`); the
 * NS occurrence ends FAILED_TEMP, from where rollback removes what was made. Tested end to end, during the
 * INSTANTIATE `vnfs` step, by test/nfvo/ns-continue-cancel.test.ts.
 */
import type { Nsd } from '../../descriptors/index.js';
import { chainSpecs, chainsOver } from './chains.js';
import { instantiationVnfs, nsScalingPlan, scaleStatusAtLevel, targetScaleLevels, type NsScalingPlan } from './ns-scaling.js';
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
import type { SteeredChains, SteeredClassifier } from '../../sfc/index.js';
import type { VimServices } from '../../vim/index.js';
import type { ExtVirtualLinkData, HealVnfRequest, InstantiateVnfRequest, ScaleVnfRequest, VnfInstance, VnfLcmInput, VnfLcmOperationType, VnfManager } from '../../vnfm/index.js';
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
  type NfpRuleData,
  type NsVnfOutcome,
  type NsVnfRecord,
  type UpdateVnffgData,
} from './model.js';

const VNF_OPERATION_TIMEOUT_MS = 10 * 60_000;

/** A VNF of the NS as a termination found it: what bringing it back on rollback takes. */
interface NsVnfSnapshot extends NsVnfRecord {
  vnfdId: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  /** The request of its last completed instantiation; absent for a VNF that was not instantiated. */
  instantiateRequest?: Record<string, unknown>;
}

/**
 * UPDATE_VNFFG on the NS's chain records: NFPs (nfpInfo ids are port chain ids) given a new nfpRule are
 * reclassified by it, NFPs listed in `nfpInfoId` deleted. Answers the records after the update and which changed.
 */
function updatedVnffgs(instance: NsInstance, updates: readonly UpdateVnffgData[]): { vnffgs: NsVnffgRecord[]; reclassified: Set<string>; deleted: Set<string> } {
  const rules = new Map<string, NfpRuleData>();
  const deleted = new Set<string>();
  for (const update of updates) {
    const inGraph = (portChainId: string) => instance.vnffgs.some((record) => record.portChainId === portChainId && `${instance.id}/${record.vnffgdId}` === update.vnffgInfoId);
    for (const nfp of update.nfp ?? []) if (nfp.nfpInfoId !== undefined && nfp.nfpRule !== undefined && inGraph(nfp.nfpInfoId)) rules.set(nfp.nfpInfoId, nfp.nfpRule);
    for (const nfpInfoId of update.nfpInfoId ?? []) if (inGraph(nfpInfoId)) deleted.add(nfpInfoId);
  }
  const vnffgs = instance.vnffgs
    .filter((record) => !deleted.has(record.portChainId))
    .map((record) => {
      const rule = rules.get(record.portChainId);
      return rule === undefined ? record : { ...record, spec: { ...record.spec, classifiers: [steeredClassifierOf(rule)] } };
    });
  return { vnffgs, reclassified: new Set(rules.keys()), deleted };
}

const PROTOCOL_NUMBERS = { TCP: 6, UDP: 17, ICMP: 1 } as const;

/** An NfpRule of a request (checked by the route) as a chain classifier. */
function steeredClassifierOf(rule: NfpRuleData): SteeredClassifier {
  const range = rule.destinationPortRange;
  return {
    ...(rule.protocol === undefined ? {} : { protocol: PROTOCOL_NUMBERS[rule.protocol] }),
    ...(range === undefined ? {} : { portRange: range.lowerPort === range.upperPort ? String(range.lowerPort) : `${range.lowerPort}:${range.upperPort}` }),
    ...(rule.sourceIpAddressPrefix === undefined || /^0\.0\.0\.0\/0$|^::\/0$/.test(rule.sourceIpAddressPrefix) ? {} : { sourcePrefix: rule.sourceIpAddressPrefix }),
    ...(rule.destinationIpAddressPrefix === undefined ? {} : { destinationPrefix: rule.destinationIpAddressPrefix }),
  };
}

/** Waits for all; throws the first failure once every one has settled (nothing is left running behind it). */
async function everyOrFirstFailure(work: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const failure = (await Promise.allSettled(work)).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

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

  /** Steers the NS's chains over the ports the given VNFs have now, but those of `leavingVnfcs`; answers the chains' records. */
  private async steerChainsOver(instance: NsInstance, vnfs: readonly NsVnfRecord[], leavingVnfcs: ReadonlySet<string> = new Set()): Promise<NsVnffgRecord[]> {
    const remaining = async (vnfInstanceId: string): Promise<VnfInstance | undefined> => {
      const vnf = await this.vnfInstance(vnfInstanceId);
      const info = vnf?.instantiatedVnfInfo;
      return vnf && info ? { ...vnf, instantiatedVnfInfo: { ...info, vnfcs: info.vnfcs.filter((vnfc) => !leavingVnfcs.has(vnfc.id)) } } : vnf;
    };
    const records = await chainsOver(remaining, instance, await this.nsdOf(instance), vnfs);
    for (const record of records) await this.options.chains().ensure(record.portChainId, record.spec);
    return records;
  }

  /** The chains steered over the NS's VNFs as the instance lists them (VNFs a rollback brought back have new ports). */
  private async restoreChains(nsInstanceId: string): Promise<void> {
    const instance = await this.instanceOf(nsInstanceId);
    const vnffgs = await this.steerChainsOver(instance, instance.vnfs);
    await this.changeInstance(nsInstanceId, (current) => ({ ...current, vnffgs }));
  }

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

  /**
   * Runs a VNF operation to its end: one already under way on the instance is waited for instead. With `signal`
   * (the NS step's), a FORCEFUL cancel of the NS operation is passed on to the VNF operation and the wait ends at
   * once; with `cancellation` (the NS step's), a GRACEFUL one is passed on, and the VNF operation is waited for
   * until it stops (FAILED_TEMP, cancelled) or ends.
   */
  private async settleVnfOperation(vnf: VnfInstance, start: () => Promise<Operation>, signal?: AbortSignal, cancellation?: AbortSignal): Promise<Operation> {
    const { lifecycle } = this.options.vnfm();
    const unfinished = (await lifecycle.engine.list({ resourceId: vnf.id })).find((operation) => operation.state === 'PROCESSING' || operation.state === 'ROLLING_BACK');
    signal?.throwIfAborted();
    const operation = unfinished ?? (await start());
    const cancelGracefully = () => void lifecycle.engine.cancel(operation.id, 'GRACEFUL').catch(() => undefined);
    if (cancellation?.aborted) cancelGracefully();
    else cancellation?.addEventListener('abort', cancelGracefully, { once: true });
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        lifecycle.engine.cancel(operation.id, 'FORCEFUL').catch(() => undefined);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([lifecycle.waitFor(operation.id, VNF_OPERATION_TIMEOUT_MS), aborted]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cancellation?.removeEventListener('abort', cancelGracefully);
    }
  }

  /**
   * Creates (or finds) and instantiates the VNF of one profile; throws with the VNF's error when it fails. An
   * instantiation of it left FAILED_TEMP is retried, unless `leavingFailedAsTheyAre` (a continue).
   */
  private async instantiateVnf(
    operationId: string,
    instance: NsInstance,
    nsd: Nsd,
    profileId: string,
    links: readonly NsVirtualLinkRecord[],
    request: InstantiateNsRequest,
    step?: Pick<StepContext, 'signal' | 'cancellation'>,
    leavingFailedAsTheyAre = false,
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
        if (failed && leavingFailedAsTheyAre) return failed;
        return failed ? lifecycle.engine.retry(failed.id) : lifecycle.start('INSTANTIATE', vnf, body);
      }, step?.signal, step?.cancellation);
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
    await this.rollBackFailedVnfOperation(vnf.id);
    const current = (await instances.instances.get(vnf.id))?.value;
    if (current?.instantiationState === 'INSTANTIATED') {
      const terminated = await lifecycle.waitFor((await lifecycle.start('TERMINATE', current, { terminationType: 'FORCEFUL' })).id, VNF_OPERATION_TIMEOUT_MS);
      if (terminated.state !== 'COMPLETED') throw new ProblemError(terminated.error?.status ?? 500, `VNF ${vnf.id} did not terminate: ${terminated.error?.detail ?? terminated.state}`);
    }
    await instances.delete(vnf.id);
  }

  /** Rolls back the VNF's operation left FAILED_TEMP (of that kind, when given), if there is one; throws unless it ends ROLLED_BACK. */
  private async rollBackFailedVnfOperation(vnfInstanceId: string, kind?: VnfLcmOperationType): Promise<void> {
    const { lifecycle } = this.options.vnfm();
    const failed = (await lifecycle.engine.list({ resourceId: vnfInstanceId })).find((operation) => operation.state === 'FAILED_TEMP' && (kind === undefined || operation.kind === kind));
    if (!failed) return;
    const rolledBack = await lifecycle.waitFor((await lifecycle.engine.rollback(failed.id)).id, VNF_OPERATION_TIMEOUT_MS);
    if (rolledBack.state !== 'ROLLED_BACK') throw new ProblemError(rolledBack.error?.status ?? 500, `VNF ${vnfInstanceId}: rollback of ${failed.kind} ended ${rolledBack.state}: ${rolledBack.error?.detail ?? ''}`);
  }

  /** What bringing the NS's VNFs back after a termination takes: each VNF instance's facts and the request it was instantiated with. */
  private async vnfSnapshots(vnfs: readonly NsVnfRecord[]): Promise<NsVnfSnapshot[]> {
    const { instances, lifecycle } = this.options.vnfm();
    const snapshots: NsVnfSnapshot[] = [];
    for (const record of vnfs) {
      const vnf = (await instances.instances.get(record.vnfInstanceId))?.value;
      if (!vnf) continue;
      const instantiations = vnf.instantiationState === 'INSTANTIATED' ? await lifecycle.engine.list({ resourceId: vnf.id, kind: 'INSTANTIATE', state: 'COMPLETED' }) : [];
      const latest = instantiations.reduce<Operation | undefined>((found, operation) => (found === undefined || operation.createdAt > found.createdAt ? operation : found), undefined);
      snapshots.push({
        ...record,
        vnfdId: vnf.vnfdId,
        ...(vnf.vnfInstanceName === undefined ? {} : { vnfInstanceName: vnf.vnfInstanceName }),
        ...(vnf.vnfInstanceDescription === undefined ? {} : { vnfInstanceDescription: vnf.vnfInstanceDescription }),
        ...(latest === undefined ? {} : { instantiateRequest: fromJson<VnfLcmInput>(latest.input).request }),
      });
    }
    return snapshots;
  }

  /**
   * A VNF a termination took away, back as it was: its failed termination rolled back, or (once terminated or
   * deleted) the instance created again under its id and instantiated through the VNFM with the request it was
   * first instantiated with. Its VNFCs and ports are new.
   */
  private async restoreVnf(instance: NsInstance, snapshot: NsVnfSnapshot): Promise<void> {
    const { instances, lifecycle } = this.options.vnfm();
    const operations = await lifecycle.engine.list({ resourceId: snapshot.vnfInstanceId });
    const unfinished = operations.find((operation) => operation.state === 'PROCESSING' || operation.state === 'ROLLING_BACK');
    if (unfinished) await lifecycle.waitFor(unfinished.id, VNF_OPERATION_TIMEOUT_MS);
    const failedTermination = (await lifecycle.engine.list({ resourceId: snapshot.vnfInstanceId })).find((operation) => operation.state === 'FAILED_TEMP' && operation.kind === 'TERMINATE');
    if (failedTermination) {
      const rolledBack = await lifecycle.waitFor((await lifecycle.engine.rollback(failedTermination.id)).id, VNF_OPERATION_TIMEOUT_MS);
      if (rolledBack.state !== 'ROLLED_BACK') {
        throw new ProblemError(rolledBack.error?.status ?? 500, `VNF ${snapshot.vnfProfileId} (instance ${snapshot.vnfInstanceId}): the rollback of its termination ended ${rolledBack.state}: ${rolledBack.error?.detail ?? ''}`);
      }
    }
    const { value: vnf } = await instances.create(
      instance.tenantId,
      { vnfdId: snapshot.vnfdId, ...(snapshot.vnfInstanceName === undefined ? {} : { vnfInstanceName: snapshot.vnfInstanceName }), ...(snapshot.vnfInstanceDescription === undefined ? {} : { vnfInstanceDescription: snapshot.vnfInstanceDescription }) },
      { id: snapshot.vnfInstanceId },
    );
    if (vnf.instantiationState === 'INSTANTIATED' || snapshot.instantiateRequest === undefined) return;
    const request = snapshot.instantiateRequest;
    const settled = await this.settleVnfOperation(vnf, async () => {
      const failed = (await lifecycle.engine.list({ resourceId: vnf.id })).find((operation) => operation.state === 'FAILED_TEMP' && operation.kind === 'INSTANTIATE');
      return failed ? lifecycle.engine.retry(failed.id) : lifecycle.start('INSTANTIATE', vnf, request);
    });
    if (settled.state !== 'COMPLETED') {
      throw new ProblemError(settled.error?.status ?? 500, `VNF ${snapshot.vnfProfileId} (instance ${vnf.id}) could not be brought back: ${settled.error?.detail ?? settled.state}`, {
        extensions: { vnfInstanceId: vnf.id, vnfLcmOpOccId: settled.id },
      });
    }
  }

  /** The NS's networks created again under their ids (what a termination removed). */
  private async restoreNetworks(instance: NsInstance): Promise<void> {
    const { networks } = this.options.vim();
    for (const link of instance.virtualLinks) {
      await networks.createNetwork(writer(instance.tenantId), { name: `ns-${instance.id.slice(0, 8)}-${link.nsVirtualLinkDescId}`, tenant_id: instance.tenantId }, { id: link.networkId });
    }
    this.options.vim().portsChanged();
  }

  /** The NS's SAP ports created again under their ids, with their MAC and addresses (what a termination removed). */
  private async restoreSaps(instance: NsInstance): Promise<void> {
    const { networks } = this.options.vim();
    for (const sap of instance.saps) {
      await networks.createPort(
        writer(instance.tenantId),
        {
          network_id: sap.networkId,
          tenant_id: instance.tenantId,
          name: sap.sapName,
          device_id: `ns-${instance.id}`,
          device_owner: 'nfvo:sap',
          mac_address: sap.macAddress,
          ...(sap.addresses.length > 0 ? { fixed_ips: sap.addresses.map((address) => ({ ip_address: address })) } : {}),
        },
        { id: sap.portId },
      );
    }
    this.options.vim().portsChanged();
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
    const vnfsOf = (ctx: Ctx): NsVnfRecord[] => fromJson<NsVnfOutcome[]>(ctx.outputs['vnfs']).filter((vnf) => !vnf.leftOut);
    /** The VNFs the instantiation level gives each profile (see ns-scaling.ts). */
    const plannedVnfs = (ctx: Ctx, nsd: Nsd) => instantiationVnfs(ctx.operationId, nsd, request(ctx).nsInstantiationLevelId);
    /** Every VNF instantiated at once; with `leavingFailuresOut` (a continue) those that fail are left out, not retried. */
    const instantiateVnfs = async (ctx: Ctx, leavingFailuresOut: boolean): Promise<NsVnfOutcome[]> => {
      const { instance, nsd } = await context(ctx);
      const planned = plannedVnfs(ctx, nsd);
      const outcomes = await Promise.allSettled(
        planned.map((vnf) => this.instantiateVnf(vnf.creationKey, instance, nsd, vnf.vnfProfileId, linksOf(ctx), request(ctx), ctx, leavingFailuresOut)),
      );
      const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failure && !leavingFailuresOut) throw failure.reason;
      return outcomes.map((outcome, index): NsVnfOutcome => {
        if (outcome.status === 'fulfilled') return outcome.value;
        const { vnfProfileId = '', vnfInstanceId = '' } = planned[index] ?? {};
        return { vnfProfileId, vnfInstanceId, leftOut: true };
      });
    };
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
        run: async (ctx) => toJson(await instantiateVnfs(ctx, false)),
        continue: async (ctx) => toJson(await instantiateVnfs(ctx, true)),
        compensate: async (ctx) => {
          const { nsd } = await context(ctx);
          await everyOrFirstFailure(plannedVnfs(ctx, nsd).map((vnf) => this.removeVnf(vnf.vnfInstanceId)));
        },
      },
      {
        name: 'vnffgs',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, nsd } = await context(ctx);
          // After a continue, graphs through a VNF that was left out are left out too.
          const leftOut = new Set(fromJson<NsVnfOutcome[]>(ctx.outputs['vnfs']).flatMap((vnf) => (vnf.leftOut ? [vnf.vnfProfileId] : [])));
          const complete = nsd.vnffgs.filter((vnffg) => !vnffg.nfps.some((nfp) => nfp.hops.some((hop) => hop.elements.some((element) => element.vnfProfileId !== undefined && leftOut.has(element.vnfProfileId)))));
          const records = await chainSpecs(this.vnfInstance, ctx.operationId, instance, nsd, vnfsOf(ctx), linksOf(ctx), new Set(complete.map((vnffg) => vnffg.vnffgId)));
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
          const atLevel = scaleStatusAtLevel((await context(ctx)).nsd, body.nsInstantiationLevelId);
          const scaleStatus = 'scaleStatus' in atLevel ? atLevel.scaleStatus : [];
          await this.changeInstance(ctx.resourceId, (instance) => ({
            ...instance,
            nsState: 'INSTANTIATED',
            flavourId: body.nsFlavourId,
            virtualLinks: linksOf(ctx),
            saps: fromJson<NsSapRecord[]>(ctx.outputs['saps']),
            // VNFs left out by a continue stay members, not instantiated: the NS's terminate removes them too.
            vnfs: fromJson<NsVnfOutcome[]>(ctx.outputs['vnfs']).map(({ vnfProfileId, vnfInstanceId }) => ({ vnfProfileId, vnfInstanceId })),
            vnffgs: fromJson<NsVnffgRecord[]>(ctx.outputs['vnffgs']),
            ...(scaleStatus.length > 0 ? { nsScaleStatus: scaleStatus } : {}),
          }));
        },
        compensate: async (ctx) => {
          await this.changeInstance(ctx.resourceId, ({ nsScaleStatus: _scaleStatus, ...instance }) => ({ ...instance, nsState: 'NOT_INSTANTIATED', virtualLinks: [], saps: [], vnfs: [], vnffgs: [] }));
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
          const { vnffgs } = await instanceOf(ctx);
          for (const vnffg of vnffgs) await this.options.chains().remove(vnffg.portChainId);
          return toJson(vnffgs);
        },
        compensate: async (ctx) => this.restoreChains(ctx.resourceId),
      },
      {
        name: 'vnfs',
        onRestart: 'resume',
        run: async (ctx) => {
          const instance = await instanceOf(ctx);
          // What bringing each VNF back takes, saved before the first is removed (a resumed run keeps the first save).
          if (ctx.progress === undefined) await ctx.checkpoint(toJson(await this.vnfSnapshots(instance.vnfs)));
          await everyOrFirstFailure(instance.vnfs.map((vnf) => this.removeVnf(vnf.vnfInstanceId)));
          return toJson(instance.vnfs);
        },
        compensate: async (ctx) => {
          const instance = await instanceOf(ctx);
          await everyOrFirstFailure(fromJson<NsVnfSnapshot[] | undefined>(ctx.progress)?.map((snapshot) => this.restoreVnf(instance, snapshot)) ?? []);
        },
      },
      {
        name: 'saps',
        onRestart: 'resume',
        run: async (ctx) => {
          const instance = await instanceOf(ctx);
          await this.removePorts(instance.tenantId, instance.saps.map((sap) => sap.portId));
          return toJson(instance.saps);
        },
        compensate: async (ctx) => this.restoreSaps(await instanceOf(ctx)),
      },
      {
        name: 'virtual-links',
        onRestart: 'resume',
        run: async (ctx) => {
          const instance = await instanceOf(ctx);
          await this.removeNetworks(instance.tenantId, instance.virtualLinks.map((link) => link.networkId));
          return toJson(instance.virtualLinks);
        },
        compensate: async (ctx) => this.restoreNetworks(await instanceOf(ctx)),
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          // A terminated NS is at no scale level: instantiated again, it starts at level 0 of every aspect.
          await this.changeInstance(ctx.resourceId, ({ nsScaleStatus: _scaleStatus, ...instance }) => ({ ...instance, nsState: 'NOT_INSTANTIATED', virtualLinks: [], saps: [], vnfs: [], vnffgs: [] }));
        },
      },
    ]);
  }

  /**
   * UPDATE (SOL 005 UpdateNsRequest): ADD_VNFFG (a forwarding graph of the NSD programmed again),
   * REMOVE_VNFFG, OPERATE_VNF (VNFs started or stopped through the VNFM), ADD_VNF (instantiated VNF instances
   * of the tenant join the NS), REMOVE_VNF (VNFs terminated and deleted), UPDATE_VNFFG (NFPs of a graph given a
   * new classification from their nfpRule, swapped on the switch in one bundle by `SteeredChains.reclassify`, or
   * deleted with their chain). `apply` -> `finalize`; rollback undoes `apply` (chains put back, removed or
   * reclassified with their previous rules, VNFs returned to their state), except for REMOVE_VNF, which is
   * retried. UPDATE_VNFFG is tested by test/nfvo/ns-update.test.ts.
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
          if (body.updateType === 'UPDATE_VNFFG') {
            const { vnffgs, reclassified, deleted } = updatedVnffgs(instance, body.updateVnffg ?? []);
            for (const record of vnffgs.filter((item) => reclassified.has(item.portChainId))) await this.options.chains().reclassify(record.portChainId, record.spec);
            for (const portChainId of deleted) await this.options.chains().remove(portChainId);
            return toJson({ ...membership, vnffgs });
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
          } else if (body.updateType === 'UPDATE_VNFFG') {
            // The NS record still holds the NFPs as they were (`finalize` writes the update): their chains get those back.
            const { reclassified, deleted } = updatedVnffgs(instance, body.updateVnffg ?? []);
            for (const record of instance.vnffgs) {
              if (deleted.has(record.portChainId)) await this.options.chains().ensure(record.portChainId, record.spec);
              else if (reclassified.has(record.portChainId)) await this.options.chains().reclassify(record.portChainId, record.spec);
            }
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
   * SCALE: `plan` (SCALE_NS: the aspects' target levels and the VNFs to add or remove, from the NSD's
   * VnfToLevelMapping) -> `narrow-chains` (chains stop steering to the VNFs that go) -> `vnfs` (SCALE_NS: VNFs
   * created and instantiated, or terminated and deleted, all at once; SCALE_VNF: each VNF scaled by steps of
   * its aspect through the VNFM) -> `vnffgs` (chains over the VNFs' ports now) -> `finalize` (VNFs, chains and
   * scale status of the NS). Rollback removes the added VNFs (or scales the VNFs back), brings the removed ones
   * back under their ids, and steers the chains over the NS's VNFs again.
   *
   * HEAL (healVnfData: each VNF's VNFCs recreated through the VNFM). One step, `vnfs`; rollback rolls back the
 * heals of the VNFs that failed.
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
    const scaleRequest = (ctx: Ctx) => fromJson<NsInput>(ctx.input).request as unknown as ScaleNsRequest;
    const planOf = (ctx: Ctx) => fromJson<NsScalingPlan>(ctx.outputs['plan']);
    /** The NS's VNFs once the plan is carried out (the same if it already was: `finalize` may run again after a crash). */
    const vnfsAfter = (instance: NsInstance, plan: NsScalingPlan): NsVnfRecord[] => [
      ...instance.vnfs.filter((vnf) => !plan.removed.some((removed) => removed.vnfInstanceId === vnf.vnfInstanceId)),
      ...plan.added.filter((added) => !instance.vnfs.some((vnf) => vnf.vnfInstanceId === added.vnfInstanceId)).map(({ vnfProfileId, vnfInstanceId }) => ({ vnfProfileId, vnfInstanceId })),
    ];
    const restoreChains = async (ctx: Ctx) => this.restoreChains(ctx.resourceId);
    this.engine.define('SCALE', [
      {
        name: 'plan',
        onRestart: 'resume',
        run: async (ctx) => {
          const body = scaleRequest(ctx);
          const instance = await this.instanceOf(ctx.resourceId);
          if (body.scaleType !== 'SCALE_NS') {
            const scaled = instance.vnfs.filter((vnf) => (body.scaleVnfData ?? []).some((item) => item.vnfInstanceId === vnf.vnfInstanceId));
            // The VNFCs the VNFM will remove (scale-in), which the chains must stop steering to first.
            const { instances, lifecycle } = this.options.vnfm();
            const leavingVnfcs: string[] = [];
            for (const item of scaleItems(ctx).filter((candidate) => candidate.scaleVnfType === 'SCALE_IN')) {
              const vnf = (await instances.instances.get(item.vnfInstanceId))?.value;
              if (vnf) leavingVnfcs.push(...(await lifecycle.vnfcsRemovedBy(vnf, scaleBody(item, false))).map((vnfc) => vnfc.id));
            }
            return toJson({ scaleStatus: instance.nsScaleStatus ?? [], added: [], removed: [], scaled, leavingVnfcs } satisfies NsScalingPlan);
          }
          const nsd = await this.nsdOf(instance);
          const target = targetScaleLevels(nsd, instance, body.scaleNsData);
          if ('violations' in target) throw new ProblemError(422, `The scaling no longer fits NS instance ${instance.id}.`, { violations: target.violations });
          return toJson(nsScalingPlan(ctx.operationId, nsd, instance, target.levels));
        },
      },
      {
        // Before VNFs go, the chains stop steering to them.
        name: 'narrow-chains',
        onRestart: 'resume',
        run: async (ctx) => {
          const plan = planOf(ctx);
          const leavingVnfcs = new Set(plan.leavingVnfcs ?? []);
          if (plan.removed.length === 0 && leavingVnfcs.size === 0) return;
          const instance = await this.instanceOf(ctx.resourceId);
          await this.steerChainsOver(instance, vnfsAfter(instance, { ...plan, added: [] }), leavingVnfcs);
        },
        compensate: restoreChains,
      },
      {
        name: 'vnfs',
        onRestart: 'resume',
        run: async (ctx) => {
          const body = scaleRequest(ctx);
          if (body.scaleType !== 'SCALE_NS') return this.runOnVnfs(scaleItems(ctx), 'SCALE', (item) => scaleBody(item, false), ctx.signal);
          const plan = planOf(ctx);
          const instance = await this.instanceOf(ctx.resourceId);
          const nsd = await this.nsdOf(instance);
          const request: InstantiateNsRequest = { nsFlavourId: instance.flavourId ?? nsd.flavourId, ...(body.scaleNsData?.additionalParamsForVnf ? { additionalParamsForVnf: body.scaleNsData.additionalParamsForVnf } : {}) };
          // What bringing back each VNF that goes takes, saved before the first goes (a resumed run keeps the first save).
          if (ctx.progress === undefined && plan.removed.length > 0) await ctx.checkpoint(toJson(await this.vnfSnapshots(plan.removed)));
          await everyOrFirstFailure([
            ...plan.added.map((vnf) => this.instantiateVnf(vnf.creationKey, instance, nsd, vnf.vnfProfileId, instance.virtualLinks, request, ctx)),
            ...plan.removed.map((vnf) => this.removeVnf(vnf.vnfInstanceId)),
          ]);
        },
        compensate: async (ctx) => {
          if (scaleRequest(ctx).scaleType !== 'SCALE_NS') return this.runOnVnfs(scaleItems(ctx), 'SCALE', (item) => scaleBody(item, true));
          const instance = await this.instanceOf(ctx.resourceId);
          const removed = fromJson<NsVnfSnapshot[] | undefined>(ctx.progress) ?? [];
          await everyOrFirstFailure([...planOf(ctx).added.map((vnf) => this.removeVnf(vnf.vnfInstanceId)), ...removed.map((snapshot) => this.restoreVnf(instance, snapshot))]);
        },
      },
      {
        name: 'vnffgs',
        onRestart: 'resume',
        run: async (ctx) => {
          const instance = await this.instanceOf(ctx.resourceId);
          return toJson(await this.steerChainsOver(instance, vnfsAfter(instance, planOf(ctx))));
        },
        compensate: restoreChains,
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const plan = planOf(ctx);
          const vnffgs = fromJson<NsVnffgRecord[]>(ctx.outputs['vnffgs']);
          await this.changeInstance(ctx.resourceId, (instance) => ({ ...instance, vnfs: vnfsAfter(instance, plan), vnffgs, ...(plan.scaleStatus.length > 0 ? { nsScaleStatus: plan.scaleStatus } : {}) }));
        },
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
        // A VNF whose heal failed has it rolled back (its VNFCs as they were, on their reservations and ports); a
        // VNF healed is left so: its VNFCs were created again from their specs, there is nothing to undo.
        compensate: async (ctx) => {
          const items = (fromJson<NsInput>(ctx.input).request as unknown as HealNsRequest).healVnfData ?? [];
          await everyOrFirstFailure(items.map((item) => this.rollBackFailedVnfOperation(item.vnfInstanceId, 'HEAL')));
        },
      },
    ]);
  }
}
