import { CallHandler, ExecutionContext, HttpException, HttpStatus, Injectable, NestInterceptor, UnsupportedMediaTypeException } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Readable, Writable } from 'node:stream';
import type { Observable } from 'rxjs';
import { AttachmentStorage } from '../attachments/attachment-storage.js';
import { MAX_ATTACHMENT_BYTES } from '../attachments/attachment-upload.interceptor.js';
import { fieldError } from '../http/api-error.filter.js';

/** At most this many files of one email become attachments; SendGrid posts them as attachment1…N. */
export const MAX_INBOUND_ATTACHMENTS = 10;
/**
 * The text fields of one post together (headers, from, to, text, html, …): far more than a real reply
 * needs (its body is kept only up to 256 KB of HTML), and what the API holds in memory for one post.
 */
export const MAX_INBOUND_FIELD_BYTES = 1024 * 1024;
/** SendGrid posts about 17 text fields (the "raw" option off). */
export const MAX_INBOUND_FIELDS = 30;

/** multer's error for the fields' total; multer hands it back as it is (see `streamHandler`). */
const LIMIT_FIELDS_TOTAL = 'TIDINGS_LIMIT_FIELDS_TOTAL';
const MB = (bytes: number) => `${bytes / 1024 / 1024} MB`;

/**
 * Reads SendGrid's multipart post once InboundEmailAuthGuard has let it through, streaming any attached
 * files into the attachments' incoming directory (hashed and inspected on the way, as uploads are) instead
 * of holding them in memory. Text fields are held, so they are capped: each and all together at
 * MAX_INBOUND_FIELD_BYTES. Over a limit the post is 413 naming the field, and multer removes every file it
 * had stored for it.
 */
@Injectable()
export class InboundEmailUploadInterceptor implements NestInterceptor {
  private readonly multer: NestInterceptor;

  constructor(storage: AttachmentStorage) {
    const options: NonNullable<Parameters<typeof AnyFilesInterceptor>[0]> & { streamHandler: (request: Readable, busboy: Writable) => void } = {
      storage: storage.incomingEngine,
      defParamCharset: 'utf8',
      limits: {
        fileSize: MAX_ATTACHMENT_BYTES,
        files: MAX_INBOUND_ATTACHMENTS,
        fieldSize: MAX_INBOUND_FIELD_BYTES,
        fields: MAX_INBOUND_FIELDS,
        parts: MAX_INBOUND_FIELDS + MAX_INBOUND_ATTACHMENTS,
        fieldNameSize: 100,
      },
      // multer (>= 2.5) lets us feed busboy ourselves: the total of the fields is counted as busboy hands
      // each one over (after multer's own listener), and an error emitted on busboy makes multer stop
      // storing, remove what it stored, and fail the request with that error.
      streamHandler: (request, busboy) => {
        let total = 0;
        busboy.on('field', (name: string, value: string) => {
          total += Buffer.byteLength(value, 'utf8');
          if (total <= MAX_INBOUND_FIELD_BYTES) return;
          busboy.emit('error', Object.assign(new Error('the text fields are too large'), { code: LIMIT_FIELDS_TOTAL, field: name }));
        });
        request.pipe(busboy);
      },
    };
    const Multer = AnyFilesInterceptor(options);
    this.multer = new Multer();
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    try {
      return (await this.multer.intercept(context, next)) as Observable<unknown>;
    } catch (error) {
      throw toInboundError(error);
    }
  }
}

/** What went wrong reading the post, as the API's error shape: 413 over a limit, naming the field. */
function toInboundError(error: unknown): unknown {
  const cause = (error instanceof HttpException && error.cause ? error.cause : error) as { code?: unknown; field?: unknown; syscall?: unknown } | undefined;
  const field = typeof cause?.field === 'string' && cause.field ? cause.field : 'body';
  const tooLarge = (message: string) => fieldError(field, message, HttpStatus.PAYLOAD_TOO_LARGE);
  switch (cause?.code) {
    case LIMIT_FIELDS_TOTAL:
      return tooLarge(`the text fields together must be at most ${MB(MAX_INBOUND_FIELD_BYTES)}`);
    case 'LIMIT_FIELD_VALUE':
      return tooLarge(`must be at most ${MB(MAX_INBOUND_FIELD_BYTES)}`);
    case 'LIMIT_FILE_SIZE':
      return tooLarge(`must be at most ${MB(MAX_ATTACHMENT_BYTES)}`);
    case 'LIMIT_FILE_COUNT':
      return fieldError('body', `must carry at most ${MAX_INBOUND_ATTACHMENTS} files`, HttpStatus.PAYLOAD_TOO_LARGE);
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return fieldError('body', `must have at most ${MAX_INBOUND_FIELDS} text fields and ${MAX_INBOUND_ATTACHMENTS} files`, HttpStatus.PAYLOAD_TOO_LARGE);
  }
  if (error instanceof UnsupportedMediaTypeException) return fieldError('body', 'must be multipart/form-data', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
  // A failing disk is the server's fault and stays a 500; everything else is a body we could not read.
  if (error instanceof HttpException && error.getStatus() < 500 && !(cause && typeof cause.syscall === 'string')) {
    return fieldError('body', 'is not a well-formed multipart/form-data body');
  }
  return error;
}
