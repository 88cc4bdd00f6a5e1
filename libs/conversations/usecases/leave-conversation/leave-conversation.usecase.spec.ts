import { ConversationsModule } from '../../conversations.module.js';
import { count, refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PostMessage } from '../post-message/post-message.usecase.js';
import { LeaveConversation } from './leave-conversation.usecase.js';

describe('LeaveConversation', () => {
  let db: TestDatabase;
  let leaveConversation: LeaveConversation;
  let postMessage: PostMessage;
  let staff: SeededUser;
  let member: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(ConversationsModule);
    [leaveConversation, postMessage] = [nest.get(LeaveConversation), nest.get(PostMessage)];
    const organizationId = await seedOrganization(db);
    [staff, member] = await Promise.all([seedUser(db, organizationId, 'staff', 'Sam Staff'), seedUser(db, organizationId, 'member', 'Mia Member')]);
  });

  afterAll(() => db?.drop());

  const leave = (caller: SeededUser, conversationId: string) => db.request(() => leaveConversation.execute(caller, conversationId));

  it('takes the caller out: later messages no longer reach their inbox row, and they cannot leave twice', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);

    await leave(member, conversationId);

    expect(await count(db, 'conversation_participant where conversation_id = ? and user_id = ? and left_at is not null', [conversationId, member.id])).toBe(1);
    expect(await count(db, `audit_event where action = 'conversation.left' and actor_id = ? and subject_id = ?`, [member.id, conversationId])).toBe(1);
    await db.request(() => postMessage.execute(staff, conversationId, { source: 'app', dto: { body: '<p>Still there?</p>' } }));
    expect(
      await db.query('select last_message_id from conversation_participant where conversation_id = ? and user_id = ?', [conversationId, member.id]),
    ).toEqual([{ last_message_id: null }]);
    expect(await refusal(leave(member, conversationId))).toEqual({ status: 404, message: 'conversation not found' });
  });
});
