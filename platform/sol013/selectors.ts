/**
 * ETSI GS NFV-SOL 013 attribute selectors (clause 5.3): `all_fields`, `fields`, `exclude_fields`,
 * `exclude_default`. The supported combinations and their meaning (table 5.3.2-2):
 *
 * | parameters                  | response holds                                                              |
 * |-----------------------------|-----------------------------------------------------------------------------|
 * | none                        | same as `exclude_default`                                                   |
 * | `all_fields`                | every attribute                                                             |
 * | `fields=<list>`             | every attribute except the optional complex ones not named in the list     |
 * | `exclude_fields=<list>`     | every attribute except those named                                          |
 * | `exclude_default`           | every attribute except the resource's default exclusion set                 |
 * | `exclude_default`, `fields` | every attribute except those of the default exclusion set not named         |
 *
 * Any other combination is a 400. Names are attribute paths with `/` between levels.
 */

export interface ResourceShape {
  /** Complex attributes left out unless asked for (the "default exclusion set" of the API). */
  defaultExcluded: readonly string[];
  /** Complex attributes that are mandatory and therefore never removed by `fields` (e.g. `_links`). */
  mandatory?: readonly string[];
}

export type AttributeSelector =
  | { kind: 'all' }
  | { kind: 'fields'; paths: string[][]; excludeDefault: boolean }
  | { kind: 'exclude'; paths: string[][] }
  | { kind: 'excludeDefault' };

export interface SelectorParameters {
  all_fields?: unknown;
  fields?: unknown;
  exclude_fields?: unknown;
  exclude_default?: unknown;
}

export class SelectorError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'SelectorError';
  }
}

export function parseSelector(query: SelectorParameters): AttributeSelector {
  const present = (name: keyof SelectorParameters): boolean => query[name] !== undefined;
  if (present('all_fields')) {
    for (const other of ['fields', 'exclude_fields', 'exclude_default'] as const) {
      if (present(other)) throw new SelectorError(other, `"all_fields" cannot be combined with "${other}"`);
    }
    return { kind: 'all' };
  }
  if (present('exclude_fields')) {
    for (const other of ['fields', 'exclude_default'] as const) {
      if (present(other)) throw new SelectorError(other, `"exclude_fields" cannot be combined with "${other}"`);
    }
    return { kind: 'exclude', paths: parsePathList('exclude_fields', query.exclude_fields) };
  }
  if (present('fields')) {
    return { kind: 'fields', paths: parsePathList('fields', query.fields), excludeDefault: present('exclude_default') };
  }
  return { kind: 'excludeDefault' };
}

function parsePathList(parameter: string, raw: unknown): string[][] {
  if (typeof raw !== 'string' || raw.trim() === '') throw new SelectorError(parameter, `"${parameter}" needs a list of attribute names`);
  return raw.split(',').map((entry) => {
    const path = entry.trim().split('/');
    if (path.some((name) => !/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(name))) {
      throw new SelectorError(parameter, `"${entry}" is not an attribute path`);
    }
    return path;
  });
}

/** Applies a selector to one resource representation (a fresh object; the input is not changed). */
export function selectAttributes<T extends object>(resource: T, selector: AttributeSelector, shape: ResourceShape): Partial<T> {
  const copy = structuredClone(resource) as Record<string, unknown>;
  const splitPaths = (paths: readonly string[]): string[][] => paths.map((path) => path.split('/'));
  switch (selector.kind) {
    case 'all':
      break;
    case 'exclude':
      for (const path of selector.paths) removePath(copy, path);
      break;
    case 'excludeDefault':
      for (const path of splitPaths(shape.defaultExcluded)) removePath(copy, path);
      break;
    case 'fields': {
      const named = selector.paths;
      const mandatory = splitPaths(shape.mandatory ?? []);
      const isKept = (path: readonly string[]): boolean =>
        [...named, ...mandatory].some((keep) => startsWith(keep, path) || startsWith(path, keep));
      if (selector.excludeDefault) {
        for (const path of splitPaths(shape.defaultExcluded)) if (!isKept(path)) removePath(copy, path);
      } else {
        removeUnnamedComplex(copy, [], named, mandatory);
      }
      break;
    }
  }
  return copy as Partial<T>;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, index) => path[index] === name);
}

/** Drops complex (object or array) attributes that no named path reaches, descending into partly named ones. */
function removeUnnamedComplex(
  node: Record<string, unknown>,
  at: string[],
  named: readonly string[][],
  mandatory: readonly string[][],
): void {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || typeof value !== 'object') continue;
    const path = [...at, key];
    if ([...named, ...mandatory].some((keep) => startsWith(path, keep))) continue;
    if (!named.some((keep) => startsWith(keep, path))) {
      delete node[key];
      continue;
    }
    const children = Array.isArray(value) ? value : [value];
    for (const child of children) {
      if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
        removeUnnamedComplex(child as Record<string, unknown>, path, named, mandatory);
      }
    }
  }
}

function removePath(node: unknown, path: readonly string[]): void {
  if (Array.isArray(node)) {
    for (const element of node) removePath(element, path);
    return;
  }
  if (node === null || typeof node !== 'object' || path.length === 0) return;
  const [head, ...rest] = path as [string, ...string[]];
  const record = node as Record<string, unknown>;
  if (rest.length === 0) delete record[head];
  else removePath(record[head], rest);
}
