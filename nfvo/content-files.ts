import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Uploaded content kept as files in one folder of the data dir (`packages/`, `nsds/`): written to a temporary
 * file, flushed and renamed into place, so a file under its final name is always whole.
 */
export class ContentFiles {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  pathOf(name: string): string {
    return path.join(this.dir, name);
  }

  /** A fresh temporary file name in the folder (same file system, so the final rename is atomic). */
  temporaryPath(name: string): string {
    return path.join(this.dir, `.${name}.${crypto.randomBytes(6).toString('hex')}.part`);
  }

  /** Flushes a temporary file and renames it to its final name. */
  async commit(temporary: string, name: string): Promise<void> {
    const handle = await fs.promises.open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, this.pathOf(name));
    await this.syncDir();
  }

  async write(name: string, bytes: Buffer): Promise<void> {
    const temporary = this.temporaryPath(name);
    await fs.promises.writeFile(temporary, bytes);
    await this.commit(temporary, name);
  }

  async read(name: string): Promise<Buffer> {
    return fs.promises.readFile(this.pathOf(name));
  }

  size(name: string): number {
    return fs.statSync(this.pathOf(name)).size;
  }

  stream(name: string, start: number, end: number): Readable {
    return fs.createReadStream(this.pathOf(name), { start, end });
  }

  async remove(name: string): Promise<void> {
    await fs.promises.rm(this.pathOf(name), { force: true });
  }

  /** Removes temporary files left by an interrupted write and files no stored resource owns any more. */
  async sweep(isOwned: (name: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await fs.promises.readdir(this.dir)) {
      if (name.endsWith('.part') || !isOwned(name)) {
        await fs.promises.rm(path.join(this.dir, name), { force: true, recursive: true });
        removed.push(name);
      }
    }
    return removed;
  }

  private async syncDir(): Promise<void> {
    const handle = await fs.promises.open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

export type ReceivedFile = { ok: true; size: number } | { ok: false; tooLarge: boolean; reason: string };

/** Copies a stream into a file, refusing more than `maxBytes`. */
export async function receiveToFile(source: AsyncIterable<Buffer | string>, file: string, maxBytes: number): Promise<ReceivedFile> {
  let size = 0;
  let tooLarge = false;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) {
        tooLarge = true;
        throw new Error(`more than ${maxBytes} bytes`);
      }
      yield bytes;
    }
  };
  try {
    await pipeline(counted, fs.createWriteStream(file));
    return { ok: true, size };
  } catch (error) {
    await fs.promises.rm(file, { force: true });
    if (tooLarge) return { ok: false, tooLarge, reason: `The content is larger than ${maxBytes} bytes.` };
    return { ok: false, tooLarge, reason: `The content could not be received: ${(error as Error).message}.` };
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
