import fs from 'node:fs';
import {
  atom,
  Bridge,
  column,
  Interface,
  OvsdbRpcError,
  OvsdbSchemaMismatchError,
  OvsdbUsageError,
  Port,
  table,
  VSWITCH_TABLES,
  type CacheUpdate,
  type OvsdbClient,
  type Vswitch,
} from '../../../sfc/ovsdb/index.js';
import { waitFor } from '../../support/command.js';
import type { OvsInstance } from '../../support/ovs.js';
import { OvsdbServerProcess } from '../../support/ovsdb-server.js';
import { comparable, rowsFromVsctl, sleep, TestSwitch } from './support.js';

describe('OVSDB monitors on a real ovsdb-server', () => {
  let testSwitch: TestSwitch | undefined;
  let ovs: OvsInstance;
  let client: OvsdbClient;
  let vswitch: Vswitch;

  beforeAll(async () => {
    testSwitch = await TestSwitch.start('ovsdb-mon', 'br-mon');
    ({ ovs, client, vswitch } = testSwitch);
  });
  afterAll(() => testSwitch?.stop());

  function another(...args: Parameters<TestSwitch['connect']>): Promise<OvsdbClient> {
    if (!testSwitch) throw new Error('no test switch');
    return testSwitch.connect(...args);
  }

  it('sees a port that ovs-vsctl adds within 100 ms of the command returning', async () => {
    const latencies: number[] = [];
    for (let round = 0; round < 5; round++) {
      const name = `lat${round}`;
      expect(vswitch.port(name)).toBeUndefined();
      // --no-wait: ovs-vsctl returns once the transaction is committed, not after ovs-vswitchd applied it.
      await ovs.vsctl('--no-wait', 'add-port', 'br-mon', name, '--', 'set', 'Interface', name, 'type=internal');
      const returned = performance.now();
      await client.waitFor(`${name} in the cache`, () => (vswitch.port(name) && vswitch.interface(name) ? true : undefined), 1000);
      latencies.push(performance.now() - returned);
      expect(vswitch.portsOf('br-mon').map((port) => port.name)).toContain(name);
    }
    expect(Math.max(...latencies)).toBeLessThan(100);
  });

  it('keeps monitor (update) and monitor_cond (update2 diffs) caches equal to the server through every kind of change', async () => {
    const plain = await another({ monitorMethod: 'monitor' });
    const conditional = await another({ monitorMethod: 'monitor_cond' });
    await plain.monitor(VSWITCH_TABLES);
    await conditional.monitor(VSWITCH_TABLES);
    const steps: string[][] = [
      ['add-port', 'br-mon', 'q1', '--', 'set', 'Interface', 'q1', 'type=internal', '--', 'set', 'Port', 'q1', 'tag=5', 'trunks=1,2,3', 'external_ids:a=1', 'external_ids:b=2'],
      ['set', 'Port', 'q1', 'trunks=2,3,4'],
      ['remove', 'Port', 'q1', 'external_ids', 'a', '--', 'set', 'Port', 'q1', 'external_ids:b=3', 'external_ids:c=4'],
      ['clear', 'Port', 'q1', 'tag'],
      ['set', 'Port', 'q1', 'tag=7', 'vlan_mode=native-untagged'],
      ['set', 'Bridge', 'br-mon', 'fail_mode=secure', 'protocols=OpenFlow13,OpenFlow14', 'other_config:k=v'],
      ['set', 'Bridge', 'br-mon', 'protocols=OpenFlow15', 'fail_mode=standalone'],
      ['clear', 'Bridge', 'br-mon', 'fail_mode', '--', 'remove', 'Bridge', 'br-mon', 'other_config', 'k'],
      ['set', 'Interface', 'q1', 'options:x=1', 'external_ids:iface-id=vnf-q1'],
      ['del-port', 'br-mon', 'q1'],
    ];
    for (const step of steps) {
      await ovs.vsctl('--no-wait', ...step);
      await waitFor(
        `both caches to match the server after ${step.join(' ')}`,
        async () => {
          for (const model of [Bridge, Port, Interface]) {
            const server = JSON.stringify(comparable(await rowsFromVsctl(ovs, model)));
            for (const cache of [plain.cache, conditional.cache]) if (JSON.stringify(comparable(cache.rows(model))) !== server) return undefined;
          }
          return true;
        },
        5000,
      );
    }
    expect(plain.cache.find(Port, (port) => port.name === 'q1')).toBeUndefined();
  });

  it('with a monitor_cond condition, caches only the rows that satisfy it, and drops a row that stops satisfying it', async () => {
    const filtered = await another();
    await filtered.monitor([Interface.where(['type', '==', 'patch'])]);
    await ovs.vsctl(
      '--no-wait', 'add-port', 'br-mon', 'pa', '--', 'set', 'Interface', 'pa', 'type=patch', 'options:peer=pb',
      '--', 'add-port', 'br-mon', 'pb', '--', 'set', 'Interface', 'pb', 'type=patch', 'options:peer=pa',
      '--', 'add-port', 'br-mon', 'pc', '--', 'set', 'Interface', 'pc', 'type=internal',
    );
    const names = await filtered.waitFor('both patch interfaces', (cache) => {
      const rows = cache.rows(Interface).map((row) => row.name).sort();
      return rows.length === 2 ? rows : undefined;
    }, 2000);
    expect(names).toEqual(['pa', 'pb']);
    await ovs.vsctl('--no-wait', 'set', 'Interface', 'pb', 'type=internal');
    await filtered.waitFor('pb to leave the filtered cache', (cache) => (cache.rows(Interface).length === 1 ? true : undefined), 2000);
    expect(filtered.cache.rows(Interface).map((row) => row.name)).toEqual(['pa']);
    expect(client.cache.find(Interface, (row) => row.name === 'pc')).toBeDefined();
  });

  it('cancels a monitor: its tables leave the cache and later changes no longer arrive', async () => {
    const watcher = await another();
    const monitor = await watcher.monitor([Port]);
    expect(watcher.cache.rows(Port).length).toBeGreaterThan(0);
    const updates: CacheUpdate[] = [];
    watcher.on('cache-updated', (update) => updates.push(update));
    await monitor.cancel();
    expect(updates.map((update) => update.cause)).toEqual(['cancel']);
    expect(watcher.cache.isWatched(Port)).toBe(false);
    expect(watcher.cache.rows(Port)).toEqual([]);
    await ovs.vsctl('--no-wait', 'add-port', 'br-mon', 'after-cancel', '--', 'set', 'Interface', 'after-cancel', 'type=internal');
    await client.waitFor('the main client to see the port', () => vswitch.port('after-cancel'), 1000);
    await sleep(200);
    expect(updates).toHaveLength(1);
    // The table may be monitored again.
    await watcher.monitor([Port]);
    expect(watcher.cache.find(Port, (port) => port.name === 'after-cancel')).toBeDefined();
    await expect(watcher.monitor([Port])).rejects.toBeInstanceOf(OvsdbUsageError);
  });

  it('refuses a table model that does not match the server schema, naming each difference', async () => {
    const fresh = await another();
    const drifted = table('Bridge', {
      name: column.scalar(atom.integer),
      flavour: column.scalar(atom.string),
      ports: column.optional(atom.uuid),
      fail_mode: column.optional(atom.oneOf('secure', 'paranoid')),
    });
    const failure = await fresh.monitor([drifted]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OvsdbSchemaMismatchError);
    expect((failure as OvsdbSchemaMismatchError).problems).toEqual([
      'Bridge.name key: string on the server, integer in our model',
      'no column Bridge.flavour',
      'Bridge.ports: set on the server, optional in our model',
      'Bridge.fail_mode key: the server does not allow paranoid',
    ]);
    expect(fresh.cache.isWatched(drifted)).toBe(false);
    await expect(fresh.monitor([table('Nonexistent', {})])).rejects.toThrow('no table Nonexistent');
    // The tables were not claimed by the refused monitors.
    await fresh.monitor([Bridge]);
    expect(fresh.cache.rows(Bridge).map((bridge) => bridge.name)).toEqual(['br-mon']);
  });

  it('answers list_dbs, get_schema and echo, and reports a request the server refuses as a typed error', async () => {
    expect((await client.listDbs()).sort()).toEqual(['Open_vSwitch', '_Server']);
    const schema = await client.getSchema();
    const file = JSON.parse(fs.readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')) as { version: string; tables: object };
    expect(schema.version).toBe(file.version);
    expect([...schema.tables.keys()].sort()).toEqual(Object.keys(file.tables).sort());
    expect(schema.tables.get('Bridge')?.columns.get('fail_mode')).toMatchObject({ min: 0, max: 1, key: { type: 'string', values: ['secure', 'standalone'] } });
    expect(await client.echo('probe', 7, { nested: ['é'] })).toEqual(['probe', 7, { nested: ['é'] }]);
    const refused = await client.getSchema('Nope').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OvsdbRpcError);
    expect(refused).toMatchObject({ method: 'get_schema', error: 'unknown database' });
  });

  it('connects over tcp: as well as unix:', async () => {
    const remote = await new OvsdbServerProcess(ovs).addTcpRemote();
    const overTcp = await another({}, remote);
    expect((await overTcp.listDbs()).sort()).toEqual(['Open_vSwitch', '_Server']);
    await overTcp.monitor([Bridge]);
    expect(overTcp.cache.rows(Bridge).map((bridge) => bridge._uuid)).toEqual(client.cache.rows(Bridge).map((bridge) => bridge._uuid));
  });
});
