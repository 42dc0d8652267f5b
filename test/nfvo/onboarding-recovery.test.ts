import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore, type Entity } from '../../platform/index.js';
import { startProduct, TENANT_A_TOKEN } from '../support/application.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { apiAs, createPackage, eventually, NSDS, onboard, onboardingEnded, PACKAGES, type Json } from './support/api.js';
import { buildCsar, nsdYaml } from './support/csar.js';

type Stored = Entity & Record<string, unknown>;

/**
 * A restart finds onboarding where the last run left it: a package (or NSD) left UPLOADING goes back to CREATED
 * with a failure that says the upload was interrupted; one left PROCESSING is processed again from its stored
 * content; files that no resource owns are removed.
 */
describe('onboarding across a restart', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = makeTempDir('recovery');
  });
  afterAll(() => removeTempDir(dataDir));

  it('fails interrupted uploads cleanly and resumes processing from the stored content', async () => {
    const first = await startProduct({ NFV_DATA_DIR: dataDir });
    const api = apiAs(first, TENANT_A_TOKEN);
    const referenced = await onboard(api, await buildCsar({ vnfdId: 'recovery-vnfd' }));
    const uploading = await createPackage(api);
    const processing = await createPackage(api);
    const nsd = (await api.post(NSDS, {})).json.id as string;
    await first.stop();

    // What a crash in the middle of onboarding leaves behind, written as the NFVO would have written it.
    const store = new SqliteStore(path.join(dataDir, 'nfv.sqlite'));
    const packages = store.collection<Stored>({ name: 'vnf_packages', indexes: ['vnfdId', 'onboardingState'] });
    const descriptors = store.collection<Stored>({ name: 'ns_descriptors', indexes: ['nsdOnboardingState', 'vnfPkgIds'] });
    const set = async (repository: typeof packages, id: string, changes: Record<string, unknown>): Promise<void> => {
      const found = await repository.get(id);
      await repository.update({ ...(found?.value as Stored), ...changes }, found?.revision as number);
    };
    await set(packages, uploading, { onboardingState: 'UPLOADING' });
    await set(packages, processing, { onboardingState: 'PROCESSING' });
    await set(descriptors, nsd, { nsdOnboardingState: 'PROCESSING', contentKind: 'yaml' });
    await store.close();
    const packageDir = path.join(dataDir, 'packages');
    fs.writeFileSync(path.join(packageDir, `${processing}.zip`), await buildCsar({ vnfdId: 'resumed-vnfd' }));
    fs.writeFileSync(path.join(packageDir, `.${uploading}.zip.0123456789ab.part`), 'half an upload');
    fs.writeFileSync(path.join(packageDir, 'no-such-package.zip'), 'left over');
    fs.writeFileSync(path.join(dataDir, 'nsds', `${nsd}.nsd`), nsdYaml({ nsdId: 'resumed-nsd', vnfdIds: ['recovery-vnfd'] }));

    const second = await startProduct({ NFV_DATA_DIR: dataDir });
    try {
      const again = apiAs(second, TENANT_A_TOKEN);
      const interrupted = (await again.get(`${PACKAGES}/${uploading}`)).json;
      expect(interrupted).toMatchObject({ onboardingState: 'CREATED', operationalState: 'DISABLED' });
      expect(interrupted.onboardingFailureDetails).toMatchObject({ type: expect.stringMatching(/upload-interrupted$/), detail: expect.stringMatching(/restarted/) });

      const resumed = await onboardingEnded(again, processing);
      expect(resumed).toMatchObject({ onboardingState: 'ONBOARDED', vnfdId: 'resumed-vnfd' });
      const resumedNsd = await eventually(async () => {
        const { json } = await again.get(`${NSDS}/${nsd}`);
        return json.nsdOnboardingState === 'PROCESSING' ? undefined : json;
      });
      expect(resumedNsd).toMatchObject({ nsdOnboardingState: 'ONBOARDED', nsdId: 'resumed-nsd', vnfPkgIds: [referenced.id] });

      expect(fs.readdirSync(packageDir).sort()).toEqual([`${processing}.zip`, `${referenced.id}.zip`].sort());
      const retried = await again.put(`${PACKAGES}/${uploading}/package_content`, await buildCsar({ vnfdId: 'uploaded-again' }), 'application/zip');
      expect(retried.status).toBe(202);
      expect(await onboardingEnded(again, uploading)).toMatchObject({ onboardingState: 'ONBOARDED' } as Json);
    } finally {
      await second.stop();
    }
  });
});
