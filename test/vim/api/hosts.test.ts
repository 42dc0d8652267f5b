import path from 'node:path';
import { Scheduler, type HostView } from '../../../vim/index.js';
import { FIXTURES_DIR } from '../../fixtures/sysfs/generate.js';
import { startProduct, TENANT_A_TOKEN, type RunningProduct } from '../../support/application.js';

const FIXTURES = ['single-cell', 'dual-socket', 'four-cell', 'numa-unknown', 'no-sriov'] as const;
const GIB = 1024;

function json(body: unknown): RequestInit {
  return { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
}

function registration(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, libvirtUri: `qemu+ssh://root@${name}/system`, ovsdb: 'tcp:192.0.2.7:6640', integrationBridge: 'br-int', ...extra };
}

describe('VIM administration API /vim/v1', () => {
  let product: RunningProduct;

  beforeEach(async () => {
    product = await startProduct();
  });
  afterEach(async () => product.stop());

  const register = async (name: string, extra: Record<string, unknown> = {}): Promise<HostView> => {
    const response = await product.request('/vim/v1/hosts', json(registration(name, extra)));
    expect(response.status).toBe(201);
    const host = (await response.json()) as HostView;
    expect(response.headers.get('location')).toBe(`${product.url}/vim/v1/hosts/${host.id}`);
    return host;
  };
  const dryRun = async (body: unknown): Promise<Record<string, any>> => {
    const response = await product.request('/vim/v1/placements:dry-run', json(body));
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  };

  it('creates, lists and shows regions and zones; the default ones exist', async () => {
    expect(await (await product.request('/vim/v1/regions')).json()).toEqual([expect.objectContaining({ id: 'default' })]);
    const region = await product.request('/vim/v1/regions', json({ id: 'eu-west', name: 'Europe West' }));
    expect(region.status).toBe(201);
    const zone = await product.request('/vim/v1/zones', json({ id: 'eu-west-a', name: 'A', regionId: 'eu-west' }));
    expect(zone.status).toBe(201);
    expect(await zone.json()).toMatchObject({ id: 'eu-west-a', regionId: 'eu-west', tenantId: 'admin' });
    expect(((await (await product.request('/vim/v1/zones')).json()) as Array<{ id: string }>).map((item) => item.id).sort()).toEqual(['default', 'eu-west-a']);
    expect(await (await product.request('/vim/v1/zones/eu-west-a')).json()).toMatchObject({ name: 'A' });
    expect(await (await product.request('/vim/v1/regions/eu-west')).json()).toMatchObject({ name: 'Europe West' });
    expect((await product.request('/vim/v1/regions/nowhere')).status).toBe(404);
    const duplicate = await product.request('/vim/v1/regions', json({ id: 'eu-west', name: 'again' }));
    expect(duplicate.status).toBe(409);
    const orphan = await product.request('/vim/v1/zones', json({ name: 'B', regionId: 'nowhere' }));
    expect(orphan.status).toBe(422);
    expect(await orphan.json()).toMatchObject({ violations: [{ pointer: '/regionId', in: 'body' }] });
  });

  it.each(FIXTURES)('registers a host discovered from the %s sysfs tree and shows its per-cell usage', async (fixture) => {
    const host = await register(fixture, { sysfsRoot: path.join(FIXTURES_DIR, fixture) });
    expect(host).toMatchObject({ name: fixture, zoneId: 'default', regionId: 'default', adminState: 'enabled', health: 'up', discovered: true, ovsdb: 'tcp:192.0.2.7:6640' });
    expect(host.cells.length).toBeGreaterThan(0);
    for (const cell of host.cells) {
      expect(cell.cpus.free + cell.cpus.claimed + cell.cpus.reserved).toBe(cell.cpus.total);
      expect(cell.cpus.claimed).toBe(0);
      for (const pool of cell.hugepages) expect(pool.free).toBeLessThanOrEqual(pool.total);
    }
    for (const pf of host.physicalFunctions) expect(pf.vfsFree).toBe(pf.vfs);
    const shown = (await (await product.request(`/vim/v1/hosts/${host.id}`)).json()) as HostView;
    expect(shown).toEqual({ ...host, vfSettings: [] });
    expect(((await (await product.request('/vim/v1/hosts')).json()) as HostView[]).map((item) => item.id)).toEqual([host.id]);
  });

  it('registers a host without inventory, which placement passes over as undiscovered', async () => {
    const host = await register('bare', { integrationBridge: 'br-lab' });
    expect(host).toMatchObject({ discovered: false, cells: [], physicalFunctions: [], claims: [], integrationBridge: 'br-lab' });
    const answer = await dryRun({ epa: { vcpus: 1, memoryMiB: 512, cpuPolicy: 'shared', interfaces: [] } });
    expect(answer).toMatchObject({ placeable: false, refusal: { kind: 'no-host', hostsInScope: 1, reasons: [{ constraint: 'no-inventory', hosts: 1 }] } });
  });

  it('shows the usage a claim takes, refuses to delete a host while the claim exists and deletes it once released', async () => {
    const host = await register('dual', { sysfsRoot: path.join(FIXTURES_DIR, 'dual-socket'), physicalNetworks: { ens1f0: 'sriov-a' } });
    const scheduler = await Scheduler.open(product.application.store);
    const placed = await scheduler.place({
      owner: 'op-1',
      tenantId: 'tenant-a',
      epa: {
        vcpus: 2,
        memoryMiB: 2 * GIB,
        cpuPolicy: 'dedicated',
        threadPolicy: 'prefer',
        emulatorThreadPolicy: undefined,
        numa: undefined,
        pageSize: undefined,
        interfaces: [{ cpId: 'data', order: undefined, kind: 'sriov-vf', physicalNetwork: 'sriov-a', numaAffinity: 'required' }],
      },
    });
    if (!placed.ok) throw new Error(placed.refusal.message);
    const shown = (await (await product.request(`/vim/v1/hosts/${host.id}`)).json()) as HostView;
    expect(shown.claims).toEqual([placed.placement.claim.id]);
    const cell = shown.cells.find((candidate) => candidate.id === placed.placement.claim.cells[0]?.hostCell);
    expect(cell?.cpus.claimed).toBe(2);
    expect(cell?.memoryMiB.claimed).toBe(2 * GIB);
    const pf = shown.physicalFunctions.find((candidate) => candidate.netdev === 'ens1f0');
    expect(pf && pf.vfs - pf.vfsFree).toBe(1);

    const refused = await product.request(`/vim/v1/hosts/${host.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ status: 409, claimIds: [placed.placement.claim.id] });

    await scheduler.release('op-1');
    scheduler.close();
    expect((await product.request(`/vim/v1/hosts/${host.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await product.request(`/vim/v1/hosts/${host.id}`)).status).toBe(404);
  });

  it('dry-runs a placement without claiming; drain takes the host out of the answer and enable puts it back', async () => {
    const single = await register('single', { sysfsRoot: path.join(FIXTURES_DIR, 'single-cell') });
    const dual = await register('dual', { sysfsRoot: path.join(FIXTURES_DIR, 'dual-socket') });
    const epa = { vcpus: 2, memoryMiB: 1 * GIB, cpuPolicy: 'dedicated', interfaces: [] };
    const first = await dryRun({ epa });
    expect(first.placeable).toBe(true);
    expect(first.cells[0].cpus).toHaveLength(2);
    expect([single.id, dual.id]).toContain(first.host.id);
    // Why there: the weighted score that won, the layout's cost and how many hosts competed.
    expect(first.why).toMatchObject({ hostsInScope: 2, candidateShapes: 2, weights: expect.any(Object) });
    expect(first.why.score).toBeGreaterThanOrEqual(0);
    expect(first.why.layoutCost).toBeGreaterThanOrEqual(0);
    const chosen = first.host.id as string;
    const other = chosen === single.id ? dual.id : single.id;
    // Nothing was claimed: the same question gets the same kind of answer and the host is untouched.
    expect(((await (await product.request(`/vim/v1/hosts/${chosen}`)).json()) as HostView).claims).toEqual([]);

    const drained = await product.request(`/vim/v1/hosts/${chosen}:drain`, { method: 'POST' });
    expect(drained.status).toBe(200);
    expect(await drained.json()).toMatchObject({ id: chosen, adminState: 'drained' });
    expect((await dryRun({ epa })).host.id).toBe(other);
    await product.request(`/vim/v1/hosts/${other}:drain`, { method: 'POST' });
    expect(await dryRun({ epa })).toMatchObject({ placeable: false, refusal: { kind: 'no-host', hostsInScope: 2, reasons: [{ constraint: 'drained', hosts: 2 }] } });
    expect(await (await product.request(`/vim/v1/hosts/${chosen}:enable`, { method: 'POST' })).json()).toMatchObject({ adminState: 'enabled' });
    expect((await dryRun({ epa })).host.id).toBe(chosen);
    expect((await product.request('/vim/v1/hosts/nobody:drain', { method: 'POST' })).status).toBe(404);
  });

  it('refuses with the constraint and how many hosts it ruled out', async () => {
    for (const fixture of ['single-cell', 'no-sriov', 'four-cell']) await register(fixture, { sysfsRoot: path.join(FIXTURES_DIR, fixture) });
    await register('bare');
    const answer = await dryRun({ epa: { vcpus: 1024, memoryMiB: GIB, cpuPolicy: 'dedicated', interfaces: [] } });
    expect(answer).toMatchObject({ placeable: false, refusal: { kind: 'no-host', hostsInScope: 4 } });
    const reasons = answer.refusal.reasons as Array<{ constraint: string; hosts: number }>;
    expect(reasons).toContainEqual({ constraint: 'no-inventory', hosts: 1 });
    expect(reasons.reduce((sum, reason) => sum + reason.hosts, 0)).toBe(4);
    expect(reasons.find((reason) => reason.constraint === 'cpus')?.hosts).toBe(3);
    const vfs = await dryRun({ epa: { vcpus: 1, memoryMiB: GIB, cpuPolicy: 'dedicated', interfaces: [{ cpId: 'd', kind: 'sriov-vf', physicalNetwork: 'nowhere' }] } });
    expect(vfs).toMatchObject({ placeable: false, refusal: { kind: 'no-host', hostsInScope: 4 } });
    expect(vfs.refusal.reasons).toContainEqual(expect.objectContaining({ constraint: 'vfs', hosts: 3 }));
    expect(await dryRun({ epa: { vcpus: 1, memoryMiB: GIB, cpuPolicy: 'shared', threadPolicy: 'isolate', interfaces: [] } })).toMatchObject({
      placeable: false,
      refusal: { kind: 'invalid-request', problems: [expect.stringMatching(/dedicated/)] },
    });
  });

  it('refuses bad input with 4xx ProblemDetails that point at the member, and changes nothing', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['/vim/v1/hosts', registration('x', { colour: 'blue' }), 400, '/colour'],
      ['/vim/v1/hosts', { ...registration('x'), ovsdb: 'db.sock' }, 400, '/ovsdb'],
      ['/vim/v1/hosts', { name: 'x', ovsdb: 'unix:/run/db.sock', integrationBridge: 'br-int' }, 400, '/libvirtUri'],
      ['/vim/v1/hosts', registration('x', { zoneId: 'nowhere' }), 422, '/zoneId'],
      ['/vim/v1/hosts', registration('x', { sysfsRoot: '/nonexistent/sysfs' }), 422, '/sysfsRoot'],
      ['/vim/v1/hosts', registration('x', { inventory: { cells: [], physicalFunctions: [], ovsDpdk: 'yes' } }), 400, '/inventory/ovsDpdk'],
      ['/vim/v1/regions', { name: 'r', extra: 1 }, 400, '/extra'],
      ['/vim/v1/placements:dry-run', { epa: { vcpus: '2', memoryMiB: 1, cpuPolicy: 'shared', interfaces: [] } }, 400, '/epa/vcpus'],
      ['/vim/v1/placements:dry-run', { epa: { vcpus: 1, memoryMiB: 1, cpuPolicy: 'pinned', interfaces: [] } }, 400, '/epa/cpuPolicy'],
      ['/vim/v1/placements:dry-run', { epa: { vcpus: 1, memoryMiB: 1, cpuPolicy: 'shared', interfaces: [{ cpId: 'a', kind: 'tap' }] } }, 400, '/epa/interfaces/0/kind'],
      ['/vim/v1/placements:dry-run', { epa: { vcpus: 1, memoryMiB: 1, cpuPolicy: 'shared', interfaces: [] }, zones: ['nowhere'] }, 400, '/zones/0'],
    ];
    for (const [url, body, status, pointer] of cases) {
      const response = await product.request(url, json(body));
      expect({ url, pointer, status: response.status }).toEqual({ url, pointer, status });
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await response.json()) as { violations: Array<{ pointer: string }> };
      expect(problem.violations.map((violation) => violation.pointer)).toContain(pointer);
    }
    const notJson = await product.request('/vim/v1/hosts', { method: 'POST', body: '{"name":', headers: { 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await (await product.request('/vim/v1/hosts')).json()).toEqual([]);
    await register('once');
    const twice = await product.request('/vim/v1/hosts', json(registration('once')));
    expect(twice.status).toBe(409);
    expect((await product.request('/vim/v1/hosts/someone:reboot', { method: 'POST' })).status).toBe(400);
    const heartbeat = await product.request(`/vim/v1/hosts/${(await register('beating')).id}/heartbeats`, json({ vfResults: [{ id: 'x', applied: 'yes' }] }));
    expect(heartbeat.status).toBe(400);
    expect(await heartbeat.json()).toMatchObject({ violations: [{ pointer: '/vfResults/0/applied', in: 'body' }] });
    expect((await product.request('/vim/v1/hosts/nobody/heartbeats', json({}))).status).toBe(404);
  });

  it('answers the admin tenant only, reads included', async () => {
    for (const [method, url] of [['GET', '/vim/v1/hosts'], ['POST', '/vim/v1/hosts'], ['GET', '/vim/v1/regions'], ['POST', '/vim/v1/placements:dry-run']] as const) {
      const response = await product.request(url, { method, headers: { Authorization: `Bearer ${TENANT_A_TOKEN}`, 'Content-Type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect({ url, status: response.status }).toEqual({ url, status: 403 });
    }
    expect((await fetch(`${product.url}/vim/v1/hosts`)).status).toBe(401);
    const docs = (await (await fetch(`${product.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/vim/v1/hosts', '/vim/v1/placements:dry-run', '/vim/v1/hosts/{id}/heartbeats']));
  });
});
