import type { HashClaim } from './checksum.js';
import { inFile, type Problems } from './problems.js';

/**
 * TOSCA-Metadata/TOSCA.meta (TOSCA 1.0 clause 16, SOL 004 clause 4.2): blocks of `Key: value` lines separated
 * by blank lines. Block 0 describes the package; later blocks (`Name:` with `Algorithm:`/`Hash:`) may carry
 * hashes of artifacts, which some tools write there instead of in the manifest.
 */
export const TOSCA_META_PATH = 'TOSCA-Metadata/TOSCA.meta';

/** The package files TOSCA.meta points at, each by the key (or its older spelling) that names it. */
export interface MetaEntries {
  entryDefinitions?: string;
  manifest?: string;
  changeLog?: string;
  licenses?: string;
  certificate?: string;
  tests?: string;
}

interface KnownKey {
  key: string;
  /** The spelling of SOL 004 editors before the ETSI- prefix. */
  older?: string;
  required?: boolean;
  versions?: readonly string[];
  /** The file (or, with `folder`, the folder) the key names. */
  entry?: keyof MetaEntries;
  folder?: boolean;
}

/** The keys of block 0 this reader knows, declared once: what is required, what names a file. */
const KNOWN_KEYS: readonly KnownKey[] = [
  { key: 'TOSCA-Meta-File-Version', required: true, versions: ['1.0', '1.1'] },
  { key: 'CSAR-Version', required: true, versions: ['1.0', '1.1', '2.0'] },
  { key: 'Created-By', required: true },
  { key: 'Entry-Definitions', required: true, entry: 'entryDefinitions' },
  { key: 'ETSI-Entry-Manifest', older: 'Entry-Manifest', entry: 'manifest' },
  { key: 'ETSI-Entry-Change-Log', older: 'Entry-Change-Log', entry: 'changeLog' },
  { key: 'ETSI-Entry-Licenses', older: 'Entry-Licenses', entry: 'licenses', folder: true },
  { key: 'ETSI-Entry-Certificate', older: 'Entry-Certificate', entry: 'certificate' },
  { key: 'ETSI-Entry-Tests', older: 'Entry-Tests', entry: 'tests', folder: true },
  { key: 'Other-Definitions' },
];

const CANONICAL = new Map<string, string>(
  KNOWN_KEYS.flatMap((known) => [known.key, ...(known.older === undefined ? [] : [known.older])].map((name): [string, string] => [name.toLowerCase(), name])),
);

export interface ToscaMeta {
  /** Block 0 as written, with the known keys in their canonical spelling (`Created-by` reads as `Created-By`). */
  keys: Record<string, string>;
  hashClaims: HashClaim[];
  /** The line each key of block 0 is on. */
  lines: Map<string, number>;
}

/** A `Key: value` line, or undefined when the line has no colon after a key. */
export function splitKeyValue(line: string): { key: string; value: string } | undefined {
  const match = /^([A-Za-z0-9_.-]+)\s*:\s?(.*)$/.exec(line);
  return match ? { key: match[1] ?? '', value: (match[2] ?? '').trim() } : undefined;
}

export function parseToscaMeta(bytes: Buffer, problems: Problems): ToscaMeta {
  const file = TOSCA_META_PATH;
  const blocks: Array<Array<{ key: string; value: string; line: number }>> = [[]];
  const lines = bytes.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((text, index) => {
    const line = index + 1;
    const current = blocks[blocks.length - 1] ?? [];
    if (text.trim() === '') {
      if (current.length > 0) blocks.push([]);
      return;
    }
    const last = current[current.length - 1];
    if (text.startsWith(' ') && last) {
      // A continuation line (the JAR manifest convention TOSCA.meta inherits).
      last.value += text.slice(1);
      return;
    }
    const pair = splitKeyValue(text);
    if (!pair) {
      problems.error('tosca-meta-syntax', `line ${line} is not "Key: value": ${JSON.stringify(text.slice(0, 80))}`, inFile(file, { line, column: 1 }));
      return;
    }
    current.push({ ...pair, line });
  });

  const keys: Record<string, string> = {};
  const keyLines = new Map<string, number>();
  for (const { key, value, line } of blocks[0] ?? []) {
    const canonical = CANONICAL.get(key.toLowerCase()) ?? key;
    keys[canonical] = value;
    keyLines.set(canonical, line);
  }
  const hashClaims: HashClaim[] = [];
  for (const block of blocks.slice(1)) {
    const field = (name: string) => block.find((entry) => entry.key.toLowerCase() === name.toLowerCase());
    const name = field('Name');
    const algorithm = field('Algorithm');
    const hash = field('Hash');
    if (name && algorithm && hash) {
      hashClaims.push({ source: name.value, algorithm: algorithm.value, hash: hash.value, site: inFile(file, { line: name.line, column: 1 }), claimant: 'TOSCA.meta' });
    }
  }
  return { keys, hashClaims, lines: keyLines };
}

/**
 * Checks block 0: the required keys, the versions, and that every file (or folder) a key names is in the
 * package. Answers the entries that exist.
 */
export function checkToscaMeta(meta: ToscaMeta, exists: (path: string, folder: boolean) => boolean, problems: Problems): MetaEntries {
  const file = TOSCA_META_PATH;
  const entries: MetaEntries = {};
  for (const known of KNOWN_KEYS) {
    const writtenAs = [known.key, known.older].find((name) => name !== undefined && meta.keys[name] !== undefined);
    const value = writtenAs === undefined ? undefined : meta.keys[writtenAs];
    if (writtenAs === undefined || value === undefined) {
      if (known.required) problems.error('tosca-meta-missing-key', `TOSCA.meta has no "${known.key}" key, which SOL 004 requires`, inFile(file));
      continue;
    }
    const line = meta.lines.get(writtenAs);
    const site = inFile(file, line === undefined ? undefined : { line, column: 1 });
    if (known.versions && !known.versions.includes(value)) {
      problems.error('tosca-meta-version', `${known.key} is ${value}; this reader knows ${known.versions.join(', ')}`, site);
    }
    if (known.entry === undefined || value === '') continue;
    const path = value.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (exists(path, known.folder === true)) entries[known.entry] = path;
    else problems.error('entry-missing', `${writtenAs} names ${value}, which is not in the package`, site);
  }
  return entries;
}
