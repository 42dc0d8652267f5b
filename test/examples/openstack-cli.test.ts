/**
 * The real `openstack` CLI (python-openstackclient with python-tackerclient's `vnf package` commands, from
 * Debian) drives the VNF package API unmodified: create, upload, show until ONBOARDED, list, update to DISABLED,
 * download the VNFD and the package, delete. It talks to `/vnfpkgm/v1/...` under `--os-endpoint` with the token
 * as `X-Auth-Token`, sends no `Version` header, and reads `application/zip` and `text/plain` bodies only when
 * the Content-Type is exactly that. Skipped, with the reason printed, where the command is not installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildVnfPackage, sha256 } from '../../descriptors/examples/index.js';
import { TEST_TOKEN, startProduct, type RunningProduct } from '../support/application.js';
import { CommandError, run, waitFor } from '../support/command.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { EXPECTED } from './expected.js';

function commandOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const openstackCommand = commandOnPath('openstack');
if (openstackCommand === undefined) {
  console.log('openstack CLI tests skipped: the `openstack` command is not installed (Debian: python3-openstackclient python3-tackerclient)');
}
const describeWithCli = openstackCommand === undefined ? describe.skip : describe;

/** What `-f json` prints for one VNF package (the CLI's own column names). */
type ShownPackage = Record<string, unknown> & { ID: string; 'Onboarding State': string; 'Operational State': string };

describeWithCli('the openstack CLI drives the VNF package API', () => {
  let product: RunningProduct;
  let workDir: string;

  /** One CLI run, with no OS_* variable of the caller's environment in the way. */
  async function openstack(...args: string[]): Promise<string> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: workDir, LANG: 'C.UTF-8' };
    const { stdout } = await run(openstackCommand as string, ['--os-token', TEST_TOKEN, '--os-endpoint', product.url, ...args], { env, timeoutMs: 60000 });
    return stdout;
  }

  async function openstackJson<T>(...args: string[]): Promise<T> {
    return JSON.parse(await openstack(...args, '-f', 'json')) as T;
  }

  beforeAll(async () => {
    product = await startProduct();
    workDir = makeTempDir('openstack-cli');
  });
  afterAll(async () => {
    await product.stop();
    removeTempDir(workDir);
  });

  it('create, upload, show, list, update, download and delete a package', async () => {
    const expected = EXPECTED.vfw;
    const zip = await buildVnfPackage('vfw');
    const zipPath = path.join(workDir, 'vfw.zip');
    fs.writeFileSync(zipPath, zip);

    const created = await openstackJson<ShownPackage>('vnf', 'package', 'create', '--user-data', 'example=vfw');
    expect(created).toMatchObject({ 'Onboarding State': 'CREATED', 'Operational State': 'DISABLED', 'Usage State': 'NOT_IN_USE', 'User Defined Data': { example: 'vfw' } });
    const id = created.ID;

    expect(await openstack('vnf', 'package', 'upload', '--path', zipPath, id)).toContain(`Upload request for VNF package ${id} has been accepted.`);
    const shown = await waitFor(
      `package ${id} ONBOARDED as the CLI shows it`,
      async () => {
        const pkg = await openstackJson<ShownPackage>('vnf', 'package', 'show', id);
        return pkg['Onboarding State'] === 'ONBOARDED' ? pkg : undefined;
      },
      60000,
      200,
    );
    expect(shown).toMatchObject({
      ID: id,
      'Operational State': 'ENABLED',
      'Usage State': 'NOT_IN_USE',
      'VNFD ID': expected.vnfdId,
      'VNF Provider': expected.provider,
      'VNF Product Name': expected.productName,
      'VNF Software Version': expected.softwareVersion,
      'VNFD Version': expected.vnfdVersion,
    });
    expect(JSON.stringify(shown.Checksum)).toContain(sha256(zip));
    expect(JSON.stringify(shown['Software Images'])).toContain(expected.image.path);

    const listed = await openstackJson<Array<Record<string, unknown>>>('vnf', 'package', 'list');
    expect(listed).toEqual([expect.objectContaining({ Id: id, 'Vnf Product Name': 'vFW', 'Onboarding State': 'ONBOARDED', 'Operational State': 'ENABLED' })]);
    const filtered = await openstackJson<Array<Record<string, unknown>>>('vnf', 'package', 'list', '--filter', '(eq,vnfProductName,vLB)');
    expect(filtered).toEqual([]);

    expect(await openstackJson<Record<string, unknown>>('vnf', 'package', 'update', '--operational-state', 'DISABLED', id)).toEqual({ 'Operational State': 'DISABLED' });
    expect(await openstackJson<ShownPackage>('vnf', 'package', 'show', id)).toMatchObject({ 'Operational State': 'DISABLED' });

    // The VNFD is three files (top, types, flavour): a zip of them, and no single text/plain file (SOL 005 406).
    const vnfdPath = path.join(workDir, 'vnfd.zip');
    await openstack('vnf', 'package', 'download', '--vnfd', '--type', 'application/zip', '--file', vnfdPath, id);
    const vnfd = fs.readFileSync(vnfdPath);
    expect(vnfd.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    for (const file of ['Definitions/vfw_top.vnfd.yaml', 'Definitions/vfw_types.yaml', 'Definitions/vfw_df_default.yaml']) expect(vnfd.includes(file)).toBe(true);
    await expect(openstack('vnf', 'package', 'download', '--vnfd', '--type', 'text/plain', '--file', path.join(workDir, 'vnfd.yaml'), id)).rejects.toThrow(CommandError);

    const downloadPath = path.join(workDir, 'downloaded.zip');
    await openstack('vnf', 'package', 'download', '--file', downloadPath, id);
    expect(sha256(fs.readFileSync(downloadPath))).toBe(sha256(zip));

    expect(await openstack('vnf', 'package', 'delete', id)).toContain('All specified vnf-package(s) deleted successfully');
    expect((await product.request(`/vnfpkgm/v1/vnf_packages/${id}`)).status).toBe(404);
    expect(await openstackJson<unknown[]>('vnf', 'package', 'list')).toEqual([]);
  }, 300000);
});
