import path from 'node:path';
import { ADMIN_TENANT, createLogger, SqliteStore, type Principal } from '../../../platform/index.js';
import type { OpenFlowController } from '../../../sfc/index.js';
import { datapathIdHex, datapathIdOf, HostSwitches, type BindingChange, type HostSwitchesOptions } from '../../../sfc/hosts/index.js';
import { Inventory } from '../../../vim/index.js';
import { DEFAULT_SEGMENT_RANGES, Networks, type Port } from '../../../vim/networks/index.js';
import { waitFor } from '../../support/command.js';
import { NetworkNamespace } from '../../support/netns.js';
import { startController } from '../../support/openflow.js';
import { OvsInstance, type VethAttachment } from '../../support/ovs.js';
import { OvsdbServerProcess } from '../../support/ovsdb-server.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';

const ADMIN: Principal = { tenantId: ADMIN_TENANT, isAdmin: true };
const HOST = 'compute-1';

/** `ovs-vsctl get` output without the quotes OVS puts around strings. */
const unquoted = (text: string): string => text.trim().replace(/^"(.*)"$/, '$1');

describe('host switches: integration bridges and port bindings from each host OVSDB', () => {
  let ovs: OvsInstance;
  let dir: string;
  let store: SqliteStore;
  let inventory: Inventory;
  let networks: Networks;
  let controller: OpenFlowController;
  let target: string;
  let networkId: string;
  const running: HostSwitches[] = [];
  const namespaces: NetworkNamespace[] = [];

  /** Started on the test's OVS and store; closed after the test. */
  async function startSwitches(options: Partial<HostSwitchesOptions> = {}): Promise<{ switches: HostSwitches; changes: BindingChange[] }> {
    const switches = new HostSwitches({
      store,
      bindings: networks,
      controllerTarget: target,
      logger: createLogger((process.env.NFV_LOG_LEVEL as 'silent' | undefined) ?? 'silent'),
      datapathType: 'netdev',
      refreshIntervalMs: 60000,
      ovsdb: { reconnect: { initialMs: 50, maxMs: 500 } },
      ...options,
    });
    const changes: BindingChange[] = [];
    switches.on('binding_changed', (change) => changes.push(change));
    running.push(switches);
    await switches.start();
    return { switches, changes };
  }

  async function plug(portId?: string): Promise<VethAttachment> {
    const namespace = await NetworkNamespace.create('vm');
    namespaces.push(namespace);
    const attachment = await ovs.attach(namespace, 'br-int');
    if (portId !== undefined) await ovs.vsctl('set', 'Interface', attachment.port, `external_ids:iface-id=${portId}`);
    return attachment;
  }

  async function newPort(name: string): Promise<Port> {
    return (await networks.createPort(ADMIN, { network_id: networkId, name })).value;
  }

  const portNow = async (portId: string): Promise<Port> => {
    const port = await networks.port(portId);
    if (!port) throw new Error(`port ${portId} is gone`);
    return port;
  };

  const waitForPort = (portId: string, what: string, check: (port: Port) => boolean): Promise<Port> =>
    waitFor(what, async () => {
      const port = await portNow(portId);
      return check(port) ? port : undefined;
    });

  beforeAll(async () => {
    ovs = await OvsInstance.start('hosts');
    dir = makeTempDir('hosts');
    store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
    inventory = await Inventory.open(store);
    networks = new Networks(store, DEFAULT_SEGMENT_RANGES);
    ({ controller, target } = await startController(ovs));
    await inventory.registerHost({ id: HOST, libvirtUri: 'test:///default', ovsdbEndpoint: ovs.ovsdbRemote });
    // A host without an OVSDB endpoint is not ours to connect to.
    await inventory.registerHost({ id: 'compute-without-ovs', libvirtUri: 'test:///default' });
    networkId = (await networks.createNetwork(ADMIN, { name: 'vnf-net' })).value.id;
  });

  afterEach(async () => {
    for (const switches of running.splice(0)) await switches.close();
    for (const namespace of namespaces.splice(0)) await namespace.delete();
    for (const bridge of (await ovs.vsctl('list-br')).split('\n').filter(Boolean)) await ovs.vsctl('del-br', bridge);
  });

  afterAll(async () => {
    await controller?.close();
    await ovs?.stop();
    await store?.close();
    if (dir) removeTempDir(dir);
  });

  it('derives a recognisable, stable, non-zero datapath id per host', () => {
    const id = datapathIdOf(HOST);
    expect(id).toBe(datapathIdOf(HOST));
    expect(id).not.toBe(datapathIdOf('compute-2'));
    expect(id >> 56n).toBe(0x4en);
    expect(datapathIdHex(id)).toMatch(/^4e[0-9a-f]{14}$/);
    expect(datapathIdHex(0x1n)).toBe('0000000000000001');
    expect(() => datapathIdHex(0n)).toThrow(RangeError);
  });

  it('creates the integration bridge (secure, OpenFlow13, our controller, the host datapath id) and the switch connects to us', async () => {
    const seen: bigint[] = [];
    controller.on('switch_up', (connection) => seen.push(connection.datapathId ?? 0n));
    const { switches } = await startSwitches();

    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'fail_mode'))).toBe('secure');
    expect((await ovs.vsctl('get', 'Bridge', 'br-int', 'protocols')).trim()).toBe('[OpenFlow13]');
    expect((await ovs.vsctl('get-controller', 'br-int')).trim()).toBe(target);
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'datapath_type'))).toBe('netdev');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'other_config:datapath-id'))).toBe(datapathIdHex(datapathIdOf(HOST)));

    const connection = await controller.waitForSwitch(datapathIdOf(HOST), 15000);
    expect(connection.datapathId).toBe(datapathIdOf(HOST));
    expect(seen).toContain(datapathIdOf(HOST));

    expect(switches.hosts()).toEqual([
      { hostId: HOST, name: HOST, ovsdbEndpoint: ovs.ovsdbRemote, bridge: 'br-int', datapathId: datapathIdOf(HOST), synced: true },
    ]);
    expect(switches.datapathOf(HOST)).toBe(datapathIdOf(HOST));
    expect(switches.hostOfDatapath(datapathIdOf(HOST))).toBe(HOST);
    expect(switches.hostOfDatapath(datapathIdOf('compute-without-ovs'))).toBeUndefined();
    expect(switches.datapathOf('compute-without-ovs')).toBeUndefined();
  });

  it('adopts an existing bridge as it is made, keeping its datapath type and foreign settings, and corrects drift on refresh', async () => {
    await ovs.vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev', 'fail_mode=standalone', 'other_config:owner-note=kept');
    const { switches } = await startSwitches({ datapathType: undefined });
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'datapath_type'))).toBe('netdev');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'fail_mode'))).toBe('secure');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'other_config:owner-note'))).toBe('kept');
    await controller.waitForSwitch(datapathIdOf(HOST), 15000);

    // Someone changes the bridge behind our back.
    await ovs.vsctl('set', 'Bridge', 'br-int', 'fail_mode=standalone', 'protocols=OpenFlow10,OpenFlow13', 'other_config:datapath-id=00000000000000aa');
    await ovs.vsctl('set-controller', 'br-int', 'tcp:192.0.2.1:6653', target);
    await switches.refresh();

    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'fail_mode'))).toBe('secure');
    expect((await ovs.vsctl('get', 'Bridge', 'br-int', 'protocols')).trim()).toBe('[OpenFlow13]');
    expect((await ovs.vsctl('get-controller', 'br-int')).trim()).toBe(target);
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'other_config:datapath-id'))).toBe(datapathIdHex(datapathIdOf(HOST)));
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'other_config:owner-note'))).toBe('kept');
    await controller.waitForSwitch(datapathIdOf(HOST), 15000);

    // A bridge deleted behind our back is made again.
    await ovs.vsctl('del-br', 'br-int');
    await switches.refresh();
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int', 'fail_mode'))).toBe('secure');
  });

  it('binds a port plugged with its iface-id (ACTIVE, host, ofport), ignores unknown iface-ids, and unbinds it when unplugged', async () => {
    const { switches, changes } = await startSwitches();
    const bound: Array<[string, string, number]> = [];
    const unbound: string[] = [];
    switches.on('port_bound', (portId, hostId, ofport) => bound.push([portId, hostId, ofport]));
    switches.on('port_unbound', (portId) => unbound.push(portId));
    const port = await newPort('fw-in');
    const other = await newPort('fw-out');

    const plugged = await plug(port.id);
    const ofport = await ovs.ofportOf(plugged.port);
    const active = await waitForPort(port.id, 'the port to be bound', (candidate) => candidate.status === 'ACTIVE');
    expect(active.binding).toMatchObject({ hostId: HOST, ofport, vifType: 'ovs' });
    expect(bound).toEqual([[port.id, HOST, ofport]]);
    expect(changes).toEqual([{ kind: 'bound', portId: port.id, hostId: HOST, ofport }]);

    // An interface naming no port changes nothing, nor does one OVS could not add (ofport -1); the port
    // plugged after them shows their turn has passed.
    const broken = await newPort('fw-mgmt');
    await plug('no-such-port');
    await ovs.vsctl('add-port', 'br-int', 'nosuchdev0', '--', 'set', 'Interface', 'nosuchdev0', `external_ids:iface-id=${broken.id}`);
    expect((await ovs.vsctl('get', 'Interface', 'nosuchdev0', 'ofport')).trim()).toBe('-1');
    const second = await plug(other.id);
    await waitForPort(other.id, 'the second port to be bound', (candidate) => candidate.status === 'ACTIVE');
    expect(changes.map((change) => change.portId)).toEqual([port.id, other.id]);
    expect(await networks.port('no-such-port')).toBeUndefined();
    expect((await portNow(broken.id)).binding).toMatchObject({ hostId: '', ofport: null });
    expect((await portNow(port.id)).binding).toMatchObject({ hostId: HOST, ofport });
    expect((await portNow(other.id)).binding.ofport).toBe(await ovs.ofportOf(second.port));

    await ovs.vsctl('del-port', 'br-int', plugged.port);
    const down = await waitForPort(port.id, 'the port to be unbound', (candidate) => candidate.status === 'DOWN');
    expect(down.binding).toMatchObject({ hostId: '', ofport: null, vifType: 'unbound' });
    expect(unbound).toEqual([port.id]);
    expect(changes.at(-1)).toEqual({ kind: 'unbound', portId: port.id, hostId: HOST });
    expect((await portNow(other.id)).status).toBe('ACTIVE');

    // Taking the iface-id off an interface unplugs its port too.
    await ovs.vsctl('remove', 'Interface', second.port, 'external_ids', 'iface-id');
    await waitForPort(other.id, 'the second port to be unbound', (candidate) => candidate.status === 'DOWN');
  });

  it('unbinds on start a port unplugged while it was down, and leaves ports bound on other hosts alone', async () => {
    const first = await startSwitches();
    const port = await newPort('lb-in');
    const elsewhere = await newPort('lb-out');
    await networks.markBound(elsewhere.id, { hostId: 'compute-9', ofport: 12 });
    const plugged = await plug(port.id);
    await waitForPort(port.id, 'the port to be bound', (candidate) => candidate.status === 'ACTIVE');
    await first.switches.close();

    await ovs.vsctl('del-port', 'br-int', plugged.port);
    expect((await portNow(port.id)).status).toBe('ACTIVE');

    const second = await startSwitches();
    const down = await portNow(port.id);
    expect(down.status).toBe('DOWN');
    expect(down.binding.ofport).toBeNull();
    expect(second.changes).toEqual([{ kind: 'unbound', portId: port.id, hostId: HOST }]);
    expect((await portNow(elsewhere.id)).binding).toMatchObject({ hostId: 'compute-9', ofport: 12 });
  });

  it('reconciles bindings after the OVSDB connection comes back: a port unplugged meanwhile is unbound', async () => {
    const { changes } = await startSwitches();
    const port = await newPort('dpi-in');
    const plugged = await plug(port.id);
    await waitForPort(port.id, 'the port to be bound', (candidate) => candidate.status === 'ACTIVE');
    const portUuid = unquoted(await ovs.vsctl('get', 'Port', plugged.port, '_uuid'));

    const server = new OvsdbServerProcess(ovs);
    await server.kill();
    try {
      await server.transactOffline([
        { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br-int']], mutations: [['ports', 'delete', ['uuid', portUuid]]] },
      ]);
    } finally {
      await server.start();
    }

    const down = await waitForPort(port.id, 'the port to be unbound after the reconnect', (candidate) => candidate.status === 'DOWN');
    expect(down.binding.ofport).toBeNull();
    expect(changes.at(-1)).toEqual({ kind: 'unbound', portId: port.id, hostId: HOST });
  });

  it('binds on start a port plugged while it was down', async () => {
    const port = await newPort('vm-a');
    await ovs.addBridge('br-int');
    const plugged = await plug(port.id);
    const { changes } = await startSwitches();
    expect((await portNow(port.id)).binding).toMatchObject({ hostId: HOST, ofport: plugged.ofport });
    expect(changes).toEqual([{ kind: 'bound', portId: port.id, hostId: HOST, ofport: plugged.ofport }]);
  });

  it('follows the host list on refresh: a new host gets its bridge, a removed one is dropped', async () => {
    const { switches } = await startSwitches();
    await inventory.registerHost({ id: 'compute-2', libvirtUri: 'test:///default', ovsdbEndpoint: ovs.ovsdbRemote, integrationBridge: 'br-int2' });
    try {
      await switches.refresh();
      expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-int2', 'other_config:datapath-id'))).toBe(datapathIdHex(datapathIdOf('compute-2')));
      await controller.waitForSwitch(datapathIdOf('compute-2'), 15000);
      expect(switches.hostOfDatapath(datapathIdOf('compute-2'))).toBe('compute-2');
      expect(switches.hosts().map((host) => [host.hostId, host.bridge]).sort()).toEqual([
        [HOST, 'br-int'],
        ['compute-2', 'br-int2'],
      ]);
    } finally {
      await inventory.removeHost('compute-2');
    }
    await switches.refresh();
    expect(switches.hosts().map((host) => host.hostId)).toEqual([HOST]);
    expect(switches.datapathOf('compute-2')).toBeUndefined();
  });
});
