/**
 * The whole product in a child process, killed with SIGKILL at a chosen point of an NS instantiation (or, with
 * a third argument `terminate`, of its termination), for the crash tests. Run with
 * `node --import tsx product-worker.ts <scope>:<step> <nsInstanceId> [instantiate|terminate]`: `ns:<step>`
 * dies once that step of the NS operation is done; `vnf:<step>` once that step of the first VNF operation to
 * reach it is done (the other VNFs are then mid-way). The environment (NFV_DATA_DIR and the rest) comes from
 * the parent. Exits 3 if it never dies.
 */
import type { NfvoModule } from '../../../nfvo/index.js';
import type { Operation } from '../../../platform/index.js';
import type { VnfmModule } from '../../../vnfm/index.js';
import { startProduct, TEST_TOKEN } from '../../support/application.js';

const [killAt = '', nsInstanceId = '', task = 'instantiate'] = process.argv.slice(2);
const [scope, step] = killAt.split(':');
const product = await startProduct(process.env);
const modules = product.application.modules;
const engine =
  scope === 'ns'
    ? (modules.find((module) => module.name === 'nfvo') as NfvoModule).nsLifecycle().engine
    : (modules.find((module) => module.name === 'vnfm') as VnfmModule).manager().lifecycle.engine;
engine.on('changed', (operation: Operation) => {
  if (operation.steps.find((candidate) => candidate.name === step)?.status === 'done') process.kill(process.pid, 'SIGKILL');
});
const body =
  task === 'terminate'
    ? {}
    : {
        nsFlavourId: 'default',
        sapData: ['ext', 'web'].map((sapdId, index) => ({
          sapdId,
          sapName: sapdId,
          sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [`198.18.41.${index + 1}`] }] } }],
        })),
      };
const answer = await fetch(`${product.url}/nslcm/v1/ns_instances/${nsInstanceId}/${task}`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${TEST_TOKEN}`, 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});
if (answer.status !== 202) {
  process.stderr.write(`${task} answered ${answer.status}: ${await answer.text()}\n`);
  process.exit(2);
}
setTimeout(() => process.exit(3), 60_000).unref();
setInterval(() => undefined, 1000);
