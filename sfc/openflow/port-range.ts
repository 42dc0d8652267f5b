/**
 * A port range as the fewest value/mask pairs that cover exactly it (the usual prefix decomposition):
 * 1000-1999 becomes 1000/0xfff8, 1008/0xfff0, ... A full range (0-65535) is no match at all: an empty list.
 */
export function portRangeToMasks(min: number, max: number): Array<{ value: number; mask: number }> {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 0xffff || min > max) {
    throw new RangeError(`${min}-${max} is not a port range within 0-65535`);
  }
  if (min === 0 && max === 0xffff) return [];
  const matches: Array<{ value: number; mask: number }> = [];
  let start = min;
  while (start <= max) {
    // The largest aligned block starting at `start` that stays within the range.
    let size = start === 0 ? 0x10000 : start & -start;
    while (start + size - 1 > max) size >>= 1;
    matches.push({ value: start, mask: 0xffff & ~(size - 1) });
    start += size;
  }
  return matches;
}
