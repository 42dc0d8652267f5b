/**
 * Builds the example packages from their source folders: each VNF package (SOL 004 CSAR with TOSCA-Metadata)
 * gets its manifest's SHA-256 hashes computed here and is zipped in memory; the NSD is built as an NSD archive.
 *
 *   npm run examples:build -- <output dir>      writes vfw.zip, vlb.zip, dpi.zip, web-chain.zip
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeZip, type ArchiveEntry } from './archive.js';

export const EXAMPLE_VNF_PACKAGES = ['vfw', 'vlb', 'dpi'] as const;
export type ExampleVnfPackage = (typeof EXAMPLE_VNF_PACKAGES)[number];
export const EXAMPLE_NSD = 'web-chain';

/** The files of a package, by their path inside it, in the order they go into the archive. */
export type PackageFiles = Map<string, Buffer>;

const EXAMPLES_DIR = path.dirname(fileURLToPath(import.meta.url));
const IMAGES_DIR = 'Files/images/';

/** The files of an example's source folder, sorted by path, TOSCA-Metadata first (SOL 004 wants it early). */
export async function readSourceFiles(example: string): Promise<PackageFiles> {
  const root = path.join(EXAMPLES_DIR, example);
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort((a, b) => Number(!a.startsWith('TOSCA-Metadata/')) - Number(!b.startsWith('TOSCA-Metadata/')) || a.localeCompare(b));
  const files: PackageFiles = new Map();
  for (const file of paths) files.set(file, await fs.readFile(path.join(root, file)));
  return files;
}

/** The keys of a TOSCA.meta block (`Key: value` lines). */
export function toscaMetaKeys(files: PackageFiles): Map<string, string> {
  const meta = files.get('TOSCA-Metadata/TOSCA.meta');
  if (!meta) throw new Error('the package has no TOSCA-Metadata/TOSCA.meta');
  const keys = new Map<string, string>();
  for (const line of meta.toString('utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) keys.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return keys;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The package with its manifest completed: the source manifest holds the metadata block, and every other file
 * of the package gets its `Source` / `Algorithm` / `Hash` block (SOL 004 clause 4.3.2), from the bytes that go
 * into the archive.
 */
export function sealWithManifest(files: PackageFiles): PackageFiles {
  const manifestPath = toscaMetaKeys(files).get('ETSI-Entry-Manifest');
  const metadata = manifestPath === undefined ? undefined : files.get(manifestPath);
  if (manifestPath === undefined || metadata === undefined) throw new Error('the package names no manifest it carries');
  const blocks = [...files]
    .filter(([file]) => file !== manifestPath)
    .map(([file, bytes]) => `Source: ${file}\nAlgorithm: SHA-256\nHash: ${sha256(bytes)}\n`);
  const sealed: PackageFiles = new Map(files);
  sealed.set(manifestPath, Buffer.from(`${metadata.toString('utf8').trimEnd()}\n\n${blocks.join('\n')}`));
  return sealed;
}

/**
 * The CSAR zip of these files, and of entries written as given (see `writeZip` for hostile names). Images are
 * stored, as an image in a real package is already compressed.
 */
export function zipPackage(files: PackageFiles, extraEntries: readonly ArchiveEntry[] = [], hostileNames?: ReadonlyMap<string, string>): Promise<Buffer> {
  const entries: ArchiveEntry[] = [...files].map(([file, bytes]) => ({ path: file, bytes, compress: !file.startsWith(IMAGES_DIR) }));
  return writeZip([...entries, ...extraEntries], hostileNames);
}

/** Replaces text in one file of the package, `count` times exactly (a silent miss would build the wrong variant). */
export function replaceText(files: PackageFiles, file: string, from: string | RegExp, to: string, count = 1): void {
  const text = files.get(file)?.toString('utf8');
  if (text === undefined) throw new Error(`no ${file} in the package`);
  const pattern = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`);
  const found = text.match(pattern)?.length ?? 0;
  if (found !== count) throw new Error(`${String(from)} occurs ${found} times in ${file}, expected ${count}`);
  files.set(file, Buffer.from(text.replace(pattern, to)));
}

/** What distinguishes a rebuilt example from the original: another VNFD id, another software image. */
export interface PackageVariation {
  vnfdId?: string;
  image?: Buffer;
}

/** The descriptor files of a package (its TOSCA YAML). */
export function definitionFiles(files: PackageFiles): string[] {
  return [...files.keys()].filter((file) => file.startsWith('Definitions/') && file.endsWith('.yaml'));
}

/** An example VNF package's files, varied as asked, before its manifest is sealed. */
export async function vnfPackageFiles(example: ExampleVnfPackage, variation: PackageVariation = {}): Promise<PackageFiles> {
  const files = await readSourceFiles(example);
  const originalId = vnfdIdOf(files);
  if (variation.vnfdId !== undefined) {
    for (const file of definitionFiles(files)) {
      const occurrences = files.get(file)?.toString('utf8').split(originalId).length ?? 1;
      if (occurrences > 1) replaceText(files, file, originalId, variation.vnfdId, occurrences - 1);
    }
  }
  if (variation.image !== undefined) {
    const imagePath = [...files.keys()].find((file) => file.startsWith(IMAGES_DIR));
    const originalImage = imagePath === undefined ? undefined : files.get(imagePath);
    if (imagePath === undefined || originalImage === undefined) throw new Error(`${example} carries no image`);
    const flavour = definitionFiles(files).find((file) => files.get(file)?.includes(sha256(originalImage)));
    if (flavour === undefined) throw new Error(`no descriptor of ${example} names its image's checksum`);
    files.set(imagePath, variation.image);
    replaceText(files, flavour, sha256(originalImage), sha256(variation.image));
    replaceText(files, flavour, `size: ${originalImage.length} B`, `size: ${variation.image.length} B`);
  }
  return files;
}

/** The VNFD id an example declares (the `descriptor_id` of its top-level VNF node). */
export function vnfdIdOf(files: PackageFiles): string {
  const entry = toscaMetaKeys(files).get('Entry-Definitions');
  const match = entry === undefined ? null : /descriptor_id: ([0-9a-f-]{36})/.exec(files.get(entry)?.toString('utf8') ?? '');
  if (!match?.[1]) throw new Error('the entry definitions declare no descriptor_id');
  return match[1];
}

/** One example VNF package as a CSAR zip. */
export async function buildVnfPackage(example: ExampleVnfPackage, variation: PackageVariation = {}): Promise<Buffer> {
  return zipPackage(sealWithManifest(await vnfPackageFiles(example, variation)));
}

/**
 * The files of the web chain's NSD archive (SOL 007 layout: TOSCA-Metadata, Definitions, manifest). The NSD
 * uses each VNF's own node type, as SOL 001 intends, so the archive carries the VNF packages' types files.
 */
export async function nsdArchiveFiles(): Promise<PackageFiles> {
  const files = await readSourceFiles(EXAMPLE_NSD);
  for (const example of EXAMPLE_VNF_PACKAGES) {
    const types = `Definitions/${example}_types.yaml`;
    const bytes = (await readSourceFiles(example)).get(types);
    if (bytes === undefined) throw new Error(`${example} has no ${types}`);
    files.set(types, bytes);
  }
  return files;
}

/** The NSD archive of the web chain. */
export async function buildNsdArchive(): Promise<Buffer> {
  return zipPackage(sealWithManifest(await nsdArchiveFiles()));
}

/** Every example, by the file name it is written under: `vfw.zip`, `vlb.zip`, `dpi.zip`, `web-chain.zip`. */
export async function buildExamplePackages(): Promise<Map<string, Buffer>> {
  const built = new Map<string, Buffer>();
  for (const example of EXAMPLE_VNF_PACKAGES) built.set(`${example}.zip`, await buildVnfPackage(example));
  built.set(`${EXAMPLE_NSD}.zip`, await buildNsdArchive());
  return built;
}

async function main(outputDir: string | undefined): Promise<void> {
  if (!outputDir) {
    console.error('usage: npm run examples:build -- <output dir>');
    process.exit(2);
  }
  await fs.mkdir(outputDir, { recursive: true });
  for (const [name, bytes] of await buildExamplePackages()) {
    await fs.writeFile(path.join(outputDir, name), bytes);
    console.log(`${path.join(outputDir, name)} (${bytes.length} bytes)`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(process.argv[2]);
}
