import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';
import { AttachmentStorage } from '../attachments/attachment-storage.js';
import { MAX_ATTACHMENT_BYTES } from '../attachments/attachment-upload.interceptor.js';

/** At most this many files of one email become attachments; SendGrid posts them as attachment1…N. */
export const MAX_INBOUND_ATTACHMENTS = 10;

/**
 * Reads SendGrid's multipart post, streaming any attached files into the attachments' incoming directory
 * (hashed and inspected on the way, as uploads are) instead of holding them in memory.
 */
@Injectable()
export class InboundEmailUploadInterceptor implements NestInterceptor {
  private readonly multer: NestInterceptor;

  constructor(storage: AttachmentStorage) {
    const Multer = AnyFilesInterceptor({
      storage: storage.incomingEngine,
      defParamCharset: 'utf8',
      limits: { fileSize: MAX_ATTACHMENT_BYTES, files: MAX_INBOUND_ATTACHMENTS, fieldSize: 8 * 1024 * 1024, fields: 40 },
    });
    this.multer = new Multer();
  }

  intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    return this.multer.intercept(context, next) as Promise<Observable<unknown>>;
  }
}
