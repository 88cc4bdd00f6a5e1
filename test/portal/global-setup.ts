import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as PlatformModule from '../support/platform';
import type * as ProviderFakesModule from '../support/provider-fakes';

const compiled = (file: string) => pathToFileURL(path.join(__dirname, '../../dist/test/support', file)).href;

/**
 * Starts the platform once for every spec, from the compiled code (`npm run build`: dist/, the portal in dist/web),
 * with SendGrid, Twilio and Web Push faked at the wire as in the end-to-end tests, and hands its address to the
 * specs. The portal is opened as localhost: browsers keep the refresh token's Secure cookie over plain HTTP only there.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const { Platform } = (await import(compiled('platform.js'))) as typeof PlatformModule;
  const { ProviderFakes } = (await import(compiled('provider-fakes.js'))) as typeof ProviderFakesModule;
  const fakes = new ProviderFakes();
  const env = await fakes.start();
  // A Temporal UI address, so staff pages show their links to workflows.
  const platform = await new Platform({ env: { ...env, TEMPORAL_UI_URL: 'http://localhost:8233' } }).start();
  process.env.TIDINGS_PORTAL_URL = platform.baseUrl.replace('127.0.0.1', 'localhost');
  return async () => {
    await platform.stop();
    await fakes.stop();
  };
}
