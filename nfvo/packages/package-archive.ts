import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import type { ByteRange } from '../http/content.js';

/**
 * Reading single files out of a stored package archive (already checked by the descriptors reader when it was
 * onboarded), and building the small zips SOL 005 answers with (the VNFD files, the manifest).
 */

export interface ArchiveEntry {
  size: number;
  /** Reads once; the archive closes when the stream does. */
  read(range: ByteRange): Promise<Readable>;
  /** Closes the archive without reading. */
  close(): void;
}

/** The entry at `entryPath` of the zip file, or undefined when the archive has none. */
export async function archiveEntry(zipFile: string, entryPath: string): Promise<ArchiveEntry | undefined> {
  const zip = await yauzl.openPromise(zipFile, { lazyEntries: true, autoClose: false });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== entryPath) continue;
      return {
        size: entry.uncompressedSize,
        read: async (range) => {
          try {
            const stream = await zip.openReadStreamPromise(entry);
            const slice = stream.pipe(new ByteSlice(range));
            stream.on('error', (error) => slice.destroy(error));
            slice.on('close', () => {
              stream.destroy();
              zip.close();
            });
            return slice;
          } catch (error) {
            zip.close();
            throw error;
          }
        },
        close: () => zip.close(),
      };
    }
  } catch (error) {
    zip.close();
    throw error;
  }
  zip.close();
  return undefined;
}

export async function readArchiveEntry(zipFile: string, entryPath: string): Promise<Buffer | undefined> {
  const entry = await archiveEntry(zipFile, entryPath);
  if (!entry) return undefined;
  if (entry.size === 0) {
    entry.close();
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await entry.read({ start: 0, end: entry.size - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A zip holding the given files under their paths. */
export async function zipOf(files: ReadonlyArray<{ path: string; bytes: Buffer }>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addBuffer(file.bytes, file.path);
  zip.end();
  const chunks: Buffer[] = [];
  const output = zip.outputStream.pipe(new PassThrough());
  for await (const chunk of output) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Passes on the bytes of one inclusive range of what flows through it, then ends. */
class ByteSlice extends Transform {
  private position = 0;

  constructor(private readonly range: ByteRange) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const chunkStart = this.position;
    this.position += chunk.length;
    const from = Math.max(this.range.start - chunkStart, 0);
    const to = Math.min(this.range.end + 1 - chunkStart, chunk.length);
    if (to > from) this.push(chunk.subarray(from, to));
    if (this.position > this.range.end) {
      this.push(null);
    }
    done();
  }
}
