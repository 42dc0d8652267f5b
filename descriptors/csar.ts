import { verifyHashClaims, type HashAlgorithm, type HashClaim } from './checksum.js';
import { checkManifestMetadata, parseManifest } from './manifest.js';
import type { CsarLimits, Manifest } from './model.js';
import { inFile, type Problems } from './problems.js';
import { checkToscaMeta, parseToscaMeta, TOSCA_META_PATH } from './tosca-meta.js';
import { child, entriesOf, parseYaml, scalarText } from './yaml-tree.js';
import { readZip } from './zip.js';

/**
 * A SOL 004 CSAR: the zip read defensively, its layout (TOSCA-Metadata/TOSCA.meta, or one YAML file at the
 * root whose `metadata:` describes the package), and its manifest with every hash checked.
 */
export interface Csar {
  files: Map<string, Buffer>;
  /** TOSCA.meta block 0, or the root YAML's `metadata:`. */
  toscaMeta: Record<string, string>;
  entryDefinitions: string;
  manifest: Manifest | undefined;
  /** Files that describe the package rather than belong to it (TOSCA.meta, manifest, certificate...). */
  metadataFiles: Set<string>;
  /** The checksum each hashed file was verified against. */
  verified: Map<string, { algorithm: HashAlgorithm; hash: string }>;
}

/** Which manifest metadata names SOL 004 asks for, by what the package holds. */
export type PackageKind = { metadataNames: readonly string[] };

/** In a package without TOSCA-Metadata, the root YAML's metadata must name the template. */
const ROOT_METADATA_KEYS = ['template_name', 'template_version'] as const;

export async function readCsar(zip: Buffer, limits: CsarLimits, kind: PackageKind, problems: Problems): Promise<Csar | undefined> {
  const contents = await readZip(zip, limits, problems);
  if (!contents) return undefined;
  const { files, directories } = contents;
  const layout = files.has(TOSCA_META_PATH) ? withToscaMeta(files, directories, problems) : withoutToscaMeta(files, problems);
  if (!layout) return undefined;

  let manifest: Manifest | undefined;
  const claims: HashClaim[] = [...layout.hashClaims];
  const manifestBytes = layout.manifestPath === undefined ? undefined : files.get(layout.manifestPath);
  if (layout.manifestPath !== undefined && manifestBytes) {
    const parsed = parseManifest(layout.manifestPath, manifestBytes, problems);
    manifest = parsed.manifest;
    claims.push(...parsed.hashClaims);
    checkManifestMetadata(parsed.manifest, kind.metadataNames, problems);
  } else if (!problems.failed) {
    problems.warn('manifest-absent', 'the package has no manifest; its files are not checked against hashes', inFile(layout.entryDefinitions));
  }
  const verified = verifyHashClaims(claims, files, problems);
  if (problems.failed) return undefined;
  return { files, toscaMeta: layout.toscaMeta, entryDefinitions: layout.entryDefinitions, manifest, metadataFiles: layout.metadataFiles, verified };
}

interface Layout {
  toscaMeta: Record<string, string>;
  entryDefinitions: string;
  manifestPath: string | undefined;
  hashClaims: HashClaim[];
  metadataFiles: Set<string>;
}

function withToscaMeta(files: ReadonlyMap<string, Buffer>, directories: ReadonlySet<string>, problems: Problems): Layout | undefined {
  const meta = parseToscaMeta(files.get(TOSCA_META_PATH) ?? Buffer.alloc(0), problems);
  const exists = (path: string, folder: boolean) => files.has(path) || (folder && directories.has(path));
  const entries = checkToscaMeta(meta, exists, problems);
  if (problems.failed || entries.entryDefinitions === undefined) return undefined;
  const metadataFiles = new Set([TOSCA_META_PATH]);
  for (const path of [entries.manifest, entries.certificate]) if (path !== undefined) metadataFiles.add(path);
  return { toscaMeta: meta.keys, entryDefinitions: entries.entryDefinitions, manifestPath: entries.manifest, hashClaims: meta.hashClaims, metadataFiles };
}

/** SOL 004 clause 4.3.1: one YAML file at the root; the manifest (and certificate) share its base name. */
function withoutToscaMeta(files: ReadonlyMap<string, Buffer>, problems: Problems): Layout | undefined {
  const rootYaml = [...files.keys()].filter((path) => !path.includes('/') && /\.ya?ml$/i.test(path));
  if (rootYaml.length !== 1) {
    problems.error(
      'entry-definitions-ambiguous',
      rootYaml.length === 0
        ? `the package has neither ${TOSCA_META_PATH} nor a YAML file at its root`
        : `without ${TOSCA_META_PATH} the root must hold one YAML file; it holds ${rootYaml.join(', ')}`,
    );
    return undefined;
  }
  const entryDefinitions = rootYaml[0] ?? '';
  const parsed = parseYaml(entryDefinitions, files.get(entryDefinitions) ?? Buffer.alloc(0), problems);
  if (!parsed) return undefined;
  const metadata = child({ tree: parsed.root, site: inFile(entryDefinitions) }, 'metadata');
  const toscaMeta: Record<string, string> = {};
  for (const [key, value] of entriesOf(metadata)) {
    const text = scalarText(value.tree);
    if (text !== undefined) toscaMeta[key] = text;
  }
  for (const key of ROOT_METADATA_KEYS) {
    if (toscaMeta[key] === undefined) {
      problems.error('entry-metadata-missing-key', `${entryDefinitions} has no metadata.${key}, which a package without TOSCA-Metadata needs`, metadata.site);
    }
  }
  const baseName = entryDefinitions.replace(/\.ya?ml$/i, '');
  const manifestPath = files.has(`${baseName}.mf`) ? `${baseName}.mf` : undefined;
  const metadataFiles = new Set([`${baseName}.mf`, `${baseName}.cert`].filter((path) => files.has(path)));
  return problems.failed ? undefined : { toscaMeta, entryDefinitions, manifestPath, hashClaims: [], metadataFiles };
}
