import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

export interface FieldProblem {
  field: string;
  message: string;
}

/** The one error shape every endpoint answers with: `{ statusCode, error, message, details? }`. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: FieldProblem[];
  /** On a 409 that lost a race: the thing as it now is (e.g. a chat request closed meanwhile). */
  current?: unknown;
}

/** A 400 (or other 4xx) that names the offending field. */
export function fieldError(field: string, message: string, status = HttpStatus.BAD_REQUEST): HttpException {
  return new HttpException({ statusCode: status, error: STATUS_CODES[status], message: `${field}: ${message}`, details: [{ field, message }] }, status);
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) {
      // The stack names code, not content; request bodies are never logged.
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    // Express's body parser fails with a `type` (malformed JSON, a body too large); Nest wraps it as the cause.
    const bodyParserError = (exception instanceof HttpException ? exception.cause : exception) as { type?: string; status?: number } | undefined;
    if (bodyParserError && typeof bodyParserError.type === 'string' && (bodyParserError.status ?? 0) >= 400) {
      const status = bodyParserError.status!;
      const message =
        bodyParserError.type === 'entity.parse.failed'
          ? 'request body is not valid JSON'
          : bodyParserError.type === 'entity.too.large'
            ? 'request body is too large'
            : 'request body could not be read';
      return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: `body: ${message}`, details: [{ field: 'body', message }] };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null) {
        const r = response as Partial<ApiErrorBody> & { message?: string | string[] };
        const message = Array.isArray(r.message) ? r.message.join('; ') : (r.message ?? exception.message);
        return {
          statusCode: status,
          error: r.error ?? STATUS_CODES[status] ?? 'Error',
          message,
          ...(r.details ? { details: r.details } : {}),
          ...(r.current !== undefined ? { current: r.current } : {}),
        };
      }
      return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: String(response) };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'an unexpected error occurred' };
  }
}
