import { compile } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';
import { boundMarkup } from './markup-bounds.js';

/**
 * The most a message body may take, as UTF-8 bytes of its HTML. This module does not enforce it:
 * whoever accepts a body (API validation, inbound email) checks `Buffer.byteLength(html)` first.
 */
export const MAX_RICH_TEXT_BYTES = 256 * 1024;

/** What a rich-text body becomes once it may be stored and shown: safe HTML and its plain-text rendering. */
export interface RichText {
  html: string;
  text: string;
}

/** The only URL schemes a link may have; anything else (javascript:, data:, vbscript:, relative, //host) loses its href. */
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const LINK_REL = 'noopener noreferrer nofollow';
/** colspan/rowspan beyond this are dropped: a huge span only serves to blow up the text rendering of a table. */
const MAX_TABLE_SPAN = 20;
/**
 * Deeper markup keeps its text but loses its tags, before it is even parsed (see boundMarkup): parsing costs time
 * quadratic in the depth, and no renderer should recurse without bound. Nothing an editor produces comes close.
 */
export const MAX_RICH_TEXT_DEPTH = 64;
/**
 * How much markup a body may have: elements, and pieces of text (runs of text between tags, character references
 * such as `&lt;`, stray `<`: the parser hands each on separately), TEXT_PIECES_PER_ELEMENT of which count as one
 * element. An element costs sanitizing and rendering as text (a link or a table cell some tens of microseconds), a
 * piece of text about a microsecond: with MAX_RICH_TEXT_DEPTH this bounds the time any body up to MAX_RICH_TEXT_BYTES
 * takes (bench case `sanitize`). A long letter from the editor has a few hundred elements, and a 900-row table of 3
 * columns fits; prose has a piece of text per tag or character reference, so only a body of little else than `&lt;`,
 * `&nbsp;` or stray `<` comes near the limit with text alone.
 */
export const MAX_RICH_TEXT_ELEMENTS = 4000;
export const TEXT_PIECES_PER_ELEMENT = 16;
export const MAX_RICH_TEXT_PIECES = MAX_RICH_TEXT_ELEMENTS * TEXT_PIECES_PER_ELEMENT;

/** A body with more markup than MAX_RICH_TEXT_ELEMENTS allows, when its author is to be told rather than its markup flattened. */
export class TooMuchMarkupError extends Error {
  constructor() {
    super(
      `has too much markup: at most ${MAX_RICH_TEXT_ELEMENTS} elements (tags), where ${TEXT_PIECES_PER_ELEMENT} pieces of text ` +
        '(runs of text between tags, character references such as &lt;, stray <) count as one',
    );
    this.name = 'TooMuchMarkupError';
  }
}

export interface SanitizeOptions {
  /**
   * What becomes of a body with more markup than MAX_RICH_TEXT_ELEMENTS allows. 'flatten' (the default) keeps the
   * first MAX_RICH_TEXT_ELEMENTS elements and the text of the rest, which loses its formatting, and cuts the text
   * short after MAX_RICH_TEXT_PIECES pieces (so it may take up to twice as long as a body just within the limit):
   * right for mail, whose sender cannot be asked to send it again some other way and whose reply should still arrive
   * (no person's reply comes near that much). 'refuse' throws TooMuchMarkupError: right for a body composed in the
   * app, whose author would be surprised to see its formatting vanish partway through, and can be told. Depth is
   * flattened either way: the text survives, the tags beyond the limit were dropped before (by sanitize-html's
   * nestingLimit) already, and no editor nests that deep, so refusing would only turn away odd mail and pasted markup.
   */
  tooMuchMarkup?: 'flatten' | 'refuse';
}

/**
 * The formatting a WYSIWYG editor produces, and nothing else. Notably absent:
 * - img (and picture/video/audio/source): a remote image is a tracking pixel that tells the sender when,
 *   where and on what device a secure message was read, and leaks its existence to a third party;
 *   data: images are a vector of their own. Attachments are the way to share a picture.
 * - style/class/id attributes: styling can hide text or overlay the UI, and id/class can collide with the app's own.
 * - script, iframe, object, embed, form and input elements, and every event-handler attribute.
 */
const ALLOWED_TAGS = [
  'p',
  'br',
  'b',
  'strong',
  'i',
  'em',
  'u',
  's',
  'strike',
  'blockquote',
  'ul',
  'ol',
  'li',
  'a',
  'h1',
  'h2',
  'h3',
  'h4',
  'pre',
  'code',
  'span',
  'div',
  'hr',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
];

/**
 * Disallowed elements whose *content* goes too, not just the tag: code, styles, embedded documents,
 * form controls, foreign (SVG/MathML) content and document metadata are not text the author wrote.
 * Every other disallowed element (font, center, section, …) is unwrapped and its text kept.
 */
const DROPPED_WITH_CONTENT = [
  'script',
  'style',
  'textarea',
  'option',
  'select',
  'datalist',
  'button',
  'xmp',
  'noscript',
  'noembed',
  'noframes',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'template',
  'svg',
  'math',
  'canvas',
  'video',
  'audio',
  'picture',
  'map',
  'head',
  'title',
];

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  // rel and target are listed only so the values set by transformTags survive; the author's are overwritten.
  allowedAttributes: { a: ['href', 'rel', 'target'], th: ['colspan', 'rowspan'], td: ['colspan', 'rowspan'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  allowVulnerableTags: false,
  disallowedTagsMode: 'discard',
  nonTextTags: DROPPED_WITH_CONTENT,
  enforceHtmlBoundary: false,
  parseStyleAttributes: false,
  nestingLimit: MAX_RICH_TEXT_DEPTH,
  transformTags: {
    a: (tagName, attribs) => {
      const href = safeLinkHref(attribs.href);
      return { tagName, attribs: { ...(href ? { href } : {}), rel: LINK_REL, target: '_blank' } };
    },
    th: (tagName, attribs) => ({ tagName, attribs: tableSpans(attribs) }),
    td: (tagName, attribs) => ({ tagName, attribs: tableSpans(attribs) }),
  },
};

/**
 * The href as a browser would follow it, or undefined unless that is an absolute http(s) or mailto URL.
 * The parser has already decoded entities (`jav&#x61;script:` arrives as `javascript:`); the browser also
 * ignores tabs and newlines anywhere and C0 controls/spaces at the ends (`java\tscript:`), so the
 * scheme is judged on what the WHATWG URL parser makes of it.
 */
function safeLinkHref(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const href = raw.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (!LINK_PROTOCOLS.has(url.protocol)) return undefined;
  if (url.protocol !== 'mailto:' && !url.hostname) return undefined;
  return href;
}

function tableSpans(attribs: sanitizeHtml.Attributes): sanitizeHtml.Attributes {
  const kept: sanitizeHtml.Attributes = {};
  for (const name of ['colspan', 'rowspan']) {
    const value = attribs[name]?.trim();
    if (value && /^\d{1,3}$/.test(value) && +value >= 1 && +value <= MAX_TABLE_SPAN) kept[name] = String(+value);
  }
  return kept;
}

/**
 * C0 controls other than tab, line feed and carriage return, and DEL: invisible in a message, and NUL is
 * refused by PostgreSQL text columns outright.
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}

const NOT_UPPERCASE = { uppercase: false };

const renderText = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { linkBrackets: ['[', ']'], hideLinkHrefIfSameAsText: true, ignoreHref: false } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: NOT_UPPERCASE },
    { selector: 'h2', options: NOT_UPPERCASE },
    { selector: 'h3', options: NOT_UPPERCASE },
    { selector: 'h4', options: NOT_UPPERCASE },
    { selector: 'ul', options: { itemPrefix: '- ' } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
});

/** Trailing blanks (NBSP included) off every line, at most one empty line in a row, no blank ends. */
function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The body of a message composed in the WYSIWYG editor, reduced to the allowlisted formatting, with
 * every link inert unless it is http(s)/mailto and opening in a new tab without referrer or opener.
 * `text` is the plain-text rendering (notifications, previews, search).
 * The markup is bounded before anything parses it (boundMarkup, in time linear in its length): nesting deeper than
 * MAX_RICH_TEXT_DEPTH is flattened, and more markup than MAX_RICH_TEXT_ELEMENTS allows flattened and cut short, or
 * refused (see SanitizeOptions), so that no body takes more than bounded time.
 */
export function sanitizeRichText(html: string, options: SanitizeOptions = {}): RichText {
  if (typeof html !== 'string' || html === '') return { html: '', text: '' };
  const bounded = boundMarkup(withoutControlCharacters(html), {
    maxDepth: MAX_RICH_TEXT_DEPTH,
    maxElements: MAX_RICH_TEXT_ELEMENTS,
    maxTextPieces: MAX_RICH_TEXT_PIECES,
  });
  if (options.tooMuchMarkup === 'refuse' && (bounded.tooMany || bounded.tooMuchText || markupOf(bounded) > MAX_RICH_TEXT_ELEMENTS)) {
    throw new TooMuchMarkupError();
  }
  const clean = sanitizeHtml(bounded.html, SANITIZE_OPTIONS).trim();
  return { html: clean, text: clean ? tidyText(renderText(clean)) : '' };
}

/** A document's markup, in elements, TEXT_PIECES_PER_ELEMENT pieces of text counting as one. */
function markupOf({ elements, textPieces }: { elements: number; textPieces: number }): number {
  return elements + textPieces / TEXT_PIECES_PER_ELEMENT;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * HTML for a message that arrived as plain text (an email without an HTML part): every character
 * escaped, paragraphs (separated by blank lines) as <p>, single line breaks as <br />.
 */
export function plainTextToHtml(text: string): string {
  if (typeof text !== 'string') return '';
  return withoutControlCharacters(text)
    .replace(/\r\n?/g, '\n')
    .split(/\n[^\S\n]*(?:\n[^\S\n]*)+/)
    .map((paragraph) => paragraph.replace(/^[^\S\n]*\n|\n[^\S\n]*$/g, ''))
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => `<p>${paragraph.split('\n').map(escapeHtml).join('<br />')}</p>`)
    .join('');
}

/**
 * A one-line preview: whitespace runs (newlines included) as single spaces, trimmed, and at most
 * `maxChars` code points followed by '…' when it had to be cut. Counting code points, not UTF-16
 * units, means an emoji is never split into half a surrogate pair.
 */
export function previewOf(text: string, maxChars = 140): string {
  if (typeof text !== 'string') return '';
  const collapsed = withoutControlCharacters(text).replace(/\s+/g, ' ').trim();
  const limit = Math.max(0, Math.floor(maxChars));
  const codePoints = Array.from(collapsed);
  if (codePoints.length <= limit) return collapsed;
  // A cut inside an emoji ZWJ sequence would leave a dangling joiner: drop it with the trailing space.
  return `${codePoints
    .slice(0, limit)
    .join('')
    .replace(/[\s\u200d]+$/, '')}…`;
}
