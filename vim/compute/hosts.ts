/**
 * The compute driver of each host, chosen by the host's `libvirtUri`:
 * - `qemu:///system`, `qemu+ssh://...`: libvirt; the domain's `<virtualport type='openvswitch'>` makes libvirt
 *   add its tap to the integration bridge with the port's `iface-id` when the domain starts.
 * - `test:///...`: libvirt's test driver, which starts no guest and creates no tap. The VIM adds what libvirt
 *   would have: an OVS port per VNFC port carrying the same `iface-id` (an internal interface, so OVS gives it
 *   an OpenFlow port number), through our OVSDB client. Chains are then compiled and programmed for it.
 * - `lab:///?prefix=<namespace prefix>&netns=<namespace of ovs-vswitchd>`: the dataplane lab (namespaces and veths).
 */
import { Vswitch, OvsdbClient } from '../../sfc/ovsdb/index.js';
import type { Logger } from '../../platform/index.js';
import { tapNameOf } from './domain-xml.js';
import type { ComputeDriver, VnfcSpec } from './driver.js';
import { LabDriver } from './lab-driver.js';
import { LibvirtDriver } from './libvirt-driver.js';
import { portExternalIds } from './ovs-port.js';

/** What picking and reaching a host's driver takes from the host record. */
export interface ComputeHostRef {
  id: string;
  libvirtUri: string;
  ovsdbEndpoint: string | undefined;
}

interface HostDrivers {
  driver: ComputeDriver;
  /** Set when the driver plugs nothing into OVS by itself (libvirt's test driver). */
  standIn: boolean;
}

export class ComputeHosts {
  private readonly drivers = new Map<string, Promise<HostDrivers>>();
  private readonly vswitches = new Map<string, Promise<Vswitch>>();

  constructor(private readonly logger: Logger) {}

  /** The host's driver, opened once and kept for the life of the process. */
  async driverOf(host: ComputeHostRef): Promise<ComputeDriver> {
    return (await this.entryOf(host)).driver;
  }

  /**
   * What the host needs besides the driver's own work to have the VNFC's ports on its switch (see the file's
   * comment); nothing on a real libvirt host or in the lab. Idempotent.
   */
  async plugPorts(host: ComputeHostRef, spec: VnfcSpec, bridge: string): Promise<void> {
    if (!(await this.entryOf(host)).standIn) return;
    const vswitch = await this.vswitchOf(host);
    for (const port of spec.ports) {
      const name = tapNameOf(port.portId);
      if (vswitch.port(name) !== undefined) continue;
      await vswitch.addPort(bridge, { name, type: 'internal', external_ids: portExternalIds(port.portId, port.mac, spec.uuid) });
    }
  }

  /** Removes what `plugPorts` added. Idempotent. */
  async unplugPorts(host: ComputeHostRef, spec: VnfcSpec, bridge: string): Promise<void> {
    if (!(await this.entryOf(host)).standIn) return;
    const vswitch = await this.vswitchOf(host);
    for (const port of spec.ports) {
      const name = tapNameOf(port.portId);
      if (vswitch.port(name) !== undefined) await vswitch.deletePort(bridge, name);
    }
  }

  async close(): Promise<void> {
    const drivers = await Promise.allSettled(this.drivers.values());
    const vswitches = await Promise.allSettled(this.vswitches.values());
    this.drivers.clear();
    this.vswitches.clear();
    for (const outcome of drivers) if (outcome.status === 'fulfilled') await outcome.value.driver.close().catch(() => undefined);
    for (const outcome of vswitches) {
      if (outcome.status !== 'fulfilled') continue;
      await outcome.value.close().catch(() => undefined);
      await outcome.value.client.close().catch(() => undefined);
    }
  }

  private entryOf(host: ComputeHostRef): Promise<HostDrivers> {
    const key = `${host.id}\n${host.libvirtUri}`;
    let entry = this.drivers.get(key);
    if (entry === undefined) {
      entry = this.open(host);
      this.drivers.set(key, entry);
      entry.catch(() => this.drivers.delete(key));
    }
    return entry;
  }

  private async open(host: ComputeHostRef): Promise<HostDrivers> {
    if (host.libvirtUri.startsWith('lab:')) {
      const parameters = new URL(host.libvirtUri).searchParams;
      const netns = parameters.get('netns');
      const driver = new LabDriver({
        vswitch: await this.vswitchOf(host),
        namespacePrefix: parameters.get('prefix') ?? 'nfv-',
        ...(netns ? { switchNamespace: netns } : {}),
      });
      return { driver, standIn: false };
    }
    const driver = await LibvirtDriver.open({ uri: host.libvirtUri });
    return { driver, standIn: host.libvirtUri.startsWith('test:') };
  }

  private vswitchOf(host: ComputeHostRef): Promise<Vswitch> {
    const endpoint = host.ovsdbEndpoint;
    if (endpoint === undefined) return Promise.reject(new Error(`host ${host.id} has no OVSDB endpoint: its VNFC ports cannot be plugged`));
    let vswitch = this.vswitches.get(endpoint);
    if (vswitch === undefined) {
      vswitch = OvsdbClient.connect({ remote: endpoint, logger: this.logger.child({ ovsdb: endpoint }) }).then((client) => Vswitch.open(client));
      this.vswitches.set(endpoint, vswitch);
      vswitch.catch(() => this.vswitches.delete(endpoint));
    }
    return vswitch;
  }
}
