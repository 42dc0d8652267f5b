/**
 * SOL 005 `continue` and `cancel` of NS LCM operation occurrences, on the web-chain NS (libvirt test driver,
 * harness Open vSwitch):
 * - an instantiation whose DPI cannot be placed goes FAILED_TEMP; `continue` leaves the DPI as it is and goes on
 *   with the FW and LB: the chain is programmed (its fast-failover group on the switch), the occurrence ends PARTIALLY_COMPLETED,
 *   and terminating the NS then leaves nothing; `continue` on an occurrence that is not FAILED_TEMP is a 409;
 * - a cancel (GRACEFUL, then FORCEFUL) while the instantiation is in its `vnfs` step (the VNFs' domain
 *   definitions held at a gate): the occurrence goes FAILED_TEMP with isCancelPending false, the VNF operations
 *   it waited for are cancelled too, and rollback leaves no claim, port, network, VNF instance or domain.
 */
import type { ComputeDriver } from '../../vim/index.js';
import { gate, within, type Gate } from '../support/gate.js';
import { LifecycleLab } from '../support/lifecycle-lab.js';
import { eventually, type Json } from './support/api.js';
import { expectNothingLeft, NS, NS_OCCS, terminateLeavingNothing, vnfcDomains, VNF_OCCS, WEB_CHAIN_NSD_ID as NSD_ID } from './support/ns-checks.js';

describe('continue of an NS instantiation past a VNF that cannot be placed', () => {
  it('leaves the DPI as it is, programs the chain of the others, ends PARTIALLY_COMPLETED; terminate then leaves nothing', async () => {
    // Two cells of 8 cores: the FW and the LB pair fit, the DPI (8 pinned vCPUs plus its isolated emulator thread) never does.
    const lab = await LifecycleLab.start({
      nsd: true,
      inventory: { cells: [0, 1].map((socket) => ({ socket, cores: 8, threads: 2, pages: { 1048576: 12 } })), pfs: [0, 1].map((numaNode) => ({ numaNode, physnet: 'physnet-data', vfs: 16 })) },
    });
    try {
      const networksBefore = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: 'partial', nsDescription: '' })).json.id);
      const occurrenceId = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default' });
      const failed = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
      expect(failed.operationState).toBe('FAILED_TEMP');
      expect(String((failed.error as Json).detail)).toMatch(/step vnfs failed: VNF dpi .*No room for VDU/);
      expect(Object.keys(failed._links as Json)).toEqual(expect.arrayContaining(['retry', 'rollback', 'continue', 'fail']));

      expect((await lab.api.post(`${NS_OCCS}/${occurrenceId}/continue`, {})).status).toBe(202);
      const continued = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
      expect(continued.operationState).toBe('PARTIALLY_COMPLETED');
      const partial = (await lab.api.get(`${NS_OCCS}?filter=${encodeURIComponent('(eq,operationState,PARTIALLY_COMPLETED)')}`)).json as unknown as Json[];
      expect(partial.map((listed) => listed.id)).toEqual([occurrenceId]);
      const occurrence = (await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json;
      const affected = ((occurrence.resourceChanges as Json).affectedVnfs as Json[]).map((vnf) => [vnf.vnfProfileId, vnf.changeResult]).sort();
      expect(affected).toEqual([['dpi', 'FAILED'], ['fw', 'COMPLETED'], ['lb', 'COMPLETED']]);

      // The NS holds all three VNFs, the DPI not instantiated (its own occurrence still FAILED_TEMP), and the chain.
      const ns = (await lab.api.get(`${NS}/${nsId}`)).json as Json & { vnfInstance: Json[]; vnffgInfo: Json[] };
      expect(ns.nsState).toBe('INSTANTIATED');
      expect(ns.vnfInstance.map((vnf) => [vnf.vnfProfileId, vnf.instantiationState]).sort()).toEqual([
        ['dpi', 'NOT_INSTANTIATED'],
        ['fw', 'INSTANTIATED'],
        ['lb', 'INSTANTIATED'],
      ]);
      const dpiId = String(ns.vnfInstance.find((vnf) => vnf.vnfProfileId === 'dpi')?.id);
      const dpiOccurrences = ((await lab.api.get(VNF_OCCS)).json as unknown as Json[]).filter((vnfOccurrence) => vnfOccurrence.vnfInstanceId === dpiId);
      expect(dpiOccurrences.map((vnfOccurrence) => vnfOccurrence.operationState)).toEqual(['FAILED_TEMP']);
      expect(ns.vnffgInfo).toHaveLength(1);
      expect(await vnfcDomains(lab)).toHaveLength(3);
      // The chain's LB position on the switch: its fast-failover group over the primary and the backup LB. (Nothing
      // classifies into the chain here: the DPI's port, the only other port on the chain's network, is not there.)
      await eventually(async () => ((await lab.switchDump()).groups.some((group) => group.includes('type=ff')) ? true : undefined), 20_000, 'the chain\'s fast-failover group');

      // Only a FAILED_TEMP occurrence can be continued.
      const again = await lab.api.post(`${NS_OCCS}/${occurrenceId}/continue`, {});
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(String(again.json.detail)).toMatch(/COMPLETED; continue needs FAILED_TEMP/);
      expect((await lab.api.post(`${NS_OCCS}/no-such-occurrence/continue`, {})).status).toBe(404);

      await terminateLeavingNothing(lab, nsId, networksBefore);
    } finally {
      await lab.stop();
    }
  }, 240_000);
});

describe('cancel of an NS instantiation in its vnfs step', () => {
  let lab: LifecycleLab;
  let held: Gate | undefined;
  let define: ComputeDriver['define'];

  beforeAll(async () => {
    lab = await LifecycleLab.start({ nsd: true });
    // Every VNFC definition (inside the VNFs' `vnfcs` steps, so inside the NS's `vnfs` step) waits at the gate.
    const driver = await lab.computeDriver();
    define = driver.define.bind(driver);
    driver.define = async (spec) => {
      await held?.wait();
      return define(spec);
    };
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  for (const cancelMode of ['GRACEFUL', 'FORCEFUL'] as const) {
    it(`${cancelMode}: FAILED_TEMP, the VNF operations cancelled too, and rollback leaves nothing`, async () => {
      const holding = gate();
      held = holding;
      try {
        await cancelWhileHeld(cancelMode, holding);
      } finally {
        holding.open();
      }
    }, 240_000);
  }

  async function cancelWhileHeld(cancelMode: 'GRACEFUL' | 'FORCEFUL', holding: Gate): Promise<void> {
    const networksBefore = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
    const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: `cancelled-${cancelMode}`, nsDescription: '' })).json.id);
    const occurrenceId = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default' });
    const startTime = String((await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json.startTime);
    /** The VNF LCM occurrences of this NS's VNFs (those of earlier tests started before it). */
    const vnfOccurrencesNow = async (): Promise<Json[]> => ((await lab.api.get(`${VNF_OCCS}?all_fields`)).json as unknown as Json[]).filter((vnf) => String(vnf.startTime) >= startTime);
    await within(holding.entered, 60_000, 'a VNFC definition');
    // All three VNF instantiations under way (each stops at the gate once it defines its first VNFC).
    await eventually(async () => {
      const listed = await vnfOccurrencesNow();
      return listed.length === 3 && listed.every((vnf) => vnf.operationState === 'PROCESSING') ? true : undefined;
    }, 30_000, 'the three VNF instantiations');
    expect((await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json.operationState).toBe('PROCESSING');

    expect((await lab.api.post(`${NS_OCCS}/${occurrenceId}/cancel`, { cancelMode })).status).toBe(202);
    const pending = (await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json;
    if (pending.operationState === 'PROCESSING') expect(pending).toMatchObject({ isCancelPending: true, cancelMode });
    // The VNF operations the NS waits for get the cancel too (while their domains are still held).
    await eventually(async () => ((await vnfOccurrencesNow()).every((vnf) => vnf.isCancelPending === true || vnf.operationState === 'FAILED_TEMP') ? true : undefined), 20_000, 'the VNF operations to be cancelled');
    holding.open();

    const cancelled = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
    expect(cancelled).toMatchObject({ operationState: 'FAILED_TEMP', isCancelPending: false });
    expect((cancelled.error as Json).title).toBe('Operation cancelled');
    expect((cancelled.error as Json).detail).toMatch(new RegExp(cancelMode));
    const vnfOccurrences = await eventually(async () => {
      const listed = await vnfOccurrencesNow();
      return listed.every((vnf) => vnf.operationState === 'FAILED_TEMP') ? listed : undefined;
    }, 60_000, 'the VNF operations to stop');
    for (const vnf of vnfOccurrences) expect(vnf).toMatchObject({ isCancelPending: false, error: expect.objectContaining({ title: 'Operation cancelled' }) });

    expect((await lab.api.post(`${NS_OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000)).operationState).toBe('ROLLED_BACK');
    expect((await lab.api.get(`${NS}/${nsId}`)).json.nsState).toBe('NOT_INSTANTIATED');
    await expectNothingLeft(lab, networksBefore);
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  }
});
