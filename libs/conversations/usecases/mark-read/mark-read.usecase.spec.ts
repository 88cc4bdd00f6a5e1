import { randomUUID } from 'node:crypto';
import { ConversationsModule } from '../../conversations.module.js';
import { count, refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PostMessage } from '../post-message/post-message.usecase.js';
import { MarkRead } from './mark-read.usecase.js';

describe('MarkRead', () => {
  let db: TestDatabase;
  let markRead: MarkRead;
  let postMessage: PostMessage;
  let staff: SeededUser;
  let member: SeededUser;
  let outsider: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(ConversationsModule);
    [markRead, postMessage] = [nest.get(MarkRead), nest.get(PostMessage)];
    // Unread reminders off: only messages whose author asked for a read receipt still wait to hear.
    const organizationId = await seedOrganization(db, { unreadReminderMinutes: 0 });
    [staff, member, outsider] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'member', 'Otto Outsider'),
    ]);
  });

  afterAll(() => db?.drop());

  const post = (author: SeededUser, conversationId: string, readReceipt = false) =>
    db.request(() => postMessage.execute(author, conversationId, { source: 'app', dto: { body: '<p>News</p>', readReceipt } }));
  const read = (caller: SeededUser, conversationId: string, throughSequence?: number) =>
    db.request(() => markRead.execute(caller, conversationId, throughSequence));

  it('marks everything read, records the asked-for receipt and signals only that message’s workflow, in the outbox', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const plain = await post(staff, conversationId);
    const receipted = await post(staff, conversationId, true);

    const answer = await read(member, conversationId);

    expect(answer).toEqual({ conversationId, lastReadAt: expect.any(Date), lastReadSequence: receipted.sequence, unreadCount: 0 });
    expect(receipted.sequence).toBe(plain.sequence + 1);
    expect(await db.query('select message_id, user_id from conversation_message_receipt where message_id in (?, ?)', [plain.id, receipted.id])).toEqual([
      { message_id: receipted.id, user_id: member.id },
    ]);
    const signals = await db.query<{ workflow_id: string; command: { signal: string; args: unknown[] } }>(
      `select workflow_id, command from workflow_outbox where command->>'kind' = 'signal' and workflow_id in (?, ?)`,
      [`conversation-message-${plain.id}`, `conversation-message-${receipted.id}`],
    );
    expect(signals).toEqual([
      { workflow_id: `conversation-message-${receipted.id}`, command: expect.objectContaining({ signal: 'recipientRead', args: [{ userId: member.id }] }) },
    ]);
    expect(await count(db, 'workflow_outbox where workflow_id = ?', [`conversation-message-${plain.id}`])).toBe(1); // its start only
  });

  it('changes nothing the second time, and does not count the reader’s own messages', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const news = await post(staff, conversationId, true);
    await read(member, conversationId);
    await post(member, conversationId);
    const outbox = await count(db, 'workflow_outbox');

    expect(await read(member, conversationId)).toEqual({ conversationId, lastReadAt: expect.any(Date), lastReadSequence: news.sequence, unreadCount: 0 });
    expect(await count(db, 'workflow_outbox')).toBe(outbox);
    expect(await count(db, `audit_event where action = 'conversation.read' and subject_id = ?`, [conversationId])).toBe(1);
  });

  it('marks only what the reader was shown: a message that arrived after the page they read stays unread', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const shown = await post(staff, conversationId);
    const arrivedSince = await post(staff, conversationId);

    expect(await read(member, conversationId, shown.sequence)).toMatchObject({ lastReadSequence: shown.sequence, unreadCount: 1 });
    expect(await read(member, conversationId, arrivedSince.sequence)).toMatchObject({ lastReadSequence: arrivedSince.sequence, unreadCount: 0 });
    // The mark never moves back.
    expect(await read(member, conversationId, shown.sequence)).toMatchObject({ lastReadSequence: arrivedSince.sequence, unreadCount: 0 });
  });

  it('never swallows a message stamped earlier by a clock than one already read: the database numbers them as they are stored', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    await post(staff, conversationId);
    await read(member, conversationId);
    // A server whose clock runs behind stores a message after that read, stamped an hour before it.
    const late = randomUUID();
    await db.query(
      `insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, read_receipt, source, created_at)
       values (?, ?, ?, 'staff', '<p>late</p>', 'late', false, 'app', now() - interval '1 hour')`,
      [late, conversationId, staff.id],
    );

    const answer = await read(member, conversationId);

    expect(answer.unreadCount).toBe(0);
    expect(
      await db.query(`select details from audit_event where action = 'conversation.read' and subject_id = ? order by created_at desc limit 1`, [
        conversationId,
      ]),
    ).toEqual([{ details: { messageIds: [late] } }]);
  });

  it('answers 404 to someone not in the conversation', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    expect(await refusal(read(outsider, conversationId))).toEqual({ status: 404, message: 'conversation not found' });
  });
});
