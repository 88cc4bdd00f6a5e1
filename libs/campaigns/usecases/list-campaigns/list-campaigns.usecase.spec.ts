import { CampaignsWithoutTemporal, seedCampaign, seedCampaignRecipients } from '../../../../test/support/campaign-use-cases.js';
import { refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { ListCampaignsQuery } from '../../campaign.dto.js';
import { ListCampaigns } from './list-campaigns.usecase.js';

const MINUTE = 60_000;

describe('ListCampaigns', () => {
  let db: TestDatabase;
  let listCampaigns: ListCampaigns;
  let ada: SeededUser; // admin
  let bea: SeededUser; // admin of another organisation
  let mia: SeededUser;
  /** Ada's campaigns, newest first; `tieHigh` and `tieLow` were created in the same millisecond (ordered by id). */
  const newest: Record<'completed' | 'tieHigh' | 'tieLow' | 'running' | 'oldest', string> = { completed: '', tieHigh: '', tieLow: '', running: '', oldest: '' };
  let deliverAt: Date;
  let dismissAt: Date;

  beforeAll(async () => {
    db = await TestDatabase.create();
    listCampaigns = (await db.module(CampaignsWithoutTemporal)).get(ListCampaigns);
    const organizationId = await seedOrganization(db);
    ada = await seedUser(db, organizationId, 'admin', 'Ada Admin');
    mia = await seedUser(db, organizationId, 'member', 'Mia Member');
    const otherOrganizationId = await seedOrganization(db);
    bea = await seedUser(db, otherOrganizationId, 'admin', 'Bea Elsewhere');

    const base = Date.now() - 60 * MINUTE;
    const at = (minutes: number) => new Date(base + minutes * MINUTE);
    deliverAt = at(30);
    dismissAt = at(24 * 60);
    newest.oldest = await seedCampaign(db, ada, { name: 'Oldest', createdAt: at(0) });
    newest.running = await seedCampaign(db, ada, { name: 'Running', status: 'running', createdAt: at(10), deliverAt: at(11) });
    await seedCampaignRecipients(db, newest.running, [mia, { given: 'nobody@example.test', skipReason: 'no user with this email' }]);
    const ties = [await seedCampaign(db, ada, { name: 'Tie', createdAt: at(20) }), await seedCampaign(db, ada, { name: 'Tie', createdAt: at(20) })].sort();
    [newest.tieLow, newest.tieHigh] = ties;
    newest.completed = await seedCampaign(db, ada, {
      name: 'Flu shots',
      title: 'Flu shots, {{recipient.firstName}}',
      body: 'Book yours at {{organization.name}}.',
      channels: ['message_center', 'email', 'sms'],
      fallback: { email: 'sms' },
      status: 'completed',
      createdAt: at(25),
      deliverAt,
      dismissAt,
    });
    await seedCampaign(db, bea, { name: 'Elsewhere', createdAt: at(40) });
  });

  afterAll(() => db?.drop());

  const list = (caller: SeededUser, query: Partial<ListCampaignsQuery> = {}) =>
    db.request(() => listCampaigns.execute(caller, Object.assign(new ListCampaignsQuery(), query)));
  const ids = async (caller: SeededUser, query: Partial<ListCampaignsQuery> = {}) => (await list(caller, query)).items.map((item) => item.id);
  const all = () => [newest.completed, newest.tieHigh, newest.tieLow, newest.running, newest.oldest];

  it("lists the organisation's campaigns newest first (ties by id), each as the list shows it", async () => {
    const page = await list(ada);

    expect(page.items.map((item) => item.id)).toEqual(all());
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]).toEqual({
      id: newest.completed,
      name: 'Flu shots',
      status: 'completed',
      title: 'Flu shots, {{recipient.firstName}}',
      body: 'Book yours at {{organization.name}}.',
      channels: ['message_center', 'email', 'sms'],
      fallback: { email: 'sms' },
      deliverAt,
      dismissAt,
      createdAt: expect.any(Date),
      startedAt: deliverAt,
      completedAt: deliverAt,
      cancelledAt: null,
      workflowId: `campaign-${newest.completed}`,
      recipients: null,
      skipped: null,
    });
    expect(page.items[3]).toMatchObject({ id: newest.running, status: 'running', recipients: 1, skipped: 1, fallback: null, dismissAt: null });
  });

  it("never shows another organisation's campaigns", async () => {
    const theirs = await list(bea);

    expect(theirs.items.map((item) => item.name)).toEqual(['Elsewhere']);
    expect(all()).not.toContain(theirs.items[0].id);
  });

  it('filters by status', async () => {
    expect(await ids(ada, { status: 'running' })).toEqual([newest.running]);
    expect(await ids(ada, { status: 'scheduled' })).toEqual([newest.tieHigh, newest.tieLow, newest.oldest]);
    expect(await ids(ada, { status: 'cancelled' })).toEqual([]);
  });

  it('pages with nextCursor, without a gap or a repeat where campaigns created together straddle two pages', async () => {
    const first = await list(ada, { limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual([newest.completed, newest.tieHigh]);
    expect(first.nextCursor).toEqual(expect.any(String));

    const second = await list(ada, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((item) => item.id)).toEqual([newest.tieLow, newest.running]);

    const third = await list(ada, { limit: 2, cursor: second.nextCursor! });
    expect(third.items.map((item) => item.id)).toEqual([newest.oldest]);
    expect(third.nextCursor).toBeNull();
  });

  it('pages a status filter the same way, and a full last page has no next cursor', async () => {
    const first = await list(ada, { status: 'scheduled', limit: 1 });
    const second = await list(ada, { status: 'scheduled', limit: 2, cursor: first.nextCursor! });

    expect([...first.items, ...second.items].map((item) => item.id)).toEqual([newest.tieHigh, newest.tieLow, newest.oldest]);
    expect(second.nextCursor).toBeNull();
  });

  it('a cursor it never gave is a 400 naming the cursor', async () => {
    expect(await refusal(list(ada, { cursor: 'not-a-cursor' }))).toEqual({ status: 400, message: 'cursor: is not a cursor this API returned' });
    const forged = Buffer.from(JSON.stringify(['2026-01-01T00:00:00Z', 'drop table campaign'])).toString('base64url');
    expect(await refusal(list(ada, { cursor: forged }))).toEqual({ status: 400, message: 'cursor: is not a cursor this API returned' });
  });
});
