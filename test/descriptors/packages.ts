import { formatDescriptorError, type DescriptorError, type ReadResult } from '../../descriptors/index.js';
import { buildZip, sha } from './zip.js';

/**
 * VNF packages in the shapes Tacker and the ETSI examples write: a top-level VNFD importing the SOL 001
 * types, a types file with the VNF-specific node type, and deployment flavours in their own files with
 * substitution_mappings. Tests change one thing and read the package again.
 */
export type PackageFiles = Record<string, string | Buffer>;

export const VNFD_ID = 'b1bb0ce7-ebca-4fa7-95ed-4840d70a1177';

/** A small image: what matters is that its bytes are checked, not that it boots. */
export const CIRROS_IMAGE = Buffer.from('QFI\xfb cirros 0.5.2 test image '.repeat(64), 'latin1');

export const TOSCA_META = `TOSCA-Meta-File-Version: 1.0
CSAR-Version: 1.1
Created-By: Company
Entry-Definitions: Definitions/vnfd_top.yaml
ETSI-Entry-Manifest: manifest.mf
`;

/** The opening of a definitions file as Tacker writes it: version, description, imports. */
export function definitionsHeader(description: string, imports: readonly string[]): string {
  return `tosca_definitions_version: tosca_simple_yaml_1_2\n\ndescription: ${description}\n\nimports:\n${imports.map((file) => `  - ${file}\n`).join('')}\n`;
}

const SOL001_IMPORTS = ['etsi_nfv_sol001_common_types.yaml', 'etsi_nfv_sol001_vnfd_types.yaml'];

/** A tosca.nodes.nfv.VNF node template with every property SOL 001 requires, indented as a node_templates entry. */
export function vnfNodeYaml(name: string, descriptorId: string, productName: string, flavourId: string, extra = ''): string {
  return `    ${name}:
      type: tosca.nodes.nfv.VNF
      properties:
        descriptor_id: ${descriptorId}
        descriptor_version: '1.0'
        provider: Company
        product_name: ${productName}
        software_version: '1.0'
        vnfm_info: [ 'etsivnfm:v3.3.1' ]
        flavour_id: ${flavourId}
        flavour_description: ''
${extra}`;
}

export const VNFD_TOP = `${definitionsHeader('Sample VNF with one VDU', [...SOL001_IMPORTS, 'vnfd_types.yaml', 'vnfd_df_simple.yaml'])}topology_template:
  inputs:
    selected_flavour:
      type: string
      description: VNF deployment flavour selected by the consumer, given in the API

  node_templates:
    VNF:
      type: company.provider.VNF
      properties:
        flavour_id: { get_input: selected_flavour }
        descriptor_id: ${VNFD_ID}
        provider: Company
        product_name: Sample VNF
        software_version: '1.0'
        descriptor_version: '1.0'
        vnfm_info:
          - Tacker
      requirements:
        #- virtual_link_external # mapped in lower-level templates
`;

/** The VNF-specific type fixes these properties, each by a single valid value that is also its default. */
const FIXED_VNF_PROPERTIES = [
  ['descriptor_id', VNFD_ID],
  ['descriptor_version', "'1.0'"],
  ['provider', "'Company'"],
  ['product_name', "'Sample VNF'"],
  ['software_version', "'1.0'"],
] as const;

export const VNFD_TYPES = `${definitionsHeader('VNF type definition', SOL001_IMPORTS)}node_types:
  company.provider.VNF:
    derived_from: tosca.nodes.nfv.VNF
    properties:
${FIXED_VNF_PROPERTIES.map(([name, value]) => `      ${name}:\n        type: string\n        constraints: [ valid_values: [ ${value} ] ]\n        default: ${value}\n`).join('')}      vnfm_info:
        type: list
        entry_schema:
          type: string
          constraints: [ valid_values: [ Tacker ] ]
        default: [ Tacker ]
      flavour_id:
        type: string
        constraints: [ valid_values: [ simple, high ] ]
        default: simple
      flavour_description:
        type: string
        default: ""
    requirements:
      - virtual_link_external:
          capability: tosca.capabilities.nfv.VirtualLinkable
    interfaces:
      Vnflcm:
        type: tosca.interfaces.nfv.Vnflcm
`;

export const VNFD_DF_SIMPLE = `${definitionsHeader('Simple deployment flavour for Sample VNF', [...SOL001_IMPORTS, 'vnfd_types.yaml'])}topology_template:
  inputs:
    descriptor_id:
      type: string
    descriptor_version:
      type: string
    provider:
      type: string
    product_name:
      type: string
    software_version:
      type: string
    vnfm_info:
      type: list
      entry_schema:
        type: string
    flavour_id:
      type: string
    flavour_description:
      type: string

  substitution_mappings:
    node_type: company.provider.VNF
    properties:
      flavour_id: simple
    requirements:
      virtual_link_external: [ VDU1_CP2, virtual_link ]

  node_templates:
    VNF:
      type: company.provider.VNF
      properties:
        flavour_description: A simple flavour
      interfaces:
        Vnflcm:
          instantiate: []
          terminate: []

    VDU1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: VDU1
        description: VDU1 compute node
        vdu_profile:
          min_number_of_instances: 1
          max_number_of_instances: 3
        sw_image_data:
          name: cirros-0.5.2-x86_64-disk
          version: '0.5.2'
          checksum:
            algorithm: sha-512
            hash: ${sha('sha512', CIRROS_IMAGE)}
          container_format: bare
          disk_format: qcow2
          min_disk: 1 GiB
          min_ram: 256 MiB
          size: 1 GiB
      artifacts:
        sw_image:
          type: tosca.artifacts.nfv.SwImage
          file: ../Files/images/cirros.img
      capabilities:
        virtual_compute:
          properties:
            virtual_memory:
              virtual_mem_size: 512 MiB
            virtual_cpu:
              num_virtual_cpu: 1
            virtual_local_storage:
              - size_of_storage: 1 GiB
      requirements:
        - virtual_storage: VirtualStorage

    VirtualStorage:
      type: tosca.nodes.nfv.Vdu.VirtualBlockStorage
      properties:
        virtual_block_storage_data:
          size_of_storage: 10 GiB
          rdma_enabled: false

    VDU1_CP1:
      type: tosca.nodes.nfv.VduCp
      properties:
        layer_protocols: [ ipv4 ]
        order: 0
      requirements:
        - virtual_binding: VDU1
        - virtual_link: internalVL1

    VDU1_CP2:
      type: tosca.nodes.nfv.VduCp
      properties:
        layer_protocols: [ ipv4 ]
        order: 1
        bitrate_requirement: 1000000
      requirements:
        - virtual_binding: VDU1

    internalVL1:
      type: tosca.nodes.nfv.VnfVirtualLink
      properties:
        connectivity_type:
          layer_protocols: [ ipv4 ]
        description: Internal Virtual link in the VNF
        vl_profile:
          max_bitrate_requirements:
            root: 1048576
            leaf: 1048576
          min_bitrate_requirements:
            root: 1048576
            leaf: 1048576
          virtual_link_protocol_data:
            - associated_layer_protocol: ipv4
              l3_protocol_data:
                ip_version: ipv4
                cidr: 198.18.10.0/24

  policies:
    - scaling_aspects:
        type: tosca.policies.nfv.ScalingAspects
        properties:
          aspects:
            worker_instance:
              name: worker_instance_aspect
              description: worker_instance scaling aspect
              max_scale_level: 2
              step_deltas:
                - delta_1

    - VDU1_initial_delta:
        type: tosca.policies.nfv.VduInitialDelta
        properties:
          initial_delta:
            number_of_instances: 1
        targets: [ VDU1 ]

    - VDU1_scaling_aspect_deltas:
        type: tosca.policies.nfv.VduScalingAspectDeltas
        properties:
          aspect: worker_instance
          deltas:
            delta_1:
              number_of_instances: 1
        targets: [ VDU1 ]

    - instantiation_levels:
        type: tosca.policies.nfv.InstantiationLevels
        properties:
          levels:
            instantiation_level_1:
              description: Smallest size
              scale_info:
                worker_instance:
                  scale_level: 0
            instantiation_level_2:
              description: Largest size
              scale_info:
                worker_instance:
                  scale_level: 2
          default_level: instantiation_level_1

    - VDU1_instantiation_levels:
        type: tosca.policies.nfv.VduInstantiationLevels
        properties:
          levels:
            instantiation_level_1:
              number_of_instances: 1
            instantiation_level_2:
              number_of_instances: 3
        targets: [ VDU1 ]

    - policy_antiaffinity_vdu1:
        type: tosca.policies.nfv.AntiAffinityRule
        targets: [ VDU1 ]
        properties:
          scope: zone
`;

/** A second flavour with the platform requirements of a data-plane VNF. */
export const VNFD_DF_HIGH = `${definitionsHeader('High-performance deployment flavour for Sample VNF', [...SOL001_IMPORTS, 'vnfd_types.yaml'])}topology_template:
  inputs:
    descriptor_id:
      type: string

  substitution_mappings:
    node_type: company.provider.VNF
    properties:
      flavour_id: high

  node_templates:
    VNF:
      type: company.provider.VNF
      properties:
        flavour_description: Pinned CPUs, hugepages and SR-IOV
        descriptor_id: { get_input: descriptor_id }

    dataplane:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: dataplane
        description: Packet forwarding VNFC
        vdu_profile:
          min_number_of_instances: 1
          max_number_of_instances: 1
      capabilities:
        virtual_compute:
          properties:
            virtual_memory:
              virtual_mem_size: 4 GiB
              vdu_mem_requirements:
                hw:mem_page_size: 1GB
                hw:numa_nodes: 2
                hw:numa_mem.0: 2048
                hw:numa_mem.1: 2048
            virtual_cpu:
              num_virtual_cpu: 4
              virtual_cpu_pinning:
                virtual_cpu_pinning_policy: static
              vdu_cpu_requirements:
                hw:cpu_thread_policy: isolate
                hw:emulator_threads_policy: isolate
                hw:numa_cpus.0: 0-1
                hw:numa_cpus.1: 2,3

    dataplane_sriov:
      type: tosca.nodes.nfv.VduCp
      properties:
        layer_protocols: [ ethernet ]
        order: 1
        vnic_type: direct
        virtual_network_interface_requirements:
          - name: sriov
            support_mandatory: true
            network_interface_requirements:
              physical_network: physnet-sriov
              numa_affinity: required
      requirements:
        - virtual_binding: dataplane

    dataplane_mgmt:
      type: tosca.nodes.nfv.VduCp
      properties:
        layer_protocols: [ ipv4 ]
        order: 0
      requirements:
        - virtual_binding: dataplane
`;

/** The Tacker-shaped package, before the manifest is added. */
export function tackerPackage(options: { secondFlavour?: boolean } = {}): PackageFiles {
  const files: PackageFiles = {
    'TOSCA-Metadata/TOSCA.meta': TOSCA_META,
    'Definitions/vnfd_top.yaml': VNFD_TOP,
    'Definitions/vnfd_types.yaml': VNFD_TYPES,
    'Definitions/vnfd_df_simple.yaml': VNFD_DF_SIMPLE,
    'Files/images/cirros.img': CIRROS_IMAGE,
  };
  if (options.secondFlavour) {
    files['Definitions/vnfd_top.yaml'] = VNFD_TOP.replace('  - vnfd_df_simple.yaml\n', '  - vnfd_df_simple.yaml\n  - vnfd_df_high.yaml\n');
    files['Definitions/vnfd_df_high.yaml'] = VNFD_DF_HIGH;
  }
  return files;
}

export const VNF_MANIFEST_METADATA = {
  vnf_provider_id: 'Company',
  vnf_product_name: 'Sample VNF',
  vnf_release_date_time: '2024-01-01T10:00:00+00:00',
  vnf_package_version: '1.0',
};

/**
 * A manifest listing `sources` with their hashes (computed now), after a metadata block when given.
 * `algorithm` is written as given (`SHA-256`, `SHA-512`...).
 */
export function manifestOf(files: PackageFiles, sources: readonly string[], options: { metadata?: Record<string, string>; algorithm?: 'SHA-256' | 'SHA-384' | 'SHA-512' } = {}): string {
  const algorithm = options.algorithm ?? 'SHA-256';
  const node = ({ 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const)[algorithm];
  const blocks: string[] = [];
  if (options.metadata) blocks.push(['metadata:', ...Object.entries(options.metadata).map(([key, value]) => `${key}: ${value}`)].join('\n'));
  for (const source of sources) {
    const content = files[source];
    if (content === undefined) throw new Error(`no file ${source} to hash`);
    blocks.push(`Source: ${source}\nAlgorithm: ${algorithm}\nHash: ${sha(node, content)}`);
  }
  return blocks.join('\n\n') + '\n';
}

/** The package with a manifest listing every file but TOSCA.meta. */
export function withManifest(files: PackageFiles, manifestPath = 'manifest.mf', algorithm: 'SHA-256' | 'SHA-512' = 'SHA-256'): PackageFiles {
  const sources = Object.keys(files).filter((path) => !path.startsWith('TOSCA-Metadata/'));
  return { ...files, [manifestPath]: manifestOf(files, sources, { metadata: VNF_MANIFEST_METADATA, algorithm }) };
}

export async function zipWithManifest(files: PackageFiles, manifestPath = 'manifest.mf', algorithm: 'SHA-256' | 'SHA-512' = 'SHA-256'): Promise<Buffer> {
  return buildZip(withManifest(files, manifestPath, algorithm));
}

/** The 1-based line and column where `needle` first appears in `text`. */
export function positionOf(text: string | Buffer, needle: string): { line: number; column: number } {
  const source = text.toString();
  const index = source.indexOf(needle);
  if (index < 0) throw new Error(`"${needle}" is not in the text`);
  const before = source.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1) ?? '').length + 1 };
}

/** The value of a successful read, or a failure that shows every problem. */
export function valueOf<T>(result: ReadResult<T>): T {
  if (!result.ok) throw new Error(`read failed:\n${result.errors.map(formatDescriptorError).join('\n')}`);
  return result.value;
}

/** The errors of a failed read (a successful read fails the test). */
export function errorsOf<T>(result: ReadResult<T>): DescriptorError[] {
  if (result.ok) throw new Error('the read succeeded, but it should have been refused');
  return result.errors;
}

/** The one error with this code; the test fails showing all errors when there is none. */
export function errorWithCode<T>(result: ReadResult<T>, code: string): DescriptorError {
  const errors = errorsOf(result);
  const found = errors.find((error) => error.code === code);
  if (!found) throw new Error(`no ${code} error among:\n${errors.map((error) => `${error.code} ${formatDescriptorError(error)}`).join('\n')}`);
  return found;
}
