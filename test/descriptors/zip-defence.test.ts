import { randomBytes } from 'node:crypto';
import { readVnfPackage } from '../../descriptors/index.js';
import { errorWithCode, errorsOf, tackerPackage, valueOf, withManifest, zipWithManifest } from './packages.js';
import { buildZip, patchEntry, renameEntry } from './zip.js';

/** Every way a zip can be hostile is refused with its own code, before any descriptor is read. */
const MIB = 1024 * 1024;

async function hostile(name: string, placeholder: string): Promise<Buffer> {
  const zip = await buildZip({ ...tackerPackage(), [placeholder]: 'payload' });
  return renameEntry(zip, placeholder, name);
}

describe('defensive zip reading', () => {
  it('reads a well-formed package, directory entries included', async () => {
    const files = withManifest(tackerPackage());
    const zip = await buildZip([{ name: 'Files/', directory: true }, ...Object.entries(files).map(([name, data]) => ({ name, data }))]);
    const contents = valueOf(await readVnfPackage(zip));
    expect(contents.files.map((file) => file.path).sort()).toEqual(Object.keys(files).sort());
    expect(contents.file('Files/images/cirros.img')).toEqual(files['Files/images/cirros.img']);
  });

  it('refuses bytes that are not a zip', async () => {
    expect(errorWithCode(await readVnfPackage(Buffer.from('this is not a zip archive')), 'zip-invalid').message).toMatch(/not a readable zip archive/);
    expect(errorWithCode(await readVnfPackage(Buffer.alloc(0)), 'zip-invalid')).toBeDefined();
  });

  it('refuses a truncated archive', async () => {
    const zip = await zipWithManifest(tackerPackage());
    expect(errorsOf(await readVnfPackage(zip.subarray(0, zip.length - 30))).map((error) => error.code)).toEqual(['zip-invalid']);
  });

  it.each([
    ['Files/../../etc/passwd', 'Files/aa/bb/etc/passwd', 'zip-path-traversal', 'climbs out of the archive'],
    ['..\\..\\evil.sh', 'aa/aa/evil.sh', 'zip-path-traversal', 'climbs out of the archive'],
    ['/etc/passwd', 'xetc/passwd', 'zip-absolute-path', 'is an absolute path'],
    ['C:/Windows/evil.dll', 'CC/Windows/evil.dll', 'zip-absolute-path', 'is an absolute path'],
    ['Files\\evil.sh', 'Files/evil.sh', 'zip-bad-name', 'has a backslash'],
    ['Files/evil\u0001.sh', 'Files/evilx.sh', 'zip-bad-name', 'control characters'],
  ])('refuses the entry name %j', async (name, placeholder, code, reason) => {
    const error = errorWithCode(await readVnfPackage(await hostile(name, placeholder)), code);
    expect(error.message).toContain(reason);
    expect(error.file).toBeUndefined();
  });

  it('refuses symbolic links (by the unix mode of the entry)', async () => {
    const zip = await buildZip([...Object.entries(tackerPackage()).map(([name, data]) => ({ name, data })), { name: 'Files/link', data: '/etc/shadow', mode: 0o120777 }]);
    expect(errorWithCode(await readVnfPackage(zip), 'zip-symlink').message).toContain('"Files/link" is a symbolic link');
  });

  it('refuses device files', async () => {
    const zip = await buildZip([{ name: 'dev/sda', data: '', mode: 0o060600 }]);
    expect(errorWithCode(await readVnfPackage(zip), 'zip-special-file').message).toContain('a block device');
  });

  it('refuses two entries of the same name, also when they differ only by "./"', async () => {
    const twice = await buildZip([
      { name: 'Definitions/vnfd_top.yaml', data: 'a: 1' },
      { name: 'Definitions/vnfd_top.yaml', data: 'a: 2' },
    ]);
    expect(errorWithCode(await readVnfPackage(twice), 'zip-duplicate-name').message).toContain('Definitions/vnfd_top.yaml');
    const dotted = renameEntry(await buildZip([{ name: 'TOSCA-Metadata/TOSCA.meta', data: 'x' }, { name: 'xxTOSCA-Metadata/TOSCA.meta', data: 'y' }]), 'xxTOSCA-Metadata/TOSCA.meta', './TOSCA-Metadata/TOSCA.meta');
    expect(errorWithCode(await readVnfPackage(dotted), 'zip-duplicate-name')).toBeDefined();
  });

  it('refuses more entries than the limit before reading any', async () => {
    const zip = await buildZip(Object.fromEntries(Array.from({ length: 5 }, (_, index) => [`Files/${index}.txt`, 'x'])));
    expect(errorWithCode(await readVnfPackage(zip, { maxEntries: 4 }), 'zip-too-many-entries').message).toBe('the archive has 5 entries; at most 4 are allowed');
  });

  it('refuses a zip bomb by its compression ratio', async () => {
    const zip = await buildZip({ ...tackerPackage(), 'Files/bomb.img': Buffer.alloc(20 * MIB) });
    expect(zip.length).toBeLessThan(100 * 1024);
    expect(errorWithCode(await readVnfPackage(zip), 'zip-ratio').message).toContain('"Files/bomb.img" inflates more than 100 times its compressed size');
  });

  it('counts the inflated bytes instead of trusting a header that understates them', async () => {
    const honest = await buildZip({ ...tackerPackage(), 'Files/bomb.img': Buffer.alloc(20 * MIB) });
    const lying = patchEntry(honest, 'Files/bomb.img', { uncompressedSize: 1000 });
    expect(errorWithCode(await readVnfPackage(lying), 'zip-size-mismatch').message).toContain('inflates to more than the 1000 bytes its header declares');
  });

  it('refuses an archive larger in total than the limit, and an entry larger than its limit', async () => {
    const zip = await buildZip({ 'Files/a.bin': randomBytes(60_000), 'Files/b.bin': randomBytes(60_000) });
    expect(errorWithCode(await readVnfPackage(zip, { maxTotalUncompressedBytes: 100_000 }), 'zip-too-large').message).toBe('the archive inflates to more than 100000 bytes');
    expect(errorWithCode(await readVnfPackage(zip, { maxEntryUncompressedBytes: 50_000 }), 'zip-entry-too-large').message).toBe('"Files/a.bin" inflates to more than 50000 bytes');
  });

  it('refuses an entry whose bytes do not match its CRC-32', async () => {
    const zip = patchEntry(await buildZip({ 'Files/a.txt': 'some content' }), 'Files/a.txt', { crc32: 0x12345678 });
    expect(errorWithCode(await readVnfPackage(zip), 'zip-crc-mismatch').message).toContain('"Files/a.txt"');
  });

  it('refuses encrypted entries', async () => {
    const zip = patchEntry(await buildZip({ ...tackerPackage(), 'Files/secret.bin': 'x' }), 'Files/secret.bin', { flags: 0x0001 });
    expect(errorWithCode(await readVnfPackage(zip), 'zip-encrypted').message).toBe('"Files/secret.bin" is encrypted; packages must not be');
  });

  it('refuses compression methods other than stored and deflate', async () => {
    const zip = patchEntry(await buildZip({ 'Files/a.txt': 'abc' }), 'Files/a.txt', { method: 12 });
    expect(errorWithCode(await readVnfPackage(zip), 'zip-unsupported-compression').message).toContain('method 12');
  });
});
