/**
 * Reading a sysfs tree below a configurable root (`/sys` on a host, a fixture tree in tests). Every read
 * answers a value or undefined; what a missing file means is the caller's decision.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export class Sysfs {
  constructor(readonly root: string) {}

  /** The absolute path of a path relative to the root, for messages. */
  at(relative: string): string {
    return path.join(this.root, relative);
  }

  async text(relative: string): Promise<string | undefined> {
    try {
      return (await fs.readFile(this.at(relative), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async integer(relative: string): Promise<number | undefined> {
    const text = await this.text(relative);
    return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
  }

  /** Entry names of a directory, sorted; empty when it does not exist. */
  async list(relative: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.at(relative))).sort();
    } catch {
      return [];
    }
  }

  /** The last path element a symlink points at: how sysfs names the PCI device behind `device`, `virtfnN`, `physfn`. */
  async linkName(relative: string): Promise<string | undefined> {
    try {
      return path.basename(await fs.readlink(this.at(relative)));
    } catch {
      return undefined;
    }
  }
}

/** Linux CPU list syntax as sysfs writes it: `0-15,32-47`, or empty. */
export function parseCpuList(text: string): number[] | undefined {
  if (text.trim() === '') return [];
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    for (let cpu = first; cpu <= last; cpu += 1) cpus.push(cpu);
  }
  return [...new Set(cpus)].sort((a, b) => a - b);
}
