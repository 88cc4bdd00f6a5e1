import { Controller, Get, Header, Param, Post, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { attachmentDisposition } from './attachment-filename.js';
import type { IncomingUpload } from './attachment-storage.js';
import { AttachmentUploadInterceptor, MAX_ATTACHMENT_BYTES, UPLOAD_FIELD } from './attachment-upload.interceptor.js';
import { AttachmentsService } from './attachments.service.js';
import { RateLimited } from '../rate-limits/rate-limits.js';
import { ALLOWED_EXTENSIONS } from './content-sniffer.js';

@ApiTags('attachments')
@ApiBearerAuth()
@Controller('v1/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  // The guard runs before the interceptor reads the upload: a refused one is not read.
  @RateLimited('uploads')
  @UseInterceptors(AttachmentUploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    description: `one file of at most ${MAX_ATTACHMENT_BYTES} bytes, whose content and name are one of ${ALLOWED_EXTENSIONS.join(', ')}`,
    schema: { type: 'object', required: [UPLOAD_FIELD], properties: { [UPLOAD_FIELD]: { type: 'string', format: 'binary' } } },
  })
  upload(@CurrentUser() caller: AuthUser, @UploadedFile() upload: IncomingUpload | undefined) {
    return this.attachments.upload(caller, upload);
  }

  @Get(':id')
  // The stored type was sniffed, and nothing here should ever be rendered in the API's origin.
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Content-Security-Policy', "default-src 'none'; sandbox")
  @Header('Cache-Control', 'private, no-store')
  async download(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string): Promise<StreamableFile> {
    const { attachment, stream, size } = await this.attachments.openForDownload(caller, id);
    return new StreamableFile(stream, { type: attachment.contentType, length: size, disposition: attachmentDisposition(attachment.filename) });
  }
}
