import { ConversationsModule } from '../../conversations.module.js';
import { refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { ReopenConversation } from './reopen-conversation.usecase.js';

describe('ReopenConversation', () => {
  let db: TestDatabase;
  let reopenConversation: ReopenConversation;

  beforeAll(async () => {
    db = await TestDatabase.create();
    reopenConversation = (await db.module(ConversationsModule)).get(ReopenConversation);
  });

  afterAll(() => db?.drop());

  const reopen = (caller: SeededUser, conversationId: string) => db.request(() => reopenConversation.execute(caller, conversationId));
  async function closedConversation(allowContactsToReopen: boolean) {
    const organizationId = await seedOrganization(db, { allowContactsToReopen });
    const [staff, member] = await Promise.all([seedUser(db, organizationId, 'staff'), seedUser(db, organizationId, 'member')]);
    return { staff, member, conversationId: await seedConversation(db, staff, [[member, 'to']], { status: 'closed' }) };
  }

  it('reopens a closed conversation for a contact, and for staff, where the organization allows contacts to reopen', async () => {
    const { staff, member, conversationId } = await closedConversation(true);

    expect(await reopen(member, conversationId)).toMatchObject({ status: 'open', closedAt: null });
    expect(await db.query('select status, closed_at, closed_by_id from conversation where id = ?', [conversationId])).toEqual([
      { status: 'open', closed_at: null, closed_by_id: null },
    ]);
    expect(await db.query(`select actor_id, details from audit_event where action = 'conversation.reopened' and subject_id = ?`, [conversationId])).toEqual([
      { actor_id: member.id, details: { by: 'reopen' } },
    ]);

    await db.query(`update conversation set status = 'closed', closed_at = now() where id = ?`, [conversationId]);
    expect(await reopen(staff, conversationId)).toMatchObject({ status: 'open' });
    // Each answer carried the thread: each is a view in the audit trail, by whoever got it.
    expect(
      await db.query(`select actor_id from audit_event where action = 'conversation.viewed' and subject_id = ? order by created_at`, [conversationId]),
    ).toEqual([{ actor_id: member.id }, { actor_id: staff.id }]);
  });

  it('answers 409 naming the setting where the organization does not allow it, and the conversation stays closed', async () => {
    const { staff, member, conversationId } = await closedConversation(false);
    const refused = {
      status: 409,
      message: "the conversation is closed and cannot be reopened: the organization's allowContactsToReopen setting is off",
    };

    expect(await refusal(reopen(member, conversationId))).toEqual(refused);
    expect(await refusal(reopen(staff, conversationId))).toEqual(refused);
    expect(await db.query('select status from conversation where id = ?', [conversationId])).toEqual([{ status: 'closed' }]);
  });
});
