/**
 * The example packages are what they claim: reproducible SOL 004 archives whose manifests and image checksums
 * hold, read by the product's own reader into the VNFDs written out in `expected.ts` (EPA, scaling, levels), the
 * web-chain NSD into the FW -> LB chain with its classifiers; and every broken variant refused by the reader
 * for its own reason.
 */
import { parse } from 'yaml';
import {
  brokenVariants,
  buildExamplePackages,
  buildNsdArchive,
  buildVnfPackage,
  EXAMPLE_VNF_PACKAGES,
  nsdArchiveFiles,
  sealWithManifest,
  sha256,
  toscaMetaKeys,
  vnfPackageFiles,
  type BrokenVariant,
  type PackageFiles,
} from '../../descriptors/examples/index.js';
import { readNsd, readVnfPackage, type DescriptorError } from '../../descriptors/index.js';
import { EXPECTED, EXPECTED_NSD } from './expected.js';

/** The ETSI definitions the product ships and resolves by name: no package carries copies. */
const ETSI_IMPORTS = new Set(['etsi_nfv_sol001_common_types.yaml', 'etsi_nfv_sol001_vnfd_types.yaml', 'etsi_nfv_sol001_nsd_types.yaml']);

function manifestBlocks(files: PackageFiles): Map<string, string> {
  const manifest = files.get(toscaMetaKeys(files).get('ETSI-Entry-Manifest') ?? '')?.toString('utf8') ?? '';
  const blocks = new Map<string, string>();
  for (const match of manifest.matchAll(/^Source: (.+)\nAlgorithm: SHA-256\nHash: ([0-9a-f]{64})$/gm)) blocks.set(match[1] as string, match[2] as string);
  return blocks;
}

function expectSealedArchive(files: PackageFiles): void {
  const meta = toscaMetaKeys(files);
  for (const key of ['TOSCA-Meta-File-Version', 'CSAR-Version', 'Created-By', 'Entry-Definitions', 'ETSI-Entry-Manifest', 'ETSI-Entry-Change-Log', 'ETSI-Entry-Licenses']) {
    expect(meta.get(key)).toBeTruthy();
  }
  expect(files.has(meta.get('Entry-Definitions') as string)).toBe(true);
  expect(files.has(meta.get('ETSI-Entry-Change-Log') as string)).toBe(true);
  expect([...files.keys()].some((file) => file.startsWith(`${meta.get('ETSI-Entry-Licenses')}/`))).toBe(true);
  const listed = manifestBlocks(files);
  const manifestPath = meta.get('ETSI-Entry-Manifest') as string;
  expect([...listed.keys()].sort()).toEqual([...files.keys()].filter((file) => file !== manifestPath).sort());
  for (const [file, hash] of listed) expect([file, hash]).toEqual([file, sha256(files.get(file) as Buffer)]);
  for (const [file, bytes] of files) {
    if (!file.endsWith('.yaml')) continue;
    const template = parse(bytes.toString('utf8')) as { imports?: string[] };
    for (const imported of template.imports ?? []) {
      expect([file, ETSI_IMPORTS.has(imported) || files.has(`Definitions/${imported}`)]).toEqual([file, true]);
    }
  }
  expect([...files.keys()].filter((file) => ETSI_IMPORTS.has(file.split('/').pop() as string))).toEqual([]);
}

function codesOf(errors: readonly DescriptorError[]): string[] {
  return errors.map((error) => error.code);
}

describe('the example packages', () => {
  it('build to the same bytes every time', async () => {
    const first = await buildExamplePackages();
    const second = await buildExamplePackages();
    expect([...first.keys()]).toEqual(['vfw.zip', 'vlb.zip', 'dpi.zip', 'web-chain.zip']);
    for (const [name, bytes] of first) expect(sha256(second.get(name) as Buffer)).toBe(sha256(bytes));
  });

  it.each(EXAMPLE_VNF_PACKAGES)('%s: TOSCA.meta, a manifest listing every file with its hash, an image its VNFD names by checksum', async (example) => {
    const files = sealWithManifest(await vnfPackageFiles(example));
    expectSealedArchive(files);
    const image = files.get(EXPECTED[example].image.path) as Buffer;
    expect(image.length).toBeGreaterThanOrEqual(4096);
    const flavour = files.get(`Definitions/${example}_df_default.yaml`)?.toString('utf8') ?? '';
    expect(flavour).toContain(`hash: ${sha256(image)}`);
    expect(flavour).toContain(`size: ${image.length} B`);
  });

  it('the NSD archive carries the NSD and the VNF node types it uses, sealed the same way', async () => {
    expectSealedArchive(sealWithManifest(await nsdArchiveFiles()));
  });

  it('a variation changes the VNFD id and the image everywhere they are declared', async () => {
    const image = Buffer.alloc(1024 * 1024, 7);
    const vnfdId = '0b5c8f0e-1d9a-4b36-9d65-000000000001';
    const files = sealWithManifest(await vnfPackageFiles('vfw', { vnfdId, image }));
    expectSealedArchive(files);
    const definitions = [...files].filter(([file]) => file.startsWith('Definitions/')).map(([, bytes]) => bytes.toString('utf8')).join('\n');
    expect(definitions).not.toContain(EXPECTED.vfw.vnfdId);
    expect(definitions.split(vnfdId).length - 1).toBe(3);
    expect(definitions).toContain(`hash: ${sha256(image)}`);
    expect(definitions).toContain(`size: ${image.length} B`);
  });
});

describe('the product reads the examples', () => {
  it.each(EXAMPLE_VNF_PACKAGES)('%s: the VNFD, its EPA, scaling aspect and instantiation levels', async (example) => {
    const expected = EXPECTED[example];
    const zip = await buildVnfPackage(example);
    const result = await readVnfPackage(zip);
    if (!result.ok) throw new Error(`${example} refused: ${JSON.stringify(result.errors, null, 2)}`);
    const { vnfd, manifest, entryDefinitions, artifacts } = result.value;
    expect(result.warnings).toEqual([]);
    expect(entryDefinitions).toBe(`Definitions/${example}_top.vnfd.yaml`);
    expect(manifest?.entries.length).toBe(expected.manifestEntries);
    expect(vnfd).toMatchObject({
      vnfdId: expected.vnfdId,
      provider: expected.provider,
      productName: expected.productName,
      softwareVersion: expected.softwareVersion,
      vnfdVersion: expected.vnfdVersion,
      vnfmInfo: ['etsivnfm:v3.3.1'],
    });
    expect(vnfd.flavours.map((flavour) => flavour.flavourId)).toEqual(expected.flavourIds);
    const flavour = vnfd.flavours[0];
    if (!flavour) throw new Error('no flavour');
    expect(flavour.vdus.map((vdu) => vdu.vduId)).toEqual([expected.vduId]);
    const vdu = flavour.vdus[0];
    if (!vdu) throw new Error('no VDU');
    expect(vdu.epa).toEqual(expected.epa);
    expect([vdu.minInstances, vdu.maxInstances]).toEqual([expected.scaling.minInstances, expected.scaling.maxInstances]);
    const image = (await vnfPackageFiles(example)).get(expected.image.path);
    expect(vdu.swImage).toMatchObject({
      name: expected.image.name,
      version: expected.image.version,
      checksum: { algorithm: 'sha-256', hash: sha256(image as Buffer) },
      containerFormat: 'bare',
      diskFormat: 'raw',
      minDiskGiB: expected.image.minDiskGiB,
      minRamMiB: expected.image.minRamMiB,
      sizeBytes: (image as Buffer).length,
      artifactPath: expected.image.path,
    });
    expect(artifacts.filter((artifact) => artifact.isSoftwareImage).map((artifact) => artifact.path)).toEqual([expected.image.path]);
    expect(flavour.vduCps.map((cp) => [cp.cpId, cp.vnicType])).toEqual([
      [`${expected.vduId}_data`, 'direct'],
      [`${expected.vduId}_mgmt`, 'normal'],
    ]);
    expect(flavour.scalingAspects).toEqual([
      expect.objectContaining({
        aspectId: expected.scaling.aspectId,
        maxScaleLevel: expected.scaling.maxScaleLevel,
        deltas: [expect.objectContaining({ vduId: expected.vduId, instances: expected.scaling.instancesPerStep })],
      }),
    ]);
    expect(flavour.defaultInstantiationLevelId).toBe(expected.levels[0]?.[0]);
    const levels = Object.fromEntries(flavour.instantiationLevels.map((level) => [level.levelId, level.vduInstances[expected.vduId]]));
    expect(levels).toEqual(Object.fromEntries(expected.levels));
    for (const level of flavour.instantiationLevels) {
      // An instantiation level and its scale level agree: initial instances plus the aspect's steps.
      const steps = level.scaleInfo[expected.scaling.aspectId] ?? 0;
      expect(level.vduInstances[expected.vduId]).toBe(expected.scaling.minInstances + steps * expected.scaling.instancesPerStep);
    }
  });

  it('web-chain: three VNF profiles, Saps for EXT and web, an NS scaling aspect for the FW, and a VNFFG whose path goes FW then LB for TCP 80 and 443', async () => {
    const result = await readNsd(await buildNsdArchive(), 'zip');
    if (!result.ok) throw new Error(`web-chain refused: ${JSON.stringify(result.errors, null, 2)}`);
    const nsd = result.value;
    expect(nsd).toMatchObject({ ...EXPECTED_NSD, flavourId: 'default' });
    expect(nsd.vnfProfiles.map((profile) => [profile.profileId, profile.vnfdId, profile.flavourId, profile.minInstances, profile.maxInstances]).sort()).toEqual([
      ['dpi', EXPECTED.dpi.vnfdId, 'default', 1, 1],
      ['fw', EXPECTED.vfw.vnfdId, 'default', 1, 3],
      ['lb', EXPECTED.vlb.vnfdId, 'default', 1, 1],
    ]);
    expect(nsd.saps.map((sap) => [sap.sapId, sap.virtualLinkId]).sort()).toEqual([
      ['ext', 'service_vl'],
      ['web', 'service_vl'],
    ]);
    expect(nsd.virtualLinks.map((link) => link.virtualLinkId).sort()).toEqual(['mgmt_vl', 'service_vl']);
    // The NS scales its firewalls: one to three FW VNFs, over which the fw position spreads flows (lb).
    expect(nsd.scalingAspects).toEqual([{ aspectId: 'firewalls', name: 'firewalls', description: expect.any(String), maxScaleLevel: 2, vnfInstances: [{ vnfProfileId: 'fw', instancesAtLevel: [1, 2, 3] }] }]);
    expect(nsd.instantiationLevels.map((level) => [level.levelId, level.isDefault, level.vnfInstances])).toEqual([
      ['one_firewall', true, { fw: 1 }],
      ['two_firewalls', false, { fw: 2 }],
    ]);
    expect(nsd.vnffgs).toHaveLength(1);
    const nfp = nsd.vnffgs[0]?.nfps[0];
    expect(nsd.vnffgs[0]?.nfps).toHaveLength(1);
    expect(nfp?.hops.map((hop) => [hop.positionId, hop.forwardingBehaviour, hop.elements.map((element) => element.vnfProfileId)])).toEqual([
      ['fw_position', 'lb', ['fw']],
      ['lb_position', 'ff', ['lb']],
    ]);
    expect(nfp?.classifiers).toEqual([
      { etherType: 'ipv4', protocol: 6, sourceIp: '0.0.0.0/0', destinationIp: undefined, sourcePortRange: undefined, destinationPortRange: { min: 80, max: 80 } },
      { etherType: 'ipv4', protocol: 6, sourceIp: '0.0.0.0/0', destinationIp: undefined, sourcePortRange: undefined, destinationPortRange: { min: 443, max: 443 } },
    ]);
  });
});

describe('the broken variants', () => {
  let variants: BrokenVariant[];
  beforeAll(async () => {
    variants = await brokenVariants();
  });

  it('are at least twenty, with distinct names, each with a reason to look for', () => {
    expect(variants.length).toBeGreaterThanOrEqual(20);
    expect(new Set(variants.map((variant) => variant.name)).size).toBe(variants.length);
    for (const variant of variants) expect(variant.expectedFragment.length).toBeGreaterThan(0);
  });

  it('are each refused by the reader with their own error', async () => {
    const outcomes: Array<{ name: string; codes: string[] | 'accepted'; messages: string }> = [];
    for (const variant of variants) {
      if (variant.name === 'nsd-unknown-vnfd') continue; // a valid NSD: only the NFVO knows which VNFDs are onboarded
      const result = variant.kind === 'nsd' ? await readNsd(variant.bytes, 'zip') : await readVnfPackage(variant.bytes);
      outcomes.push(
        result.ok
          ? { name: variant.name, codes: 'accepted', messages: '' }
          : { name: variant.name, codes: codesOf(result.errors), messages: result.errors.map((error) => `${error.file ?? ''} ${error.path ?? ''} ${error.message}`).join('\n') },
      );
    }
    for (const outcome of outcomes) {
      const variant = variants.find((candidate) => candidate.name === outcome.name) as BrokenVariant;
      expect({ name: outcome.name, refused: outcome.codes !== 'accepted' }).toEqual({ name: outcome.name, refused: true });
      if (variant.expectedCode !== undefined) expect({ name: outcome.name, codes: outcome.codes }).toEqual({ name: outcome.name, codes: expect.arrayContaining([variant.expectedCode]) });
      expect({ name: outcome.name, mentions: outcome.messages.toLowerCase().includes(variant.expectedFragment.toLowerCase()) }).toEqual({ name: outcome.name, mentions: true });
    }
  });
});
