import { createHash } from 'node:crypto';
import yazl from 'yazl';

/**
 * Zip archives built in memory for tests, and byte patches that make them hostile in the ways yazl itself
 * refuses to write (names with "..", absolute names, lying headers, encryption flags).
 */
export interface ZipEntry {
  name: string;
  data?: string | Buffer;
  /** Unix mode with its file type bits, e.g. 0o120777 for a symbolic link. */
  mode?: number;
  /** Deflate (the default) or store. */
  compress?: boolean;
  directory?: boolean;
}

export type ZipFiles = Readonly<Record<string, string | Buffer>>;

/** A zip of the entries in order; a record is read as file name to content. */
export async function buildZip(entries: ReadonlyArray<ZipEntry> | ZipFiles): Promise<Buffer> {
  const list: ReadonlyArray<ZipEntry> = Array.isArray(entries) ? entries : Object.entries(entries).map(([name, data]) => ({ name, data }));
  const zip = new yazl.ZipFile();
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const entry of list) {
    if (entry.directory) {
      zip.addEmptyDirectory(entry.name, { mtime });
      continue;
    }
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : (entry.data ?? Buffer.alloc(0));
    zip.addBuffer(data, entry.name, { mtime, compress: entry.compress ?? true, ...(entry.mode === undefined ? {} : { mode: entry.mode }) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** One entry of the central directory and where its headers are. */
interface EntryHeaders {
  name: string;
  central: number;
  local: number;
}

const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;

function entryHeaders(zip: Buffer): EntryHeaders[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_SIGNATURE) end--;
  if (end < 0) throw new Error('no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const headers: EntryHeaders[] = [];
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_SIGNATURE) throw new Error('bad central directory');
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    headers.push({ name: zip.toString('utf8', offset + 46, offset + 46 + nameLength), central: offset, local: zip.readUInt32LE(offset + 42) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return headers;
}

function headersOf(zip: Buffer, name: string): EntryHeaders {
  const found = entryHeaders(zip).find((entry) => entry.name === name);
  if (!found) throw new Error(`no entry ${name}`);
  return found;
}

/** Renames an entry in both its headers; the new name must have the same length in bytes. */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  const bytes = Buffer.from(to, 'utf8');
  if (bytes.length !== Buffer.byteLength(from)) throw new Error('renameEntry keeps the length of the name');
  const patched = Buffer.from(zip);
  const { central, local } = headersOf(patched, from);
  bytes.copy(patched, central + 46);
  bytes.copy(patched, local + 30);
  return patched;
}

/** Field offsets in the central directory header and in the local header. */
const FIELDS = {
  flags: { central: 8, local: 6, bytes: 2 },
  method: { central: 10, local: 8, bytes: 2 },
  crc32: { central: 16, local: 14, bytes: 4 },
  uncompressedSize: { central: 24, local: 22, bytes: 4 },
  externalAttributes: { central: 38, local: undefined, bytes: 4 },
} as const;

/** Overwrites header fields of one entry (in both headers where the field exists). */
export function patchEntry(zip: Buffer, name: string, fields: Partial<Record<keyof typeof FIELDS, number>>): Buffer {
  const patched = Buffer.from(zip);
  const { central, local } = headersOf(patched, name);
  for (const [field, value] of Object.entries(fields) as Array<[keyof typeof FIELDS, number]>) {
    const spec = FIELDS[field];
    for (const offset of [central + spec.central, spec.local === undefined ? undefined : local + spec.local]) {
      if (offset === undefined) continue;
      if (spec.bytes === 2) patched.writeUInt16LE(value, offset);
      else patched.writeUInt32LE(value >>> 0, offset);
    }
  }
  return patched;
}

export const sha = (algorithm: 'sha256' | 'sha384' | 'sha512', data: string | Buffer): string => createHash(algorithm).update(data).digest('hex');
