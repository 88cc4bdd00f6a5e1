import { ConversationsModule } from '../../conversations.module.js';
import { count, refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PostMessage } from '../post-message/post-message.usecase.js';
import { OpenConversation } from '../open-conversation/open-conversation.usecase.js';
import { ListConversationMessages } from './list-conversation-messages.usecase.js';

describe('ListConversationMessages', () => {
  let db: TestDatabase;
  let history: ListConversationMessages;
  let openConversation: OpenConversation;
  let staff: SeededUser;
  let toMember: SeededUser;
  let ccMember: SeededUser;
  let conversationId: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(ConversationsModule);
    history = nest.get(ListConversationMessages);
    openConversation = nest.get(OpenConversation);
    const organizationId = await seedOrganization(db);
    [staff, toMember, ccMember] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Tom To'),
      seedUser(db, organizationId, 'member', 'Cat Cc'),
    ]);
    conversationId = await seedConversation(db, staff, [
      [toMember, 'to'],
      [ccMember, 'cc'],
    ]);
    // 1..7 from staff and Tom, with Cat's blind-copy replies (which Tom may not see) in between.
    for (let n = 1; n <= 7; n++) {
      await db.request(() => nest.get(PostMessage).execute(n % 2 ? staff : toMember, conversationId, { source: 'app', dto: { body: `<p>${n}</p>` } }));
      if (n % 3 === 0) await db.request(() => nest.get(PostMessage).execute(ccMember, conversationId, { source: 'app', dto: { body: `<p>bcc ${n}</p>` } }));
    }
  });

  afterAll(() => db?.drop());

  const page = (caller: SeededUser, query: { before?: string; limit?: number }) => db.request(() => history.execute(caller, conversationId, query));
  const texts = (items: Array<{ bodyText: string }>) => items.map((m) => m.bodyText);

  it('pages back through the whole history, newest page first, each oldest first, every page full of what the caller may see', async () => {
    const first = await page(toMember, { limit: 3 });
    expect(texts(first.items)).toEqual(['5', '6', '7']);
    const second = await page(toMember, { limit: 3, before: first.olderMessagesCursor! });
    expect(texts(second.items)).toEqual(['2', '3', '4']);
    const last = await page(toMember, { limit: 3, before: second.olderMessagesCursor! });
    expect(texts(last.items)).toEqual(['1']);
    expect(last.olderMessagesCursor).toBeNull();
    // Staff see the blind copies too, in the order they were stored.
    expect(texts((await page(staff, { limit: 20 })).items)).toEqual(['1', '2', '3', 'bcc 3', '4', '5', '6', 'bcc 6', '7']);
  });

  it('opening the conversation shows the newest page and the cursor to the ones before', async () => {
    const view = await db.request(() => openConversation.execute(toMember, conversationId));
    expect(texts(view.messages)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(view.messages.map((m) => m.sequence)).toEqual([...view.messages.map((m) => m.sequence)].sort((a, b) => a - b));
    expect(view.olderMessagesCursor).toBeNull();
  });

  it('each page is a view in the audit trail; a forged cursor is a 400 naming before; outsiders get 404', async () => {
    const before = await count(db, `audit_event where action = 'conversation.viewed' and subject_id = ?`, [conversationId]);
    await page(toMember, { limit: 2 });
    expect(await count(db, `audit_event where action = 'conversation.viewed' and subject_id = ?`, [conversationId])).toBe(before + 1);

    expect(await refusal(page(toMember, { before: 'bm90LWEtY3Vyc29y' }))).toEqual({ status: 400, message: 'before: is not a cursor this API returned' });
    const outsider = await seedUser(db, await seedOrganization(db), 'admin', 'Otto Outsider');
    expect(await refusal(page(outsider, {}))).toEqual({ status: 404, message: 'conversation not found' });
  });
});
