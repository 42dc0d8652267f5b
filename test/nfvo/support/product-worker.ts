/**
 * The whole product in a child process, killed with SIGKILL at a chosen point of an NS instantiation (or, with
 * a third argument, of its termination, or of a scaling of its `firewalls` aspect by one step out or in), for
 * the crash tests. Run with
 * `node --import tsx product-worker.ts <scope>:<step> <nsInstanceId> [instantiate|terminate|scale-out|scale-in]`: `ns:<step>`
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
const scaling = (scalingDirection: 'SCALE_OUT' | 'SCALE_IN') => ({ scaleType: 'SCALE_NS', scaleNsData: { scaleNsByStepsData: { scalingDirection, aspectId: 'firewalls', numberOfSteps: 1 } } });
const requests: Record<string, { path: string; body: object }> = {
  instantiate: {
    path: 'instantiate',
    body: {
      nsFlavourId: 'default',
      sapData: ['ext', 'web'].map((sapdId, index) => ({
        sapdId,
        sapName: sapdId,
        sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [`198.18.41.${index + 1}`] }] } }],
      })),
    },
  },
  terminate: { path: 'terminate', body: {} },
  'scale-out': { path: 'scale', body: scaling('SCALE_OUT') },
  'scale-in': { path: 'scale', body: scaling('SCALE_IN') },
};
const request = requests[task];
if (request === undefined) {
  process.stderr.write(`unknown task ${task}\n`);
  process.exit(2);
}
const { path, body } = request;
const answer = await fetch(`${product.url}/nslcm/v1/ns_instances/${nsInstanceId}/${path}`, {
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
