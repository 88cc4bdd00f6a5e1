import { ConversationsModule } from '../../conversations.module.js';
import { count, refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { CloseConversation } from './close-conversation.usecase.js';

describe('CloseConversation', () => {
  let db: TestDatabase;
  let closeConversation: CloseConversation;
  let staff: SeededUser;
  let member: SeededUser;
  let outsider: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    closeConversation = (await db.module(ConversationsModule)).get(CloseConversation);
    const organizationId = await seedOrganization(db);
    [staff, member, outsider] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'staff', 'Otto Outsider'),
    ]);
  });

  afterAll(() => db?.drop());

  const close = (caller: SeededUser, conversationId: string) => db.request(() => closeConversation.execute(caller, conversationId));

  it('closes the conversation once: closing it again changes and records nothing more', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);

    const view = await close(staff, conversationId);
    expect(view).toMatchObject({ id: conversationId, status: 'closed', closedAt: expect.any(Date) });
    const [row] = await db.query<{ closed_by_id: string; closed_at: string }>('select closed_by_id, closed_at from conversation where id = ?', [
      conversationId,
    ]);
    expect(row.closed_by_id).toBe(staff.id);

    expect(await close(staff, conversationId)).toMatchObject({ status: 'closed', closedAt: new Date(row.closed_at) });
    expect(await count(db, `audit_event where action = 'conversation.closed' and subject_id = ?`, [conversationId])).toBe(1);
    // Each answer carried the thread: each is a view in the audit trail.
    expect(await count(db, `audit_event where action = 'conversation.viewed' and subject_id = ? and actor_id = ?`, [conversationId, staff.id])).toBe(2);
  });

  it('answers 404 to staff who are not in the conversation, and leaves it open', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);

    expect(await refusal(close(outsider, conversationId))).toEqual({ status: 404, message: 'conversation not found' });
    expect(await db.query('select status from conversation where id = ?', [conversationId])).toEqual([{ status: 'open' }]);
  });
});
