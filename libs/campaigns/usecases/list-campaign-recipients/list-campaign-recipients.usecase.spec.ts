import {
  CampaignsWithoutTemporal,
  seedCampaign,
  seedCampaignDelivery,
  seedCampaignMessage,
  seedCampaignRecipients,
} from '../../../../test/support/campaign-use-cases.js';
import { refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { ListCampaignRecipientsQuery } from '../../campaign.dto.js';
import { ListCampaignRecipients, type CampaignRecipientRow } from './list-campaign-recipients.usecase.js';

const MINUTE = 60_000;
const HEADER = 'userId,name,email,channel,status,attempts,lastError,sentAt,given,skipReason,fallback';

describe('ListCampaignRecipients', () => {
  let db: TestDatabase;
  let recipients: ListCampaignRecipients;
  let organizationId: string;
  let ada: SeededUser; // admin
  let bea: SeededUser; // admin of another organisation
  let ann: SeededUser; // got everything, on two devices; one push failed
  let ben: SeededUser; // email failed for good, SMS held by quiet hours, message-center batch not reached
  let cat: SeededUser; // deactivated: skipped
  let dan: SeededUser; // nothing settled yet: his email is in flight
  /** Message center, email, SMS and push; positions 1 ann, 2 ben, 3 an unknown email, 4 cat, 5 dan. */
  let campaignId: string;
  let sentAt: Date;
  /** Every row of the campaign, in order. */
  let everyRow: CampaignRecipientRow[];

  beforeAll(async () => {
    db = await TestDatabase.create();
    recipients = (await db.module(CampaignsWithoutTemporal)).get(ListCampaignRecipients);
    organizationId = await seedOrganization(db);
    ada = await seedUser(db, organizationId, 'admin', 'Ada Admin');
    bea = await seedUser(db, await seedOrganization(db), 'admin', 'Bea Elsewhere');
    [ann, ben, cat, dan] = await Promise.all([
      seedUser(db, organizationId, 'member', 'Ann Archer'),
      seedUser(db, organizationId, 'member', 'Ben Baker'),
      seedUser(db, organizationId, 'member', 'Cat Cole'),
      seedUser(db, organizationId, 'member', 'Dan Dune'),
    ]);

    sentAt = new Date(Date.now() - 5 * MINUTE);
    campaignId = await seedCampaign(db, ada, {
      status: 'running',
      channels: ['message_center', 'email', 'sms', 'push'],
      deliverAt: new Date(Date.now() - 10 * MINUTE),
    });
    await seedCampaignRecipients(db, campaignId, [
      ann,
      ben,
      { given: 'nobody@example.test', skipReason: 'no user with this email' },
      { user: cat, skipReason: 'deactivated' },
      dan,
    ]);
    await seedCampaignMessage(db, campaignId, ann, sentAt);
    await seedCampaignDelivery(db, campaignId, ann, { channel: 'email', status: 'sent', sentAt });
    await seedCampaignDelivery(db, campaignId, ann, { channel: 'sms', status: 'sent', sentAt });
    await seedCampaignDelivery(db, campaignId, ann, { channel: 'push', target: 'subscription-1', status: 'sent', sentAt });
    await seedCampaignDelivery(db, campaignId, ann, { channel: 'push', target: 'subscription-2', status: 'failed', lastError: 'push service answered 400' });
    await seedCampaignDelivery(db, campaignId, ben, { channel: 'email', status: 'failed', attempts: 3, lastError: 'mailbox unavailable' });
    await seedCampaignDelivery(db, campaignId, ben, { channel: 'sms', notBefore: new Date(Date.now() + 8 * 60 * MINUTE) });
    await seedCampaignDelivery(db, campaignId, dan, { channel: 'email', status: 'sending', leaseUntil: new Date(Date.now() + MINUTE) });

    const row = (seq: number, user: SeededUser | null, channel: string, status: CampaignRecipientRow['status'], more: Partial<CampaignRecipientRow> = {}) => ({
      seq,
      userId: user?.id ?? null,
      name: user?.name ?? null,
      email: user ? `${user.id}@example.test` : null,
      channel,
      status,
      attempts: 0,
      lastError: null,
      sentAt: null,
      given: null,
      skipReason: null,
      fallback: false,
      ...more,
    });
    const skipped = (seq: number, user: SeededUser | null, reason: string, given: string | null) =>
      ['email', 'message_center', 'push', 'sms'].map((channel) => row(seq, user, channel, 'skipped', { lastError: reason, given, skipReason: reason }));
    everyRow = [
      row(1, ann, 'email', 'sent', { attempts: 1, sentAt }),
      row(1, ann, 'message_center', 'sent', { sentAt }),
      row(1, ann, 'push', 'sent', { attempts: 1, sentAt }),
      row(1, ann, 'push', 'failed', { attempts: 1, lastError: 'push service answered 400' }),
      row(1, ann, 'sms', 'sent', { attempts: 1, sentAt }),
      row(2, ben, 'email', 'failed', { attempts: 3, lastError: 'mailbox unavailable' }),
      row(2, ben, 'message_center', 'pending'),
      row(2, ben, 'push', 'pending'),
      row(2, ben, 'sms', 'deferred'),
      ...skipped(3, null, 'no user with this email', 'nobody@example.test'),
      ...skipped(4, cat, 'deactivated', null),
      row(5, dan, 'email', 'pending', { attempts: 1 }),
      row(5, dan, 'message_center', 'pending'),
      row(5, dan, 'push', 'pending'),
      row(5, dan, 'sms', 'pending'),
    ];
  });

  afterAll(() => db?.drop());

  const page = (caller: SeededUser, id: string, query: Partial<ListCampaignRecipientsQuery> = {}) =>
    db.request(() => recipients.page(caller, id, Object.assign(new ListCampaignRecipientsQuery(), query)));
  /** The whole CSV export, as the API streams it. */
  const csv = (caller: SeededUser, id: string, query: Partial<ListCampaignRecipientsQuery> = {}) =>
    db.request(async () => {
      let text = '';
      for await (const chunk of recipients.csv(caller, id, query)) text += chunk;
      return text;
    });
  /** Every page of `limit` rows, following nextCursor. */
  async function allPages(query: Partial<ListCampaignRecipientsQuery>): Promise<Array<{ items: CampaignRecipientRow[]; nextCursor: string | null }>> {
    const pages = [await page(ada, campaignId, query)];
    while (pages[pages.length - 1].nextCursor) pages.push(await page(ada, campaignId, { ...query, cursor: pages[pages.length - 1].nextCursor! }));
    return pages;
  }

  it('lists each recipient on each channel, in audience order, with what happened: sent, failed with its error, deferred, pending, skipped and why', async () => {
    expect(await page(ada, campaignId)).toEqual({ items: everyRow, nextCursor: null });
  });

  it('pages with nextCursor through every row once, also between two devices of one recipient', async () => {
    const pages = await allPages({ limit: 3 });

    expect(pages.flatMap((p) => p.items)).toEqual(everyRow);
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 3, 3, 3, 3, 3]);
    expect(pages.slice(0, -1).every((p) => typeof p.nextCursor === 'string')).toBe(true);
    expect(pages[pages.length - 1].nextCursor).toBeNull();
    // Ann's two push rows (same position, same channel) fall on either side of the first cursor.
    expect(pages[0].items[2]).toMatchObject({ seq: 1, channel: 'push', status: 'sent' });
    expect(pages[1].items[0]).toMatchObject({ seq: 1, channel: 'push', status: 'failed' });
  });

  it('filters by status and by channel, and pages a filtered list the same way', async () => {
    const ids = (rows: CampaignRecipientRow[]) => rows.map((r) => [r.seq, r.channel, r.status]);

    expect(ids((await page(ada, campaignId, { status: 'failed' })).items)).toEqual([
      [1, 'push', 'failed'],
      [2, 'email', 'failed'],
    ]);
    expect(ids((await page(ada, campaignId, { status: 'deferred' })).items)).toEqual([[2, 'sms', 'deferred']]);
    expect(ids((await page(ada, campaignId, { channel: 'sms', status: 'pending' })).items)).toEqual([[5, 'sms', 'pending']]);
    expect(ids((await page(ada, campaignId, { channel: 'email' })).items)).toEqual([
      [1, 'email', 'sent'],
      [2, 'email', 'failed'],
      [3, 'email', 'skipped'],
      [4, 'email', 'skipped'],
      [5, 'email', 'pending'],
    ]);
    const skipped = await allPages({ status: 'skipped', limit: 3 });
    expect(skipped.flatMap((p) => p.items)).toEqual(everyRow.filter((r) => r.status === 'skipped'));
    expect(skipped).toHaveLength(3);
  });

  it('shows a fallback SMS beside the email that failed, and none for a recipient whose email went out', async () => {
    const [eve, fay] = await Promise.all([seedUser(db, organizationId, 'member', 'Eve Evans'), seedUser(db, organizationId, 'member', 'Fay Fox')]);
    const id = await seedCampaign(db, ada, { status: 'completed', channels: ['email'], fallback: { email: 'sms' }, deliverAt: new Date(Date.now() - MINUTE) });
    await seedCampaignRecipients(db, id, [eve, fay]);
    await seedCampaignDelivery(db, id, eve, { channel: 'email', status: 'failed', lastError: 'bounced: 550 no such user' });
    await seedCampaignDelivery(db, id, eve, { channel: 'sms', kind: 'campaign_fallback', status: 'sent', sentAt });
    await seedCampaignDelivery(db, id, fay, { channel: 'email', status: 'sent', sentAt });

    const { items } = await page(ada, id);

    expect(items.map((r) => ({ name: r.name, channel: r.channel, status: r.status, fallback: r.fallback, lastError: r.lastError }))).toEqual([
      { name: 'Eve Evans', channel: 'email', status: 'failed', fallback: false, lastError: 'bounced: 550 no such user' },
      { name: 'Eve Evans', channel: 'sms', status: 'sent', fallback: true, lastError: null },
      { name: 'Fay Fox', channel: 'email', status: 'sent', fallback: false, lastError: null },
    ]);
  });

  it("another organisation's campaign, or none, is not found, as a page and as CSV", async () => {
    expect(await refusal(page(bea, campaignId))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await refusal(csv(bea, campaignId))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await refusal(page(ada, crypto.randomUUID()))).toEqual({ status: 404, message: 'campaign not found' });
  });

  it('a cursor it never gave is a 400 naming the cursor', async () => {
    const expected = { status: 400, message: 'cursor: is not a cursor this API returned' };

    expect(await refusal(page(ada, campaignId, { cursor: 'garbage' }))).toEqual(expected);
    expect(await refusal(page(ada, campaignId, { cursor: Buffer.from(JSON.stringify(['1', 'email', ''])).toString('base64url') }))).toEqual(expected);
  });

  describe('CSV export', () => {
    it('has a header and one line per row, CRLF-terminated, with empty fields for what is not known', async () => {
      const text = await csv(ada, campaignId, { status: 'failed' });

      expect(text).toBe(
        [
          HEADER,
          `${ann.id},Ann Archer,${ann.id}@example.test,push,failed,1,push service answered 400,,,,false`,
          `${ben.id},Ben Baker,${ben.id}@example.test,email,failed,3,mailbox unavailable,,,,false`,
          '',
        ].join('\r\n'),
      );
      const all = (await csv(ada, campaignId)).split('\r\n');
      expect(all).toHaveLength(1 + everyRow.length + 1);
      expect(all[1]).toBe(`${ann.id},Ann Archer,${ann.id}@example.test,email,sent,1,,${sentAt.toISOString()},,,false`);
      expect(all[10]).toBe(',,,email,skipped,0,no user with this email,,nobody@example.test,no user with this email,false');
    });

    it('cannot be turned into a formula by a spreadsheet: a leading =, +, -, @ or tab is quoted with an apostrophe; commas and quotes are escaped', async () => {
      const names = ['=HYPERLINK("http://evil.test","prize")', '+1 555 0100', '-2+3', '@SUM(A1:A9)', '\tTabby', 'Smith, "Jo"'];
      const people: SeededUser[] = [];
      for (const name of names) people.push(await seedUser(db, organizationId, 'member', name));
      const id = await seedCampaign(db, ada, { status: 'running', channels: ['email'], deliverAt: new Date(Date.now() - MINUTE) });
      await seedCampaignRecipients(db, id, [...people, { given: '=cmd|" /c calc"!A1', skipReason: 'no user with this email' }]);
      await seedCampaignDelivery(db, id, people[2], { channel: 'email', status: 'failed', attempts: 2, lastError: '-ERR mailbox full' });

      const lines = (await csv(ada, id)).split('\r\n');

      const fields = (user: SeededUser) => `${user.id},NAME,${user.id}@example.test`;
      expect(lines).toEqual([
        HEADER,
        `${fields(people[0]).replace('NAME', `"'=HYPERLINK(""http://evil.test"",""prize"")"`)},email,pending,0,,,,,false`,
        `${fields(people[1]).replace('NAME', `'+1 555 0100`)},email,pending,0,,,,,false`,
        `${fields(people[2]).replace('NAME', `'-2+3`)},email,failed,2,'-ERR mailbox full,,,,false`,
        `${fields(people[3]).replace('NAME', `'@SUM(A1:A9)`)},email,pending,0,,,,,false`,
        `${fields(people[4]).replace('NAME', `'\tTabby`)},email,pending,0,,,,,false`,
        `${fields(people[5]).replace('NAME', `"Smith, ""Jo"""`)},email,pending,0,,,,,false`,
        `,,,email,skipped,0,no user with this email,,"'=cmd|"" /c calc""!A1",no user with this email,false`,
        '',
      ]);
    });

    it('streams a campaign of any size a thousand rows at a time, every row once and in order', async () => {
      const id = await seedCampaign(db, ada, { status: 'completed', channels: ['message_center'], deliverAt: new Date(Date.now() - MINUTE) });
      await db.query(
        `insert into campaign_recipient (campaign_id, seq, user_id, given, status, skip_reason)
         select ?, g, null, 'row-' || g, 'skipped', 'no user with this email' from generate_series(1, 2001) as g`,
        [id],
      );
      const chunks: string[] = [];
      await db.request(async () => {
        for await (const chunk of recipients.csv(ada, id, {})) chunks.push(chunk);
      });

      expect(chunks.map((chunk) => chunk.split('\r\n').length - 1)).toEqual([1, 1000, 1000, 1]);
      const given = chunks
        .join('')
        .split('\r\n')
        .slice(1, -1)
        .map((line) => line.split(',')[8]);
      expect(given).toEqual(Array.from({ length: 2001 }, (_, index) => `row-${index + 1}`));
    });
  });
});
