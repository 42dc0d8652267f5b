/**
 * Broken variants of the example packages and NSD, one fault each, with the reason a reader must give for
 * refusing it: the archive itself (not a zip, truncated, hostile entries, bombs), the SOL 004 metadata and
 * manifest, the YAML and TOSCA, the EPA a VIM could not enforce, and an NSD naming a VNFD nobody onboarded.
 */
import type { DescriptorErrorCode } from '../index.js';
import { writeZip } from './archive.js';
import {
  buildVnfPackage,
  nsdArchiveFiles,
  replaceText,
  sealWithManifest,
  vnfPackageFiles,
  zipPackage,
  type PackageFiles,
} from './build.js';

export interface BrokenVariant {
  name: string;
  /** What it is uploaded as: VNF package content, or NSD content. */
  kind: 'vnf-package' | 'nsd';
  bytes: Buffer;
  /** The `code` of the DescriptorError the reader reports; undefined where the NFVO, not the reader, refuses. */
  expectedCode: DescriptorErrorCode | undefined;
  /** A fragment of the reason a person reads (compared case-insensitively). */
  expectedFragment: string;
}

const TOP = 'Definitions/vfw_top.vnfd.yaml';
const FLAVOUR = 'Definitions/vfw_df_default.yaml';
const META = 'TOSCA-Metadata/TOSCA.meta';

/** A vFW package with one edit to its files, manifest sealed after the edit (so only the edit is wrong). */
async function editedVfw(edit: (files: PackageFiles) => void): Promise<Buffer> {
  const files = await vnfPackageFiles('vfw');
  edit(files);
  return zipPackage(sealWithManifest(files));
}

/** A vFW package edited after its manifest was sealed (the manifest no longer matches), optionally also before. */
async function editedSealedVfw(edit: (files: PackageFiles) => void, before: (files: PackageFiles) => void = () => {}): Promise<Buffer> {
  const unsealed = await vnfPackageFiles('vfw');
  before(unsealed);
  const files = sealWithManifest(unsealed);
  edit(files);
  return zipPackage(files);
}

/** A vFW package with one more entry, written as given (`hostileName` replaces its name in the bytes). */
async function vfwWithEntry(path: string, bytes: Buffer, options: { mode?: number; compress?: boolean; hostileName?: string } = {}): Promise<Buffer> {
  const entry = { path, bytes, compress: options.compress ?? true, ...(options.mode === undefined ? {} : { mode: options.mode }) };
  return zipPackage(sealWithManifest(await vnfPackageFiles('vfw')), [entry], options.hostileName === undefined ? new Map() : new Map([[path, options.hostileName]]));
}

function removeLine(files: PackageFiles, file: string, line: RegExp): void {
  replaceText(files, file, new RegExp(`^${line.source}.*\\n`, 'm'), '');
}

async function nsdWith(edit: (files: PackageFiles) => void): Promise<Buffer> {
  const files = await nsdArchiveFiles();
  edit(files);
  return zipPackage(sealWithManifest(files));
}

/** Every broken variant, built in memory. */
export async function brokenVariants(): Promise<BrokenVariant[]> {
  const good = await buildVnfPackage('vfw');
  const vnf = (name: string, bytes: Buffer, expectedCode: DescriptorErrorCode, expectedFragment: string): BrokenVariant => ({
    name,
    kind: 'vnf-package',
    bytes,
    expectedCode,
    expectedFragment,
  });
  return [
    // The archive.
    vnf('not-a-zip', Buffer.from('tosca_definitions_version: tosca_simple_yaml_1_3\n'), 'zip-invalid', 'not a readable zip archive'),
    vnf('truncated-zip', good.subarray(0, Math.floor(good.length / 2)), 'zip-invalid', 'zip archive'),
    vnf('path-traversal', await vfwWithEntry('aa/bb/cc/evil.sh', Buffer.from('#!/bin/sh\n'), { hostileName: '../../../evil.sh' }), 'zip-path-traversal', '../../../evil.sh'),
    vnf('absolute-path', await vfwWithEntry('xtmp/evil.conf', Buffer.from('owned\n'), { hostileName: '/tmp/evil.conf' }), 'zip-absolute-path', '/tmp/evil.conf'),
    vnf('symlink-entry', await vfwWithEntry('Files/scripts/passwd', Buffer.from('/etc/passwd'), { mode: 0o120777 }), 'zip-symlink', 'Files/scripts/passwd'),
    vnf('zip-bomb', await vfwWithEntry('Files/images/padding.img', Buffer.alloc(32 * 1024 * 1024), { compress: true }), 'zip-ratio', 'Files/images/padding.img'),
    vnf('too-many-entries', await writeZip(Array.from({ length: 2001 }, (_, index) => ({ path: `Files/many/${index}.txt`, bytes: Buffer.from(`${index}\n`) }))), 'zip-too-many-entries', '2001 entries'),

    // SOL 004 metadata and manifest.
    vnf('meta-without-entry-definitions', await editedVfw((files) => removeLine(files, META, /Entry-Definitions:/)), 'tosca-meta-missing-key', 'Entry-Definitions'),
    vnf('meta-without-csar-version', await editedVfw((files) => removeLine(files, META, /CSAR-Version:/)), 'tosca-meta-missing-key', 'CSAR-Version'),
    vnf(
      'entry-definitions-absent',
      await editedVfw((files) => replaceText(files, META, 'Entry-Definitions: Definitions/vfw_top.vnfd.yaml', 'Entry-Definitions: Definitions/vfw.vnfd.yaml')),
      'entry-missing',
      'Definitions/vfw.vnfd.yaml',
    ),
    vnf('manifest-wrong-hash', await editedSealedVfw((files) => replaceText(files, FLAVOUR, 'description: The default deployment flavour of the vFW', 'description: The default deployment flavour of the vFW!')), 'manifest-hash-mismatch', FLAVOUR),
    vnf(
      'manifest-lists-absent-file',
      await editedSealedVfw((files) => files.delete('Files/scripts/configure.sh'), (files) => files.set('Files/scripts/configure.sh', Buffer.from('#!/bin/sh\nexit 0\n'))),
      'manifest-source-missing',
      'Files/scripts/configure.sh',
    ),

    // YAML and TOSCA.
    vnf('yaml-syntax', await editedVfw((files) => replaceText(files, FLAVOUR, 'layer_protocols: [ ipv4 ]\n        description: Data plane', 'layer_protocols: [ ipv4\n        description: Data plane')), 'yaml-syntax', FLAVOUR),
    vnf('unresolved-import', await editedVfw((files) => replaceText(files, TOP, '  - vfw_df_default.yaml\n', '  - vfw_df_default.yaml\n  - vfw_monitoring.yaml\n')), 'import-unresolved', 'vfw_monitoring.yaml'),
    vnf('unknown-node-type', await editedVfw((files) => replaceText(files, FLAVOUR, '    fw:\n      type: tosca.nodes.nfv.Vdu.Compute', '    fw:\n      type: tosca.nodes.nfv.Vdu.Computer')), 'unknown-node-type', 'tosca.nodes.nfv.Vdu.Computer'),
    vnf('missing-required-property', await editedVfw((files) => removeLine(files, FLAVOUR, / {14}virtual_mem_size:/)), 'required-property', 'virtual_mem_size'),
    vnf('wrong-property-type', await editedVfw((files) => replaceText(files, FLAVOUR, 'num_virtual_cpu: 4', 'num_virtual_cpu: four')), 'property-type', 'num_virtual_cpu'),
    vnf(
      'duplicate-node-name',
      await editedVfw((files) => replaceText(files, FLAVOUR, '    fw_mgmt:\n', '    fw_data:\n      type: tosca.nodes.nfv.VduCp\n      properties:\n        layer_protocols: [ ipv4 ]\n      requirements:\n        - virtual_binding: fw\n\n    fw_mgmt:\n')),
      'yaml-syntax',
      'must be unique',
    ),
    vnf('bad-requirement-target', await editedVfw((files) => replaceText(files, FLAVOUR, 'vnic_type: normal\n      requirements:\n        - virtual_binding: fw\n', 'vnic_type: normal\n      requirements:\n        - virtual_binding: fw_engine\n')), 'unknown-target', 'fw_engine'),

    // EPA that no VIM could enforce as written.
    vnf('epa-unknown-hw-key', await editedVfw((files) => replaceText(files, FLAVOUR, 'hw:mem_page_size: 1GB', 'hw:mem_page_size: 1GB\n                hw:mem_turbo: enabled')), 'epa-unknown-key', 'hw:mem_turbo'),
    vnf('epa-numa-cpus-not-covering', await editedVfw((files) => replaceText(files, FLAVOUR, "hw:numa_cpus.0: '0,1,2,3'", "hw:numa_cpus.0: '0,1,2'")), 'epa-contradiction', 'not placed: 3'),
    vnf(
      'epa-thread-policy-without-dedicated-cpus',
      await editedVfw((files) => {
        replaceText(files, FLAVOUR, '              virtual_cpu_pinning:\n                virtual_cpu_pinning_policy: static\n', '');
        replaceText(files, FLAVOUR, '                hw:cpu_policy: dedicated\n', '');
      }),
      'epa-contradiction',
      'hw:cpu_thread_policy needs dedicated CPUs',
    ),
    vnf('image-checksum-mismatch', await editedVfw((files) => files.set('Files/images/vfw-1.0.0.img', Buffer.alloc(8192, 1))), 'sw-image-checksum', 'Files/images/vfw-1.0.0.img'),

    // The NSD.
    {
      name: 'nsd-unknown-vnfd',
      kind: 'nsd',
      // The DPI's node type (carried in the archive) declares its descriptor_id too: both name the unknown VNFD.
      bytes: await nsdWith((files) => {
        replaceText(files, 'Definitions/web_chain_nsd.yaml', 'd0497454-f447-4d60-9203-2d5331166b24', '00000000-0000-4000-8000-00000000dead');
        replaceText(files, 'Definitions/dpi_types.yaml', 'd0497454-f447-4d60-9203-2d5331166b24', '00000000-0000-4000-8000-00000000dead', 2);
      }),
      expectedCode: undefined,
      expectedFragment: '00000000-0000-4000-8000-00000000dead',
    },
    {
      name: 'nsd-yaml-syntax',
      kind: 'nsd',
      bytes: await nsdWith((files) => replaceText(files, 'Definitions/web_chain_nsd.yaml', '        name: web-chain\n', '        name: [ web-chain\n')),
      expectedCode: 'yaml-syntax',
      expectedFragment: 'Definitions/web_chain_nsd.yaml',
    },
  ];
}
