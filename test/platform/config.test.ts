import { ConfigError, loadConfig, parseTokens } from '../../platform/index.js';

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
});
