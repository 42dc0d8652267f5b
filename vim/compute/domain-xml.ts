/**
 * The libvirt domain XML of a VNFC, built from its spec and the placement claim: every vCPU pinned to the
 * host CPU the claim gave it, emulator threads on their own CPUs, guest NUMA cells bound strictly to their
 * host cells, hugepages per cell, and each port as the device its kind needs.
 */
import { KIB_PER_MIB, SMALL_PAGE_KIB } from '../inventory/model.js';
import type { ClaimedCell, ClaimedDevice } from '../placement/claim.js';
import { isMacAddress, type VnfcDisk, type VnfcPort, type VnfcSpec } from './driver.js';
import { element, leaf, serialize, type XmlElement } from './xml.js';

export type DomainXmlOutcome = { ok: true; xml: string } | { ok: false; problems: string[] };

/** `kvm` on a real host; `test` for libvirt's test driver. */
export type VirtType = 'kvm' | 'qemu' | 'test';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PCI_ADDRESS = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;
/** A Linux interface name holds 15 characters. */
const TAP_NAME_LENGTH = 15;

export function domainXmlOf(spec: VnfcSpec, virtType: VirtType = 'kvm'): DomainXmlOutcome {
  const problems = problemsOf(spec);
  if (problems.length > 0) return { ok: false, problems };
  const cells = [...spec.claim.cells].sort((a, b) => a.guestCell - b.guestCell);
  const hugepages = cells.some((cell) => cell.pageSizeKiB > SMALL_PAGE_KIB);
  const domain = element(
    'domain',
    { type: virtType },
    leaf('name', spec.name),
    leaf('uuid', spec.uuid),
    leaf('memory', spec.epa.memoryMiB * KIB_PER_MIB, { unit: 'KiB' }),
    leaf('currentMemory', spec.epa.memoryMiB * KIB_PER_MIB, { unit: 'KiB' }),
    hugepages && memoryBacking(cells),
    leaf('vcpu', spec.epa.vcpus, { placement: 'static' }),
    cputune(spec),
    cells.length > 0 && numatune(cells),
    element('os', {}, leaf('type', 'hvm', { arch: 'x86_64' }), element('boot', { dev: 'hd' })),
    element('features', {}, element('acpi'), element('apic')),
    cpu(spec, cells, hugepages),
    leaf('on_poweroff', 'destroy'),
    leaf('on_reboot', 'restart'),
    leaf('on_crash', 'destroy'),
    element(
      'devices',
      {},
      spec.disks.map(disk),
      spec.ports.map((port) => portDevice(port, spec.claim.devices)),
      element('serial', { type: 'pty' }, element('target', { port: 0 })),
      element('console', { type: 'pty' }, element('target', { type: 'serial', port: 0 })),
    ),
  );
  return { ok: true, xml: serialize(domain) };
}

/** The tap device of a virtio port: `tap` and as much of the port id as an interface name holds. */
export function tapNameOf(portId: string): string {
  return `tap${portId}`.slice(0, TAP_NAME_LENGTH);
}

/** `0-3,8,10-11`: libvirt's cpuset syntax. */
export function cpusetOf(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === (sorted[end] ?? 0) + 1) end += 1;
    ranges.push(start === end ? `${sorted[start]}` : `${sorted[start]}-${sorted[end]}`);
    start = end + 1;
  }
  return ranges.join(',');
}

function problemsOf(spec: VnfcSpec): string[] {
  const problems: string[] = [];
  if (!UUID.test(spec.uuid)) problems.push(`uuid ${JSON.stringify(spec.uuid)} is not a UUID`);
  if (spec.name.trim() === '' || spec.name.includes('/')) problems.push(`name ${JSON.stringify(spec.name)} cannot name a domain`);
  const cellVcpus = spec.claim.cells.flatMap((cell) => cell.vcpus);
  const pinned = spec.claim.cells.flatMap((cell) => cell.pinning.map((pin) => pin.vcpu));
  for (const vcpu of [...cellVcpus, ...pinned]) {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= spec.epa.vcpus) problems.push(`vCPU ${vcpu} is outside the guest's ${spec.epa.vcpus} vCPUs`);
  }
  if (new Set(pinned).size !== pinned.length) problems.push('a vCPU is pinned twice');
  const hugepages = spec.claim.cells.some((cell) => cell.pageSizeKiB > SMALL_PAGE_KIB);
  for (const port of spec.ports) {
    if (!isMacAddress(port.mac)) problems.push(`port ${port.cpId}: ${JSON.stringify(port.mac)} is not a MAC address`);
    if (port.kind === 'virtio' && !UUID.test(port.portId)) problems.push(`port ${port.cpId}: Open vSwitch needs a UUID as interface id`);
    if (port.kind === 'vhost-user' && !hugepages) problems.push(`port ${port.cpId}: vhost-user needs guest memory on shared hugepages`);
    if ((port.kind === 'sriov-vf' || port.kind === 'pci-passthrough') && claimedPciAddress(port, spec.claim.devices) === undefined) {
      problems.push(`port ${port.cpId}: the claim holds no ${port.kind} for it`);
    }
    if ((port.kind === 'sriov-vf' || port.kind === 'pci-passthrough') && port.vlan !== undefined && !(port.vlan >= 1 && port.vlan <= 4094)) {
      problems.push(`port ${port.cpId}: VLAN ${port.vlan} is outside 1-4094`);
    }
  }
  return problems;
}

function memoryBacking(cells: readonly ClaimedCell[]): XmlElement {
  const sizes = [...new Set(cells.map((cell) => cell.pageSizeKiB).filter((size) => size > SMALL_PAGE_KIB))].sort((a, b) => a - b);
  const pages = sizes.map((size) =>
    element('page', { size, unit: 'KiB', nodeset: cpusetOf(cells.filter((cell) => cell.pageSizeKiB === size).map((cell) => cell.guestCell)) }),
  );
  // Locked: hugepage-backed guests of a DPDK dataplane must never have their memory swapped out.
  return element('memoryBacking', {}, element('hugepages', {}, pages), element('locked'));
}

function cputune(spec: VnfcSpec): XmlElement | undefined {
  const pins = spec.claim.cells.flatMap((cell) => cell.pinning).sort((a, b) => a.vcpu - b.vcpu);
  if (pins.length === 0 && spec.claim.emulatorCpus.length === 0) return undefined;
  // Without CPUs of their own, emulator threads share the guest's pinned CPUs rather than float over the host.
  const emulatorCpus = spec.claim.emulatorCpus.length > 0 ? spec.claim.emulatorCpus : pins.map((pin) => pin.cpu);
  return element(
    'cputune',
    {},
    pins.map((pin) => element('vcpupin', { vcpu: pin.vcpu, cpuset: String(pin.cpu) })),
    element('emulatorpin', { cpuset: cpusetOf(emulatorCpus) }),
  );
}

function numatune(cells: readonly ClaimedCell[]): XmlElement {
  return element(
    'numatune',
    {},
    element('memory', { mode: 'strict', nodeset: cpusetOf(cells.map((cell) => cell.hostCell)) }),
    cells.map((cell) => element('memnode', { cellid: cell.guestCell, mode: 'strict', nodeset: String(cell.hostCell) })),
  );
}

function cpu(spec: VnfcSpec, cells: readonly ClaimedCell[], hugepages: boolean): XmlElement {
  const sockets = cells.length > 0 && spec.epa.vcpus % cells.length === 0 ? cells.length : 1;
  const topology = element('topology', { sockets, dies: 1, cores: spec.epa.vcpus / sockets, threads: 1 });
  const numa =
    cells.length > 0 &&
    element(
      'numa',
      {},
      cells.map((cell) =>
        element('cell', {
          id: cell.guestCell,
          cpus: cpusetOf(cell.vcpus),
          memory: cell.memoryMiB * KIB_PER_MIB,
          unit: 'KiB',
          // vhost-user backends map the guest's memory: it has to be shared, which only hugepages allow here.
          memAccess: hugepages ? 'shared' : undefined,
        }),
      ),
    );
  return element('cpu', { mode: 'host-passthrough', check: 'none' }, topology, numa);
}

function disk(source: VnfcDisk): XmlElement {
  return element(
    'disk',
    { type: 'file', device: 'disk' },
    element('driver', { name: 'qemu', type: source.format, cache: 'none' }),
    element('source', { file: source.path }),
    element('target', { dev: source.target, bus: 'virtio' }),
  );
}

function portDevice(port: VnfcPort, devices: readonly ClaimedDevice[]): XmlElement {
  const mac = element('mac', { address: port.mac.toLowerCase() });
  switch (port.kind) {
    case 'virtio':
      return element(
        'interface',
        { type: 'bridge' },
        mac,
        element('source', { bridge: port.bridge }),
        element('virtualport', { type: 'openvswitch' }, element('parameters', { interfaceid: port.portId })),
        element('target', { dev: tapNameOf(port.portId) }),
        element('model', { type: 'virtio' }),
      );
    case 'vhost-user':
      // QEMU listens on the socket; OVS connects to it (a dpdkvhostuserclient port), so either may restart.
      return element(
        'interface',
        { type: 'vhostuser' },
        mac,
        element('source', { type: 'unix', path: port.socketPath, mode: 'server' }),
        element('model', { type: 'virtio' }),
      );
    case 'sriov-vf':
    case 'pci-passthrough':
      return element(
        'interface',
        { type: 'hostdev', managed: 'yes' },
        mac,
        element('source', {}, pciAddress(claimedPciAddress(port, devices) ?? '')),
        port.vlan !== undefined && element('vlan', {}, element('tag', { id: port.vlan })),
      );
  }
}

function claimedPciAddress(port: VnfcPort, devices: readonly ClaimedDevice[]): string | undefined {
  const device = devices.find((candidate) => candidate.cpId === port.cpId && candidate.kind === port.kind);
  const address = device?.kind === 'sriov-vf' ? device.vf?.address : device?.pfAddress;
  return address !== undefined && PCI_ADDRESS.test(address) ? address : undefined;
}

function pciAddress(address: string): XmlElement {
  const [, domain = '', bus = '', slot = '', fn = ''] = PCI_ADDRESS.exec(address) ?? [];
  return element('address', { type: 'pci', domain: `0x${domain}`, bus: `0x${bus}`, slot: `0x${slot}`, function: `0x${fn}` });
}
