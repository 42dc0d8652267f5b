/**
 * Zip writing for the example packages and their broken variants: reproducible archives (fixed timestamps,
 * entries in the order given), and the hostile entries a defensive reader must refuse.
 */
import yazl from 'yazl';

export interface ArchiveEntry {
  path: string;
  bytes: Buffer;
  /** Deflate the entry (default); software images are stored, as they are already compressed. */
  compress?: boolean;
  /** Unix mode bits, e.g. `0o120777` for a symbolic link whose target is `bytes`. */
  mode?: number;
}

/** Every archive gets this timestamp, so that building twice gives the same bytes. */
const ARCHIVE_TIME = new Date('2024-01-15T10:00:00Z');

/**
 * The zip of these entries. yazl refuses names with `..` or a leading `/`, as any honest writer does, so such
 * names are given in `hostileNames` (placeholder -> real name of the same length) and patched into the
 * finished bytes: a name is stored in the local header and the central directory, and no CRC covers it.
 */
export async function writeZip(entries: readonly ArchiveEntry[], hostileNames: ReadonlyMap<string, string> = new Map()): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    zip.addBuffer(entry.bytes, entry.path, {
      mtime: ARCHIVE_TIME,
      compress: entry.compress ?? true,
      ...(entry.mode === undefined ? {} : { mode: entry.mode }),
    });
  }
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
  zip.end();
  const bytes = await finished;
  for (const [placeholder, name] of hostileNames) replaceAll(bytes, placeholder, name);
  return bytes;
}

function replaceAll(bytes: Buffer, placeholder: string, name: string): void {
  const from = Buffer.from(placeholder);
  const to = Buffer.from(name);
  if (from.length !== to.length) throw new Error(`a hostile name must keep the placeholder's length: ${placeholder} -> ${name}`);
  let found = 0;
  for (let at = bytes.indexOf(from); at !== -1; at = bytes.indexOf(from, at + to.length)) {
    to.copy(bytes, at);
    found += 1;
  }
  // Once in the local header, once in the central directory: anything else would be a placeholder that
  // also occurs in a stored entry's bytes.
  if (found !== 2) throw new Error(`placeholder ${placeholder} found ${found} times, expected 2`);
}
