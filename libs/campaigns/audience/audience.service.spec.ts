import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seedOrganization, seedUser, type SeededUser } from '../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../test/support/test-database.js';
import { AttachmentStorage, type IncomingUpload } from '../../attachments/attachment-storage.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { Role } from '../../users/user.entity.js';
import type { CampaignAudience } from '../campaign.entity.js';
import { parseAudience } from './audience.js';
import { AudienceService } from './audience.service.js';
import { CampaignAudienceModule } from './campaign-audience.module.js';

interface RecipientRow {
  seq: number;
  user_id: string | null;
  given: string | null;
  status: 'included' | 'skipped';
  skip_reason: string | null;
}

describe('AudienceService', () => {
  let db: TestDatabase;
  let audiences: AudienceService;
  let storage: AttachmentStorage;
  let config: AppConfig;
  /** Another organisation, whose users and data no audience of the others may reach. */
  let elsewhere: string;
  let outsider: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(CampaignAudienceModule);
    audiences = nest.get(AudienceService);
    storage = nest.get(AttachmentStorage);
    config = nest.get<AppConfig>(APP_CONFIG);
    await storage.onModuleInit(); // creates the attachments directory, as the app's start does
    elsewhere = await seedOrganization(db);
    outsider = await seedUser(db, elsewhere, 'member', 'Otto Outsider');
  });

  afterAll(async () => {
    await db?.drop();
    if (config) await fs.promises.rm(config.attachmentsDir, { recursive: true, force: true });
  });

  /** An organisation with an admin (who creates its campaigns) and `roles` users after it, seeded one after another. */
  async function seedPeople(...roles: Role[]): Promise<{ organizationId: string; admin: SeededUser; users: SeededUser[] }> {
    const organizationId = await seedOrganization(db);
    const admin = await seedUser(db, organizationId, 'admin', 'Ada Admin');
    const users: SeededUser[] = [];
    for (const [index, role] of roles.entries()) users.push(await seedUser(db, organizationId, role, `${role} ${index}`));
    return { organizationId, admin, users };
  }

  async function seedCampaign(createdBy: SeededUser, audience: CampaignAudience): Promise<string> {
    const id = randomUUID();
    await db.query(
      `insert into campaign (id, organization_id, name, title, body, channels, deliver_at, audience, workflow_id, created_by_id, created_at)
       values (?, ?, 'Flu shots', 'Flu shots', '<p>Book yours</p>', '{message_center}', now() + interval '1 hour', ?::jsonb, ?, ?, now())`,
      [id, createdBy.organizationId, JSON.stringify(audience), `campaign-${id}`, createdBy.id],
    );
    return id;
  }

  /** A CSV file uploaded by `uploader`, stored where AttachmentStorage keeps kept uploads. */
  async function seedCsv(uploader: SeededUser, content: string | Buffer, contentType = 'text/csv; charset=utf-8'): Promise<string> {
    const id = randomUUID();
    const bytes = Buffer.from(content);
    const incoming = path.join(config.attachmentsDir, '.incoming', randomUUID());
    await fs.promises.writeFile(incoming, bytes);
    await storage.keep({ path: incoming } as IncomingUpload, id);
    await db.query(
      `insert into attachment (id, organization_id, uploaded_by_id, filename, content_type, size, sha256, stored_at, created_at)
       values (?, ?, ?, 'people.csv', ?, ?, 'not checked here', ?, now())`,
      [id, uploader.organizationId, uploader.id, contentType, bytes.length, id],
    );
    return id;
  }

  const snapshot = (campaignId: string) => audiences.snapshot(db.em.fork(), campaignId);
  const recipients = (campaignId: string) =>
    db.query<RecipientRow>('select seq, user_id, given, status, skip_reason from campaign_recipient where campaign_id = ? order by seq', [campaignId]);
  const counts = async (campaignId: string) =>
    (await db.query<{ recipients: number | null; skipped: number | null }>('select recipients, skipped from campaign where id = ?', [campaignId]))[0];
  const included = (user: SeededUser, seq: number): RecipientRow => ({ seq, user_id: user.id, given: null, status: 'included', skip_reason: null });
  const skipped = (given: string, reason: string, seq: number): RecipientRow => ({ seq, user_id: null, given, status: 'skipped', skip_reason: reason });
  const emailOf = (user: SeededUser) => `${user.id}@example.test`;

  /** The status, field and message `call` is refused with. */
  async function refusal(call: Promise<unknown>): Promise<{ status: number; field: string; message: string }> {
    try {
      await call;
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      const { details } = error.getResponse() as { details: Array<{ field: string; message: string }> };
      return { status: error.getStatus(), field: details[0].field, message: details[0].message };
    }
    throw new Error('expected the call to be refused, but it succeeded');
  }

  describe('snapshot', () => {
    it('writes user ids in order, first occurrence winning, skipping unknown users and other organisations’ users', async () => {
      const { admin, users } = await seedPeople('member', 'member', 'staff');
      const [mia, max, sam] = users;
      const unknown = randomUUID();
      const campaignId = await seedCampaign(admin, { userIds: [max.id, unknown, mia.id, max.id, outsider.id, unknown, sam.id, mia.id] });

      expect(await snapshot(campaignId)).toEqual({ audienceSize: 5, included: 3, skipped: 2 });

      expect(await recipients(campaignId)).toEqual([
        included(max, 1),
        skipped(unknown, 'unknown user', 2),
        included(mia, 3),
        skipped(outsider.id, 'not in this organization', 4),
        included(sam, 5),
      ]);
      expect(await counts(campaignId)).toEqual({ recipients: 3, skipped: 2 });
    });

    it('writes a segment’s users by when they joined, matching every criterion given and any of each', async () => {
      const { organizationId, admin, users } = await seedPeople('member', 'member', 'member', 'staff', 'staff', 'member');
      const [m1, m2, m3, s1, s2, m4] = users;
      const [diabetes, heart, unused] = [randomUUID(), randomUUID(), randomUUID()];
      for (const program of [diabetes, heart, unused]) {
        await db.query(`insert into program (id, organization_id, name, created_at) values (?, ?, ?, now())`, [program, organizationId, `Program ${program}`]);
      }
      for (const [program, member] of [
        [diabetes, m1],
        [heart, m2],
        [heart, m1], // enrolled twice: still one row
        [unused, m3],
        [diabetes, s2], // staff may be enrolled too
      ] as const) {
        await db.query(`insert into enrollment (id, organization_id, program_id, member_id, care_manager_id, created_at) values (?, ?, ?, ?, ?, now())`, [
          randomUUID(),
          organizationId,
          program,
          member.id,
          s1.id,
        ]);
      }
      const [nurses, billing] = [randomUUID(), randomUUID()];
      for (const team of [nurses, billing]) {
        await db.query(`insert into team (id, organization_id, name, created_at) values (?, ?, ?, now())`, [team, organizationId, `Team ${team}`]);
      }
      for (const [team, user] of [
        [nurses, s1],
        [billing, s2],
        [billing, admin],
      ] as const) {
        await db.query(`insert into team_member (team_id, user_id, created_at) values (?, ?, now())`, [team, user.id]);
      }
      const [acme, globex] = [randomUUID(), randomUUID()];
      for (const account of [acme, globex]) {
        await db.query(`insert into client_account (id, organization_id, name, created_at) values (?, ?, ?, now())`, [
          account,
          organizationId,
          `Client ${account}`,
        ]);
      }
      for (const [account, user] of [
        [acme, m2],
        [acme, s1],
        [globex, m4],
        [globex, m1],
      ] as const) {
        await db.query(`insert into client_account_access (client_account_id, user_id, created_at) values (?, ?, now())`, [account, user.id]);
      }

      const rowsOf = async (segment: Extract<CampaignAudience, { segment: unknown }>['segment']) => {
        const campaignId = await seedCampaign(admin, { segment });
        const result = await snapshot(campaignId);
        const rows = await recipients(campaignId);
        expect(result).toEqual({ audienceSize: rows.length, included: rows.length, skipped: 0 });
        expect(await counts(campaignId)).toEqual({ recipients: rows.length, skipped: 0 });
        return rows;
      };

      // Ordered by joining: admin, m1, m2, m3, s1, s2, m4.
      expect(await rowsOf({ roles: ['member'] })).toEqual([included(m1, 1), included(m2, 2), included(m3, 3), included(m4, 4)]);
      expect(await rowsOf({ roles: ['admin', 'staff'] })).toEqual([included(admin, 1), included(s1, 2), included(s2, 3)]);
      expect(await rowsOf({ programIds: [diabetes, heart] })).toEqual([included(m1, 1), included(m2, 2), included(s2, 3)]);
      expect(await rowsOf({ roles: ['member'], programIds: [diabetes, heart] })).toEqual([included(m1, 1), included(m2, 2)]);
      expect(await rowsOf({ teamIds: [nurses, billing] })).toEqual([included(admin, 1), included(s1, 2), included(s2, 3)]);
      expect(await rowsOf({ teamIds: [billing], programIds: [diabetes] })).toEqual([included(s2, 1)]);
      expect(await rowsOf({ clientAccountIds: [acme] })).toEqual([included(m2, 1), included(s1, 2)]);
      expect(await rowsOf({ roles: ['member'], clientAccountIds: [acme, globex], programIds: [heart] })).toEqual([included(m1, 1), included(m2, 2)]);
      expect(await rowsOf({ roles: ['staff'], clientAccountIds: [globex] })).toEqual([]);
    });

    it('writes a CSV’s email column (any case, quoted, BOM, CRLF), skipping emails of nobody in the organisation', async () => {
      const { admin, users } = await seedPeople('member', 'member', 'staff');
      const [mia, max, sam] = users;
      const csv =
        '\ufeffName,"Note",EMail\r\n' +
        `"Doe, Mia","likes ""flu"" shots\r\nand tea",${emailOf(mia).toUpperCase()}\r\n` +
        `Nobody,,nobody@example.test\r\n` +
        `\r\n` +
        `"Max",x,"  ${emailOf(max)}  "\r\n` +
        `Mia again,,${emailOf(mia)}\r\n` +
        `No email,,\r\n` +
        `Otto,,${emailOf(outsider)}\r\n` +
        `Nobody again,,NOBODY@example.test\r\n` +
        `Sam,,"${emailOf(sam)}"`;
      const campaignId = await seedCampaign(admin, { csvAttachmentId: await seedCsv(mia, csv) });

      expect(await snapshot(campaignId)).toEqual({ audienceSize: 5, included: 3, skipped: 2 });

      expect(await recipients(campaignId)).toEqual([
        included(mia, 1),
        skipped('nobody@example.test', 'no user with this email', 2),
        included(max, 3),
        // Another organisation's address reads as nobody's: a CSV must not tell which emails have accounts elsewhere.
        skipped(emailOf(outsider), 'no user with this email', 4),
        included(sam, 5),
      ]);
      expect(await counts(campaignId)).toEqual({ recipients: 3, skipped: 2 });
    });

    it('writes a CSV’s userId column, skipping unknown ids, values that are no id and other organisations’ users', async () => {
      const { admin, users } = await seedPeople('member', 'member');
      const [mia, max] = users;
      const unknown = randomUUID();
      const csv = [
        'email,userId,name',
        `ignored@example.test,${max.id},Max`,
        `,${unknown},`,
        `,not-an-id,`,
        `,${mia.id.toUpperCase()},Mia`,
        `,${outsider.id},Otto`,
        `,${max.id},Max again`,
        '',
      ].join('\n');
      const campaignId = await seedCampaign(admin, { csvAttachmentId: await seedCsv(admin, csv) });

      expect(await snapshot(campaignId)).toEqual({ audienceSize: 5, included: 2, skipped: 3 });

      expect(await recipients(campaignId)).toEqual([
        included(max, 1),
        skipped(unknown, 'unknown user', 2),
        skipped('not-an-id', 'not a user id', 3),
        included(mia, 4),
        skipped(outsider.id, 'not in this organization', 5),
      ]);
    });

    it('skips deactivated users as `deactivated`, keeping their id, whether listed by id, by CSV email or matched by a segment', async () => {
      const { admin, users } = await seedPeople('member', 'member', 'member');
      const [mia, gus, sam] = users;
      await db.query(`update app_user set status = 'deactivated', deactivated_at = now() where id = ?`, [gus.id]);
      const deactivated = (given: string | null, seq: number): RecipientRow => ({ seq, user_id: gus.id, given, status: 'skipped', skip_reason: 'deactivated' });

      const byIds = await seedCampaign(admin, { userIds: [gus.id, mia.id, gus.id, sam.id] });
      expect(await snapshot(byIds)).toEqual({ audienceSize: 3, included: 2, skipped: 1 });
      expect(await recipients(byIds)).toEqual([deactivated(gus.id, 1), included(mia, 2), included(sam, 3)]);
      expect(await counts(byIds)).toEqual({ recipients: 2, skipped: 1 });

      const byCsv = await seedCampaign(admin, { csvAttachmentId: await seedCsv(admin, `email\n${emailOf(mia)}\n${emailOf(gus).toUpperCase()}\n`) });
      expect(await snapshot(byCsv)).toEqual({ audienceSize: 2, included: 1, skipped: 1 });
      expect(await recipients(byCsv)).toEqual([included(mia, 1), deactivated(emailOf(gus).toUpperCase(), 2)]);

      // Ordered by joining: admin, mia, gus, sam.
      const bySegment = await seedCampaign(admin, { segment: { roles: ['member'] } });
      expect(await snapshot(bySegment)).toEqual({ audienceSize: 3, included: 2, skipped: 1 });
      expect(await recipients(bySegment)).toEqual([included(mia, 1), deactivated(null, 2), included(sam, 3)]);
      expect(await counts(bySegment)).toEqual({ recipients: 2, skipped: 1 });
    });

    it('writes nothing the second time and answers what is there', async () => {
      const { admin, users } = await seedPeople('member', 'member');
      const unknown = randomUUID();
      const campaignId = await seedCampaign(admin, { userIds: [users[0].id, unknown, users[1].id] });
      const first = await snapshot(campaignId);
      const rows = await recipients(campaignId);

      expect(await snapshot(campaignId)).toEqual(first);
      expect(first).toEqual({ audienceSize: 3, included: 2, skipped: 1 });
      expect(await recipients(campaignId)).toEqual(rows);

      // Snapshotted concurrently (an activity retried while its first attempt still runs): one writes, both agree.
      const again = await seedCampaign(admin, { userIds: [users[1].id, users[0].id] });
      const results = await Promise.all([snapshot(again), snapshot(again)]);
      expect(results).toEqual([
        { audienceSize: 2, included: 2, skipped: 0 },
        { audienceSize: 2, included: 2, skipped: 0 },
      ]);
      expect(await recipients(again)).toEqual([included(users[1], 1), included(users[0], 2)]);
    });

    it('keeps an audience of nobody empty, even once someone matches', async () => {
      const { organizationId, admin } = await seedPeople('member');
      const campaignId = await seedCampaign(admin, { segment: { roles: ['staff'] } });

      expect(await snapshot(campaignId)).toEqual({ audienceSize: 0, included: 0, skipped: 0 });
      expect(await counts(campaignId)).toEqual({ recipients: 0, skipped: 0 });

      await seedUser(db, organizationId, 'staff');
      expect(await snapshot(campaignId)).toEqual({ audienceSize: 0, included: 0, skipped: 0 });
      expect(await recipients(campaignId)).toEqual([]);
    });

    it('snapshots 100,000 user ids', async () => {
      const { organizationId, admin } = await seedPeople();
      await db.query(
        `insert into app_user (id, organization_id, email, name, role, created_at)
         select gen_random_uuid(), ?, 'bulk-' || n || '@example.test', 'Bulk ' || n, 'member', now() from generate_series(1, 99000) n`,
        [organizationId],
      );
      const members = (await db.query<{ id: string }>(`select id from app_user where organization_id = ? and role = 'member'`, [organizationId])).map(
        (row) => row.id,
      );
      // Every hundredth id names nobody.
      const userIds = members.flatMap((id, index) => (index % 99 === 98 ? [id, randomUUID()] : [id]));
      expect(userIds).toHaveLength(100_000);
      const campaignId = await seedCampaign(admin, parseAudience({ userIds }));

      expect(await snapshot(campaignId)).toEqual({ audienceSize: 100_000, included: 99_000, skipped: 1_000 });

      const [{ n, last, first_skipped }] = await db.query<{ n: number; last: number; first_skipped: number }>(
        `select count(*)::int as n, max(seq) as last, min(seq) filter (where status = 'skipped') as first_skipped from campaign_recipient where campaign_id = ?`,
        [campaignId],
      );
      expect({ n, last, first_skipped }).toEqual({ n: 100_000, last: 100_000, first_skipped: 100 });
      expect(await counts(campaignId)).toEqual({ recipients: 99_000, skipped: 1_000 });
    });
  });

  describe('check', () => {
    it('accepts user ids whether or not they name anyone', async () => {
      const { organizationId, users } = await seedPeople('member');
      await expect(audiences.check(organizationId, { userIds: [users[0].id, randomUUID(), outsider.id] })).resolves.toBeUndefined();
    });

    it('accepts a segment of the organisation’s programs, client accounts and teams', async () => {
      const { organizationId } = await seedPeople();
      const [program, account, team] = [randomUUID(), randomUUID(), randomUUID()];
      await db.query(`insert into program (id, organization_id, name, created_at) values (?, ?, 'Heart', now())`, [program, organizationId]);
      await db.query(`insert into client_account (id, organization_id, name, created_at) values (?, ?, 'Acme', now())`, [account, organizationId]);
      await db.query(`insert into team (id, organization_id, name, created_at) values (?, ?, 'Nurses', now())`, [team, organizationId]);

      await expect(
        audiences.check(organizationId, { segment: { roles: ['member'], programIds: [program], clientAccountIds: [account], teamIds: [team] } }),
      ).resolves.toBeUndefined();
    });

    it('refuses a segment naming another organisation’s or unknown programs, client accounts or teams', async () => {
      const { organizationId } = await seedPeople();
      const [ours, theirs] = [randomUUID(), randomUUID()];
      await db.query(`insert into program (id, organization_id, name, created_at) values (?, ?, 'Heart', now()), (?, ?, 'Heart', now())`, [
        ours,
        organizationId,
        theirs,
        elsewhere,
      ]);
      const [theirAccount, theirTeam] = [randomUUID(), randomUUID()];
      await db.query(`insert into client_account (id, organization_id, name, created_at) values (?, ?, 'Acme', now())`, [theirAccount, elsewhere]);
      await db.query(`insert into team (id, organization_id, name, created_at) values (?, ?, 'Nurses', now())`, [theirTeam, elsewhere]);

      expect(await refusal(audiences.check(organizationId, { segment: { programIds: [ours, theirs] } }))).toEqual({
        status: 422,
        field: 'audience.segment.programIds',
        message: `must name programs of this organization (not ${theirs})`,
      });
      expect(await refusal(audiences.check(organizationId, { segment: { roles: ['member'], clientAccountIds: [theirAccount] } }))).toMatchObject({
        status: 422,
        field: 'audience.segment.clientAccountIds',
      });
      expect(await refusal(audiences.check(organizationId, { segment: { teamIds: [randomUUID(), theirTeam] } }))).toMatchObject({
        status: 422,
        field: 'audience.segment.teamIds',
      });
    });

    it('accepts the organisation’s CSV with an email or a userId column, whoever uploaded it', async () => {
      const { organizationId, admin, users } = await seedPeople('staff');
      await expect(
        audiences.check(organizationId, { csvAttachmentId: await seedCsv(users[0], `"E-mail ID",EMAIL\nx,${emailOf(admin)}\n`) }),
      ).resolves.toBeUndefined();
      await expect(audiences.check(organizationId, { csvAttachmentId: await seedCsv(admin, `UserId\r\n${randomUUID()}`) })).resolves.toBeUndefined();
    });

    it('refuses another organisation’s, an unknown, a non-CSV or a malformed attachment', async () => {
      const { organizationId, admin } = await seedPeople();
      const field = 'audience.csvAttachmentId';
      const theirs = await seedCsv(outsider, `email\n${emailOf(outsider)}`);
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: theirs }))).toEqual({
        status: 422,
        field,
        message: 'names no file uploaded in this organization',
      });
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: randomUUID() }))).toEqual({
        status: 422,
        field,
        message: 'names no file uploaded in this organization',
      });
      const text = await seedCsv(admin, `email\n${emailOf(admin)}`, 'text/plain; charset=utf-8');
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: text }))).toEqual({ status: 422, field, message: 'must be a CSV file (.csv)' });
      const malformed = await seedCsv(admin, `email\n"${emailOf(admin)}`);
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: malformed }))).toEqual({
        status: 422,
        field,
        message: 'is not a well-formed CSV file: line 2: a quoted field is never closed',
      });
    });

    it('refuses a CSV without an email or a userId column, saying which columns are needed', async () => {
      const { organizationId, admin } = await seedPeople();
      const field = 'audience.csvAttachmentId';
      const withoutColumn = await seedCsv(admin, `name,mail\nAda,${emailOf(admin)}\n`);
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: withoutColumn }))).toEqual({
        status: 422,
        field,
        message: 'must have an "email" or a "userId" column in its header row (its header row has "name", "mail")',
      });
      const empty = await seedCsv(admin, '\ufeff');
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: empty }))).toEqual({
        status: 422,
        field,
        message: 'must have an "email" or a "userId" column in its header row (it is empty)',
      });
      const headerOnly = await seedCsv(admin, 'Email\r\n\r\n');
      expect(await refusal(audiences.check(organizationId, { csvAttachmentId: headerOnly }))).toEqual({
        status: 422,
        field,
        message: 'names nobody: its email column is empty',
      });
    });
  });
});
