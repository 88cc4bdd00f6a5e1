import { Parser } from 'htmlparser2';
import { boundMarkup, exceedsLimits } from '../../libs/rich-text/markup-bounds.js';

const LIMITS = { maxDepth: 10, maxElements: 50, maxTextPieces: 200 };

/** How htmlparser2 (as sanitize-html runs it) builds the tree of `html`: its deepest nesting, elements, and text. */
function parse(html: string): { deepest: number; elements: number; names: string[]; text: string } {
  let depth = 0;
  const result = { deepest: 0, elements: 0, names: [] as string[], text: '' };
  new Parser({
    onopentag(name) {
      result.elements++;
      result.names.push(name);
      result.deepest = Math.max(result.deepest, ++depth);
    },
    onclosetag() {
      depth--;
    },
    ontext(text) {
      result.text += text;
    },
  }).end(html);
  return result;
}

const nested = (tag: string, n: number) => `<${tag}>`.repeat(n);
const words = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('boundMarkup', () => {
  test('markup within the limits comes back as it was, with its elements and pieces of text counted', () => {
    const html = '<p>Hello <b>there</b>, <a href="https://example.com">link</a></p><ul><li>one<li>two</ul><br>';

    expect(boundMarkup(html, LIMITS)).toMatchObject({ elements: 7, textPieces: 6 });
    expect(boundMarkup(html, LIMITS)).toMatchObject({ html, tooDeep: false, tooMany: false, tooMuchText: false });
  });

  test('start tags deeper than maxDepth are left out and their text stays', () => {
    const { html, tooDeep, tooMany } = boundMarkup(`${nested('b', 1000)}deep inside${'</b>'.repeat(1000)} after`, LIMITS);

    expect({ tooDeep, tooMany }).toEqual({ tooDeep: true, tooMany: false });
    expect(parse(html)).toMatchObject({ deepest: 10, elements: 10 });
    expect(words(parse(html).text)).toBe('deep inside after');
  });

  test('after maxElements elements, every start tag is left out and the text stays', () => {
    const { html, tooDeep, tooMany } = boundMarkup('<p>x</p>'.repeat(100), LIMITS);

    expect({ tooDeep, tooMany }).toEqual({ tooDeep: false, tooMany: true });
    expect(parse(html).elements).toBe(50);
    expect(words(parse(html).text)).toBe(`${'x'.repeat(50)} ${Array(50).fill('x').join(' ')}`);
  });

  test('exceedsLimits tells whether any limit is passed, as boundMarkup would find', () => {
    expect(exceedsLimits('<p>x</p>'.repeat(50), LIMITS)).toBe(false);
    expect(exceedsLimits('<p>x</p>'.repeat(51), LIMITS)).toBe(true);
    expect(exceedsLimits(nested('b', 11), LIMITS)).toBe(true);
    expect(exceedsLimits('&lt;'.repeat(201), LIMITS)).toBe(true);
    expect(exceedsLimits('<b><!--</b>-->'.repeat(11), LIMITS)).toBe(true);
  });

  test('exactly maxElements elements and maxDepth levels are within the limits', () => {
    expect(boundMarkup('<b></b>'.repeat(50), LIMITS)).toMatchObject({ tooDeep: false, tooMany: false });
    expect(boundMarkup(nested('i', 10), LIMITS)).toMatchObject({ tooDeep: false, tooMany: false });
  });

  test('markup left out becomes one space, so the words on either side of it stay apart', () => {
    const { html } = boundMarkup(`${nested('b', 10)}${'<div>line'.repeat(3)}${nested('i', 1000)}end`, LIMITS);

    expect(html).toBe(`${nested('b', 10)} line line line end`);
  });

  test('after maxTextPieces pieces of text (runs, character references, stray <), the document is cut', () => {
    for (const unit of ['x<b>', 'x&lt;', '< ', '&amp;']) {
      const { html, tooMuchText } = boundMarkup(unit.repeat(1000), { ...LIMITS, maxElements: 10_000 });

      expect(tooMuchText).toBe(true);
      expect(html.length).toBeLessThan(unit.length * 201);
      expect(boundMarkup(html, { ...LIMITS, maxElements: 10_000 }).tooMuchText).toBe(false);
    }
  });

  test('raw text is one piece, and text inside a raw-text element does not count', () => {
    const html = `<p>a</p><textarea>${'&lt;'.repeat(1000)}</textarea><script>${'x<y'.repeat(1000)}</script>`;

    expect(boundMarkup(html, LIMITS)).toMatchObject({ html, tooDeep: false, tooMany: false, tooMuchText: false });
  });

  test('a start tag left out goes whole, attributes with `>` in their quotes included', () => {
    const { html } = boundMarkup(`${nested('b', 10)}<i title="a>b<u>" onclick='x>y'>text`, LIMITS);

    expect(parse(html).deepest).toBe(10);
    expect(words(parse(html).text)).toBe('text');
    expect(html).not.toMatch(/title|onclick|<u>/);
  });

  test('implied closes count as the parser counts them: sibling paragraphs and list items do not nest', () => {
    expect(boundMarkup('<p>a'.repeat(40), LIMITS)).toMatchObject({ tooDeep: false, tooMany: false });
    expect(boundMarkup(`<ul>${'<li>item'.repeat(40)}</ul>`, LIMITS)).toMatchObject({ tooDeep: false, tooMany: false });
  });

  describe('what parsing the result gives stays within the limits, however the input tries to hide depth', () => {
    const cases: Array<[string, string]> = [
      ['unclosed tags', nested('b', 5000)],
      ['mixed nesting', nested('div><blockquote><span><ul><li><table><tr><td', 500)],
      ['end tags hidden in comments', '<b><!--</b>-->'.repeat(2000)],
      ['end tags hidden in attributes', '<b title="</b>">'.repeat(2000)],
      ['unknown and custom elements', nested('x-widget', 2000)],
      ['SVG and MathML', nested('svg', 1000) + nested('math', 1000)],
      ['a raw-text element opened beyond the limit, to hide tags from the pass', `${nested('b', 20)}<textarea>${nested('i', 2000)}</textarea>after`],
      ['a style made raw text again by leaving out the svg around it', `${nested('b', 10)}<svg><style>${nested('i', 2000)}</style>`],
      ['a style in SVG, where it is not raw text', `<svg><style>${nested('i', 2000)}</style></svg>`],
      ['text that would join into a tag where one is left out', `${nested('b', 10)}${'<<b>i>'.repeat(2000)}`],
      ['end tags that open elements (</p>, </br>)', `${nested('b', 9)}${'</p></br>'.repeat(2000)}`],
      ['an unterminated tag at the end', `${nested('b', 20)}<i class="never closed`],
      ['self-closing syntax, which HTML ignores', nested('b/', 2000)],
      ['a second form, which the parser ignores', nested('form', 2000)],
    ];

    test.each(cases)('%s', (_, input) => {
      const bounded = boundMarkup(input, LIMITS);

      const tree = parse(bounded.html);
      expect(tree.deepest).toBeLessThanOrEqual(LIMITS.maxDepth);
      expect(tree.elements).toBeLessThanOrEqual(LIMITS.maxElements);
      // Bounding twice changes nothing more: the result is read exactly as the pass read it.
      expect(boundMarkup(bounded.html, LIMITS)).toMatchObject({ html: bounded.html, tooDeep: false, tooMany: false, tooMuchText: false });
      expect(tree.elements).toBe(bounded.elements);
    });

    test.each(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext'])(
      'a <%s> beyond the limit goes with its content, which was never markup',
      (tag) => {
        const { html } = boundMarkup(`${nested('b', 10)}<${tag}>${nested('i', 2000)}alert(1)</${tag}>after`, LIMITS);

        const tree = parse(html);
        expect(tree.deepest).toBeLessThanOrEqual(LIMITS.maxDepth);
        expect(tree.names).not.toContain(tag);
        expect(words(tree.text)).toBe(tag === 'plaintext' ? '' : 'after');
      },
    );
  });
});
