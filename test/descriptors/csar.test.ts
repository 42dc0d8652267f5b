import { readVnfPackage } from '../../descriptors/index.js';
import {
  CIRROS_IMAGE,
  errorWithCode,
  errorsOf,
  manifestOf,
  positionOf,
  tackerPackage,
  TOSCA_META,
  valueOf,
  VNF_MANIFEST_METADATA,
  vnfNodeYaml,
  withManifest,
  type PackageFiles,
} from './packages.js';
import { buildZip, sha } from './zip.js';

/** SOL 004 layout: TOSCA.meta (and the variant without it), the manifest and every hash it declares. */
const read = async (files: PackageFiles) => readVnfPackage(await buildZip(files));

describe('CSAR with TOSCA-Metadata', () => {
  it('reads TOSCA.meta, the manifest and the files of a Tacker-shaped package', async () => {
    const files = withManifest(tackerPackage());
    const result = await read(files);
    const contents = valueOf(result);
    expect(contents.toscaMeta).toEqual({
      'TOSCA-Meta-File-Version': '1.0',
      'CSAR-Version': '1.1',
      'Created-By': 'Company',
      'Entry-Definitions': 'Definitions/vnfd_top.yaml',
      'ETSI-Entry-Manifest': 'manifest.mf',
    });
    expect(contents.entryDefinitions).toBe('Definitions/vnfd_top.yaml');
    expect(contents.descriptorFiles).toEqual(['Definitions/vnfd_top.yaml', 'Definitions/vnfd_types.yaml', 'Definitions/vnfd_df_simple.yaml']);
    expect(contents.manifest?.metadata).toEqual(VNF_MANIFEST_METADATA);
    expect(contents.manifest?.entries.map((entry) => [entry.source, entry.algorithm])).toEqual(
      ['Definitions/vnfd_top.yaml', 'Definitions/vnfd_types.yaml', 'Definitions/vnfd_df_simple.yaml', 'Files/images/cirros.img'].map((source) => [source, 'SHA-256']),
    );
    expect(contents.artifacts).toEqual([{ path: 'Files/images/cirros.img', checksum: { algorithm: 'SHA-256', hash: sha('sha256', CIRROS_IMAGE) }, isSoftwareImage: true }]);
    expect(contents.files.find((file) => file.path === 'Files/images/cirros.img')).toEqual({ path: 'Files/images/cirros.img', size: CIRROS_IMAGE.length, sha256: sha('sha256', CIRROS_IMAGE) });
    expect(contents.file('Definitions/vnfd_top.yaml')?.toString()).toBe(files['Definitions/vnfd_top.yaml']);
    expect(contents.file('nothing/here')).toBeUndefined();
    if (result.ok) expect(result.warnings).toEqual([]);
  });

  it('reads the older Entry-Manifest / Entry-Change-Log / Entry-Licenses spellings and a lower-case "Created-by"', async () => {
    const files = withManifest(tackerPackage(), 'Other/package.mf');
    files['TOSCA-Metadata/TOSCA.meta'] =
      'TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-by: Onboarding portal\nEntry-Definitions: Definitions/vnfd_top.yaml\n' +
      'Entry-Manifest: Other/package.mf\nEntry-Change-Log: ChangeLog.txt\nEntry-Licenses: Licenses\n';
    files['ChangeLog.txt'] = '2024-01-01 first release\n';
    files['Licenses/LICENSE'] = 'Apache-2.0\n';
    const contents = valueOf(await read(files));
    expect(contents.toscaMeta).toMatchObject({ 'Created-By': 'Onboarding portal', 'Entry-Manifest': 'Other/package.mf', 'Entry-Licenses': 'Licenses' });
    expect(contents.manifest?.path).toBe('Other/package.mf');
    expect(contents.artifacts.map((artifact) => artifact.path).sort()).toEqual(['ChangeLog.txt', 'Files/images/cirros.img', 'Licenses/LICENSE']);
  });

  it.each(['TOSCA-Meta-File-Version', 'CSAR-Version', 'Created-By', 'Entry-Definitions'])('refuses a TOSCA.meta without %s', async (key) => {
    const files = withManifest(tackerPackage());
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META.split('\n').filter((line) => !line.startsWith(`${key}:`)).join('\n');
    const error = errorWithCode(await read(files), 'tosca-meta-missing-key');
    expect(error).toEqual({ code: 'tosca-meta-missing-key', message: `TOSCA.meta has no "${key}" key, which SOL 004 requires`, file: 'TOSCA-Metadata/TOSCA.meta' });
  });

  it('refuses a TOSCA.meta line that is not "Key: value", and an unknown CSAR version, with their lines', async () => {
    const files = withManifest(tackerPackage());
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META.replace('CSAR-Version: 1.1', 'CSAR-Version: 9.9') + 'this line has no colon\n';
    const result = await read(files);
    expect(errorWithCode(result, 'tosca-meta-syntax')).toMatchObject({ file: 'TOSCA-Metadata/TOSCA.meta', line: 6, column: 1 });
    expect(errorWithCode(result, 'tosca-meta-version')).toMatchObject({ message: 'CSAR-Version is 9.9; this reader knows 1.0, 1.1, 2.0', line: 2 });
  });

  it('refuses an Entry-Definitions file that is not in the package', async () => {
    const files = withManifest(tackerPackage());
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META.replace('Definitions/vnfd_top.yaml', 'Definitions/missing.yaml');
    expect(errorWithCode(await read(files), 'entry-missing')).toEqual({
      code: 'entry-missing',
      message: 'Entry-Definitions names Definitions/missing.yaml, which is not in the package',
      file: 'TOSCA-Metadata/TOSCA.meta',
      line: 4,
      column: 1,
    });
  });

  it('refuses a manifest, change log or certificate named by TOSCA.meta but missing', async () => {
    const files = tackerPackage();
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META + 'ETSI-Entry-Change-Log: ChangeLog.txt\nETSI-Entry-Certificate: Files/package.cert\n';
    const errors = errorsOf(await read(files));
    expect(errors.map((error) => [error.code, error.line, error.message])).toEqual([
      ['entry-missing', 5, 'ETSI-Entry-Manifest names manifest.mf, which is not in the package'],
      ['entry-missing', 6, 'ETSI-Entry-Change-Log names ChangeLog.txt, which is not in the package'],
      ['entry-missing', 7, 'ETSI-Entry-Certificate names Files/package.cert, which is not in the package'],
    ]);
  });
});

describe('manifest', () => {
  it('verifies SHA-256, SHA-384 and SHA-512 hashes, written the ways tools write them', async () => {
    const files = tackerPackage();
    const manifest = manifestOf(files, ['Files/images/cirros.img'], { algorithm: 'SHA-512', metadata: VNF_MANIFEST_METADATA })
      .concat(manifestOf(files, ['Definitions/vnfd_top.yaml'], { algorithm: 'SHA-384' }))
      .concat(manifestOf(files, ['Definitions/vnfd_types.yaml']).replace('SHA-256', 'sha256'));
    const contents = valueOf(await read({ ...files, 'manifest.mf': manifest }));
    expect(contents.manifest?.entries.map((entry) => entry.algorithm)).toEqual(['SHA-512', 'SHA-384', 'SHA-256']);
    expect(contents.artifacts[0]?.checksum).toEqual({ algorithm: 'SHA-512', hash: sha('sha512', CIRROS_IMAGE) });
  });

  it('refuses a file whose hash differs from the manifest, at the line of its Source', async () => {
    const files = withManifest(tackerPackage());
    const manifest = String(files['manifest.mf']);
    files['Files/images/cirros.img'] = Buffer.concat([CIRROS_IMAGE, Buffer.from('tampered')]);
    const error = errorWithCode(await read(files), 'manifest-hash-mismatch');
    expect(error).toMatchObject({ file: 'manifest.mf', line: positionOf(manifest, 'Source: Files/images/cirros.img').line, column: 1 });
    expect(error.message).toMatch(/^Files\/images\/cirros\.img has SHA-256 [0-9a-f]{64}, but the manifest declares [0-9a-f]{64}$/);
  });

  it('refuses a manifest entry for a file that is not in the package', async () => {
    const files = tackerPackage();
    const manifest = manifestOf(files, ['Files/images/cirros.img']) + '\nSource: Files/images/other.img\nAlgorithm: SHA-256\nHash: ' + '0'.repeat(64) + '\n';
    const error = errorWithCode(await read({ ...files, 'manifest.mf': manifest }), 'manifest-source-missing');
    expect(error).toEqual({
      code: 'manifest-source-missing',
      message: 'the manifest lists Files/images/other.img, which is not in the package',
      file: 'manifest.mf',
      line: positionOf(manifest, 'Source: Files/images/other.img').line,
      column: 1,
    });
  });

  it('refuses unknown algorithms, malformed hashes, incomplete entries and stray lines', async () => {
    const files = tackerPackage();
    const manifest = [
      'Source: Files/images/cirros.img\nAlgorithm: MD5\nHash: 0123',
      'Source: Definitions/vnfd_top.yaml\nAlgorithm: SHA-256\nHash: xyz',
      'Source: Definitions/vnfd_types.yaml\nAlgorithm: SHA-256',
      'Version: 2',
    ].join('\n\n');
    const result = await read({ ...files, 'manifest.mf': manifest });
    expect(errorWithCode(result, 'manifest-algorithm')).toMatchObject({ line: 1, message: 'the manifest uses the hash algorithm "MD5" for Files/images/cirros.img; use SHA-256, SHA-384 or SHA-512' });
    expect(errorWithCode(result, 'manifest-hash-format')).toMatchObject({ line: 5 });
    expect(errorWithCode(result, 'manifest-incomplete-entry')).toMatchObject({ line: 9 });
    expect(errorWithCode(result, 'manifest-syntax')).toMatchObject({ line: 12, message: 'line 12: "Version" is neither package metadata nor part of a file entry' });
  });

  it('refuses a file listed twice, and only warns about external artifacts it cannot check', async () => {
    const files = tackerPackage();
    const external = 'Source: https://images.example.com/big.qcow2\nAlgorithm: SHA-256\nHash: ' + 'a'.repeat(64) + '\n';
    const twice = manifestOf(files, ['Files/images/cirros.img', 'Files/images/cirros.img']);
    expect(errorWithCode(await read({ ...files, 'manifest.mf': twice }), 'manifest-duplicate-source')).toMatchObject({ message: 'Files/images/cirros.img is listed more than once', line: 5 });
    const result = await read({ ...files, 'manifest.mf': manifestOf(files, ['Files/images/cirros.img'], { metadata: VNF_MANIFEST_METADATA }) + '\n' + external });
    expect(result.ok && result.warnings.map((warning) => [warning.code, warning.line])).toEqual([['manifest-external-source', 11]]);
  });

  it('skips the non-MANO artifact sets and a CMS signature', async () => {
    const files = tackerPackage();
    const manifest =
      'metadata:\nvnf_product_name: Sample VNF\nvnf_provider_id: Company\nvnf_package_version: 1.0\nvnf_release_date_time: 2024-01-01T10:00+03:00\n\n' +
      'non_mano_artifact_sets:\n  onap_ves_events:\n    Source: Files/events.yaml\n\n' +
      manifestOf(files, ['Files/images/cirros.img']) +
      '\n-----BEGIN CMS-----\nMIIGZAYJKoZIhvcNAQcCoIIGVTCCBlECAQEx\n-----END CMS-----\n';
    const contents = valueOf(await read({ ...files, 'manifest.mf': manifest }));
    expect(contents.manifest?.entries.map((entry) => entry.source)).toEqual(['Files/images/cirros.img']);
  });

  it('warns about missing package metadata and a package without a manifest', async () => {
    const files = tackerPackage();
    const partial = await read({ ...files, 'manifest.mf': manifestOf(files, ['Files/images/cirros.img'], { metadata: { vnf_provider_id: 'Company' } }) });
    expect(partial.ok && partial.warnings.map((warning) => [warning.code, warning.message])).toEqual([
      ['manifest-metadata-missing', 'the manifest metadata lacks vnf_product_name, vnf_package_version, vnf_release_date_time'],
    ]);
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META.replace('ETSI-Entry-Manifest: manifest.mf\n', '');
    const none = await read(files);
    expect(none.ok && none.warnings.map((warning) => warning.code)).toEqual(['manifest-absent']);
  });

  it('warns when the manifest metadata names another provider than the VNFD', async () => {
    const files = tackerPackage();
    const manifest = manifestOf(files, ['Files/images/cirros.img'], { metadata: { ...VNF_MANIFEST_METADATA, vnf_provider_id: 'Other' } });
    const result = await read({ ...files, 'manifest.mf': manifest });
    expect(result.ok && result.warnings.map((warning) => warning.message)).toEqual([`the manifest's vnf_provider_id is "Other" but the VNFD says "Company"`]);
  });

  it('verifies the hashes some tools write into TOSCA.meta blocks instead', async () => {
    const files = withManifest(tackerPackage());
    const block = (hash: string) => `\nName: Files/images/cirros.img\nContent-Type: application/x-iso9066-image\nAlgorithm: SHA-256\nHash: ${hash}\n`;
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META + block(sha('sha256', CIRROS_IMAGE));
    expect((await read(files)).ok).toBe(true);
    files['TOSCA-Metadata/TOSCA.meta'] = TOSCA_META + block('1'.repeat(64));
    expect(errorWithCode(await read(files), 'manifest-hash-mismatch')).toMatchObject({ file: 'TOSCA-Metadata/TOSCA.meta', line: 7 });
  });
});

describe('CSAR without TOSCA-Metadata', () => {
  const VNFD = `tosca_definitions_version: tosca_simple_yaml_1_3
metadata:
  template_name: sample-vnf
  template_author: Company
  template_version: '1.0'
imports:
  - etsi_nfv_sol001_vnfd_types.yaml
topology_template:
  node_templates:
${vnfNodeYaml('VNF', '6b6d4d0e-0a7a-4f0a-9a43-7c9a2f3a1d55', 'Root VNF', 'default')}    VDU1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: VDU1
        description: the VNFC
        vdu_profile: { min_number_of_instances: 1, max_number_of_instances: 1 }
      capabilities:
        virtual_compute:
          properties:
            virtual_memory: { virtual_mem_size: 1 GiB }
            virtual_cpu: { num_virtual_cpu: 2 }
`;

  it('reads the one YAML at the root, its metadata, and the manifest of the same base name', async () => {
    const files: PackageFiles = { 'sample-vnf.yaml': VNFD, 'Files/readme.txt': 'hello' };
    files['sample-vnf.mf'] = manifestOf(files, ['sample-vnf.yaml', 'Files/readme.txt'], { metadata: { ...VNF_MANIFEST_METADATA, vnf_product_name: 'Root VNF' } });
    const contents = valueOf(await read(files));
    expect(contents.entryDefinitions).toBe('sample-vnf.yaml');
    expect(contents.toscaMeta).toEqual({ template_name: 'sample-vnf', template_author: 'Company', template_version: '1.0' });
    expect(contents.manifest?.path).toBe('sample-vnf.mf');
    expect(contents.descriptorFiles).toEqual(['sample-vnf.yaml']);
    expect(contents.artifacts.map((artifact) => artifact.path)).toEqual(['Files/readme.txt']);
    expect(contents.vnfd.flavours.map((flavour) => [flavour.flavourId, flavour.vdus.map((vdu) => vdu.epa.vcpus)])).toEqual([['default', [2]]]);
  });

  it('refuses a root YAML without template_name, naming its metadata block', async () => {
    const vnfd = VNFD.replace('  template_name: sample-vnf\n', '');
    const error = errorWithCode(await read({ 'sample-vnf.yaml': vnfd }), 'entry-metadata-missing-key');
    expect(error).toEqual({
      code: 'entry-metadata-missing-key',
      message: 'sample-vnf.yaml has no metadata.template_name, which a package without TOSCA-Metadata needs',
      file: 'sample-vnf.yaml',
      line: 2,
      column: 1,
      path: 'metadata',
    });
  });

  it('refuses a package with no entry, or with two YAML files at the root', async () => {
    expect(errorWithCode(await read({ 'Files/readme.txt': 'x' }), 'entry-definitions-ambiguous').message).toBe(
      'the package has neither TOSCA-Metadata/TOSCA.meta nor a YAML file at its root',
    );
    expect(errorWithCode(await read({ 'a.yaml': VNFD, 'b.yaml': VNFD }), 'entry-definitions-ambiguous').message).toBe(
      'without TOSCA-Metadata/TOSCA.meta the root must hold one YAML file; it holds a.yaml, b.yaml',
    );
  });
});
