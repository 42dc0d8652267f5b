/**
 * The VNF lifecycle (SOL 003) as durable operations: each LCM operation occurrence is an operation of the
 * engine, persisted before any side effect, run as idempotent steps with compensations.
 *
 * INSTANTIATE: `grant` (the NFVO reserves every VNFC in the VIM) -> `virtual-links` (a network per internal VL)
 * -> `ports` (a port per attached CP, bound to the VNFC's host) -> `vnfcs` (define, plug, start on the host)
 * -> `finalize` (the instance becomes INSTANTIATED). Every step resumes after a crash.
 *
 * TERMINATE: `grant` -> `stop` (graceful or forceful) -> `vnfcs` (undefine, unplug) -> `ports` -> `virtual-links`
 * -> `finalize` (reservations released, NOT_INSTANTIATED). Rollback restores what the done steps removed, up to
 * `finalize`, which cannot be undone: a terminate that fails there is retried.
 *
 * OPERATE: `grant` -> `vnfcs` (start or stop every VNFC) -> `finalize` (vnfState); rollback puts the VNFCs back
 * in the state they were in.
 *
 * SCALE and SCALE_TO_LEVEL: `grant` (reservations for the VNFCs to add; the VNFCs to remove named) -> `stop`,
 * `remove-vnfcs`, `remove-ports` (the VNFCs to remove) -> `ports`, `vnfcs` (the VNFCs to add, attached as the
 * existing ones are) -> `finalize` (the instance's VNFCs and scale levels, then the removed VNFCs' reservations
 * are given back). Rollback restores what the done steps removed and removes what they added, up to the
 * release of reservations in `finalize`, which cannot be undone.
 *
 * HEAL: `grant` -> `vnfcs` (each VNFC named, or all, removed from its host and created again from its stored
 * spec, on the same reservation and ports).
 *
 * CHANGE_EXT_CONN: `grant` (nothing reserved; decides the external VLs after the request and, per VNFC, the CPs
 * that move) -> `ports` (a port per moved CP on its new network, ids derived from the occurrence) -> `vnfcs`
 * (each VNFC with a moved CP removed from its host and created again, as HEAL does, on the same reservation, with
 * its new ports) -> `remove-ports` (the ports the CPs left) -> `finalize` (the instance's external VLs and VNFC
 * records). Every step resumes after a crash. Rollback restores the old ports (same ids and MACs), re-creates the
 * VNFCs on them and removes the new ports.
 *
 * CHANGE_FLAVOUR: `grant` (reservations for the new flavour's VNFCs at the level asked for, the current VNFCs
 * named for removal) -> `stop`, `remove-vnfcs`, `remove-ports` (the current VNFCs, as a scale in) ->
 * `remove-virtual-links` (the VNFM-managed networks of the old flavour) -> `virtual-links`, `ports`, `vnfcs` (the
 * new flavour's, as INSTANTIATE makes them; external VLs from the request, else the instance's) -> `finalize`
 * (flavourId, level, scaleStatus, VNFCs and links, then the old VNFCs' reservations given back). The old
 * reservations are held until then, so the host needs room for both flavours at once. Every step resumes after a
 * crash. Rollback removes what the new flavour got and restores the old VNFCs, ports and networks, up to the
 * release of reservations in `finalize`, which cannot be undone (a change that fails there is retried).
 */
import type { VnfFlavour } from '../../descriptors/index.js';
import type { Grant, GrantRequest, OnboardedDescriptors } from '../../nfvo/index.js';
import {
  changeStored,
  fromJson,
  mergePatch,
  OperationEngine,
  ProblemError,
  toJson,
  type Logger,
  type Operation,
  type Repository,
  type StepContext,
  type StepDefinition,
  type Store,
} from '../../platform/index.js';
import type { VimServices } from '../../vim/index.js';
import type { VnfInstance } from '../instances/model.js';
import { type InstantiatedVnf, type VnfcPortRecord, type VnfcRecord, type VnfVirtualLinkRecord } from './model.js';
import { countsAtLevel, extConnectivityChange, plannedVnfcs, scaleChanges, scaleTarget, scaleToLevelTarget, type LevelOutcome, type PlannedVnfc, type ScaleOutcome, type ScaleStatus } from './plan.js';
import type {
  ChangeExtVnfConnectivityRequest,
  ChangeVnfFlavourRequest,
  ExtManagedVirtualLinkData,
  ExtVirtualLinkData,
  HealVnfRequest,
  InstantiateVnfRequest,
  OperateVnfRequest,
  ScaleVnfRequest,
  ScaleVnfToLevelRequest,
  TerminateVnfRequest,
} from './requests.js';
import { VnfResources } from './resources.js';

/** The Or-Vnfm reference point as the VNFM uses it: grants from the NFVO. */
export interface GrantProvider {
  grant(tenantId: string, request: GrantRequest): Promise<Grant>;
  /** Gives back what the grant asked for by an operation occurrence reserved (its rollback). */
  releaseForOperation(vnfLcmOpOccId: string): Promise<void>;
}

export type VnfLcmOperationType = 'INSTANTIATE' | 'SCALE' | 'SCALE_TO_LEVEL' | 'CHANGE_FLAVOUR' | 'TERMINATE' | 'HEAL' | 'OPERATE' | 'CHANGE_EXT_CONN' | 'MODIFY_INFO';

/** What every VNF LCM operation keeps as its input. */
export interface VnfLcmInput {
  vnfInstanceId: string;
  isAutomaticInvocation: boolean;
  request: Record<string, unknown>;
}

export const VNF_LCM_OP_OCCS_COLLECTION = 'vnfm_lcm_op_occs';
const DEFAULT_GRACEFUL_TIMEOUT_S = 60;

/** A VNFC to create, with the reservation the grant made for it. */
type GrantedVnfc = PlannedVnfc & { reservationId: string; hostId: string; zoneId: string };

interface GrantOutput {
  grantId: string;
  vnfcs: GrantedVnfc[];
  flavourId: string;
  scaleStatus: InstantiatedVnf['scaleStatus'];
  instantiationLevelId?: string;
}

/** What the grant step of SCALE and SCALE_TO_LEVEL decided: the changes, and the instance as it was before them. */
export interface ScaleGrantOutput {
  grantId: string;
  flavourId: string;
  vnfState: InstantiatedVnf['vnfState'];
  before: { vnfcs: VnfcRecord[]; scaleStatus: ScaleStatus; instantiationLevelId?: string };
  after: { scaleStatus: ScaleStatus; instantiationLevelId?: string };
  add: GrantedVnfc[];
  /** The most recently added VNFCs of their VDU first. */
  remove: VnfcRecord[];
}

/** What the grant step of OPERATE and HEAL keeps: the VNFCs it acts on and the VNF's state before. */
export interface VnfcsGrantOutput {
  grantId: string;
  vnfState: InstantiatedVnf['vnfState'];
  vnfcs: VnfcRecord[];
}

/** What the grant step of CHANGE_EXT_CONN decided: the external VLs before and after, and the VNFCs whose CPs move. */
export interface ExtConnGrantOutput {
  grantId: string;
  flavourId: string;
  vnfState: InstantiatedVnf['vnfState'];
  before: { extVirtualLinks: ExtVirtualLinkData[] };
  after: { extVirtualLinks: ExtVirtualLinkData[] };
  /** Each VNFC with a CP that moves, as it was, with its index among its VDU's VNFCs (for cpConfig) and the CPs. */
  moved: Array<{ vnfc: VnfcRecord; index: number; cpIds: string[] }>;
}

/** What the grant step of CHANGE_FLAVOUR decided: the instance as it was, the new flavour's level and VNFCs. */
export interface FlavourChangeGrantOutput {
  grantId: string;
  /** The new flavour. */
  flavourId: string;
  vnfState: InstantiatedVnf['vnfState'];
  before: InstantiatedVnf;
  after: { scaleStatus: ScaleStatus; instantiationLevelId?: string; extVirtualLinks: ExtVirtualLinkData[] };
  add: GrantedVnfc[];
}

/** 422 naming the part of the request body that cannot be done. */
function unprocessable(pointer: string, problem: string): ProblemError {
  return new ProblemError(422, problem, { violations: [{ pointer, message: problem, in: 'body' }] });
}

export interface VnfLifecycleOptions {
  store: Store;
  logger: Logger;
  instances: Repository<VnfInstance>;
  /** The NFVO's parsed onboarded descriptors (one cache for the process). */
  descriptors: () => OnboardedDescriptors;
  grants: () => GrantProvider;
  vim: () => VimServices;
  /** Lease of operations for engines sharing the store (replicas). */
  leaseMs?: number;
}

export class VnfLifecycle {
  readonly engine: OperationEngine;
  private readonly resources: VnfResources;

  constructor(private readonly options: VnfLifecycleOptions) {
    this.engine = new OperationEngine({
      store: options.store,
      logger: options.logger,
      collection: VNF_LCM_OP_OCCS_COLLECTION,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    });
    this.resources = new VnfResources(options.vim);
    this.defineInstantiate();
    this.defineTerminate();
    this.defineOperate();
    this.defineScale('SCALE', (flavour, info, request) => scaleTarget(flavour, info, request as unknown as ScaleVnfRequest));
    this.defineScale('SCALE_TO_LEVEL', (flavour, info, request) => scaleToLevelTarget(flavour, info, request as unknown as ScaleVnfToLevelRequest));
    this.defineHeal();
    this.defineModifyInfo();
    this.defineChangeExtConn();
    this.defineChangeFlavour();
  }

  /**
   * MODIFY_INFO (PATCH of the instance, SOL 003 clause 5.4.3.3.4): name, description, and the merge patches of
   * metadata, extensions and vnfConfigurableProperties, in one step that keeps what it replaced for rollback.
   */
  private defineModifyInfo(): void {
    const modifiable = ['vnfInstanceName', 'vnfInstanceDescription', 'metadata', 'extensions', 'vnfConfigurableProperties'] as const;
    type Modifiable = Pick<VnfInstance, (typeof modifiable)[number]>;
    this.engine.define('MODIFY_INFO', [
      {
        name: 'apply',
        onRestart: 'resume',
        run: async (ctx) => {
          const patch = fromJson<VnfLcmInput>(ctx.input).request;
          // A rerun finds the instance already changed: what it replaced is what the first run saved.
          const previous = fromJson<Modifiable | undefined>(ctx.progress) ?? pick((await this.instanceOf(ctx.resourceId)).value);
          await ctx.checkpoint(toJson(previous));
          await this.changeInstance(ctx.resourceId, (instance) => {
            const next = { ...instance };
            if ('vnfInstanceName' in patch) next.vnfInstanceName = (patch.vnfInstanceName as string | null) ?? undefined;
            if ('vnfInstanceDescription' in patch) next.vnfInstanceDescription = (patch.vnfInstanceDescription as string | null) ?? undefined;
            for (const key of ['metadata', 'extensions', 'vnfConfigurableProperties'] as const) {
              if (patch[key] !== undefined) next[key] = mergePatch(instance[key] ?? {}, patch[key]) as Record<string, unknown>;
            }
            return next;
          });
          return toJson(previous);
        },
        compensate: async (ctx, output) => {
          const previous = fromJson<Modifiable | undefined>(output ?? ctx.progress);
          if (previous === undefined) return;
          await this.changeInstance(ctx.resourceId, (instance) => ({ ...instance, ...previous }));
        },
      },
    ]);
    function pick(instance: VnfInstance): Modifiable {
      return Object.fromEntries(modifiable.map((key) => [key, instance[key]])) as Modifiable;
    }
  }

  /** Starts an operation on an instance: 409 with the occurrence in progress when there is one. */
  async start(type: VnfLcmOperationType, instance: VnfInstance, request: object, isAutomaticInvocation = false): Promise<Operation> {
    const input: VnfLcmInput = { vnfInstanceId: instance.id, isAutomaticInvocation, request: { ...request } };
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

  private async instanceOf(vnfInstanceId: string) {
    const found = await this.options.instances.get(vnfInstanceId);
    if (!found) throw new ProblemError(404, `VNF instance ${vnfInstanceId} no longer exists`);
    return found;
  }

  /** The instance's VNFD flavour; 422 with a pointer when the VNFD has none of that id. */
  async flavourOf(instance: VnfInstance, flavourId: string, pointer = '/flavourId'): Promise<VnfFlavour> {
    const onboarded = await this.options.descriptors().vnfd(instance.tenantId, instance.vnfdId);
    if (!onboarded) throw new ProblemError(409, `VNFD ${instance.vnfdId} is no longer onboarded`);
    const flavour = onboarded.contents.vnfd.flavours.find((candidate) => candidate.flavourId === flavourId);
    if (!flavour) {
      throw new ProblemError(422, `VNFD ${instance.vnfdId} has no deployment flavour ${flavourId} (it has ${onboarded.contents.vnfd.flavours.map((item) => item.flavourId).join(', ')})`, {
        violations: [{ pointer, message: 'names no flavour of the VNFD', in: 'body' }],
      });
    }
    return flavour;
  }

  /** What an instance holds; 409 unless INSTANTIATED. */
  private static infoOf(instance: VnfInstance): InstantiatedVnf {
    if (instance.instantiationState !== 'INSTANTIATED' || !instance.instantiatedVnfInfo) throw new ProblemError(409, `VNF instance ${instance.id} is NOT_INSTANTIATED`);
    return instance.instantiatedVnfInfo;
  }

  /** The instance and what it holds; 409 unless INSTANTIATED. */
  private async instantiated(vnfInstanceId: string): Promise<{ instance: VnfInstance; info: InstantiatedVnf }> {
    const { value: instance } = await this.instanceOf(vnfInstanceId);
    return { instance, info: VnfLifecycle.infoOf(instance) };
  }

  /**
   * What a SCALE (`kind`) or SCALE_TO_LEVEL request would reach from the instance as it is, or 422 with a pointer
   * into the request when the aspect, level or step count is not possible. Nothing starts on a refusal.
   */
  async scaleTargetOf(kind: 'SCALE' | 'SCALE_TO_LEVEL', instance: VnfInstance, request: ScaleVnfRequest | ScaleVnfToLevelRequest): Promise<ScaleOutcome & { ok: true }> {
    const info = VnfLifecycle.infoOf(instance);
    const flavour = await this.flavourOf(instance, info.flavourId);
    const outcome = kind === 'SCALE' ? scaleTarget(flavour, info, request as ScaleVnfRequest) : scaleToLevelTarget(flavour, info, request as ScaleVnfToLevelRequest);
    if (!outcome.ok) throw unprocessable(outcome.pointer, outcome.problem);
    return outcome;
  }

  /**
   * The VNFCs a SCALE request would remove from the instance as it is (the most recently added of their VDU
   * first), or 422 as `scaleTargetOf`: what an NS steering to the VNF stops steering to before it scales in.
   */
  async vnfcsRemovedBy(instance: VnfInstance, request: ScaleVnfRequest): Promise<VnfcRecord[]> {
    const { target } = await this.scaleTargetOf('SCALE', instance, request);
    return scaleChanges('', instance.instantiatedVnfInfo?.vnfcs ?? [], target.counts).remove;
  }

  /** The VNFCs a heal request names (all when none): 422 with a pointer for an id the instance has no VNFC of. */
  healedVnfcs(instance: VnfInstance, request: HealVnfRequest): VnfcRecord[] {
    const info = VnfLifecycle.infoOf(instance);
    if (request.vnfcInstanceId === undefined || request.vnfcInstanceId.length === 0) return info.vnfcs;
    const healed: VnfcRecord[] = [];
    for (const [index, id] of request.vnfcInstanceId.entries()) {
      const vnfc = info.vnfcs.find((candidate) => candidate.id === id);
      if (!vnfc) {
        throw unprocessable(`/vnfcInstanceId/${index}`, `VNF instance ${instance.id} has no VNFC ${id}`);
      }
      if (!healed.includes(vnfc)) healed.push(vnfc);
    }
    return healed;
  }

  /**
   * What a CHANGE_EXT_CONN request changes on the instance as it is: its external VLs once changed and the VDU
   * CPs that move; 422 with a pointer for an external CP the flavour does not expose or a network the tenant
   * cannot see. Nothing starts on a refusal.
   */
  async extConnectivityChangeOf(instance: VnfInstance, request: ChangeExtVnfConnectivityRequest): Promise<{ info: InstantiatedVnf; flavour: VnfFlavour; extVirtualLinks: ExtVirtualLinkData[]; movedCpIds: Set<string> }> {
    const info = VnfLifecycle.infoOf(instance);
    const flavour = await this.flavourOf(instance, info.flavourId);
    const change = extConnectivityChange(flavour, info.extVirtualLinks, request.extVirtualLinks);
    if (!change.ok) throw unprocessable(change.pointer, change.problem);
    await this.checkNetworks(instance.tenantId, request.extVirtualLinks, []);
    return { info, flavour, extVirtualLinks: change.extVirtualLinks, movedCpIds: change.movedCpIds };
  }

  /**
   * The flavour and instantiation level a CHANGE_FLAVOUR request moves the instance to; 422 with a pointer for a
   * flavour the VNFD lacks or the instance already has, a level the flavour lacks, an external CP it does not
   * expose, a VL it does not have or a network the tenant cannot see. Nothing starts on a refusal.
   */
  async flavourChangeOf(instance: VnfInstance, request: ChangeVnfFlavourRequest): Promise<{ info: InstantiatedVnf; flavour: VnfFlavour; level: LevelOutcome & { ok: true } }> {
    const info = VnfLifecycle.infoOf(instance);
    if (request.newFlavourId === info.flavourId) throw unprocessable('/newFlavourId', `VNF instance ${instance.id} already has the deployment flavour ${info.flavourId}`);
    const flavour = await this.flavourOf(instance, request.newFlavourId, '/newFlavourId');
    const level = countsAtLevel(flavour, request.instantiationLevelId);
    if (!level.ok) throw unprocessable('/instantiationLevelId', level.problem);
    const change = extConnectivityChange(flavour, [], request.extVirtualLinks ?? []);
    if (!change.ok) throw unprocessable(change.pointer, change.problem);
    for (const [index, link] of (request.extManagedVirtualLinks ?? []).entries()) {
      if (!flavour.virtualLinks.some((candidate) => candidate.virtualLinkId === link.vnfVirtualLinkDescId)) {
        throw unprocessable(`/extManagedVirtualLinks/${index}/vnfVirtualLinkDescId`, `flavour ${flavour.flavourId} has no virtual link ${link.vnfVirtualLinkDescId}`);
      }
    }
    await this.checkNetworks(instance.tenantId, request.extVirtualLinks ?? [], request.extManagedVirtualLinks ?? []);
    return { info, flavour, level };
  }

  /** 422 with a pointer for a link whose network does not exist or is not the tenant's to use. */
  private async checkNetworks(tenantId: string, links: readonly ExtVirtualLinkData[], managed: readonly ExtManagedVirtualLinkData[]): Promise<void> {
    const { networks } = this.options.vim();
    const given = [
      ...links.map((link, index) => ({ link, pointer: `/extVirtualLinks/${index}/resourceId` })),
      ...managed.map((link, index) => ({ link, pointer: `/extManagedVirtualLinks/${index}/resourceId` })),
    ];
    for (const { link, pointer } of given) {
      if (!(await networks.network(link.resourceId, tenantId))) throw unprocessable(pointer, `${link.id}: network ${link.resourceId} does not exist or is not visible to the tenant`);
    }
  }

  /** Changes what an instantiated instance holds. */
  private async changeInfo(vnfInstanceId: string, change: (info: InstantiatedVnf) => InstantiatedVnf): Promise<void> {
    await this.changeInstance(vnfInstanceId, (instance) => {
      if (!instance.instantiatedVnfInfo) throw new ProblemError(409, `VNF instance ${instance.id} is NOT_INSTANTIATED`);
      return { ...instance, instantiatedVnfInfo: change(instance.instantiatedVnfInfo) };
    });
  }

  /** The records of VNFCs about to be created: their claims, hosts, ports and the spec their host builds them from. */
  private async recordsOf(instance: VnfInstance, flavour: VnfFlavour, grantId: string, vnfcs: readonly GrantedVnfc[], ports: Readonly<Record<string, VnfcPortRecord[]>>): Promise<VnfcRecord[]> {
    const { scheduler } = this.options.vim();
    const claims = new Map((await scheduler.claimsOf({ owner: grantId })).map((claim) => [claim.id, claim]));
    const segmentOf = await this.segmentsOf(Object.values(ports).flat());
    const records: VnfcRecord[] = [];
    for (const vnfc of vnfcs) {
      const claim = claims.get(vnfc.reservationId);
      if (!claim) throw new ProblemError(409, `the reservation ${vnfc.reservationId} of VNFC ${vnfc.id} is gone`);
      const { host } = await this.resources.hostOf(vnfc);
      const name = `vnf-${instance.id.slice(0, 8)}-${vnfc.vduId}-${vnfc.id.slice(0, 8)}`.replace(/[^A-Za-z0-9_.-]/g, '-');
      const vnfcPorts = ports[vnfc.id] ?? [];
      records.push({
        id: vnfc.id,
        vduId: vnfc.vduId,
        name,
        hostId: vnfc.hostId,
        zoneId: vnfc.zoneId,
        integrationBridge: host.integrationBridge,
        reservationId: vnfc.reservationId,
        grantId,
        ports: vnfcPorts,
        spec: VnfResources.specOf({ id: vnfc.id, name }, flavour, vnfc.vduId, claim, host.integrationBridge, vnfcPorts, segmentOf),
      });
    }
    return records;
  }

  /** The grant's reservations matched to the VNFCs asked for. */
  private static granted(grant: Grant, planned: readonly PlannedVnfc[]): GrantedVnfc[] {
    const byResource = new Map(grant.addResources.map((info) => [info.resourceDefinitionId, info]));
    return planned.map((vnfc) => {
      const info = byResource.get(vnfc.id);
      if (!info) throw new ProblemError(500, `the grant has no reservation for VNFC ${vnfc.id}`);
      return { ...vnfc, reservationId: info.reservationId, hostId: info.hostId, zoneId: info.zoneId };
    });
  }

  /** Writes the instance through a change function, retrying on concurrent writes. */
  private async changeInstance(vnfInstanceId: string, change: (instance: VnfInstance) => VnfInstance): Promise<void> {
    if (!(await changeStored(this.options.instances, vnfInstanceId, (instance) => change(structuredClone(instance))))) {
      throw new ProblemError(404, `VNF instance ${vnfInstanceId} no longer exists`);
    }
  }

  /** The VLAN (or VNI) of each network the ports are on: what an SR-IOV VF is tagged with. */
  private async segmentsOf(ports: readonly VnfcPortRecord[]): Promise<(networkId: string) => number | undefined> {
    const { networks } = this.options.vim();
    const segments = new Map<string, number | undefined>();
    for (const port of ports) {
      if (!segments.has(port.networkId)) segments.set(port.networkId, (await networks.network(port.networkId))?.segment.segmentationId ?? undefined);
    }
    return (networkId) => segments.get(networkId);
  }

  /** The `virtual-links` step: a network per internal VL of the flavour, unless the request gives one. */
  private virtualLinksStep(
    contextOf: (ctx: StepContext) => Promise<{ instance: VnfInstance; flavour: VnfFlavour }>,
    managedOf: (ctx: StepContext) => ExtManagedVirtualLinkData[],
  ): StepDefinition {
    return {
      name: 'virtual-links',
      onRestart: 'resume',
      run: async (ctx) => {
        const { instance, flavour } = await contextOf(ctx);
        return toJson(await this.resources.createVirtualLinks(ctx.operationId, instance.tenantId, instance.id, flavour, managedOf(ctx)));
      },
      compensate: async (ctx) => {
        const { instance, flavour } = await contextOf(ctx);
        await this.resources.removeVirtualLinks(instance.tenantId, VnfResources.plannedVirtualLinks(ctx.operationId, flavour));
      },
    };
  }

  /**
   * The `ports` and `vnfcs` steps of the operations that create VNFCs (INSTANTIATE, SCALE, CHANGE_FLAVOUR): a
   * port per attached CP, then every VNFC defined and plugged on its host, and started when the VNF runs. Their
   * ids derive from the operation, so a rerun finds what the first run made; the compensation removes only the
   * VNFCs that were handed to a host (a host never reached has nothing to undo).
   */
  private creationSteps(of: {
    contextOf: (ctx: StepContext) => Promise<{ instance: VnfInstance; flavour: VnfFlavour }>;
    grantOf: (ctx: StepContext) => { grantId: string; vnfcs: GrantedVnfc[] };
    linksOf: (ctx: StepContext) => Promise<{ virtualLinks: readonly VnfVirtualLinkRecord[]; extVirtualLinks: readonly ExtVirtualLinkData[] }>;
    running: (ctx: StepContext) => boolean;
  }): StepDefinition[] {
    const portsOf = (ctx: StepContext) => fromJson<Record<string, VnfcPortRecord[]>>(ctx.outputs['ports']);
    const records = async (ctx: StepContext, only?: ReadonlySet<string>): Promise<VnfcRecord[]> => {
      const { instance, flavour } = await of.contextOf(ctx);
      const { grantId, vnfcs } = of.grantOf(ctx);
      return this.recordsOf(instance, flavour, grantId, only === undefined ? vnfcs : vnfcs.filter((vnfc) => only.has(vnfc.id)), portsOf(ctx));
    };
    return [
      {
        name: 'ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, flavour } = await of.contextOf(ctx);
          const { virtualLinks, extVirtualLinks } = await of.linksOf(ctx);
          const ports: Record<string, VnfcPortRecord[]> = {};
          for (const vnfc of of.grantOf(ctx).vnfcs) {
            ports[vnfc.id] = await this.resources.createPorts(ctx.operationId, instance.tenantId, vnfc, vnfc.hostId, flavour, virtualLinks, extVirtualLinks);
          }
          this.options.vim().portsChanged();
          return toJson(ports);
        },
        compensate: async (ctx) => {
          const { instance, flavour } = await of.contextOf(ctx);
          const portIds = of.grantOf(ctx).vnfcs.flatMap((vnfc) => VnfResources.plannedPortIds(ctx.operationId, vnfc, flavour));
          await this.resources.removePorts(instance.tenantId, portIds);
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          const created = await records(ctx);
          const running = of.running(ctx);
          const handed = new Set(fromJson<string[] | undefined>(ctx.progress) ?? []);
          await Promise.all(
            created.map(async (vnfc) => {
              await this.resources.hostOf(vnfc);
              handed.add(vnfc.id);
              await ctx.checkpoint(toJson([...handed]));
              await this.resources.ensureVnfc(vnfc, running);
            }),
          );
          // As Nova waits for Neutron's vif-plugged: a running VNFC is up once the switch has its ports (a stopped one has none there yet).
          if (running) await this.resources.waitForBinding(created.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)), ctx.signal);
          return toJson(created);
        },
        compensate: async (ctx) => {
          const handed = new Set(fromJson<string[] | undefined>(ctx.progress) ?? []);
          await Promise.all((await records(ctx, handed)).map((vnfc) => this.resources.removeVnfc(vnfc)));
        },
      },
    ];
  }

  /**
   * The `stop`, `remove-vnfcs` and `remove-ports` steps of the operations that remove VNFCs (SCALE in,
   * CHANGE_FLAVOUR): a graceful stop, the VNFCs off their hosts, their ports deleted. The compensations put each
   * VNFC back from its stored spec, on its reservation (still held until `finalize`), with the same ports and MACs.
   */
  private removalSteps(removedOf: (ctx: StepContext) => VnfcRecord[], running: (ctx: StepContext) => boolean): StepDefinition[] {
    const tenantOf = async (ctx: StepContext) => (await this.instanceOf(ctx.resourceId)).value.tenantId;
    return [
      {
        name: 'stop',
        onRestart: 'resume',
        run: async (ctx) => {
          const timeoutMs = DEFAULT_GRACEFUL_TIMEOUT_S * 1000;
          await Promise.all(removedOf(ctx).map((vnfc) => this.resources.stopVnfc(vnfc, true, timeoutMs)));
        },
        compensate: async (ctx) => {
          if (!running(ctx)) return;
          await Promise.all(removedOf(ctx).map((vnfc) => this.resources.ensureVnfc(vnfc, true)));
        },
      },
      {
        name: 'remove-vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          await Promise.all(removedOf(ctx).map((vnfc) => this.resources.removeVnfc(vnfc)));
        },
        compensate: async (ctx) => {
          // Its ports are back by now (`remove-ports` is compensated first): defined from its stored spec, as it was.
          await Promise.all(removedOf(ctx).map((vnfc) => this.resources.ensureVnfc(vnfc, running(ctx))));
        },
      },
      {
        name: 'remove-ports',
        onRestart: 'resume',
        run: async (ctx) => {
          await this.resources.removePorts(await tenantOf(ctx), removedOf(ctx).flatMap((vnfc) => vnfc.ports.map((port) => port.portId)));
        },
        compensate: async (ctx) => {
          await this.resources.restorePorts(await tenantOf(ctx), removedOf(ctx));
        },
      },
    ];
  }

  /** Gives back the reservations of the VNFCs an operation removed: the point of no return of SCALE in and CHANGE_FLAVOUR. */
  private async releaseReservations(removed: readonly VnfcRecord[]): Promise<void> {
    const { scheduler } = this.options.vim();
    for (const vnfc of removed) await scheduler.releaseOne(vnfc.reservationId);
  }

  /** 409 when a removed VNFC's reservation was already given back: what was removed can no longer be restored. */
  private async checkReservationsHeld(removed: readonly VnfcRecord[], operation: string): Promise<void> {
    if (removed.length === 0) return;
    const { scheduler } = this.options.vim();
    const held = new Set<string>();
    for (const owner of new Set(removed.map((vnfc) => vnfc.grantId))) {
      for (const claim of await scheduler.claimsOf({ owner })) held.add(claim.id);
    }
    if (removed.some((vnfc) => !held.has(vnfc.reservationId))) {
      throw new ProblemError(409, `the reservations of the removed VNFCs were given back: a ${operation} that failed while finishing is retried, not rolled back`);
    }
  }

  private defineInstantiate(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as InstantiateVnfRequest;
    const grantOf = (ctx: Ctx) => fromJson<GrantOutput>(ctx.outputs['grant']);
    const linksOf = (ctx: Ctx) => fromJson<VnfVirtualLinkRecord[]>(ctx.outputs['virtual-links']);
    const context = async (ctx: Ctx) => {
      const { value: instance } = await this.instanceOf(ctx.resourceId);
      return { instance, flavour: await this.flavourOf(instance, request(ctx).flavourId) };
    };

    this.engine.define('INSTANTIATE', [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          // Two requests can pass the API's check one after the other; the operation claim orders them, this ends the second.
          if (instance.instantiationState === 'INSTANTIATED') throw new ProblemError(409, `VNF instance ${instance.id} is already INSTANTIATED`);
          const body = request(ctx);
          const level = countsAtLevel(flavour, body.instantiationLevelId);
          if (!level.ok) throw unprocessable('/instantiationLevelId', level.problem);
          const planned = plannedVnfcs(ctx.operationId, level.counts);
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: flavour.flavourId,
            operation: 'INSTANTIATE',
            isAutomaticInvocation: fromJson<VnfLcmInput>(ctx.input).isAutomaticInvocation,
            ...(level.level ? { instantiationLevelId: level.level.levelId } : {}),
            addResources: planned.map((vnfc) => ({ id: vnfc.id, type: 'COMPUTE', vduId: vnfc.vduId, resourceTemplateId: vnfc.vduId })),
          });
          const output: GrantOutput = {
            grantId: grant.id,
            flavourId: flavour.flavourId,
            scaleStatus: level.scaleStatus,
            ...(level.level ? { instantiationLevelId: level.level.levelId } : {}),
            vnfcs: VnfLifecycle.granted(grant, planned),
          };
          return toJson(output);
        },
        compensate: async (ctx) => {
          // Also after a grant step that failed half way: whatever it reserved is released.
          await this.options.grants().releaseForOperation(ctx.operationId);
        },
      },
      this.virtualLinksStep(context, (ctx) => request(ctx).extManagedVirtualLinks ?? []),
      ...this.creationSteps({
        contextOf: context,
        grantOf,
        linksOf: async (ctx) => ({ virtualLinks: linksOf(ctx), extVirtualLinks: request(ctx).extVirtualLinks ?? [] }),
        running: () => true,
      }),
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const grant = grantOf(ctx);
          const body = request(ctx);
          const info: InstantiatedVnf = {
            flavourId: grant.flavourId,
            ...(grant.instantiationLevelId === undefined ? {} : { instantiationLevelId: grant.instantiationLevelId }),
            vnfState: 'STARTED',
            scaleStatus: grant.scaleStatus,
            vnfcs: fromJson<VnfcRecord[]>(ctx.outputs['vnfcs']),
            virtualLinks: linksOf(ctx),
            extVirtualLinks: body.extVirtualLinks ?? [],
          };
          await this.changeInstance(ctx.resourceId, (instance) => ({ ...instance, instantiationState: 'INSTANTIATED', instantiatedVnfInfo: info }));
        },
        compensate: async (ctx) => {
          await this.changeInstance(ctx.resourceId, (instance) => {
            const { instantiatedVnfInfo: _removed, ...rest } = instance;
            return { ...rest, instantiationState: 'NOT_INSTANTIATED' };
          });
        },
      },
    ]);
  }

  private defineTerminate(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as TerminateVnfRequest;
    const instantiated = async (ctx: Ctx) => {
      const { value: instance } = await this.instanceOf(ctx.resourceId);
      if (!instance.instantiatedVnfInfo) throw new ProblemError(409, `VNF instance ${instance.id} is not instantiated`);
      return { instance, info: instance.instantiatedVnfInfo };
    };
    const gracefulOf = (ctx: Ctx) => {
      const body = request(ctx);
      return { graceful: body.terminationType === 'GRACEFUL', timeoutMs: (body.gracefulTerminationTimeout ?? DEFAULT_GRACEFUL_TIMEOUT_S) * 1000 };
    };
    this.engine.define('TERMINATE', [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info } = await instantiated(ctx);
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: info.flavourId,
            operation: 'TERMINATE',
            isAutomaticInvocation: fromJson<VnfLcmInput>(ctx.input).isAutomaticInvocation,
            removeResources: info.vnfcs.map((vnfc) => ({ id: vnfc.id, type: 'COMPUTE', vduId: vnfc.vduId, resource: { resourceId: vnfc.id, vimLevelResourceType: 'Domain' } })),
          });
          // What the operation removes, for its resourceChanges once the instance no longer holds them.
          return toJson({ grantId: grant.id, vnfcs: info.vnfcs, virtualLinks: info.virtualLinks });
        },
      },
      {
        name: 'stop',
        onRestart: 'resume',
        run: async (ctx) => {
          const { info } = await instantiated(ctx);
          const { graceful, timeoutMs } = gracefulOf(ctx);
          await Promise.all(info.vnfcs.map((vnfc) => this.resources.stopVnfc(vnfc, graceful, timeoutMs)));
        },
        compensate: async (ctx) => {
          const { info } = await instantiated(ctx);
          await Promise.all(info.vnfcs.map((vnfc) => this.resources.startVnfc(vnfc)));
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          const { info } = await instantiated(ctx);
          await Promise.all(info.vnfcs.map((vnfc) => this.resources.removeVnfc(vnfc)));
        },
        compensate: async (ctx) => {
          const { info } = await instantiated(ctx);
          await Promise.all(info.vnfcs.map((vnfc) => this.resources.startVnfc(vnfc)));
        },
      },
      {
        name: 'ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info } = await instantiated(ctx);
          await this.resources.removePorts(instance.tenantId, info.vnfcs.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)));
        },
        compensate: async (ctx) => {
          const { instance, info } = await instantiated(ctx);
          await this.resources.restorePorts(instance.tenantId, info.vnfcs);
        },
      },
      {
        name: 'virtual-links',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info } = await instantiated(ctx);
          await this.resources.removeVirtualLinks(instance.tenantId, info.virtualLinks);
        },
        compensate: async (ctx) => {
          const { instance, info } = await instantiated(ctx);
          await this.resources.restoreVirtualLinks(instance.tenantId, instance.id, info.virtualLinks);
        },
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const { info } = await instantiated(ctx);
          const { scheduler } = this.options.vim();
          for (const vnfc of info.vnfcs) await scheduler.releaseOne(vnfc.reservationId);
          await this.changeInstance(ctx.resourceId, (instance) => {
            const { instantiatedVnfInfo: _removed, ...rest } = instance;
            return { ...rest, instantiationState: 'NOT_INSTANTIATED' };
          });
        },
        compensate: async () => {
          throw new ProblemError(409, 'the reservations of a terminated VNF were given back: a terminate that failed while finishing is retried, not rolled back');
        },
      },
    ]);
  }

  private defineOperate(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as OperateVnfRequest;
    const grantOf = (ctx: Ctx) => fromJson<VnfcsGrantOutput>(ctx.outputs['grant']);
    /** Puts every VNFC in the state the VNF is to be in; a stop as the request says, forceful unless told. */
    const toState = async (vnfcs: readonly VnfcRecord[], state: InstantiatedVnf['vnfState'], body: Partial<OperateVnfRequest>) => {
      if (state === 'STARTED') {
        await Promise.all(vnfcs.map((vnfc) => this.resources.ensureVnfc(vnfc, true)));
        return;
      }
      const graceful = body.stopType === 'GRACEFUL';
      const timeoutMs = (body.gracefulStopTimeout ?? DEFAULT_GRACEFUL_TIMEOUT_S) * 1000;
      await Promise.all(vnfcs.map((vnfc) => this.resources.stopVnfc(vnfc, graceful, timeoutMs)));
    };
    this.engine.define('OPERATE', [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info } = await this.instantiated(ctx.resourceId);
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: info.flavourId,
            operation: 'OPERATE',
            isAutomaticInvocation: fromJson<VnfLcmInput>(ctx.input).isAutomaticInvocation,
          });
          const output: VnfcsGrantOutput = { grantId: grant.id, vnfState: info.vnfState, vnfcs: info.vnfcs };
          return toJson(output);
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          const body = request(ctx);
          await toState(grantOf(ctx).vnfcs, body.changeStateTo, body);
        },
        compensate: async (ctx) => {
          const { vnfcs, vnfState } = grantOf(ctx);
          await toState(vnfcs, vnfState, { stopType: 'FORCEFUL' });
        },
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const state = request(ctx).changeStateTo;
          await this.changeInfo(ctx.resourceId, (info) => ({ ...info, vnfState: state }));
        },
        compensate: async (ctx) => {
          const state = grantOf(ctx).vnfState;
          await this.changeInfo(ctx.resourceId, (info) => ({ ...info, vnfState: state }));
        },
      },
    ]);
  }

  private defineScale(kind: 'SCALE' | 'SCALE_TO_LEVEL', targetOf: (flavour: VnfFlavour, info: InstantiatedVnf, request: Record<string, unknown>) => ScaleOutcome): void {
    type Ctx = StepContext;
    const input = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input);
    const grantOf = (ctx: Ctx) => fromJson<ScaleGrantOutput>(ctx.outputs['grant']);
    const context = async (ctx: Ctx) => {
      const { instance, info } = await this.instantiated(ctx.resourceId);
      return { instance, info, flavour: await this.flavourOf(instance, grantOf(ctx).flavourId) };
    };
    const running = (ctx: Ctx) => grantOf(ctx).vnfState === 'STARTED';
    this.engine.define(kind, [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info } = await this.instantiated(ctx.resourceId);
          const flavour = await this.flavourOf(instance, info.flavourId);
          const outcome = targetOf(flavour, info, input(ctx).request);
          if (!outcome.ok) throw unprocessable(outcome.pointer, outcome.problem);
          const { target } = outcome;
          const { add, remove } = scaleChanges(ctx.operationId, info.vnfcs, target.counts);
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: flavour.flavourId,
            operation: kind,
            isAutomaticInvocation: input(ctx).isAutomaticInvocation,
            ...(target.instantiationLevelId === undefined ? {} : { instantiationLevelId: target.instantiationLevelId }),
            addResources: add.map((vnfc) => ({ id: vnfc.id, type: 'COMPUTE', vduId: vnfc.vduId, resourceTemplateId: vnfc.vduId })),
            removeResources: remove.map((vnfc) => ({ id: vnfc.id, type: 'COMPUTE', vduId: vnfc.vduId, resource: { resourceId: vnfc.id, vimLevelResourceType: 'Domain' } })),
          });
          const output: ScaleGrantOutput = {
            grantId: grant.id,
            flavourId: flavour.flavourId,
            vnfState: info.vnfState,
            before: { vnfcs: info.vnfcs, scaleStatus: info.scaleStatus, ...(info.instantiationLevelId === undefined ? {} : { instantiationLevelId: info.instantiationLevelId }) },
            after: { scaleStatus: target.scaleStatus, ...(target.instantiationLevelId === undefined ? {} : { instantiationLevelId: target.instantiationLevelId }) },
            add: VnfLifecycle.granted(grant, add),
            remove,
          };
          return toJson(output);
        },
        compensate: async (ctx) => {
          // Also after a grant step that failed half way: whatever it reserved is released.
          await this.options.grants().releaseForOperation(ctx.operationId);
        },
      },
      ...this.removalSteps((ctx) => grantOf(ctx).remove, running),
      ...this.creationSteps({
        contextOf: context,
        grantOf: (ctx) => ({ grantId: grantOf(ctx).grantId, vnfcs: grantOf(ctx).add }),
        linksOf: async (ctx) => {
          const { info } = await context(ctx);
          return { virtualLinks: info.virtualLinks, extVirtualLinks: info.extVirtualLinks };
        },
        running,
      }),
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const grant = grantOf(ctx);
          const added = fromJson<VnfcRecord[] | undefined>(ctx.outputs['vnfcs']) ?? [];
          const removed = new Set(grant.remove.map((vnfc) => vnfc.id));
          await this.changeInfo(ctx.resourceId, (info) => {
            const { instantiationLevelId: _previous, ...rest } = info;
            return {
              ...rest,
              ...(grant.after.instantiationLevelId === undefined ? {} : { instantiationLevelId: grant.after.instantiationLevelId }),
              scaleStatus: grant.after.scaleStatus,
              vnfcs: [...grant.before.vnfcs.filter((vnfc) => !removed.has(vnfc.id)), ...added],
            };
          });
          // The point of no return: a removed VNFC's reservation may be taken by someone else once given back.
          await this.releaseReservations(grant.remove);
        },
        compensate: async (ctx) => {
          const grant = grantOf(ctx);
          await this.checkReservationsHeld(grant.remove, 'scale');
          await this.changeInfo(ctx.resourceId, (info) => {
            const { instantiationLevelId: _previous, ...rest } = info;
            return { ...rest, ...grant.before, vnfcs: grant.before.vnfcs };
          });
        },
      },
    ]);
  }

  private defineHeal(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as HealVnfRequest;
    const grantOf = (ctx: Ctx) => fromJson<VnfcsGrantOutput>(ctx.outputs['grant']);
    this.engine.define('HEAL', [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info } = await this.instantiated(ctx.resourceId);
          const vnfcs = this.healedVnfcs(instance, request(ctx));
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: info.flavourId,
            operation: 'HEAL',
            isAutomaticInvocation: fromJson<VnfLcmInput>(ctx.input).isAutomaticInvocation,
          });
          const output: VnfcsGrantOutput = { grantId: grant.id, vnfState: info.vnfState, vnfcs };
          return toJson(output);
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          const { vnfcs, vnfState } = grantOf(ctx);
          await Promise.all(
            vnfcs.map(async (vnfc) => {
              await this.resources.removeVnfc(vnfc);
              await this.resources.ensureVnfc(vnfc, vnfState === 'STARTED');
            }),
          );
          if (vnfState === 'STARTED') await this.resources.waitForBinding(vnfcs.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)), ctx.signal);
        },
        compensate: async (ctx) => {
          const { vnfcs, vnfState } = grantOf(ctx);
          await Promise.all(vnfcs.map((vnfc) => this.resources.ensureVnfc(vnfc, vnfState === 'STARTED')));
        },
      },
    ]);
  }

  private defineChangeExtConn(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as ChangeExtVnfConnectivityRequest;
    const grantOf = (ctx: Ctx) => fromJson<ExtConnGrantOutput>(ctx.outputs['grant']);
    const portsOf = (ctx: Ctx) => fromJson<Record<string, VnfcPortRecord[]>>(ctx.outputs['ports']);
    const context = async (ctx: Ctx) => {
      const { instance, info } = await this.instantiated(ctx.resourceId);
      return { instance, info, flavour: await this.flavourOf(instance, grantOf(ctx).flavourId) };
    };
    const running = (ctx: Ctx) => grantOf(ctx).vnfState === 'STARTED';
    /** The ports a moved VNFC leaves behind. */
    const leftPorts = (ctx: Ctx) => grantOf(ctx).moved.map(({ vnfc, cpIds }) => ({ ...vnfc, ports: vnfc.ports.filter((port) => cpIds.includes(port.cpdId)) }));
    /** The moved VNFCs as they are on their new ports: same host, claim and other ports; the spec built again from them. */
    const movedRecords = async (ctx: Ctx): Promise<VnfcRecord[]> => {
      const { flavour } = await context(ctx);
      const created = portsOf(ctx);
      const order = flavour.vduCps.map((cp) => cp.cpId);
      const moved = grantOf(ctx).moved.map(({ vnfc, cpIds }) => ({
        ...vnfc,
        ports: [...vnfc.ports.filter((port) => !cpIds.includes(port.cpdId)), ...(created[vnfc.id] ?? [])].sort((a, b) => order.indexOf(a.cpdId) - order.indexOf(b.cpdId)),
      }));
      const segmentOf = await this.segmentsOf(moved.flatMap((vnfc) => vnfc.ports));
      return moved.map((vnfc) => ({ ...vnfc, spec: VnfResources.specOf({ id: vnfc.id, name: vnfc.name }, flavour, vnfc.vduId, vnfc.spec.claim, vnfc.integrationBridge, vnfc.ports, segmentOf) }));
    };
    this.engine.define('CHANGE_EXT_CONN', [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance } = await this.instantiated(ctx.resourceId);
          const { info, flavour, extVirtualLinks, movedCpIds } = await this.extConnectivityChangeOf(instance, request(ctx));
          const moved = info.vnfcs.flatMap((vnfc) => {
            const cpIds = flavour.vduCps.filter((cp) => cp.vduId === vnfc.vduId && movedCpIds.has(cp.cpId)).map((cp) => cp.cpId);
            return cpIds.length === 0 ? [] : [{ vnfc, index: info.vnfcs.filter((other) => other.vduId === vnfc.vduId).indexOf(vnfc), cpIds }];
          });
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: info.flavourId,
            operation: 'CHANGE_EXT_CONN',
            isAutomaticInvocation: fromJson<VnfLcmInput>(ctx.input).isAutomaticInvocation,
          });
          const output: ExtConnGrantOutput = {
            grantId: grant.id,
            flavourId: info.flavourId,
            vnfState: info.vnfState,
            before: { extVirtualLinks: info.extVirtualLinks },
            after: { extVirtualLinks },
            moved,
          };
          return toJson(output);
        },
      },
      {
        name: 'ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info, flavour } = await context(ctx);
          const grant = grantOf(ctx);
          const ports: Record<string, VnfcPortRecord[]> = {};
          for (const { vnfc, index, cpIds } of grant.moved) {
            const planned = { id: vnfc.id, vduId: vnfc.vduId, index };
            ports[vnfc.id] = await this.resources.createPorts(ctx.operationId, instance.tenantId, planned, vnfc.hostId, flavour, info.virtualLinks, grant.after.extVirtualLinks, new Set(cpIds));
          }
          this.options.vim().portsChanged();
          return toJson(ports);
        },
        compensate: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          const portIds = grantOf(ctx).moved.flatMap(({ vnfc, cpIds }) => VnfResources.plannedPortIds(ctx.operationId, vnfc, flavour, new Set(cpIds)));
          await this.resources.removePorts(instance.tenantId, portIds);
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          // As HEAL does: each VNFC off its host and created again, now on its new ports, on the same reservation.
          const records = await movedRecords(ctx);
          await Promise.all(
            grantOf(ctx).moved.map(async ({ vnfc }, index) => {
              await this.resources.removeVnfc(vnfc);
              await this.resources.ensureVnfc(records[index] ?? vnfc, running(ctx));
            }),
          );
          if (running(ctx)) await this.resources.waitForBinding(records.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)), ctx.signal);
          return toJson(records);
        },
        compensate: async (ctx) => {
          // The ports it left are back by now (`remove-ports` is compensated first).
          const records = await movedRecords(ctx);
          await Promise.all(
            grantOf(ctx).moved.map(async ({ vnfc }, index) => {
              await this.resources.removeVnfc(records[index] ?? vnfc);
              await this.resources.ensureVnfc(vnfc, running(ctx));
            }),
          );
        },
      },
      {
        name: 'remove-ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance } = await context(ctx);
          await this.resources.removePorts(instance.tenantId, leftPorts(ctx).flatMap((vnfc) => vnfc.ports.map((port) => port.portId)));
        },
        compensate: async (ctx) => {
          const { instance } = await context(ctx);
          await this.resources.restorePorts(instance.tenantId, leftPorts(ctx));
        },
      },
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const moved = new Map(fromJson<VnfcRecord[]>(ctx.outputs['vnfcs']).map((vnfc) => [vnfc.id, vnfc]));
          const { extVirtualLinks } = grantOf(ctx).after;
          await this.changeInfo(ctx.resourceId, (info) => ({ ...info, extVirtualLinks, vnfcs: info.vnfcs.map((vnfc) => moved.get(vnfc.id) ?? vnfc) }));
        },
        compensate: async (ctx) => {
          const grant = grantOf(ctx);
          const before = new Map(grant.moved.map(({ vnfc }) => [vnfc.id, vnfc]));
          await this.changeInfo(ctx.resourceId, (info) => ({ ...info, extVirtualLinks: grant.before.extVirtualLinks, vnfcs: info.vnfcs.map((vnfc) => before.get(vnfc.id) ?? vnfc) }));
        },
      },
    ]);
  }

  private defineChangeFlavour(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as ChangeVnfFlavourRequest;
    const grantOf = (ctx: Ctx) => fromJson<FlavourChangeGrantOutput>(ctx.outputs['grant']);
    const context = async (ctx: Ctx) => {
      const { value: instance } = await this.instanceOf(ctx.resourceId);
      return { instance, flavour: await this.flavourOf(instance, grantOf(ctx).flavourId) };
    };
    const running = (ctx: Ctx) => grantOf(ctx).vnfState === 'STARTED';
    this.engine.define('CHANGE_FLAVOUR', [
      {
        name: 'grant',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance } = await this.instantiated(ctx.resourceId);
          const body = request(ctx);
          const { info, flavour, level } = await this.flavourChangeOf(instance, body);
          const planned = plannedVnfcs(ctx.operationId, level.counts);
          const levelId = level.level?.levelId;
          const grant = await this.options.grants().grant(instance.tenantId, {
            vnfInstanceId: instance.id,
            vnfLcmOpOccId: ctx.operationId,
            vnfdId: instance.vnfdId,
            flavourId: flavour.flavourId,
            operation: 'CHANGE_FLAVOUR',
            isAutomaticInvocation: fromJson<VnfLcmInput>(ctx.input).isAutomaticInvocation,
            ...(levelId === undefined ? {} : { instantiationLevelId: levelId }),
            addResources: planned.map((vnfc) => ({ id: vnfc.id, type: 'COMPUTE', vduId: vnfc.vduId, resourceTemplateId: vnfc.vduId })),
            removeResources: info.vnfcs.map((vnfc) => ({ id: vnfc.id, type: 'COMPUTE', vduId: vnfc.vduId, resource: { resourceId: vnfc.id, vimLevelResourceType: 'Domain' } })),
          });
          const output: FlavourChangeGrantOutput = {
            grantId: grant.id,
            flavourId: flavour.flavourId,
            vnfState: info.vnfState,
            before: info,
            after: { scaleStatus: level.scaleStatus, ...(levelId === undefined ? {} : { instantiationLevelId: levelId }), extVirtualLinks: body.extVirtualLinks ?? info.extVirtualLinks },
            add: VnfLifecycle.granted(grant, planned),
          };
          return toJson(output);
        },
        compensate: async (ctx) => {
          // Also after a grant step that failed half way: whatever it reserved is released.
          await this.options.grants().releaseForOperation(ctx.operationId);
        },
      },
      ...this.removalSteps((ctx) => grantOf(ctx).before.vnfcs, running),
      {
        name: 'remove-virtual-links',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance } = await context(ctx);
          await this.resources.removeVirtualLinks(instance.tenantId, grantOf(ctx).before.virtualLinks);
        },
        compensate: async (ctx) => {
          const { instance } = await context(ctx);
          await this.resources.restoreVirtualLinks(instance.tenantId, instance.id, grantOf(ctx).before.virtualLinks);
        },
      },
      this.virtualLinksStep(context, (ctx) => request(ctx).extManagedVirtualLinks ?? []),
      ...this.creationSteps({
        contextOf: context,
        grantOf: (ctx) => ({ grantId: grantOf(ctx).grantId, vnfcs: grantOf(ctx).add }),
        linksOf: async (ctx) => ({ virtualLinks: fromJson<VnfVirtualLinkRecord[]>(ctx.outputs['virtual-links']), extVirtualLinks: grantOf(ctx).after.extVirtualLinks }),
        running,
      }),
      {
        name: 'finalize',
        onRestart: 'resume',
        run: async (ctx) => {
          const grant = grantOf(ctx);
          const info: InstantiatedVnf = {
            flavourId: grant.flavourId,
            ...(grant.after.instantiationLevelId === undefined ? {} : { instantiationLevelId: grant.after.instantiationLevelId }),
            vnfState: grant.vnfState,
            scaleStatus: grant.after.scaleStatus,
            vnfcs: fromJson<VnfcRecord[]>(ctx.outputs['vnfcs']),
            virtualLinks: fromJson<VnfVirtualLinkRecord[]>(ctx.outputs['virtual-links']),
            extVirtualLinks: grant.after.extVirtualLinks,
          };
          await this.changeInfo(ctx.resourceId, () => info);
          // The point of no return: the old flavour's reservations may be taken by someone else once given back.
          await this.releaseReservations(grant.before.vnfcs);
        },
        compensate: async (ctx) => {
          const grant = grantOf(ctx);
          await this.checkReservationsHeld(grant.before.vnfcs, 'flavour change');
          await this.changeInfo(ctx.resourceId, () => grant.before);
        },
      },
    ]);
  }

  /** Waits until the occurrence is settled (COMPLETED, FAILED_TEMP, FAILED, ROLLED_BACK). */
  async waitFor(operationId: string, timeoutMs: number): Promise<Operation> {
    return this.engine.waitFor(operationId, timeoutMs);
  }
}
