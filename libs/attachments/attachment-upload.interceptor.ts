import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor, UnsupportedMediaTypeException } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';
import { fieldError } from '../http/api-error.filter.js';
import { AttachmentStorage } from './attachment-storage.js';

export const UPLOAD_FIELD = 'file';
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/**
 * Runs multer over the multipart body (into AttachmentStorage's incoming directory) and turns whatever
 * goes wrong while reading it into the API's error shape: a 413 or 400 naming the field, never a 500
 * unless the disk itself failed.
 */
@Injectable()
export class AttachmentUploadInterceptor implements NestInterceptor {
  private readonly multer: NestInterceptor;

  constructor(storage: AttachmentStorage) {
    const Multer = FileInterceptor(UPLOAD_FIELD, {
      storage: storage.incomingEngine,
      // Browsers send UTF-8 filenames unlabelled; busboy would otherwise read them as latin1.
      defParamCharset: 'utf8',
      limits: { fileSize: MAX_ATTACHMENT_BYTES, files: 1, fields: 20, parts: 21, fieldSize: 64 * 1024 },
    });
    this.multer = new Multer();
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    try {
      return (await this.multer.intercept(context, next)) as Observable<unknown>;
    } catch (error) {
      throw toUploadError(error);
    }
  }
}

function toUploadError(error: unknown): unknown {
  const cause = (error instanceof HttpException ? error.cause : error) as { code?: unknown; syscall?: unknown } | undefined;
  switch (cause?.code) {
    case 'LIMIT_FILE_SIZE':
      return fieldError(UPLOAD_FIELD, `must be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`, 413);
    case 'LIMIT_UNEXPECTED_FILE':
    case 'LIMIT_FILE_COUNT':
      return fieldError(UPLOAD_FIELD, `must be a single file sent in the form field "${UPLOAD_FIELD}"`);
  }
  if (error instanceof UnsupportedMediaTypeException) return fieldError('body', 'must be multipart/form-data', 415);
  // A failing disk is the server's fault and stays a 500; everything else is a body we could not read.
  if (cause && typeof cause.syscall === 'string') return error;
  return fieldError('body', 'is not a well-formed multipart/form-data body');
}
