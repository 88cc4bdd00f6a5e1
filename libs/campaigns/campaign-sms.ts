import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CampaignSmsOutcome, CampaignSmsRequest } from '../../workflows/campaign.contract.js';
import { PermanentDeliveryError } from '../channels/channel.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Deliverer, DeliveryInProgressError } from '../delivery/deliverer.js';

/** How long a lane whose only due text is another attempt's waits before it looks again. */
const IN_FLIGHT_ELSEWHERE_WAIT_MS = 5000;

/**
 * A campaign's texts, one per call, at the provider's pace. The SMS task queue's rate limit
 * (maxTaskQueueActivitiesPerSecond = TWILIO_MAX_PER_SECOND) holds all workers together to that rate on
 * average; the server lets short bursts through, so each worker also spaces its own texts 1/rate seconds
 * apart. Each text goes through the Deliverer — claimed in the ledger first, so a retried call sends
 * nothing twice — and none once the campaign is paused or cancelled.
 */
@Injectable()
export class CampaignSms {
  /** When this worker may send its next text (epoch ms). */
  private nextSlot = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly deliverer: Deliverer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send(request: CampaignSmsRequest, signal?: AbortSignal): Promise<CampaignSmsOutcome> {
    const due = await this.due(request);
    if (due.length === 0) {
      // The lane's only unsettled text is another attempt's: look again once that has had time to finish.
      if (!(await this.inFlightElsewhere(request))) return { sent: 0, more: false, lastSeq: request.afterSeq };
      await sleep(IN_FLIGHT_ELSEWHERE_WAIT_MS, undefined, { signal });
      return { sent: 0, more: true, lastSeq: request.afterSeq };
    }
    const [next] = due;
    await this.takeSlot(signal);
    // Paused or cancelled while this call waited: the workflow records the status before it answers the admin.
    if (await this.stopped(request.campaignId)) return { sent: 0, more: true, lastSeq: request.afterSeq };
    let sent = 0;
    try {
      sent = (await this.deliverer.deliver(next.id, signal)) === 'sent' ? 1 : 0;
    } catch (error) {
      // Refused for good: recorded on its row, and the lane goes on. A provider outage: the call retries with backoff.
      if (!(error instanceof PermanentDeliveryError) && !(error instanceof DeliveryInProgressError)) throw error;
    }
    return { sent, more: due.length > 1, lastSeq: next.seq };
  }

  /** This worker's texts, 1/TWILIO_MAX_PER_SECOND seconds apart. */
  private async takeSlot(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.config.sms.maxPerSecond;
    if (slot > now) await sleep(slot - now, undefined, { signal });
  }

  /**
   * The lane's next two texts that may be sent now: not settled, not held by quiet hours, not under another
   * attempt's live lease. Walks the audience in order from afterSeq, one ledger lookup per position.
   */
  private async due({ campaignId, afterSeq, throughSeq, stripe, stripes }: CampaignSmsRequest): Promise<Array<{ id: string; seq: number }>> {
    return this.em.execute<Array<{ id: string; seq: number }>>(
      `select d.id, r.seq from campaign_recipient r
         join delivery d on d.subject_type = 'campaign' and d.subject_id = r.campaign_id and d.recipient_id = r.user_id and d.channel = 'sms' and d.kind = 'campaign'
        where r.campaign_id = ? and r.seq > ? and r.seq <= ? and r.seq % ? = ? and r.status = 'included'
          and (d.status = 'pending' or (d.status = 'sending' and d.lease_until <= now()))
          and (d.not_before is null or d.not_before <= now())
        order by r.seq limit 2`,
      [campaignId, afterSeq, throughSeq, stripes, stripe],
    );
  }

  private async inFlightElsewhere({ campaignId, afterSeq, throughSeq, stripe, stripes }: CampaignSmsRequest): Promise<boolean> {
    const [row] = await this.em.execute<Array<{ found: boolean }>>(
      `select exists (select 1 from campaign_recipient r
         join delivery d on d.subject_type = 'campaign' and d.subject_id = r.campaign_id and d.recipient_id = r.user_id and d.channel = 'sms' and d.kind = 'campaign'
        where r.campaign_id = ? and r.seq > ? and r.seq <= ? and r.seq % ? = ? and r.status = 'included'
          and d.status = 'sending' and d.lease_until > now()) as found`,
      [campaignId, afterSeq, throughSeq, stripes, stripe],
    );
    return row.found;
  }

  private async stopped(campaignId: string): Promise<boolean> {
    const [row] = await this.em.execute<Array<{ status: string }>>(`select status from campaign where id = ?`, [campaignId]);
    return !row || row.status === 'paused' || row.status === 'cancelled';
  }
}
