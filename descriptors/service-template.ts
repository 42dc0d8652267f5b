import { packagePath } from './checksum.js';
import { inFile, Problems, type Site } from './problems.js';
import { forgeImport, isSupportedVersion, NORMATIVE_TYPES, NORMATIVE_TYPES_FILE, SOL001_DEFINITIONS } from './sol001/catalog.js';
import { TypeRegistry } from './tosca-types.js';
import { child, itemsOf, parseYaml, scalarText, type Located, type YamlFile } from './yaml-tree.js';

/**
 * A service template and everything it imports, resolved without any network access: files of the package
 * (relative to the importing file), and the SOL 001 definitions by their well-known names or ETSI forge
 * URLs, which come from the package when it ships them and from the product otherwise.
 */
export interface TemplateDocument {
  /** The package path, or for shipped definitions `sol001:<file name>`. */
  file: string;
  fromPackage: boolean;
  root: Located;
}

export interface ServiceTemplate {
  entry: TemplateDocument;
  /** Every document loaded, entry first, in import order. */
  documents: TemplateDocument[];
  registry: TypeRegistry;
}

const TOSCA_VERSIONS = new Set(['tosca_simple_yaml_1_0', 'tosca_simple_yaml_1_1', 'tosca_simple_yaml_1_2', 'tosca_simple_yaml_1_3']);

const SHIPPED_PREFIX = 'sol001:';

/** The shipped definitions parse once per process; they are the same for every package. */
const shippedFiles = new Map<string, YamlFile>();

function shipped(name: string, text: string): YamlFile {
  let parsed = shippedFiles.get(name);
  if (!parsed) {
    const problems = new Problems();
    parsed = parseYaml(SHIPPED_PREFIX + name, Buffer.from(text, 'utf8'), problems);
    if (!parsed) throw new Error(`the shipped definitions ${name} do not parse: ${problems.errors.map((error) => error.message).join('; ')}`);
    shippedFiles.set(name, parsed);
  }
  return parsed;
}

/** A document to load: a package file or a shipped definition. */
type Source = { kind: 'package'; path: string } | { kind: 'shipped'; name: string };

export function loadServiceTemplate(entryPath: string, files: ReadonlyMap<string, Buffer>, problems: Problems): ServiceTemplate | undefined {
  const registry = new TypeRegistry();
  const normative = shipped(NORMATIVE_TYPES_FILE, NORMATIVE_TYPES);
  registry.declareFrom({ tree: normative.root, site: inFile(normative.file) }, problems);

  const loader = new ImportLoader(files, problems);
  const documents: TemplateDocument[] = [];
  const queue: Source[] = [{ kind: 'package', path: entryPath }];
  const loaded = new Set<string>();
  while (queue.length > 0) {
    const source = queue.shift();
    if (!source) break;
    const id = source.kind === 'package' ? source.path : SHIPPED_PREFIX + source.name;
    if (loaded.has(id)) continue;
    loaded.add(id);
    const document = loader.open(source);
    if (!document) continue;
    documents.push(document);
    if (!checkVersion(document, problems)) continue;
    registry.declareFrom(document.root, problems);
    for (const next of loader.importsOf(document)) queue.push(next);
  }
  const entry = documents[0];
  if (!entry || entry.file !== entryPath) return undefined;
  registry.check(problems);
  return { entry, documents, registry };
}

function checkVersion(document: TemplateDocument, problems: Problems): boolean {
  if (document.root.tree?.kind !== 'map') {
    problems.error('tosca-syntax', 'a TOSCA file is a map of sections (tosca_definitions_version, imports, ...)', document.root.site);
    return false;
  }
  const version = child(document.root, 'tosca_definitions_version');
  const text = scalarText(version.tree);
  if (text === undefined || !TOSCA_VERSIONS.has(text)) {
    problems.error('tosca-version', `tosca_definitions_version is ${text ?? 'missing'}; expected one of ${[...TOSCA_VERSIONS].join(', ')}`, version.site);
    return false;
  }
  return true;
}

class ImportLoader {
  /** Where each well-known SOL 001 file name went the first time it was imported, so that all its imports agree. */
  private readonly wellKnown = new Map<string, Source>();

  constructor(
    private readonly files: ReadonlyMap<string, Buffer>,
    private readonly problems: Problems,
  ) {}

  open(source: Source): TemplateDocument | undefined {
    if (source.kind === 'shipped') {
      const text = SOL001_DEFINITIONS.get(source.name);
      if (text === undefined) return undefined;
      const parsed = shipped(source.name, text);
      return { file: parsed.file, fromPackage: false, root: { tree: parsed.root, site: inFile(parsed.file) } };
    }
    const bytes = this.files.get(source.path);
    if (!bytes) {
      this.problems.error('entry-missing', `${source.path} is not in the package`, inFile(source.path));
      return undefined;
    }
    const parsed = parseYaml(source.path, bytes, this.problems);
    return parsed && { file: source.path, fromPackage: true, root: { tree: parsed.root, site: inFile(source.path) } };
  }

  importsOf(document: TemplateDocument): Source[] {
    const imports = child(document.root, 'imports');
    const sources: Source[] = [];
    for (const item of imports.tree?.kind === 'seq' ? itemsOf(imports) : []) {
      const spec = importSpec(item);
      if (!spec) {
        this.problems.error('tosca-syntax', 'an import is a file name, a URL, or a map with "file:"', item.site);
        continue;
      }
      const source = this.resolve(document, spec.file, spec.repository, item.site);
      if (source) sources.push(source);
    }
    if (imports.tree !== undefined && imports.tree.kind !== 'seq' && !(imports.tree.kind === 'scalar' && imports.tree.value === null)) {
      this.problems.error('tosca-syntax', 'imports is a list', imports.site);
    }
    return sources;
  }

  private resolve(from: TemplateDocument, file: string, repository: string | undefined, site: Site): Source | undefined {
    const directory = from.fromPackage ? from.file.split('/').slice(0, -1).join('/') : '';
    if (repository !== undefined) {
      this.problems.error('import-unresolved', `${file} is imported from the repository ${repository}; repositories are not fetched, ship the file in the package`, site);
      return undefined;
    }
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(file)) {
      const forge = forgeImport(file);
      if (!forge || !SOL001_DEFINITIONS.has(forge.fileName)) {
        this.problems.error('import-unresolved', `${file} is a URL; nothing is fetched from the network, so ship the file in the package`, site);
        return undefined;
      }
      if (!isSupportedVersion(forge.version)) {
        this.problems.error('import-unsupported-version', `${file} names SOL 001 v${forge.version.join('.')}; definitions from v2.6.1 on are supported`, site);
        return undefined;
      }
      return this.wellKnownFile(forge.fileName, from.fromPackage ? packagePath(forge.fileName, directory) : undefined);
    }
    if (!from.fromPackage) return this.wellKnownFile(file.split('/').pop() ?? file, undefined);
    const path = packagePath(file, directory);
    if (path === undefined) {
      this.problems.error('import-outside-package', `${file} climbs out of the package`, site);
      return undefined;
    }
    const name = path.split('/').pop() ?? path;
    if (SOL001_DEFINITIONS.has(name)) return this.wellKnownFile(name, path);
    if (this.files.has(path)) return { kind: 'package', path };
    this.problems.error('import-unresolved', `${file} is not in the package (looked for ${path})`, site);
    return undefined;
  }

  /** A SOL 001 file: the package's copy when it ships one next to the importer, else ours. */
  private wellKnownFile(name: string, packageCandidate: string | undefined): Source {
    const earlier = this.wellKnown.get(name);
    if (earlier) return earlier;
    const source: Source =
      packageCandidate !== undefined && this.files.has(packageCandidate) ? { kind: 'package', path: packageCandidate } : { kind: 'shipped', name };
    this.wellKnown.set(name, source);
    return source;
  }
}

/** `- file.yaml`, `- { file: file.yaml, repository: r }`, or the TOSCA 1.0 form `- name: file.yaml`. */
function importSpec(item: Located): { file: string; repository: string | undefined } | undefined {
  const tree = item.tree;
  if (tree?.kind === 'scalar') {
    const file = scalarText(tree);
    return file === undefined ? undefined : { file, repository: undefined };
  }
  if (tree?.kind !== 'map') return undefined;
  const file = scalarText(child(item, 'file').tree);
  if (file !== undefined) return { file, repository: scalarText(child(item, 'repository').tree) };
  if (tree.entries.size === 1) {
    const [name] = tree.entries.keys();
    return name === undefined ? undefined : importSpec(child(item, name));
  }
  return undefined;
}
