import { createOrganization, eventually, TestOrganization } from '../support/api.js';
import { postReply, startConversation } from '../support/conversations.js';
import { Platform } from '../support/platform.js';

const PARTICIPANTS = 1000;
/** What the API takes per call (to, cc, and each add). */
const PER_CALL = 100;

/**
 * A conversation with a thousand participants on three channels: 3,000 sends from one workflow, more than
 * the 2,000 activities Temporal lets a workflow have pending. Bounded fan-out gets every one out.
 */
describe('conversation fan-out (end to end, dev server)', () => {
  let platform: Platform;
  let org: TestOrganization;

  beforeAll(async () => {
    // The log providers: what is measured here is the workflow's fan-out, not a provider.
    platform = await new Platform().start();
    org = await createOrganization(platform.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  test('a message in a 1,000-participant conversation reaches every participant by email, SMS and push', async () => {
    // Members are written straight into the database: a thousand password hashes through the API would take minutes.
    const members = await platform.query<{ id: string }>(
      `insert into app_user (id, organization_id, email, name, role, phone, created_at)
       select gen_random_uuid(), $1, 'fan-out-' || i || '@example.org', 'Member ' || i, 'member', '+1555' || lpad(i::text, 7, '0'), now()
         from generate_series(1, $2) as i
       returning id`,
      [org.id, PARTICIPANTS],
    );
    await platform.query(
      `insert into push_subscription (id, user_id, endpoint, p256dh, auth, created_at)
       select gen_random_uuid(), id, 'https://push.example/fan-out/' || id, 'p256dh', 'auth', now() from app_user where id = any($1::uuid[])`,
      [members.map((m) => m.id)],
    );
    const ids = members.map((m) => m.id);
    const conversation = await startConversation(org.admin, {
      subject: 'Open enrolment',
      to: ids.slice(0, PER_CALL),
      cc: ids.slice(PER_CALL, 2 * PER_CALL),
      body: 'Welcome',
    });
    for (let start = 2 * PER_CALL; start < ids.length; start += PER_CALL) {
      const added = await org.admin.post(`/v1/conversations/${conversation.id}/participants`, { to: ids.slice(start, start + PER_CALL) });
      expect(added.status).toBe(200);
    }

    // A message from staff: every participant may see it.
    const message = await postReply(org.admin, conversation.id, 'Enrolment is open until the 15th.');
    const handle = platform.client.workflow.getHandle(`conversation-message-${message.id}`);
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'), 240_000);

    const sent = await platform.query<{ channel: string; recipients: number; sent: number }>(
      `select channel, count(distinct recipient_id)::int as recipients, count(*) filter (where status = 'sent')::int as sent
         from delivery where subject_type = 'conversation_message' and subject_id = $1 group by channel order by channel`,
      [message.id],
    );
    expect(sent).toEqual([
      { channel: 'email', recipients: PARTICIPANTS, sent: PARTICIPANTS },
      { channel: 'push', recipients: PARTICIPANTS, sent: PARTICIPANTS },
      { channel: 'sms', recipients: PARTICIPANTS, sent: PARTICIPANTS },
    ]);
  }, 300_000);
});
