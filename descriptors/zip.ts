import zlib from 'node:zlib';
import yauzl from 'yauzl';
import type { CsarLimits } from './model.js';
import type { DescriptorErrorCode, Problems } from './problems.js';

/**
 * Reads a zip archive from memory, defensively: nothing is written to disk, and nothing is trusted that the
 * archive says about itself. Names are checked here (yauzl's own checks would only give a generic error),
 * sizes are counted on the inflated bytes while they stream, and the limits bound the memory a read can take.
 */
export interface ZipContents {
  /** Inflated files by normalized name, in archive order. */
  files: Map<string, Buffer>;
  /** Directory names (without the trailing slash), declared or implied by a file inside them. */
  directories: Set<string>;
}

/** Ratios are only meaningful on large outputs: below this many bytes an entry never counts as a bomb. */
const RATIO_FLOOR_BYTES = 1024 * 1024;

const STORED = 0;
const DEFLATE = 8;

/** The file type bits of a unix mode (`externalFileAttributes >>> 16`), as `stat` knows them. */
const UNIX_FILE_TYPES: ReadonlyMap<number, { code: DescriptorErrorCode; what: string } | undefined> = new Map([
  [0o100000, undefined], // regular file
  [0o040000, undefined], // directory
  [0o120000, { code: 'zip-symlink', what: 'a symbolic link' }],
  [0o010000, { code: 'zip-special-file', what: 'a named pipe' }],
  [0o020000, { code: 'zip-special-file', what: 'a character device' }],
  [0o060000, { code: 'zip-special-file', what: 'a block device' }],
  [0o140000, { code: 'zip-special-file', what: 'a socket' }],
]);

export async function readZip(zip: Buffer, limits: CsarLimits, problems: Problems): Promise<ZipContents | undefined> {
  let archive: yauzl.ZipFile;
  try {
    archive = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false, strictFileNames: true });
  } catch (error) {
    problems.error('zip-invalid', `not a readable zip archive: ${reason(error)}`);
    return undefined;
  }
  if (archive.entryCount > limits.maxEntries) {
    problems.error('zip-too-many-entries', `the archive has ${archive.entryCount} entries; at most ${limits.maxEntries} are allowed`);
    archive.close();
    return undefined;
  }
  const reader = new EntryReader(archive, zip.length, limits, problems);
  try {
    for await (const entry of archive.eachEntry()) {
      if (!(await reader.read(entry))) break;
    }
  } catch (error) {
    const message = reason(error);
    problems.error(/encrypt/i.test(message) ? 'zip-encrypted' : 'zip-invalid', `the archive cannot be read: ${message}`);
  } finally {
    if (archive.isOpen) archive.close();
  }
  return problems.failed ? undefined : { files: reader.files, directories: reader.directories };
}

class EntryReader {
  readonly files = new Map<string, Buffer>();
  readonly directories = new Set<string>();
  private readonly names = new Set<string>();
  private totalBytes = 0;

  constructor(
    private readonly archive: yauzl.ZipFile,
    private readonly archiveBytes: number,
    private readonly limits: CsarLimits,
    private readonly problems: Problems,
  ) {}

  /** Reads one entry; false once the archive is refused (reading further would only spend memory). */
  async read(entry: yauzl.Entry): Promise<boolean> {
    const raw = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
    const name = this.checkName(raw);
    if (name === undefined) return false;
    const isDirectory = raw.endsWith('/');
    const fileType = UNIX_FILE_TYPES.get((entry.externalFileAttributes >>> 16) & 0o170000);
    if (fileType) return this.refuse(fileType.code, `"${raw}" is ${fileType.what}; packages may only hold regular files`);
    if (this.names.has(name)) return this.refuse('zip-duplicate-name', `"${raw}" appears more than once in the archive`);
    this.names.add(name);
    this.addParents(name);
    if (isDirectory) {
      this.directories.add(name);
      return true;
    }
    if (entry.isEncrypted()) return this.refuse('zip-encrypted', `"${raw}" is encrypted; packages must not be`);
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATE) {
      return this.refuse('zip-unsupported-compression', `"${raw}" uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are read`);
    }
    if (!this.withinLimits(raw, entry.uncompressedSize, entry.compressedSize, this.totalBytes + entry.uncompressedSize)) return false;
    const bytes = await this.inflate(entry, raw);
    if (bytes === undefined) return false;
    this.files.set(name, bytes);
    return true;
  }

  /** The declared sizes first (a cheap early refusal), then the same rules on the bytes actually inflated. */
  private withinLimits(raw: string, entryBytes: number, compressedBytes: number, totalBytes: number): boolean {
    const { maxEntryUncompressedBytes, maxTotalUncompressedBytes, maxCompressionRatio } = this.limits;
    if (entryBytes > maxEntryUncompressedBytes) {
      return this.refuse('zip-entry-too-large', `"${raw}" inflates to more than ${maxEntryUncompressedBytes} bytes`);
    }
    if (totalBytes > maxTotalUncompressedBytes) {
      return this.refuse('zip-too-large', `the archive inflates to more than ${maxTotalUncompressedBytes} bytes`);
    }
    if (entryBytes > Math.max(RATIO_FLOOR_BYTES, compressedBytes * maxCompressionRatio)) {
      return this.refuse('zip-ratio', `"${raw}" inflates more than ${maxCompressionRatio} times its compressed size`);
    }
    if (totalBytes > Math.max(RATIO_FLOOR_BYTES, this.archiveBytes * maxCompressionRatio)) {
      return this.refuse('zip-ratio', `the archive inflates more than ${maxCompressionRatio} times its size`);
    }
    return true;
  }

  private async inflate(entry: yauzl.Entry, raw: string): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let count = 0;
    let crc = 0;
    let stream;
    try {
      stream = await this.archive.openReadStreamPromise(entry);
    } catch (error) {
      this.refuse('zip-invalid', `"${raw}" cannot be read: ${reason(error)}`);
      return undefined;
    }
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        count += chunk.length;
        if (!this.withinLimits(raw, count, entry.compressedSize, this.totalBytes + count)) {
          stream.destroy();
          return undefined;
        }
        if (count > entry.uncompressedSize) {
          stream.destroy();
          this.refuse('zip-size-mismatch', `"${raw}" inflates to more than the ${entry.uncompressedSize} bytes its header declares`);
          return undefined;
        }
        crc = zlib.crc32(chunk, crc);
        chunks.push(chunk);
      }
    } catch (error) {
      this.refuse('zip-invalid', `"${raw}" cannot be inflated: ${reason(error)}`);
      return undefined;
    }
    if (count !== entry.uncompressedSize) {
      this.refuse('zip-size-mismatch', `"${raw}" inflates to ${count} bytes but its header declares ${entry.uncompressedSize}`);
      return undefined;
    }
    if (crc !== entry.crc32) {
      this.refuse('zip-crc-mismatch', `"${raw}" does not match its CRC-32; the archive is damaged`);
      return undefined;
    }
    this.totalBytes += count;
    return Buffer.concat(chunks, count);
  }

  /** The normalized name, or undefined (with the problem) when the name is refused. */
  private checkName(raw: string): string | undefined {
    if (raw === '' || /[\u0000-\u001f\u007f]/.test(raw)) {
      this.refuse('zip-bad-name', `entry name ${JSON.stringify(raw)} is empty or has control characters`);
      return undefined;
    }
    if (raw.startsWith('/') || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw)) {
      this.refuse('zip-absolute-path', `entry name "${raw}" is an absolute path`);
      return undefined;
    }
    if (raw.split(/[/\\]/).includes('..')) {
      this.refuse('zip-path-traversal', `entry name "${raw}" climbs out of the archive with ".."`);
      return undefined;
    }
    if (raw.includes('\\')) {
      this.refuse('zip-bad-name', `entry name "${raw}" has a backslash; zip names separate folders with "/"`);
      return undefined;
    }
    return raw
      .split('/')
      .filter((segment) => segment !== '' && segment !== '.')
      .join('/');
  }

  private addParents(name: string): void {
    const segments = name.split('/');
    for (let end = 1; end < segments.length; end++) this.directories.add(segments.slice(0, end).join('/'));
  }

  private refuse(code: DescriptorErrorCode, message: string): false {
    this.problems.error(code, message);
    return false;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
