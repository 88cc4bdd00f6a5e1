import * as os from 'node:os';
import { MAX_INBOUND_HTML_CHARS, MAX_INBOUND_HTML_LIMITS, MAX_INBOUND_TEXT_CHARS, stripQuotedReply } from '../libs/rich-text/quoted-reply.js';
import { MAX_RICH_TEXT_BYTES, MAX_RICH_TEXT_ELEMENTS, sanitizeRichText, TEXT_PIECES_PER_ELEMENT, TooMuchMarkupError } from '../libs/rich-text/rich-text.js';

/**
 * Sanitizing at its worst, without the platform: the time one body takes on the event loop, for inputs built to be
 * slow, each as large as it may be:
 *  - api    a body of up to MAX_RICH_TEXT_BYTES from the API (post, start, canned response): sanitizeRichText refusing
 *           too much markup, as sanitizedBody calls it, so a body is either sanitized or refused (422);
 *  - flat   the same bodies flattened instead of refused, as a reply by email is: no target, because no mail reaches
 *           sanitizing this large (stripQuotedReply bounds the HTML it reads to half a body's markup first); it shows
 *           what the bounds save;
 *  - email  a whole inbound mail through stripQuotedReply: HTML parts at and beyond the bounds it reads, text parts
 *           larger than the part of them it reads.
 * The target is the security review's: any body up to the size limit sanitized or refused within 100 ms.
 */
const RUNS = Number(process.env.BENCH_SANITIZE_RUNS ?? 7);

export interface SanitizeCase {
  name: string;
  mode: 'api' | 'flat' | 'email';
  chars: number;
  outcome: 'sanitized' | 'refused' | 'empty';
  /** Elements in the sanitized HTML (a rough measure of what was kept). */
  elementsOut: number;
  p50Ms: number;
  maxMs: number;
}

export interface SanitizeResult {
  runs: number;
  /** The machine's load when the case began: on a shared machine the times grow with it. */
  loadAverage: number[];
  targetMs: number;
  cases: SanitizeCase[];
  worst: { api: SanitizeCase; flat: SanitizeCase; email: SanitizeCase };
}

/** `unit` repeated to fill `limit` characters (ASCII: as many bytes), after `prefix`. */
const fill = (unit: string, limit = MAX_RICH_TEXT_BYTES, prefix = '') => prefix + unit.repeat(Math.floor((limit - prefix.length) / unit.length));

const LINK = '<a href="https://example.com/p">link</a> ';

/** `unit` repeated as often as a body from the API may have it (within MAX_RICH_TEXT_BYTES, not refused). */
function mostAccepted(name: string, unit: string, prefix = '', suffix = ''): [string, string] {
  const body = (n: number) => prefix + unit.repeat(n) + suffix;
  const accepted = (n: number) => {
    if (Buffer.byteLength(body(n)) > MAX_RICH_TEXT_BYTES) return false;
    try {
      sanitizeRichText(body(n), { tooMuchMarkup: 'refuse' });
      return true;
    } catch (error) {
      if (error instanceof TooMuchMarkupError) return false;
      throw error;
    }
  };
  let [low, high] = [0, Math.ceil(MAX_RICH_TEXT_BYTES / unit.length)];
  while (low < high) {
    const n = Math.ceil((low + high) / 2);
    if (accepted(n)) low = n;
    else high = n - 1;
  }
  return [`${name} × ${low}, the most accepted`, body(low)];
}

/** The worst shapes found: depth, elements of the costliest kinds (links, table cells), text events, attributes. */
const BODIES: Array<[string, string]> = [
  ["'<b>' × 87,000 (issue 10)", '<b>'.repeat(87_000)],
  ['<div> nested', fill('<div>')],
  ['mixed nesting', fill('<b><i><u><span><div><blockquote><ul><li><table><tr><td>')],
  ['unknown tags nested', fill('<x>')],
  ['end tags hidden in comments', fill('<b><!--</b>-->')],
  ['empty links', fill('<a>')],
  ['links with text', fill(LINK)],
  ['paragraphs', fill('<p>x</p>')],
  ['table rows', fill('<tr><td>1</td><td>2</td></tr>', MAX_RICH_TEXT_BYTES, '<table>')],
  ['list items', fill('<li>x', MAX_RICH_TEXT_BYTES, '<ul>')],
  ['end tags opening elements', fill('</p></br>')],
  ['attributes on every tag', fill('<b onclick=alert(1) title="t" style="color:red">')],
  ['stray <', fill('<')],
  ['entities', fill('&amp;')],
  ['plain text', fill('Hello world ')],
  // The most of the costliest kinds a body may carry and still be accepted: the ceiling for accepted bodies.
  mostAccepted('links', LINK),
  mostAccepted('table rows', '<tr><td>1</td><td>2</td><td>3</td></tr>', '<table>', '</table>'),
  mostAccepted('paragraphs', '<p>Some words of text.</p>'),
  mostAccepted('stray <', '< '),
  mostAccepted('stray < after half the budget in links', '< ', LINK.repeat(Math.floor(MAX_RICH_TEXT_ELEMENTS / 2 / (1 + 2 / TEXT_PIECES_PER_ELEMENT)))),
];

const MAILS: Array<[string, { html?: string; text?: string }]> = [
  ['html nested past the depth it reads', { html: fill('<b>', MAX_INBOUND_HTML_CHARS), text: 'Plain reply' }],
  ['html with too many elements', { html: fill('<p>x</p>', MAX_INBOUND_HTML_CHARS), text: 'Plain reply' }],
  [
    'html as deep and with as many elements as it reads',
    {
      html: `${'<div>'.repeat(MAX_INBOUND_HTML_LIMITS.maxDepth - 1)}${'<p>x</p>'.repeat(MAX_INBOUND_HTML_LIMITS.maxElements - MAX_INBOUND_HTML_LIMITS.maxDepth + 1)}`,
    },
  ],
  ['html of as many links as it reads', { html: LINK.repeat(MAX_INBOUND_HTML_LIMITS.maxElements) }],
  [
    'html of as many table cells as it reads',
    { html: `<table>${'<tr><td>1</td><td>2</td></tr>'.repeat(MAX_INBOUND_HTML_LIMITS.maxElements / 3 - 1)}</table>` },
  ],
  // Without a text part, an HTML part beyond the bounds gives its words by cutting out the tags.
  ['html only, too many elements', { html: fill('<p>x</p>', MAX_INBOUND_HTML_CHARS) }],
  ['html only, too many elements, entities and comments', { html: fill('<p>&amp;&#x1F600;<!-- c --></p>', MAX_INBOUND_HTML_CHARS) }],
  ['html only, unclosed styles', { html: fill('<style><b>', MAX_INBOUND_HTML_CHARS) }],
  ['html only, stray <', { html: fill('<', MAX_INBOUND_HTML_CHARS) }],
  ['text part of short paragraphs', { text: fill('line\n\n', 4 * MAX_INBOUND_TEXT_CHARS) }],
  ['text part of short lines', { text: fill('line\n', 4 * MAX_INBOUND_TEXT_CHARS) }],
  ['text part of stray <', { text: fill('<', 4 * MAX_INBOUND_TEXT_CHARS) }],
];

export function benchSanitize(): SanitizeResult {
  const loadAverage = os.loadavg().map((load) => Math.round(load * 100) / 100);
  const cases: SanitizeCase[] = [];
  for (const [name, body] of BODIES) {
    cases.push(measure(name, 'api', body.length, () => sanitizeRichText(body, { tooMuchMarkup: 'refuse' })));
    cases.push(measure(name, 'flat', body.length, () => sanitizeRichText(body)));
  }
  for (const [name, mail] of MAILS) {
    cases.push(measure(name, 'email', (mail.html?.length ?? 0) + (mail.text?.length ?? 0), () => stripQuotedReply(mail)));
  }
  const worst = (mode: SanitizeCase['mode']) => cases.filter((c) => c.mode === mode).reduce((a, b) => (b.maxMs > a.maxMs ? b : a));
  return { runs: RUNS, loadAverage, targetMs: 100, cases, worst: { api: worst('api'), flat: worst('flat'), email: worst('email') } };
}

function measure(name: string, mode: SanitizeCase['mode'], chars: number, run: () => { html: string; text: string }): SanitizeCase {
  const once = () => {
    try {
      const result = run();
      return { outcome: result.text ? ('sanitized' as const) : ('empty' as const), elementsOut: result.html.match(/<[a-z]/g)?.length ?? 0 };
    } catch (error) {
      if (error instanceof TooMuchMarkupError) return { outcome: 'refused' as const, elementsOut: 0 };
      throw error;
    }
  };
  const outcome = once(); // warms the code paths up
  const durations: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    once();
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { name, mode, chars, ...outcome, p50Ms: round(durations[Math.floor(RUNS / 2)]), maxMs: round(durations[RUNS - 1]) };
}

export function describeSanitize(result: SanitizeResult): string[] {
  const line = (c: SanitizeCase) =>
    `  ${c.mode.padEnd(5)} ${c.name.padEnd(52)} ${(c.chars / 1024).toFixed(0).padStart(5)} KiB  ${c.outcome.padEnd(9)} ` +
    `p50 ${c.p50Ms.toFixed(1).padStart(6)} ms, max ${c.maxMs.toFixed(1).padStart(6)} ms`;
  const verdict = (c: SanitizeCase) => `[target ≤ ${result.targetMs} ms: ${c.maxMs <= result.targetMs ? 'met' : 'MISSED'}]`;
  return [
    `sanitize, worst inputs at the size limits (${result.runs} runs each; load average ${result.loadAverage.join(' ')}):`,
    ...result.cases.map(line),
    `sanitize worst: api ${result.worst.api.maxMs} ms (${result.worst.api.name}) ${verdict(result.worst.api)}; ` +
      `email ${result.worst.email.maxMs} ms (${result.worst.email.name}) ${verdict(result.worst.email)}; ` +
      `unbounded flattening, no mail reaches it: ${result.worst.flat.maxMs} ms (${result.worst.flat.name})`,
  ];
}
