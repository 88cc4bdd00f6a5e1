import { ConversationsModule } from '../../conversations.module.js';
import { AddParticipantsDto } from '../../conversation.dto.js';
import { refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PostMessage } from '../post-message/post-message.usecase.js';
import { AddParticipants } from './add-participants.usecase.js';

describe('AddParticipants', () => {
  let db: TestDatabase;
  let addParticipants: AddParticipants;
  let postMessage: PostMessage;
  let staff: SeededUser;
  let member: SeededUser;
  let newcomer: SeededUser;
  let otherMember: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(ConversationsModule);
    [addParticipants, postMessage] = [nest.get(AddParticipants), nest.get(PostMessage)];
    const organizationId = await seedOrganization(db);
    [staff, member, newcomer, otherMember] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'member', 'Nina Newcomer'),
      seedUser(db, organizationId, 'member', 'Max Member'),
    ]);
  });

  afterAll(() => db?.drop());

  const add = (caller: SeededUser, conversationId: string, dto: AddParticipantsDto) => db.request(() => addParticipants.execute(caller, conversationId, dto));
  const inboxRow = async (conversationId: string, user: SeededUser) =>
    (
      await db.query<{ kind: string; last_message_id: string | null; left_at: Date | null; last_read_at: Date | null }>(
        'select kind, last_message_id, left_at, last_read_at from conversation_participant where conversation_id = ? and user_id = ?',
        [conversationId, user.id],
      )
    )[0];

  it("adds the newcomer, whose inbox row points at the history's newest message they may see", async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    const latest = await db.request(() => postMessage.execute(staff, conversationId, { source: 'app', dto: { body: '<p>Quote attached</p>' } }));

    const view = await add(staff, conversationId, { cc: [newcomer.id] });

    expect(view.participants.map((p) => `${p.kind}:${p.name}`)).toEqual(['to:Sam Staff', 'to:Mia Member', 'cc:Nina Newcomer']);
    expect(await inboxRow(conversationId, newcomer)).toMatchObject({ kind: 'cc', last_message_id: latest.id });
    expect(await db.query(`select details from audit_event where action = 'conversation.participants_added' and subject_id = ?`, [conversationId])).toEqual([
      { details: { to: [], cc: [newcomer.id] } },
    ]);
  });

  it('brings back someone who left as newly added, with nothing read', async () => {
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    await db.query('update conversation_participant set left_at = now(), last_read_at = now(), kind = ? where conversation_id = ? and user_id = ?', [
      'cc',
      conversationId,
      member.id,
    ]);

    await add(staff, conversationId, { to: [member.id] });

    expect(await inboxRow(conversationId, member)).toMatchObject({ kind: 'to', left_at: null, last_read_at: null });
    // The answer carried the thread: it is a view in the audit trail.
    expect(await db.query(`select actor_id from audit_event where action = 'conversation.viewed' and subject_id = ?`, [conversationId])).toEqual([
      { actor_id: staff.id },
    ]);
  });

  it('refuses a closed conversation (409), no one named (422) and a member adding a member (403)', async () => {
    const closed = await seedConversation(db, staff, [[member, 'to']], { status: 'closed' });
    expect(await refusal(add(staff, closed, { to: [newcomer.id] }))).toEqual({
      status: 409,
      message: 'the conversation is closed; it takes no new recipients',
    });

    const conversationId = await seedConversation(db, staff, [[member, 'to']]);
    expect(await refusal(add(staff, conversationId, {}))).toEqual({ status: 422, message: 'to: name at least one recipient in to or cc' });
    expect(await refusal(add(member, conversationId, { to: [otherMember.id] }))).toMatchObject({ status: 403 });
    expect(await inboxRow(conversationId, otherMember)).toBeUndefined();
  });

  it('refuses a deactivated user with 422 naming the field, and adds no one', async () => {
    const gone = await seedUser(db, staff.organizationId, 'member', 'Gus Gone');
    await db.query(`update app_user set status = 'deactivated', deactivated_at = now() where id = ?`, [gone.id]);
    const conversationId = await seedConversation(db, staff, [[member, 'to']]);

    expect(await refusal(add(staff, conversationId, { to: [newcomer.id], cc: [gone.id] }))).toEqual({
      status: 422,
      message: `cc: must not name deactivated users: ${gone.id}`,
    });
    expect(await inboxRow(conversationId, newcomer)).toBeUndefined();
    expect(await inboxRow(conversationId, gone)).toBeUndefined();
  });
});
