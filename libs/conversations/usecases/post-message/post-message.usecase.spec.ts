import { ConversationsModule } from '../../conversations.module.js';
import { count, refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import * as richText from '../../../rich-text/rich-text.js';
import { MAX_RICH_TEXT_DEPTH, MAX_RICH_TEXT_ELEMENTS, TooMuchMarkupError } from '../../../rich-text/rich-text.js';
import { ConversationMessages } from '../../conversation-messages.js';
import { PostMessage } from './post-message.usecase.js';

describe('PostMessage', () => {
  let db: TestDatabase;
  let postMessage: PostMessage;
  let staff: SeededUser;
  let member: SeededUser;
  let outsider: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    postMessage = (await db.module(ConversationsModule)).get(PostMessage);
    const organizationId = await seedOrganization(db, { allowContactsToReopen: true });
    [staff, member, outsider] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'member', 'Otto Outsider'),
    ]);
  });

  afterAll(() => db?.drop());

  const reply = (author: SeededUser, conversationId: string, body: string, extra: { readReceipt?: boolean; attachmentIds?: string[] } = {}) =>
    db.request(() => postMessage.execute(author, conversationId, { source: 'app', dto: { body, ...extra } }));
  const statusOf = async (conversationId: string) =>
    (await db.query<{ status: string }>('select status from conversation where id = ?', [conversationId]))[0].status;

  it('stores the reply, moves every inbox row to it and writes its workflow start to the outbox', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);

    const view = await reply(staff, conversationId, '<p>Your quote is ready<script>alert(1)</script></p>', { readReceipt: true });

    expect(view).toMatchObject({
      author: { id: staff.id, name: 'Sam Staff' },
      bodyHtml: '<p>Your quote is ready</p>',
      source: 'app',
      readReceipt: true,
      readBy: [],
    });
    expect(await db.query('select author_kind, source from conversation_message where id = ?', [view.id])).toEqual([{ author_kind: 'staff', source: 'app' }]);
    const inbox = await db.query<{ last_message_id: string }>('select last_message_id from conversation_participant where conversation_id = ?', [
      conversationId,
    ]);
    expect(inbox.map((row) => row.last_message_id)).toEqual([view.id, view.id]);
    const outbox = await db.query<{ command: { kind: string } }>('select command from workflow_outbox where workflow_id = ?', [
      `conversation-message-${view.id}`,
    ]);
    expect(outbox.map((row) => row.command.kind)).toEqual(['start']);
  });

  it('writes nothing when part of the reply is refused: message, inbox rows and outbox entry share one transaction', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const before = await count(db, 'workflow_outbox');

    // A well-formed attachment id that is not the author's upload: refused after the message row was flushed.
    expect(await refusal(reply(staff, conversationId, '<p>See attached</p>', { attachmentIds: [crypto.randomUUID()] }))).toEqual({
      status: 422,
      message: 'attachmentIds: must be your own uploads, not yet attached to a message',
    });
    expect(await count(db, 'conversation_message where conversation_id = ?', [conversationId])).toBe(0);
    expect(await count(db, 'conversation_participant where conversation_id = ? and last_message_id is not null', [conversationId])).toBe(0);
    expect(await count(db, 'workflow_outbox')).toBe(before);
  });

  it('refuses a staff reply to a closed conversation with 409, and reopens it for a contact where the organization allows', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']], { status: 'closed' });

    expect(await refusal(reply(staff, conversationId, '<p>One more thing</p>'))).toEqual({
      status: 409,
      message: 'the conversation is closed; reopen it before replying',
    });
    expect(await statusOf(conversationId)).toBe('closed');

    const view = await reply(member, conversationId, '<p>Actually, a question</p>');
    expect(view.author.id).toBe(member.id);
    expect(await statusOf(conversationId)).toBe('open');
    expect(await db.query(`select details from audit_event where action = 'conversation.reopened' and subject_id = ?`, [conversationId])).toEqual([
      { details: { by: 'reply' } },
    ]);
  });

  it('stores nothing in a conversation closed after the author looked: the one statement checks it is still open', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const messages = (await db.module(ConversationsModule)).get(ConversationMessages);
    await db.query(`update conversation set status = 'closed' where id = ?`, [conversationId]);
    const before = { outbox: await count(db, 'workflow_outbox'), audit: await count(db, 'audit_event where subject_id = ?', [conversationId]) };

    const content = { html: '<p>Late</p>', text: 'Late', attachmentIds: [], readReceipt: false, source: 'app' as const };
    expect(await db.request(() => messages.append(db.em, staff, conversationId, content))).toEqual({ outcome: 'not_open' });

    expect(await count(db, 'conversation_message where conversation_id = ?', [conversationId])).toBe(0);
    expect(await count(db, 'conversation_participant where conversation_id = ? and last_message_id is not null', [conversationId])).toBe(0);
    expect(await count(db, 'workflow_outbox')).toBe(before.outbox);
    expect(await count(db, 'audit_event where subject_id = ?', [conversationId])).toBe(before.audit);
  });

  it('reopens (or refuses) as for any closed conversation when it was closed between the membership check and the reply', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const messages = (postMessage as unknown as { messages: ConversationMessages }).messages;
    const append = messages.append.bind(messages);
    const closedMeanwhile = jest.spyOn(messages, 'append').mockImplementationOnce(async (...args) => {
      await db.query(`update conversation set status = 'closed', closed_at = now(), closed_by_id = ? where id = ?`, [staff.id, conversationId]);
      return append(...args);
    });
    try {
      const view = await reply(member, conversationId, '<p>Still there?</p>');

      expect(view.bodyText).toBe('Still there?');
      expect(await statusOf(conversationId)).toBe('open');
      expect(await db.query(`select details from audit_event where action = 'conversation.reopened' and subject_id = ?`, [conversationId])).toEqual([
        { details: { by: 'reply' } },
      ]);
    } finally {
      closedMeanwhile.mockRestore();
    }
  });

  it('takes a reply by email the same way, marked as coming by email', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);

    const message = await db.request(() =>
      postMessage.execute(member, conversationId, { source: 'email', content: { html: '<p>Thanks</p>', text: 'Thanks', attachmentIds: [] } }),
    );

    expect(await db.query('select source, author_kind, body_text from conversation_message where id = ?', [message.id])).toEqual([
      { source: 'email', author_kind: 'to', body_text: 'Thanks' },
    ]);
    expect(await count(db, 'workflow_outbox where workflow_id = ?', [`conversation-message-${message.id}`])).toBe(1);
  });

  it('answers 404 to someone who is not (or no longer) in the conversation', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const notFound = { status: 404, message: 'conversation not found' };

    expect(await refusal(reply(outsider, conversationId, '<p>Hello?</p>'))).toEqual(notFound);
    await db.query('update conversation_participant set left_at = now() where conversation_id = ? and user_id = ?', [conversationId, member.id]);
    expect(await refusal(reply(member, conversationId, '<p>Hello?</p>'))).toEqual(notFound);
    expect(await count(db, 'conversation_message where conversation_id = ?', [conversationId])).toBe(0);
  });

  describe('the body is sanitized only for a member, and at bounded cost', () => {
    let sanitize: jest.SpiedFunction<typeof richText.sanitizeRichText>;
    beforeEach(() => {
      sanitize = jest.spyOn(richText, 'sanitizeRichText');
    });
    afterEach(() => sanitize.mockRestore());

    const tooMuchMarkup = '<a>x</a>'.repeat(MAX_RICH_TEXT_ELEMENTS + 1);
    const notFound = { status: 404, message: 'conversation not found' };

    it('refuses a non-member (or a made-up conversation id) with 404 without sanitizing the body, however costly', async () => {
      const conversationId = await seedConversation(db, staff, [[member, 'to']]);

      expect(await refusal(reply(outsider, conversationId, '<b>'.repeat(87_000)))).toEqual(notFound);
      expect(await refusal(reply(outsider, conversationId, tooMuchMarkup))).toEqual(notFound);
      expect(await refusal(reply(member, crypto.randomUUID(), tooMuchMarkup))).toEqual(notFound);
      expect(sanitize).not.toHaveBeenCalled();

      // The same body from a member is sanitized, and refused for its markup with a 422 naming the field.
      expect(await refusal(reply(member, conversationId, tooMuchMarkup))).toEqual({ status: 422, message: `body: ${new TooMuchMarkupError().message}` });
      expect(sanitize).toHaveBeenCalledTimes(1);
      expect(await count(db, 'conversation_message where conversation_id = ?', [conversationId])).toBe(0);
    });

    it('stores a body nested deeper than the limit flattened: its text kept, its tags beyond the limit and anything unsafe gone', async () => {
      const conversationId = await seedConversation(db, staff, [[member, 'to']]);

      const view = await reply(member, conversationId, `${'<b>'.repeat(87_000)}Deep hello<img src=x onerror=alert(1)><script>alert(2)</script>`);

      expect(view.bodyText).toBe('Deep hello');
      expect(view.bodyHtml.match(/<b>/g)).toHaveLength(MAX_RICH_TEXT_DEPTH);
      expect(view.bodyHtml).not.toMatch(/<img|<script|onerror|alert/);
    });
  });
});
