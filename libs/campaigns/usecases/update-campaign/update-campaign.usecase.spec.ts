import { campaignAudit, campaignOutbox, CampaignsWithoutTemporal, seedCampaign, type CampaignSeed } from '../../../../test/support/campaign-use-cases.js';
import { refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { UpdateCampaignDto } from '../../campaign.dto.js';
import { UpdateCampaign } from './update-campaign.usecase.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('UpdateCampaign', () => {
  let db: TestDatabase;
  let updateCampaign: UpdateCampaign;
  let ada: SeededUser; // admin
  let bea: SeededUser; // admin of another organisation

  beforeAll(async () => {
    db = await TestDatabase.create();
    updateCampaign = (await db.module(CampaignsWithoutTemporal)).get(UpdateCampaign);
    const organizationId = await seedOrganization(db);
    ada = await seedUser(db, organizationId, 'admin', 'Ada Admin');
    bea = await seedUser(db, await seedOrganization(db), 'admin', 'Bea Elsewhere');
  });

  afterAll(() => db?.drop());

  /** Whole milliseconds from now, as the API stores them. */
  const fromNow = (ms: number) => new Date(Date.now() + ms);
  const update = (caller: SeededUser, id: string, dto: Partial<UpdateCampaignDto>) =>
    db.request(() => updateCampaign.execute(caller, id, Object.assign(new UpdateCampaignDto(), dto)));
  const times = async (id: string) => {
    const [row] = await db.query<{ deliver_at: string; dismiss_at: string | null }>(`select deliver_at, dismiss_at from campaign where id = ?`, [id]);
    return { deliver_at: new Date(row.deliver_at), dismiss_at: row.dismiss_at === null ? null : new Date(row.dismiss_at) };
  };
  /** A campaign with everything it has written so far (its row's times, its outbox entries and audit entries), to show a refusal wrote nothing. */
  const state = async (id: string) => ({ times: await times(id), outbox: await campaignOutbox(db, id), audit: await campaignAudit(db, id) });
  const scheduled = (seed: CampaignSeed = {}) => seedCampaign(db, ada, { deliverAt: fromNow(HOUR), ...seed });

  it('moves deliverAt of a campaign not yet started: the row, a signal to its workflow, an audit entry, and the campaign as it now is', async () => {
    const id = await scheduled({ dismissAt: fromNow(DAY) });
    const deliverAt = fromNow(2 * HOUR);

    const view = await update(ada, id, { deliverAt: deliverAt.toISOString() });

    expect(view).toMatchObject({ id, status: 'scheduled', deliverAt });
    expect((await times(id)).deliver_at).toEqual(deliverAt);
    expect(await campaignOutbox(db, id)).toEqual([
      { kind: 'signal', workflowId: `campaign-${id}`, signal: 'rescheduled', args: [{ deliverAt: deliverAt.getTime() }] },
    ]);
    expect(await campaignAudit(db, id)).toEqual([
      { actor_id: ada.id, action: 'campaign.updated', details: { deliverAt: deliverAt.toISOString(), dismissAt: null } },
    ]);
  });

  it('moves both times together', async () => {
    const id = await scheduled({ dismissAt: fromNow(DAY) });
    const deliverAt = fromNow(2 * DAY);
    const dismissAt = fromNow(3 * DAY);

    const view = await update(ada, id, { deliverAt: deliverAt.toISOString(), dismissAt: dismissAt.toISOString() });

    expect(view).toMatchObject({ deliverAt, dismissAt });
    expect(await times(id)).toEqual({ deliver_at: deliverAt, dismiss_at: dismissAt });
  });

  it.each(['running', 'paused', 'completed', 'cancelled'] as const)('deliverAt of a %s campaign is a 409, and nothing changes', async (status) => {
    const id = await seedCampaign(db, ada, { status, deliverAt: fromNow(-HOUR) });
    const before = await state(id);

    expect(await refusal(update(ada, id, { deliverAt: fromNow(HOUR).toISOString() }))).toEqual({
      status: 409,
      message: 'the campaign has started; its delivery time can no longer move',
    });
    expect(await state(id)).toEqual(before);
  });

  it('deliverAt of a campaign that is due but whose workflow has not yet marked it running is a 409 too (decided by the database clock)', async () => {
    const id = await seedCampaign(db, ada, { status: 'scheduled', deliverAt: fromNow(-MINUTE) });
    const before = await state(id);

    expect(await refusal(update(ada, id, { deliverAt: fromNow(HOUR).toISOString() }))).toMatchObject({ status: 409 });
    expect(await state(id)).toEqual(before);
  });

  it.each(['scheduled', 'running', 'completed'] as const)(
    'dismissAt moves any time (a %s campaign), without a signal: the message center reads it from the campaign',
    async (status) => {
      const id = await seedCampaign(db, ada, { status, deliverAt: status === 'scheduled' ? fromNow(HOUR) : fromNow(-HOUR) });
      const dismissAt = fromNow(2 * DAY);

      const view = await update(ada, id, { dismissAt: dismissAt.toISOString() });

      expect(view).toMatchObject({ status, dismissAt });
      expect((await times(id)).dismiss_at).toEqual(dismissAt);
      expect(await campaignOutbox(db, id)).toEqual([]);
      expect(await campaignAudit(db, id)).toEqual([
        { actor_id: ada.id, action: 'campaign.updated', details: { deliverAt: null, dismissAt: dismissAt.toISOString() } },
      ]);
    },
  );

  it('dismissAt null keeps the messages: the campaign loses its dismiss time', async () => {
    const id = await seedCampaign(db, ada, { status: 'running', deliverAt: fromNow(-HOUR), dismissAt: fromNow(DAY) });

    const view = await update(ada, id, { dismissAt: null });

    expect(view.dismissAt).toBeNull();
    expect((await times(id)).dismiss_at).toBeNull();
  });

  it('deliverAt a couple of minutes ago (a client clock behind) is taken, as when the campaign is created: it is due now', async () => {
    const id = await scheduled();
    const deliverAt = fromNow(-2 * MINUTE);

    await update(ada, id, { deliverAt: deliverAt.toISOString() });

    expect(new Date((await times(id)).deliver_at).getTime()).toBe(deliverAt.getTime());
  });

  describe('refuses, naming the field, and changes nothing', () => {
    it('neither deliverAt nor dismissAt: nothing to change, nothing audited', async () => {
      const id = await scheduled();
      const before = await state(id);

      expect(await refusal(update(ada, id, {}))).toEqual({ status: 400, message: 'body: give deliverAt, dismissAt or both' });
      expect(await state(id)).toEqual(before);
    });

    it('deliverAt in the past', async () => {
      const id = await scheduled();
      const before = await state(id);

      expect(await refusal(update(ada, id, { deliverAt: fromNow(-10 * MINUTE).toISOString() }))).toEqual({
        status: 400,
        message: 'deliverAt: must not be in the past',
      });
      expect(await state(id)).toEqual(before);
    });

    it('deliverAt more than a year ahead, as when the campaign was created', async () => {
      const id = await scheduled();
      const before = await state(id);

      expect(await refusal(update(ada, id, { deliverAt: fromNow(400 * DAY).toISOString() }))).toEqual({
        status: 400,
        message: 'deliverAt: must be at most a year ahead',
      });
      expect(await state(id)).toEqual(before);
    });

    it('dismissAt at or before deliverAt, given together', async () => {
      const id = await scheduled();
      const before = await state(id);
      const at = fromNow(2 * HOUR).toISOString();

      expect(await refusal(update(ada, id, { deliverAt: at, dismissAt: at }))).toEqual({ status: 400, message: 'dismissAt: must be after deliverAt' });
      expect(await state(id)).toEqual(before);
    });

    it('dismissAt before the campaign’s deliverAt', async () => {
      const id = await scheduled({ deliverAt: fromNow(DAY) });
      const before = await state(id);

      expect(await refusal(update(ada, id, { dismissAt: fromNow(HOUR).toISOString() }))).toEqual({
        status: 400,
        message: 'dismissAt: must be after deliverAt',
      });
      expect(await state(id)).toEqual(before);
    });

    it('deliverAt moved past the dismiss time the campaign has', async () => {
      const id = await scheduled({ dismissAt: fromNow(DAY) });
      const before = await state(id);

      expect(await refusal(update(ada, id, { deliverAt: fromNow(2 * DAY).toISOString() }))).toEqual({
        status: 400,
        message: 'dismissAt: must be after deliverAt',
      });
      expect(await state(id)).toEqual(before);
    });
  });

  it("another organisation's campaign, or none, is not found, and nothing changes", async () => {
    const id = await scheduled({ dismissAt: fromNow(DAY) });
    const before = await state(id);

    expect(await refusal(update(bea, id, { dismissAt: null }))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await refusal(update(bea, id, { deliverAt: fromNow(2 * HOUR).toISOString() }))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await refusal(update(ada, crypto.randomUUID(), { dismissAt: null }))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await state(id)).toEqual(before);
  });
});
