/**
 * The orchestrator killed (SIGKILL, in a child process) after each step of an NS instantiation in turn, and
 * in the middle of the VNFs' own instantiations: on restart the operation is taken over and resumed (every
 * step says `resume`), it completes, and terminating the NS then leaves nothing behind, checked against the
 * store, the VIM's claims and the switch (ports, flows, groups; not libvirt's domains: its test driver keeps them
 * per process, and the killed child did part of the work). The same for the steps of a termination, and
 * of a scaling of the NS's `firewalls` aspect out and in (inside the FW VNF's own instantiation or termination
 * too): resumed, it ends with exactly the FWs of the target level, in the chain.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgetTestDriverDomains, runProductUntilKilled } from '../support/child.js';
import { LifecycleLab } from '../support/lifecycle-lab.js';
import { OvsInstance } from '../support/ovs.js';
import { removeTempDir } from '../support/tmp.js';
import { eventually, type Json } from './support/api.js';
import { expectNothingLeft } from './support/ns-checks.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'support', 'product-worker.ts');
const NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
const NS = '/nslcm/v1/ns_instances';
const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';
const FAST_LEASE = { NFV_OPERATION_LEASE: '0.5' };

const KILL_POINTS = ['ns:virtual-links', 'ns:saps', 'vnf:grant', 'vnf:ports', 'vnf:vnfcs', 'ns:vnfs', 'ns:vnffgs'];

let ovs: OvsInstance;
let dataDir: string;
let lab: LifecycleLab | undefined;

beforeAll(async () => {
  ovs = await OvsInstance.start('crash');
  const first = await LifecycleLab.start({ nsd: true, ovs, env: FAST_LEASE });
  dataDir = await first.stopKeepingData();
}, 180_000);

/** Ends a case (see `forgetTestDriverDomains`), stopping the orchestrator. */
async function endCase(): Promise<void> {
  await forgetTestDriverDomains();
  if (lab === undefined) return;
  await lab.stopKeepingData();
  lab = undefined;
}

// Also after a case that failed half way, with its orchestrator still running.
afterEach(endCase);

afterAll(async () => {
  await lab?.stop();
  if (!lab) removeTempDir(dataDir);
  await ovs?.stop();
});

/** Runs the product in a child until it kills itself at `killAt` of the task. */
async function runUntilKilled(killAt: string, nsInstanceId: string, task: 'instantiate' | 'terminate' | 'scale-out' | 'scale-in' = 'instantiate'): Promise<void> {
  await runProductUntilKilled({ args: [WORKER, killAt, nsInstanceId, task], switchDir: ovs.dir, dataDir, env: FAST_LEASE, what: `at ${killAt}` });
}

describe('NS instantiate survives the orchestrator being killed', () => {
  for (const killAt of KILL_POINTS) {
    it(`resumes after a SIGKILL at ${killAt}, completes, and terminates leaving nothing`, async () => {
      lab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
      const baselineNetworks = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: `crash-${killAt}`, nsDescription: '' })).json.id);
      await lab.stopKeepingData();
      lab = undefined;

      await runUntilKilled(killAt, nsId);

      lab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
      // The occurrence was persisted before any step ran: it is there whenever the process died.
      const [occurrence] = (await lab.api.get(`${NS_OCCS}?filter=(eq,nsInstanceId,${nsId})`)).json as unknown as Json[];
      const occurrenceId = String(occurrence?.id);
      const resumed = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
      if (resumed.operationState !== 'COMPLETED') throw new Error(`not resumed: ${JSON.stringify((await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json.error)}`);
      const ns = (await lab.api.get(`${NS}/${nsId}`)).json as Json & { vnfInstance: Array<{ instantiationState: string; instantiatedVnfInfo: { vnfcResourceInfo: Json[] } }> };
      expect(ns.nsState).toBe('INSTANTIATED');
      // Nothing done twice: exactly the VNFs and VNFCs of one instantiation.
      expect(ns.vnfInstance.map((vnf) => vnf.instantiatedVnfInfo.vnfcResourceInfo.length).sort()).toEqual([1, 1, 2]);
      expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(3);
      expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(4);
      expect(((await lab.api.get('/v2.0/ts/port_chains')).json.port_chains as Json[]).length).toBe(1);

      const terminationId = await lab.task(`${NS}/${nsId}/terminate`, {});
      expect((await lab.settled(`${NS_OCCS}/${terminationId}`, 120_000)).operationState).toBe('COMPLETED');
      await expectNothingLeft(lab, baselineNetworks, { domains: false });
      expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
      await endCase();
    }, 180_000);
  }
});

describe('NS terminate survives the orchestrator being killed', () => {
  for (const killAt of ['ns:vnffgs', 'vnf:stop', 'vnf:ports', 'ns:vnfs', 'ns:saps', 'ns:virtual-links']) {
    it(`resumes a terminate after a SIGKILL at ${killAt} and leaves nothing`, async () => {
      lab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
      const baselineNetworks = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: `crash-terminate-${killAt}`, nsDescription: '' })).json.id);
      const instantiation = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default' });
      expect((await lab.settled(`${NS_OCCS}/${instantiation}`, 120_000)).operationState).toBe('COMPLETED');
      await lab.stopKeepingData();
      lab = undefined;

      await runUntilKilled(killAt, nsId, 'terminate');

      lab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
      const occurrences = (await lab.api.get(`${NS_OCCS}?filter=(eq,nsInstanceId,${nsId});(eq,lcmOperationType,TERMINATE)`)).json as unknown as Json[];
      expect(occurrences).toHaveLength(1);
      const occurrenceId = String(occurrences[0]?.id);
      const resumed = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
      if (resumed.operationState !== 'COMPLETED') throw new Error(`not resumed: ${JSON.stringify((await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json.error)}`);
      expect((await lab.api.get(`${NS}/${nsId}`)).json.nsState).toBe('NOT_INSTANTIATED');
      await expectNothingLeft(lab, baselineNetworks, { domains: false });
      expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
      await endCase();
    }, 180_000);
  }
});

describe('NS scaling survives the orchestrator being killed', () => {
  const cases: Array<[task: 'scale-out' | 'scale-in', killAt: string]> = [
    ['scale-out', 'ns:plan'],
    ['scale-out', 'vnf:vnfcs'],
    ['scale-out', 'ns:vnfs'],
    ['scale-out', 'ns:vnffgs'],
    ['scale-in', 'ns:narrow-chains'],
    ['scale-in', 'vnf:stop'],
    ['scale-in', 'ns:vnfs'],
  ];
  for (const [task, killAt] of cases) {
    it(`resumes a ${task} after a SIGKILL at ${killAt}: exactly the FWs of the level, in the chain; terminate leaves nothing`, async () => {
      lab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
      const baselineNetworks = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: `crash-${task}-${killAt}`, nsDescription: '' })).json.id);
      // Scaled in from two FWs (instantiated at the level with two), out from one.
      const level = task === 'scale-in' ? { nsInstantiationLevelId: 'two_firewalls' } : {};
      const instantiation = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', ...level });
      expect((await lab.settled(`${NS_OCCS}/${instantiation}`, 120_000)).operationState).toBe('COMPLETED');
      await lab.stopKeepingData();
      lab = undefined;

      await runUntilKilled(killAt, nsId, task);

      lab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
      const occurrences = (await lab.api.get(`${NS_OCCS}?filter=(eq,nsInstanceId,${nsId});(eq,lcmOperationType,SCALE)`)).json as unknown as Json[];
      expect(occurrences).toHaveLength(1);
      const occurrenceId = String(occurrences[0]?.id);
      const resumed = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
      if (resumed.operationState !== 'COMPLETED') throw new Error(`not resumed: ${JSON.stringify((await lab.api.get(`${NS_OCCS}/${occurrenceId}`)).json.error)}`);
      const firewalls = task === 'scale-out' ? 2 : 1;
      const ns = (await lab.api.get(`${NS}/${nsId}`)).json as Json & { vnfInstance: Array<{ vnfProfileId: string }>; vnffgInfo: Array<{ nfpInfo: Array<{ portChainId: string }> }> };
      expect(ns.nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: String(firewalls - 1) }]);
      expect(ns.vnfInstance.filter((vnf) => vnf.vnfProfileId === 'fw')).toHaveLength(firewalls);
      // Nothing done twice: the VNFs and claims of the NS at that level (FW, DPI, LB with two VNFCs, and the FWs).
      expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(2 + firewalls);
      expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(3 + firewalls);
      const chainId = ns.vnffgInfo[0]?.nfpInfo[0]?.portChainId ?? '';
      const chain = (await lab.api.get(`/v2.0/ts/port_chains/${chainId}`)).json.port_chain as { ports: Record<string, string[]> };
      expect((Object.keys(chain.ports)[0] ?? '').split(',')).toHaveLength(firewalls);

      const terminationId = await lab.task(`${NS}/${nsId}/terminate`, {});
      expect((await lab.settled(`${NS_OCCS}/${terminationId}`, 120_000)).operationState).toBe('COMPLETED');
      await expectNothingLeft(lab, baselineNetworks, { domains: false });
      expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
      await endCase();
    }, 180_000);
  }
});

