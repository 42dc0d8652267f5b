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
  type Store,
} from '../../platform/index.js';
import type { VimServices } from '../../vim/index.js';
import type { VnfInstance } from '../instances/model.js';
import { type InstantiatedVnf, type VnfcPortRecord, type VnfcRecord, type VnfVirtualLinkRecord } from './model.js';
import { countsAtLevel, plannedVnfcs, scaleChanges, scaleTarget, scaleToLevelTarget, type PlannedVnfc, type ScaleOutcome, type ScaleStatus } from './plan.js';
import type { HealVnfRequest, InstantiateVnfRequest, OperateVnfRequest, ScaleVnfRequest, ScaleVnfToLevelRequest, TerminateVnfRequest } from './requests.js';
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
  async flavourOf(instance: VnfInstance, flavourId: string): Promise<VnfFlavour> {
    const onboarded = await this.options.descriptors().vnfd(instance.tenantId, instance.vnfdId);
    if (!onboarded) throw new ProblemError(409, `VNFD ${instance.vnfdId} is no longer onboarded`);
    const flavour = onboarded.contents.vnfd.flavours.find((candidate) => candidate.flavourId === flavourId);
    if (!flavour) {
      throw new ProblemError(422, `VNFD ${instance.vnfdId} has no deployment flavour ${flavourId} (it has ${onboarded.contents.vnfd.flavours.map((item) => item.flavourId).join(', ')})`, {
        violations: [{ pointer: '/flavourId', message: 'names no flavour of the VNFD', in: 'body' }],
      });
    }
    return flavour;
  }

  /** The instance and what it holds; 409 unless INSTANTIATED. */
  private async instantiated(vnfInstanceId: string): Promise<{ instance: VnfInstance; info: InstantiatedVnf }> {
    const { value: instance } = await this.instanceOf(vnfInstanceId);
    if (instance.instantiationState !== 'INSTANTIATED' || !instance.instantiatedVnfInfo) throw new ProblemError(409, `VNF instance ${instance.id} is NOT_INSTANTIATED`);
    return { instance, info: instance.instantiatedVnfInfo };
  }

  /**
   * What a SCALE (`kind`) or SCALE_TO_LEVEL request would reach from the instance as it is, or 422 with a pointer
   * into the request when the aspect, level or step count is not possible. Nothing starts on a refusal.
   */
  async scaleTargetOf(kind: 'SCALE' | 'SCALE_TO_LEVEL', instance: VnfInstance, request: ScaleVnfRequest | ScaleVnfToLevelRequest): Promise<ScaleOutcome & { ok: true }> {
    const info = instance.instantiatedVnfInfo;
    if (instance.instantiationState !== 'INSTANTIATED' || !info) throw new ProblemError(409, `VNF instance ${instance.id} is NOT_INSTANTIATED`);
    const flavour = await this.flavourOf(instance, info.flavourId);
    const outcome = kind === 'SCALE' ? scaleTarget(flavour, info, request as ScaleVnfRequest) : scaleToLevelTarget(flavour, info, request as ScaleVnfToLevelRequest);
    if (!outcome.ok) throw new ProblemError(422, outcome.problem, { violations: [{ pointer: outcome.pointer, message: outcome.problem, in: 'body' }] });
    return outcome;
  }

  /** The VNFCs a heal request names (all when none): 422 with a pointer for an id the instance has no VNFC of. */
  healedVnfcs(instance: VnfInstance, request: HealVnfRequest): VnfcRecord[] {
    const info = instance.instantiatedVnfInfo;
    if (instance.instantiationState !== 'INSTANTIATED' || !info) throw new ProblemError(409, `VNF instance ${instance.id} is NOT_INSTANTIATED`);
    if (request.vnfcInstanceId === undefined || request.vnfcInstanceId.length === 0) return info.vnfcs;
    const healed: VnfcRecord[] = [];
    for (const [index, id] of request.vnfcInstanceId.entries()) {
      const vnfc = info.vnfcs.find((candidate) => candidate.id === id);
      if (!vnfc) {
        const problem = `VNF instance ${instance.id} has no VNFC ${id}`;
        throw new ProblemError(422, problem, { violations: [{ pointer: `/vnfcInstanceId/${index}`, message: problem, in: 'body' }] });
      }
      if (!healed.includes(vnfc)) healed.push(vnfc);
    }
    return healed;
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
    const { scheduler, networks } = this.options.vim();
    const claims = new Map((await scheduler.claimsOf({ owner: grantId })).map((claim) => [claim.id, claim]));
    const segments = new Map<string, number | undefined>();
    for (const port of Object.values(ports).flat()) {
      if (!segments.has(port.networkId)) segments.set(port.networkId, (await networks.network(port.networkId))?.segment.segmentationId ?? undefined);
    }
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
        spec: VnfResources.specOf({ id: vnfc.id, name }, flavour, vnfc.vduId, claim, host.integrationBridge, vnfcPorts, (networkId) => segments.get(networkId)),
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

  private defineInstantiate(): void {
    type Ctx = StepContext;
    const request = (ctx: Ctx) => fromJson<VnfLcmInput>(ctx.input).request as unknown as InstantiateVnfRequest;
    const grantOf = (ctx: Ctx) => fromJson<GrantOutput>(ctx.outputs['grant']);
    const linksOf = (ctx: Ctx) => fromJson<VnfVirtualLinkRecord[]>(ctx.outputs['virtual-links']);
    const portsOf = (ctx: Ctx) => fromJson<Record<string, VnfcPortRecord[]>>(ctx.outputs['ports']);
    const context = async (ctx: Ctx) => {
      const { value: instance } = await this.instanceOf(ctx.resourceId);
      return { instance, flavour: await this.flavourOf(instance, request(ctx).flavourId) };
    };
    /** The VNFCs as their records, from the outputs of the steps before `vnfcs`. */
    const vnfcRecords = async (ctx: Ctx, only?: ReadonlySet<string>): Promise<VnfcRecord[]> => {
      const { instance, flavour } = await context(ctx);
      const grant = grantOf(ctx);
      const vnfcs = only === undefined ? grant.vnfcs : grant.vnfcs.filter((vnfc) => only.has(vnfc.id));
      return this.recordsOf(instance, flavour, grant.grantId, vnfcs, portsOf(ctx));
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
          if (!level.ok) throw new ProblemError(422, level.problem, { violations: [{ pointer: '/instantiationLevelId', message: level.problem, in: 'body' }] });
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
      {
        name: 'virtual-links',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          return toJson(await this.resources.createVirtualLinks(ctx.operationId, instance.tenantId, instance.id, flavour, request(ctx).extManagedVirtualLinks ?? []));
        },
        compensate: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          await this.resources.removeVirtualLinks(instance.tenantId, VnfResources.plannedVirtualLinks(ctx.operationId, flavour));
        },
      },
      {
        name: 'ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          const ports: Record<string, VnfcPortRecord[]> = {};
          for (const vnfc of grantOf(ctx).vnfcs) {
            ports[vnfc.id] = await this.resources.createPorts(ctx.operationId, instance.tenantId, vnfc, vnfc.hostId, flavour, linksOf(ctx), request(ctx).extVirtualLinks ?? []);
          }
          this.options.vim().portsChanged();
          return toJson(ports);
        },
        compensate: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          const portIds = grantOf(ctx).vnfcs.flatMap((vnfc) => VnfResources.plannedPortIds(ctx.operationId, vnfc, flavour));
          await this.resources.removePorts(instance.tenantId, portIds);
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          const records = await vnfcRecords(ctx);
          // Which VNFCs were handed to their host, so that a rollback touches those only (a host never reached has nothing to undo).
          const handed = new Set(fromJson<string[] | undefined>(ctx.progress) ?? []);
          await Promise.all(
            records.map(async (vnfc) => {
              await this.resources.hostOf(vnfc);
              handed.add(vnfc.id);
              await ctx.checkpoint(toJson([...handed]));
              await this.resources.startVnfc(vnfc);
            }),
          );
          // As Nova waits for Neutron's vif-plugged: the VNFC is up once the switch has its ports.
          await this.resources.waitForBinding(records.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)), ctx.signal);
          return toJson(records);
        },
        compensate: async (ctx) => {
          const handed = new Set(fromJson<string[] | undefined>(ctx.progress) ?? []);
          const records = await vnfcRecords(ctx, handed);
          await Promise.all(records.map((vnfc) => this.resources.removeVnfc(vnfc)));
        },
      },
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
          for (const vnfc of info.vnfcs) {
            for (const port of vnfc.ports) await this.resources.restorePort(instance.tenantId, vnfc, port);
          }
          this.options.vim().portsChanged();
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
          const { networks } = this.options.vim();
          for (const link of info.virtualLinks) {
            if (link.managedBy !== 'vnfm') continue;
            await networks.createNetwork({ tenantId: instance.tenantId, isAdmin: true }, { name: `vnf-${instance.id.slice(0, 8)}-${link.vnfVirtualLinkDescId}`, tenant_id: instance.tenantId }, { id: link.networkId });
          }
          this.options.vim().portsChanged();
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
    const portsOf = (ctx: Ctx) => fromJson<Record<string, VnfcPortRecord[]>>(ctx.outputs['ports']);
    const context = async (ctx: Ctx) => {
      const { instance, info } = await this.instantiated(ctx.resourceId);
      return { instance, info, flavour: await this.flavourOf(instance, grantOf(ctx).flavourId) };
    };
    const addedRecords = async (ctx: Ctx): Promise<VnfcRecord[]> => {
      const { instance, flavour } = await context(ctx);
      const grant = grantOf(ctx);
      return this.recordsOf(instance, flavour, grant.grantId, grant.add, portsOf(ctx));
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
          if (!outcome.ok) throw new ProblemError(422, outcome.problem, { violations: [{ pointer: outcome.pointer, message: outcome.problem, in: 'body' }] });
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
      {
        name: 'stop',
        onRestart: 'resume',
        run: async (ctx) => {
          const timeoutMs = DEFAULT_GRACEFUL_TIMEOUT_S * 1000;
          await Promise.all(grantOf(ctx).remove.map((vnfc) => this.resources.stopVnfc(vnfc, true, timeoutMs)));
        },
        compensate: async (ctx) => {
          if (!running(ctx)) return;
          await Promise.all(grantOf(ctx).remove.map((vnfc) => this.resources.ensureVnfc(vnfc, true)));
        },
      },
      {
        name: 'remove-vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          await Promise.all(grantOf(ctx).remove.map((vnfc) => this.resources.removeVnfc(vnfc)));
        },
        compensate: async (ctx) => {
          // Its ports are back by now (`remove-ports` is compensated first): defined from its stored spec, as it was.
          await Promise.all(grantOf(ctx).remove.map((vnfc) => this.resources.ensureVnfc(vnfc, running(ctx))));
        },
      },
      {
        name: 'remove-ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance } = await context(ctx);
          await this.resources.removePorts(instance.tenantId, grantOf(ctx).remove.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)));
        },
        compensate: async (ctx) => {
          const { instance } = await context(ctx);
          for (const vnfc of grantOf(ctx).remove) {
            for (const port of vnfc.ports) await this.resources.restorePort(instance.tenantId, vnfc, port);
          }
          this.options.vim().portsChanged();
        },
      },
      {
        name: 'ports',
        onRestart: 'resume',
        run: async (ctx) => {
          const { instance, info, flavour } = await context(ctx);
          const ports: Record<string, VnfcPortRecord[]> = {};
          for (const vnfc of grantOf(ctx).add) {
            ports[vnfc.id] = await this.resources.createPorts(ctx.operationId, instance.tenantId, vnfc, vnfc.hostId, flavour, info.virtualLinks, info.extVirtualLinks);
          }
          this.options.vim().portsChanged();
          return toJson(ports);
        },
        compensate: async (ctx) => {
          const { instance, flavour } = await context(ctx);
          const portIds = grantOf(ctx).add.flatMap((vnfc) => VnfResources.plannedPortIds(ctx.operationId, vnfc, flavour));
          await this.resources.removePorts(instance.tenantId, portIds);
        },
      },
      {
        name: 'vnfcs',
        onRestart: 'resume',
        run: async (ctx) => {
          const records = await addedRecords(ctx);
          await Promise.all(records.map((vnfc) => this.resources.ensureVnfc(vnfc, running(ctx))));
          // A running VNFC is up once the switch has its ports; a stopped one has nothing on the switch yet.
          if (running(ctx)) await this.resources.waitForBinding(records.flatMap((vnfc) => vnfc.ports.map((port) => port.portId)), ctx.signal);
          return toJson(records);
        },
        compensate: async (ctx) => {
          const records = await addedRecords(ctx);
          await Promise.all(records.map((vnfc) => this.resources.removeVnfc(vnfc)));
        },
      },
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
          const { scheduler } = this.options.vim();
          for (const vnfc of grant.remove) await scheduler.releaseOne(vnfc.reservationId);
        },
        compensate: async (ctx) => {
          const grant = grantOf(ctx);
          if (grant.remove.length > 0) {
            const { scheduler } = this.options.vim();
            const held = new Set<string>();
            for (const owner of new Set(grant.remove.map((vnfc) => vnfc.grantId))) {
              for (const claim of await scheduler.claimsOf({ owner })) held.add(claim.id);
            }
            if (grant.remove.some((vnfc) => !held.has(vnfc.reservationId))) {
              throw new ProblemError(409, 'the reservations of the removed VNFCs were given back: a scale that failed while finishing is retried, not rolled back');
            }
          }
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

  /** Waits until the occurrence is settled (COMPLETED, FAILED_TEMP, FAILED, ROLLED_BACK). */
  async waitFor(operationId: string, timeoutMs: number): Promise<Operation> {
    return this.engine.waitFor(operationId, timeoutMs);
  }
}
