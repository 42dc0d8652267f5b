import { StoreConflictError, type CollectionSpec, type Entity, type Repository, type Store } from '../../platform/index.js';
import { storeBackends } from '../support/stores.js';

interface HostDoc extends Entity {
  name: string;
  zoneId: string;
  labels: string[];
  freeCpus: number[];
  numa?: { cells: number };
}

const HOSTS: CollectionSpec = { name: 'contract_hosts', indexes: ['zoneId', 'labels', 'numa.cells'] };
const CLAIMS: CollectionSpec = { name: 'contract_claims', indexes: ['hostId'] };

function host(id: string, overrides: Partial<HostDoc> = {}): HostDoc {
  return { id, tenantId: 'tenant-a', name: `host ${id}`, zoneId: 'zone-1', labels: [], freeCpus: [2, 3, 4, 5], ...overrides };
}

for (const backend of storeBackends()) {
  const suite = backend.skipReason ? describe.skip : describe;
  if (backend.skipReason) {
    // Said once in the output, so a reader of the CI log knows this backend's contract was not exercised.
    console.warn(`store contract: ${backend.name} backend skipped: ${backend.skipReason}`);
  }
  suite(`store contract (${backend.name}${backend.skipReason ? `, skipped: ${backend.skipReason}` : ''})`, () => {
    let store: Store;
    let hosts: Repository<HostDoc>;

    beforeAll(async () => backend.setUp());
    afterAll(async () => backend.tearDown());
    beforeEach(async () => {
      store = await backend.open();
      hosts = store.collection<HostDoc>(HOSTS);
      for (const { value } of await hosts.query()) await hosts.delete(value.id);
      const claims = store.collection<Entity>(CLAIMS);
      for (const { value } of await claims.query()) await claims.delete(value.id);
    });
    afterEach(async () => store.close());

    it('inserts at revision 1 and reads the document back', async () => {
      const inserted = await hosts.insert(host('h1'));
      expect(inserted.revision).toBe(1);
      expect(await hosts.get('h1')).toEqual({ value: host('h1'), revision: 1 });
      expect(await hosts.get('nope')).toBeUndefined();
    });

    it('refuses a second insert of the same id', async () => {
      await hosts.insert(host('h1'));
      await expect(hosts.insert(host('h1', { name: 'other' }))).rejects.toMatchObject({ reason: 'duplicate-id' });
      expect((await hosts.get('h1'))?.value.name).toBe('host h1');
    });

    it('updates with the expected revision and refuses a stale one, keeping the winner', async () => {
      await hosts.insert(host('h1'));
      const updated = await hosts.update(host('h1', { name: 'renamed' }), 1);
      expect(updated.revision).toBe(2);
      const stale = hosts.update(host('h1', { name: 'lost update' }), 1);
      await expect(stale).rejects.toBeInstanceOf(StoreConflictError);
      await expect(stale).rejects.toMatchObject({ reason: 'stale-revision', expectedRevision: 1, actualRevision: 2 });
      expect(await hosts.get('h1')).toEqual({ value: host('h1', { name: 'renamed' }), revision: 2 });
    });

    it('lets exactly one of many concurrent updates with the same expected revision win', async () => {
      await hosts.insert(host('h1'));
      const second = await backend.open();
      try {
        const otherConnection = second.collection<HostDoc>(HOSTS);
        const attempts = Array.from({ length: 12 }, (_, index) =>
          (index % 2 === 0 ? hosts : otherConnection).update(host('h1', { name: `writer ${index}` }), 1),
        );
        const results = await Promise.allSettled(attempts);
        const winners = results.filter((result) => result.status === 'fulfilled');
        const losers = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(11);
        for (const loser of losers) expect(loser.reason).toMatchObject({ reason: 'stale-revision' });
        const stored = await hosts.get('h1');
        expect(stored?.revision).toBe(2);
        const winnerIndex = results.findIndex((result) => result.status === 'fulfilled');
        expect(stored?.value.name).toBe(`writer ${winnerIndex}`);
      } finally {
        await second.close();
      }
    });

    it('refuses to update a document that does not exist', async () => {
      await expect(hosts.update(host('ghost'), 1)).rejects.toMatchObject({ reason: 'missing' });
      expect(await hosts.get('ghost')).toBeUndefined();
    });

    it('deletes unconditionally or at an expected revision', async () => {
      await hosts.insert(host('h1'));
      await hosts.insert(host('h2'));
      await expect(hosts.delete('h1', 7)).rejects.toMatchObject({ reason: 'stale-revision' });
      expect(await hosts.get('h1')).toBeDefined();
      expect(await hosts.delete('h1', 1)).toBe(true);
      expect(await hosts.delete('h2')).toBe(true);
      expect(await hosts.delete('h2')).toBe(false);
      expect(await hosts.query()).toEqual([]);
    });

    it('queries by indexed fields, including array elements and nested paths', async () => {
      await hosts.insert(host('h1', { zoneId: 'zone-1', labels: ['sriov', 'dpdk'], numa: { cells: 2 } }));
      await hosts.insert(host('h2', { zoneId: 'zone-2', labels: ['dpdk'], numa: { cells: 4 } }));
      await hosts.insert(host('h3', { zoneId: 'zone-1', labels: [] }));
      const ids = async (where: Record<string, string | number>): Promise<string[]> =>
        (await hosts.query({ where })).map(({ value }) => value.id);
      expect(await ids({ zoneId: 'zone-1' })).toEqual(['h1', 'h3']);
      expect(await ids({ labels: 'dpdk' })).toEqual(['h1', 'h2']);
      expect(await ids({ labels: 'dpdk', zoneId: 'zone-2' })).toEqual(['h2']);
      expect(await ids({ 'numa.cells': 4 })).toEqual(['h2']);
      expect(await ids({ 'numa.cells': '4' })).toEqual([]);
      await hosts.update(host('h2', { zoneId: 'zone-1', labels: [] }), 1);
      expect(await ids({ labels: 'dpdk' })).toEqual(['h1']);
      expect(await ids({ zoneId: 'zone-1' })).toEqual(['h1', 'h2', 'h3']);
    });

    it('refuses a query on a field that is not indexed', async () => {
      await expect(hosts.query({ where: { name: 'x' } })).rejects.toThrow(/no index on "name"/);
    });

    it('pages in id order with after and limit', async () => {
      for (const id of ['h5', 'h1', 'h4', 'h2', 'h3']) await hosts.insert(host(id));
      const first = await hosts.query({ limit: 2 });
      expect(first.map(({ value }) => value.id)).toEqual(['h1', 'h2']);
      const next = await hosts.query({ after: 'h2', limit: 2 });
      expect(next.map(({ value }) => value.id)).toEqual(['h3', 'h4']);
      const last = await hosts.query({ after: 'h4', limit: 2 });
      expect(last.map(({ value }) => value.id)).toEqual(['h5']);
    });

    it('scopes reads to a tenant when one is given', async () => {
      await hosts.insert(host('h1', { tenantId: 'tenant-a' }));
      await hosts.insert(host('h2', { tenantId: 'tenant-b' }));
      expect(await hosts.get('h1', 'tenant-b')).toBeUndefined();
      expect((await hosts.get('h1', 'tenant-a'))?.value.id).toBe('h1');
      expect((await hosts.query({ tenantId: 'tenant-b' })).map(({ value }) => value.id)).toEqual(['h2']);
      expect((await hosts.query()).map(({ value }) => value.id)).toEqual(['h1', 'h2']);
    });

    it('commits a batch atomically: one stale write and nothing of the batch is applied', async () => {
      await hosts.insert(host('h1'));
      await hosts.insert(host('h2'));
      const claims = store.collection<Entity & { hostId: string }>(CLAIMS);
      const batch = [
        hosts.updateWrite(host('h1', { freeCpus: [4, 5] }), 1),
        claims.insertWrite({ id: 'claim-1', tenantId: 'tenant-a', hostId: 'h1' }),
        hosts.updateWrite(host('h2', { freeCpus: [] }), 5),
      ];
      await expect(store.commit(batch)).rejects.toMatchObject({ reason: 'stale-revision', id: 'h2' });
      expect((await hosts.get('h1'))?.value.freeCpus).toEqual([2, 3, 4, 5]);
      expect(await claims.get('claim-1')).toBeUndefined();
      expect(await claims.query({ where: { hostId: 'h1' } })).toEqual([]);

      const revisions = await store.commit([batch[0]!, batch[1]!, hosts.updateWrite(host('h2', { freeCpus: [] }), 1)]);
      expect(revisions).toEqual([2, 1, 2]);
      expect((await claims.query({ where: { hostId: 'h1' } })).map(({ value }) => value.id)).toEqual(['claim-1']);
    });

    it('gives a resource to exactly one of two concurrent claims', async () => {
      await hosts.insert(host('h1', { freeCpus: [2, 3] }));
      const second = await backend.open();
      try {
        const claim = async (repositoryStore: Store, claimId: string): Promise<string> => {
          const repository = repositoryStore.collection<HostDoc>(HOSTS);
          const claims = repositoryStore.collection<Entity & { hostId: string; cpus: number[] }>(CLAIMS);
          const current = await repository.get('h1');
          if (!current) throw new Error('host vanished');
          const cpus = current.value.freeCpus.slice(0, 2);
          await repositoryStore.commit([
            repository.updateWrite({ ...current.value, freeCpus: current.value.freeCpus.slice(2) }, current.revision),
            claims.insertWrite({ id: claimId, tenantId: 'tenant-a', hostId: 'h1', cpus }),
          ]);
          return claimId;
        };
        const results = await Promise.allSettled([claim(store, 'claim-a'), claim(second, 'claim-b')]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const claims = await store.collection<Entity>(CLAIMS).query({ where: { hostId: 'h1' } });
        expect(claims).toHaveLength(1);
        expect((await hosts.get('h1'))?.value.freeCpus).toEqual([]);
      } finally {
        await second.close();
      }
    });

    it('keeps what was written across a reopen, and indexes fields declared later', async () => {
      await hosts.insert(host('h1', { name: 'kept' }));
      await store.close();
      store = await backend.open();
      const reopened = store.collection<HostDoc>({ name: HOSTS.name, indexes: [...HOSTS.indexes, 'name'] });
      expect((await reopened.get('h1'))?.value.name).toBe('kept');
      expect((await reopened.query({ where: { name: 'kept' } })).map(({ value }) => value.id)).toEqual(['h1']);
      hosts = store.collection<HostDoc>(HOSTS);
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
