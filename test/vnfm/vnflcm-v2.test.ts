/**
 * SOL 003 VNF LCM API version 2 (`/vnflcm/v2`, `Version: 2.0.0`) next to version 1: the Debian `openstack
 * --os-tacker-api-version 2 vnflcm` client unmodified (create, instantiate from a v2 parameter file, show, list,
 * op list/show, terminate, delete, versions); the v2 shapes over HTTP (vimConnectionInfo as a map, cpConfigId
 * and currentVnfExtCpData, vnfcInfo) while v1 shows the same instance and occurrences in v1 shapes; the
 * `Version` header rules (missing, malformed, another major: ProblemDetails, nothing changed); v2 request
 * bodies; and v2 subscriptions notified with links into v2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_TOKEN } from '../support/application.js';
import { CommandError, run } from '../support/command.js';
import { LifecycleLab, VNFD_IDS } from '../support/lifecycle-lab.js';
import { CallbackServer } from '../nfvo/support/callback-server.js';
import { eventually, type Answer, type Json } from '../nfvo/support/api.js';

const V1 = '/vnflcm/v1';
const V2 = '/vnflcm/v2';
const VERSION_2 = { Version: '2.0.0' };
const CLI = ['/usr/bin/openstack', '/usr/local/bin/openstack'].find((file) => fs.existsSync(file));
const SETTLED = new Set(['COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLED_BACK']);

let lab: LifecycleLab;
let dataNetwork: string;
let mgmtNetwork: string;
let workDir: string;

beforeAll(async () => {
  lab = await LifecycleLab.start({ packages: ['vfw'] });
  dataNetwork = await lab.network('data');
  mgmtNetwork = await lab.network('mgmt');
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vnflcm-v2-'));
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** An instantiation of the vFW in v2's shape: vimConnectionInfo as a map, every external CP with a cpConfig map. */
function instantiateRequestV2(): Json {
  return {
    flavourId: 'default',
    extVirtualLinks: [
      {
        id: 'data',
        vimConnectionId: 'vim-0',
        resourceId: dataNetwork,
        extCps: [{ cpdId: 'fw_data', cpConfig: { 'fw-data-0': { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: ['198.18.9.20'] }] } }] } } }],
      },
      { id: 'mgmt', resourceId: mgmtNetwork, extCps: [{ cpdId: 'fw_mgmt', cpConfig: { 'fw-mgmt-0': { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET' }] } } }] },
    ],
    vimConnectionInfo: { 'vim-0': { vimType: 'ETSINFV.NFV_MANO.VIM', interfaceInfo: { endpoint: 'in-process' } } },
  };
}

function skippedWithoutCli(): boolean {
  if (CLI !== undefined) return false;
  console.warn('skipped: the openstack client is not installed (python3-openstackclient, python3-tackerclient)');
  return true;
}

interface CliResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs `openstack --os-tacker-api-version 2 …` against the product; a non-zero exit is answered, not thrown. */
async function openstackV2(...args: string[]): Promise<CliResult> {
  if (CLI === undefined) throw new Error('no openstack client');
  try {
    const { stdout, stderr } = await run(
      CLI,
      ['--os-auth-type', 'admin_token', '--os-token', TEST_TOKEN, '--os-endpoint', lab.product.url, '--os-tacker-api-version', '2', ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }, timeoutMs: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof CommandError) return { code: error.exitCode, stdout: error.stdout, stderr: error.stderr };
    throw error;
  }
}

async function openstackV2Json<T = Json>(...args: string[]): Promise<T> {
  const result = await openstackV2(...args, '-f', 'json');
  if (result.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Polls `vnflcm op show` (v2) until the occurrence is settled. */
async function settledThroughCli(occurrenceId: string): Promise<Json> {
  return eventually(async () => {
    const shown = await openstackV2Json('vnflcm', 'op', 'show', occurrenceId);
    return SETTLED.has(String(shown['Operation State'])) ? shown : undefined;
  }, 60_000, `occurrence ${occurrenceId} to settle through the CLI`);
}

async function onlyOccurrenceThroughCli(vnfInstanceId: string, operation: string): Promise<string> {
  const listed = await openstackV2Json<Json[]>('vnflcm', 'op', 'list', '--filter', `(eq,vnfInstanceId,${vnfInstanceId});(eq,operation,${operation})`);
  expect(listed).toHaveLength(1);
  return String(listed[0]?.ID);
}

function paramFile(name: string, body: Json): string {
  const file = path.join(workDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(body));
  return file;
}

const getV2 = (resource: string): Promise<Answer> => lab.api.get(`${V2}${resource}`, VERSION_2);
const postV2 = (resource: string, body: unknown): Promise<Answer> => lab.api.post(`${V2}${resource}`, body, VERSION_2);

/** Polls an occurrence through v2 until it is settled; answers it as v2 shows it. */
async function settledThroughV2(occurrenceId: string): Promise<Json> {
  return eventually(async () => {
    const { json } = await getV2(`/vnf_lcm_op_occs/${occurrenceId}`);
    return SETTLED.has(String(json.operationState)) ? json : undefined;
  }, 60_000, `${V2}/vnf_lcm_op_occs/${occurrenceId} to settle`);
}

/** The occurrence id a 202 names in `Location`, which must lie under `prefix`. */
function occurrenceOf(answer: Answer, prefix: string): string {
  expect(answer.status).toBe(202);
  const location = answer.headers.get('location') ?? '';
  expect(location).toMatch(new RegExp(`^${lab.product.url}${prefix}/vnf_lcm_op_occs/[0-9a-f-]{36}$`));
  return location.split('/').pop() ?? '';
}

function expectProblem(answer: Answer, status: number): Json {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  return answer.json;
}

describe('API versions and the Version header', () => {
  it('lists both major versions and answers each api_versions whatever version is asked for', async () => {
    const all = await lab.api.get('/vnflcm/api_versions');
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ uriPrefix: '/vnflcm', apiVersions: [{ version: '1.3.0', isDeprecated: false }, { version: '2.0.0', isDeprecated: false }] });
    const v2 = await lab.api.get(`${V2}/api_versions`);
    expect(v2.json).toEqual({ uriPrefix: V2, apiVersions: [{ version: '2.0.0', isDeprecated: false }] });
    expect(v2.headers.get('version')).toBe('2.0.0');
    // python3-tackerclient asks every api_versions resource with "Version: 2.0.0", v1's too.
    const v1 = await lab.api.get(`${V1}/api_versions`, VERSION_2);
    expect(v1.status).toBe(200);
    expect(v1.json).toEqual({ uriPrefix: V1, apiVersions: [{ version: '1.3.0', isDeprecated: false }] });
    expect(v1.headers.get('version')).toBe('1.3.0');
  });

  it('answers `openstack vnflcm versions` for both and for each major version', async () => {
    if (skippedWithoutCli()) return;
    expect(await openstackV2Json('vnflcm', 'versions')).toEqual({ uriPrefix: '/vnflcm', apiVersions: [{ version: '1.3.0', isDeprecated: false }, { version: '2.0.0', isDeprecated: false }] });
    expect(await openstackV2Json('vnflcm', 'versions', '--major-version', '1')).toMatchObject({ uriPrefix: V1 });
    expect(await openstackV2Json('vnflcm', 'versions', '--major-version', '2')).toMatchObject({ uriPrefix: V2 });
  }, 60_000);

  it('refuses v2 requests without a Version, with a malformed one or another major version, and changes nothing', async () => {
    const before = (await getV2('/vnf_instances')).json as unknown as Json[];
    const missing = expectProblem(await lab.api.get(`${V2}/vnf_instances`), 400);
    expect(String(missing.type)).toMatch(/missing-version$/);
    expect(missing.violations).toEqual([expect.objectContaining({ in: 'header', pointer: '/Version' })]);
    expect(String(expectProblem(await lab.api.post(`${V2}/vnf_instances`, { vnfdId: VNFD_IDS.vfw }), 400).type)).toMatch(/missing-version$/);
    expect(String(expectProblem(await lab.api.post(`${V2}/vnf_instances`, { vnfdId: VNFD_IDS.vfw }, { Version: 'two' }), 400).type)).toMatch(/invalid-version$/);
    expect(String(expectProblem(await lab.api.post(`${V2}/vnf_instances`, { vnfdId: VNFD_IDS.vfw }, { Version: '1.3.0' }), 406).type)).toMatch(/unsupported-version$/);
    expect((await getV2('/vnf_instances')).json).toEqual(before);
    // Any 2.x is served as 2.0.0; every answer says which version it is.
    const minor = await lab.api.get(`${V2}/vnf_instances`, { Version: '2.0.1' });
    expect(minor.status).toBe(200);
    expect(minor.headers.get('version')).toBe('2.0.0');
  });

  it('refuses v1 requests for version 2 and still serves v1 requests without a Version header', async () => {
    expect(String(expectProblem(await lab.api.get(`${V1}/vnf_instances`, VERSION_2), 406).type)).toMatch(/unsupported-version$/);
    const plain = await lab.api.get(`${V1}/vnf_instances`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('version')).toBe('1.3.0');
    expect((await lab.api.get(`${V1}/vnf_instances`, { Version: '1.3.0' })).status).toBe(200);
  });
});

describe('openstack --os-tacker-api-version 2 vnflcm (python3-tackerclient) against the v2 API', () => {
  it('creates, instantiates, shows, lists, follows the occurrences of, terminates and deletes a vFW', async () => {
    if (skippedWithoutCli()) return;
    const created = await openstackV2Json('vnflcm', 'create', VNFD_IDS.vfw, '--name', 'v2-fw', '--description', 'through v2');
    expect(created).toMatchObject({ 'VNF Instance Name': 'v2-fw', 'Instantiation State': 'NOT_INSTANTIATED', 'VNFD ID': VNFD_IDS.vfw });
    const vnfId = String(created.ID);
    expect((created.Links as Json).self).toEqual({ href: `${lab.product.url}${V2}/vnf_instances/${vnfId}` });

    const request = instantiateRequestV2();
    const instantiated = await openstackV2('vnflcm', 'instantiate', vnfId, paramFile('fw-v2', request));
    expect(instantiated.code).toBe(0);
    expect(instantiated.stdout).toContain(`Instantiate request for VNF Instance ${vnfId} has been accepted.`);
    const instantiation = await onlyOccurrenceThroughCli(vnfId, 'INSTANTIATE');
    const settled = await settledThroughCli(instantiation);
    expect(settled).toMatchObject({ ID: instantiation, 'Operation State': 'COMPLETED', 'VNF Instance ID': vnfId, Operation: 'INSTANTIATE' });
    expect(settled['Operation Parameters']).toEqual(request);
    expect((settled.Links as Json).self).toEqual({ href: `${lab.product.url}${V2}/vnf_lcm_op_occs/${instantiation}` });
    expect((settled['Resource Changes'] as { affectedVnfcs: Json[] }).affectedVnfcs).toEqual([expect.objectContaining({ vduId: 'fw', changeType: 'ADDED' })]);

    const shown = await openstackV2Json('vnflcm', 'show', vnfId);
    expect(shown).toMatchObject({ ID: vnfId, 'Instantiation State': 'INSTANTIATED' });
    expect(shown['VIM Connection Info']).toEqual({ 'vim-0': { vimType: 'ETSINFV.NFV_MANO.VIM', interfaceInfo: { endpoint: 'in-process' } } });
    const info = shown['Instantiated Vnf Info'] as { extCpInfo: Json[]; vnfcInfo: Json[]; vnfcResourceInfo: Json[] };
    expect(info.vnfcInfo).toEqual([expect.objectContaining({ vduId: 'fw', vnfcState: 'STARTED' })]);
    expect(info.extCpInfo.map((cp) => cp.cpdId).sort()).toEqual(['fw_data', 'fw_mgmt']);
    for (const cp of info.extCpInfo) expect(cp.cpConfigId).toBe(cp.id);

    const listed = await openstackV2Json<Json[]>('vnflcm', 'list');
    expect(listed).toContainEqual(expect.objectContaining({ ID: vnfId, 'VNF Instance Name': 'v2-fw', 'Instantiation State': 'INSTANTIATED' }));
    const occurrences = await openstackV2Json<Json[]>('vnflcm', 'op', 'list');
    expect(occurrences).toContainEqual({ ID: instantiation, 'Operation State': 'COMPLETED', 'VNF Instance ID': vnfId, Operation: 'INSTANTIATE' });

    // Version 1 shows the same occurrence, with its own links.
    const throughV1 = await lab.api.get(`${V1}/vnf_lcm_op_occs/${instantiation}`);
    expect(throughV1.json).toMatchObject({ id: instantiation, operationState: 'COMPLETED', operationParams: request });
    expect((throughV1.json._links as Json).vnfInstance).toEqual({ href: `${lab.product.url}${V1}/vnf_instances/${vnfId}` });

    const terminated = await openstackV2('vnflcm', 'terminate', vnfId, '--termination-type', 'FORCEFUL');
    expect(terminated.code).toBe(0);
    const termination = await onlyOccurrenceThroughCli(vnfId, 'TERMINATE');
    expect(await settledThroughCli(termination)).toMatchObject({ 'Operation State': 'COMPLETED', Operation: 'TERMINATE' });
    const after = await openstackV2Json('vnflcm', 'show', vnfId);
    expect(after).toMatchObject({ 'Instantiation State': 'NOT_INSTANTIATED' });
    // Not instantiated, it is in no VIM: the representation has no vimConnectionInfo (the CLI prints an empty column).
    expect((await getV2(`/vnf_instances/${vnfId}`)).json).not.toHaveProperty('vimConnectionInfo');

    const deleted = await openstackV2('vnflcm', 'delete', vnfId);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`Vnf instance '${vnfId}' is deleted successfully`);
    expect((await getV2(`/vnf_instances/${vnfId}`)).status).toBe(404);
    expect((await lab.api.get(`${V1}/vnf_instances/${vnfId}`)).status).toBe(404);
  }, 300_000);
});

describe('one instance, two views', () => {
  it('shows v2 shapes under /vnflcm/v2 and v1 shapes under /vnflcm/v1, and Location follows the version a task came through', async () => {
    const created = await postV2('/vnf_instances', { vnfdId: VNFD_IDS.vfw, vnfInstanceName: 'two-views' });
    expect(created.status).toBe(201);
    const vnfId = String(created.json.id);
    expect(created.headers.get('location')).toBe(`${lab.product.url}${V2}/vnf_instances/${vnfId}`);
    expect(created.headers.get('version')).toBe('2.0.0');
    expect(created.json.vimConnectionInfo).toBeUndefined();

    const instantiation = occurrenceOf(await postV2(`/vnf_instances/${vnfId}/instantiate`, instantiateRequestV2()), V2);
    expect(await settledThroughV2(instantiation)).toMatchObject({ operationState: 'COMPLETED' });

    const v2 = (await getV2(`/vnf_instances/${vnfId}`)).json;
    expect(v2.vimConnectionInfo).toEqual({ 'vim-0': { vimType: 'ETSINFV.NFV_MANO.VIM', interfaceInfo: { endpoint: 'in-process' } } });
    const links = v2._links as Record<string, { href: string }>;
    expect(links.self?.href).toBe(`${lab.product.url}${V2}/vnf_instances/${vnfId}`);
    expect(links.scaleToLevel?.href).toBe(`${lab.product.url}${V2}/vnf_instances/${vnfId}/scale_to_level`);
    const info = v2.instantiatedVnfInfo as {
      extCpInfo: Array<Json & { id: string; cpConfigId: string; extLinkPortId: string; associatedVnfcCpId: string }>;
      extVirtualLinkInfo: Array<Json & { id: string; currentVnfExtCpData: Array<{ cpdId: string; cpConfig: Record<string, Json> }>; extLinkPorts: Array<{ id: string }> }>;
      vnfcResourceInfo: Array<{ id: string; reservationId: string; vnfcCpInfo: Array<{ id: string; cpProtocolInfo: Json[] }> }>;
      vnfcInfo: Json[];
    };
    expect(info.extCpInfo).toHaveLength(2);
    const data = info.extVirtualLinkInfo.find((link) => link.id === 'data');
    const dataCp = info.extCpInfo.find((cp) => cp.cpdId === 'fw_data');
    expect(data?.currentVnfExtCpData).toEqual([{ cpdId: 'fw_data', cpConfig: { [String(dataCp?.cpConfigId)]: expect.any(Object) } }]);
    const applied = JSON.stringify(data?.currentVnfExtCpData);
    expect(applied).toContain('198.18.9.20');
    expect(data?.extLinkPorts.map((port) => port.id)).toEqual([dataCp?.extLinkPortId]);
    expect(info.vnfcInfo).toEqual([expect.objectContaining({ vduId: 'fw', vnfcResourceInfoId: info.vnfcResourceInfo[0]?.id, vnfcState: 'STARTED' })]);
    expect(typeof info.vnfcResourceInfo[0]?.reservationId).toBe('string');
    const dataVnfcCp = info.vnfcResourceInfo[0]?.vnfcCpInfo.find((cp) => cp.id === dataCp?.associatedVnfcCpId);
    expect(JSON.stringify(dataVnfcCp?.cpProtocolInfo)).toContain('198.18.9.20');

    const v1 = (await lab.api.get(`${V1}/vnf_instances/${vnfId}`)).json;
    expect(v1.vimConnectionInfo).toEqual([{ id: 'vim-0', vimType: 'ETSINFV.NFV_MANO.VIM', interfaceInfo: { endpoint: 'in-process' } }]);
    expect((v1._links as Json).self).toEqual({ href: `${lab.product.url}${V1}/vnf_instances/${vnfId}` });
    const v1Info = v1.instantiatedVnfInfo as { extCpInfo: Json[]; extVirtualLinkInfo: Json[] };
    expect(v1Info.extCpInfo.map((cp) => cp.id).sort()).toEqual(info.extCpInfo.map((cp) => cp.id).sort());
    for (const cp of v1Info.extCpInfo) expect(cp).not.toHaveProperty('cpConfigId');
    for (const link of v1Info.extVirtualLinkInfo) expect(link).not.toHaveProperty('currentVnfExtCpData');

    // A list leaves vimConnectionInfo out by default (SOL 003 clause 5.4.2.3.2), in both versions.
    const listed = ((await getV2(`/vnf_instances?filter=(eq,id,${vnfId})`)).json as unknown as Json[])[0];
    expect(listed).toMatchObject({ id: vnfId, instantiationState: 'INSTANTIATED' });
    expect(listed).not.toHaveProperty('vimConnectionInfo');
    expect(((await getV2(`/vnf_instances?filter=(eq,id,${vnfId})&all_fields`)).json as unknown as Json[])[0]?.vimConnectionInfo).toEqual(v2.vimConnectionInfo);

    // Terminated through v1: Location and the occurrence's links are v1's; v2 shows the same occurrence.
    const termination = occurrenceOf(await lab.api.post(`${V1}/vnf_instances/${vnfId}/terminate`, { terminationType: 'FORCEFUL' }), V1);
    expect(await lab.settled(`${V1}/vnf_lcm_op_occs/${termination}`)).toMatchObject({ operationState: 'COMPLETED', _links: { self: { href: `${lab.product.url}${V1}/vnf_lcm_op_occs/${termination}` } } });
    const inV2 = (await getV2(`/vnf_lcm_op_occs/${termination}`)).json;
    expect(inV2).toMatchObject({ id: termination, operation: 'TERMINATE', operationState: 'COMPLETED', vnfInstanceId: vnfId });
    expect((inV2._links as Json).self).toEqual({ href: `${lab.product.url}${V2}/vnf_lcm_op_occs/${termination}` });
    expect((inV2._links as Json).vnfInstance).toEqual({ href: `${lab.product.url}${V2}/vnf_instances/${vnfId}` });
    expect((await lab.api.delete(`${V2}/vnf_instances/${vnfId}`, VERSION_2)).status).toBe(204);
  }, 180_000);

  it('refuses v1-shaped instantiation bodies on v2 with ProblemDetails pointing at them, and changes nothing', async () => {
    const vnfId = String((await postV2('/vnf_instances', { vnfdId: VNFD_IDS.vfw })).json.id);
    const v1Shaped = { ...instantiateRequestV2(), vimConnectionInfo: [{ id: 'vim-0', vimType: 'ETSINFV.NFV_MANO.VIM' }] };
    const arrayRefused = expectProblem(await postV2(`/vnf_instances/${vnfId}/instantiate`, v1Shaped), 400);
    expect(arrayRefused.violations).toContainEqual(expect.objectContaining({ pointer: '/vimConnectionInfo', in: 'body' }));
    const withoutType = { ...instantiateRequestV2(), vimConnectionInfo: { 'vim-0': { vimId: 'vim-0' } } };
    const typeRefused = expectProblem(await postV2(`/vnf_instances/${vnfId}/instantiate`, withoutType), 400);
    expect(typeRefused.violations).toContainEqual(expect.objectContaining({ pointer: '/vimConnectionInfo/vim-0/vimType', in: 'body' }));
    const withoutCpConfig = { flavourId: 'default', extVirtualLinks: [{ id: 'mgmt', resourceId: mgmtNetwork, extCps: [{ cpdId: 'fw_mgmt' }] }] };
    const cpConfigRefused = expectProblem(await postV2(`/vnf_instances/${vnfId}/instantiate`, withoutCpConfig), 400);
    expect(cpConfigRefused.violations).toContainEqual(expect.objectContaining({ pointer: '/extVirtualLinks/0/extCps/0/cpConfig', in: 'body' }));

    expect((await getV2(`/vnf_instances/${vnfId}`)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect((await getV2(`/vnf_lcm_op_occs?filter=(eq,vnfInstanceId,${vnfId})`)).json).toEqual([]);
    // Version 1 takes the same bare body (cpConfig is optional there).
    const accepted = occurrenceOf(await lab.api.post(`${V1}/vnf_instances/${vnfId}/instantiate`, withoutCpConfig), V1);
    expect(await lab.settled(`${V1}/vnf_lcm_op_occs/${accepted}`)).toMatchObject({ operationState: 'COMPLETED' });
    expect(occurrenceOf(await postV2(`/vnf_instances/${vnfId}/terminate`, { terminationType: 'FORCEFUL' }), V2)).not.toBe('');
    await eventually(async () => ((await getV2(`/vnf_instances/${vnfId}`)).json.instantiationState === 'NOT_INSTANTIATED' ? true : undefined), 60_000);
    expect((await lab.api.delete(`${V1}/vnf_instances/${vnfId}`)).status).toBe(204);
  }, 180_000);
});

describe('subscriptions per version', () => {
  it('notifies v2 subscribers with links into v2 and v1 subscribers with links into v1', async () => {
    const callback = await CallbackServer.start();
    try {
      const filter = { vnfInstanceSubscriptionFilter: { vnfInstanceNames: ['subscribed-twice'] } };
      const v2Subscription = await postV2('/subscriptions', { callbackUri: `${callback.url}/v2`, filter });
      expect(v2Subscription.status).toBe(201);
      expect(v2Subscription.headers.get('location')).toBe(`${lab.product.url}${V2}/subscriptions/${String(v2Subscription.json.id)}`);
      const v1Subscription = await lab.api.post(`${V1}/subscriptions`, { callbackUri: `${callback.url}/v1`, filter });
      expect(v1Subscription.status).toBe(201);
      const v2Id = String(v2Subscription.json.id);
      const v1Id = String(v1Subscription.json.id);
      expect(((await getV2('/subscriptions')).json as unknown as Json[]).map((one) => one.id)).toContain(v2Id);
      expect(((await getV2('/subscriptions')).json as unknown as Json[]).map((one) => one.id)).not.toContain(v1Id);
      expect(((await lab.api.get(`${V1}/subscriptions`)).json as unknown as Json[]).map((one) => one.id)).not.toContain(v2Id);

      const vnfId = String((await postV2('/vnf_instances', { vnfdId: VNFD_IDS.vfw, vnfInstanceName: 'subscribed-twice' })).json.id);
      const instantiation = occurrenceOf(await postV2(`/vnf_instances/${vnfId}/instantiate`, instantiateRequestV2()), V2);
      expect(await settledThroughV2(instantiation)).toMatchObject({ operationState: 'COMPLETED' });
      const resultFor = (subscriptionId: string) =>
        eventually(async () => callback.delivered.find((body) => body.subscriptionId === subscriptionId && body.notificationStatus === 'RESULT' && body.vnfLcmOpOccId === instantiation), 20_000, 'the RESULT notification');
      for (const [subscriptionId, prefix] of [
        [v2Id, V2],
        [v1Id, V1],
      ] as const) {
        const creation = await eventually(async () => callback.delivered.find((body) => body.subscriptionId === subscriptionId && body.notificationType === 'VnfIdentifierCreationNotification'), 20_000, 'the creation notification');
        expect(creation._links).toEqual({ vnfInstance: { href: `${lab.product.url}${prefix}/vnf_instances/${vnfId}` }, subscription: { href: `${lab.product.url}${prefix}/subscriptions/${subscriptionId}` } });
        const result = await resultFor(subscriptionId);
        expect(result).toMatchObject({ notificationType: 'VnfLcmOperationOccurrenceNotification', operationState: 'COMPLETED', operation: 'INSTANTIATE', vnfInstanceId: vnfId });
        expect((result._links as Json).vnfLcmOpOcc).toEqual({ href: `${lab.product.url}${prefix}/vnf_lcm_op_occs/${instantiation}` });
      }
      const termination = occurrenceOf(await postV2(`/vnf_instances/${vnfId}/terminate`, { terminationType: 'FORCEFUL' }), V2);
      expect(await settledThroughV2(termination)).toMatchObject({ operationState: 'COMPLETED' });
      expect((await lab.api.delete(`${V2}/vnf_instances/${vnfId}`, VERSION_2)).status).toBe(204);
      expect((await lab.api.delete(`${V2}/subscriptions/${v2Id}`, VERSION_2)).status).toBe(204);
      expect((await lab.api.delete(`${V1}/subscriptions/${v1Id}`)).status).toBe(204);
    } finally {
      await callback.close();
    }
  }, 180_000);
});
