import {
  campaignAudit,
  CampaignsWithoutTemporal,
  ScriptedWorkflowGateway,
  seedCampaign,
  seedCampaignRecipients,
  type UpdateCall,
} from '../../../../test/support/campaign-use-cases.js';
import { refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { TemporalUnavailableError, WorkflowGateway } from '../../../temporal/workflow-gateway.js';
import type { CampaignStatus } from '../../campaign.entity.js';
import { ChangeCampaignState, type CampaignAction } from './change-campaign-state.usecase.js';

describe('ChangeCampaignState', () => {
  let db: TestDatabase;
  let changeState: ChangeCampaignState;
  let gateway: ScriptedWorkflowGateway;
  let ada: SeededUser; // admin
  let mia: SeededUser; // a member of her campaigns' audience
  let bea: SeededUser; // admin of another organisation

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(CampaignsWithoutTemporal);
    changeState = nest.get(ChangeCampaignState);
    gateway = nest.get(WorkflowGateway) as unknown as ScriptedWorkflowGateway;
    const organizationId = await seedOrganization(db);
    ada = await seedUser(db, organizationId, 'admin', 'Ada Admin');
    mia = await seedUser(db, organizationId, 'member', 'Mia Member');
    bea = await seedUser(db, await seedOrganization(db), 'admin', 'Bea Elsewhere');
  });

  beforeEach(() => gateway.reset());
  afterAll(() => db?.drop());

  const change = (caller: SeededUser, id: string, action: CampaignAction) => db.request(() => changeState.execute(caller, id, action));
  const statusOf = async (id: string) => (await db.query<{ status: CampaignStatus }>(`select status from campaign where id = ?`, [id]))[0].status;
  async function campaign(status: CampaignStatus): Promise<string> {
    const id = await seedCampaign(db, ada, { status, channels: ['message_center', 'email'] });
    if (status !== 'scheduled') await seedCampaignRecipients(db, id, [mia]);
    return id;
  }
  /** The workflow accepts the update and, as it does before it answers, mirrors its new status into the campaign row. */
  const accepting = (status: CampaignStatus) => async (call: UpdateCall) => {
    await db.query(`update campaign set status = ? where workflow_id = ?`, [status, call.workflowId]);
    return { outcome: 'done' as const, result: { status } };
  };

  it.each([
    ['pause', 'running', 'paused', 'campaign.paused'],
    ['resume', 'paused', 'running', 'campaign.resumed'],
    ['cancel', 'running', 'cancelled', 'campaign.cancelled'],
    ['cancel', 'scheduled', 'cancelled', 'campaign.cancelled'],
  ] as const)(
    '%s of a %s campaign: the workflow takes the update, the answer is the campaign as it now is, and it is audited',
    async (action, from, to, event) => {
      const id = await campaign(from);
      gateway.answerUpdates(accepting(to));

      const view = await change(ada, id, action);

      expect(gateway.updates).toEqual([{ workflowId: `campaign-${id}`, update: action, arg: { byUserId: ada.id }, stillToRun: expect.any(Function) }]);
      expect(view).toMatchObject({ id, status: to });
      expect(view.channels).toEqual({
        message_center: expect.objectContaining({ pending: from === 'scheduled' || to === 'cancelled' ? 0 : 1 }),
        email: expect.objectContaining({ sent: 0, failed: 0 }),
      });
      expect(await campaignAudit(db, id)).toEqual([{ actor_id: ada.id, action: event, details: { from } }]);
    },
  );

  it('a refusal by the workflow (a running campaign cannot resume) is a 409 with its message; nothing is audited', async () => {
    const id = await campaign('running');
    gateway.answerUpdates(() => ({
      outcome: 'refused',
      type: 'CampaignStateConflict',
      message: 'a running campaign cannot resume',
      details: [{ status: 'running' }],
    }));

    expect(await refusal(change(ada, id, 'resume'))).toEqual({ status: 409, message: 'a running campaign cannot resume' });
    expect(await statusOf(id)).toBe('running');
    expect(await campaignAudit(db, id)).toEqual([]);
  });

  it('a workflow that has run its course: 409 naming the campaign’s status; the gateway is told the campaign is not still to run', async () => {
    const completed = await campaign('completed');
    const cancelled = await campaign('cancelled');
    gateway.answerUpdates(() => ({ outcome: 'gone' }));

    expect(await refusal(change(ada, completed, 'pause'))).toEqual({ status: 409, message: 'a completed campaign cannot pause' });
    expect(await refusal(change(ada, cancelled, 'cancel'))).toEqual({ status: 409, message: 'a cancelled campaign cannot cancel' });
    expect(await Promise.all(gateway.updates.map((call) => db.request(call.stillToRun)))).toEqual([false, false]);
    expect([...(await campaignAudit(db, completed)), ...(await campaignAudit(db, cancelled))]).toEqual([]);
  });

  it('a campaign whose workflow the outbox has not started yet: 503, try again; the gateway is told it is still to run', async () => {
    const id = await campaign('scheduled');
    gateway.answerUpdates(() => ({ outcome: 'not_started' }));

    expect(await refusal(change(ada, id, 'pause'))).toEqual({ status: 503, message: 'the campaign is still being set up; try again shortly' });
    expect(await db.request(gateway.updates[0].stillToRun)).toBe(true);
    expect(await statusOf(id)).toBe('scheduled');
    expect(await campaignAudit(db, id)).toEqual([]);
  });

  it('Temporal unavailable: 503, nothing decided, nothing audited', async () => {
    const id = await campaign('running');
    gateway.answerUpdates(() => {
      throw new TemporalUnavailableError(new Error('14 UNAVAILABLE: connection refused'));
    });

    expect(await refusal(change(ada, id, 'cancel'))).toEqual({ status: 503, message: 'the campaign service is unavailable; try again shortly' });
    expect(await statusOf(id)).toBe('running');
    expect(await campaignAudit(db, id)).toEqual([]);
  });

  it('any other failure of the gateway is not dressed up as an answer: it propagates, and nothing is audited', async () => {
    const id = await campaign('running');
    gateway.answerUpdates(() => {
      throw new Error('unexpected');
    });

    await expect(change(ada, id, 'pause')).rejects.toThrow('unexpected');
    expect(await campaignAudit(db, id)).toEqual([]);
  });

  it("another organisation's campaign, or none: 404 before Temporal is asked anything", async () => {
    const id = await campaign('running');
    gateway.answerUpdates(accepting('cancelled'));

    expect(await refusal(change(bea, id, 'cancel'))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await refusal(change(ada, crypto.randomUUID(), 'cancel'))).toEqual({ status: 404, message: 'campaign not found' });
    expect(gateway.updates).toEqual([]);
    expect(await statusOf(id)).toBe('running');
    expect(await campaignAudit(db, id)).toEqual([]);
  });
});
