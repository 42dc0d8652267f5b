import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { readVnfPackage, type ReadResult, type VnfPackageContents } from '../../descriptors/index.js';
import {
  ProblemError,
  StoreConflictError,
  type BasicCredentials,
  type Logger,
  type ProblemDetails,
  type Store,
  type Versioned,
  type Write,
} from '../../platform/index.js';
import type { BackgroundWork } from '../background.js';
import { ContentFiles, receiveToFile, sha256OfFile, type ReceivedFile } from '../content-files.js';
import { mediaTypeOf, MULTIPART_CONTENT_TYPE, multipartFile } from '../http/uploads.js';
import { invalidContentFailure, onboardingFailure } from '../onboarding-failure.js';
import { changeStored } from '../stored-changes.js';
import type { PackageNotifications } from '../subscriptions/notifications.js';
import { onboardedVnfdKey, ONBOARDED_VNFDS, type VnfPackageCatalogue } from './catalogue.js';
import { fetchPackage, type PackageAddress } from './fetch-package.js';
import { VNF_PACKAGES_PATH, type PackageContentIndex, type VnfPackage, type VnfPackageSoftwareImageInfo } from './model.js';

export const MAX_PACKAGE_BYTES = 512 * 1024 * 1024;
export const PACKAGE_FETCH_TIMEOUT_MS = 5 * 60 * 1000;

export type VnfPackageReader = (zip: Buffer) => Promise<ReadResult<VnfPackageContents>>;

export function packageFileName(id: string): string {
  return `${id}.zip`;
}

/**
 * Onboarding of VNF packages: CREATED -> UPLOADING (bytes being received) -> PROCESSING (bytes stored, VNFD being
 * read) -> ONBOARDED, or back to CREATED with `onboardingFailureDetails` when anything fails (SOL 005 v2.6.1).
 * Each state is committed before the work it announces. After a restart, a package found UPLOADING lost its
 * bytes with the connection and goes back to CREATED with a failure that says so; one found PROCESSING has its
 * bytes stored and is processed again from them.
 */
export class VnfPackageOnboarding {
  constructor(
    private readonly store: Store,
    private readonly catalogue: VnfPackageCatalogue,
    private readonly files: ContentFiles,
    private readonly notifications: PackageNotifications,
    private readonly background: BackgroundWork,
    private readonly logger: Logger,
    private readonly readPackage: VnfPackageReader = readVnfPackage,
  ) {}

  /** `PUT .../package_content`: receives the body, stores it, and leaves the package PROCESSING. */
  async upload(found: Versioned<VnfPackage>, body: Readable, contentType: string | undefined): Promise<void> {
    const { value: pkg } = await this.toUploading(found);
    const temporary = this.files.temporaryPath(packageFileName(pkg.id));
    const received = await receiveToFile(body, temporary, MAX_PACKAGE_BYTES);
    if (!received.ok) {
      await this.fail(pkg.id, this.uploadFailure(pkg, received));
      throw new ProblemError(received.tooLarge ? 413 : 400, received.reason);
    }
    if (received.size === 0) {
      await fs.promises.rm(temporary, { force: true });
      await this.fail(pkg.id, onboardingFailure('upload-failed', 400, 'The VNF package upload failed', 'The upload had no content.', this.instanceOf(pkg)));
      throw new ProblemError(400, 'The upload had no content: send the package as application/zip (or as the "file" part of multipart/form-data).');
    }
    if (mediaTypeOf(contentType) === MULTIPART_CONTENT_TYPE) {
      const part = await multipartFile(await fs.promises.readFile(temporary), contentType ?? '');
      if (!part.ok) {
        await fs.promises.rm(temporary, { force: true });
        await this.fail(pkg.id, onboardingFailure('upload-failed', 400, 'The VNF package upload failed', part.reason, this.instanceOf(pkg)));
        throw new ProblemError(400, part.reason, { violations: [{ pointer: '', message: part.reason, in: 'body' }] });
      }
      await fs.promises.writeFile(temporary, part.bytes);
    }
    await this.files.commit(temporary, packageFileName(pkg.id));
    await this.toProcessing(pkg.id);
    this.background.run(`onboard VNF package ${pkg.id}`, () => this.process(pkg.id));
  }

  /** `POST .../package_content/upload_from_uri`: UPLOADING now, the fetch and the processing after the 202. */
  async uploadFromUri(found: Versioned<VnfPackage>, address: PackageAddress, credentials: BasicCredentials | undefined): Promise<void> {
    const { value: pkg } = await this.toUploading(found);
    this.background.run(`fetch VNF package ${pkg.id}`, async () => {
      const temporary = this.files.temporaryPath(packageFileName(pkg.id));
      const fetched = await fetchPackage(address, credentials, temporary, { maxBytes: MAX_PACKAGE_BYTES, timeoutMs: PACKAGE_FETCH_TIMEOUT_MS, signal: this.background.signal });
      if (!fetched.ok) {
        await this.fail(pkg.id, onboardingFailure('package-fetch-failed', 422, 'The VNF package could not be fetched', fetched.reason, this.instanceOf(pkg)));
        return;
      }
      await this.files.commit(temporary, packageFileName(pkg.id));
      if (await this.toProcessing(pkg.id)) await this.process(pkg.id);
    });
  }

  /**
   * Before the API serves: packages left UPLOADING go back to CREATED, stray files go. Answers the packages left
   * PROCESSING, for `resume` once the module runs.
   */
  async recover(): Promise<string[]> {
    for (const { value: pkg } of await this.catalogue.packages.query({ where: { onboardingState: 'UPLOADING' } })) {
      this.logger.warn({ vnfPkgId: pkg.id }, 'VNF package upload was interrupted by a restart');
      await this.fail(
        pkg.id,
        onboardingFailure('upload-interrupted', 409, 'The VNF package upload was interrupted', 'The NFVO restarted while the package content was being uploaded; upload it again.', this.instanceOf(pkg)),
      );
    }
    const processing = await this.catalogue.packages.query({ where: { onboardingState: 'PROCESSING' } });
    const onboarded = await this.catalogue.packages.query({ where: { onboardingState: 'ONBOARDED' } });
    const owned = new Set([...processing, ...onboarded].map(({ value }) => packageFileName(value.id)));
    const removed = await this.files.sweep((name) => owned.has(name));
    if (removed.length > 0) this.logger.info({ removed }, 'removed package files no package owns');
    return processing.map(({ value }) => value.id);
  }

  resume(ids: readonly string[]): void {
    for (const id of ids) this.background.run(`resume onboarding of VNF package ${id}`, () => this.process(id));
  }

  /** Reads the stored package and onboards it, or records why it cannot be. Safe to run again. */
  async process(id: string): Promise<void> {
    for (;;) {
      const found = await this.catalogue.packages.get(id);
      if (!found || found.value.onboardingState !== 'PROCESSING') return;
      const pkg = found.value;
      const result = await this.read(pkg);
      if (!result.ok) {
        await this.fail(id, invalidContentFailure('VNF package', this.instanceOf(pkg), result.errors));
        return;
      }
      const onboarded = this.onboardedFrom(pkg, result.value);
      const vnfdId = onboarded.vnfdId as string;
      const writes: Write[] = [
        this.catalogue.packages.updateWrite(onboarded, found.revision),
        this.catalogue.onboardedVnfds.insertWrite({ id: onboardedVnfdKey(pkg.tenantId, vnfdId), tenantId: pkg.tenantId, vnfdId, vnfPkgId: id }),
        ...(await this.notifications.writesFor({ type: 'VnfPackageOnboardingNotification' }, onboarded)),
      ];
      try {
        await this.store.commit(writes);
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        if (error.collection === ONBOARDED_VNFDS.name && error.reason === 'duplicate-id') {
          await this.fail(id, await this.duplicateVnfdFailure(pkg, vnfdId));
          return;
        }
        continue;
      }
      this.notifications.dispatch();
      this.logger.info({ vnfPkgId: id, vnfdId }, 'VNF package onboarded');
      return;
    }
  }

  private async read(pkg: VnfPackage): Promise<ReadResult<VnfPackageContents>> {
    try {
      return await this.readPackage(await this.files.read(packageFileName(pkg.id)));
    } catch (error) {
      this.logger.error({ err: error, vnfPkgId: pkg.id }, 'the VNF package could not be read');
      return { ok: false, errors: [{ code: 'package-unreadable', message: `The package could not be read: ${(error as Error).message}` }] };
    }
  }

  private async duplicateVnfdFailure(pkg: VnfPackage, vnfdId: string): Promise<ProblemDetails> {
    const holder = await this.catalogue.onboardedVnfds.get(onboardedVnfdKey(pkg.tenantId, vnfdId));
    const holderId = holder?.value.vnfPkgId ?? 'another package';
    return onboardingFailure(
      'duplicate-vnfd',
      409,
      'The VNFD is already onboarded',
      `The VNFD ${vnfdId} is already onboarded as VNF package ${holderId}; delete that package first or give this VNFD another descriptor_id.`,
      this.instanceOf(pkg),
      { vnfdId, vnfPkgId: holderId },
    );
  }

  private onboardedFrom(pkg: VnfPackage, contents: VnfPackageContents): VnfPackage {
    const now = new Date().toISOString();
    const { vnfd } = contents;
    const softwareImages = new Map<string, VnfPackageSoftwareImageInfo>();
    for (const flavour of vnfd.flavours) {
      const imageHolders = [
        ...flavour.vdus.map((vdu) => ({ id: vdu.vduId, image: vdu.swImage })),
        ...flavour.virtualStorages.map((storage) => ({ id: storage.storageId, image: storage.swImage })),
      ];
      for (const { id, image } of imageHolders) {
        if (image === undefined || softwareImages.has(id)) continue;
        const info: VnfPackageSoftwareImageInfo = {
          id,
          name: image.name,
          provider: vnfd.provider,
          version: image.version,
          checksum: image.checksum,
          isEncrypted: false,
          containerFormat: image.containerFormat.toUpperCase(),
          diskFormat: image.diskFormat.toUpperCase(),
          createdAt: now,
          minDisk: Math.ceil(image.minDiskGiB),
          minRam: Math.ceil(image.minRamMiB),
          size: image.sizeBytes,
        };
        if (image.artifactPath !== undefined) info.imagePath = image.artifactPath;
        softwareImages.set(id, info);
      }
    }
    const content: PackageContentIndex = {
      sizeBytes: contents.files.reduce((sum, file) => sum + file.size, 0),
      descriptorFiles: contents.descriptorFiles,
      toscaMetaFile: contents.files.some((file) => file.path === TOSCA_META) ? TOSCA_META : undefined,
      manifestFile: contents.manifest?.path,
      artifactPaths: [
        ...new Set([...contents.artifacts.map((artifact) => artifact.path), ...[...softwareImages.values()].flatMap((image) => image.imagePath ?? [])]),
      ],
    };
    const { onboardingFailureDetails: _cleared, ...rest } = pkg;
    return {
      ...rest,
      onboardingState: 'ONBOARDED',
      // As OpenStack Tacker does: an onboarded package is ready for use until someone disables it.
      operationalState: 'ENABLED',
      vnfdId: vnfd.vnfdId,
      vnfProvider: vnfd.provider,
      vnfProductName: vnfd.productName,
      vnfSoftwareVersion: vnfd.softwareVersion,
      vnfdVersion: vnfd.vnfdVersion,
      softwareImages: [...softwareImages.values()],
      additionalArtifacts: contents.artifacts
        .filter((artifact) => !artifact.isSoftwareImage)
        .map((artifact) => ({ artifactPath: artifact.path, checksum: artifact.checksum })),
      content,
    };
  }

  private instanceOf(pkg: VnfPackage): string {
    return `${VNF_PACKAGES_PATH}/${pkg.id}`;
  }

  private uploadFailure(pkg: VnfPackage, received: Extract<ReceivedFile, { ok: false }>): ProblemDetails {
    return onboardingFailure(
      received.tooLarge ? 'package-too-large' : 'upload-failed',
      received.tooLarge ? 413 : 400,
      'The VNF package upload failed',
      received.reason,
      this.instanceOf(pkg),
    );
  }

  /** CREATED -> UPLOADING, refused with 409 from any other state (SOL 005 clause 9.4.5.3.3). */
  private async toUploading(found: Versioned<VnfPackage>): Promise<Versioned<VnfPackage>> {
    const pkg = found.value;
    if (pkg.onboardingState !== 'CREATED') {
      throw new ProblemError(409, `VNF package ${pkg.id} is ${pkg.onboardingState}; content can be uploaded only to a package in CREATED.`, {
        extensions: { onboardingState: pkg.onboardingState },
      });
    }
    const { onboardingFailureDetails: _cleared, checksum: _checksum, ...rest } = pkg;
    const uploading: VnfPackage = { ...rest, onboardingState: 'UPLOADING' };
    return this.catalogue.packages.update(uploading, found.revision);
  }

  /** UPLOADING -> PROCESSING once the bytes are stored. Answers false when the package is gone meanwhile. */
  private async toProcessing(id: string): Promise<boolean> {
    const hash = await sha256OfFile(this.files.pathOf(packageFileName(id)));
    const changed = await changeStored<VnfPackage>(this.catalogue.packages, id, (pkg) =>
      pkg.onboardingState === 'UPLOADING' ? { ...pkg, onboardingState: 'PROCESSING', checksum: { algorithm: 'SHA-256', hash } } : undefined,
    );
    if (!changed) await this.files.remove(packageFileName(id));
    return changed;
  }

  /** Back to CREATED with the reason, and without the stored bytes. */
  private async fail(id: string, details: ProblemDetails): Promise<void> {
    await changeStored<VnfPackage>(this.catalogue.packages, id, (pkg) => {
      if (pkg.onboardingState === 'ONBOARDED' || pkg.onboardingState === 'CREATED') return undefined;
      const { checksum: _checksum, content: _content, ...rest } = pkg;
      return { ...rest, onboardingState: 'CREATED', operationalState: 'DISABLED', onboardingFailureDetails: details };
    });
    await this.files.remove(packageFileName(id));
    this.logger.info({ vnfPkgId: id, failure: details.detail }, 'VNF package onboarding failed');
  }
}

const TOSCA_META = 'TOSCA-Metadata/TOSCA.meta';
