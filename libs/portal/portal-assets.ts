import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where `npm run build:web` puts the portal: dist/web, beside the compiled API (dist/libs/portal → dist/web). */
export const PORTAL_DIR = path.join(__dirname, '../../web');

/** Paths the API answers itself; everything else that is a page belongs to the portal's router. */
const API_PREFIXES = ['/v1/', '/docs', '/health', '/metrics'];

const isApiPath = (urlPath: string) => urlPath === '/v1' || API_PREFIXES.some((prefix) => urlPath.startsWith(prefix));

/**
 * The built portal, on the API's own origin (one origin: the refresh cookie and the CSP's 'self' need nothing more).
 *
 * - `/assets/*` carry a content hash in their names, so browsers and proxies keep them a year without asking again;
 *   a missing one is a 404, never the page (a stale tab must not run HTML as a script).
 * - Everything else (the page, the service worker, the icon) must be asked for again each time (`no-cache`, with an
 *   ETag, so usually a 304): a deploy reaches every open tab on its next navigation, and a service worker update is
 *   seen at once.
 * - Any other GET that is not an API path is the single page, whose router shows the route (or its own not-found).
 */
export function portalMiddleware(dir: string = PORTAL_DIR): RequestHandler[] {
  const indexFile = path.join(dir, 'index.html');
  const revalidate = (response: Response) => response.setHeader('Cache-Control', 'no-cache');

  const hashedAssets = express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false });
  const rootFiles = express.static(dir, { index: false, setHeaders: revalidate });

  const assets: RequestHandler = (request, response, next) => {
    if (!request.path.startsWith('/assets/')) return next();
    request.url = request.url.slice('/assets'.length);
    hashedAssets(request, response, (error?: { status?: number }) => {
      request.url = `/assets${request.url}`;
      if (error?.status === 404) response.status(404).type('text/plain').send('Not found');
      else next(error);
    });
  };
  const files: RequestHandler = (request, response, next) => (isApiPath(request.path) ? next() : rootFiles(request, response, next));
  const page: RequestHandler = (request: Request, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(request.path)) return next();
    if (!fs.existsSync(indexFile)) {
      response.status(404).type('text/plain').send('The portal is not built: run `npm run build:web`.');
      return;
    }
    revalidate(response);
    response.sendFile(indexFile);
  };
  return [assets, files, page];
}
