/**
 * The dataplane lab's compute driver: a VNFC is a Linux network namespace, each of its ports a veth pair
 * whose outer end is a port of an Open vSwitch bridge, known to OVS by `external_ids:iface-id` as a libvirt
 * guest's tap would be. Running means the namespace exists (`ip netns`); stopping removes the namespace
 * and its switch ports, the definition stays until `undefine`. Needs root.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Vswitch } from '../../sfc/ovsdb/index.js';
import {
  ComputeError,
  isMacAddress,
  type ComputeDriver,
  type DomainRef,
  type ListedVnfc,
  type StopOutcome,
  type VnfcPort,
  type VnfcSpec,
  type VnfcState,
} from './driver.js';
import { portExternalIds } from './ovs-port.js';

const runFile = promisify(execFile);
const NAMESPACE_NAME = /^[A-Za-z0-9_.-]+$/;
const IPV4_CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

export interface LabDriverOptions {
  vswitch: Vswitch;
  /** Every namespace of this driver is named `<prefix><VNFC name>`; `list` shows only these. */
  namespacePrefix: string;
  /** The namespace `ovs-vswitchd` runs in, when it is not the host's own: the switch ends of the veths go there. */
  switchNamespace?: string;
}

/** A virtio port, or a VF whose representor is on a bridge (switchdev): both are a veth into the bridge here. */
type LabPort = VnfcPort & { bridge: string };

export class LabDriver implements ComputeDriver {
  private readonly defined = new Map<string, VnfcSpec>();

  constructor(private readonly options: LabDriverOptions) {}

  /** The namespace a VNFC runs in. */
  namespaceOf(ref: Pick<DomainRef, 'name'>): string {
    return `${this.options.namespacePrefix}${ref.name}`;
  }

  /** The switch end of a port's veth: `lv` and the start of the port id, 15 characters at most. */
  static switchInterfaceOf(portId: string): string {
    return `lv${portId.replace(/-/g, '')}`.slice(0, 15);
  }

  /** The port's interface inside the namespace: `eth<n>` in the order of the spec's ports. */
  static guestInterfaceOf(order: number): string {
    return `eth${order}`;
  }

  async define(spec: VnfcSpec): Promise<DomainRef> {
    const problems = labProblems(spec);
    if (problems.length > 0) throw new ComputeError({ kind: 'invalid-spec', problems });
    this.defined.set(spec.uuid, spec);
    return { name: spec.name, uuid: spec.uuid };
  }

  async start(ref: DomainRef): Promise<void> {
    const spec = this.required(ref);
    if (await this.isRunning(spec)) return;
    const namespace = this.namespaceOf(spec);
    try {
      await host('start', spec.name, 'ip', ['netns', 'add', namespace]);
      await host('start', spec.name, 'ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
      for (const [order, port] of labPorts(spec).entries()) await this.plug(spec, port, order);
    } catch (error) {
      await this.unplug(spec);
      throw error;
    }
  }

  async stop(ref: DomainRef): Promise<StopOutcome> {
    const spec = this.required(ref);
    if (!(await this.isRunning(spec))) return 'already-off';
    await this.unplug(spec);
    return 'powered-off';
  }

  async reboot(ref: DomainRef): Promise<void> {
    await this.stop(ref);
    await this.start(ref);
  }

  async destroy(ref: DomainRef): Promise<void> {
    await this.unplug(this.required(ref));
  }

  async undefine(ref: DomainRef): Promise<void> {
    const spec = this.defined.get(ref.uuid);
    if (spec === undefined) return;
    await this.unplug(spec);
    this.defined.delete(ref.uuid);
  }

  async state(ref: DomainRef): Promise<VnfcState> {
    const spec = this.defined.get(ref.uuid);
    if (spec === undefined) return 'missing';
    return (await this.isRunning(spec)) ? 'running' : 'shutoff';
  }

  async list(): Promise<ListedVnfc[]> {
    const running = new Set(await this.namespaces());
    const listed: ListedVnfc[] = [...this.defined.values()].map((spec) => ({
      name: spec.name,
      uuid: spec.uuid,
      state: running.delete(this.namespaceOf(spec)) ? 'running' : 'shutoff',
    }));
    // Namespaces of ours that this process did not define (an earlier run's) still show, so they can be cleaned.
    for (const namespace of running) {
      if (namespace.startsWith(this.options.namespacePrefix)) listed.push({ name: namespace.slice(this.options.namespacePrefix.length), uuid: '', state: 'running' });
    }
    return listed;
  }

  async close(): Promise<void> {}

  private async plug(spec: VnfcSpec, port: LabPort, order: number): Promise<void> {
    const namespace = this.namespaceOf(spec);
    const outer = LabDriver.switchInterfaceOf(port.portId);
    const inner = LabDriver.guestInterfaceOf(order);
    await host('plug', spec.name, 'ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', namespace]);
    if (this.options.switchNamespace !== undefined) await host('plug', spec.name, 'ip', ['link', 'set', outer, 'netns', this.options.switchNamespace]);
    await host('plug', spec.name, 'ip', [...this.switchSide(), 'link', 'set', outer, 'up']);
    await host('plug', spec.name, 'ip', ['-n', namespace, 'link', 'set', inner, 'address', port.mac.toLowerCase()]);
    for (const address of port.addresses ?? []) await host('plug', spec.name, 'ip', ['-n', namespace, 'addr', 'add', address, 'dev', inner]);
    await host('plug', spec.name, 'ip', ['-n', namespace, 'link', 'set', inner, 'up']);
    // A userspace datapath forwards segments with the checksum the kernel left unfinished: offload stays off.
    await host('plug', spec.name, 'ip', ['netns', 'exec', namespace, 'ethtool', '-K', inner, 'tx', 'off']);
    await this.options.vswitch.addPort(port.bridge, { name: outer, type: 'system', external_ids: portExternalIds(port.portId, port.mac, spec.uuid) });
    await this.options.vswitch.ofport(outer);
  }

  /** Removes whatever of the VNFC exists: switch ports, veths, namespace. Safe to repeat. */
  private async unplug(spec: VnfcSpec): Promise<void> {
    for (const port of labPorts(spec)) {
      const outer = LabDriver.switchInterfaceOf(port.portId);
      if (this.options.vswitch.port(outer) !== undefined) await this.options.vswitch.deletePort(port.bridge, outer);
      await runFile('ip', [...this.switchSide(), 'link', 'del', outer]).catch(() => undefined);
    }
    if ((await this.namespaces()).includes(this.namespaceOf(spec))) await host('remove', spec.name, 'ip', ['netns', 'del', this.namespaceOf(spec)]);
  }

  private switchSide(): string[] {
    return this.options.switchNamespace === undefined ? [] : ['-n', this.options.switchNamespace];
  }

  private async isRunning(spec: VnfcSpec): Promise<boolean> {
    return (await this.namespaces()).includes(this.namespaceOf(spec));
  }

  private async namespaces(): Promise<string[]> {
    const { stdout } = await host('list', undefined, 'ip', ['netns', 'list']);
    return stdout
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name !== '');
  }

  private required(ref: DomainRef): VnfcSpec {
    const spec = this.defined.get(ref.uuid);
    if (spec === undefined) throw new ComputeError({ kind: 'missing', name: ref.name });
    return spec;
  }
}

function labPorts(spec: VnfcSpec): LabPort[] {
  return spec.ports.flatMap((port): LabPort[] => {
    if (port.kind === 'virtio') return [port];
    if (port.kind === 'sriov-vf' && port.representorBridge !== undefined) return [{ ...port, bridge: port.representorBridge }];
    return [];
  });
}

function labProblems(spec: VnfcSpec): string[] {
  const problems: string[] = [];
  if (!NAMESPACE_NAME.test(spec.name)) problems.push(`name ${JSON.stringify(spec.name)} cannot name a namespace`);
  for (const port of spec.ports) {
    if (port.kind !== 'virtio' && !(port.kind === 'sriov-vf' && port.representorBridge !== undefined)) {
      problems.push(`port ${port.cpId}: the lab plugs virtio ports and VFs with a representor bridge only, not ${port.kind}`);
    }
    if (!isMacAddress(port.mac)) problems.push(`port ${port.cpId}: ${JSON.stringify(port.mac)} is not a MAC address`);
    for (const address of port.addresses ?? []) if (!IPV4_CIDR.test(address)) problems.push(`port ${port.cpId}: ${JSON.stringify(address)} is not an IPv4 address with prefix`);
  }
  return problems;
}

async function host(operation: string, name: string | undefined, file: string, args: readonly string[]): Promise<{ stdout: string }> {
  try {
    const { stdout } = await runFile(file, args, { timeout: 30000 });
    return { stdout };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new ComputeError({ kind: 'host', operation, name, message: stderr || (error as Error).message, code: undefined });
  }
}
