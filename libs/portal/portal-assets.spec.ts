import express from 'express';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { portalMiddleware } from './portal-assets.js';

describe('portalMiddleware', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-portal-'));
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let base: string;

  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Tidings</title>');
    fs.writeFileSync(path.join(dir, 'assets', 'main-Ab12Cd34.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'sw.js'), 'self.addEventListener("push", () => {})');
    const app = express();
    app.use(...portalMiddleware(dir));
    app.get('/v1/ping', (_request, response) => void response.json({ ok: true }));
    app.use((_request: express.Request, response: express.Response) => void response.status(404).json({ statusCode: 404 }));
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps hashed assets for a year, immutable', async () => {
    const response = await fetch(`${base}/assets/main-Ab12Cd34.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toMatch(/javascript/);
  });

  it('answers a missing asset 404 rather than with the page', async () => {
    const response = await fetch(`${base}/assets/main-gone.js`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('<title>Tidings');
  });

  it('serves the page for any route of the portal, revalidated each time', async () => {
    for (const route of ['/', '/chats', '/conversations/5f6c/thread', '/reset-password']) {
      const response = await fetch(`${base}${route}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('<title>Tidings');
    }
  });

  it('has the service worker revalidated, so an update reaches browsers at once', async () => {
    const response = await fetch(`${base}/sw.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('leaves API paths to the API, unknown ones included', async () => {
    expect(await (await fetch(`${base}/v1/ping`)).json()).toEqual({ ok: true });
    const unknown = await fetch(`${base}/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ statusCode: 404 });
    expect((await fetch(`${base}/health`)).status).toBe(404);
  });

  it('does not answer writes with the page', async () => {
    expect((await fetch(`${base}/chats`, { method: 'POST' })).status).toBe(404);
  });
});
