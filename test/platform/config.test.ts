import { ConfigError, loadAgentConfig, loadConfig, parseTokens } from '../../platform/index.js';

describe('configuration from the environment', () => {
  it('has embedded defaults for everything', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 9890 });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.mongoUrl).toBeUndefined();
    expect(config.openflow).toEqual({ listen: { host: '127.0.0.1', port: 6653 }, advertise: undefined });
    expect(config.apiTokens).toEqual([]);
    expect(config.logLevel).toBe('info');
  });

  it('reads tokens with and without a tenant (without: the admin tenant)', () => {
    expect(parseTokens('operator-secret, tenant-token-1=tenant-1')).toEqual([
      { token: 'operator-secret', tenantId: 'admin' },
      { token: 'tenant-token-1', tenantId: 'tenant-1' },
    ]);
  });

  it('reads the OpenFlow listen address in the forms OVS uses for targets', () => {
    expect(loadConfig({ NFV_OPENFLOW_LISTEN: 'tcp:0.0.0.0:6633' }).openflow.listen).toEqual({ host: '0.0.0.0', port: 6633 });
    expect(loadConfig({ NFV_OPENFLOW_LISTEN: '[::1]:6653' }).openflow.listen).toEqual({ host: '::1', port: 6653 });
    expect(loadConfig({ NFV_OPENFLOW_LISTEN: 'unix:/run/nfv/of.sock' }).openflow.listen).toEqual({ path: '/run/nfv/of.sock' });
    expect(loadConfig({ NFV_OPENFLOW_ADVERTISE: 'tcp:192.0.2.10:6653' }).openflow.advertise).toBe('tcp:192.0.2.10:6653');
  });

  it.each([
    [{ NFV_OPENFLOW_LISTEN: '6653' }, 'NFV_OPENFLOW_LISTEN'],
    [{ NFV_OPENFLOW_LISTEN: 'tcp:host:99999' }, 'NFV_OPENFLOW_LISTEN'],
    [{ NFV_HTTP_PORT: 'http' }, 'NFV_HTTP_PORT'],
    [{ NFV_HTTP_PORT: '70000' }, 'NFV_HTTP_PORT'],
    [{ NFV_LOG_LEVEL: 'loud' }, 'NFV_LOG_LEVEL'],
    [{ NFV_API_TOKENS: 'short' }, 'NFV_API_TOKENS'],
    [{ NFV_API_TOKENS: 'long-enough=bad tenant' }, 'NFV_API_TOKENS'],
  ])('refuses %p naming the variable', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });

  it('reads the VIM heartbeat timeout in seconds, fractions allowed', () => {
    expect(loadConfig({}).vim.heartbeatTimeoutMs).toBe(30000);
    expect(loadConfig({ NFV_VIM_HEARTBEAT_TIMEOUT: '1.5' }).vim.heartbeatTimeoutMs).toBe(1500);
    expect(() => loadConfig({ NFV_VIM_HEARTBEAT_TIMEOUT: '-3' })).toThrow(/^NFV_VIM_HEARTBEAT_TIMEOUT:/);
    expect(() => loadConfig({ NFV_VIM_HEARTBEAT_TIMEOUT: '0' })).toThrow(/^NFV_VIM_HEARTBEAT_TIMEOUT:/);
  });

  it('reads the host agent settings, with defaults for all but the VIM URL and the token', () => {
    const agent = loadAgentConfig({ NFV_AGENT_VIM_URL: 'http://10.0.0.5:9890/', NFV_AGENT_TOKEN: 'operator-secret' }, 'compute-7');
    expect(agent).toEqual({
      vimUrl: 'http://10.0.0.5:9890',
      token: 'operator-secret',
      hostName: 'compute-7',
      zoneId: undefined,
      sysfsRoot: '/sys',
      libvirtUri: 'qemu:///system',
      ovsdbEndpoint: 'unix:/var/run/openvswitch/db.sock',
      integrationBridge: 'br-int',
      heartbeatIntervalMs: 10000,
      logLevel: 'info',
    });
    expect(loadAgentConfig({ NFV_AGENT_VIM_URL: 'http://vim:9890', NFV_AGENT_TOKEN: 'operator-secret', NFV_AGENT_HEARTBEAT_INTERVAL: '0.25' }).heartbeatIntervalMs).toBe(250);
  });

  it.each([
    [{ NFV_AGENT_TOKEN: 'operator-secret' }, 'NFV_AGENT_VIM_URL'],
    [{ NFV_AGENT_VIM_URL: 'http://vim:9890' }, 'NFV_AGENT_TOKEN'],
    [{ NFV_AGENT_VIM_URL: 'http://vim:9890', NFV_AGENT_TOKEN: 'operator-secret', NFV_AGENT_OVSDB: 'db.sock' }, 'NFV_AGENT_OVSDB'],
    [{ NFV_AGENT_VIM_URL: 'http://vim:9890', NFV_AGENT_TOKEN: 'operator-secret', NFV_AGENT_HEARTBEAT_INTERVAL: 'often' }, 'NFV_AGENT_HEARTBEAT_INTERVAL'],
  ])('refuses agent settings %p naming the variable', (env, variable) => {
    expect(() => loadAgentConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });
});
