import { ConversationsModule } from '../../conversations.module.js';
import { count, refusal, seedConversation, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PostMessage } from '../post-message/post-message.usecase.js';
import { OpenConversation } from './open-conversation.usecase.js';

describe('OpenConversation', () => {
  let db: TestDatabase;
  let openConversation: OpenConversation;
  let staff: SeededUser;
  let toMember: SeededUser;
  let ccMember: SeededUser;
  let stranger: SeededUser;
  let conversationId: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(ConversationsModule);
    openConversation = nest.get(OpenConversation);
    const organizationId = await seedOrganization(db);
    [staff, toMember, ccMember] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'member', 'Tom To'),
      seedUser(db, organizationId, 'member', 'Cat Cc'),
    ]);
    stranger = await seedUser(db, await seedOrganization(db), 'admin', 'Sue Stranger');
    conversationId = await seedConversation(db, staff, [
      [toMember, 'to'],
      [ccMember, 'cc'],
    ]);
    for (const [author, body] of [
      [staff, '<p>Quote attached</p>'],
      [ccMember, '<p>Blind copy here</p>'],
      [toMember, '<p>Thanks</p>'],
    ] as const) {
      await db.request(() => nest.get(PostMessage).execute(author, conversationId, { source: 'app', dto: { body } }));
    }
  });

  afterAll(() => db?.drop());

  const open = (caller: SeededUser) => db.request(() => openConversation.execute(caller, conversationId));
  const viewed = () => count(db, `audit_event where action = 'conversation.viewed' and subject_id = ?`, [conversationId]);

  it('shows a contact in To the participants and messages the BCC rule lets them see, and records that they opened it', async () => {
    const before = await viewed();

    const view = await open(toMember);

    expect(view.participants.map((p) => p.name)).toEqual(['Sam Staff', 'Tom To']);
    expect(view.messages.map((m) => `${m.author.name}: ${m.bodyText}`)).toEqual(['Sam Staff: Quote attached', 'Tom To: Thanks']);
    expect(view.messages.map((m) => m.system)).toEqual([false, false]);
    expect(await viewed()).toBe(before + 1);
  });

  it('shows staff everyone and everything, and records that view too', async () => {
    const before = await viewed();

    const view = await open(staff);

    expect(view.participants.map((p) => `${p.kind}:${p.name}`)).toEqual(['to:Sam Staff', 'to:Tom To', 'cc:Cat Cc']);
    expect(view.messages).toHaveLength(3);
    expect(await viewed()).toBe(before + 1);
  });

  it("answers 404 to anyone not in it, another organization's admin too", async () => {
    expect(await refusal(open(stranger))).toEqual({ status: 404, message: 'conversation not found' });
  });
});
