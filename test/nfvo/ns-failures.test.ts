/**
 * Failures in the middle of the web-chain NS (three VNFs instantiated at once): a placement that cannot be
 * satisfied, a libvirt that fails, an Open vSwitch that refuses the chain's flows. Each time the NS operation
 * goes FAILED_TEMP with a ProblemDetails naming the cause; rollback leaves nothing behind (or, once the cause
 * is gone, retry completes).
 */
import { LifecycleLab, INTEGRATION_BRIDGE } from '../support/lifecycle-lab.js';
import { eventually, type Json } from './support/api.js';

const NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
const NS = '/nslcm/v1/ns_instances';
const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';

async function instantiate(lab: LifecycleLab): Promise<{ nsId: string; occurrenceId: string; settled: Json; error: Json }> {
  const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: 'failing', nsDescription: '' })).json.id);
  const occurrenceId = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default' });
  const settled = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
  const error = ((await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json.error ?? {}) as Json;
  return { nsId, occurrenceId, settled, error };
}

/** Rolls the occurrence back and checks that nothing of the NS is left: VNFs, claims, ports, networks, chains, domains. */
async function rollBackToNothing(lab: LifecycleLab, nsId: string, occurrenceId: string, networksBefore: number): Promise<void> {
  expect((await lab.api.post(`${NS_OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
  const rolledBack = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
  expect(rolledBack.operationState).toBe('ROLLED_BACK');
  expect((await lab.api.get(`${NS}/${nsId}`)).json.nsState).toBe('NOT_INSTANTIATED');
  expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
  expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(0);
  expect(((await lab.api.get('/v2.0/ports')).json.ports as Json[]).length).toBe(0);
  expect(((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length).toBe(networksBefore);
  expect(((await lab.api.get('/v2.0/ts/port_chains')).json.port_chains as Json[]).length).toBe(0);
  const dump = await lab.switchDump();
  expect(dump.ports.filter((port) => port.startsWith('tap'))).toEqual([]);
  expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
}

describe('an NS instantiation that fails half way', () => {
  it('names the refused placement, and rollback gives back the VNFs that did fit', async () => {
    // One cell of 12 cores and 12 GiB of 1 GiB pages: the FW, both LBs and the DPI (9 cores, 8 GiB) cannot all fit.
    const lab = await LifecycleLab.start({ nsd: true, inventory: { cells: [{ socket: 0, cores: 12, threads: 2, pages: { 1048576: 12 } }], pfs: [{ numaNode: 0, physnet: 'physnet-data', vfs: 16 }] } });
    try {
      const networksBefore = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const { nsId, occurrenceId, settled, error } = await instantiate(lab);
      expect(settled.operationState).toBe('FAILED_TEMP');
      expect(error.status).toBe(403);
      expect(String(error.detail)).toMatch(/step vnfs failed: VNF (fw|lb|dpi) \(instance [0-9a-f-]+\) did not instantiate: .*No room for VDU/);
      expect(String(error.detail)).toMatch(/host/);
      await rollBackToNothing(lab, nsId, occurrenceId, networksBefore);
    } finally {
      await lab.stop();
    }
  }, 180_000);

  it('names the libvirt failure, and rollback gives back every reservation', async () => {
    const lab = await LifecycleLab.start({ nsd: true, libvirtUri: 'test:///nonexistent/host.xml' });
    try {
      const networksBefore = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const { nsId, occurrenceId, settled, error } = await instantiate(lab);
      expect(settled.operationState).toBe('FAILED_TEMP');
      expect(String(error.detail)).toMatch(/did not instantiate: run of step vnfcs failed: connect failed on the host/);
      // The VNFs' own occurrences are FAILED_TEMP too, each with the host's message.
      const vnfOccurrences = (await lab.api.get('/vnflcm/v1/vnf_lcm_op_occs')).json as unknown as Json[];
      expect(vnfOccurrences.map((occurrence) => occurrence.operationState)).toEqual(['FAILED_TEMP', 'FAILED_TEMP', 'FAILED_TEMP']);
      await rollBackToNothing(lab, nsId, occurrenceId, networksBefore);
    } finally {
      await lab.stop();
    }
  }, 180_000);

  it('names the switch that refused the chain, and retry completes once the switch takes it', async () => {
    const lab = await LifecycleLab.start({ nsd: true });
    try {
      // Room for one flow in table 0 (its miss flow): OVS answers the flows for the NS's ports and chain with a
      // table-full error.
      await lab.ovs.vsctl('--', '--id=@limit', 'create', 'Flow_Table', 'flow_limit=1', 'overflow_policy=refuse', '--', 'set', 'Bridge', INTEGRATION_BRIDGE, 'flow_tables:0=@limit');
      const { nsId, occurrenceId, settled, error } = await instantiate(lab);
      expect(settled.operationState).toBe('FAILED_TEMP');
      expect(error.status).toBe(502);
      expect(String(error.detail)).toMatch(new RegExp(`step vnffgs failed: chain .* could not be programmed: the switch of host ${lab.hostId} answered`));
      const dump = await lab.switchDump();
      expect(dump.flows.filter((flow) => /tp_dst=(80|443)\b/.test(flow))).toEqual([]);

      await lab.ovs.vsctl('clear', 'Bridge', INTEGRATION_BRIDGE, 'flow_tables');
      expect((await lab.api.post(`${NS_OCCS}/${occurrenceId}/retry`, {})).status).toBe(202);
      expect((await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000)).operationState).toBe('COMPLETED');
      await eventually(async () => ((await lab.switchDump()).flows.some((flow) => /tp_dst=80\b/.test(flow)) ? true : undefined), 20_000, 'the chain flows');
      const terminated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/terminate`, {})}`, 120_000);
      expect(terminated.operationState).toBe('COMPLETED');
      expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    } finally {
      await lab.stop();
    }
  }, 180_000);
});
