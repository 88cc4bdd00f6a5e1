import { ConfigError, loadConfig } from '../../libs/config/app-config.js';

describe('reconciler settings', () => {
  test('by default the reconciler runs every minute and leaves 30 s for what is in flight', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).reconciler).toEqual({ intervalSeconds: 60, graceSeconds: 30 });
    expect(loadConfig({ NODE_ENV: 'test', RECONCILE_INTERVAL_SECONDS: '5', RECONCILE_GRACE_SECONDS: '2' }).reconciler).toEqual({
      intervalSeconds: 5,
      graceSeconds: 2,
    });
  });

  test('a zero, fractional or unbounded value is refused with the rest of the bad settings', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ NODE_ENV: 'test', RECONCILE_INTERVAL_SECONDS: '0', RECONCILE_GRACE_SECONDS: '1.5' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      'RECONCILE_INTERVAL_SECONDS must be an integer from 1 to 86400 (got "0")',
      'RECONCILE_GRACE_SECONDS must be an integer from 1 to 3600 (got "1.5")',
    ]);
    expect(() => loadConfig({ NODE_ENV: 'test', RECONCILE_GRACE_SECONDS: '7200' })).toThrow(
      'RECONCILE_GRACE_SECONDS must be an integer from 1 to 3600 (got "7200")',
    );
  });
});
