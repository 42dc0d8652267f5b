import {
  Bridge,
  Interface,
  OpenVswitch,
  OvsdbConflictError,
  OvsdbNotConnectedError,
  OvsdbTransactionError,
  Port,
  Transaction,
  type OvsdbClient,
  type Vswitch,
} from '../../../sfc/ovsdb/index.js';
import type { OvsInstance } from '../../support/ovs.js';
import { TestSwitch } from './support.js';

const unquoted = (text: string): string => text.trim().replace(/^"(.*)"$/, '$1');

async function failureOf(promise: Promise<unknown>): Promise<OvsdbTransactionError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof OvsdbTransactionError)) throw new Error(`expected a transaction error, got ${String(outcome)}`);
  return outcome;
}

describe('OVSDB transactions: typed operations and typed failures, on a real ovsdb-server', () => {
  let testSwitch: TestSwitch | undefined;
  let ovs: OvsInstance;
  let client: OvsdbClient;
  let vswitch: Vswitch;

  beforeAll(async () => {
    testSwitch = await TestSwitch.start('ovsdb-tx', 'br-tx');
    ({ ovs, client, vswitch } = testSwitch);
  });
  afterAll(() => testSwitch?.stop());

  it('inserts rows that refer to each other by named UUID, then selects, updates, mutates and deletes them', async () => {
    const insertion = new Transaction();
    const iface = insertion.insert(Interface, { name: 't1', type: 'internal', external_ids: new Map([['iface-id', 'vnf-t1']]) });
    const port = insertion.insert(Port, { name: 't1', interfaces: [iface], trunks: [1, 2] });
    const linked = insertion.mutate(Bridge, [['name', '==', 'br-tx']], [['ports', 'insert', [port]]]);
    insertion.comment('nfv-mano: add t1');
    insertion.commit(true);
    const inserted = await client.transact(insertion);
    expect(inserted.get(linked)).toBe(1);
    expect(unquoted(await ovs.vsctl('get', 'Port', 't1', '_uuid'))).toBe(inserted.uuidOf(port));
    expect(unquoted(await ovs.vsctl('get', 'Port', 't1', 'interfaces'))).toBe(`[${inserted.uuidOf(iface)}]`);
    expect(unquoted(await ovs.vsctl('get', 'Interface', 't1', 'external_ids:iface-id'))).toBe('vnf-t1');

    const change = new Transaction();
    const before = change.select(Port, [['name', '==', 't1']]);
    const updated = change.update(Port, [['name', '==', 't1']], { tag: 42 });
    const mutated = change.mutate(
      Port,
      [['_uuid', '==', inserted.uuidOf(port)]],
      [
        ['trunks', 'insert', [3]],
        ['trunks', 'delete', [1]],
        ['external_ids', 'insert', { owner: 'nfv-mano' }],
      ],
    );
    const changed = await client.transact(change);
    expect(changed.get(before)).toEqual([expect.objectContaining({ _uuid: inserted.uuidOf(port), name: 't1', tag: undefined, trunks: [1, 2] })]);
    expect([changed.get(updated), changed.get(mutated)]).toEqual([1, 1]);
    expect((await ovs.vsctl('get', 'Port', 't1', 'trunks')).trim()).toBe('[2, 3]');
    expect((await ovs.vsctl('get', 'Port', 't1', 'tag')).trim()).toBe('42');
    expect(unquoted(await ovs.vsctl('get', 'Port', 't1', 'external_ids:owner'))).toBe('nfv-mano');

    const removal = new Transaction();
    removal.mutate(Bridge, [['name', '==', 'br-tx']], [['ports', 'delete', [inserted.uuidOf(port)]]]);
    const deleted = removal.delete(Port, [['name', '==', 't1']]);
    expect((await client.transact(removal)).get(deleted)).toBe(1);
    expect((await ovs.vsctl('--columns=_uuid', 'find', 'Interface', 'name=t1')).trim()).toBe('');
    expect(vswitch.port('t1')).toBeUndefined();
  });

  it('names the operation that violates a column constraint, and applies none of the transaction', async () => {
    const transaction = new Transaction();
    const iface = transaction.insert(Interface, { name: 'bad', type: 'internal' });
    const port = transaction.insert(Port, { name: 'bad', interfaces: [iface], tag: 5000 });
    transaction.mutate(Bridge, [['name', '==', 'br-tx']], [['ports', 'insert', [port]]]);
    const failure = await failureOf(client.transact(transaction));
    expect(failure).not.toBeInstanceOf(OvsdbConflictError);
    expect(failure).toMatchObject({ operationIndex: 1, operation: 'insert', table: 'Port', error: 'constraint violation', retryable: false });
    expect(failure.details).toMatch(/5000 is not in the valid range 0 to 4095/);
    expect(failure.message).toMatch(/operation 1 \(insert on Port\): constraint violation/);
    expect((await ovs.vsctl('--columns=_uuid', 'find', 'Interface', 'name=bad')).trim()).toBe('');
  });

  it('reports a failure of the commit itself (a duplicate bridge name) one index past the last operation', async () => {
    const transaction = new Transaction();
    const bridge = transaction.insert(Bridge, { name: 'br-tx', datapath_type: 'netdev' });
    transaction.mutate(OpenVswitch, [], [['bridges', 'insert', [bridge]]]);
    const failure = await failureOf(client.transact(transaction));
    expect(failure).toMatchObject({ operationIndex: 2, operation: 'commit', table: undefined, error: 'constraint violation' });
    expect(failure.details).toMatch(/identical values \(br-tx\) for index on column "name"/);
  });

  it('refuses to delete a row that is still referenced (referential integrity, at commit)', async () => {
    const transaction = new Transaction();
    transaction.delete(Port, [['name', '==', 'br-tx']]);
    const failure = await failureOf(client.transact(transaction));
    expect(failure).toMatchObject({ operationIndex: 1, operation: 'commit', error: 'referential integrity violation' });
    expect(vswitch.port('br-tx')).toBeDefined();
  });

  it('turns a wait that does not hold into a retryable conflict, with nothing after it applied', async () => {
    const waiting = (failMode: 'standalone' | undefined): Transaction => {
      const transaction = new Transaction();
      transaction.wait(Bridge, [['name', '==', 'br-tx']], { columns: ['fail_mode'], until: '==', rows: [{ fail_mode: failMode }] });
      transaction.update(Bridge, [['name', '==', 'br-tx']], { other_config: { checked: 'yes' } });
      return transaction;
    };
    const failure = await failureOf(client.transact(waiting('standalone')));
    expect(failure).toBeInstanceOf(OvsdbConflictError);
    expect(failure).toMatchObject({ operationIndex: 0, operation: 'wait', table: 'Bridge', error: 'timed out', retryable: true });
    expect((await ovs.vsctl('get', 'Bridge', 'br-tx', 'other_config')).trim()).toBe('{}');
    // The same wait with the condition that holds (no fail_mode) lets the update through.
    await client.transact(waiting(undefined));
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-tx', 'other_config:checked'))).toBe('yes');
  });

  it('detects a concurrent edit through verify; rebuilt from the refreshed cache, the edit keeps the other writer’s change', async () => {
    const addChain = (row: Bridge): Transaction => {
      const transaction = new Transaction();
      transaction.verify(Bridge, row, ['other_config']);
      transaction.update(Bridge, [['_uuid', '==', row._uuid]], { other_config: new Map([...row.other_config, ['sfc-chain', 'chain-1']]) });
      return transaction;
    };
    const read = vswitch.bridge('br-tx');
    if (!read) throw new Error('br-tx is not in the cache');
    await ovs.vsctl('set', 'Bridge', 'br-tx', 'other_config:owner=orchestrator-b');

    const conflict = await failureOf(client.transact(addChain(read)));
    expect(conflict).toBeInstanceOf(OvsdbConflictError);
    expect(conflict.retryable).toBe(true);
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-tx', 'other_config:owner'))).toBe('orchestrator-b');
    expect(await ovs.vsctl('get', 'Bridge', 'br-tx', 'other_config')).not.toContain('sfc-chain');

    const fresh = await client.waitFor('the cache to show the other writer', () => {
      const row = vswitch.bridge('br-tx');
      return row?.other_config.get('owner') === 'orchestrator-b' ? row : undefined;
    }, 2000);
    await client.transact(addChain(fresh));
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-tx', 'other_config:owner'))).toBe('orchestrator-b');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-tx', 'other_config:sfc-chain'))).toBe('chain-1');
  });

  it('reports an aborted transaction as a failure of its abort operation', async () => {
    const transaction = new Transaction();
    transaction.update(Bridge, [['name', '==', 'br-tx']], { external_ids: { aborted: 'no' } });
    transaction.abort();
    const failure = await failureOf(client.transact(transaction));
    expect(failure).toMatchObject({ operationIndex: 1, operation: 'abort', error: 'aborted' });
    expect((await ovs.vsctl('get', 'Bridge', 'br-tx', 'external_ids')).trim()).toBe('{}');
  });

  it('refuses a transaction when the client is closed, without sending anything', async () => {
    const closed = await testSwitch?.connect();
    if (!closed) throw new Error('no test switch');
    await closed.close();
    const transaction = new Transaction();
    transaction.comment('never sent');
    await expect(closed.transact(transaction)).rejects.toBeInstanceOf(OvsdbNotConnectedError);
  });
});
