/** What NS lifecycle tests check against libvirt, the VIM and the switch. */
import type { LifecycleLab } from '../../support/lifecycle-lab.js';
import { eventually, type Json } from './api.js';

export const WEB_CHAIN_NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
export const NS = '/nslcm/v1/ns_instances';
export const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';
export const VNF_OCCS = '/vnflcm/v1/vnf_lcm_op_occs';

/** The VNFC domains libvirt has on the lab's host, with their state. */
export async function vnfcDomains(lab: LifecycleLab): Promise<Array<{ name: string; state: string }>> {
  return (await (await lab.computeDriver()).list()).filter((domain) => domain.name.startsWith('vnf-')).map((domain) => ({ name: domain.name, state: String(domain.state) }));
}

/** The flows of the switch that classify the web chain's traffic (TCP 80 or 443). */
export async function webChainFlows(lab: LifecycleLab): Promise<string[]> {
  return (await lab.switchDump()).flows.filter((flow) => /tp_dst=(80|443)\b/.test(flow));
}

/**
 * Nothing of any NS is left: claims, ports, networks (beyond `networksBefore`), chains, VNF instances, domains,
 * chain flows, groups, tap ports. `domains: false` where another process did part of the work: libvirt's test
 * driver keeps its domains per process, so what a killed child removed can still be listed here.
 */
export async function expectNothingLeft(lab: LifecycleLab, networksBefore: number, { domains = true }: { domains?: boolean } = {}): Promise<void> {
  expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
  expect(((await lab.api.get('/v2.0/ports')).json.ports as Json[]).length).toBe(0);
  expect(((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length).toBe(networksBefore);
  expect(((await lab.api.get('/v2.0/ts/port_chains')).json.port_chains as Json[]).length).toBe(0);
  expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(0);
  if (domains) expect(await vnfcDomains(lab)).toEqual([]);
  const dump = await eventually(async () => {
    const current = await lab.switchDump();
    return current.groups.length === 0 && !current.flows.some((flow) => /tp_dst=(80|443)\b/.test(flow)) ? current : undefined;
  }, 20_000, 'the chain to leave the switch');
  expect(dump.ports.filter((port) => port.startsWith('tap'))).toEqual([]);
}

/** Terminates the NS, expects nothing of it left (see `expectNothingLeft`), and deletes it. */
export async function terminateLeavingNothing(lab: LifecycleLab, nsId: string, networksBefore: number): Promise<void> {
  const terminated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/terminate`, {})}`, 120_000);
  expect(terminated.operationState).toBe('COMPLETED');
  await expectNothingLeft(lab, networksBefore);
  expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
}
