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
 */
import type { VnfFlavour } from '../../descriptors/index.js';
import type { Grant, GrantRequest, OnboardedDescriptors } from '../../nfvo/index.js';
import {
  OperationEngine,
  ProblemError,
  StoreConflictError,
  type Logger,
  type Operation,
  type Repository,
  type StepContext,
  type Store,
} from '../../platform/index.js';
import type { VimServices } from '../../vim/index.js';
import type { VnfInstance } from '../instances/model.js';
import { asJson, fromJson, type InstantiatedVnf, type VnfcPortRecord, type VnfcRecord, type VnfVirtualLinkRecord } from './model.js';
import { countsAtLevel, plannedVnfcs, type PlannedVnfc } from './plan.js';
import type { InstantiateVnfRequest, TerminateVnfRequest } from './requests.js';
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

interface GrantOutput {
  grantId: string;
  vnfcs: Array<PlannedVnfc & { reservationId: string; hostId: string; zoneId: string }>;
  flavourId: string;
  scaleStatus: InstantiatedVnf['scaleStatus'];
  instantiationLevelId?: string;
}

export interface VnfLifecycleOptions {
  store: Store;
  logger: Logger;
  instances: Repository<VnfInstance>;
  descriptors: OnboardedDescriptors;
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
  }

  /** Starts an operation on an instance: 409 with the occurrence in progress when there is one. */
  async start(type: VnfLcmOperationType, instance: VnfInstance, request: object, isAutomaticInvocation = false): Promise<Operation> {
    const input: VnfLcmInput = { vnfInstanceId: instance.id, isAutomaticInvocation, request: { ...request } };
    return this.engine.start(type, instance.id, asJson(input), { tenantId: instance.tenantId });
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
    const onboarded = await this.options.descriptors.vnfd(instance.tenantId, instance.vnfdId);
    if (!onboarded) throw new ProblemError(409, `VNFD ${instance.vnfdId} is no longer onboarded`);
    const flavour = onboarded.contents.vnfd.flavours.find((candidate) => candidate.flavourId === flavourId);
    if (!flavour) {
      throw new ProblemError(422, `VNFD ${instance.vnfdId} has no deployment flavour ${flavourId} (it has ${onboarded.contents.vnfd.flavours.map((item) => item.flavourId).join(', ')})`, {
        violations: [{ pointer: '/flavourId', message: 'names no flavour of the VNFD', in: 'body' }],
      });
    }
    return flavour;
  }

  /** Writes the instance through a change function, retrying on concurrent writes. */
  private async changeInstance(vnfInstanceId: string, change: (instance: VnfInstance) => VnfInstance): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const { value, revision } = await this.instanceOf(vnfInstanceId);
      try {
        await this.options.instances.update(change(structuredClone(value)), revision);
        return;
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= 10) throw error;
      }
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
    const vnfcRecords = async (ctx: Ctx): Promise<VnfcRecord[]> => {
      const { instance, flavour } = await context(ctx);
      const grant = grantOf(ctx);
      const ports = portsOf(ctx);
      const { scheduler, networks } = this.options.vim();
      const claims = new Map((await scheduler.claimsOf({ owner: grant.grantId })).map((claim) => [claim.id, claim]));
      const segments = new Map<string, number | undefined>();
      for (const port of Object.values(ports).flat()) {
        if (!segments.has(port.networkId)) segments.set(port.networkId, (await networks.network(port.networkId))?.segment.segmentationId ?? undefined);
      }
      const records: VnfcRecord[] = [];
      for (const vnfc of grant.vnfcs) {
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
          grantId: grant.grantId,
          ports: vnfcPorts,
          spec: VnfResources.specOf({ id: vnfc.id, name }, flavour, vnfc.vduId, claim, host.integrationBridge, vnfcPorts, (networkId) => segments.get(networkId)),
        });
      }
      return records;
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
          const byResource = new Map(grant.addResources.map((info) => [info.resourceDefinitionId, info]));
          const output: GrantOutput = {
            grantId: grant.id,
            flavourId: flavour.flavourId,
            scaleStatus: level.scaleStatus,
            ...(level.level ? { instantiationLevelId: level.level.levelId } : {}),
            vnfcs: planned.map((vnfc) => {
              const info = byResource.get(vnfc.id);
              if (!info) throw new ProblemError(500, `the grant has no reservation for VNFC ${vnfc.id}`);
              return { ...vnfc, reservationId: info.reservationId, hostId: info.hostId, zoneId: info.zoneId };
            }),
          };
          return asJson(output);
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
          return asJson(await this.resources.createVirtualLinks(ctx.operationId, instance.tenantId, instance.id, flavour, request(ctx).extManagedVirtualLinks ?? []));
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
          return asJson(ports);
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
          await Promise.all(records.map((vnfc) => this.resources.startVnfc(vnfc)));
          return asJson(records);
        },
        compensate: async (ctx) => {
          const records = await vnfcRecords(ctx);
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
          return asJson({ grantId: grant.id, vnfcs: info.vnfcs, virtualLinks: info.virtualLinks });
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

  /** Waits until the occurrence is settled (COMPLETED, FAILED_TEMP, FAILED, ROLLED_BACK). */
  async waitFor(operationId: string, timeoutMs: number): Promise<Operation> {
    return this.engine.waitFor(operationId, timeoutMs);
  }
}
