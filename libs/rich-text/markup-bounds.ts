import { Parser, Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

/**
 * How much markup a document may carry. htmlparser2 (under sanitize-html and html-to-text) keeps its open elements
 * in an array it unshifts onto, so parsing costs time quadratic in the nesting depth — 87,000 nested <b> take
 * seconds — and every element, and every piece of text, costs sanitizing and rendering as text on top.
 */
export interface MarkupLimits {
  /** Open elements at once: a start tag that would open one more is left out. */
  maxDepth: number;
  /** Elements in all: once this many were opened, every further start tag is left out. */
  maxElements: number;
  /**
   * Pieces of text in all: runs of text between tags, character references (`&lt;`) and stray `<`, each of which the
   * parser hands on separately. The document is cut before the first piece beyond this many.
   */
  maxTextPieces: number;
}

export interface BoundedMarkup {
  /** The document with what is beyond the limits left out (the input itself when nothing was). */
  html: string;
  /** Some start tag would have opened an element deeper than maxDepth. */
  tooDeep: boolean;
  /** The document has more than maxElements elements. */
  tooMany: boolean;
  /** The document has more than maxTextPieces pieces of text: it was cut short. */
  tooMuchText: boolean;
  /** Elements and pieces of text in the result (a space left for something left out counted as a piece). */
  elements: number;
  textPieces: number;
}

/**
 * What stands where something was left out: a space, so that neither the words on either side run together (the
 * paragraphs of a flattened list) nor the text does into a new tag (`<` + `<b>` + `i>`). One for a run of cuts.
 */
const GAP = ' ';

/**
 * `html` with what is beyond the limits left out, in one pass linear in its length: it is tokenized and its tree
 * built by htmlparser2 itself (so it is read exactly as sanitize-html reads it), with the start tags beyond the
 * limits withheld from the tree builder, whose open elements therefore never number more than maxDepth.
 *
 * What is left out:
 * - an ordinary start tag: the tag alone (with its attributes); its content stays, in the enclosing element;
 * - a raw-text element (script, style, textarea, title, xmp, iframe, noembed, noframes, plaintext): the element
 *   with its content, which was never markup and so cannot be "flattened";
 * - an end tag that would open an element of its own (`</p>` with no p open, `</br>`) once a limit is reached;
 * - everything from the first piece of text beyond maxTextPieces on.
 * Parsing the result gives the tree the pass built, so the limits hold for whoever parses it next.
 */
export function boundMarkup(html: string, limits: MarkupLimits): BoundedMarkup {
  return scan(html, limits, false);
}

/** Whether `html` goes beyond the limits: the same pass as boundMarkup, stopping where it first does. */
export function exceedsLimits(html: string, limits: MarkupLimits): boolean {
  const { tooDeep, tooMany, tooMuchText } = scan(html, limits, true);
  return tooDeep || tooMany || tooMuchText;
}

function scan(html: string, limits: MarkupLimits, stopAtFirstExcess: boolean): BoundedMarkup {
  const open: string[] = [];
  let elements = 0;
  let textPieces = 0;
  let tooDeep = false;
  let tooMany = false;
  let tooMuchText = false;

  const output: string[] = [];
  let copiedTo = 0;
  /** Cut short: the rest of the document is gone, and nothing in it counts. */
  let cut = false;
  const cutShort = (from: number) => {
    tooMuchText = true;
    cut = true;
    if (stopAtFirstExcess) tokenizer.pause();
    // Nothing follows to join with: no gap.
    if (from > copiedTo || output.length === 0) output.push(html.slice(copiedTo, from));
    copiedTo = html.length;
  };
  const leaveOut = (from: number, to: number) => {
    if (from > copiedTo || output.length === 0) {
      // The gap may be a piece of text of its own: it counts as one, so the result has no more than the limit.
      if (++textPieces > limits.maxTextPieces) return cutShort(from);
      output.push(html.slice(copiedTo, from), GAP);
    }
    copiedTo = Math.max(from, copiedTo, to);
  };
  /** Where the end tag whose name ends at `nameEnd` ends: the tokenizer skips to the next `>`. */
  const endTagEnd = (nameEnd: number) => {
    const gt = html.indexOf('>', nameEnd);
    return gt < 0 ? html.length : gt + 1;
  };
  const beyondLimits = () => open.length >= limits.maxDepth || elements >= limits.maxElements;
  const noteWhyLeftOut = () => {
    tooDeep ||= open.length >= limits.maxDepth;
    tooMany ||= elements >= limits.maxElements;
    if (stopAtFirstExcess) tokenizer.pause();
  };

  /** The `<` of the start tag being left out, while its attributes are read. */
  let leaving: number | undefined;
  /** Whether that tag opens a raw-text element, which goes up to and with its end tag. */
  let leavingRawText = false;
  const endLeaving = (to: number) => {
    leaveOut(leaving!, to);
    leaving = undefined;
    leavingRawText = false;
  };
  /** Counts the piece of text starting at `start`; past the limit, cuts the document there. */
  const textPiece = (start: number) => {
    // Inside a raw-text element kept within the limits, text does not count: it is one piece, or (the character
    // references of a textarea or title) dropped by the sanitizer with its element.
    if (isRawText(tokenizer) || ++textPieces <= limits.maxTextPieces) return;
    cutShort(start);
  };
  let tokenizer: Tokenizer;

  const ignore = () => {};
  // Only what builds the tree goes on to the parser: text, comments and attributes change no element's place in it.
  const gate = (parser: TokenizerCallbacks): TokenizerCallbacks => ({
    onopentagname(start, endIndex) {
      if (cut) return;
      if (!beyondLimits()) return parser.onopentagname(start, endIndex);
      noteWhyLeftOut();
      leaving = start - 1;
      leavingRawText = isRawText(tokenizer);
    },
    onopentagend(endIndex) {
      if (cut) return;
      if (leaving === undefined) return parser.onopentagend(endIndex);
      if (!leavingRawText) endLeaving(endIndex + 1);
    },
    onselfclosingtag(endIndex) {
      if (cut) return;
      if (leaving === undefined) return parser.onselfclosingtag(endIndex);
      // `<script/>` opens raw text all the same: only an ordinary tag ends here.
      if (!leavingRawText) endLeaving(endIndex + 1);
    },
    onclosetag(start, endIndex) {
      if (cut) return;
      // Inside raw text, the only end tag the tokenizer reports is the element's own.
      if (leavingRawText) return endLeaving(endTagEnd(endIndex));
      if (beyondLimits()) {
        const name = html.slice(start, endIndex).toLowerCase();
        if (name === 'br' || (name === 'p' && !open.includes('p'))) {
          noteWhyLeftOut();
          return leaveOut(start - 2, endTagEnd(endIndex));
        }
      }
      parser.onclosetag(start, endIndex);
    },
    ontext(start) {
      if (!cut && !leavingRawText) textPiece(start);
    },
    ontextentity(codepoint, endIndex) {
      // A character reference runs from its `&` (it holds no other) to endIndex.
      if (!cut && !leavingRawText) textPiece(html.lastIndexOf('&', endIndex - 1));
    },
    isInForeignContext: () => parser.isInForeignContext?.() ?? false,
    onend() {
      // A tag or raw text still being left out runs to the end of the document.
      if (!cut && leaving !== undefined) endLeaving(html.length);
      parser.onend();
    },
    onattribname: ignore,
    onattribdata: ignore,
    onattribentity: ignore,
    onattribend: ignore,
    oncdata: ignore,
    oncomment: ignore,
    ondeclaration: ignore,
    onprocessinginstruction: ignore,
  });

  class BoundingTokenizer extends Tokenizer {
    constructor(options: ConstructorParameters<typeof Tokenizer>[0], parser: TokenizerCallbacks) {
      super(options, gate(parser));
      tokenizer = this;
    }
  }

  const parser = new Parser(
    {
      // The tree builder's own account of its open elements: implied ends (`<p>` in a `<p>`) and void elements included.
      onopentagname(name) {
        open.push(name);
        elements++;
      },
      onclosetag() {
        open.pop();
      },
    },
    { Tokenizer: BoundingTokenizer },
  );
  parser.end(html);
  const counts = { tooDeep, tooMany, tooMuchText, elements, textPieces: Math.min(textPieces, limits.maxTextPieces) };
  if (output.length === 0) return { html, ...counts };
  output.push(html.slice(copiedTo));
  return { html: output.join(''), ...counts };
}

/**
 * Whether the tokenizer reads raw text (or RCDATA): just after a start tag, whether that tag opens such an element,
 * whose content is text up to the element's end tag. The tokenizer decides that itself (by the name, outside SVG and
 * MathML); leaving such an element open while dropping its tag would make its content markup when parsed again.
 */
function isRawText(tokenizer: Tokenizer): boolean {
  return (tokenizer as unknown as { isSpecial: boolean }).isSpecial === true;
}
