import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { type PathSegment, type Position, type Problems, type Site } from './problems.js';

/**
 * YAML read into a small tree that remembers where every node was written, so that every problem found later
 * can name its file, line and column. Aliases share the node they point at (never copied), which keeps
 * "billion laughs" documents as small as their text.
 */
export type Tree = MapTree | SeqTree | ScalarTree;

export interface MapTree {
  kind: 'map';
  at: Position;
  entries: Map<string, Tree>;
  /** Where each key was written. */
  keys: Map<string, Position>;
}

export interface SeqTree {
  kind: 'seq';
  at: Position;
  items: Tree[];
}

export interface ScalarTree {
  kind: 'scalar';
  at: Position;
  value: string | number | boolean | null;
  /** The scalar as written (`1.0` stays `1.0`). */
  text: string;
}

export interface YamlFile {
  file: string;
  root: Tree;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses one YAML file; syntax errors become `yaml-syntax` problems with their position. */
export function parseYaml(file: string, bytes: Buffer, problems: Problems): YamlFile | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    problems.error('encoding', 'the file is not valid UTF-8 text', { file, path: [], at: undefined });
    return undefined;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, schema: 'core' });
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: col };
  };
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      problems.error('yaml-syntax', firstLine(error.message), { file, path: [], at: positionOf(error.pos[0]) });
    }
    return undefined;
  }
  const builder = new TreeBuilder(document, positionOf);
  const root = builder.build(document.contents, { line: 1, column: 1 });
  if (builder.recursiveAlias) {
    problems.error('yaml-syntax', 'an alias refers to a node that contains it; such a value has no end', { file, path: [], at: builder.recursiveAlias });
    return undefined;
  }
  if (expandedSize(root, new Map()) > MAX_EXPANDED_NODES) {
    problems.error('yaml-syntax', `aliases expand the document to more than ${MAX_EXPANDED_NODES} nodes`, { file, path: [], at: undefined });
    return undefined;
  }
  return { file, root };
}

/**
 * Aliases are shared, not copied, but whoever walks the tree visits a shared node once per reference: the
 * size with every alias expanded bounds that work (the "billion laughs" of YAML).
 */
const MAX_EXPANDED_NODES = 200_000;

function expandedSize(tree: Tree, sizes: Map<Tree, number>): number {
  const known = sizes.get(tree);
  if (known !== undefined) return known;
  let size = 1;
  if (tree.kind === 'map') for (const item of tree.entries.values()) size += expandedSize(item, sizes);
  if (tree.kind === 'seq') for (const item of tree.items) size += expandedSize(item, sizes);
  sizes.set(tree, size);
  return size;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

class TreeBuilder {
  private readonly built = new Map<YamlNode, Tree>();
  private readonly inProgress = new Set<YamlNode>();
  /** Where the first alias to one of its own ancestors is. */
  recursiveAlias: Position | undefined;

  constructor(
    private readonly document: Document,
    private readonly positionOf: (offset: number) => Position,
  ) {}

  build(node: unknown, fallback: Position): Tree {
    if (isAlias(node)) {
      const target = node.resolve(this.document);
      if (target && this.inProgress.has(target)) {
        this.recursiveAlias ??= this.position(node, fallback);
        return { kind: 'scalar', at: fallback, value: null, text: '' };
      }
      return this.build(target, fallback);
    }
    if (node === null || node === undefined) return { kind: 'scalar', at: fallback, value: null, text: '' };
    const known = this.built.get(node as YamlNode);
    if (known) return known;
    const at = this.position(node as YamlNode, fallback);
    if (isMap(node)) {
      const tree: MapTree = { kind: 'map', at, entries: new Map(), keys: new Map() };
      this.built.set(node, tree);
      this.inProgress.add(node);
      for (const pair of node.items) {
        const key = this.build(pair.key, at);
        const name = key.kind === 'scalar' ? (typeof key.value === 'string' ? key.value : key.text) : '';
        tree.keys.set(name, key.at);
        tree.entries.set(name, this.build(pair.value, key.at));
      }
      this.inProgress.delete(node);
      return tree;
    }
    if (isSeq(node)) {
      const tree: SeqTree = { kind: 'seq', at, items: [] };
      this.built.set(node, tree);
      this.inProgress.add(node);
      for (const item of node.items) tree.items.push(this.build(item, at));
      this.inProgress.delete(node);
      return tree;
    }
    if (isScalar(node)) {
      const value = node.value;
      const scalar: ScalarTree = {
        kind: 'scalar',
        at,
        value: typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : value === null ? null : String(value),
        text: node.source ?? (value === null || value === undefined ? '' : String(value)),
      };
      this.built.set(node, scalar);
      return scalar;
    }
    return { kind: 'scalar', at, value: null, text: '' };
  }

  private position(node: YamlNode, fallback: Position): Position {
    return node.range ? this.positionOf(node.range[0]) : fallback;
  }
}

/** A tree together with where it sits: what every reader of TOSCA passes around. */
export interface Located {
  tree: Tree | undefined;
  site: Site;
}

/** The child at `key` of a map (undefined tree when absent: the site then stays at the parent). */
export function child(parent: Located, key: PathSegment): Located {
  const tree = parent.tree;
  const path = [...parent.site.path, key];
  let found: Tree | undefined;
  let at = parent.site.at;
  if (typeof key === 'string' && tree?.kind === 'map') {
    found = tree.entries.get(key);
    // A scalar is shown where it is written; a map, a list or nothing where its key names it.
    if (found) at = found.kind === 'scalar' && found.value !== null ? found.at : (tree.keys.get(key) ?? found.at);
  } else if (typeof key === 'number' && tree?.kind === 'seq') {
    found = tree.items[key];
    if (found) at = found.at;
  }
  return { tree: found, site: { file: parent.site.file, path, at } };
}

/** Follows several keys; the site is that of the deepest node that exists. */
export function descend(from: Located, keys: readonly PathSegment[]): Located {
  let here = from;
  for (const key of keys) here = child(here, key);
  return here;
}

/** The entries of a map in their written order (nothing for other shapes). */
export function entriesOf(located: Located): Array<[string, Located]> {
  const tree = located.tree;
  if (tree?.kind !== 'map') return [];
  return [...tree.entries.keys()].map((key) => [key, child(located, key)]);
}

export function itemsOf(located: Located): Located[] {
  const tree = located.tree;
  if (tree?.kind !== 'seq') return [];
  return tree.items.map((_, index) => child(located, index));
}

/** The text of a scalar, when the node is one (numbers and booleans as written). */
export function scalarText(tree: Tree | undefined): string | undefined {
  if (tree?.kind !== 'scalar' || tree.value === null) return undefined;
  return typeof tree.value === 'string' ? tree.value : tree.text;
}

export function isNullish(tree: Tree | undefined): boolean {
  return tree === undefined || (tree.kind === 'scalar' && tree.value === null);
}

/** A plain JS value as a tree positioned at `at` (values that arrive through get_input or from elsewhere). */
export function treeOf(value: unknown, at: Position): Tree {
  if (Array.isArray(value)) return { kind: 'seq', at, items: value.map((item) => treeOf(item, at)) };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, Tree>();
    const keys = new Map<string, Position>();
    for (const [key, item] of Object.entries(value)) {
      entries.set(key, treeOf(item, at));
      keys.set(key, at);
    }
    return { kind: 'map', at, entries, keys };
  }
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
  return { kind: 'scalar', at, value: scalar, text: scalar === null ? '' : String(scalar) };
}
