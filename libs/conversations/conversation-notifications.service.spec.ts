import { Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MetricsModule } from '../metrics/metrics.module.js';
import { seedConversation, seedOrganization, seedUser, type SeededUser } from '../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../test/support/test-database.js';
import { ConversationNotificationsModule } from './conversation-notifications.module.js';
import { ConversationNotificationsService } from './conversation-notifications.service.js';
import type { AuthorKind } from './conversation.entity.js';

/** The notifications as the worker wires them: with the application's one TidingsMetrics. */
@Module({ imports: [MetricsModule, ConversationNotificationsModule] })
class WorkerNotifications {}

/** Read notifications are BCC-safe: who hears that someone read a message (issue 10 §3). */
describe('ConversationNotificationsService.planReadNotice', () => {
  let db: TestDatabase;
  let notifications: ConversationNotificationsService;
  let staff: SeededUser;
  let namedStaff: SeededUser;
  let namedStaffElsewhere: SeededUser;
  let namedMember: SeededUser;
  let toContact: SeededUser;
  let otherToContact: SeededUser;
  let blindCopied: SeededUser;
  let conversationId: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    notifications = (await db.module(WorkerNotifications)).get(ConversationNotificationsService);
    const organizationId = await seedOrganization(db);
    [staff, namedStaff, namedStaffElsewhere, namedMember, toContact, otherToContact, blindCopied] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'staff', 'Nora Named'),
      seedUser(db, organizationId, 'staff', 'Ned Elsewhere'),
      seedUser(db, organizationId, 'member', 'Mo Member'),
      seedUser(db, organizationId, 'member', 'Tom To'),
      seedUser(db, organizationId, 'member', 'Tia To'),
      seedUser(db, organizationId, 'member', 'Cat Cc'),
    ]);
    conversationId = await seedConversation(db, staff, [
      [namedStaff, 'to'],
      [namedMember, 'to'],
      [toContact, 'to'],
      [otherToContact, 'to'],
      [blindCopied, 'cc'],
    ]);
    // A member among the read-notification users, as settings saved before the rule allowed.
    for (const user of [namedStaff, namedStaffElsewhere, namedMember]) {
      await db.query('insert into read_notification_recipient (organization_id, user_id, created_at) values (?, ?, now())', [organizationId, user.id]);
    }
  });

  afterAll(() => db?.drop());

  const message = async (author: SeededUser, kind: AuthorKind) => {
    const id = randomUUID();
    await db.query(
      `insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, read_receipt, source, created_at)
       values (?, ?, ?, ?, '<p>x</p>', 'x', true, 'app', now())`,
      [id, conversationId, author.id, kind],
    );
    return id;
  };
  const told = async (messageId: string, reader: SeededUser) =>
    (await db.request(() => notifications.planReadNotice(messageId, reader.id))).map((target) => target.userId).sort();

  it("tells staff's message's author and the named staff in the conversation; never a named member, never staff outside it", async () => {
    const fromStaff = await message(staff, 'staff');
    expect(await told(fromStaff, toContact)).toEqual([staff.id, namedStaff.id].sort());
  });

  it("never names a blind-copied contact's reading to a contact: the To contact who wrote is not told, staff are", async () => {
    const fromContact = await message(toContact, 'to');
    expect(await told(fromContact, blindCopied)).toEqual([namedStaff.id]);
    // Another To contact reading it: the author may see them, and is told.
    expect(await told(fromContact, otherToContact)).toEqual([namedStaff.id, toContact.id].sort());
  });

  it("tells nobody about a message they may not see: a blind copy's message read by staff reaches only staff", async () => {
    const fromBlindCopy = await message(blindCopied, 'cc');
    expect(await told(fromBlindCopy, staff)).toEqual([blindCopied.id, namedStaff.id].sort());
  });
});
