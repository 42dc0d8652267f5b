import { DESCRIPTOR_ERROR_CODES, readNsd, readVnfPackage, type ReadResult } from '../../descriptors/index.js';
import { seededRandom } from '../support/random.js';
import { tackerPackage, VNFD_DF_SIMPLE, withManifest } from './packages.js';
import { buildZip } from './zip.js';

/**
 * Reading never throws and never fails inside itself: whatever the bytes, the answer is a model or
 * problems with known codes. Seeded, so that a failing case replays from the seed in its name.
 */
function expectAnswered<T>(result: ReadResult<T>): void {
  if (result.ok) return;
  expect(result.errors.length).toBeGreaterThan(0);
  for (const error of result.errors) {
    expect(Object.keys(DESCRIPTOR_ERROR_CODES)).toContain(error.code);
    expect(error.code).not.toBe('internal-error');
  }
}

function errorsOf<T>(result: ReadResult<T>): string[] {
  return result.ok ? [] : result.errors.map((error) => error.code);
}

describe('robustness', () => {
  it.each([1, 2, 3, 4])('answers every archive with bytes flipped (seed %i)', async (seed) => {
    const random = seededRandom(seed);
    const files = withManifest(tackerPackage({ secondFlavour: true }));
    const zip = await buildZip(Object.entries(files).map(([name, data]) => ({ name, data, compress: random() < 0.5 })));
    for (let round = 0; round < 60; round++) {
      const mutated = Buffer.from(zip);
      const flips = 1 + Math.floor(random() * 8);
      for (let flip = 0; flip < flips; flip++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      expectAnswered(await readVnfPackage(mutated));
    }
  });

  it.each([11, 12, 13, 14])('answers every descriptor with characters changed (seed %i)', async (seed) => {
    const random = seededRandom(seed);
    const alphabet = ' \n\t:-[]{}#&*!|>\'"%@`,?0123456789abcdefghijklmnopqrstuvwxyz_.';
    for (let round = 0; round < 40; round++) {
      const characters = [...VNFD_DF_SIMPLE];
      const edits = 1 + Math.floor(random() * 6);
      for (let edit = 0; edit < edits; edit++) {
        const index = Math.floor(random() * characters.length);
        const character = alphabet[Math.floor(random() * alphabet.length)] ?? ' ';
        const kind = random();
        if (kind < 0.33) characters.splice(index, 1);
        else if (kind < 0.66) characters.splice(index, 0, character);
        else characters[index] = character;
      }
      const text = characters.join('');
      expectAnswered(await readVnfPackage(await buildZip({ ...tackerPackage(), 'Definitions/vnfd_df_simple.yaml': text })));
      expectAnswered(await readNsd(Buffer.from(text), 'yaml'));
    }
  });

  it('answers YAML that is not a map', async () => {
    for (const text of ['- a\n- b\n', 'just text', '', '%YAML 1.2\n---\n...\n']) {
      expect(errorsOf(await readNsd(Buffer.from(text), 'yaml'))).toEqual(['tosca-syntax']);
    }
  });

  it('refuses an alias inside the node it names, and aliases that expand without bound', async () => {
    expect(errorsOf(await readNsd(Buffer.from('a: &x [1, *x]\n'), 'yaml'))).toEqual(['yaml-syntax']);
    const laughs = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level < 9; level++) laughs.push(`l${level}: &l${level} [${Array(9).fill(`*l${level - 1}`).join(', ')}]`);
    const started = Date.now();
    const result = await readNsd(Buffer.from(laughs.join('\n') + '\n'), 'yaml');
    expect(errorsOf(result)).toEqual(['yaml-syntax']);
    expect(result.ok || result.errors[0]?.message).toBe('aliases expand the document to more than 200000 nodes');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
