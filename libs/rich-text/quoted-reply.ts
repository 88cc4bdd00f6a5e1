import { DomUtils, ElementType, parseDocument } from 'htmlparser2';
import { exceedsLimits } from './markup-bounds.js';
import { MAX_RICH_TEXT_BYTES, MAX_RICH_TEXT_ELEMENTS, MAX_RICH_TEXT_PIECES, plainTextToHtml, sanitizeRichText, type RichText } from './rich-text.js';

type HtmlDocument = ReturnType<typeof parseDocument>;
type HtmlNode = HtmlDocument['children'][number];
type HtmlElement = Extract<HtmlNode, { attribs: unknown }>;
type HtmlTextNode = Extract<HtmlNode, { type: typeof ElementType.Text }>;

const isElement = (node: HtmlNode): node is HtmlElement => ElementType.isTag(node);
const isText = (node: HtmlNode): node is HtmlTextNode => node.type === ElementType.Text;

/** An inbound email's bodies, as the provider hands them over. */
export interface InboundMailBody {
  text?: string;
  html?: string;
}

/**
 * What the person actually wrote in a reply that came in by email: the quoted earlier message(s)
 * removed, the rest sanitized like any rich-text body. The HTML part is preferred when something is
 * left of it; otherwise the text part is used. A reply that was nothing but quote gives empty strings.
 * Quote detection is heuristic (mail clients mark quotes in their own ways), so it leans towards keeping
 * text: only history that follows the reply, or that a client marked as quoted, is removed.
 */
export function stripQuotedReply(mail: InboundMailBody): RichText {
  const html = typeof mail?.html === 'string' ? mail.html : '';
  const text = typeof mail?.text === 'string' ? mail.text : '';
  const reasonableHtml = html.trim() ? withinBounds(html) : undefined;
  if (reasonableHtml !== undefined) {
    const fromHtml = safely(() => sanitizeRichText(stripHtmlQuotes(withoutNonText(reasonableHtml, true))));
    if (fromHtml?.text) return fromHtml;
  }
  // A mail too busy to parse still brings its words: from its text part, or else from its HTML with the tags cut out.
  const plain = text.trim() ? text : reasonableHtml === undefined && html.trim() ? wordsOfHtml(html) : '';
  if (plain.trim()) {
    const fromText = safely(() => {
      const reply = stripTextQuotes(plain.slice(0, MAX_INBOUND_TEXT_CHARS));
      return sanitizeRichText(plainTextToHtml(reply));
    });
    if (fromText?.text) return fromText;
  }
  return { html: '', text: '' };
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Elements whose content is not text the author wrote (raw text to the parser, or foreign content), and comments. */
const NOT_TEXT = /<(script|style|head|title|template|svg|math)\b|<!--/gi;

/**
 * `html` without what NOT_TEXT matches, in one pass: each search starts where the last one ended, and an element
 * never closed ends the reading. The sanitizer drops all of it anyway; cutting it first spares the parser a mail
 * that is mostly CSS (half a megabyte of unclosed <style> took the parser and sanitizer over 100 ms). Comments are
 * kept for the parser (`keepComments`): some mail clients mark quoted history with them.
 */
function withoutNonText(html: string, keepComments = false): string {
  const lower = html.toLowerCase();
  let kept = '';
  let at = 0;
  NOT_TEXT.lastIndex = 0;
  for (let match = NOT_TEXT.exec(html); match; match = NOT_TEXT.exec(html)) {
    const comment = !match[1];
    const close = comment ? '-->' : `</${match[1].toLowerCase()}`;
    const closeAt = lower.indexOf(close, NOT_TEXT.lastIndex);
    const after = closeAt < 0 ? -1 : comment ? closeAt + 2 : html.indexOf('>', closeAt);
    const end = after < 0 ? html.length : after + 1;
    if (!(comment && keepComments)) {
      kept += html.slice(at, match.index);
      at = end;
    }
    NOT_TEXT.lastIndex = end;
  }
  return kept + html.slice(at);
}

/**
 * The text of an HTML part beyond the bounds, in linear time and without a parser: elements whose content is not
 * text go whole, block ends become line breaks, other tags vanish, common character references are decoded. Crude,
 * but its output is only ever treated as plain text (escaped again by plainTextToHtml), so nothing in it is markup.
 * Only the beginning is read (four times the text part's share, for the tags), where the reply is.
 */
function wordsOfHtml(html: string): string {
  const kept = withoutNonText(html.slice(0, 4 * MAX_INBOUND_TEXT_CHARS));
  // [^<>] rather than [^>]: a stray < then costs one step, not a scan to the end.
  return kept
    .replace(/<(?:br|\/p|\/div|\/li|\/tr|\/h[1-6]|\/blockquote)\b[^<>]*>/gi, '\n')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (reference, name: string) => {
      const lower = name.toLowerCase();
      if (lower.startsWith('#')) {
        const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
        return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : ' ';
      }
      return NAMED_ENTITIES[lower] ?? reference;
    })
    .replace(/[^\S\n]+/g, ' ');
}

/**
 * Inbound mail is not bounded like a composed body: its HTML part is parsed whole (to find the quotes) before the
 * reply in it is sanitized, and parsing costs time quadratic in the nesting depth (256 KiB of nested <b> take
 * seconds) and more with every element and piece of text. An HTML part this large, deep or busy is not a person's
 * reply; the text part stands in for it (the words arrive, the formatting does not). Quoted history nests (each
 * reply quotes the one before) and quote markers must not be lost, hence a depth well above what a sanitized body
 * keeps. Elements and text pieces are held to half a composed body's, because a mail is parsed twice (quotes, then
 * sanitizing): so the worst mail takes no longer than the worst body from the API (≤ 100 ms, bench `sanitize`;
 * at a whole body's worth, 4,000 links took 115 ms).
 */
export const MAX_INBOUND_HTML_CHARS = 2 * MAX_RICH_TEXT_BYTES;
export const MAX_INBOUND_HTML_LIMITS = {
  maxDepth: 1000,
  maxElements: MAX_RICH_TEXT_ELEMENTS / 2,
  maxTextPieces: MAX_RICH_TEXT_PIECES / 2,
};
/**
 * Of the text part, only the beginning is read: 64 KiB is some 10,000 words, far more than anyone types in a reply,
 * and what follows the reply is the quoted history, removed anyway. Reading a quarter of what a body may hold keeps
 * the worst text part within the 100 ms the API's bodies get (measured: 256 KiB of short paragraphs took 200 ms).
 */
export const MAX_INBOUND_TEXT_CHARS = 64 * 1024;

/** The HTML part when it is within the bounds, checked in one linear pass that reads it as the parser will; else undefined. */
function withinBounds(html: string): string | undefined {
  if (html.length > MAX_INBOUND_HTML_CHARS || exceedsLimits(html, MAX_INBOUND_HTML_LIMITS)) return undefined;
  return html;
}

function safely(convert: () => RichText): RichText | undefined {
  try {
    return convert();
  } catch {
    // Pathological markup (e.g. nesting deep enough to exhaust the stack) must not fail the inbound mail;
    // the caller falls back to the other part or to an empty reply rather than keep unstripped history.
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// Line patterns, shared by the text part and the lines of the HTML part

/** "On Mon, Jan 8, 2024 at 10:15 AM Jane Doe <jane@example.com> wrote:" and its French/German/Spanish/Dutch kin. A date has digits. */
const ATTRIBUTION = [
  /^On\s(?=.*\d).{4,300}\swrote\s?:$/i,
  /^Le\s(?=.*\d).{4,300}\sa\s[ée]crit\s?:$/i,
  /^Am\s(?=.*\d).{4,300}\sschrieb\s.{0,200}:$/i,
  /^El\s(?=.*\d).{4,300}\sescribi[óo]\s?:$/i,
  /^Op\s(?=.*\d).{4,300}\sschreef\s.{0,200}:$/i,
];
/** The loose form, trusted only right before a block of `>` lines: "Jane wrote:". */
const LOOSE_ATTRIBUTION = /\b(wrote|writes|a [ée]crit|schrieb|escribi[óo]|schreef)\b[^:]{0,200}:$/i;
const ORIGINAL_MESSAGE = /^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Oorspronkelijk bericht)\s*-{2,}$/i;
/** Outlook's separator before its header block. */
const UNDERSCORES = /^_{10,}$/;
/** Outlook's header block: "From: …" and, within a few lines, "Sent: …" or "Date: …" (also bold as *From:*). */
const HEADER_FROM = /^\*?(From|Von|De)\s?:\*?\s*\S/i;
const HEADER_SENT = /^\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha)\s?:\*?\s*\S/i;
const HEADER_SPAN = 6;
const QUOTED = /^\s*>/;

/** A part of the lines to drop: [start, end), where end = lines.length means "to the end". */
interface QuoteRange {
  start: number;
  end: number;
}

const tidy = (line: string) => line.replace(/\s+/g, ' ').trim();

/**
 * The quoted parts of a message given as lines: everything from the first header of a quoted history
 * (attribution not followed by `>` lines, "-----Original Message-----", Outlook's header block) to the
 * end; an attribution together with the `>` block it introduces; and a trailing block of `>` lines.
 * `>` lines in the middle of the text (an interleaved answer) are the author's own context and stay.
 */
function findQuotedRanges(rawLines: readonly string[]): QuoteRange[] {
  const lines = rawLines.map(tidy);
  const n = lines.length;
  const ranges: QuoteRange[] = [];
  const nextNonBlank = (from: number): number => {
    let j = from;
    while (j < n && lines[j] === '') j++;
    return j;
  };
  const isQuoted = (i: number) => i < n && QUOTED.test(lines[i]);

  for (let i = 0; i < n; i++) {
    const line = lines[i];
    if (line === '' || isQuoted(i)) continue;
    if (ORIGINAL_MESSAGE.test(line)) return [...ranges, { start: i, end: n }];
    if (UNDERSCORES.test(line) && HEADER_FROM.test(lines[nextNonBlank(i + 1)] ?? '')) return [...ranges, { start: i, end: n }];
    if (HEADER_FROM.test(line) && startsHeaderBlock(lines, i)) return [...ranges, { start: i, end: n }];
    const attributionLines = attributionAt(lines, i);
    if (attributionLines > 0) {
      const first = nextNonBlank(i + attributionLines);
      if (!isQuoted(first)) return [...ranges, { start: i, end: n }];
      // Attribution + its `>` block (blank lines inside it included); what follows is a bottom-posted reply.
      let end = first;
      for (let j = first; j < n && (lines[j] === '' || isQuoted(j)); j++) if (isQuoted(j)) end = j + 1;
      ranges.push({ start: i, end });
      i = end - 1;
    }
  }

  // A trailing block of `>` lines, with a "… wrote:" line right before it.
  let end = n;
  while (end > 0 && lines[end - 1] === '') end--;
  let start = end;
  while (start > 0 && (lines[start - 1] === '' || isQuoted(start - 1))) start--;
  while (start < end && lines[start] === '') start++;
  if (start < end) {
    let before = start - 1;
    while (before >= 0 && lines[before] === '') before--;
    if (before >= 0 && LOOSE_ATTRIBUTION.test(lines[before])) start = before;
    const last = ranges.at(-1);
    if (!last || last.end <= start) ranges.push({ start, end: n });
    else last.end = n;
  }
  return ranges;
}

function startsHeaderBlock(lines: readonly string[], from: number): boolean {
  let seen = 0;
  for (let j = from + 1; j < lines.length && seen < HEADER_SPAN; j++) {
    if (lines[j] === '') continue;
    if (HEADER_SENT.test(lines[j])) return true;
    seen++;
  }
  return false;
}

/** How many lines (1–3, as a client may wrap it) the attribution starting at line i takes; 0 if none does. */
function attributionAt(lines: readonly string[], i: number): number {
  let joined = lines[i];
  for (let count = 1; count <= 3 && i + count <= lines.length; count++) {
    if (count > 1) {
      const next = lines[i + count - 1];
      // A wrapped attribution continues a line that is not a finished sentence.
      if (!next || /[.!?]$/.test(lines[i + count - 2])) return 0;
      joined = `${joined} ${next}`;
    }
    if (ATTRIBUTION.some((pattern) => pattern.test(joined))) return count;
    if (/:$/.test(joined)) return 0;
  }
  return 0;
}

function stripTextQuotes(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const drop = new Array<boolean>(lines.length).fill(false);
  for (const { start, end } of findQuotedRanges(lines)) drop.fill(true, start, end);
  return lines.filter((_, i) => !drop[i]).join('\n');
}

// ------------------------------------------------------------------------------------------------
// HTML

/** Elements that are the quoted message: removed, whatever comes after them stays. */
const QUOTE_CLASSES = new Set(['gmail_quote', 'gmail_quote_container', 'gmail_attr', 'moz-cite-prefix', 'yahoo_quoted', 'protonmail_quote']);
/** Elements where the quoted history starts: removed together with everything after them. */
const HISTORY_IDS = /^(x_)*(appendonsend|divRplyFwdMsg|mail-editor-reference-message-container|OLK_SRC_BODY_SECTION)$/i;

/** Elements that start and end a line of text. */
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'center',
  'dd',
  'div',
  'dl',
  'dt',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'html',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
]);
/** Elements whose text nobody sees. */
const INVISIBLE = new Set(['head', 'script', 'style', 'template', 'title']);

function stripHtmlQuotes(html: string): string {
  const document = parseDocument(html);
  removeMarkedQuotes(document);
  const history = DomUtils.findOne((el) => HISTORY_IDS.test(DomUtils.getAttributeValue(el, 'id') ?? ''), document.children);
  if (history) truncateFrom(history);
  removeQuotedLines(document);
  removeTrailingEmptiness(document);
  return DomUtils.getOuterHTML(document.children);
}

function classesOf(el: HtmlElement): string[] {
  return (DomUtils.getAttributeValue(el, 'class') ?? '').toLowerCase().split(/\s+/);
}

function isCitation(el: HtmlElement): boolean {
  if (el.name !== 'blockquote') return false;
  return (DomUtils.getAttributeValue(el, 'type') ?? '').toLowerCase() === 'cite' || classesOf(el).includes('gmail_quote');
}

/** Client-marked quotes: Gmail's gmail_quote, Apple Mail's and Thunderbird's blockquote type=cite, and their attributions. */
function removeMarkedQuotes(document: HtmlDocument): void {
  const marked = DomUtils.findAll((el) => isCitation(el) || classesOf(el).some((c) => QUOTE_CLASSES.has(c)), document.children);
  for (const el of marked) {
    if (isCitation(el)) removeAttributionBefore(el);
    DomUtils.removeElement(el);
  }
}

/** The "On …, Jane wrote:" that some clients (older Apple Mail, plain HTML ones) put just before the blockquote. */
function removeAttributionBefore(el: HtmlElement): void {
  let prev = el.prev;
  while (prev && isEmptyNode(prev)) prev = prev.prev;
  if (!prev || !(isText(prev) || isElement(prev))) return;
  const said = tidy(DomUtils.textContent(prev));
  if (said && (LOOSE_ATTRIBUTION.test(said) || ATTRIBUTION.some((pattern) => pattern.test(said)))) DomUtils.removeElement(prev);
}

interface HtmlLine {
  text: string;
  /** The text nodes and <br>s that make the line, in document order. */
  nodes: HtmlNode[];
}

/** The visible text as lines, split where a browser would break it (blocks and <br>). */
function linesOf(document: HtmlDocument): HtmlLine[] {
  const lines: HtmlLine[] = [];
  let current: HtmlLine = { text: '', nodes: [] };
  const breakLine = () => {
    if (current.nodes.length) lines.push(current);
    current = { text: '', nodes: [] };
  };
  // Iterative walk: an email may nest deeper than the call stack goes. A null entry marks a block's end.
  const stack: Array<HtmlNode | null> = [...document.children].reverse();
  while (stack.length) {
    const node = stack.pop();
    if (node === null) {
      breakLine();
    } else if (node && isText(node)) {
      current.text += node.data;
      current.nodes.push(node);
    } else if (node && isElement(node) && !INVISIBLE.has(node.name)) {
      if (node.name === 'br') {
        current.nodes.push(node);
        breakLine();
        continue;
      }
      if (BLOCKS.has(node.name)) {
        breakLine();
        stack.push(null);
      }
      for (let k = node.children.length - 1; k >= 0; k--) stack.push(node.children[k]);
    }
  }
  breakLine();
  return lines;
}

function removeQuotedLines(document: HtmlDocument): void {
  const lines = linesOf(document);
  const ranges = findQuotedRanges(lines.map((line) => line.text));
  for (const { start, end } of ranges.reverse()) {
    if (end >= lines.length) {
      truncateFrom(lines[start].nodes[0]);
    } else {
      for (let i = start; i < end; i++) for (const node of lines[i].nodes) DomUtils.removeElement(node);
    }
  }
}

/** Removes the node and everything after it in document order; its ancestors keep what came before. */
function truncateFrom(node: HtmlNode): void {
  let current: HtmlNode = node;
  let parent = current.parent;
  let keepCurrent = false;
  while (parent) {
    const siblings = parent.children;
    const index = siblings.indexOf(current);
    if (index >= 0) {
      siblings.length = keepCurrent ? index + 1 : index;
      const last = siblings.at(-1);
      if (last) last.next = null;
    }
    if (!keepCurrent) {
      current.parent = null;
      current.prev = null;
      current.next = null;
    }
    keepCurrent = true;
    current = parent as HtmlNode;
    parent = current.parent;
  }
}

function isEmptyNode(node: HtmlNode): boolean {
  if (isText(node)) return node.data.replace(/\s+/g, '') === '';
  if (node.type === ElementType.Comment) return true;
  if (!isElement(node)) return false;
  return node.name === 'br' || node.name === 'hr' || (node.children.length === 0 && node.name !== 'img');
}

/** What truncation leaves at the end: blank text, <br>, <hr>, empty wrappers. */
function removeTrailingEmptiness(document: HtmlDocument): void {
  for (;;) {
    let last: HtmlNode | undefined = document.children.at(-1);
    while (last && isElement(last) && last.children.length) last = last.children.at(-1);
    if (!last || !isEmptyNode(last)) return;
    DomUtils.removeElement(last);
  }
}
