/**
 * The VIM resources of one VNF instance, created and removed idempotently: networks for its internal virtual
 * links, ports for its VNFCs' connection points, and the VNFCs on their hosts. Every create uses an id derived
 * from the operation, so a step run again after a crash finds what its first run made; every remove accepts
 * that the resource is already gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { VnfFlavour } from '../../descriptors/index.js';
import { derivedId, ProblemError, type Principal } from '../../platform/index.js';
import type { Claim, ComputeDriver, VimServices, VnfcPort, VnfcSpec } from '../../vim/index.js';
import type { VnicType } from '../../vim/networks/index.js';
import type { VnfcPortRecord, VnfcRecord, VnfVirtualLinkRecord } from './model.js';
import { attachmentOf, type PlannedVnfc } from './plan.js';
import type { ExtManagedVirtualLinkData, ExtVirtualLinkData } from './requests.js';

const PORT_BINDING_TIMEOUT_MS = 30_000;
const PORT_BINDING_POLL_MS = 10;

/** The lifecycle writes on the tenant's behalf, with the binding attributes only an admin may set. */
export function lifecycleWriter(tenantId: string): Principal {
  return { tenantId, isAdmin: true };
}

function isGone(error: unknown): boolean {
  return error instanceof ProblemError && error.status === 404;
}

/** SOL 001's vnic types as Neutron's binding knows them (`virtio` and `smart-nic` have no Neutron name of their own). */
function neutronVnicType(vnicType: string): VnicType {
  const known: readonly VnicType[] = ['normal', 'direct', 'direct-physical', 'macvtap', 'baremetal', 'virtio-forwarder', 'vdpa', 'remote-managed'];
  if (vnicType === 'smart-nic') return 'remote-managed';
  return known.find((candidate) => candidate === vnicType) ?? 'normal';
}

export async function ignoringGone(remove: () => Promise<void>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

export class VnfResources {
  constructor(private readonly vim: () => VimServices) {}

  /** A network per internal VL, unless the request gives one (extManagedVirtualLinks). */
  async createVirtualLinks(operationId: string, tenantId: string, vnfInstanceId: string, flavour: VnfFlavour, managed: readonly ExtManagedVirtualLinkData[]): Promise<VnfVirtualLinkRecord[]> {
    const { networks } = this.vim();
    const records: VnfVirtualLinkRecord[] = [];
    for (const link of flavour.virtualLinks) {
      const given = managed.find((candidate) => candidate.vnfVirtualLinkDescId === link.virtualLinkId);
      if (given) {
        if (!(await networks.network(given.resourceId, tenantId))) {
          throw new ProblemError(422, `extManagedVirtualLinks ${given.id}: network ${given.resourceId} does not exist or is not visible to the tenant`);
        }
        records.push({ vnfVirtualLinkDescId: link.virtualLinkId, networkId: given.resourceId, managedBy: 'external' });
        continue;
      }
      const id = derivedId(operationId, 'vl', link.virtualLinkId);
      await networks.createNetwork(lifecycleWriter(tenantId), { name: `vnf-${vnfInstanceId.slice(0, 8)}-${link.virtualLinkId}`, tenant_id: tenantId }, { id });
      records.push({ vnfVirtualLinkDescId: link.virtualLinkId, networkId: id, managedBy: 'vnfm' });
    }
    this.vim().portsChanged();
    return records;
  }

  async removeVirtualLinks(tenantId: string, links: readonly VnfVirtualLinkRecord[]): Promise<void> {
    const { networks } = this.vim();
    for (const link of links) {
      if (link.managedBy !== 'vnfm') continue;
      await ignoringGone(() => networks.deleteNetwork(lifecycleWriter(tenantId), link.networkId));
    }
    this.vim().portsChanged();
  }

  /** The internal VL networks an operation would create, by VL: for removing them without the step's output. */
  static plannedVirtualLinks(operationId: string, flavour: VnfFlavour): VnfVirtualLinkRecord[] {
    return flavour.virtualLinks.map((link) => ({ vnfVirtualLinkDescId: link.virtualLinkId, networkId: derivedId(operationId, 'vl', link.virtualLinkId), managedBy: 'vnfm' }));
  }

  /** A port per connection point of the VNFC that is attached somewhere, bound to the VNFC's host. */
  async createPorts(
    operationId: string,
    tenantId: string,
    vnfc: PlannedVnfc,
    hostId: string,
    flavour: VnfFlavour,
    virtualLinks: readonly VnfVirtualLinkRecord[],
    extVirtualLinks: readonly ExtVirtualLinkData[],
    onlyCpIds?: ReadonlySet<string>,
  ): Promise<VnfcPortRecord[]> {
    const { networks } = this.vim();
    const internal = new Map(virtualLinks.map((link) => [link.vnfVirtualLinkDescId, link.networkId]));
    const records: VnfcPortRecord[] = [];
    for (const cp of VnfResources.cpsOf(vnfc, flavour, onlyCpIds)) {
      const attachment = attachmentOf(flavour, cp.cpId, vnfc.index, internal, extVirtualLinks);
      if (attachment === undefined) continue;
      const fixedAddresses = (attachment.address?.ipAddresses ?? []).flatMap((address) => address.fixedAddresses ?? []);
      const id = derivedId(operationId, 'port', vnfc.id, cp.cpId);
      const { value: port } = await networks.createPort(
        lifecycleWriter(tenantId),
        {
          network_id: attachment.networkId,
          tenant_id: tenantId,
          name: `${vnfc.vduId}-${vnfc.index}-${cp.cpId}`,
          device_id: vnfc.id,
          device_owner: 'compute:nfv',
          'binding:host_id': hostId,
          'binding:vnic_type': neutronVnicType(cp.vnicType),
          ...(attachment.address?.macAddress ? { mac_address: attachment.address.macAddress.toLowerCase() } : {}),
          ...(fixedAddresses.length > 0 ? { fixed_ips: fixedAddresses.map((address) => ({ ip_address: address.split('/')[0] ?? address })) } : {}),
        },
        { id },
      );
      records.push({
        cpdId: cp.cpId,
        portId: port.id,
        networkId: port.networkId,
        macAddress: port.macAddress,
        fixedIps: fixedAddresses.map((address) => (address.includes('/') ? address : `${address}/32`)),
        vnicType: port.binding.vnicType,
        ...(attachment.extCpdId === undefined ? {} : { extCpdId: attachment.extCpdId }),
        ...(attachment.extVirtualLinkId === undefined ? {} : { extVirtualLinkId: attachment.extVirtualLinkId }),
      });
    }
    return records;
  }

  /** The ports an operation would create for a VNFC: for removing them without the step's output. */
  static plannedPortIds(operationId: string, vnfc: Pick<PlannedVnfc, 'id' | 'vduId'>, flavour: VnfFlavour, onlyCpIds?: ReadonlySet<string>): string[] {
    return VnfResources.cpsOf(vnfc, flavour, onlyCpIds).map((cp) => derivedId(operationId, 'port', vnfc.id, cp.cpId));
  }

  /** The VNFC's connection points in the flavour, or those of them named. */
  private static cpsOf(vnfc: Pick<PlannedVnfc, 'vduId'>, flavour: VnfFlavour, onlyCpIds: ReadonlySet<string> | undefined) {
    return flavour.vduCps.filter((cp) => cp.vduId === vnfc.vduId && (onlyCpIds === undefined || onlyCpIds.has(cp.cpId)));
  }

  async removePorts(tenantId: string, portIds: readonly string[]): Promise<void> {
    const { networks } = this.vim();
    for (const portId of portIds) await ignoringGone(() => networks.deletePort(lifecycleWriter(tenantId), portId));
    this.vim().portsChanged();
  }

  /** Puts the removed ports of the VNFCs back as they were: the compensation of their removal. */
  async restorePorts(tenantId: string, vnfcs: readonly VnfcRecord[]): Promise<void> {
    for (const vnfc of vnfcs) {
      for (const port of vnfc.ports) await this.restorePort(tenantId, vnfc, port);
    }
    this.vim().portsChanged();
  }

  /** Creates again, with their ids, the networks of the VNFM-managed links that were removed. */
  async restoreVirtualLinks(tenantId: string, vnfInstanceId: string, links: readonly VnfVirtualLinkRecord[]): Promise<void> {
    const { networks } = this.vim();
    for (const link of links) {
      if (link.managedBy !== 'vnfm') continue;
      await networks.createNetwork(lifecycleWriter(tenantId), { name: `vnf-${vnfInstanceId.slice(0, 8)}-${link.vnfVirtualLinkDescId}`, tenant_id: tenantId }, { id: link.networkId });
    }
    this.vim().portsChanged();
  }

  /** Puts a removed port back as it was (same id, MAC and addresses): the compensation of a port removal. */
  async restorePort(tenantId: string, vnfc: VnfcRecord, port: VnfcPortRecord): Promise<void> {
    await this.vim().networks.createPort(
      lifecycleWriter(tenantId),
      {
        network_id: port.networkId,
        tenant_id: tenantId,
        name: `${vnfc.vduId}-${port.cpdId}`,
        device_id: vnfc.id,
        device_owner: 'compute:nfv',
        'binding:host_id': vnfc.hostId,
        'binding:vnic_type': neutronVnicType(port.vnicType),
        mac_address: port.macAddress,
        ...(port.fixedIps.length > 0 ? { fixed_ips: port.fixedIps.map((address) => ({ ip_address: address.split('/')[0] ?? address })) } : {}),
      },
      { id: port.portId },
    );
  }

  /** The spec the compute driver builds the VNFC from: the VDU's EPA, the grant's claim, and its ports. */
  static specOf(vnfc: { id: string; name: string }, flavour: VnfFlavour, vduId: string, claim: Claim, bridge: string, ports: readonly VnfcPortRecord[], segmentOf: (networkId: string) => number | undefined): VnfcSpec {
    const vdu = flavour.vdus.find((candidate) => candidate.vduId === vduId);
    if (!vdu) throw new ProblemError(422, `VDU ${vduId} is not in flavour ${flavour.flavourId}`);
    const specPorts: VnfcPort[] = ports.map((port) => {
      const kind = vdu.epa.interfaces.find((item) => item.cpId === port.cpdId)?.kind ?? 'virtio';
      const addresses = port.fixedIps;
      const common = { portId: port.portId, cpId: port.cpdId, mac: port.macAddress, ...(addresses.length > 0 ? { addresses } : {}) };
      if (kind === 'virtio') return { ...common, kind, bridge };
      if (kind === 'vhost-user') throw new ProblemError(422, `CP ${port.cpdId}: vhost-user ports are not created by the lifecycle yet`);
      return { ...common, kind, vlan: segmentOf(port.networkId), ...(kind === 'sriov-vf' ? { representorBridge: bridge } : {}) };
    });
    return { name: vnfc.name, uuid: vnfc.id, epa: vdu.epa, claim, disks: [], ports: specPorts };
  }

  /**
   * Waits until the switch has bound every port (ACTIVE in the VIM, seen through the host's OVSDB), within
   * `PORT_BINDING_TIMEOUT_MS`: a chain over ports the switch does not have yet could not be programmed.
   * Ports of hosts without an OVSDB endpoint are not waited for.
   */
  async waitForBinding(portIds: readonly string[], signal?: AbortSignal): Promise<void> {
    const { networks, inventory } = this.vim();
    const deadline = Date.now() + PORT_BINDING_TIMEOUT_MS;
    // Which ports a switch will report on is known once: those bound to a host with an OVSDB endpoint.
    const switched = new Map<string, boolean>();
    let pending: string[] = [];
    for (const portId of portIds) {
      const port = await networks.port(portId);
      if (!port || port.status === 'ACTIVE' || port.binding.hostId === '') continue;
      if (!switched.has(port.binding.hostId)) switched.set(port.binding.hostId, (await inventory.host(port.binding.hostId))?.value.ovsdbEndpoint !== undefined);
      if (switched.get(port.binding.hostId)) pending.push(portId);
    }
    while (pending.length > 0) {
      if (Date.now() > deadline || signal?.aborted) {
        throw new ProblemError(504, `ports ${pending.join(', ')} were not bound by their host's switch within ${PORT_BINDING_TIMEOUT_MS / 1000} s: is its Open vSwitch reachable?`, { title: 'Port binding timed out' });
      }
      await sleep(PORT_BINDING_POLL_MS);
      const still: string[] = [];
      for (const portId of pending) if ((await networks.port(portId))?.status === 'DOWN') still.push(portId);
      pending = still;
    }
  }

  /** Defines, plugs and starts the VNFC (each part skipped when already so). */
  async startVnfc(vnfc: VnfcRecord): Promise<void> {
    await this.ensureVnfc(vnfc, true);
  }

  /** Defines and plugs the VNFC, and starts it when `running` (a VNF that is STOPPED keeps its VNFCs off). */
  async ensureVnfc(vnfc: VnfcRecord, running: boolean): Promise<void> {
    const { driver, host } = await this.hostOf(vnfc);
    await driver.define(vnfc.spec);
    await this.vim().compute.plugPorts(host, vnfc.spec, vnfc.integrationBridge);
    if (running && (await driver.state(vnfc.spec)) !== 'running') await driver.start(vnfc.spec);
  }

  async stopVnfc(vnfc: VnfcRecord, graceful: boolean, timeoutMs: number): Promise<void> {
    const { driver } = await this.hostOf(vnfc);
    await driver.define(vnfc.spec);
    await driver.stop(vnfc.spec, { graceful, timeoutMs });
  }

  /** Removes the VNFC from its host and its ports from the switch. */
  async removeVnfc(vnfc: VnfcRecord): Promise<void> {
    const { driver, host } = await this.hostOf(vnfc);
    // Defining first lets a driver that forgot the VNFC (a restarted process) find what to remove.
    await driver.define(vnfc.spec);
    await driver.undefine(vnfc.spec);
    await this.vim().compute.unplugPorts(host, vnfc.spec, vnfc.integrationBridge);
  }

  async hostOf(vnfc: Pick<VnfcRecord, 'hostId'>): Promise<{ driver: ComputeDriver; host: { id: string; libvirtUri: string; ovsdbEndpoint: string | undefined; integrationBridge: string } }> {
    const stored = await this.vim().inventory.host(vnfc.hostId);
    if (!stored) throw new ProblemError(503, `host ${vnfc.hostId} is no longer registered`);
    const host = stored.value;
    return { driver: await this.vim().compute.driverOf(host), host };
  }
}
