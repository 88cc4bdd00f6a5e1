import { ConversationsModule } from '../../conversations.module.js';
import { ListConversationsQuery } from '../../conversation.dto.js';
import { seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PostMessage } from '../post-message/post-message.usecase.js';
import { ListConversations } from './list-conversations.usecase.js';

describe('ListConversations', () => {
  let db: TestDatabase;
  let listConversations: ListConversations;
  let postMessage: PostMessage;
  let staff: SeededUser;
  let toMember: SeededUser;
  let ccMember: SeededUser;
  let stranger: SeededUser;
  let open: string;
  let older: string;
  let closed: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(ConversationsModule);
    [listConversations, postMessage] = [nest.get(ListConversations), nest.get(PostMessage)];
    const organizationId = await seedOrganization(db);
    [staff, toMember, ccMember] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Tom To'),
      seedUser(db, organizationId, 'member', 'Cat Cc'),
    ]);
    stranger = await seedUser(db, await seedOrganization(db), 'staff', 'Sue Stranger');

    older = await seedConversation(db, staff, [[toMember, 'to']], { subject: 'Older' });
    await reply(staff, older, '<p>Older news</p>');
    open = await seedConversation(
      db,
      staff,
      [
        [toMember, 'to'],
        [ccMember, 'cc'],
      ],
      { subject: 'Renewal' },
    );
    await reply(staff, open, '<p>Your renewal quote</p>');
    await reply(ccMember, open, '<p>A blind copy answers</p>');
    closed = await seedConversation(db, staff, [[toMember, 'to']], { subject: 'Done', status: 'closed' });
  });

  afterAll(() => db?.drop());

  async function reply(author: SeededUser, conversationId: string, body: string) {
    await db.request(() => postMessage.execute(author, conversationId, { source: 'app', dto: { body } }));
  }
  const list = (caller: SeededUser, query: Partial<ListConversationsQuery> = {}) =>
    db.request(() => listConversations.execute(caller, Object.assign(new ListConversationsQuery(), query)));

  it("shows a contact their open conversations, newest first, with the latest message and unread count they may see (not a blind copy's)", async () => {
    const page = await list(toMember);

    expect(page.items.map((item) => [item.subject, item.preview, item.lastSender?.name, item.unreadCount])).toEqual([
      ['Renewal', 'Your renewal quote', 'Sam Staff', 1],
      ['Older', 'Older news', 'Sam Staff', 1],
    ]);
    expect(page.nextCursor).toBeNull();
    // Staff see the blind copy's reply.
    expect((await list(staff)).items[0]).toMatchObject({ id: open, preview: 'A blind copy answers', unreadCount: 1 });
  });

  it('pages with the cursor and keeps closed conversations in the inactive folder', async () => {
    const first = await list(toMember, { limit: 1 });
    expect(first.items.map((item) => item.id)).toEqual([open]);
    const second = await list(toMember, { limit: 1, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: older })], nextCursor: null });

    expect((await list(toMember, { folder: 'inactive' })).items).toEqual([
      expect.objectContaining({ id: closed, status: 'closed', preview: '', lastSender: null }),
    ]);
  });

  it('finds conversations by words in the subject or in messages the caller may see, and nothing by a blind copy they may not', async () => {
    const subjects = async (caller: SeededUser, q: string) => (await list(caller, { q })).items.map((item) => item.subject);
    expect(await subjects(toMember, 'RENEW')).toEqual(['Renewal']);
    expect(await subjects(toMember, 'older news')).toEqual(['Older']);
    expect(await subjects(staff, 'blind copy answers')).toEqual(['Renewal']);
    expect(await subjects(toMember, 'blind copy answers')).toEqual([]);
    // LIKE's wildcards are words like any other.
    expect(await subjects(toMember, '%')).toEqual([]);
    expect(await subjects(toMember, 'Ren_wal')).toEqual([]);
  });

  it("lists nothing of another organization's conversations", async () => {
    expect(await list(stranger)).toEqual({ items: [], nextCursor: null });
  });

  it('pages through conversations whose last activity shares a millisecond: each exactly once, in order', async () => {
    const reader = await seedUser(
      db,
      (await db.query<{ organization_id: string }>('select organization_id from app_user where id = ?', [staff.id]))[0].organization_id,
      'member',
      'Rita Reader',
    );
    const sameMillisecond = ['2026-11-30 10:00:00.123900+00', '2026-11-30 10:00:00.123500+00', '2026-11-30 10:00:00.123100+00'];
    const ids: string[] = [];
    for (const at of sameMillisecond) {
      const id = await seedConversation(db, staff, [[reader, 'to']], { subject: `At ${at}` });
      await db.query('update conversation_participant set last_activity_at = ?::timestamptz where conversation_id = ? and user_id = ?', [at, id, reader.id]);
      ids.push(id);
    }

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(reader, { limit: 1, cursor });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    expect(seen).toEqual(ids);
  });
});
