import { cpusetOf, tapNameOf } from '../../../vim/compute/index.js';
import { element, leaf, serialize, text } from '../../../vim/compute/xml.js';
import { parseXml } from './xml-reader.js';

describe('domain XML writer', () => {
  it('escapes text and attribute values so that they read back unchanged', () => {
    const hostile = `a'b"c<d>&e\n\tf`;
    const written = serialize(element('domain', { note: hostile }, leaf('name', hostile), element('empty'), text('<tail/>')));
    const read = parseXml(written);
    expect(read.attributes.note).toBe(hostile);
    expect(read.children.map((child) => child.name)).toEqual(['name', 'empty']);
    expect(read.children[0]?.text).toBe(hostile);
    expect(read.text).toContain('<tail/>');
  });

  it('leaves out undefined attributes and children, and refuses what XML cannot carry', () => {
    expect(serialize(element('cell', { id: 0, memAccess: undefined }, undefined, false))).toBe(`<cell id='0'/>`);
    expect(() => serialize(leaf('name', 'bell\u0007'))).toThrow(/control character/);
    expect(() => element('bad name')).toThrow(/not an XML name/);
    expect(() => serialize(element('ok', { 'x><y': '1' }))).toThrow(/not an XML name/);
  });

  it('writes cpusets in libvirt range syntax and names taps within 15 characters', () => {
    expect(cpusetOf([3, 1, 2, 8, 10, 11, 2])).toBe('1-3,8,10-11');
    expect(cpusetOf([])).toBe('');
    expect(tapNameOf('0b2c5d4e-6f70-4a81-9b2c-3d4e5f607182')).toBe('tap0b2c5d4e-6f7');
  });
});
