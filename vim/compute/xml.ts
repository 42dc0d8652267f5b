/**
 * A small XML writer for the documents we hand to libvirt. Every name and value goes through here and is
 * escaped on the way out, so a port id or a file path can never open an element of its own.
 */

export type XmlAttributes = Readonly<Record<string, string | number | undefined>>;

export interface XmlElement {
  readonly name: string;
  readonly attributes: XmlAttributes;
  readonly children: readonly XmlNode[];
}

export type XmlNode = XmlElement | { readonly text: string };

/** Children that are `undefined` or `false` are left out, so optional parts read inline. */
export type XmlChild = XmlNode | undefined | false;

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

export function element(name: string, attributes: XmlAttributes = {}, ...children: Array<XmlChild | readonly XmlChild[]>): XmlElement {
  if (!NAME.test(name)) throw new TypeError(`not an XML name: ${JSON.stringify(name)}`);
  const kept = children.flat().filter((child): child is XmlNode => child !== undefined && child !== false);
  return { name, attributes, children: kept };
}

export function text(value: string | number): XmlNode {
  return { text: String(value) };
}

/** `<name>value</name>`. */
export function leaf(name: string, value: string | number, attributes: XmlAttributes = {}): XmlElement {
  return element(name, attributes, text(value));
}

export function serialize(node: XmlNode, indent = ''): string {
  if ('text' in node) return indent + escape(node.text, false);
  for (const key of Object.keys(node.attributes)) if (!NAME.test(key)) throw new TypeError(`not an XML name: ${JSON.stringify(key)}`);
  const attributes = Object.entries(node.attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}='${escape(String(value), true)}'`)
    .join('');
  const open = `${indent}<${node.name}${attributes}`;
  if (node.children.length === 0) return `${open}/>`;
  const [only] = node.children;
  if (node.children.length === 1 && only !== undefined && 'text' in only) return `${open}>${escape(only.text, false)}</${node.name}>`;
  const inner = node.children.map((child) => serialize(child, `${indent}  `)).join('\n');
  return `${open}>\n${inner}\n${indent}</${node.name}>`;
}

function escape(value: string, inAttribute: boolean): string {
  // Characters XML 1.0 cannot carry at all are refused rather than silently dropped.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(value)) throw new TypeError(`a control character cannot be written to XML: ${JSON.stringify(value)}`);
  const escaped = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return inAttribute ? escaped.replace(/'/g, '&apos;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;').replace(/\r/g, '&#13;') : escaped;
}
