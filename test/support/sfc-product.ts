import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startProduct, type RunningProduct } from './application.js';
import { waitFor } from './command.js';
import { removeTempDir } from './tmp.js';
import type { OvsInstance } from './ovs.js';

export const INTEGRATION_BRIDGE = 'br-int';

export interface NeutronPort {
  id: string;
  mac: string;
  ip: string;
}

/**
 * The whole product driving one harness Open vSwitch as a registered host: the controller listens on a
 * unix socket in the switch's directory (ovs-vswitchd runs in its own network namespace), the SFC module
 * creates the integration bridge itself, audits every half second.
 */
export class SfcProduct {
  private constructor(
    readonly product: RunningProduct,
    readonly hostId: string,
    readonly networkId: string,
    private readonly inheritedDataDir = false,
  ) {}

  static async start(ovs: OvsInstance, options: { env?: NodeJS.ProcessEnv; controllerSocket?: string; tunnelAddress?: string } = {}): Promise<SfcProduct> {
    const product = await startProduct({
      NFV_OPENFLOW_LISTEN: `unix:${options.controllerSocket ?? controllerSocketIn(ovs)}`,
      NFV_OVS_DATAPATH_TYPE: 'netdev',
      NFV_SFC_AUDIT_INTERVAL: '0.5',
      NFV_SFC_HOST_REFRESH_INTERVAL: '0.5',
      ...options.env,
    });
    try {
      const hostId = await registerHost(product, ovs, options.tunnelAddress);
      const network = await call(product, 'POST', '/v2.0/networks', { network: { name: 'chains' } });
      const running = new SfcProduct(product, hostId, String((network as { network: { id: string } }).network.id));
      await running.waitForController(ovs);
      return running;
    } catch (error) {
      await product.stop();
      throw error;
    }
  }

  /** Resumes with a new process on the same data dir (a restart of the orchestrator). */
  static async restart(previous: SfcProduct, ovs: OvsInstance, controllerSocket: string): Promise<SfcProduct> {
    const product = await startProduct({
      NFV_DATA_DIR: previous.product.config.dataDir,
      NFV_OPENFLOW_LISTEN: `unix:${controllerSocket}`,
      NFV_OVS_DATAPATH_TYPE: 'netdev',
      NFV_SFC_AUDIT_INTERVAL: '0.5',
      NFV_SFC_HOST_REFRESH_INTERVAL: '0.5',
    });
    const running = new SfcProduct(product, previous.hostId, previous.networkId, true);
    await running.waitForController(ovs);
    return running;
  }

  /** Registers another harness switch as a host of this product; answers its host id once it is connected. */
  async addHost(ovs: OvsInstance, tunnelAddress?: string): Promise<string> {
    const hostId = await registerHost(this.product, ovs, tunnelAddress);
    await this.waitForController(ovs);
    return hostId;
  }

  async waitForController(ovs: OvsInstance): Promise<void> {
    await waitFor(
      'the integration bridge to connect to our controller',
      async () => ((await ovs.vsctl('--if-exists', 'get', 'Controller', INTEGRATION_BRIDGE, 'is_connected').catch(() => '')).trim() === 'true' ? true : undefined),
      15000,
    );
  }

  /**
   * A Neutron port on the chain network with a fixed IP (the VIM picks its MAC), owned by `device` (a port
   * pair's two ports must belong to one device, as networking-sfc requires).
   */
  async port(name: string, ip: string, device = name): Promise<NeutronPort> {
    const created = (await this.call('POST', '/v2.0/ports', {
      port: { network_id: this.networkId, name, device_id: `device-${device}`, device_owner: 'compute:lab', fixed_ips: [{ ip_address: ip }] },
    })) as { port: { id: string; mac_address: string } };
    return { id: created.port.id, mac: created.port.mac_address, ip };
  }

  async waitForPortStatus(portId: string, status: 'ACTIVE' | 'DOWN'): Promise<void> {
    await waitFor(`port ${portId} to be ${status}`, async () => {
      const shown = (await this.call('GET', `/v2.0/ports/${portId}`)) as { port: { status: string } };
      return shown.port.status === status ? true : undefined;
    });
  }

  call(method: string, route: string, body?: unknown): Promise<unknown> {
    return call(this.product, method, route, body);
  }

  async stop(): Promise<void> {
    await this.product.stop();
    // A restarted product runs on its predecessor's data dir, which is now ours to remove.
    if (this.inheritedDataDir) removeTempDir(this.product.config.dataDir);
  }

  /** Stops the process but keeps its data dir, for `restart`. */
  async stopKeepingData(): Promise<void> {
    await this.product.application.close();
  }
}

async function registerHost(product: RunningProduct, ovs: OvsInstance, tunnelAddress: string | undefined): Promise<string> {
  const host = (await call(product, 'POST', '/vim/v1/hosts', {
    name: `sfc-${randomBytes(3).toString('hex')}`,
    libvirtUri: 'test:///default',
    ovsdb: ovs.ovsdbRemote,
    integrationBridge: INTEGRATION_BRIDGE,
    ...(tunnelAddress === undefined ? {} : { tunnelAddress }),
  })) as { id: string };
  return host.id;
}

export function controllerSocketIn(ovs: OvsInstance): string {
  return path.join(ovs.dir, `nfv-${process.pid}-${randomBytes(3).toString('hex')}.sock`);
}

async function call(product: RunningProduct, method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await product.request(route, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
