import { type Browser, chromium, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import { Client as PgClient } from 'pg';
import { createOrganization } from '../test/support/api.js';
import type { Platform } from '../test/support/platform.js';
import { percentiles, sleep } from './support.js';

/**
 * The portal's inbox in a real browser (Debian's chromium, as the Playwright tests drive it) for a staff user with
 * INBOX_CONVERSATIONS conversations, seeded straight into PostgreSQL:
 *  - open     a full page load of /inbox (JavaScript, the session refresh, the first page) until the first rows show;
 *  - more     *Show more* pressed until SHOW_MORE_ROWS rows are listed: each press until its rows are painted;
 *  - scroll   the list scrolled from top to bottom with that many rows: the frames' intervals;
 *  - live     one live-poll cycle with that many rows: the requests it makes and the main thread's longest task;
 *  - longTasks every main-thread task over 50 ms the browser reported, over the whole run.
 * "Smooth" here means the figures a person feels: no frame or task long enough to notice (≥ 100 ms) while
 * paging, scrolling or polling.
 */
const INBOX_CONVERSATIONS = Number(process.env.BENCH_INBOX_CONVERSATIONS ?? 10_000);
const SHOW_MORE_ROWS = Number(process.env.BENCH_INBOX_ROWS ?? 2_000);
const OPENS = 5;
const LIVE_POLL_MS = 10_000;
const PASSWORD = 'a long test password';

export interface InboxBrowserResult {
  skipped?: string;
  conversations?: number;
  seedSeconds?: number;
  open?: { loads: number; p50Ms: number; maxMs: number };
  /** fetchMs: the request's part of a press; lastTenMeanMs: the mean of the last ten presses, with the most rows shown. */
  more?: { presses: number; rows: number; p50Ms: number; p99Ms: number; maxMs: number; fetchP50Ms: number; lastTenMeanMs: number };
  scroll?: { frames: number; p50Ms: number; p99Ms: number; maxMs: number; slowFrames: number };
  live?: { rows: number; requests: number; longestTaskMs: number };
  longTasks?: { count: number; maxMs: number; over100Ms: number };
}

export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => fs.existsSync(p));
}

export async function benchInboxBrowser(platform: Platform): Promise<InboxBrowserResult> {
  const executablePath = chromiumPath();
  if (!executablePath) return { skipped: 'no chromium (apt-get install chromium, or set CHROMIUM_PATH)' };
  const org = await createOrganization(platform.baseUrl);
  const staff = await org.addUser('staff', { name: 'Busy Staff' });
  const member = await org.addUser('member', { name: 'Member Zero' });
  const started = performance.now();
  await seed(platform.databaseUrl, org.id, staff.id, member.id);
  const seedSeconds = (performance.now() - started) / 1000;

  // The portal keeps the refresh token in a Secure cookie, which browsers keep over plain HTTP on localhost only.
  const portal = platform.baseUrl.replace('127.0.0.1', 'localhost');
  const browser: Browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => {
      const inPage = globalThis as any;
      const tasks: number[] = [];
      inPage.__longTasks = tasks;
      new inPage.PerformanceObserver((list: any) => list.getEntries().forEach((entry: any) => tasks.push(entry.duration))).observe({
        type: 'longtask',
        buffered: true,
      });
    });
    await page.goto(`${portal}/login`);
    await page.getByLabel('Email').fill(staff.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    const loads: number[] = [];
    for (let i = 0; i < OPENS; i++) {
      const t = performance.now();
      await page.goto(`${portal}/inbox`);
      await page.locator('tbody tr').first().waitFor();
      loads.push(performance.now() - t);
    }
    const open = percentiles(loads);

    const presses: Array<{ ms: number; fetchMs: number }> = [];
    while ((await rowCount(page)) < SHOW_MORE_ROWS) presses.push(await showMore(page));
    const pressed = percentiles(presses.map((p) => p.ms));
    const fetched = percentiles(presses.map((p) => p.fetchMs));
    const lastTen = presses.slice(-10).map((p) => p.ms);
    const more = {
      presses: presses.length,
      rows: await rowCount(page),
      p50Ms: pressed.p50Ms,
      p99Ms: pressed.p99Ms,
      maxMs: pressed.maxMs,
      fetchP50Ms: fetched.p50Ms,
      lastTenMeanMs: lastTen.reduce((a, b) => a + b, 0) / lastTen.length,
    };

    const frames: number[] = await page.evaluate(scrollThroughList);
    const scrollFigures = percentiles(frames);
    const scroll = {
      frames: frames.length,
      p50Ms: scrollFigures.p50Ms,
      p99Ms: scrollFigures.p99Ms,
      maxMs: scrollFigures.maxMs,
      slowFrames: frames.filter((ms) => ms > 50).length,
    };

    // One live-poll interval with 2,000 rows shown: what it asks of the API and of the main thread.
    let requests = 0;
    const countRequest = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === '/v1/conversations') requests++;
    };
    const tasksBefore = await page.evaluate(() => (globalThis as any).__longTasks.length as number);
    page.on('request', countRequest);
    await sleep(LIVE_POLL_MS);
    page.off('request', countRequest);
    const pollTasks: number[] = await page.evaluate((from) => (globalThis as any).__longTasks.slice(from), tasksBefore);
    const live = { rows: await rowCount(page), requests, longestTaskMs: Math.round(Math.max(0, ...pollTasks)) };

    const all: number[] = await page.evaluate(() => (globalThis as any).__longTasks);
    const longTasks = { count: all.length, maxMs: Math.round(Math.max(0, ...all)), over100Ms: all.filter((ms) => ms >= 100).length };
    return { conversations: INBOX_CONVERSATIONS, seedSeconds, open: { loads: OPENS, p50Ms: open.p50Ms, maxMs: open.maxMs }, more, scroll, live, longTasks };
  } finally {
    await browser.close();
  }
}

export function describeInboxBrowser(r: InboxBrowserResult): string {
  if (r.skipped) return `portal inbox in chromium skipped: ${r.skipped}`;
  const { open, more, scroll, live, longTasks } = r as Required<InboxBrowserResult>;
  return (
    `portal inbox in chromium, staff user with ${r.conversations} conversations (seeded in ${r.seedSeconds!.toFixed(1)} s): ` +
    `page load to first rows p50 ${Math.round(open.p50Ms)} ms (max ${Math.round(open.maxMs)}); ` +
    `Show more ×${more.presses} to ${more.rows} rows, each press to painted rows p50 ${Math.round(more.p50Ms)} ms (the request ${Math.round(more.fetchP50Ms)} ms), p99 ${Math.round(more.p99Ms)} ms, the last ten ${Math.round(more.lastTenMeanMs)} ms; ` +
    `scrolling ${more.rows} rows: ${scroll.frames} frames, p50 ${scroll.p50Ms} ms, p99 ${scroll.p99Ms} ms, ${scroll.slowFrames} over 50 ms; ` +
    `10 s of live polling with ${live.rows} rows: ${live.requests} request(s), longest task ${live.longestTaskMs} ms; ` +
    `main-thread tasks over 50 ms in the whole run: ${longTasks.count} (longest ${longTasks.maxMs} ms, ${longTasks.over100Ms} of 100 ms or more)`
  );
}

/** The rows the inbox holds (the table's aria-rowcount, less its header): only those on screen are in the page. */
const rowCount = async (page: Page) => Number(await page.locator('table').getAttribute('aria-rowcount')) - 1;

/**
 * Presses Show more and resolves, in the page, once the table holds its rows and a frame has been painted; with
 * the request's own time from the browser's resource timing.
 */
function showMore(page: Page): Promise<{ ms: number; fetchMs: number }> {
  return page.evaluate(
    () =>
      new Promise<{ ms: number; fetchMs: number }>((resolve, reject) => {
        const inPage = globalThis as any; // this runs in the page; the project compiles without the DOM's types
        const table = inPage.document.querySelector('table');
        const button = [...inPage.document.querySelectorAll('button')].find((b: any) => b.textContent === 'Show more');
        if (!table || !button) return reject(new Error('no Show more button: the inbox ended early'));
        const rows = () => Number(table.getAttribute('aria-rowcount'));
        const before = rows();
        inPage.performance.clearResourceTimings();
        const started = performance.now();
        const observer = new inPage.MutationObserver(() => {
          if (rows() <= before) return;
          observer.disconnect();
          inPage.requestAnimationFrame(() =>
            setTimeout(() => {
              const request = inPage.performance.getEntriesByType('resource').find((entry: any) => entry.name.includes('/v1/conversations'));
              resolve({ ms: performance.now() - started, fetchMs: request ? request.responseEnd - request.startTime : 0 });
            }),
          );
        });
        observer.observe(table, { attributes: true, attributeFilter: ['aria-rowcount'] });
        button.click();
      }),
  );
}

/** Scrolls the inbox's scroll container from top to bottom, 300 px a frame, and returns each frame's interval. */
function scrollThroughList(): Promise<number[]> {
  const inPage = globalThis as any; // this runs in the page; the project compiles without the DOM's types
  const table = inPage.document.querySelector('table');
  let scroller = table?.parentElement ?? null;
  while (scroller && !(scroller.scrollHeight > scroller.clientHeight + 1 && /(auto|scroll)/.test(inPage.getComputedStyle(scroller).overflowY))) {
    scroller = scroller.parentElement;
  }
  const target = scroller ?? inPage.document.scrollingElement;
  target.scrollTop = 0;
  return new Promise((resolve) => {
    const intervals: number[] = [];
    let last = performance.now();
    const step = (now: number) => {
      intervals.push(now - last);
      last = now;
      const before = target.scrollTop;
      target.scrollTop = before + 300;
      if (target.scrollTop === before) resolve(intervals.slice(1));
      else inPage.requestAnimationFrame(step);
    };
    inPage.requestAnimationFrame((now: number) => {
      last = now;
      inPage.requestAnimationFrame(step);
    });
  });
}

/**
 * Set-based, as the service would have written it: each conversation between the staff user and the member has
 * three messages (the member's question, the reply, the member's thanks), a tenth are closed, and a third are unread.
 */
async function seed(databaseUrl: string, organizationId: string, staffId: string, memberId: string): Promise<void> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('begin');
    await db.query(
      `create temp table bench_inbox on commit drop as
       select g, gen_random_uuid() as id, now() - interval '90 days' + g * (interval '89 days' / $1::int) as created_at, g % 10 = 0 as closed
         from generate_series(1, $1::int) g`,
      [INBOX_CONVERSATIONS],
    );
    await db.query(
      `insert into conversation (id, organization_id, subject, status, created_by_id, created_at, closed_at, closed_by_id)
       select id, $1, 'Question ' || g || ' about claim ' || substr(md5(g::text), 1, 8), case when closed then 'closed' else 'open' end,
              $3, created_at, case when closed then created_at + interval '3 hours' end, case when closed then $2::uuid end
         from bench_inbox`,
      [organizationId, staffId, memberId],
    );
    await db.query(
      `insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, created_at)
       select gen_random_uuid(), c.id, case when k = 2 then $1::uuid else $2::uuid end, case when k = 2 then 'staff' else 'to' end,
              '<p>' || t.text || '</p>', t.text, c.created_at + (k - 1) * interval '1 hour'
         from bench_inbox c
        cross join generate_series(1, 3) k
        cross join lateral (select 'Message ' || k || ' about claim ' || substr(md5(c.g::text), 1, 8) || ': the statement for the second quarter does not match the figures we agreed.' as text) t
        order by c.g, k`,
      [staffId, memberId],
    );
    await db.query(
      `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, last_read_at, last_read_seq, last_activity_at, last_message_id)
       select c.id, p.user_id, 'to', $2::uuid, c.created_at,
              case when c.g % 3 = 0 then null else latest.created_at end, case when c.g % 3 = 0 then 0 else latest.seq end,
              latest.created_at, latest.id
         from bench_inbox c
        cross join (values ($1::uuid), ($2::uuid)) p(user_id)
        cross join lateral (select m.id, m.seq, m.created_at from conversation_message m where m.conversation_id = c.id order by m.seq desc limit 1) latest`,
      [staffId, memberId],
    );
    await db.query('commit');
    await db.query('vacuum (analyze) conversation, conversation_message, conversation_participant');
  } finally {
    await db.end();
  }
}
