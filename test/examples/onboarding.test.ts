/**
 * The examples through the SOL 005 API of the whole product: the three VNF packages onboard with the identity,
 * images and checksum their VNFDs declare, and the web-chain NSD onboards referencing the three packages. Then
 * every broken variant is refused with its own reason in `onboardingFailureDetails` (an NSD may also be refused
 * at once with a 4xx), the package goes back to CREATED as SOL 005 v2.6.1 says, the process stays up, and
 * nothing else changes: the onboarded packages and NSD read the same, and the data dir keeps no stray file.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  brokenVariants,
  buildExamplePackages,
  buildNsdArchive,
  EXAMPLE_VNF_PACKAGES,
  sha256,
  vnfPackageFiles,
  type BrokenVariant,
} from '../../descriptors/examples/index.js';
import type { ProblemDetails } from '../../platform/index.js';
import { startProduct, type RunningProduct } from '../support/application.js';
import { EXPECTED, EXPECTED_NSD } from './expected.js';
import {
  createNsd,
  createVnfPackage,
  expectJson,
  NS_DESCRIPTORS,
  onboardVnfPackage,
  uploadNsdContent,
  uploadPackageContent,
  VNF_PACKAGES,
  waitForNsdOnboarding,
  waitForPackageOnboarding,
  contentErrorsOf,
  type NsdInfo,
  type VnfPkgInfo,
} from './sol005.js';

const variants = await brokenVariants();
const built = await buildExamplePackages();

function zipOf(example: string): Buffer {
  const zip = built.get(`${example}.zip`);
  if (!zip) throw new Error(`no ${example}.zip`);
  return zip;
}

/** Everything the API shows of the onboarded resources, to compare before and after a refusal. */
async function catalogue(product: RunningProduct): Promise<{ packages: VnfPkgInfo[]; nsds: NsdInfo[] }> {
  const packages = await expectJson<VnfPkgInfo[]>(await product.request(`${VNF_PACKAGES}?all_fields`), 200);
  const nsds = await expectJson<NsdInfo[]>(await product.request(`${NS_DESCRIPTORS}?all_fields`), 200);
  const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);
  return { packages: packages.sort(byId), nsds: nsds.sort(byId) };
}

function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** The failure names the variant's reason: its error code where settled, and the fragment a person reads. */
function expectReason(failure: ProblemDetails | undefined, variant: BrokenVariant): void {
  expect(failure).toBeDefined();
  const errors = contentErrorsOf(failure);
  const text = `${failure?.detail ?? ''}\n${errors.map((error) => `${error.location ?? ''} ${error.message}`).join('\n')}`;
  expect({ variant: variant.name, mentions: text.toLowerCase().includes(variant.expectedFragment.toLowerCase()), text }).toMatchObject({ variant: variant.name, mentions: true });
  if (variant.expectedCode !== undefined) {
    expect({ variant: variant.name, codes: errors.map((error) => error.code) }).toEqual({ variant: variant.name, codes: expect.arrayContaining([variant.expectedCode]) });
  }
}

describe('the examples onboard through the SOL 005 API', () => {
  let product: RunningProduct;
  const onboarded = new Map<string, VnfPkgInfo>();

  beforeAll(async () => {
    product = await startProduct();
  });
  afterAll(async () => {
    await product.stop();
  });

  it.each(EXAMPLE_VNF_PACKAGES)('%s: ONBOARDED and ENABLED, with the VNFD identity, its software image and the package checksum', async (example) => {
    const expected = EXPECTED[example];
    const zip = zipOf(example);
    const pkg = await onboardVnfPackage(product.request, zip, { example });
    onboarded.set(example, pkg);
    expect(pkg.onboardingFailureDetails).toBeUndefined();
    expect(pkg).toMatchObject({
      onboardingState: 'ONBOARDED',
      operationalState: 'ENABLED',
      usageState: 'NOT_IN_USE',
      vnfdId: expected.vnfdId,
      vnfProvider: expected.provider,
      vnfProductName: expected.productName,
      vnfSoftwareVersion: expected.softwareVersion,
      vnfdVersion: expected.vnfdVersion,
      checksum: { algorithm: 'SHA-256', hash: sha256(zip) },
      userDefinedData: { example },
    });
    const image = (await vnfPackageFiles(example)).get(expected.image.path) as Buffer;
    expect(pkg.softwareImages).toEqual([
      expect.objectContaining({
        id: expected.vduId,
        name: expected.image.name,
        provider: expected.provider,
        version: expected.image.version,
        checksum: { algorithm: 'sha-256', hash: sha256(image) },
        containerFormat: 'BARE',
        diskFormat: 'RAW',
        minDisk: expected.image.minDiskGiB,
        minRam: expected.image.minRamMiB,
        size: image.length,
        imagePath: expected.image.path,
      }),
    ]);

    const content = await product.request(`${VNF_PACKAGES}/${pkg.id}/package_content`);
    expect(content.status).toBe(200);
    expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(sha256(zip));
    const artifact = await product.request(`${VNF_PACKAGES}/${pkg.id}/artifacts/${expected.image.path}`);
    expect(artifact.status).toBe(200);
    expect(sha256(Buffer.from(await artifact.arrayBuffer()))).toBe(sha256(image));
    const vnfd = await product.request(`${VNF_PACKAGES}/${pkg.id}/vnfd`, { headers: { Accept: 'application/zip' } });
    expect([vnfd.status, vnfd.headers.get('content-type')]).toEqual([200, 'application/zip']);
  });

  it('web-chain: the NSD onboards, referencing the three packages', async () => {
    expect([...onboarded.keys()].sort()).toEqual([...EXAMPLE_VNF_PACKAGES].sort());
    const created = await createNsd(product.request);
    const upload = await uploadNsdContent(product.request, created.id, await buildNsdArchive());
    expect([202, 204]).toContain(upload.status);
    const nsd = await waitForNsdOnboarding(product.request, created.id);
    expect(nsd.onboardingFailureDetails).toBeUndefined();
    expect(nsd).toMatchObject({
      nsdOnboardingState: 'ONBOARDED',
      nsdOperationalState: 'ENABLED',
      nsdUsageState: 'NOT_IN_USE',
      nsdId: EXPECTED_NSD.nsdId,
      nsdName: EXPECTED_NSD.name,
      nsdDesigner: EXPECTED_NSD.designer,
      nsdVersion: EXPECTED_NSD.version,
      nsdInvariantId: EXPECTED_NSD.invariantId,
    });
    expect([...(nsd.vnfPkgIds ?? [])].sort()).toEqual([...onboarded.values()].map((pkg) => pkg.id).sort());
  });
});

describe('the broken variants are refused through the API, and nothing else changes', () => {
  let product: RunningProduct;
  let before: Awaited<ReturnType<typeof catalogue>>;
  let storedFilesBefore: string[];
  /** What the data dir keeps of uploaded content: package zips, NSD files. */
  const storedFiles = (): string[] => ['packages', 'nsds'].flatMap((folder) => filesIn(path.join(product.config.dataDir, folder)).map((file) => `${folder}/${file}`));

  beforeAll(async () => {
    product = await startProduct();
    for (const example of EXAMPLE_VNF_PACKAGES) {
      const pkg = await onboardVnfPackage(product.request, zipOf(example));
      if (pkg.onboardingState !== 'ONBOARDED') throw new Error(`${example} did not onboard: ${JSON.stringify(pkg.onboardingFailureDetails)}`);
    }
    const nsd = await createNsd(product.request);
    await uploadNsdContent(product.request, nsd.id, await buildNsdArchive());
    if ((await waitForNsdOnboarding(product.request, nsd.id)).nsdOnboardingState !== 'ONBOARDED') throw new Error('web-chain did not onboard');
    before = await catalogue(product);
    storedFilesBefore = storedFiles();
    expect(storedFilesBefore.filter((file) => file.startsWith('packages/'))).toHaveLength(EXAMPLE_VNF_PACKAGES.length);
  });
  afterAll(async () => {
    await product.stop();
  });

  afterEach(async () => {
    const health = await fetch(`${product.url}/healthz`);
    expect(health.status).toBe(200);
    const after = await catalogue(product);
    const known = new Set([...before.packages, ...before.nsds].map((resource) => resource.id));
    expect(after.packages.filter((pkg) => known.has(pkg.id))).toEqual(before.packages);
    expect(after.nsds.filter((nsd) => known.has(nsd.id))).toEqual(before.nsds);
    expect(storedFiles()).toEqual(storedFilesBefore);
  });

  it.each(variants.filter((variant) => variant.kind === 'vnf-package').map((variant) => [variant.name, variant] as const))(
    '%s',
    async (_name, variant) => {
      const created = await createVnfPackage(product.request);
      const upload = await uploadPackageContent(product.request, created.id, variant.bytes);
      expect(upload.status).toBe(202);
      const pkg = await waitForPackageOnboarding(product.request, created.id);
      expect(pkg).toMatchObject({ onboardingState: 'CREATED', operationalState: 'DISABLED', usageState: 'NOT_IN_USE' });
      expect(pkg.vnfdId).toBeUndefined();
      expect(pkg.softwareImages).toBeUndefined();
      expectReason(pkg.onboardingFailureDetails, variant);
      expect((await product.request(`${VNF_PACKAGES}/${created.id}/package_content`)).status).toBe(409);
      expect((await product.request(`${VNF_PACKAGES}/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    },
  );

  it.each(variants.filter((variant) => variant.kind === 'nsd').map((variant) => [variant.name, variant] as const))('%s', async (_name, variant) => {
    const created = await createNsd(product.request);
    const upload = await uploadNsdContent(product.request, created.id, variant.bytes);
    let failure: ProblemDetails | undefined;
    if (upload.status >= 400 && upload.status < 500) {
      failure = (await upload.json()) as ProblemDetails;
    } else {
      expect([202, 204]).toContain(upload.status);
      const nsd = await waitForNsdOnboarding(product.request, created.id);
      expect(nsd).toMatchObject({ nsdOnboardingState: 'CREATED', nsdOperationalState: 'DISABLED' });
      failure = nsd.onboardingFailureDetails;
    }
    expectReason(failure, variant);
    expect((await product.request(`${NS_DESCRIPTORS}/${created.id}`, { method: 'DELETE' })).status).toBe(204);
  });
});
