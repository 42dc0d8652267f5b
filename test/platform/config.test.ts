import { ConfigError, loadConfig, parseTokens } from '../../platform/index.js';

describe('configuration from the environment', () => {
  it('has embedded defaults for everything', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 9890 });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.mongoUrl).toBeUndefined();
    expect(config.openflow).toEqual({ host: '127.0.0.1', port: 6653, advertise: 'tcp:127.0.0.1:6653' });
    expect(config.apiTokens).toEqual([]);
    expect(config.logLevel).toBe('info');
  });

  it('reads tokens with and without a tenant (without: the admin tenant)', () => {
    expect(parseTokens('operator-secret, tenant-token-1=tenant-1')).toEqual([
      { token: 'operator-secret', tenantId: 'admin' },
      { token: 'tenant-token-1', tenantId: 'tenant-1' },
    ]);
  });

  it.each([
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
