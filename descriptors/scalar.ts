/**
 * TOSCA scalar-unit values (`4 GiB`, `512 MB`, `2.5 GHz`, `10 s`, `1 Gbps`): a number, optional spaces, a
 * unit from the type's table. Decimal and binary prefixes mean what they say: `MB` is 10^6 bytes, `MiB` 2^20.
 */
export type ScalarUnitType = 'scalar-unit.size' | 'scalar-unit.time' | 'scalar-unit.frequency' | 'scalar-unit.bitrate';

const UNITS: Readonly<Record<ScalarUnitType, Readonly<Record<string, number>>>> = {
  'scalar-unit.size': { B: 1, kB: 1e3, KiB: 2 ** 10, MB: 1e6, MiB: 2 ** 20, GB: 1e9, GiB: 2 ** 30, TB: 1e12, TiB: 2 ** 40 },
  'scalar-unit.time': { d: 86400, h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 },
  'scalar-unit.frequency': { Hz: 1, kHz: 1e3, MHz: 1e6, GHz: 1e9 },
  'scalar-unit.bitrate': {
    bps: 1, Kbps: 1e3, Kibps: 2 ** 10, Mbps: 1e6, Mibps: 2 ** 20, Gbps: 1e9, Gibps: 2 ** 30, Tbps: 1e12, Tibps: 2 ** 40,
    Bps: 8, KBps: 8e3, KiBps: 8 * 2 ** 10, MBps: 8e6, MiBps: 8 * 2 ** 20, GBps: 8e9, GiBps: 8 * 2 ** 30, TBps: 8e12, TiBps: 8 * 2 ** 40,
  },
};

export function isScalarUnitType(type: string): type is ScalarUnitType {
  return type in UNITS;
}

const SCALAR = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]+)\s*$/;

/**
 * The value in the type's base unit (bytes, seconds, hertz, bits per second), or undefined when the text is
 * not a scalar of that type. Units match exactly first, then regardless of case when that is unambiguous
 * (TOSCA reads units case-insensitively; `kb` is `kB`).
 */
export function parseScalar(type: ScalarUnitType, text: string): number | undefined {
  const match = SCALAR.exec(text);
  if (!match) return undefined;
  const units = UNITS[type];
  const unit = match[2] ?? '';
  let factor = units[unit];
  if (factor === undefined) {
    const candidates = Object.keys(units).filter((name) => name.toLowerCase() === unit.toLowerCase());
    if (candidates.length === 1) factor = units[candidates[0] ?? ''];
  }
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

export function unitsOf(type: ScalarUnitType): string[] {
  return Object.keys(UNITS[type]);
}

export const MIB = 2 ** 20;
export const GIB = 2 ** 30;
