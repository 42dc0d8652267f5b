import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, uniqueSuffix, waitFor, type CommandResult } from './command.js';
import { NetworkNamespace } from './netns.js';
import { OvsdbServerProcess } from './ovsdb-server.js';
import { OVS_DIR_PREFIX, stopDaemon } from './sweep.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface VethAttachment {
  /** The OVS port (the veth end inside the switch's namespace). */
  port: string;
  /** The interface inside the attached namespace. */
  interfaceName: string;
  ofport: number;
  mac: string;
}

/**
 * A private Open vSwitch: `ovsdb-server` and `ovs-vswitchd` with their database, sockets and logs in a
 * fresh temp dir, so nothing touches system-wide OVS state. `ovs-vswitchd` runs in its own network
 * namespace because two userspace datapaths in one namespace fight over the `ovs-netdev` tap; its unix
 * sockets (OVSDB remote, bridge management, controller targets) reach across namespaces through the
 * filesystem. Bridges use the userspace datapath (`datapath_type=netdev`): no kernel module needed.
 */
export class OvsInstance {
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly namespace: NetworkNamespace,
  ) {}

  /** `unix:<path>` of the OVSDB server, as our OVSDB client and `ovs-vsctl --db` take it. */
  get ovsdbRemote(): string {
    return `unix:${this.dbSocket}`;
  }

  get dbSocket(): string {
    return path.join(this.dir, 'db.sock');
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir, OVS_SYSCONFDIR: this.dir };
  }

  /**
   * `within`: another instance whose directory holds this one's. ovs-vswitchd connects only to controller
   * sockets under its own run directory, so a controller socket placed in the inner instance's directory is
   * reachable from both (a two-host lab with one orchestrator).
   */
  static async start(label = 'host', options: { within?: OvsInstance } = {}): Promise<OvsInstance> {
    const dir = fs.mkdtempSync(path.join(options.within?.dir ?? os.tmpdir(), OVS_DIR_PREFIX));
    // The switch's own namespace never speaks IPv6 itself: the veth ends there would otherwise send
    // neighbour discovery straight to the attached hosts, past the datapath.
    const namespace = await NetworkNamespace.create(label);
    const instance = new OvsInstance(dir, namespace);
    try {
      const env = instance.env;
      await run('ovsdb-tool', ['create', path.join(dir, 'conf.db'), SCHEMA], { env });
      await new OvsdbServerProcess(instance).start();
      await instance.vsctl('--no-wait', 'init');
      await namespace.exec(
        'ovs-vswitchd',
        [
          instance.ovsdbRemote,
          `--pidfile=${path.join(dir, 'ovs-vswitchd.pid')}`,
          `--log-file=${path.join(dir, 'ovs-vswitchd.log')}`,
          '-vconsole:off',
          '--detach',
          '--no-chdir',
        ],
        { env },
      );
      return instance;
    } catch (error) {
      await instance.stop();
      throw error;
    }
  }

  vsctl(...args: string[]): Promise<string> {
    return run('ovs-vsctl', [`--db=${this.ovsdbRemote}`, '--timeout=10', ...args], { env: this.env }).then(stdoutOf);
  }

  /** `ovs-ofctl` speaking OpenFlow 1.3 to a bridge through its management socket. */
  ofctl(...args: string[]): Promise<string> {
    return run('ovs-ofctl', ['-O', 'OpenFlow13', ...args], { env: this.env }).then(stdoutOf);
  }

  /** `ovs-appctl` against this instance's `ovs-vswitchd`. */
  appctl(...args: string[]): Promise<string> {
    return run('ovs-appctl', ['-t', this.controlSocket('ovs-vswitchd'), ...args], { env: this.env }).then(stdoutOf);
  }

  /**
   * The bridge's flows as `ovs-ofctl -O OpenFlow13 dump-flows` prints them, one line each, without the fields
   * that change by themselves (duration, counters, ages): what was installed, exactly.
   */
  async installedFlows(bridge: string): Promise<string[]> {
    return (await this.ofctl('dump-flows', bridge))
      .split('\n')
      .filter((line) => line.startsWith(' cookie='))
      .map((line) => line.trim().replace(/ ?(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]+,/g, ''));
  }

  /** The bridge's groups as `ovs-ofctl -O OpenFlow13 dump-groups` prints them, one line each. */
  async installedGroups(bridge: string): Promise<string[]> {
    return (await this.ofctl('dump-groups', bridge))
      .split('\n')
      .filter((line) => line.startsWith(' group_id='))
      .map((line) => line.trim());
  }

  /** `ovs-appctl ofproto/trace BRIDGE FLOW`: how the switch would forward a packet, from its installed flows. */
  trace(bridge: string, flow: string): Promise<string> {
    return this.appctl('ofproto/trace', bridge, flow);
  }

  async addBridge(name: string, options: { failMode?: 'secure' | 'standalone'; protocols?: string } = {}): Promise<void> {
    const settings = [`datapath_type=netdev`];
    if (options.failMode) settings.push(`fail_mode=${options.failMode}`);
    if (options.protocols) settings.push(`protocols=${options.protocols}`);
    await this.vsctl('add-br', name, '--', 'set', 'bridge', name, ...settings);
  }

  async ofportOf(port: string): Promise<number> {
    return waitFor(`an OpenFlow port number for ${port}`, async () => {
      const ofport = Number((await this.vsctl('get', 'Interface', port, 'ofport')).trim());
      return ofport > 0 ? ofport : undefined;
    });
  }

  /**
   * Connects a namespace to a bridge with a veth pair: `interfaceName` inside the namespace (addressed when
   * `address` is given, e.g. "198.18.0.1/24"), its peer as a port of the bridge. TX checksum offload is
   * turned off inside the namespace, or the userspace datapath sees TCP segments with unfinished checksums.
   */
  async attach(
    namespace: NetworkNamespace,
    bridge: string,
    options: { interfaceName?: string; address?: string; mac?: string } = {},
  ): Promise<VethAttachment> {
    const interfaceName = options.interfaceName ?? 'eth0';
    const port = `vt${uniqueSuffix(8)}`;
    await run('ip', ['link', 'add', port, 'type', 'veth', 'peer', 'name', interfaceName, 'netns', namespace.name]);
    await run('ip', ['link', 'set', port, 'netns', this.namespace.name]);
    await this.namespace.exec('ip', ['link', 'set', port, 'up']);
    if (options.mac) await namespace.exec('ip', ['link', 'set', interfaceName, 'address', options.mac]);
    if (options.address) await namespace.exec('ip', ['addr', 'add', options.address, 'dev', interfaceName]);
    await namespace.exec('ip', ['link', 'set', interfaceName, 'up']);
    await namespace.exec('ethtool', ['-K', interfaceName, 'tx', 'off']);
    await this.vsctl('add-port', bridge, port);
    const { stdout } = await namespace.exec('cat', [`/sys/class/net/${interfaceName}/address`]);
    return { port, interfaceName, ofport: await this.ofportOf(port), mac: stdout.trim() };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const daemon of ['ovs-vswitchd', 'ovsdb-server']) await stopDaemon(this.dir, daemon);
    await this.namespace.delete();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private controlSocket(daemon: string): string {
    const pid = fs.readFileSync(path.join(this.dir, `${daemon}.pid`), 'utf8').trim();
    return path.join(this.dir, `${daemon}.${pid}.ctl`);
  }
}

function stdoutOf(result: CommandResult): string {
  return result.stdout;
}
