import {
  ChatRequestsWithoutTemporal,
  seedChat,
  seedMessage,
  seedParticipant,
  seedProgram,
  type SeededProgram,
} from '../../../../test/support/chat-request-use-cases.js';
import { seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { ListMemberChats } from './list-member-chats.usecase.js';

const MINUTE = 60_000;

describe('ListMemberChats', () => {
  let db: TestDatabase;
  let listMemberChats: ListMemberChats;
  let mia: SeededUser; // the member whose chats these are
  let max: SeededUser; // another member, with a chat of his own
  let carl: SeededUser; // a member in blind copy (CC) in one of Mia's chats
  let cara: SeededUser;
  let dan: SeededUser;
  let stranger: SeededUser;
  let diabetes: SeededProgram;
  let heart: SeededProgram;
  let withCara: string;
  let withDan: string;
  const base = Date.now() - 60 * MINUTE;
  const at = (minutes: number) => new Date(base + minutes * MINUTE);

  beforeAll(async () => {
    db = await TestDatabase.create();
    listMemberChats = (await db.module(ChatRequestsWithoutTemporal)).get(ListMemberChats);
    const organizationId = await seedOrganization(db);
    [mia, max, carl, cara, dan] = await Promise.all([
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'member', 'Max Member'),
      seedUser(db, organizationId, 'member', 'Carl Copied'),
      seedUser(db, organizationId, 'staff', 'Cara Care'),
      seedUser(db, organizationId, 'staff', 'Dan Duty'),
    ]);
    stranger = await seedUser(db, await seedOrganization(db), 'member', 'Sue Stranger');
    [diabetes, heart] = await Promise.all([seedProgram(db, organizationId, 'Diabetes'), seedProgram(db, organizationId, 'Heart health')]);

    withCara = await seedChat(db, { member: mia, careManager: cara, program: diabetes });
    await seedMessage(db, withCara, cara, 'staff', 'How are your sugar levels?', at(1));
    await seedMessage(db, withCara, mia, 'to', 'Better, thanks', at(2));
    await seedMessage(db, withCara, cara, 'system', 'Dan Duty is covering for Cara Care until 7 Dec', at(3));

    withDan = await seedChat(db, { member: mia, careManager: dan, program: heart });
    await seedParticipant(db, withDan, carl, 'cc', dan);
    await seedMessage(db, withDan, dan, 'staff', 'Your blood pressure results are in', at(4));
    // A blind copy's reply: Mia may not see it, so it is neither her latest message nor unread for her.
    await seedMessage(db, withDan, carl, 'cc', 'Mine too?', at(5));

    // Not chats of Mia's: a thread she is in, and Max's chat with Cara; each with a message she has not read.
    const thread = await seedConversation(db, cara, [[mia, 'to']], { subject: 'Your policy' });
    await seedMessage(db, thread, cara, 'staff', 'Please sign the form', at(6));
    const maxChat = await seedChat(db, { member: max, careManager: cara, program: diabetes });
    await seedMessage(db, maxChat, cara, 'staff', 'Hello Max', at(7));
  });

  afterAll(() => db?.drop());

  const list = (caller: SeededUser) => db.request(() => listMemberChats.execute(caller));
  const unread = (caller: SeededUser) => db.request(() => listMemberChats.unread(caller));
  const read = (member: SeededUser, chatId: string) =>
    db.query(
      `update conversation_participant p set last_read_at = now(), last_read_seq = c.last_message_seq from conversation c
        where c.id = p.conversation_id and p.conversation_id = ? and p.user_id = ?`,
      [chatId, member.id],
    );

  it("lists only the member's chats, newest activity first, with care manager, program, the latest message she may see and unread counts", async () => {
    expect(await list(mia)).toEqual({
      items: [
        {
          id: withDan,
          careManager: { id: dan.id, name: 'Dan Duty' },
          program: { id: heart.id, name: 'Heart health' },
          preview: 'Your blood pressure results are in',
          lastUpdatedAt: at(4),
          // Dan's message; Carl's blind-copy reply is not hers to see.
          unreadCount: 1,
        },
        {
          id: withCara,
          careManager: { id: cara.id, name: 'Cara Care' },
          program: { id: diabetes.id, name: 'Diabetes' },
          preview: 'Dan Duty is covering for Cara Care until 7 Dec',
          lastUpdatedAt: at(3),
          // Cara's message and the system message; not her own reply.
          unreadCount: 2,
        },
      ],
    });
    expect((await list(max)).items.map((item) => item.id)).not.toContain(withCara);
    expect(await list(stranger)).toEqual({ items: [] });
  });

  it('moves a chat with new activity to the top', async () => {
    await seedMessage(db, withCara, cara, 'staff', 'Shall we talk tomorrow?', at(8));

    const { items } = await list(mia);

    expect(items.map((item) => [item.id, item.preview, item.unreadCount])).toEqual([
      [withCara, 'Shall we talk tomorrow?', 3],
      [withDan, 'Your blood pressure results are in', 1],
    ]);
  });

  it('sums the unread messages of her chats for the dot on Chats, and reading a chat clears its share', async () => {
    // Neither the thread's message nor Max's chat counts here.
    expect(await unread(mia)).toEqual({ hasUnread: true, count: 4 });

    await read(mia, withCara);
    expect(await unread(mia)).toEqual({ hasUnread: true, count: 1 });
    expect((await list(mia)).items.find((item) => item.id === withCara)?.unreadCount).toBe(0);

    await read(mia, withDan);
    expect(await unread(mia)).toEqual({ hasUnread: false, count: 0 });
    expect((await list(mia)).items.map((item) => item.unreadCount)).toEqual([0, 0]);

    // Only what comes after the reading is unread again.
    await seedMessage(db, withDan, dan, 'staff', 'One more thing', new Date(Date.now() + MINUTE));
    expect(await unread(mia)).toEqual({ hasUnread: true, count: 1 });
    expect(await unread(stranger)).toEqual({ hasUnread: false, count: 0 });
  });
});
