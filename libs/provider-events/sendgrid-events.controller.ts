import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { ProviderEventsService, type RecordedEvents } from './provider-events.service.js';
import { SendgridSignatureGuard } from './sendgrid-signature.guard.js';

/**
 * SendGrid's Event Webhook (Mail Settings → Event Webhook, with Signed Event Webhook on): post URL
 * `https://api.example.org/v1/webhooks/sendgrid/events`. Every post is a signed batch of events; ours
 * carry the `delivery_id` we sent as a custom arg. Answers 200 for any signed batch, even one with nothing
 * to record, so SendGrid does not retry it.
 */
@ApiTags('webhooks')
@Controller('v1/webhooks/sendgrid')
export class SendgridEventsController {
  constructor(private readonly events: ProviderEventsService) {}

  @Public()
  @Post('events')
  @HttpCode(200)
  @UseGuards(SendgridSignatureGuard)
  @ApiHeader({ name: 'X-Twilio-Email-Event-Webhook-Signature', required: true, description: 'base64 ECDSA signature of timestamp + body' })
  @ApiHeader({ name: 'X-Twilio-Email-Event-Webhook-Timestamp', required: true, description: 'unix seconds; refused when more than 10 minutes off' })
  @ApiBody({ description: 'a JSON array of SendGrid events', schema: { type: 'array', items: { type: 'object' } } })
  @ApiOkResponse({ schema: { type: 'object', properties: { received: { type: 'integer' }, recorded: { type: 'integer' } } } })
  async receive(@Req() request: { body?: unknown }): Promise<RecordedEvents> {
    // The raw bytes the guard verified (apps/api/api.ts keeps this route's body as a Buffer); parsed only now.
    const raw = request.body;
    let events: unknown;
    try {
      events = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : '');
    } catch {
      throw fieldError('body', 'is not valid JSON');
    }
    return this.events.recordSendgridEvents(events);
  }
}
