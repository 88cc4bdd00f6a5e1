import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { CampaignBatch, CampaignBatchOutcome, CampaignPhase } from '../../workflows/campaign.contract.js';
import type { DeliveryTarget } from '../../workflows/delivery-policy.js';
import { isProviderChannel, PermanentDeliveryError, type BatchEmail, type Channel } from '../channels/channel.js';
import { NotificationRenderer } from '../channels/notification-renderer.js';
import { NotificationSender } from '../channels/notification-sender.js';
import { describeDeliveryError } from '../channels/providers/delivery-errors.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Deliverer, DeliveryInProgressError, type DeliveryContent, type RenderedDelivery } from '../delivery/deliverer.js';
import { DeliveryLedger, type BatchClaim } from '../delivery/delivery-ledger.js';
import type { Delivery } from '../delivery/delivery.entity.js';
import type { NotificationMode, QuietHours } from '../organizations/organization.entity.js';
import { quietUntil } from './quiet-hours.js';
import { compileRecipientTemplate, templateVariablesFor, type RecipientTemplate } from '../templates/recipient-template.js';
import { AudienceService } from './audience/audience.service.js';

interface CampaignRow {
  id: string;
  organization_id: string;
  organization_name: string;
  organization_timezone: string;
  quiet_hours: QuietHours | null;
  mode: NotificationMode;
  title: string;
  body: string;
  channels: Channel[];
  deliver_at: Date;
  status: CampaignPhase;
  workflow_id: string;
  created_by_id: string;
}

interface RecipientRow {
  id: string;
  name: string;
  email: string;
  timezone: string | null;
}

type Rendered = { title: string; body: string };

/** Held sends delivered per activity call. */
const DEFERRED_BATCH = 500;
type SendClaim = Extract<BatchClaim, { kind: 'send' }>;

/**
 * The worker's side of a campaign: the audience snapshot, and each batch — its message-center entries in
 * one INSERT, its ledger rows, its emails in one provider request, its pushes and texts one by one through
 * the Deliverer. Every step is safe to repeat: a retried batch inserts no second entry and sends nothing
 * the ledger already holds as sent.
 */
@Injectable()
export class CampaignDelivery implements DeliveryContent, OnModuleInit {
  private readonly logger = new Logger(CampaignDelivery.name);
  /** Compiled templates of the campaigns this worker is delivering (a few at a time). */
  private readonly templates = new Map<string, { title: RecipientTemplate; body: RecipientTemplate }>();

  constructor(
    private readonly em: EntityManager,
    private readonly ledger: DeliveryLedger,
    private readonly deliverer: Deliverer,
    private readonly sender: NotificationSender,
    private readonly renderer: NotificationRenderer,
    private readonly audience: AudienceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.deliverer.register('campaign', this);
  }

  async snapshotAudience(campaignId: string): Promise<{ audienceSize: number; sms: boolean }> {
    const { audienceSize } = await this.em.transactional((em) => this.audience.snapshot(em, campaignId));
    const campaign = await this.campaign(campaignId);
    return { audienceSize, sms: campaign?.channels.includes('sms') ?? false };
  }

  /** The status the workflow decided, with the time it first reached it (a pause keeps its latest). */
  async recordStatus(campaignId: string, status: CampaignPhase): Promise<void> {
    await this.em.execute(
      `update campaign set status = ?,
              started_at = case when ? = 'running' then coalesce(started_at, now()) else started_at end,
              paused_at = case when ? = 'paused' then now() else paused_at end,
              completed_at = case when ? = 'completed' then coalesce(completed_at, now()) else completed_at end,
              cancelled_at = case when ? = 'cancelled' then coalesce(cancelled_at, now()) else cancelled_at end
        where id = ?`,
      [status, status, status, status, status, campaignId],
    );
  }

  async deliverBatch(batch: CampaignBatch, signal?: AbortSignal, heartbeat: () => void = () => undefined): Promise<CampaignBatchOutcome> {
    const campaign = await this.campaign(batch.campaignId);
    // Cancelled while this batch waited for its turn: it sends nothing more.
    if (!campaign || campaign.status === 'cancelled') return { recipients: 0, sent: 0 };
    const recipients = await this.em.execute<RecipientRow[]>(
      `select u.id, u.name, u.email, u.timezone from campaign_recipient r join app_user u on u.id = r.user_id
        where r.campaign_id = ? and r.seq between ? and ? and r.status = 'included' order by r.seq`,
      [batch.campaignId, batch.fromSeq, batch.toSeq],
    );
    if (recipients.length === 0) return { recipients: 0, sent: 0 };
    const rendered = new Map(recipients.map((recipient) => [recipient.id, this.renderFor(campaign, recipient)]));
    if (campaign.channels.includes('message_center')) await this.fillMessageCenter(campaign, recipients, rendered);
    const channels = campaign.channels.filter(isProviderChannel);
    if (channels.length === 0) return { recipients: recipients.length, sent: 0 };
    const targets = await this.ledger.plan({
      subject: { type: 'campaign', id: campaign.id, organizationId: campaign.organization_id, dueAt: new Date(campaign.deliver_at) },
      kind: 'campaign',
      recipientIds: recipients.map((recipient) => recipient.id),
      channels,
      unreachable: 'record',
    });
    heartbeat();
    let sent = await this.sendEmails(
      campaign,
      targets.filter((target) => target.channel === 'email'),
      new Map(recipients.map((recipient) => [recipient.id, recipient])),
      rendered,
      signal,
    );
    const held = await this.holdForQuietHours(
      campaign,
      targets.filter((target) => target.channel !== 'email'),
      new Map(recipients.map((recipient) => [recipient.id, recipient])),
    );
    // Paced SMS are the SMS lane's (campaign-sms.ts); this batch sends its pushes, and its texts only for runs from before the pacing.
    const now = batch.smsPaced ? held.now.filter((row) => row.channel !== 'sms') : held.now;
    sent += await this.deliverEach(
      now.map((row) => row.id),
      signal,
      heartbeat,
    );
    return { recipients: recipients.length, sent };
  }

  /**
   * The campaign's SMS and push held back by quiet hours whose time has come, up to a batch of them; and
   * when the next ones fall due. The workflow calls it until nothing is held.
   */
  async deliverDeferred(
    campaignId: string,
    options: { skipSms?: boolean } = {},
    signal?: AbortSignal,
    heartbeat: () => void = () => undefined,
  ): Promise<{ sent: number; more: boolean; nextAt: number | null }> {
    const campaign = await this.campaign(campaignId);
    if (!campaign || campaign.status === 'cancelled') return { sent: 0, more: false, nextAt: null };
    const due = await this.em.execute<Array<{ id: string }>>(
      `select id from delivery where subject_type = 'campaign' and subject_id = ? and status in ('pending', 'sending') and not_before <= now()
          and (not ? or channel <> 'sms')
        order by not_before, id limit ?`,
      [campaignId, options.skipSms === true, DEFERRED_BATCH + 1],
    );
    const sent = await this.deliverEach(
      due.slice(0, DEFERRED_BATCH).map((row) => row.id),
      signal,
      heartbeat,
    );
    const [{ next_at: nextAt }] = await this.em.execute<Array<{ next_at: Date | null }>>(
      `select min(not_before) as next_at from delivery where subject_type = 'campaign' and subject_id = ? and status in ('pending', 'sending') and not_before > now()`,
      [campaignId],
    );
    return { sent, more: due.length > DEFERRED_BATCH, nextAt: nextAt === null ? null : new Date(nextAt).getTime() };
  }

  /** One by one through the Deliverer; a permanent refusal is recorded on its row and the others go on. */
  private async deliverEach(deliveryIds: string[], signal: AbortSignal | undefined, heartbeat: () => void): Promise<number> {
    let sent = 0;
    for (const deliveryId of deliveryIds) {
      heartbeat();
      try {
        if ((await this.deliverer.deliver(deliveryId, signal)) === 'sent') sent += 1;
      } catch (error) {
        if (!(error instanceof PermanentDeliveryError)) throw error;
      }
    }
    return sent;
  }

  /**
   * SMS and push to recipients inside the organisation's quiet hours (in their own time zone, else the
   * organisation's) wait until the hours end: marked with `not_before` (counted as deferred) and sent by
   * deliverDeferred. Returns those to send now. Held rows of an earlier attempt stay held.
   */
  private async holdForQuietHours(
    campaign: CampaignRow,
    targets: DeliveryTarget[],
    recipients: Map<string, RecipientRow>,
  ): Promise<{ now: Array<{ id: string; channel: DeliveryTarget['channel'] }> }> {
    if (targets.length === 0) return { now: [] };
    const rows = await this.em.execute<Array<{ id: string; recipient_id: string; not_before: Date | null }>>(
      `select id, recipient_id, not_before from delivery where id = any(?::uuid[])`,
      [`{${targets.map((target) => target.deliveryId).join(',')}}`],
    );
    const now = new Date();
    const hold: Array<{ id: string; until: Date }> = [];
    const channels = new Map(targets.map((target) => [target.deliveryId, target.channel]));
    const sendNow: Array<{ id: string; channel: DeliveryTarget['channel'] }> = [];
    for (const row of rows) {
      if (row.not_before && new Date(row.not_before) > now) continue;
      const recipient = recipients.get(row.recipient_id);
      const until = quietUntil(now, recipient?.timezone ?? campaign.organization_timezone, campaign.quiet_hours);
      if (until) hold.push({ id: row.id, until });
      else sendNow.push({ id: row.id, channel: channels.get(row.id)! });
    }
    if (hold.length) {
      await this.em.execute(`update delivery d set not_before = h.until from jsonb_to_recordset(?::jsonb) as h(id uuid, until timestamptz) where d.id = h.id`, [
        JSON.stringify(hold),
      ]);
    }
    return { now: sendNow };
  }

  /**
   * A campaign delivery sent on its own (push, SMS, or an email retried alone): the recipient's own title
   * and body. Whatever its kind: a fallback SMS (`campaign_fallback`, campaign-fallback.ts) is worded as the
   * campaign's own SMS would be, and is not sent once the campaign is cancelled.
   */
  async render(delivery: Delivery): Promise<RenderedDelivery> {
    const campaign = await this.campaign(delivery.subjectId);
    if (!campaign) return { skip: 'the campaign no longer exists' };
    if (campaign.status === 'cancelled') return { skip: 'the campaign was cancelled' };
    const [recipient] = await this.em.execute<RecipientRow[]>(`select id, name, email from app_user where id = ?`, [delivery.recipientId]);
    const { title, body } = this.renderFor(campaign, recipient);
    return { notification: this.notification(campaign, recipient, delivery.channel, title, body) };
  }

  private renderFor(campaign: CampaignRow, recipient: Pick<RecipientRow, 'name'>): Rendered {
    let compiled = this.templates.get(campaign.id);
    if (!compiled) {
      compiled = { title: compileRecipientTemplate(campaign.title), body: compileRecipientTemplate(campaign.body) };
      if (this.templates.size >= 50) this.templates.delete(this.templates.keys().next().value!);
      this.templates.set(campaign.id, compiled);
    }
    const variables = templateVariablesFor(recipient.name, campaign.organization_name);
    return { title: compiled.title(variables), body: compiled.body(variables) };
  }

  private notification(campaign: CampaignRow, recipient: Pick<RecipientRow, 'name'>, channel: 'email' | 'push' | 'sms', title: string, body: string) {
    return this.renderer.render({
      mode: campaign.mode,
      channel,
      organizationName: campaign.organization_name,
      recipientName: recipient.name,
      title,
      body,
      url: `${this.config.appUrl}/messages`,
    });
  }

  /** One INSERT for the batch; a recipient who has the campaign's message already gets no second one. */
  private async fillMessageCenter(campaign: CampaignRow, recipients: RecipientRow[], rendered: Map<string, Rendered>): Promise<void> {
    await this.em.execute(
      `insert into message (id, organization_id, recipient_id, created_by_id, title, body, channels, status, deliver_at, delivered_at, workflow_id, campaign_id, created_at)
       select gen_random_uuid(), ?, r.recipient_id, ?, r.title, r.body, ?::text[], 'delivered', ?, now(), ?, ?, now()
         from jsonb_to_recordset(?::jsonb) as r(recipient_id uuid, title text, body text)
       on conflict (campaign_id, recipient_id) where campaign_id is not null do nothing`,
      [
        campaign.organization_id,
        campaign.created_by_id,
        `{${campaign.channels.join(',')}}`,
        campaign.deliver_at,
        campaign.workflow_id,
        campaign.id,
        JSON.stringify(recipients.map((recipient) => ({ recipient_id: recipient.id, ...rendered.get(recipient.id)! }))),
      ],
    );
  }

  /**
   * The batch's emails in one provider request, claimed in the ledger first: rows already sent are left
   * out, and a row whose earlier attempt died mid-request is sent again once, marked as a resend. A
   * refusal of the whole request for one bad address falls back to sending each on its own.
   */
  private async sendEmails(
    campaign: CampaignRow,
    targets: DeliveryTarget[],
    recipients: Map<string, RecipientRow>,
    rendered: Map<string, Rendered>,
    signal?: AbortSignal,
  ): Promise<number> {
    if (targets.length === 0) return 0;
    const claims = await this.ledger.claimBatch(targets.map((target) => target.deliveryId));
    const inProgress = claims.find((claim) => claim.kind === 'in_progress');
    const toSend = claims.filter((claim): claim is SendClaim => claim.kind === 'send');
    if (toSend.length > 0) {
      const emails: BatchEmail[] = toSend.map(({ delivery }) => {
        const recipient = recipients.get(delivery.recipientId)!;
        const { title, body } = rendered.get(recipient.id)!;
        return {
          to: { email: recipient.email, name: recipient.name },
          notification: this.notification(campaign, recipient, 'email', title, body),
          deliveryId: delivery.id,
        };
      });
      try {
        const result = await this.sender.sendEmailBatch(emails, { signal });
        await this.ledger.settleBatch(toSend, { status: 'sent', providerMessageId: result.providerMessageId });
      } catch (error) {
        const reason = describeDeliveryError(error);
        if (!(error instanceof PermanentDeliveryError)) {
          await this.ledger.settleBatch(toSend, { status: 'retrying', reason });
          throw error;
        }
        // One refused address refuses the request: each goes again alone, so only the bad one fails.
        this.logger.warn(`campaign ${campaign.id}: a batch of ${toSend.length} emails was refused (${reason}); sending them one by one`);
        await this.ledger.settleBatch(toSend, { status: 'retrying', reason });
        let sent = 0;
        for (const { delivery } of toSend) {
          try {
            if ((await this.deliverer.deliver(delivery.id, signal)) === 'sent') sent += 1;
          } catch (single) {
            if (!(single instanceof PermanentDeliveryError)) throw single;
          }
        }
        return sent;
      }
    }
    // Another attempt is still talking to the provider about some of these: retry once its lease is over.
    if (inProgress) throw new DeliveryInProgressError(inProgress.delivery.id);
    return toSend.length;
  }

  private async campaign(id: string): Promise<CampaignRow | undefined> {
    const [row] = await this.em.execute<CampaignRow[]>(
      `select c.id, c.organization_id, o.name as organization_name, o.timezone as organization_timezone, o.quiet_hours, o.notification_mode as mode,
              c.title, c.body, c.channels, c.deliver_at, c.status,
              c.workflow_id, c.created_by_id
         from campaign c join organization o on o.id = c.organization_id where c.id = ?`,
      [id],
    );
    return row;
  }
}
