import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hypervisor } from '@unraid/libvirt';

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/**
 * A connection to libvirt's test driver through `@unraid/libvirt`: `test:///default` (a built-in host with
 * one running domain) or `test:///<abs path>.xml`, a host described by a fixture file. The test driver runs
 * inside the client library: no daemon, and every connection starts from the file's state.
 */
export async function openTestHypervisor(fixture?: string): Promise<Hypervisor> {
  const uri = fixture === undefined ? 'test:///default' : `test://${path.resolve(FIXTURES_DIR, fixture)}`;
  const hypervisor = new Hypervisor({ uri });
  await hypervisor.connectOpen();
  return hypervisor;
}
