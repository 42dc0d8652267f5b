/**
 * The whole product over a harness Open vSwitch, with one compute host registered with an EPA inventory
 * (two NUMA cells, 1 GiB pages, a PF with VFs on `physnet-data` per cell) and the example VNF packages and
 * web-chain NSD onboarded: what the VNF and NS lifecycle tests and the NS benchmark run on.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { buildNsdArchive, buildVnfPackage, type ExampleVnfPackage } from '../../descriptors/examples/index.js';
import type { ComputeDriver, LibvirtDriver, VimModule, VimServices } from '../../vim/index.js';
import type { VnfmModule } from '../../vnfm/index.js';
import { apiAs, eventually, onboard, type Api, type Json } from '../nfvo/support/api.js';
import { syntheticInventory, type InventorySpec } from '../vim/support/hosts.js';
import { startProduct, TEST_TOKEN, type RunningProduct } from './application.js';
import { waitFor } from './command.js';
import { OvsInstance } from './ovs.js';
import { removeTempDir } from './tmp.js';

export const INTEGRATION_BRIDGE = 'br-int';
export const VNFD_IDS = { vfw: '79ccd4ef-8792-4ec7-b49d-75f5becf53da', vlb: 'fb587d61-8bd6-4c96-b2f7-4ef082c672cd', dpi: 'd0497454-f447-4d60-9203-2d5331166b24' } as const;
const SETTLED = new Set(['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLED_BACK']);

/** A VNFC as the VNF instance view shows it (vnfcResourceInfo), what the lifecycle tests read of it. */
export interface VnfcInfo {
  id: string;
  vduId: string;
  metadata: { hostId: string; reservationId: string; name: string };
  vnfcCpInfo: Array<{ cpdId: string; vnfLinkPortId: string }>;
}

/** A VNF instance as `/vnflcm/v1/vnf_instances/{id}` shows it, what the lifecycle tests read of it. */
export interface InstanceInfo {
  instantiationState: string;
  instantiatedVnfInfo?: {
    flavourId: string;
    vnfState: string;
    instantiationLevelId?: string;
    scaleStatus: Array<{ aspectId: string; scaleLevel: number }>;
    vnfcResourceInfo: VnfcInfo[];
    extVirtualLinkInfo: Array<{ id: string; resourceHandle: { resourceId: string }; extLinkPorts: Array<{ id: string }> }>;
  };
}

export interface LabOptions {
  /** `test:///default` (libvirt's test driver) unless given, e.g. a `lab:` URI. */
  libvirtUri?: string;
  packages?: readonly ExampleVnfPackage[];
  nsd?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The compute host's inventory; two cells of 12 cores with 24 GiB of 1 GiB pages and 16 VFs each by default. */
  inventory?: InventorySpec;
  /** Reuse a switch (a restart of the orchestrator). */
  ovs?: OvsInstance;
  dataDir?: string;
}

export class LifecycleLab {
  private constructor(
    readonly ovs: OvsInstance,
    readonly product: RunningProduct,
    readonly api: Api,
    readonly hostId: string,
    private readonly ownsOvs: boolean,
    private readonly ownsDataDir: boolean,
  ) {}

  static async start(options: LabOptions = {}): Promise<LifecycleLab> {
    const ovs = options.ovs ?? (await OvsInstance.start('nfv'));
    let product: RunningProduct | undefined;
    try {
      product = await startProduct({
        NFV_OPENFLOW_LISTEN: `unix:${path.join(ovs.dir, `nfv-${process.pid}-${randomBytes(3).toString('hex')}.sock`)}`,
        NFV_OVS_DATAPATH_TYPE: 'netdev',
        NFV_SFC_AUDIT_INTERVAL: '0.5',
        NFV_SFC_HOST_REFRESH_INTERVAL: '0.5',
        ...(options.dataDir === undefined ? {} : { NFV_DATA_DIR: options.dataDir }),
        ...options.env,
      });
      const api = apiAs(product, TEST_TOKEN);
      let hostId: string;
      if (options.dataDir === undefined) {
        hostId = await registerComputeHost(api, ovs, options.libvirtUri ?? 'test:///default', undefined, options.inventory);
        for (const example of options.packages ?? ['vfw', 'vlb', 'dpi']) {
          const onboarded = await onboard(api, await buildVnfPackage(example));
          if (onboarded.onboardingState !== 'ONBOARDED') throw new Error(`${example} did not onboard: ${JSON.stringify(onboarded)}`);
        }
        if (options.nsd) await onboardNsd(api);
      } else {
        const hosts = await api.get('/vim/v1/hosts');
        hostId = String(((hosts.json as unknown as Array<{ id: string }>)[0] ?? { id: '' }).id);
      }
      const lab = new LifecycleLab(ovs, product, api, hostId, options.ovs === undefined, options.dataDir === undefined);
      await lab.waitForController();
      return lab;
    } catch (error) {
      await product?.stop();
      if (options.ovs === undefined) await ovs.stop();
      throw error;
    }
  }

  get vim(): VimServices {
    const module = this.product.application.modules.find((candidate) => candidate.name === 'vim') as VimModule;
    return module.services();
  }

  /** The compute driver of a host (the lab's by default): the very object the VIM drives the host with. */
  async computeDriver(hostId = this.hostId): Promise<ComputeDriver> {
    const host = await this.vim.inventory.host(hostId);
    if (!host) throw new Error(`host ${hostId} is gone`);
    return this.vim.compute.driverOf(host.value);
  }

  /** The libvirt domain XML of a VNFC as the instance view shows it (`metadata.name`, `id`). */
  async domainXml(vnfc: { id: string; metadata: { name: string } }, hostId = this.hostId): Promise<string> {
    return ((await this.computeDriver(hostId)) as LibvirtDriver).domainXml({ name: vnfc.metadata.name, uuid: vnfc.id });
  }

  /** The state libvirt reports for a VNFC's domain. */
  async domainState(vnfc: { id: string; metadata: { name: string } }): Promise<string> {
    return (await this.computeDriver()).state({ name: vnfc.metadata.name, uuid: vnfc.id });
  }

  get vnfm(): VnfmModule {
    return this.product.application.modules.find((candidate) => candidate.name === 'vnfm') as VnfmModule;
  }

  async waitForController(): Promise<void> {
    await waitFor(
      'the integration bridge to connect to our controller',
      async () => ((await this.ovs.vsctl('--if-exists', 'get', 'Controller', INTEGRATION_BRIDGE, 'is_connected').catch(() => '')).trim() === 'true' ? true : undefined),
      15000,
    );
  }

  async network(name: string): Promise<string> {
    const created = await this.api.post('/v2.0/networks', { network: { name } });
    if (created.status !== 201) throw new Error(`network ${name}: ${created.status} ${created.bytes.toString()}`);
    return String((created.json.network as Json).id);
  }

  async createVnf(vnfdId: string, name?: string): Promise<string> {
    const created = await this.api.post('/vnflcm/v1/vnf_instances', { vnfdId, ...(name === undefined ? {} : { vnfInstanceName: name }) });
    if (created.status !== 201) throw new Error(`create VNF: ${created.status} ${created.bytes.toString()}`);
    return String(created.json.id);
  }

  /** POSTs a task and answers the occurrence id from `Location` (fails unless 202). */
  async task(path: string, body: unknown): Promise<string> {
    const answer = await this.api.post(path, body);
    if (answer.status !== 202) throw new Error(`${path}: ${answer.status} ${answer.bytes.toString()}`);
    return (answer.headers.get('location') ?? '').split('/').pop() ?? '';
  }

  /** Polls an occurrence until it is settled; answers it. */
  async settled(occurrencePath: string, timeoutMs = 60_000): Promise<Json> {
    return eventually(async () => {
      const { json } = await this.api.get(occurrencePath);
      return SETTLED.has(String(json.operationState)) ? json : undefined;
    }, timeoutMs, `${occurrencePath} to settle`);
  }

  /** Every flow and group of the integration bridge, as `ovs-ofctl` dumps them. */
  async switchDump(): Promise<{ flows: string[]; groups: string[]; ports: string[] }> {
    const flows = (await this.ovs.ofctl('-O', 'OpenFlow13', 'dump-flows', INTEGRATION_BRIDGE)).split('\n').filter((line) => line.includes('cookie='));
    const groups = (await this.ovs.ofctl('-O', 'OpenFlow13', 'dump-groups', INTEGRATION_BRIDGE)).split('\n').filter((line) => line.includes('group_id='));
    const ports = (await this.ovs.vsctl('list-ports', INTEGRATION_BRIDGE)).split('\n').filter((line) => line.trim() !== '');
    return { flows, groups, ports };
  }

  async stop(): Promise<void> {
    await this.product.stop();
    if (!this.ownsDataDir) removeTempDir(this.product.config.dataDir);
    if (this.ownsOvs) await this.ovs.stop();
  }

  /** Stops the orchestrator, keeping its data dir and the switch, for a restart. */
  async stopKeepingData(): Promise<string> {
    await this.product.application.close();
    return this.product.config.dataDir;
  }
}

/** Registers the switch as a compute host with a two-cell EPA inventory. */
export const DEFAULT_INVENTORY: InventorySpec = {
  cells: [
    { socket: 0, cores: 12, threads: 2, pages: { 1048576: 24 } },
    { socket: 1, cores: 12, threads: 2, pages: { 1048576: 24 } },
  ],
  pfs: [
    { numaNode: 0, physnet: 'physnet-data', vfs: 16 },
    { numaNode: 1, physnet: 'physnet-data', vfs: 16 },
  ],
};

export async function registerComputeHost(
  api: Api,
  ovs: OvsInstance,
  libvirtUri: string,
  name = `compute-${randomBytes(3).toString('hex')}`,
  spec: InventorySpec = DEFAULT_INVENTORY,
): Promise<string> {
  const inventory = syntheticInventory(spec);
  const registered = await api.post('/vim/v1/hosts', { name, libvirtUri, ovsdb: ovs.ovsdbRemote, integrationBridge: INTEGRATION_BRIDGE, inventory });
  if (registered.status !== 201) throw new Error(`host registration: ${registered.status} ${registered.bytes.toString()}`);
  return String(registered.json.id);
}

export async function onboardNsd(api: Api): Promise<string> {
  const created = await api.post('/nsd/v1/ns_descriptors', {});
  const id = String(created.json.id);
  const upload = await api.put(`/nsd/v1/ns_descriptors/${id}/nsd_content`, await buildNsdArchive(), 'application/zip');
  if (upload.status !== 202) throw new Error(`NSD upload: ${upload.status} ${upload.bytes.toString()}`);
  await eventually(async () => {
    const { json } = await api.get(`/nsd/v1/ns_descriptors/${id}`);
    if (json.nsdOnboardingState === 'CREATED' && json.onboardingFailureDetails) throw new Error(`NSD did not onboard: ${JSON.stringify(json.onboardingFailureDetails)}`);
    return json.nsdOnboardingState === 'ONBOARDED' ? true : undefined;
  });
  return id;
}
