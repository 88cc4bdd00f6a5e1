import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as PlatformModule from '../support/platform';

/**
 * Starts the platform once for every spec, from the compiled code (`npm run build`: dist/, the portal in dist/web),
 * and hands its address to the specs. The portal is opened as localhost: browsers keep the refresh token's
 * Secure cookie over plain HTTP only there.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const compiled = pathToFileURL(path.join(__dirname, '../../dist/test/support/platform.js')).href;
  const { Platform } = (await import(compiled)) as typeof PlatformModule;
  // A Temporal UI address, so staff pages show their links to workflows.
  const platform = await new Platform({ env: { TEMPORAL_UI_URL: 'http://localhost:8233' } }).start();
  process.env.TIDINGS_PORTAL_URL = platform.baseUrl.replace('127.0.0.1', 'localhost');
  return () => platform.stop();
}
