/**
 * The disks VNFCs boot from: a per-VNFC copy of the VNF package's software image in the image directory
 * of a host whose compute is local to this process (libvirt `test:///`, `qemu:///system`, the `lab:` driver).
 * A copy is named by the VNFC id, so a rerun after a crash finds it; its checksum is verified against the
 * VNFD's when it is made and again when it is found, and a copy that does not match is made again.
 * Remote hosts (`qemu+ssh://`) are refused: their images must be pre-staged, which is not supported yet.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ProblemError } from '../../platform/index.js';
import type { VnfcDisk } from '../compute/driver.js';

export interface SoftwareImageSource {
  /** The image file's bytes, as the onboarded package holds them. */
  bytes: Buffer;
  /** From the VNFD: `sha-256` or `sha-512` (also accepted without the dash) and the hex digest. */
  checksum: { algorithm: string; hash: string };
  format: VnfcDisk['format'];
}

function hashName(algorithm: string): 'sha256' | 'sha512' {
  const normalized = algorithm.toLowerCase().replace(/[-_]/g, '');
  if (normalized === 'sha256' || normalized === 'sha512') return normalized;
  throw new ProblemError(422, `software image checksum algorithm ${algorithm} is not supported (sha-256 or sha-512)`);
}

function digestOf(bytes: Buffer, algorithm: string): string {
  return crypto.createHash(hashName(algorithm)).update(bytes).digest('hex');
}

/** Whether the host's compute runs on this machine, so that a file written here is a file the host sees. */
export function isLocalCompute(libvirtUri: string): boolean {
  return libvirtUri.startsWith('test:///') || libvirtUri === 'qemu:///system' || libvirtUri.startsWith('lab:');
}

export class ImageStore {
  constructor(readonly dir: string) {}

  /** Where the VNFC's copy of its image is (whether or not it exists). */
  pathOf(vnfcId: string, format: VnfcDisk['format']): string {
    return path.join(this.dir, `${vnfcId}.${format}`);
  }

  /** Makes (or finds and verifies) the VNFC's copy of the image; returns the disk that boots from it. */
  async ensureCopy(host: { id: string; libvirtUri: string }, vnfcId: string, source: SoftwareImageSource): Promise<VnfcDisk> {
    if (!isLocalCompute(host.libvirtUri)) {
      throw new ProblemError(501, `host ${host.id} (${host.libvirtUri}) is remote: software images must be pre-staged on it, which is not supported`, { title: 'Software image not staged' });
    }
    const expected = source.checksum.hash.toLowerCase();
    if (digestOf(source.bytes, source.checksum.algorithm) !== expected) {
      throw new ProblemError(409, `the package's software image for VNFC ${vnfcId} does not match the VNFD checksum`);
    }
    const file = this.pathOf(vnfcId, source.format);
    if (!(await this.holdsCopy(file, source))) {
      await fs.promises.mkdir(this.dir, { recursive: true });
      const temporary = `${file}.${crypto.randomBytes(6).toString('hex')}.part`;
      await fs.promises.writeFile(temporary, source.bytes);
      await fs.promises.rename(temporary, file);
    }
    return { path: file, format: source.format, target: 'vda' };
  }

  /** Removes every copy the VNFC has (none is fine). */
  async remove(vnfcId: string): Promise<void> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) if (name.startsWith(`${vnfcId}.`)) await fs.promises.rm(path.join(this.dir, name), { force: true });
  }

  private async holdsCopy(file: string, source: SoftwareImageSource): Promise<boolean> {
    try {
      const found = await fs.promises.readFile(file);
      return found.length === source.bytes.length && digestOf(found, source.checksum.algorithm) === source.checksum.hash.toLowerCase();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
