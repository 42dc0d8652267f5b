/**
 * Reads back the XML libvirt answers: elements, attributes and text, enough to check a domain definition.
 * Comments, processing instructions and the declaration are skipped; entities are the five XML predefines.
 */
export interface XmlTree {
  name: string;
  attributes: Record<string, string>;
  children: XmlTree[];
  text: string;
}

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function parseXml(source: string): XmlTree {
  const root: XmlTree = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlTree[] = [root];
  for (const match of source.matchAll(TOKEN)) {
    const [, closing, opening, attributes = '', selfClosing, textContent] = match;
    const parent = stack[stack.length - 1];
    if (parent === undefined) throw new Error('unbalanced XML');
    if (opening !== undefined) {
      const node: XmlTree = { name: opening, attributes: {}, children: [], text: '' };
      for (const [, key = '', double, single] of attributes.matchAll(ATTRIBUTE)) node.attributes[key] = unescape(double ?? single ?? '');
      parent.children.push(node);
      if (selfClosing !== '/') stack.push(node);
    } else if (closing !== undefined) {
      if (parent.name !== closing) throw new Error(`</${closing}> closes <${parent.name}>`);
      stack.pop();
    } else if (textContent !== undefined) {
      parent.text += unescape(textContent);
    }
  }
  if (stack.length !== 1) throw new Error('unclosed XML element');
  const [document] = root.children;
  if (document === undefined) throw new Error('no XML element');
  return document;
}

/** Every element at the end of a `/`-separated path of child names below `from`. */
export function select(from: XmlTree, path: string): XmlTree[] {
  return path.split('/').reduce<XmlTree[]>((nodes, name) => nodes.flatMap((node) => node.children.filter((child) => child.name === name)), [from]);
}

/** `0-2,5` -> [0, 1, 2, 5]. */
export function cpusetMembers(cpuset: string): number[] {
  return cpuset.split(',').flatMap((part) => {
    const [from = '', to = from] = part.split('-');
    const members: number[] = [];
    for (let cpu = Number(from); cpu <= Number(to); cpu += 1) members.push(cpu);
    return members;
  });
}

function unescape(value: string): string {
  return value.replace(/&(lt|gt|amp|apos|quot|#\d+|#x[0-9a-f]+);/gi, (_entity, name: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return named[name] ?? '';
  });
}
