import { CanActivate, ExecutionContext, Inject, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** What the 401 challenge names; SendGrid sends the credentials of its URL either way. */
const REALM = 'tidings-inbound-email';

/**
 * Lets a post to the inbound email webhook through only with INBOUND_EMAIL_SECRET as its HTTP basic-auth
 * password (any user name; SendGrid Inbound Parse sends the userinfo of its URL:
 * `https://sendgrid:<secret>@api.example.org/v1/webhooks/email/inbound`). A guard runs before any
 * interceptor, so it decides before multer reads a byte of the body: without a secret configured the
 * webhook is off (404); a missing or wrong password is 401. `?secret=` is not accepted (URLs end up in
 * proxy logs). The password is compared as SHA-256 digests, in constant time, so neither its bytes nor
 * its length show in the timing.
 */
@Injectable()
export class InboundEmailAuthGuard implements CanActivate {
  private readonly logger = new Logger(InboundEmailAuthGuard.name);
  private readonly expected: Buffer | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.email.inboundSecret === undefined ? undefined : digest(config.email.inboundSecret);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new NotFoundException('inbound email is not configured');
    const http = context.switchToHttp();
    const request = http.getRequest<{ headers: IncomingHttpHeaders; query?: Record<string, unknown> }>();
    const password = basicAuthPassword(request.headers.authorization);
    if (password !== undefined && timingSafeEqual(digest(password), this.expected)) return true;
    if (password === undefined && request.query?.secret !== undefined) {
      this.logger.warn('inbound email post refused: ?secret= is no longer accepted; give the secret as the basic-auth password of the webhook URL');
    }
    http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
    throw new UnauthorizedException('the inbound email secret is missing or wrong');
  }
}

/** The password of an `Authorization: Basic` header (RFC 7617: the scheme in any case), if there is one. */
export function basicAuthPassword(header: string | undefined): string | undefined {
  const match = /^basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
