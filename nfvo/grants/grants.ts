/**
 * The NFVO's side of the Grant interface (SOL 003 clause 9): before the VNFM consumes resources it asks here,
 * and the NFVO answers with reservations the VIM really made (placement with EPA, claims committed on the
 * hosts), or refuses with the placement's explanation. Nothing is approved without a reservation behind it.
 */
import { derivedId, ProblemError, type Logger, type Repository, type Store } from '../../platform/index.js';
import type { PlacementRule, Vdu } from '../../descriptors/index.js';
import { placementGroupsOf, type PlacementOutcome, type VimServices } from '../../vim/index.js';
import type { OnboardedDescriptors } from '../onboarded-descriptors.js';
import { GRANTS, VIM_CONNECTION, VIM_CONNECTION_ID, type Grant, type GrantInfo, type GrantRequest, type ResourceDefinition } from './model.js';

export class GrantRefusedError extends ProblemError {
  constructor(detail: string, extensions: Record<string, unknown>) {
    super(403, detail, { title: 'Grant rejected', type: 'grant-rejected', extensions });
    this.name = 'GrantRefusedError';
  }
}

export class Grants {
  readonly grants: Repository<Grant>;

  constructor(
    store: Store,
    private readonly descriptors: OnboardedDescriptors,
    private readonly vim: () => VimServices,
    private readonly logger: Logger,
  ) {
    this.grants = store.collection<Grant>(GRANTS);
  }

  /** The grant's id follows from the operation occurrence: asking again (after a crash) answers the same grant. */
  static idFor(vnfLcmOpOccId: string): string {
    return derivedId('grant', vnfLcmOpOccId);
  }

  /**
   * Reserves every COMPUTE resource to add, or none: a refusal gives back what was reserved for this request
   * and throws `GrantRefusedError` naming the VDU and the placement's reason.
   */
  async grant(tenantId: string, request: GrantRequest): Promise<Grant> {
    const id = Grants.idFor(request.vnfLcmOpOccId);
    const existing = await this.grants.get(id);
    if (existing) return existing.value;
    const add = (request.addResources ?? []).filter((resource) => resource.type === 'COMPUTE');
    const onboarded = add.length > 0 ? await this.descriptors.vnfd(tenantId, request.vnfdId) : undefined;
    if (add.length > 0 && !onboarded) throw new GrantRefusedError(`VNFD ${request.vnfdId} is not onboarded for the tenant.`, {});
    const flavour = onboarded?.contents.vnfd.flavours.find((candidate) => candidate.flavourId === request.flavourId) ?? onboarded?.contents.vnfd.flavours[0];
    const { scheduler } = this.vim();
    const granted: GrantInfo[] = [];
    for (const resource of add) {
      const vduId = resource.resourceTemplateId ?? resource.vduId;
      const vdu = flavour?.vdus.find((candidate) => candidate.vduId === vduId);
      if (!vdu) {
        await scheduler.release(id);
        throw new GrantRefusedError(`Resource ${resource.id}: VDU ${vduId ?? '(none)'} is not in flavour ${flavour?.flavourId ?? request.flavourId ?? ''} of VNFD ${request.vnfdId}.`, {});
      }
      const outcome = await this.place(tenantId, id, request, resource, vdu, flavour?.affinityRules ?? []);
      if (!outcome.ok) {
        await scheduler.release(id);
        this.logger.info({ vnfInstanceId: request.vnfInstanceId, vduId, refusal: outcome.refusal.message }, 'grant rejected');
        throw new GrantRefusedError(`No room for VDU ${vduId} (resource ${resource.id}): ${outcome.refusal.message}`, {
          vduId,
          placement: { kind: outcome.refusal.kind, hostsInScope: outcome.refusal.hostsInScope, reasons: outcome.refusal.reasons, problems: outcome.refusal.problems },
        });
      }
      const { claim, host } = outcome.placement;
      granted.push({ resourceDefinitionId: resource.id, reservationId: claim.id, vimConnectionId: VIM_CONNECTION_ID, zoneId: host.zoneId, hostId: host.id });
    }
    const zones = [...new Set(granted.map((info) => info.zoneId))].map((zoneId) => ({ id: zoneId, zoneId, vimConnectionId: VIM_CONNECTION_ID }));
    const grant: Grant = {
      id,
      tenantId,
      vnfInstanceId: request.vnfInstanceId,
      vnfLcmOpOccId: request.vnfLcmOpOccId,
      operation: request.operation,
      vimConnectionInfo: { [VIM_CONNECTION_ID]: VIM_CONNECTION },
      zones,
      addResources: granted,
      removeResources: (request.removeResources ?? []).map((resource) => ({ resourceDefinitionId: resource.id })),
      createdAt: new Date().toISOString(),
    };
    await this.grants.insert(grant);
    return grant;
  }

  /** Gives back every reservation the grant made (a rolled back operation). Idempotent. */
  async release(grantId: string): Promise<void> {
    await this.vim().scheduler.release(grantId);
    const stored = await this.grants.get(grantId);
    if (stored && stored.value.releasedAt === undefined) {
      await this.grants.update({ ...stored.value, releasedAt: new Date().toISOString() }, stored.revision).catch(() => undefined);
    }
  }

  async releaseForOperation(vnfLcmOpOccId: string): Promise<void> {
    await this.release(Grants.idFor(vnfLcmOpOccId));
  }

  async get(grantId: string, tenantId?: string): Promise<Grant | undefined> {
    return (await this.grants.get(grantId, tenantId))?.value;
  }

  /**
   * The VDU's affinity and anti-affinity groups come from the VNFD's rules (named per VNF instance, so every
   * operation on the instance meets the same groups); the request's constraints on the resource say whether
   * they may be dropped (`fallbackBestEffort`) when nothing fits with them.
   */
  private async place(tenantId: string, grantId: string, request: GrantRequest, resource: ResourceDefinition, vdu: Vdu, rules: readonly PlacementRule[]): Promise<PlacementOutcome> {
    const { scheduler } = this.vim();
    const grouped = placementGroupsOf(rules, vdu.vduId, request.vnfInstanceId);
    if (!grouped.ok) return { ok: false, refusal: { kind: 'invalid-request', message: grouped.problems.join('; '), hostsInScope: 0, reasons: [], problems: grouped.problems } };
    const base = { owner: grantId, tenantId, claimId: resource.id, label: `${request.vnfInstanceId}/${vdu.vduId}`, epa: vdu.epa };
    const outcome = await scheduler.place({ ...base, groups: grouped.groups });
    if (outcome.ok || outcome.refusal.kind !== 'no-host' || grouped.groups.length === 0) return outcome;
    const constraints = (request.placementConstraints ?? []).filter((constraint) => constraint.resource.some((ref) => ref.resourceId === resource.id));
    if (constraints.length === 0 || constraints.some((constraint) => constraint.fallbackBestEffort !== true)) return outcome;
    return scheduler.place({ ...base, groups: [] });
  }
}
