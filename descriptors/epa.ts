import type { InterfaceKind, PciNumaAffinityPolicy, VduEpa } from './model.js';
import { formatPath, type PathSegment, type Problems, type Site } from './problems.js';
import { MIB, parseScalar } from './scalar.js';
import { read, type Value } from './tosca-values.js';
import type { NodeTemplate } from './topology.js';
import { descend } from './yaml-tree.js';

/**
 * Enhanced platform awareness of a VDU, normalized for the VIM. SOL 001 has no first-class fields for most
 * of it: providers write platform keys (the flavour extra-spec names OpenStack tools use) into the maps
 * SOL 001 offers. Every key is either enforced or refused with its location; nothing is dropped silently.
 * A requirement its provider marks `support_mandatory: false` that cannot be enforced is a warning instead.
 * The same table, with examples, is descriptors/EPA.md.
 *
 * | VduEpa                 | read from                                                  | values                                        |
 * |------------------------|------------------------------------------------------------|-----------------------------------------------|
 * | vcpus                  | virtual_cpu.num_virtual_cpu                                | integer > 0                                   |
 * | memoryMiB              | virtual_memory.virtual_mem_size                            | scalar-unit.size, rounded up to whole MiB     |
 * | cpuPolicy              | virtual_cpu.virtual_cpu_pinning.virtual_cpu_pinning_policy | static -> dedicated, dynamic -> shared        |
 * |                        | hw:cpu_policy                                              | shared, dedicated; neither given -> shared    |
 * | threadPolicy           | hw:cpu_thread_policy                                       | prefer, isolate, require; dedicated CPUs only |
 * | emulatorThreadPolicy   | hw:emulator_threads_policy                                 | share, isolate; dedicated CPUs only           |
 * | numa.nodes             | hw:numa_nodes                                              | 1 to vcpus nodes                              |
 * | numa.nodes[N].vcpus    | hw:numa_cpus.N                                             | CPU list (0-3,^2); all nodes, each vCPU once  |
 * | numa.nodes[N].memoryMiB| hw:numa_mem.N                                              | MiB; all nodes, adding up to memoryMiB        |
 * | numa (one node)        | virtual_memory.numa_enabled: true, without hw:numa_nodes   |                                               |
 * | pageSize               | hw:mem_page_size                                           | small, large, any, 2MB, 1GB; bare numbers are |
 * |                        |                                                            | KiB (2048, 1048576); memoryMiB a multiple     |
 * | interfaces[].kind      | VduCp vnic_type                                            | normal, virtio -> virtio; direct -> sriov-vf; |
 * |                        |                                                            | direct-physical -> pci-passthrough            |
 * |                        | interfaceType, interface_type, vnic_type                   | the same, or vhost-user over a virtio vnic    |
 * | interfaces[].physical- | physical_network, physnet, physicalNetwork                 | provider network name                         |
 * | Network                |                                                            |                                               |
 * | interfaces[].numa-     | numa_affinity, hw:pci_numa_affinity_policy (interface);    | required, socket, preferred, legacy           |
 * | Affinity               | else hw:pci_numa_affinity_policy of the VDU                |                                               |
 *
 * Compute keys (hw:...) are read from virtual_compute's virtual_memory.vdu_mem_requirements,
 * virtual_cpu.vdu_cpu_requirements, compute_requirements, logical_node.*.logical_node_requirements and
 * requested_additional_capabilities.*.target_performance_parameters; interface keys from the VduCp's
 * virtual_network_interface_requirements[].network_interface_requirements.
 */
type Setting = string | number | number[];

interface Requirement {
  key: string;
  value: string;
  mandatory: boolean;
  owner: readonly PathSegment[];
  rel: PathSegment[];
  site: Site;
}

interface KeyRule {
  key: RegExp;
  /** The setting a key writes, from the key's match (`numaCpus.1` for `hw:numa_cpus.1`). */
  setting: (match: RegExpExecArray) => string;
  parse: (value: string) => Setting | undefined;
  expected: string;
}

const oneOf =
  (...values: string[]) =>
  (value: string): string | undefined =>
    values.includes(value.trim().toLowerCase()) ? value.trim().toLowerCase() : undefined;

const positiveInteger = (value: string): number | undefined => (/^\s*\d+\s*$/.test(value) && Number(value) > 0 ? Number(value) : undefined);
const naturalNumber = (value: string): number | undefined => (/^\s*\d+\s*$/.test(value) ? Number(value) : undefined);

/** Nova's CPU list syntax: `0-3,^2,6`. */
function parseCpuList(value: string): number[] | undefined {
  const included = new Set<number>();
  const excluded = new Set<number>();
  for (const token of value.split(',').map((part) => part.trim())) {
    const match = /^(\^)?(\d+)(?:-(\d+))?$/.exec(token);
    if (!match) return undefined;
    const first = Number(match[2]);
    const last = match[3] === undefined ? first : Number(match[3]);
    if (last < first) return undefined;
    for (let cpu = first; cpu <= last; cpu++) (match[1] ? excluded : included).add(cpu);
  }
  const cpus = [...included].filter((cpu) => !excluded.has(cpu)).sort((a, b) => a - b);
  return cpus.length > 0 ? cpus : undefined;
}

const PAGE_SIZE_UNITS_KIB: Readonly<Record<string, number>> = { '': 1, k: 1, kb: 1, kib: 1, m: 1024, mb: 1024, mib: 1024, g: 1024 * 1024, gb: 1024 * 1024, gib: 1024 * 1024 };
const PAGE_SIZES_KIB: ReadonlyMap<number, VduEpa['pageSize']> = new Map([
  [4, 'small'],
  [2048, '2MB'],
  [1024 * 1024, '1GB'],
]);

/** small, large, any, or a size (bare numbers are KiB, as OpenStack reads them) of a page we provide. */
function parsePageSize(value: string): VduEpa['pageSize'] | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'small' || text === 'large' || text === 'any') return text;
  const match = /^(\d+)\s*([a-z]*)$/.exec(text);
  const factor = match ? PAGE_SIZE_UNITS_KIB[match[2] ?? ''] : undefined;
  return match && factor !== undefined ? PAGE_SIZES_KIB.get(Number(match[1]) * factor) : undefined;
}

const COMPUTE_KEYS: readonly KeyRule[] = [
  { key: /^hw:cpu_policy$/, setting: () => 'cpuPolicy', parse: oneOf('shared', 'dedicated'), expected: 'shared or dedicated' },
  { key: /^hw:cpu_thread_policy$/, setting: () => 'threadPolicy', parse: oneOf('prefer', 'isolate', 'require'), expected: 'prefer, isolate or require' },
  { key: /^hw:emulator_threads_policy$/, setting: () => 'emulatorThreadPolicy', parse: oneOf('share', 'isolate'), expected: 'share or isolate' },
  { key: /^hw:mem_page_size$/, setting: () => 'pageSize', parse: parsePageSize, expected: 'small, large, any, 2MB (2048) or 1GB (1048576)' },
  { key: /^hw:numa_nodes$/, setting: () => 'numaNodes', parse: positiveInteger, expected: 'a whole number of guest NUMA nodes above 0' },
  { key: /^hw:numa_cpus\.(\d+)$/, setting: (match) => `numaCpus.${match[1]}`, parse: parseCpuList, expected: 'a CPU list such as 0-3,^2' },
  { key: /^hw:numa_mem\.(\d+)$/, setting: (match) => `numaMem.${match[1]}`, parse: naturalNumber, expected: 'a size in MiB' },
  { key: /^hw:pci_numa_affinity_policy$/, setting: () => 'pciNumaAffinity', parse: oneOf('required', 'socket', 'preferred', 'legacy'), expected: 'required, socket, preferred or legacy' },
];

/** Interface kinds as `interfaceType` (and the VduCp vnic_type) name them. */
const INTERFACE_KINDS: Readonly<Record<string, InterfaceKind>> = {
  normal: 'virtio',
  virtio: 'virtio',
  direct: 'sriov-vf',
  sriov: 'sriov-vf',
  'sr-iov': 'sriov-vf',
  'direct-physical': 'pci-passthrough',
  'pci-passthrough': 'pci-passthrough',
  passthrough: 'pci-passthrough',
  'vhost-user': 'vhost-user',
  vhostuser: 'vhost-user',
};

const INTERFACE_KEYS: readonly KeyRule[] = [
  { key: /^(interfaceType|interface_type|vnic_type)$/, setting: () => 'kind', parse: (value) => INTERFACE_KINDS[value.trim().toLowerCase()], expected: `one of ${Object.keys(INTERFACE_KINDS).join(', ')}` },
  { key: /^(physical_network|physnet|physicalNetwork)$/, setting: () => 'physicalNetwork', parse: (value) => (value.trim() === '' ? undefined : value.trim()), expected: 'a provider network name' },
  { key: /^(numa_affinity|hw:pci_numa_affinity_policy)$/, setting: () => 'numaAffinity', parse: oneOf('required', 'socket', 'preferred', 'legacy'), expected: 'required, socket, preferred or legacy' },
];

/** Where compute keys are written, inside the virtual_compute capability (`*` is every entry of a map). */
const COMPUTE_SOURCES: ReadonlyArray<{ path: readonly string[]; mandatory?: readonly string[] }> = [
  { path: ['virtual_memory', 'vdu_mem_requirements'] },
  { path: ['virtual_cpu', 'vdu_cpu_requirements'] },
  { path: ['compute_requirements'] },
  { path: ['logical_node', '*', 'logical_node_requirements'] },
  { path: ['requested_additional_capabilities', '*', 'target_performance_parameters'], mandatory: ['requested_additional_capabilities', '*', 'support_mandatory'] },
];

const PINNING_POLICY: Readonly<Record<string, string>> = { static: 'dedicated', dynamic: 'shared' };

const PAGE_MIB: Partial<Record<NonNullable<VduEpa['pageSize']>, number>> = { '2MB': 2, '1GB': 1024 };

export function buildEpa(vdu: NodeTemplate, cps: readonly NodeTemplate[], problems: Problems): VduEpa {
  const compute = vdu.capabilities.get('virtual_compute') ?? {};
  const owner = [...vdu.located.site.path, 'capabilities', 'virtual_compute'];
  const locate = (rel: readonly PathSegment[]): Site => ({ ...descend(vdu.located, ['capabilities', 'virtual_compute', 'properties', ...rel]).site, path: owner });
  const settings = new Settings(problems);

  const pinningRel = ['virtual_cpu', 'virtual_cpu_pinning', 'virtual_cpu_pinning_policy'];
  const pinning = read.text(read.at(compute['virtual_cpu'], 'virtual_cpu_pinning', 'virtual_cpu_pinning_policy'));
  if (pinning !== undefined) settings.set('cpuPolicy', PINNING_POLICY[pinning] ?? 'shared', { key: pinningRel.join('.'), value: pinning, mandatory: true, owner, rel: pinningRel, site: locate(pinningRel) });
  const rules = read.list(read.at(compute['virtual_cpu'], 'virtual_cpu_pinning', 'virtual_cpu_pinning_rule'));
  if (rules.length > 0) {
    const rel = ['virtual_cpu', 'virtual_cpu_pinning', 'virtual_cpu_pinning_rule'];
    problems.error('epa-unsupported', `${formatPath(rel)}: free-form pinning rules cannot be enforced; use hw:numa_cpus.N and hw:cpu_thread_policy`, locate(rel));
  }
  for (const requirement of computeRequirements(compute, owner, locate, problems)) settings.apply(requirement, COMPUTE_KEYS);

  const vcpus = read.integer(read.at(compute['virtual_cpu'], 'num_virtual_cpu')) ?? 0;
  const memoryBytes = parseScalar('scalar-unit.size', read.text(read.at(compute['virtual_memory'], 'virtual_mem_size')) ?? '') ?? 0;
  const memoryMiB = Math.ceil(memoryBytes / MIB);
  const cpuPolicy = settings.text('cpuPolicy') === 'dedicated' ? 'dedicated' : 'shared';
  for (const name of ['threadPolicy', 'emulatorThreadPolicy'] as const) {
    const found = settings.get(name);
    if (found && cpuPolicy !== 'dedicated') {
      problems.error('epa-contradiction', `${formatPath(found.where.rel)}: ${found.where.key} needs dedicated CPUs (hw:cpu_policy: dedicated or virtual_cpu_pinning_policy: static)`, found.where.site);
    }
  }
  const pageSize = settings.text('pageSize') as VduEpa['pageSize'];
  const pageMiB = pageSize === undefined ? undefined : PAGE_MIB[pageSize];
  const page = settings.get('pageSize');
  if (page && pageMiB !== undefined && memoryMiB % pageMiB !== 0) {
    problems.error('epa-contradiction', `${formatPath(page.where.rel)}: ${memoryMiB} MiB of memory is not a whole number of ${pageSize} pages`, page.where.site);
  }
  const numaEnabled = read.boolean(read.at(compute['virtual_memory'], 'numa_enabled')) === true;
  return {
    vcpus,
    memoryMiB,
    cpuPolicy,
    threadPolicy: settings.text('threadPolicy') as VduEpa['threadPolicy'],
    emulatorThreadPolicy: settings.text('emulatorThreadPolicy') as VduEpa['emulatorThreadPolicy'],
    numa: numaTopology(settings, vcpus, memoryMiB, numaEnabled, problems),
    pageSize,
    interfaces: cps
      .map((cp) => interfaceOf(cp, settings.text('pciNumaAffinity') as PciNumaAffinityPolicy | undefined, problems))
      .sort((a, b) => (a.order ?? Number.MAX_SAFE_INTEGER) - (b.order ?? Number.MAX_SAFE_INTEGER) || a.cpId.localeCompare(b.cpId)),
  };
}

/** Every key/value pair of the compute requirement maps, with its place and whether it is mandatory. */
function computeRequirements(
  compute: Record<string, Value>,
  owner: readonly PathSegment[],
  locate: (rel: readonly PathSegment[]) => Site,
  problems: Problems,
): Requirement[] {
  const requirements: Requirement[] = [];
  for (const source of COMPUTE_SOURCES) {
    for (const { value: map, rel, bindings } of expand(compute, source.path)) {
      const mandatoryPath = source.mandatory?.map((key) => (key === '*' ? (bindings[0] ?? '') : key));
      const mandatory = mandatoryPath === undefined || read.boolean(read.at(compute, ...mandatoryPath)) !== false;
      for (const [key, value] of Object.entries(read.record(map))) {
        const keyRel = [...rel, key];
        if (key === 'entry_schema') {
          // A TOSCA schema keyword written as if it were a requirement (Tacker's samples do this, next to a
          // flavour name in requested_additional_capability_name): it asks for nothing, so it is ignored.
          problems.report('warning', 'epa-no-requirement', `${formatPath(keyRel)}: "entry_schema" states no requirement and is ignored`, locate(keyRel));
          continue;
        }
        requirements.push({ key, value: valueText(value), mandatory, owner, rel: keyRel, site: locate(keyRel) });
      }
    }
  }
  return requirements;
}

/** The values at a path whose `*` steps run over every key of a map, with the keys they took. */
function expand(value: Value | undefined, path: readonly string[], rel: string[] = [], bindings: string[] = []): Array<{ value: Value; rel: string[]; bindings: string[] }> {
  if (value === undefined) return [];
  const [step, ...rest] = path;
  if (step === undefined) return [{ value, rel, bindings }];
  if (step !== '*') return expand(read.record(value)[step], rest, [...rel, step], bindings);
  return Object.entries(read.record(value)).flatMap(([key, item]) => expand(item, rest, [...rel, key], [...bindings, key]));
}

function valueText(value: Value): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function interfaceOf(cp: NodeTemplate, defaultAffinity: PciNumaAffinityPolicy | undefined, problems: Problems): VduEpa['interfaces'][number] {
  const owner = cp.located.site.path;
  const locate = (rel: readonly PathSegment[]): Site => ({ ...descend(cp.located, ['properties', ...rel]).site, path: owner });
  const settings = new Settings(problems);
  read.list(cp.properties['virtual_network_interface_requirements']).forEach((entry, index) => {
    const mandatory = read.boolean(read.at(entry, 'support_mandatory')) !== false;
    for (const [key, value] of Object.entries(read.record(read.at(entry, 'network_interface_requirements')))) {
      const rel = ['virtual_network_interface_requirements', index, 'network_interface_requirements', key];
      settings.apply({ key, value: valueText(value), mandatory, owner, rel, site: locate(rel) }, INTERFACE_KEYS);
    }
  });
  const vnicType = read.text(cp.properties['vnic_type']) ?? 'normal';
  let kind = INTERFACE_KINDS[vnicType];
  if (kind === undefined) {
    problems.error('epa-unsupported', `vnic_type: ${vnicType} interfaces are not provided; use normal, virtio, direct (SR-IOV VF) or direct-physical (PCI passthrough)`, locate(['vnic_type']));
    kind = 'virtio';
  }
  const requested = settings.get('kind');
  if (requested && requested.value !== kind) {
    // vhost-user is how a virtio interface is realized on an OVS-DPDK host: a refinement, not a contradiction.
    if (kind === 'virtio' && requested.value === 'vhost-user') kind = 'vhost-user';
    else {
      problems.report(
        requested.where.mandatory ? 'error' : 'warning',
        'epa-contradiction',
        `${formatPath(requested.where.rel)}: ${requested.where.value} contradicts vnic_type ${vnicType}`,
        requested.where.site,
      );
    }
  }
  return {
    cpId: cp.name,
    order: read.integer(cp.properties['order']),
    kind,
    physicalNetwork: settings.text('physicalNetwork'),
    numaAffinity: (settings.text('numaAffinity') as PciNumaAffinityPolicy | undefined) ?? defaultAffinity,
  };
}

function numaTopology(settings: Settings, vcpus: number, memoryMiB: number, numaEnabled: boolean, problems: Problems): VduEpa['numa'] {
  const nodes = settings.get('numaNodes');
  const perNode = settings.entries(/^numa(Cpus|Mem)\.(\d+)$/);
  if (!nodes) {
    for (const [, found] of perNode) {
      problems.error('epa-contradiction', `${formatPath(found.where.rel)}: ${found.where.key} needs hw:numa_nodes`, found.where.site);
    }
    return numaEnabled ? { nodes: [{ id: 0, vcpus: undefined, memoryMiB: undefined }] } : undefined;
  }
  const count = Number(nodes.value);
  const fail = (message: string, where: Requirement) => problems.error('epa-contradiction', `${formatPath(where.rel)}: ${message}`, where.site);
  if (count > vcpus) fail(`${count} guest NUMA nodes need at least as many vCPUs; the VDU has ${vcpus}`, nodes.where);
  for (const [name, found] of perNode) {
    const index = Number(name.split('.')[1]);
    if (index >= count) fail(`there are only ${count} guest NUMA nodes (0 to ${count - 1})`, found.where);
  }
  const cpuLists = Array.from({ length: count }, (_, index) => settings.get(`numaCpus.${index}`));
  const memories = Array.from({ length: count }, (_, index) => settings.get(`numaMem.${index}`));
  const givenCpus = cpuLists.filter((entry) => entry !== undefined);
  if (givenCpus.length > 0) {
    const seen = new Set<number>();
    for (const entry of givenCpus) {
      for (const cpu of entry.value as number[]) {
        if (cpu >= vcpus) fail(`vCPU ${cpu} does not exist; the VDU has vCPUs 0 to ${vcpus - 1}`, entry.where);
        else if (seen.has(cpu)) fail(`vCPU ${cpu} is given to more than one guest NUMA node`, entry.where);
        seen.add(cpu);
      }
    }
    const missing = Array.from({ length: vcpus }, (_, cpu) => cpu).filter((cpu) => !seen.has(cpu));
    if (givenCpus.length < count || missing.length > 0) {
      fail(`hw:numa_cpus.N must place every vCPU on one of the ${count} nodes; not placed: ${missing.join(',') || 'the CPUs of the nodes without hw:numa_cpus'}`, givenCpus[0]?.where ?? nodes.where);
    }
  }
  const givenMemories = memories.filter((entry) => entry !== undefined);
  if (givenMemories.length > 0) {
    const total = givenMemories.reduce((sum, entry) => sum + Number(entry.value), 0);
    if (givenMemories.length < count || total !== memoryMiB) {
      fail(`hw:numa_mem.N must be given for all ${count} nodes and add up to the VDU's ${memoryMiB} MiB (they add up to ${total})`, givenMemories[0]?.where ?? nodes.where);
    }
  }
  return {
    nodes: Array.from({ length: count }, (_, id) => ({
      id,
      vcpus: cpuLists[id]?.value as number[] | undefined,
      memoryMiB: memories[id] === undefined ? undefined : Number(memories[id]?.value),
    })),
  };
}

/**
 * The platform settings a VDU (or interface) asks for, each with the requirement that set it. A key nobody
 * knows, a value that cannot be enforced, or two places asking for different values are reported where
 * they are written.
 */
class Settings {
  private readonly values = new Map<string, { value: Setting; where: Requirement }>();

  constructor(private readonly problems: Problems) {}

  apply(requirement: Requirement, rules: readonly KeyRule[]): void {
    const severity = requirement.mandatory ? 'error' : 'warning';
    for (const rule of rules) {
      const match = rule.key.exec(requirement.key);
      if (!match) continue;
      const value = rule.parse(requirement.value);
      if (value === undefined) {
        this.problems.report(severity, 'epa-bad-value', `${formatPath(requirement.rel)}: "${requirement.value}" cannot be enforced; expected ${rule.expected}`, requirement.site);
        return;
      }
      this.set(rule.setting(match), value, requirement);
      return;
    }
    this.problems.report(severity, 'epa-unknown-key', `${formatPath(requirement.rel)}: the platform requirement ${requirement.key} is not one this orchestrator can enforce`, requirement.site);
  }

  set(name: string, value: Setting, where: Requirement): void {
    const earlier = this.values.get(name);
    if (!earlier) {
      this.values.set(name, { value, where });
      return;
    }
    if (JSON.stringify(earlier.value) !== JSON.stringify(value)) {
      this.problems.report(
        where.mandatory ? 'error' : 'warning',
        'epa-contradiction',
        `${formatPath(where.rel)}: ${where.value} contradicts ${formatPath(earlier.where.rel)}: ${earlier.where.value}`,
        where.site,
      );
    }
  }

  get(name: string): { value: Setting; where: Requirement } | undefined {
    return this.values.get(name);
  }

  text(name: string): string | undefined {
    const value = this.values.get(name)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  entries(pattern: RegExp): Array<[string, { value: Setting; where: Requirement }]> {
    return [...this.values].filter(([name]) => pattern.test(name));
  }
}
