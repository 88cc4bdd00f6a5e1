import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Query,
  UnauthorizedException,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { ApiConsumes, ApiTags } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/auth-user.js';
import type { IncomingUpload } from '../attachments/attachment-storage.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InboundEmailUploadInterceptor } from './inbound-email-upload.interceptor.js';
import { InboundEmailService, type InboundParsePost } from './inbound-email.service.js';

/**
 * SendGrid Inbound Parse posts every email sent to a reply address here. Configure its URL with the shared
 * secret as the basic-auth password (`https://sendgrid:<secret>@api.example.org/v1/webhooks/email/inbound`)
 * or as `?secret=`. Refused mail answers 200 too, so SendGrid does not retry it; only a wrong secret is 401.
 */
@ApiTags('webhooks')
@Controller('v1/webhooks/email')
export class InboundEmailController {
  constructor(
    private readonly inbound: InboundEmailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('inbound')
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(InboundEmailUploadInterceptor)
  async receive(
    @Headers('authorization') authorization: string | undefined,
    @Query('secret') querySecret: string | undefined,
    @Body() body: InboundParsePost,
    @UploadedFiles() files: IncomingUpload[] | undefined,
  ) {
    try {
      const expected = this.config.email.inboundSecret;
      if (!expected) throw new NotFoundException('inbound email is not configured');
      if (!matches(basicAuthPassword(authorization) ?? querySecret, expected)) throw new UnauthorizedException('the inbound email secret is missing or wrong');
      return await this.inbound.receive(body ?? {}, files ?? []);
    } finally {
      await this.inbound.discardUnused(files ?? []);
    }
  }
}

function basicAuthPassword(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

function matches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
