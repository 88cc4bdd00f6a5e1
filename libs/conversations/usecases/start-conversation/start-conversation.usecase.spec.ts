import { ConversationsModule } from '../../conversations.module.js';
import { StartConversationDto } from '../../conversation.dto.js';
import { count, refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import * as richText from '../../../rich-text/rich-text.js';
import { MAX_RICH_TEXT_ELEMENTS, TooMuchMarkupError } from '../../../rich-text/rich-text.js';
import { StartConversation } from './start-conversation.usecase.js';

describe('StartConversation', () => {
  let db: TestDatabase;
  let startConversation: StartConversation;
  let staff: SeededUser;
  let member: SeededUser;
  let otherMember: SeededUser;
  let stranger: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    startConversation = (await db.module(ConversationsModule)).get(StartConversation);
    const organizationId = await seedOrganization(db);
    [staff, member, otherMember] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'member', 'Max Member'),
    ]);
    stranger = await seedUser(db, await seedOrganization(db), 'member', 'Sue Stranger');
  });

  afterAll(() => db?.drop());

  const start = (caller: SeededUser, dto: Partial<StartConversationDto>) =>
    db.request(() => startConversation.execute(caller, { subject: 'Your policy 7781', body: '<p>Hello</p>', ...dto } as StartConversationDto));
  const writes = async () => ({
    conversations: await count(db, 'conversation'),
    messages: await count(db, 'conversation_message'),
    outbox: await count(db, 'workflow_outbox'),
  });

  it('starts the conversation with its participants and first message, whose workflow start goes to the outbox', async () => {
    const view = await start(staff, { to: [member.id], cc: [otherMember.id] });

    expect(view).toMatchObject({ subject: 'Your policy 7781', status: 'open', clientAccount: null });
    expect(view.participants.map((p) => `${p.kind}:${p.name}`).sort()).toEqual(['cc:Max Member', 'to:Mia Member', 'to:Sam Staff']);
    expect(view.messages).toEqual([
      expect.objectContaining({ id: view.firstMessageId, bodyHtml: '<p>Hello</p>', author: { id: staff.id, name: 'Sam Staff' } }),
    ]);
    expect(await count(db, 'workflow_outbox where workflow_id = ?', [`conversation-message-${view.firstMessageId}`])).toBe(1);
    expect(await db.query(`select action from audit_event where subject_id = ? order by action`, [view.id])).toEqual([
      { action: 'conversation.message_posted' },
      { action: 'conversation.started' },
      { action: 'conversation.viewed' },
    ]);
  });

  it('refuses a member writing to another member with 403, and writes nothing', async () => {
    const before = await writes();

    expect(await refusal(start(member, { to: [otherMember.id] }))).toEqual({
      status: 403,
      message: `to: names ${otherMember.id}, a member: members may message staff only, never other members (rule: members message staff only)`,
    });
    expect(await writes()).toEqual(before);
  });

  it('refuses recipients who are only the caller, or not of their organization, with 422', async () => {
    const before = await writes();

    expect(await refusal(start(staff, { to: [staff.id] }))).toEqual({ status: 422, message: 'to: must name someone other than yourself' });
    expect(await refusal(start(staff, { to: [stranger.id] }))).toEqual({
      status: 422,
      message: `to: must name users of your organization; unknown: ${stranger.id}`,
    });
    expect(await writes()).toEqual(before);
  });

  it('refuses a deactivated recipient in to or cc with 422 naming the field, and writes nothing', async () => {
    const gone = await seedUser(db, staff.organizationId, 'member', 'Gus Gone');
    await db.query(`update app_user set status = 'deactivated', deactivated_at = now() where id = ?`, [gone.id]);
    const before = await writes();

    expect(await refusal(start(staff, { to: [member.id, gone.id] }))).toEqual({ status: 422, message: `to: must not name deactivated users: ${gone.id}` });
    expect(await refusal(start(staff, { to: [member.id], cc: [gone.id] }))).toEqual({
      status: 422,
      message: `cc: must not name deactivated users: ${gone.id}`,
    });
    expect(await writes()).toEqual(before);
  });

  it('sanitizes the body only once the caller may write to the recipients, and refuses too much markup with 422 naming body', async () => {
    const sanitize = jest.spyOn(richText, 'sanitizeRichText');
    try {
      const tooMuchMarkup = '<a>x</a>'.repeat(MAX_RICH_TEXT_ELEMENTS + 1);
      const before = await writes();

      expect((await refusal(start(member, { to: [otherMember.id], body: tooMuchMarkup }))).status).toBe(403);
      expect((await refusal(start(staff, { to: [stranger.id], body: tooMuchMarkup }))).status).toBe(422);
      expect(sanitize).not.toHaveBeenCalled();

      expect(await refusal(start(staff, { to: [member.id], body: tooMuchMarkup }))).toEqual({
        status: 422,
        message: `body: ${new TooMuchMarkupError().message}`,
      });
      expect(sanitize).toHaveBeenCalledTimes(1);
      expect(await writes()).toEqual(before);
    } finally {
      sanitize.mockRestore();
    }
  });
});
