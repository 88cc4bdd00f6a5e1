import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { REPO_ROOT } from '../test/support/paths.js';

/**
 * The portal's size as a browser downloads it (gzip, level 9 as a CDN or nginx sends it), from the build in dist/web:
 *  - initial  what the first page load runs before anything shows: every script index.html names (the entry and its
 *             preloaded chunks) and its stylesheets;
 *  - chunks   each route's or feature's own chunk, loaded when first used (the editor only when composing).
 * The portal issue's target: initial JavaScript ≤ 250 KB gzipped.
 */
export const PORTAL_INITIAL_JS_TARGET_KB = 250;

export interface PortalBundleResult {
  dir: string;
  initial: { jsKb: number; cssKb: number; files: string[] };
  chunks: Array<{ file: string; kb: number }>;
  totalJsKb: number;
  targetKb: number;
  met: boolean;
}

const gzipKb = (file: string) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length / 1024;
const round = (kb: number) => Math.round(kb * 10) / 10;

export function benchPortalBundle(dir = path.join(REPO_ROOT, 'dist/web')): PortalBundleResult {
  const indexFile = path.join(dir, 'index.html');
  if (!fs.existsSync(indexFile)) throw new Error(`no portal build in ${dir}: run npm run build:web`);
  const html = fs.readFileSync(indexFile, 'utf8');
  const named = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]);
  const initialJs = named.filter((file) => file.endsWith('.js'));
  const initialCss = named.filter((file) => file.endsWith('.css'));
  const assets = fs.readdirSync(path.join(dir, 'assets')).filter((file) => file.endsWith('.js'));
  const chunks = assets
    .filter((file) => !initialJs.includes(`assets/${file}`))
    .map((file) => ({ file: `assets/${file}`, kb: round(gzipKb(path.join(dir, 'assets', file))) }))
    .sort((a, b) => b.kb - a.kb);
  const jsKb = round(initialJs.reduce((sum, file) => sum + gzipKb(path.join(dir, file)), 0));
  return {
    dir: path.relative(REPO_ROOT, dir),
    initial: { jsKb, cssKb: round(initialCss.reduce((sum, file) => sum + gzipKb(path.join(dir, file)), 0)), files: named },
    chunks,
    totalJsKb: round(jsKb + chunks.reduce((sum, chunk) => sum + chunk.kb, 0)),
    targetKb: PORTAL_INITIAL_JS_TARGET_KB,
    met: jsKb <= PORTAL_INITIAL_JS_TARGET_KB,
  };
}

export function describePortalBundle(result: PortalBundleResult): string[] {
  const largest = result.chunks
    .slice(0, 4)
    .map((chunk) => `${path.basename(chunk.file).replace(/-[\w-]{8}\.js$/, '')} ${chunk.kb} KB`)
    .join(', ');
  return [
    `portal bundle (gzip): initial JavaScript ${result.initial.jsKb} KB [target ≤ ${result.targetKb} KB: ${result.met ? 'met' : 'MISSED'}], ` +
      `CSS ${result.initial.cssKb} KB; ${result.chunks.length} chunks loaded on demand (largest: ${largest}); all JavaScript ${result.totalJsKb} KB`,
  ];
}
