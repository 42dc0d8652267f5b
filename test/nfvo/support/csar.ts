import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';

/**
 * Small SOL 004 CSARs for the NFVO tests: TOSCA-Metadata, a SOL 001 VNFD (one file or an entry file importing a
 * second one), a manifest with SHA-256 digests, a software image and a script as artifacts.
 */

export interface CsarOptions {
  vnfdId?: string;
  provider?: string;
  productName?: string;
  softwareVersion?: string;
  /** A second descriptor file imported by the entry one. */
  multiFileVnfd?: boolean;
  /** Replaces the entry VNFD text (for invalid VNFDs). */
  vnfdText?: string;
  /** Bytes of the software image (Files/images/vdu1.qcow2). */
  imageBytes?: Buffer;
}

export const IMAGE_PATH = 'Files/images/vdu1.qcow2';
export const SCRIPT_PATH = 'Scripts/install.sh';
export const ENTRY_VNFD = 'Definitions/vnfd.yaml';
export const TYPES_VNFD = 'Definitions/vnfd_types.yaml';
export const MANIFEST = 'vnf.mf';

const sha256 = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex');

export function vnfdYaml(options: CsarOptions, image: Buffer): string {
  const vnfdId = options.vnfdId ?? 'b1bb0ce7-ebca-4fa7-95ed-4840d70a1177';
  return `tosca_definitions_version: tosca_simple_yaml_1_3
description: A firewall VNF for tests
imports:
  - etsi_nfv_sol001_common_types.yaml
  - etsi_nfv_sol001_vnfd_types.yaml
${options.multiFileVnfd ? '  - vnfd_types.yaml\n' : ''}
topology_template:
  node_templates:
    VNF:
      type: ${options.multiFileVnfd ? 'example.nodes.Firewall' : 'tosca.nodes.nfv.VNF'}
      properties:
        descriptor_id: ${vnfdId}
        descriptor_version: '1.0'
        provider: ${options.provider ?? 'Example'}
        product_name: ${options.productName ?? 'Firewall'}
        software_version: '${options.softwareVersion ?? '1.0'}'
        product_info_name: Firewall
        vnfm_info:
          - '0:nfv-mano'
        flavour_id: simple
        flavour_description: One firewall VM

    VDU1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: fw
        description: firewall
        vdu_profile:
          min_number_of_instances: 1
          max_number_of_instances: 2
        sw_image_data:
          name: fw-image
          version: '1.0'
          checksum:
            algorithm: sha-256
            hash: ${sha256(image)}
          container_format: bare
          disk_format: qcow2
          min_disk: 1 GB
          min_ram: 512 MB
          size: ${image.length} B
      capabilities:
        virtual_compute:
          properties:
            virtual_memory:
              virtual_mem_size: 512 MB
            virtual_cpu:
              num_virtual_cpu: 1
      artifacts:
        sw_image:
          type: tosca.artifacts.nfv.SwImage
          file: ../${IMAGE_PATH}
`;
}

const TYPES_TEXT = `tosca_definitions_version: tosca_simple_yaml_1_3
description: Types of the firewall VNF
imports:
  - etsi_nfv_sol001_common_types.yaml
  - etsi_nfv_sol001_vnfd_types.yaml
node_types:
  example.nodes.Firewall:
    derived_from: tosca.nodes.nfv.VNF
`;

/** The files of a CSAR, by path. */
export function csarFiles(options: CsarOptions = {}): Map<string, Buffer> {
  const image = options.imageBytes ?? Buffer.from('QFI\xfb not really a qcow2 image, but bytes to serve\n'.repeat(40));
  const files = new Map<string, Buffer>();
  files.set(
    'TOSCA-Metadata/TOSCA.meta',
    Buffer.from(`TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: nfv-mano tests\nEntry-Definitions: ${ENTRY_VNFD}\nETSI-Entry-Manifest: ${MANIFEST}\n`),
  );
  files.set(ENTRY_VNFD, Buffer.from(options.vnfdText ?? vnfdYaml(options, image)));
  if (options.multiFileVnfd) files.set(TYPES_VNFD, Buffer.from(TYPES_TEXT));
  files.set(IMAGE_PATH, image);
  files.set(SCRIPT_PATH, Buffer.from('#!/bin/sh\necho installed\n'));
  const sources = [...files.keys()].filter((file) => !file.startsWith('TOSCA-Metadata/'));
  const manifest = [
    'metadata:',
    `  vnf_provider_id: ${options.provider ?? 'Example'}`,
    `  vnf_product_name: ${options.productName ?? 'Firewall'}`,
    '  vnf_release_date_time: 2024-01-01T00:00:00+00:00',
    `  vnf_package_version: '${options.softwareVersion ?? '1.0'}'`,
    '',
    ...sources.flatMap((source) => [`Source: ${source}`, 'Algorithm: SHA-256', `Hash: ${sha256(files.get(source) as Buffer)}`, '']),
  ].join('\n');
  files.set(MANIFEST, Buffer.from(manifest));
  return files;
}

export async function zipFiles(files: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [path, bytes] of files) zip.addBuffer(bytes, path);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream.pipe(new PassThrough())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function buildCsar(options: CsarOptions = {}): Promise<Buffer> {
  return zipFiles(csarFiles(options));
}

/** A SOL 001 NSD referencing the given VNFDs. */
export function nsdYaml(options: { nsdId?: string; name?: string; vnfdIds: string[] }): string {
  const vnfs = options.vnfdIds
    .map(
      (vnfdId, index) => `    VNF${index + 1}:
      type: tosca.nodes.nfv.VNF
      properties:
        descriptor_id: ${vnfdId}
        descriptor_version: '1.0'
        provider: Example
        product_name: Firewall
        software_version: '1.0'
        product_info_name: Firewall
        vnfm_info:
          - '0:nfv-mano'
        flavour_id: simple
        flavour_description: One firewall VM
      requirements:
        - virtual_link: VL1
`,
    )
    .join('');
  return `tosca_definitions_version: tosca_simple_yaml_1_3
description: A network service for tests
imports:
  - etsi_nfv_sol001_common_types.yaml
  - etsi_nfv_sol001_nsd_types.yaml
topology_template:
  node_templates:
    NS:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: ${options.nsdId ?? 'ffdbfc7b-8c4b-4a2b-a7c7-0d8e0c3f6a11'}
        designer: Example
        version: '1.0'
        name: ${options.name ?? 'firewall-service'}
        invariant_id: 5bd2f3a1-0e39-4bd0-9d4a-3a4d2b2f6c00
        flavour_id: default
${vnfs}    VL1:
      type: tosca.nodes.nfv.NsVirtualLink
      properties:
        connectivity_type:
          layer_protocols: [ ipv4 ]
        vl_profile:
          max_bitrate_requirements:
            root: 1000000
          min_bitrate_requirements:
            root: 100000
`;
}
