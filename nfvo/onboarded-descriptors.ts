/**
 * The parsed descriptors of onboarded VNF packages and NSDs, read back from their stored content and kept
 * in memory by resource id (an onboarded package or NSD never changes its content).
 */
import path from 'node:path';
import { readNsd, readVnfPackage, type Nsd, type VnfPackageContents } from '../descriptors/index.js';
import type { Store, Versioned } from '../platform/index.js';
import { ContentFiles } from './content-files.js';
import { NsdCatalogue } from './nsd/catalogue.js';
import type { NsDescriptor } from './nsd/model.js';
import { nsdFileName } from './nsd/onboarding.js';
import { VnfPackageCatalogue } from './packages/catalogue.js';
import type { VnfPackage } from './packages/model.js';
import { packageFileName } from './packages/onboarding.js';

export interface OnboardedVnfPackage {
  pkg: VnfPackage;
  contents: VnfPackageContents;
}

export interface OnboardedNsd {
  nsd: NsDescriptor;
  descriptor: Nsd;
}

export class OnboardedDescriptors {
  readonly packages: VnfPackageCatalogue;
  readonly nsds: NsdCatalogue;
  private readonly packageFiles: ContentFiles;
  private readonly nsdFiles: ContentFiles;
  private readonly parsedPackages = new Map<string, Promise<VnfPackageContents>>();
  private readonly parsedNsds = new Map<string, Promise<Nsd>>();

  constructor(store: Store, dataDir: string) {
    this.packages = new VnfPackageCatalogue(store);
    this.nsds = new NsdCatalogue(store);
    this.packageFiles = new ContentFiles(path.join(dataDir, 'packages'));
    this.nsdFiles = new ContentFiles(path.join(dataDir, 'nsds'));
  }

  /** The tenant's onboarded package holding the VNFD, parsed; undefined when there is none. */
  async vnfd(tenantId: string, vnfdId: string): Promise<OnboardedVnfPackage | undefined> {
    const found = await this.packages.onboardedInTenant(tenantId, vnfdId);
    if (!found) return undefined;
    return { pkg: found.value, contents: await this.contentsOf(found) };
  }

  /** An onboarded NSD resource of the tenant, parsed; undefined when there is none. */
  async nsd(tenantId: string, nsdInfoId: string): Promise<OnboardedNsd | undefined> {
    const found = await this.nsds.descriptors.get(nsdInfoId, tenantId);
    if (!found || found.value.nsdOnboardingState !== 'ONBOARDED') return undefined;
    const nsd = found.value;
    let parsed = this.parsedNsds.get(nsd.id);
    if (parsed === undefined) {
      parsed = this.nsdFiles.read(nsdFileName(nsd.id)).then(async (bytes) => {
        const result = await readNsd(bytes, nsd.contentKind ?? 'yaml');
        if (!result.ok) throw new Error(`the onboarded NSD ${nsd.id} no longer reads: ${result.errors.map((error) => error.message).join('; ')}`);
        return result.value;
      });
      this.parsedNsds.set(nsd.id, parsed);
      parsed.catch(() => this.parsedNsds.delete(nsd.id));
    }
    return { nsd, descriptor: await parsed };
  }

  private contentsOf({ value: pkg }: Versioned<VnfPackage>): Promise<VnfPackageContents> {
    let parsed = this.parsedPackages.get(pkg.id);
    if (parsed === undefined) {
      parsed = this.packageFiles.read(packageFileName(pkg.id)).then(async (bytes) => {
        const result = await readVnfPackage(bytes);
        if (!result.ok) throw new Error(`the onboarded package ${pkg.id} no longer reads: ${result.errors.map((error) => error.message).join('; ')}`);
        return result.value;
      });
      this.parsedPackages.set(pkg.id, parsed);
      parsed.catch(() => this.parsedPackages.delete(pkg.id));
    }
    return parsed;
  }
}
