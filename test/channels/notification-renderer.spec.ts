import { NotificationRenderer, type RenderNotificationInput } from '../../libs/channels/notification-renderer.js';

const CHANNELS = ['email', 'push', 'sms'] as const;

describe('NotificationRenderer', () => {
  const renderer = new NotificationRenderer();
  const input: Omit<RenderNotificationInput, 'mode' | 'channel'> = {
    organizationName: 'Acme Clinic',
    recipientName: 'Ada',
    title: 'Biopsy result',
    body: 'The biopsy came back <b>benign</b> & needs no follow-up.',
    url: 'https://app.tidings.test/messages/m-1?x=1&y=2',
  };

  it.each(CHANNELS)('privacy mode: %s carries no title or body anywhere, only the sender and the link', (channel) => {
    const rendered = renderer.render({ ...input, mode: 'privacy', channel });

    for (const field of [rendered.subject, rendered.text, rendered.html]) {
      for (const secret of ['Biopsy', 'biopsy', 'benign', 'follow-up']) expect(field).not.toContain(secret);
    }
    expect(`${rendered.subject} ${rendered.text}`).toContain('Acme Clinic');
    expect(rendered.html).toContain('href="https://app.tidings.test/messages/m-1?x&#x3D;1&amp;y&#x3D;2"');
    expect(rendered.url).toBe(input.url);
    if (channel !== 'push') expect(rendered.text).toContain(input.url);
  });

  it.each(CHANNELS)('privacy mode: a task notification (%s) says only that a chat request needs the care manager', (channel) => {
    const task = { ...input, purpose: 'task' as const, title: 'New chat request: Mia Member, Medication question', body: 'My insulin dose makes me dizzy' };
    const rendered = renderer.render({ ...task, mode: 'privacy', channel });
    for (const field of [rendered.subject, rendered.text, rendered.html]) {
      for (const secret of ['Mia', 'Medication', 'insulin']) expect(field).not.toContain(secret);
    }
    expect(`${rendered.subject} ${rendered.text}`).toMatch(/chat request/);
    const convenient = renderer.render({ ...task, mode: 'convenience', channel: 'email' });
    expect(convenient).toMatchObject({
      subject: 'New chat request: Mia Member, Medication question',
      text: expect.stringContaining('My insulin dose makes me dizzy'),
    });
  });

  it('privacy mode: email subject and SMS text have the agreed wording', () => {
    expect(renderer.render({ ...input, mode: 'privacy', channel: 'email' }).subject).toBe('You have a new secure message from Acme Clinic');
    expect(renderer.render({ ...input, mode: 'privacy', channel: 'sms' }).text).toBe(`Acme Clinic: you have a new secure message. Read it at ${input.url}`);
  });

  it('convenience mode: email has the title as subject, the body and link in text, and escaped body in html', () => {
    const rendered = renderer.render({ ...input, mode: 'convenience', channel: 'email' });

    expect(rendered.subject).toBe('Biopsy result');
    // Plain text is not HTML: the author's characters must arrive as written.
    expect(rendered.text).toContain(input.body);
    expect(rendered.text).toContain(input.url);
    expect(rendered.html).toContain('The biopsy came back &lt;b&gt;benign&lt;/b&gt; &amp; needs no follow-up.');
    expect(rendered.html).not.toContain('<b>');
    expect(rendered.html).toContain('href="https://app.tidings.test/messages/m-1?x&#x3D;1&amp;y&#x3D;2"');
  });

  it('convenience mode: push carries title and body; html stays escaped on every channel', () => {
    const push = renderer.render({ ...input, mode: 'convenience', channel: 'push' });
    expect(push).toMatchObject({ subject: 'Biopsy result', text: input.body });
    for (const channel of CHANNELS) {
      const { html } = renderer.render({ ...input, title: '<img src=x onerror=alert(1)>', mode: 'convenience', channel });
      expect(html).not.toMatch(/<img|<b>/);
    }
  });

  it('convenience mode: SMS keeps title and link but cuts a long body to about 300 characters', () => {
    const body = 'word '.repeat(400);
    const { text } = renderer.render({ ...input, body, mode: 'convenience', channel: 'sms' });

    expect(text.startsWith('Acme Clinic: Biopsy result\nword word')).toBe(true);
    expect(text.endsWith(`…\n${input.url}`)).toBe(true);
    expect(text.length).toBeLessThanOrEqual('Acme Clinic: Biopsy result\n'.length + 300 + 1 + input.url.length);
  });

  it('folds line breaks in a title so the subject stays one line', () => {
    const { subject } = renderer.render({ ...input, title: 'Line one\r\nBcc: someone@evil.test', mode: 'convenience', channel: 'email' });
    expect(subject).toBe('Line one Bcc: someone@evil.test');
  });
});
