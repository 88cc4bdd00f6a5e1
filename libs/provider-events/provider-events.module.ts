import { Module } from '@nestjs/common';
import { ProviderEventHooks } from './provider-event-hooks.js';
import { ProviderEventsService } from './provider-events.service.js';
import { SendgridEventsController } from './sendgrid-events.controller.js';
import { SendgridSignatureGuard } from './sendgrid-signature.guard.js';

/**
 * What providers report about sends after accepting them: SendGrid's signed Event Webhook, recorded in the
 * delivery ledger (`delivery_event`). Import it to register ProviderEventHooks listeners.
 */
@Module({
  controllers: [SendgridEventsController],
  providers: [ProviderEventsService, ProviderEventHooks, SendgridSignatureGuard],
  exports: [ProviderEventsService, ProviderEventHooks],
})
export class ProviderEventsModule {}
