import { randomBytes } from 'node:crypto';
import { applyVfSetting, vfCommand } from '../../../vim/index.js';
import { run } from '../../support/command.js';

describe('VF settings as ip link commands', () => {
  it('builds `ip link set dev PF vf N mac M vlan V spoofchk on|off` from what the setting names', () => {
    expect(vfCommand({ pf: 'ens1f0', vf: 3, mac: 'FA:16:3E:00:00:01', vlan: 100, spoofchk: false })).toEqual([
      'link', 'set', 'dev', 'ens1f0', 'vf', '3', 'mac', 'fa:16:3e:00:00:01', 'vlan', '100', 'spoofchk', 'off',
    ]);
    expect(vfCommand({ pf: 'ens1f0', vf: 0, spoofchk: true })).toEqual(['link', 'set', 'dev', 'ens1f0', 'vf', '0', 'spoofchk', 'on']);
    expect(vfCommand({ pf: 'ens1f0', vf: 0, vlan: 0 })).toEqual(['link', 'set', 'dev', 'ens1f0', 'vf', '0', 'vlan', '0']);
  });

  it('reports the error ip gives for a device without VFs (a veth here), and for a missing device', async () => {
    const name = `nfvvf${randomBytes(3).toString('hex')}`;
    await run('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
    try {
      expect(await applyVfSetting({ pf: name, vf: 0, mac: '02:00:00:00:00:01', vlan: 100, spoofchk: true })).toEqual({
        applied: false,
        command: `ip link set dev ${name} vf 0 mac 02:00:00:00:00:01 vlan 100 spoofchk on`,
        message: 'RTNETLINK answers: Operation not supported',
      });
    } finally {
      await run('ip', ['link', 'del', name]);
    }
    expect(await applyVfSetting({ pf: name, vf: 0, spoofchk: false })).toEqual({
      applied: false,
      command: `ip link set dev ${name} vf 0 spoofchk off`,
      message: `Cannot find device "${name}"`,
    });
  });

  it('reports success when the command succeeds', async () => {
    expect(await applyVfSetting({ pf: 'lo', vf: 0, vlan: 1 }, 'true')).toEqual({ applied: true, command: 'true link set dev lo vf 0 vlan 1' });
  });
});
