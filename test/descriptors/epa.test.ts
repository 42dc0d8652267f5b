import { stringify } from 'yaml';
import { readVnfPackage, type DescriptorError, type ReadResult, type VduEpa, type VnfPackageContents } from '../../descriptors/index.js';
import { positionOf } from './packages.js';
import { buildZip } from './zip.js';

/**
 * The EPA mapping table (descriptors/EPA.md), case by case: what each SOL 001 place and platform key becomes
 * in VduEpa, and every requirement that cannot be enforced refused (or, when not mandatory, warned about)
 * where it is written.
 */
type Properties = Record<string, unknown>;

const FILE = 'vnfd.yaml';
const VDU = 'topology_template.node_templates.VDU1';
const COMPUTE = `${VDU}.capabilities.virtual_compute`;

interface Case {
  compute?: Properties;
  cps?: Record<string, Properties>;
}

/** A one-file VNFD (the CSAR variant without TOSCA-Metadata) with one VDU of the given compute and CPs. */
function vnfd({ compute = {}, cps = {} }: Case): string {
  const virtualCompute = {
    virtual_memory: { virtual_mem_size: '4 GiB' },
    virtual_cpu: { num_virtual_cpu: 4 },
    ...compute,
  };
  const cpTemplates = Object.fromEntries(
    Object.entries(cps).map(([name, properties]) => [
      name,
      { type: 'tosca.nodes.nfv.VduCp', properties: { layer_protocols: ['ipv4'], ...properties }, requirements: [{ virtual_binding: 'VDU1' }] },
    ]),
  );
  return stringify({
    tosca_definitions_version: 'tosca_simple_yaml_1_3',
    metadata: { template_name: 'epa', template_version: '1.0' },
    imports: ['https://forge.etsi.org/rep/nfv/SOL001/raw/v3.3.1/etsi_nfv_sol001_vnfd_types.yaml'],
    topology_template: {
      node_templates: {
        VNF: {
          type: 'tosca.nodes.nfv.VNF',
          properties: {
            descriptor_id: 'epa-vnfd',
            descriptor_version: '1.0',
            provider: 'Company',
            product_name: 'EPA',
            software_version: '1.0',
            vnfm_info: ['etsivnfm:v3.3.1'],
            flavour_id: 'default',
            flavour_description: 'default',
          },
        },
        VDU1: {
          type: 'tosca.nodes.nfv.Vdu.Compute',
          properties: { name: 'VDU1', description: 'the VNFC', vdu_profile: { min_number_of_instances: 1, max_number_of_instances: 1 } },
          capabilities: { virtual_compute: { properties: virtualCompute } },
        },
        ...cpTemplates,
      },
    },
  });
}

async function read(testCase: Case): Promise<{ result: ReadResult<VnfPackageContents>; text: string }> {
  const text = vnfd(testCase);
  return { result: await readVnfPackage(await buildZip({ [FILE]: text })), text };
}

async function epaOf(testCase: Case): Promise<VduEpa> {
  const { result } = await read(testCase);
  if (!result.ok) throw new Error(result.errors.map((error) => `${error.code} ${error.message}`).join('\n'));
  const epa = result.value.vnfd.flavours[0]?.vdus[0]?.epa;
  if (!epa) throw new Error('no VDU');
  return epa;
}

const cpuRequirements = (requirements: Properties): Properties => ({ virtual_cpu: { num_virtual_cpu: 4, vdu_cpu_requirements: requirements } });
const memRequirements = (requirements: Properties, size = '4 GiB'): Properties => ({ virtual_memory: { virtual_mem_size: size, vdu_mem_requirements: requirements } });
const dedicated = (requirements: Properties = {}): Properties => cpuRequirements({ 'hw:cpu_policy': 'dedicated', ...requirements });

describe('EPA mapping table', () => {
  it.each<[string, Case, Partial<VduEpa>]>([
    ['sizes only: shared CPUs, no NUMA, no page size', {}, { vcpus: 4, memoryMiB: 4096, cpuPolicy: 'shared', threadPolicy: undefined, emulatorThreadPolicy: undefined, numa: undefined, pageSize: undefined }],
    ['"512 MB" is 10^6 bytes per MB, rounded up to whole MiB', { compute: { virtual_memory: { virtual_mem_size: '512 MB' } } }, { memoryMiB: 489 }],
    ['"512 MiB"', { compute: { virtual_memory: { virtual_mem_size: '512 MiB' } } }, { memoryMiB: 512 }],
    ['virtual_cpu_pinning_policy static', { compute: { virtual_cpu: { num_virtual_cpu: 4, virtual_cpu_pinning: { virtual_cpu_pinning_policy: 'static' } } } }, { cpuPolicy: 'dedicated' }],
    ['virtual_cpu_pinning_policy dynamic', { compute: { virtual_cpu: { num_virtual_cpu: 4, virtual_cpu_pinning: { virtual_cpu_pinning_policy: 'dynamic' } } } }, { cpuPolicy: 'shared' }],
    ['hw:cpu_policy dedicated', { compute: cpuRequirements({ 'hw:cpu_policy': 'dedicated' }) }, { cpuPolicy: 'dedicated' }],
    ['hw:cpu_policy and a static pinning policy that agree', { compute: { virtual_cpu: { num_virtual_cpu: 4, virtual_cpu_pinning: { virtual_cpu_pinning_policy: 'static' }, vdu_cpu_requirements: { 'hw:cpu_policy': 'dedicated' } } } }, { cpuPolicy: 'dedicated' }],
    ['hw:cpu_thread_policy require', { compute: dedicated({ 'hw:cpu_thread_policy': 'require' }) }, { threadPolicy: 'require' }],
    ['hw:cpu_thread_policy prefer', { compute: dedicated({ 'hw:cpu_thread_policy': 'prefer' }) }, { threadPolicy: 'prefer' }],
    ['hw:emulator_threads_policy share', { compute: dedicated({ 'hw:emulator_threads_policy': 'share' }) }, { emulatorThreadPolicy: 'share' }],
    ['hw:mem_page_size small', { compute: memRequirements({ 'hw:mem_page_size': 'small' }) }, { pageSize: 'small' }],
    ['hw:mem_page_size large', { compute: memRequirements({ 'hw:mem_page_size': 'large' }) }, { pageSize: 'large' }],
    ['hw:mem_page_size any', { compute: memRequirements({ 'hw:mem_page_size': 'any' }) }, { pageSize: 'any' }],
    ['hw:mem_page_size 2MB', { compute: memRequirements({ 'hw:mem_page_size': '2MB' }) }, { pageSize: '2MB' }],
    ['hw:mem_page_size 2048 (KiB)', { compute: memRequirements({ 'hw:mem_page_size': 2048 }) }, { pageSize: '2MB' }],
    ['hw:mem_page_size 1GB', { compute: memRequirements({ 'hw:mem_page_size': '1GB' }) }, { pageSize: '1GB' }],
    ['hw:mem_page_size 1048576 (KiB)', { compute: memRequirements({ 'hw:mem_page_size': '1048576' }) }, { pageSize: '1GB' }],
    ['hw:mem_page_size 4KB', { compute: memRequirements({ 'hw:mem_page_size': '4KB' }) }, { pageSize: 'small' }],
    ['hw:numa_nodes alone', { compute: memRequirements({ 'hw:numa_nodes': 2 }) }, { numa: { nodes: [{ id: 0, vcpus: undefined, memoryMiB: undefined }, { id: 1, vcpus: undefined, memoryMiB: undefined }] } }],
    [
      'hw:numa_cpus.N and hw:numa_mem.N, in CPU list syntax',
      { compute: { ...memRequirements({ 'hw:numa_nodes': 2, 'hw:numa_mem.0': 1024, 'hw:numa_mem.1': 3072 }), ...cpuRequirements({ 'hw:numa_cpus.0': '0-3,^1,^2', 'hw:numa_cpus.1': '1,2' }) } },
      { numa: { nodes: [{ id: 0, vcpus: [0, 3], memoryMiB: 1024 }, { id: 1, vcpus: [1, 2], memoryMiB: 3072 }] } },
    ],
    ['virtual_memory.numa_enabled: one guest NUMA node', { compute: { virtual_memory: { virtual_mem_size: '4 GiB', numa_enabled: true } } }, { numa: { nodes: [{ id: 0, vcpus: undefined, memoryMiB: undefined }] } }],
    ['keys in logical_node_requirements', { compute: { logical_node: { node0: { logical_node_requirements: { 'hw:numa_nodes': 1, 'hw:mem_page_size': 'large' } } } } }, { numa: { nodes: [{ id: 0, vcpus: undefined, memoryMiB: undefined }] }, pageSize: 'large' }],
    [
      'keys in requested_additional_capabilities target_performance_parameters',
      { compute: { requested_additional_capabilities: { hugepages: { requested_additional_capability_name: 'hugepages', support_mandatory: true, target_performance_parameters: { 'hw:mem_page_size': '2MB' } } } } },
      { pageSize: '2MB' },
    ],
    ['keys in compute_requirements', { compute: { compute_requirements: { 'hw:cpu_policy': 'dedicated' } } }, { cpuPolicy: 'dedicated' }],
  ])('%s', async (_name, testCase, expected) => {
    expect(await epaOf(testCase)).toMatchObject(expected);
  });

  it.each<[string, Properties, Partial<VduEpa['interfaces'][number]>]>([
    ['no vnic_type: virtio', {}, { kind: 'virtio' }],
    ['vnic_type normal: virtio', { vnic_type: 'normal' }, { kind: 'virtio' }],
    ['vnic_type direct: an SR-IOV VF', { vnic_type: 'direct' }, { kind: 'sriov-vf' }],
    ['vnic_type direct-physical: PCI passthrough', { vnic_type: 'direct-physical' }, { kind: 'pci-passthrough' }],
    ['interfaceType vhost-user on a virtio interface', { virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { interfaceType: 'vhost-user' } }] }, { kind: 'vhost-user' }],
    ['interfaceType direct with vnic_type direct', { vnic_type: 'direct', virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { interfaceType: 'direct' } }] }, { kind: 'sriov-vf' }],
    [
      'physical_network and numa_affinity',
      { vnic_type: 'direct', virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { physical_network: 'physnet1', numa_affinity: 'socket' } }] },
      { kind: 'sriov-vf', physicalNetwork: 'physnet1', numaAffinity: 'socket' },
    ],
    ['physnet and hw:pci_numa_affinity_policy', { vnic_type: 'direct-physical', virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { physnet: 'physnet2', 'hw:pci_numa_affinity_policy': 'legacy' } }] }, { kind: 'pci-passthrough', physicalNetwork: 'physnet2', numaAffinity: 'legacy' }],
  ])('interface: %s', async (_name, properties, expected) => {
    const epa = await epaOf({ cps: { CP1: { order: 2, ...properties } } });
    expect(epa.interfaces).toEqual([{ cpId: 'CP1', order: 2, kind: 'virtio', physicalNetwork: undefined, numaAffinity: undefined, ...expected }]);
  });

  it('gives every interface the VDU-wide PCI NUMA affinity unless it sets its own, in NIC order', async () => {
    const epa = await epaOf({
      compute: { compute_requirements: { 'hw:pci_numa_affinity_policy': 'preferred' } },
      cps: {
        data: { order: 1, vnic_type: 'direct', virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { numa_affinity: 'required' } }] },
        mgmt: { order: 0 },
      },
    });
    expect(epa.interfaces.map((item) => [item.cpId, item.numaAffinity])).toEqual([
      ['mgmt', 'preferred'],
      ['data', 'required'],
    ]);
  });
});

describe('EPA requirements that cannot be enforced', () => {
  /** The one error (or warning) of the read, with where it is expected. */
  async function problem(testCase: Case, severity: 'error' | 'warning' = 'error'): Promise<{ problem: DescriptorError; text: string }> {
    const { result, text } = await read(testCase);
    const problems = (result.ok ? (severity === 'warning' ? result.warnings : []) : severity === 'error' ? result.errors : []).filter((found) => found.code.startsWith('epa-'));
    if (problems.length !== 1 || !problems[0]) throw new Error(`expected one ${severity}, got ${JSON.stringify(result)}`);
    return { problem: problems[0], text };
  }

  it.each<[string, Case, string, string, string]>([
    ['an unknown hw: key', { compute: cpuRequirements({ 'hw:cpu_sockets': 2 }) }, 'epa-unknown-key', 'hw:cpu_sockets', 'virtual_cpu.vdu_cpu_requirements.hw:cpu_sockets: the platform requirement hw:cpu_sockets is not one this orchestrator can enforce'],
    ['a key of another namespace', { compute: { compute_requirements: { 'aggregate_instance_extra_specs:ssd': 'true' } } }, 'epa-unknown-key', 'aggregate_instance_extra_specs:ssd', 'compute_requirements.aggregate_instance_extra_specs:ssd: the platform requirement aggregate_instance_extra_specs:ssd is not one this orchestrator can enforce'],
    ['a page size we do not provide', { compute: memRequirements({ 'hw:mem_page_size': '16MB' }) }, 'epa-bad-value', 'hw:mem_page_size', 'virtual_memory.vdu_mem_requirements.hw:mem_page_size: "16MB" cannot be enforced; expected small, large, any, 2MB (2048) or 1GB (1048576)'],
    ['a mixed CPU policy', { compute: cpuRequirements({ 'hw:cpu_policy': 'mixed' }) }, 'epa-bad-value', 'hw:cpu_policy', 'virtual_cpu.vdu_cpu_requirements.hw:cpu_policy: "mixed" cannot be enforced; expected shared or dedicated'],
    ['a thread policy without dedicated CPUs', { compute: cpuRequirements({ 'hw:cpu_thread_policy': 'isolate' }) }, 'epa-contradiction', 'hw:cpu_thread_policy', 'virtual_cpu.vdu_cpu_requirements.hw:cpu_thread_policy: hw:cpu_thread_policy needs dedicated CPUs (hw:cpu_policy: dedicated or virtual_cpu_pinning_policy: static)'],
    ['isolated emulator threads without dedicated CPUs', { compute: cpuRequirements({ 'hw:emulator_threads_policy': 'isolate' }) }, 'epa-contradiction', 'hw:emulator_threads_policy', 'virtual_cpu.vdu_cpu_requirements.hw:emulator_threads_policy: hw:emulator_threads_policy needs dedicated CPUs (hw:cpu_policy: dedicated or virtual_cpu_pinning_policy: static)'],
    ['hw:numa_cpus not covering every vCPU', { compute: { ...memRequirements({ 'hw:numa_nodes': 2 }), ...cpuRequirements({ 'hw:numa_cpus.0': '0', 'hw:numa_cpus.1': '1,2' }) } }, 'epa-contradiction', 'hw:numa_cpus.0', 'virtual_cpu.vdu_cpu_requirements["hw:numa_cpus.0"]: hw:numa_cpus.N must place every vCPU on one of the 2 nodes; not placed: 3'],
    ['a vCPU on two guest NUMA nodes', { compute: { ...memRequirements({ 'hw:numa_nodes': 2 }), ...cpuRequirements({ 'hw:numa_cpus.0': '0-2', 'hw:numa_cpus.1': '2,3' }) } }, 'epa-contradiction', 'hw:numa_cpus.1', 'virtual_cpu.vdu_cpu_requirements["hw:numa_cpus.1"]: vCPU 2 is given to more than one guest NUMA node'],
    ['hw:numa_cpus without hw:numa_nodes', { compute: cpuRequirements({ 'hw:numa_cpus.0': '0-3' }) }, 'epa-contradiction', 'hw:numa_cpus.0', 'virtual_cpu.vdu_cpu_requirements["hw:numa_cpus.0"]: hw:numa_cpus.0 needs hw:numa_nodes'],
    ['hw:numa_mem.N not adding up to the memory', { compute: memRequirements({ 'hw:numa_nodes': 2, 'hw:numa_mem.0': 1024, 'hw:numa_mem.1': 1024 }) }, 'epa-contradiction', 'hw:numa_mem.0', 'virtual_memory.vdu_mem_requirements["hw:numa_mem.0"]: hw:numa_mem.N must be given for all 2 nodes and add up to the VDU\'s 4096 MiB (they add up to 2048)'],
    ['more guest NUMA nodes than vCPUs', { compute: memRequirements({ 'hw:numa_nodes': 8 }) }, 'epa-contradiction', 'hw:numa_nodes', 'virtual_memory.vdu_mem_requirements.hw:numa_nodes: 8 guest NUMA nodes need at least as many vCPUs; the VDU has 4'],
    ['memory that is not a whole number of huge pages', { compute: memRequirements({ 'hw:mem_page_size': '1GB' }, '1536 MiB') }, 'epa-contradiction', 'hw:mem_page_size', 'virtual_memory.vdu_mem_requirements.hw:mem_page_size: 1536 MiB of memory is not a whole number of 1GB pages'],
    ['a pinning policy and hw:cpu_policy that disagree', { compute: { virtual_cpu: { num_virtual_cpu: 4, virtual_cpu_pinning: { virtual_cpu_pinning_policy: 'static' }, vdu_cpu_requirements: { 'hw:cpu_policy': 'shared' } } } }, 'epa-contradiction', 'hw:cpu_policy', 'virtual_cpu.vdu_cpu_requirements.hw:cpu_policy: shared contradicts virtual_cpu.virtual_cpu_pinning.virtual_cpu_pinning_policy: static'],
    ['free-form pinning rules', { compute: { virtual_cpu: { num_virtual_cpu: 4, virtual_cpu_pinning: { virtual_cpu_pinning_rule: ['0-1 on socket 0'] } } } }, 'epa-unsupported', 'virtual_cpu_pinning_rule', 'virtual_cpu.virtual_cpu_pinning.virtual_cpu_pinning_rule: free-form pinning rules cannot be enforced; use hw:numa_cpus.N and hw:cpu_thread_policy'],
  ])('refuses %s, where it is written', async (_name, testCase, code, key, message) => {
    const { problem: found, text } = await problem(testCase);
    expect(found).toEqual({ code, message, file: FILE, ...positionAfter(text, key), path: COMPUTE });
  });

  it.each<[string, Properties, string, string, string]>([
    ['a vnic_type we do not provide', { vnic_type: 'macvtap' }, 'epa-unsupported', 'macvtap', 'vnic_type: macvtap interfaces are not provided; use normal, virtio, direct (SR-IOV VF) or direct-physical (PCI passthrough)'],
    ['an interfaceType that contradicts the vnic_type', { virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { interfaceType: 'direct' } }] }, 'epa-contradiction', 'interfaceType', 'virtual_network_interface_requirements[0].network_interface_requirements.interfaceType: direct contradicts vnic_type normal'],
    ['an unknown interface key', { virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { 'hw:vif_multiqueue_enabled': 'true' } }] }, 'epa-unknown-key', 'hw:vif_multiqueue_enabled', 'virtual_network_interface_requirements[0].network_interface_requirements.hw:vif_multiqueue_enabled: the platform requirement hw:vif_multiqueue_enabled is not one this orchestrator can enforce'],
    ['an unknown interface type', { virtual_network_interface_requirements: [{ support_mandatory: true, network_interface_requirements: { interfaceType: 'infiniband' } }] }, 'epa-bad-value', 'interfaceType', 'virtual_network_interface_requirements[0].network_interface_requirements.interfaceType: "infiniband" cannot be enforced; expected one of normal, virtio, direct, sriov, sr-iov, direct-physical, pci-passthrough, passthrough, vhost-user, vhostuser'],
  ])('refuses an interface with %s', async (_name, properties, code, key, message) => {
    const { problem: found, text } = await problem({ cps: { CP1: properties } });
    expect(found).toEqual({ code, message, file: FILE, ...positionAfter(text, key), path: 'topology_template.node_templates.CP1' });
  });

  it('accepts the flavour-name idiom of Tacker samples, warning that it states no requirement', async () => {
    const capability = {
      requested_additional_capabilities: {
        properties: { requested_additional_capability_name: 'm1.tiny', support_mandatory: true, target_performance_parameters: { entry_schema: 'test' } },
      },
    };
    const { result } = await read({ compute: capability });
    if (!result.ok) throw new Error(result.errors.map((error) => `${error.code} ${error.message}`).join('\n'));
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'epa-no-requirement', path: COMPUTE }));
    expect(result.value.vnfd.flavours[0]?.vdus[0]?.epa).toMatchObject({ vcpus: 4, memoryMiB: 4096, cpuPolicy: 'shared' });
  });

  it('only warns about what the provider marks support_mandatory: false', async () => {
    const capability = { requested_additional_capabilities: { turbo: { requested_additional_capability_name: 'turbo', support_mandatory: false, target_performance_parameters: { 'hw:cpu_turbo': 'on' } } } };
    const { problem: computeWarning } = await problem({ compute: capability }, 'warning');
    expect(computeWarning).toMatchObject({ code: 'epa-unknown-key', path: COMPUTE });
    const nic = { virtual_network_interface_requirements: [{ support_mandatory: false, network_interface_requirements: { 'hw:vif_multiqueue_enabled': 'true' } }] };
    const { problem: nicWarning } = await problem({ cps: { CP1: nic } }, 'warning');
    expect(nicWarning).toMatchObject({ code: 'epa-unknown-key', path: 'topology_template.node_templates.CP1' });
  });
});

/** Where a problem with `key` is shown: at its value when that is a scalar on the same line, else at the key. */
function positionAfter(text: string, key: string): { line: number; column: number } {
  const keyed = text.indexOf(`${key}:`) >= 0 ? `${key}:` : key;
  const { line, column } = positionOf(text, keyed);
  const lineText = text.split('\n')[line - 1] ?? '';
  if (keyed === key) return { line, column };
  const rest = lineText.slice(column - 1 + keyed.length);
  const valueOffset = rest.length - rest.trimStart().length;
  return rest.trim() === '' ? { line, column } : { line, column: column + keyed.length + valueOffset };
}
