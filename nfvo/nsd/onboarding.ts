import { readNsd, type Nsd, type ReadResult } from '../../descriptors/index.js';
import { ProblemError, StoreConflictError, type Logger, type ProblemDetails, type Repository, type Store, type Versioned, type Write } from '../../platform/index.js';
import type { BackgroundWork } from '../background.js';
import type { ContentFiles } from '../content-files.js';
import { invalidContentFailure, onboardingFailure } from '../onboarding-failure.js';
import type { VnfPackageCatalogue } from '../packages/catalogue.js';
import type { VnfPackage } from '../packages/model.js';
import { changeStored } from '../stored-changes.js';
import type { NsdCatalogue } from './catalogue.js';
import { NS_DESCRIPTORS_PATH, type NsdContentKind, type NsDescriptor } from './model.js';

export const MAX_NSD_BYTES = 64 * 1024 * 1024;

export type NsdReader = (content: Buffer, kind: NsdContentKind) => Promise<ReadResult<Nsd>>;

export function nsdFileName(id: string): string {
  return `${id}.nsd`;
}

/**
 * Onboarding of NSDs: CREATED -> UPLOADING -> PROCESSING -> ONBOARDED, or back to CREATED with
 * `onboardingFailureDetails` (as for VNF packages). An NSD onboards only when every VNFD it references is held
 * by an ONBOARDED VNF package of the same tenant; onboarding records the NSD on those packages in the same
 * commit, which is what keeps them from being deleted while the NSD exists.
 */
export class NsdOnboarding {
  private readonly descriptors: Repository<NsDescriptor>;

  constructor(
    private readonly store: Store,
    catalogue: NsdCatalogue,
    private readonly packages: VnfPackageCatalogue,
    private readonly files: ContentFiles,
    private readonly background: BackgroundWork,
    private readonly logger: Logger,
    private readonly readDescriptor: NsdReader = readNsd,
  ) {
    this.descriptors = catalogue.descriptors;
  }

  /** `PUT .../nsd_content`: stores the content and leaves the NSD PROCESSING. */
  async upload(found: Versioned<NsDescriptor>, content: Buffer, kind: NsdContentKind): Promise<void> {
    const nsd = found.value;
    if (nsd.nsdOnboardingState !== 'CREATED') {
      throw new ProblemError(409, `NSD ${nsd.id} is ${nsd.nsdOnboardingState}; content can be uploaded only to an NSD in CREATED.`, {
        extensions: { nsdOnboardingState: nsd.nsdOnboardingState },
      });
    }
    const { onboardingFailureDetails: _cleared, ...rest } = nsd;
    await this.descriptors.update({ ...rest, nsdOnboardingState: 'UPLOADING' }, found.revision);
    await this.files.write(nsdFileName(nsd.id), content);
    const stored = await changeStored<NsDescriptor>(this.descriptors, nsd.id, (current) =>
      current.nsdOnboardingState === 'UPLOADING' ? { ...current, nsdOnboardingState: 'PROCESSING', contentKind: kind } : undefined,
    );
    if (!stored) return;
    this.background.run(`onboard NSD ${nsd.id}`, () => this.process(nsd.id));
  }

  /** As for VNF packages: UPLOADING goes back to CREATED, PROCESSING is answered for `resume`, stray files go. */
  async recover(): Promise<string[]> {
    for (const { value } of await this.descriptors.query({ where: { nsdOnboardingState: 'UPLOADING' } })) {
      await this.fail(
        value.id,
        onboardingFailure('upload-interrupted', 409, 'The NSD upload was interrupted', 'The NFVO restarted while the NSD content was being uploaded; upload it again.', this.instanceOf(value)),
      );
    }
    const processing = await this.descriptors.query({ where: { nsdOnboardingState: 'PROCESSING' } });
    const onboarded = await this.descriptors.query({ where: { nsdOnboardingState: 'ONBOARDED' } });
    const owned = new Set([...processing, ...onboarded].map(({ value }) => nsdFileName(value.id)));
    await this.files.sweep((name) => owned.has(name));
    return processing.map(({ value }) => value.id);
  }

  resume(ids: readonly string[]): void {
    for (const id of ids) this.background.run(`resume onboarding of NSD ${id}`, () => this.process(id));
  }

  async process(id: string): Promise<void> {
    for (;;) {
      const found = await this.descriptors.get(id);
      if (!found || found.value.nsdOnboardingState !== 'PROCESSING') return;
      const nsd = found.value;
      const result = await this.read(nsd);
      if (!result.ok) {
        await this.fail(id, invalidContentFailure('NSD', this.instanceOf(nsd), result.errors));
        return;
      }
      const vnfdIds = [...new Set(result.value.vnfProfiles.map((profile) => profile.vnfdId))];
      const resolved = await Promise.all(vnfdIds.map(async (vnfdId) => ({ vnfdId, pkg: await this.packages.onboardedInTenant(nsd.tenantId, vnfdId) })));
      const missing = resolved.filter(({ pkg }) => pkg === undefined).map(({ vnfdId }) => vnfdId);
      if (missing.length > 0) {
        await this.fail(
          id,
          onboardingFailure(
            'vnfd-not-onboarded',
            422,
            'The NSD references VNFDs that are not onboarded',
            `The NSD references VNFD(s) that no ONBOARDED VNF package of tenant ${nsd.tenantId} holds: ${missing.join(', ')}.`,
            this.instanceOf(nsd),
            { vnfdIds: missing },
          ),
        );
        return;
      }
      const packages = resolved.map(({ pkg }) => pkg as Versioned<VnfPackage>);
      const { onboardingFailureDetails: _cleared, ...rest } = nsd;
      const onboarded: NsDescriptor = {
        ...rest,
        nsdOnboardingState: 'ONBOARDED',
        nsdOperationalState: 'ENABLED',
        nsdId: result.value.nsdId,
        nsdName: result.value.name,
        nsdVersion: result.value.version,
        nsdDesigner: result.value.designer,
        nsdInvariantId: result.value.invariantId,
        vnfPkgIds: packages.map(({ value }) => value.id),
      };
      const writes: Write[] = [
        this.descriptors.updateWrite(onboarded, found.revision),
        ...packages.map(({ value, revision }) =>
          this.packages.packages.updateWrite({ ...value, referencedByNsds: [...value.referencedByNsds.filter((other) => other !== id), id] }, revision),
        ),
      ];
      try {
        await this.store.commit(writes);
      } catch (error) {
        // A referenced package changed (or went) meanwhile: resolve the references again.
        if (error instanceof StoreConflictError) continue;
        throw error;
      }
      this.logger.info({ nsdInfoId: id, nsdId: onboarded.nsdId }, 'NSD onboarded');
      return;
    }
  }

  /** Writes that delete an NSD and release the packages it referenced (a stale one fails the commit: read again). */
  async deletionWrites({ value: nsd, revision }: Versioned<NsDescriptor>): Promise<Write[]> {
    const writes: Write[] = [this.descriptors.deleteWrite(nsd.id, revision)];
    for (const vnfPkgId of nsd.nsdOnboardingState === 'ONBOARDED' ? nsd.vnfPkgIds : []) {
      const pkg = await this.packages.packages.get(vnfPkgId);
      if (!pkg) continue;
      writes.push(this.packages.packages.updateWrite({ ...pkg.value, referencedByNsds: pkg.value.referencedByNsds.filter((other) => other !== nsd.id) }, pkg.revision));
    }
    return writes;
  }

  private async read(nsd: NsDescriptor): Promise<ReadResult<Nsd>> {
    try {
      return await this.readDescriptor(await this.files.read(nsdFileName(nsd.id)), nsd.contentKind ?? 'yaml');
    } catch (error) {
      this.logger.error({ err: error, nsdInfoId: nsd.id }, 'the NSD could not be read');
      return { ok: false, errors: [{ code: 'nsd-unreadable', message: `The NSD could not be read: ${(error as Error).message}` }] };
    }
  }

  private instanceOf(nsd: NsDescriptor): string {
    return `${NS_DESCRIPTORS_PATH}/${nsd.id}`;
  }

  private async fail(id: string, details: ProblemDetails): Promise<void> {
    await changeStored<NsDescriptor>(this.descriptors, id, (nsd) => {
      if (nsd.nsdOnboardingState === 'ONBOARDED' || nsd.nsdOnboardingState === 'CREATED') return undefined;
      const { contentKind: _kind, ...rest } = nsd;
      return { ...rest, nsdOnboardingState: 'CREATED', nsdOperationalState: 'DISABLED', onboardingFailureDetails: details };
    });
    await this.files.remove(nsdFileName(id));
    this.logger.info({ nsdInfoId: id, failure: details.detail }, 'NSD onboarding failed');
  }
}
