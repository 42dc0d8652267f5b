/**
 * A VF setting applied the way the kernel takes it: `ip link set PF vf N mac M vlan V spoofchk on|off`,
 * run without a shell, the command's own error kept as the reason when it fails.
 */
import { execFile } from 'node:child_process';
import type { VfSetting } from '../api/schemas.js';

export type VfCommandOutcome = { applied: true; command: string } | { applied: false; command: string; message: string };

/** The arguments of `ip` for one VF setting. */
export function vfCommand(setting: VfSetting): string[] {
  const args = ['link', 'set', 'dev', setting.pf, 'vf', String(setting.vf)];
  if (setting.mac !== undefined) args.push('mac', setting.mac.toLowerCase());
  if (setting.vlan !== undefined) args.push('vlan', String(setting.vlan));
  if (setting.spoofchk !== undefined) args.push('spoofchk', setting.spoofchk ? 'on' : 'off');
  return args;
}

const IP_TIMEOUT_MS = 10000;

export function runIp(args: readonly string[], ipCommand = 'ip'): Promise<VfCommandOutcome> {
  const command = [ipCommand, ...args].join(' ');
  return new Promise((resolve) => {
    execFile(ipCommand, args, { timeout: IP_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) resolve({ applied: true, command });
      else resolve({ applied: false, command, message: String(stderr).trim() || error.message });
    });
  });
}

export function applyVfSetting(setting: VfSetting, ipCommand = 'ip'): Promise<VfCommandOutcome> {
  return runIp(vfCommand(setting), ipCommand);
}
