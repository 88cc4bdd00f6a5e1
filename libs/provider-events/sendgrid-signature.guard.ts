import { CanActivate, ExecutionContext, Inject, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { checkSendgridSignature, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, sendgridPublicKey } from './sendgrid-signature.js';

/**
 * Lets a post through only if SendGrid signed it, recently, with the key configured in
 * SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY; checked over the raw body, before anything reads it. Anything
 * else is 401. Without a key the webhook is off: 404.
 */
@Injectable()
export class SendgridSignatureGuard implements CanActivate {
  private readonly logger = new Logger(SendgridSignatureGuard.name);
  private readonly publicKey: KeyObject | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Validated at start (libs/config), so this does not throw.
    this.publicKey = config.email.eventWebhookPublicKey ? sendgridPublicKey(config.email.eventWebhookPublicKey) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.publicKey) throw new NotFoundException('the SendGrid event webhook is not configured');
    const request = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders; body?: unknown }>();
    const check = checkSendgridSignature({
      publicKey: this.publicKey,
      signature: request.headers[SENDGRID_SIGNATURE_HEADER],
      timestamp: request.headers[SENDGRID_TIMESTAMP_HEADER],
      body: request.body,
    });
    if (!check.ok) {
      this.logger.warn(`SendGrid event post refused: ${check.reason}`);
      throw new UnauthorizedException(`SendGrid event webhook: ${check.reason}`);
    }
    return true;
  }
}
