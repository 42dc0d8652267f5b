/**
 * The Debian `openstack vnflcm` client (python3-tackerclient), unmodified, against our SOL 003 API: create,
 * instantiate from a parameter file, show, list, the operation occurrences, change-ext-conn, terminate and delete a vFW; and on
 * a DPI whose grant placement refuses (FAILED_TEMP), `op retry`, `op rollback` and `op fail`. Each command's exit
 * code is asserted, and what it did is read back through the HTTP API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_TOKEN } from '../support/application.js';
import { CommandError, run } from '../support/command.js';
import { LifecycleLab, VNFD_IDS } from '../support/lifecycle-lab.js';
import type { Json } from '../nfvo/support/api.js';

const OCCS = '/vnflcm/v1/vnf_lcm_op_occs';
const INSTANCES = '/vnflcm/v1/vnf_instances';
const CLI = ['/usr/bin/openstack', '/usr/local/bin/openstack'].find((file) => fs.existsSync(file));
const SETTLED = new Set(['COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLED_BACK']);

interface CliResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

let lab: LifecycleLab;
let dataNetwork: string;
let mgmtNetwork: string;
let workDir: string;

beforeAll(async () => {
  if (CLI === undefined) return;
  lab = await LifecycleLab.start({ packages: ['vfw', 'dpi'] });
  dataNetwork = await lab.network('data');
  mgmtNetwork = await lab.network('mgmt');
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vnflcm-cli-'));
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

function skipped(): boolean {
  if (CLI !== undefined) return false;
  console.warn('skipped: the openstack client is not installed (python3-openstackclient, python3-tackerclient)');
  return true;
}

/** Runs `openstack` with the product as its endpoint; a non-zero exit is answered, not thrown. */
async function openstack(...args: string[]): Promise<CliResult> {
  if (CLI === undefined) throw new Error('no openstack client');
  try {
    const { stdout, stderr } = await run(CLI, ['--os-auth-type', 'admin_token', '--os-token', TEST_TOKEN, '--os-endpoint', lab.product.url, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      timeoutMs: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof CommandError) return { code: error.exitCode, stdout: error.stdout, stderr: error.stderr };
    throw error;
  }
}

/** Runs `openstack … -f json`, expecting exit 0, and parses what it printed. */
async function openstackJson<T = Json>(...args: string[]): Promise<T> {
  const result = await openstack(...args, '-f', 'json');
  if (result.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function paramFile(name: string, body: Json): string {
  const file = path.join(workDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(body));
  return file;
}

/** The occurrences of an instance, newest last, as `vnflcm op list --filter` shows them. */
async function opList(vnfInstanceId: string, operation?: string): Promise<Json[]> {
  const filter = operation === undefined ? `(eq,vnfInstanceId,${vnfInstanceId})` : `(eq,vnfInstanceId,${vnfInstanceId});(eq,operation,${operation})`;
  return openstackJson<Json[]>('vnflcm', 'op', 'list', '--filter', filter);
}

/** The single occurrence of `operation` on the instance, found through `vnflcm op list`. */
async function onlyOccurrence(vnfInstanceId: string, operation: string): Promise<string> {
  const listed = await opList(vnfInstanceId, operation);
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ 'VNF Instance ID': vnfInstanceId, Operation: operation });
  return String(listed[0]?.ID);
}

/**
 * Polls `vnflcm op show` until the occurrence is settled (and, when given, entered its state after `since`);
 * bounded by time and by attempts.
 */
async function settledThroughCli(occurrenceId: string, since?: string, timeoutMs = 60_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  let last: Json | undefined;
  for (let attempt = 0; attempt < 120 && Date.now() < deadline; attempt += 1) {
    const shown = await openstackJson('vnflcm', 'op', 'show', occurrenceId);
    last = shown;
    const fresh = since === undefined || String(shown['State Entered Time']) > since;
    if (fresh && SETTLED.has(String(shown['Operation State']))) return shown;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`occurrence ${occurrenceId} did not settle through the CLI: ${JSON.stringify(last)}`);
}

async function occurrence(id: string): Promise<Json> {
  const answer = await lab.api.get(`${OCCS}/${id}`);
  expect(answer.status).toBe(200);
  return answer.json;
}

async function instance(id: string): Promise<{ status: number; json: Json }> {
  const answer = await lab.api.get(`${INSTANCES}/${id}`);
  return { status: answer.status, json: answer.json };
}

describe('openstack vnflcm (python3-tackerclient) against the SOL 003 API', () => {
  it('creates, instantiates, shows, lists, follows the occurrences of, terminates and deletes a vFW', async () => {
    if (skipped()) return;
    const created = await openstackJson('vnflcm', 'create', VNFD_IDS.vfw, '--name', 'cli-fw', '--description', 'through the CLI');
    expect(created).toMatchObject({ 'VNF Instance Name': 'cli-fw', 'VNF Instance Description': 'through the CLI', 'Instantiation State': 'NOT_INSTANTIATED', 'VNFD ID': VNFD_IDS.vfw });
    const vnfId = String(created.ID);
    expect((await instance(vnfId)).json).toMatchObject({ id: vnfId, vnfInstanceName: 'cli-fw', instantiationState: 'NOT_INSTANTIATED' });

    const request: Json = {
      flavourId: 'default',
      extVirtualLinks: [
        { id: 'data', resourceId: dataNetwork, extCps: [{ cpdId: 'fw_data', cpConfig: { a: { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: ['198.18.9.10'] }] } }] } } }] },
        { id: 'mgmt', resourceId: mgmtNetwork, extCps: [{ cpdId: 'fw_mgmt' }] },
      ],
    };
    const instantiated = await openstack('vnflcm', 'instantiate', vnfId, paramFile('fw-instantiate', request));
    expect(instantiated.code).toBe(0);
    expect(instantiated.stdout).toContain(`Instantiate request for VNF Instance ${vnfId} has been accepted.`);

    // The CLI prints no occurrence id: it is found with `op list --filter`, then followed with `op show`.
    const instantiation = await onlyOccurrence(vnfId, 'INSTANTIATE');
    const settled = await settledThroughCli(instantiation);
    expect(settled).toMatchObject({ ID: instantiation, 'Operation State': 'COMPLETED', 'VNF Instance ID': vnfId, Operation: 'INSTANTIATE', 'Is Automatic Invocation': false, 'Is Cancel Pending': false });
    expect(typeof settled['Grant ID']).toBe('string');
    expect(settled['Operation Parameters']).toEqual(request);
    expect((settled['Resource Changes'] as { affectedVnfcs: Json[] }).affectedVnfcs).toEqual([expect.objectContaining({ vduId: 'fw', changeType: 'ADDED' })]);
    expect(await occurrence(instantiation)).toMatchObject({ operationState: 'COMPLETED', operation: 'INSTANTIATE', grantId: settled['Grant ID'] });

    const shown = await openstackJson('vnflcm', 'show', vnfId);
    expect(shown).toMatchObject({ ID: vnfId, 'VNF Instance Name': 'cli-fw', 'Instantiation State': 'INSTANTIATED', 'VNFD ID': VNFD_IDS.vfw });
    const info = shown['Instantiated Vnf Info'] as Json & { vnfcResourceInfo: Json[]; extCpInfo: Json[] };
    expect(info).toMatchObject({ flavourId: 'default' });
    expect(info.vnfcResourceInfo).toEqual([expect.objectContaining({ vduId: 'fw' })]);
    expect(info.extCpInfo).toHaveLength(2);
    expect((await instance(vnfId)).json.instantiationState).toBe('INSTANTIATED');

    const listed = await openstackJson<Json[]>('vnflcm', 'list');
    expect(listed).toContainEqual(expect.objectContaining({ ID: vnfId, 'VNF Instance Name': 'cli-fw', 'Instantiation State': 'INSTANTIATED', 'VNFD ID': VNFD_IDS.vfw }));
    const occurrences = await openstackJson<Json[]>('vnflcm', 'op', 'list');
    expect(occurrences).toContainEqual({ ID: instantiation, 'Operation State': 'COMPLETED', 'VNF Instance ID': vnfId, Operation: 'INSTANTIATE' });
    // `--exclude-fields` drops the column, and the server accepts the parameter.
    const narrow = await openstackJson<Json[]>('vnflcm', 'op', 'list', '--filter', `(eq,id,${instantiation})`, '--exclude-fields', 'VNF Instance ID');
    expect(narrow).toEqual([{ ID: instantiation, 'Operation State': 'COMPLETED', Operation: 'INSTANTIATE' }]);

    // Deleting an instantiated VNF is refused (409), and the CLI says so with a non-zero exit.
    const early = await openstack('vnflcm', 'delete', vnfId);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/Failed to delete/);
    expect((await instance(vnfId)).status).toBe(200);

    const terminated = await openstack('vnflcm', 'terminate', vnfId, '--termination-type', 'FORCEFUL');
    expect(terminated.code).toBe(0);
    expect(terminated.stdout).toContain(`Terminate request for VNF Instance '${vnfId}' has been accepted.`);
    const termination = await onlyOccurrence(vnfId, 'TERMINATE');
    expect(await settledThroughCli(termination)).toMatchObject({ 'Operation State': 'COMPLETED', Operation: 'TERMINATE', 'Operation Parameters': { terminationType: 'FORCEFUL' } });
    expect((await instance(vnfId)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect(await openstackJson('vnflcm', 'show', vnfId)).toMatchObject({ 'Instantiation State': 'NOT_INSTANTIATED' });
    expect((await opList(vnfId)).map((one) => [one.Operation, one['Operation State']]).sort()).toEqual([
      ['INSTANTIATE', 'COMPLETED'],
      ['TERMINATE', 'COMPLETED'],
    ]);

    const deleted = await openstack('vnflcm', 'delete', vnfId);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`Vnf instance '${vnfId}' is deleted successfully`);
    expect((await instance(vnfId)).status).toBe(404);
    const gone = await openstack('vnflcm', 'show', vnfId);
    expect(gone.code).not.toBe(0);
  }, 300_000);

  it('terminates gracefully with a timeout, then deletes', async () => {
    if (skipped()) return;
    const vnfId = String((await openstackJson('vnflcm', 'create', VNFD_IDS.vfw, '--name', 'cli-fw-2')).ID);
    const instantiated = await openstack('vnflcm', 'instantiate', vnfId, paramFile('fw-bare', { flavourId: 'default' }));
    expect(instantiated.code).toBe(0);
    expect(await settledThroughCli(await onlyOccurrence(vnfId, 'INSTANTIATE'))).toMatchObject({ 'Operation State': 'COMPLETED' });
    expect((await instance(vnfId)).json.instantiationState).toBe('INSTANTIATED');

    const terminated = await openstack('vnflcm', 'terminate', vnfId, '--termination-type', 'GRACEFUL', '--graceful-termination-timeout', '1');
    expect(terminated.code).toBe(0);
    const termination = await onlyOccurrence(vnfId, 'TERMINATE');
    expect(await settledThroughCli(termination)).toMatchObject({
      'Operation State': 'COMPLETED',
      'Operation Parameters': { terminationType: 'GRACEFUL', gracefulTerminationTimeout: 1 },
    });
    expect((await instance(vnfId)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect((await openstack('vnflcm', 'delete', vnfId)).code).toBe(0);
    expect((await instance(vnfId)).status).toBe(404);
  }, 180_000);

  it('changes the external connectivity of a vFW with change-ext-conn and a parameter file', async () => {
    if (skipped()) return;
    const vnfId = String((await openstackJson('vnflcm', 'create', VNFD_IDS.vfw, '--name', 'cli-fw-ext-conn')).ID);
    const request: Json = {
      flavourId: 'default',
      extVirtualLinks: [
        { id: 'data', resourceId: dataNetwork, extCps: [{ cpdId: 'fw_data' }] },
        { id: 'mgmt', resourceId: mgmtNetwork, extCps: [{ cpdId: 'fw_mgmt' }] },
      ],
    };
    expect((await openstack('vnflcm', 'instantiate', vnfId, paramFile('fw-ext-conn-instantiate', request))).code).toBe(0);
    expect(await settledThroughCli(await onlyOccurrence(vnfId, 'INSTANTIATE'))).toMatchObject({ 'Operation State': 'COMPLETED' });
    const otherMgmt = await lab.network('mgmt-2');

    // A CP the VNFD does not expose is refused (422) before anything starts: non-zero exit, no occurrence.
    const refused = await openstack('vnflcm', 'change-ext-conn', vnfId, paramFile('fw-ext-conn-bad', { extVirtualLinks: [{ id: 'mgmt', resourceId: otherMgmt, extCps: [{ cpdId: 'lb_mgmt' }] }] }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/lb_mgmt/);
    expect(await opList(vnfId, 'CHANGE_EXT_CONN')).toEqual([]);

    const change: Json = { extVirtualLinks: [{ id: 'mgmt', resourceId: otherMgmt, extCps: [{ cpdId: 'fw_mgmt' }] }] };
    const changed = await openstack('vnflcm', 'change-ext-conn', vnfId, paramFile('fw-ext-conn', change));
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain(`Change External VNF Connectivity for VNF Instance ${vnfId} has been accepted.`);
    const occurrenceId = await onlyOccurrence(vnfId, 'CHANGE_EXT_CONN');
    expect(await settledThroughCli(occurrenceId)).toMatchObject({ 'Operation State': 'COMPLETED', Operation: 'CHANGE_EXT_CONN', 'Operation Parameters': change });

    const info = (await openstackJson('vnflcm', 'show', vnfId))['Instantiated Vnf Info'] as Json & { extVirtualLinkInfo: Array<{ id: string; resourceHandle: Json; extLinkPorts: Array<{ id: string }> }> };
    const mgmt = info.extVirtualLinkInfo.find((link) => link.id === 'mgmt');
    expect(mgmt?.resourceHandle).toMatchObject({ resourceId: otherMgmt });
    const [mgmtPort] = mgmt?.extLinkPorts ?? [];
    expect(((await lab.api.get(`/v2.0/ports/${mgmtPort?.id ?? ''}`)).json.port as Json).network_id).toBe(otherMgmt);

    expect((await openstack('vnflcm', 'terminate', vnfId, '--termination-type', 'FORCEFUL')).code).toBe(0);
    expect(await settledThroughCli(await onlyOccurrence(vnfId, 'TERMINATE'))).toMatchObject({ 'Operation State': 'COMPLETED' });
    expect((await openstack('vnflcm', 'delete', vnfId)).code).toBe(0);
  }, 180_000);

  it('retries, rolls back and fails a DPI instantiation whose grant placement refuses', async () => {
    if (skipped()) return;
    const full = paramFile('dpi-full', { flavourId: 'default', instantiationLevelId: 'full' });
    const vnfId = String((await openstackJson('vnflcm', 'create', VNFD_IDS.dpi, '--name', 'cli-dpi')).ID);

    expect((await openstack('vnflcm', 'instantiate', vnfId, full)).code).toBe(0);
    const first = await onlyOccurrence(vnfId, 'INSTANTIATE');
    const failed = await settledThroughCli(first);
    expect(failed).toMatchObject({ 'Operation State': 'FAILED_TEMP', Operation: 'INSTANTIATE' });
    expect(failed.Error).toMatchObject({ status: 403 });
    expect(String((failed.Error as Json).detail)).toMatch(/No room for VDU engine/);
    expect(Object.keys(failed.Links as Json)).toEqual(expect.arrayContaining(['retry', 'rollback', 'fail']));

    // Retry runs the operation again; placement still refuses, so it is FAILED_TEMP again, entered later.
    const retried = await openstack('vnflcm', 'op', 'retry', first);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`Retry request for LCM operation ${first} has been accepted`);
    const again = await settledThroughCli(first, String(failed['State Entered Time']));
    expect(again['Operation State']).toBe('FAILED_TEMP');
    expect(String((again.Error as Json).detail)).toMatch(/No room for VDU engine/);
    expect(await occurrence(first)).toMatchObject({ operationState: 'FAILED_TEMP', stateEnteredTime: again['State Entered Time'] });

    const rolledBack = await openstack('vnflcm', 'op', 'rollback', first);
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toContain(`Rollback request for LCM operation ${first} has been accepted`);
    expect(await settledThroughCli(first)).toMatchObject({ 'Operation State': 'ROLLED_BACK' });
    expect(await occurrence(first)).toMatchObject({ operationState: 'ROLLED_BACK' });
    expect((await instance(vnfId)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    // Neither retry nor fail applies to a ROLLED_BACK occurrence (409): the CLI exits non-zero.
    expect((await openstack('vnflcm', 'op', 'retry', first)).code).not.toBe(0);
    expect((await openstack('vnflcm', 'op', 'fail', first)).code).not.toBe(0);
    expect(await occurrence(first)).toMatchObject({ operationState: 'ROLLED_BACK' });

    // A second failure, given up on with `op fail`, which prints the occurrence, now FAILED.
    expect((await openstack('vnflcm', 'instantiate', vnfId, full)).code).toBe(0);
    const second = String((await opList(vnfId, 'INSTANTIATE')).find((one) => one.ID !== first)?.ID);
    expect(await settledThroughCli(second)).toMatchObject({ 'Operation State': 'FAILED_TEMP' });
    const given = await openstackJson('vnflcm', 'op', 'fail', second);
    expect(given).toMatchObject({ ID: second, 'Operation State': 'FAILED', 'VNF Instance ID': vnfId, Operation: 'INSTANTIATE' });
    expect(await occurrence(second)).toMatchObject({ operationState: 'FAILED' });
    expect(await openstackJson('vnflcm', 'op', 'show', second)).toMatchObject({ 'Operation State': 'FAILED' });
    expect((await instance(vnfId)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect((await openstack('vnflcm', 'op', 'rollback', second)).code).not.toBe(0);

    expect((await opList(vnfId)).map((one) => [one.ID, one['Operation State']]).sort()).toEqual(
      [
        [first, 'ROLLED_BACK'],
        [second, 'FAILED'],
      ].sort(),
    );
    const deleted = await openstack('vnflcm', 'delete', vnfId);
    expect(deleted.code).toBe(0);
    expect((await instance(vnfId)).status).toBe(404);
  }, 300_000);
});
