import { Body, Controller, HttpCode, Post, UploadedFiles, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBasicAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth-user.js';
import type { IncomingUpload } from '../attachments/attachment-storage.js';
import { InboundEmailAuthGuard } from './inbound-email-auth.guard.js';
import { InboundEmailUploadInterceptor } from './inbound-email-upload.interceptor.js';
import { InboundEmailService, type InboundParsePost } from './inbound-email.service.js';

/**
 * SendGrid Inbound Parse posts every email sent to a reply address here. Configure its URL with the shared
 * secret as the basic-auth password (`https://sendgrid:<secret>@api.example.org/v1/webhooks/email/inbound`;
 * the user name is not checked). The guard checks it before anything reads the body (off: 404; a missing or
 * wrong password, or only `?secret=`: 401). Refused mail answers 200 too, so SendGrid does not retry it.
 */
@ApiTags('webhooks')
@Controller('v1/webhooks/email')
export class InboundEmailController {
  constructor(private readonly inbound: InboundEmailService) {}

  @Public()
  @Post('inbound')
  @HttpCode(200)
  @ApiBasicAuth()
  @ApiConsumes('multipart/form-data')
  @UseGuards(InboundEmailAuthGuard)
  @UseInterceptors(InboundEmailUploadInterceptor)
  async receive(@Body() body: Record<string, unknown> | undefined, @UploadedFiles() files: IncomingUpload[] | undefined) {
    try {
      return await this.inbound.receive(textFields(body), files ?? []);
    } finally {
      await this.inbound.discardUnused(files ?? []);
    }
  }
}

/** The post's text fields; a field sent twice (an array) or nested is not SendGrid's and is left out. */
function textFields(body: Record<string, unknown> | undefined): InboundParsePost {
  return Object.fromEntries(Object.entries(body ?? {}).filter(([, value]) => typeof value === 'string'));
}
