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
  /** On a 5xx: the id the server's log line carries, for a user's report to be matched to it. */
  requestId?: string;
}

/** A 400 (or other 4xx) that names the offending field. */
export function fieldError(field: string, message: string, status = HttpStatus.BAD_REQUEST): HttpException {
  return new HttpException({ statusCode: status, error: STATUS_CODES[status], message: `${field}: ${message}`, details: [{ field, message }] }, status);
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<{ status(code: number): { json(body: unknown): void }; setHeader(name: string, value: string): void }>();
    const body = this.toBody(exception);
    // A 404 for a path id names it, when the route has just the one: what was not found is that id.
    if (body.statusCode === 404 && !body.details) {
      const params = Object.keys((http.getRequest<{ params?: Record<string, string> }>()?.params ?? {}) as Record<string, string>);
      if (params.length === 1) body.details = [{ field: params[0], message: body.message }];
    }
    const retryAfter = exception instanceof HttpException ? (exception.getResponse() as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    if (body.statusCode >= 500) {
      const requestId = requestIdOf(http.getRequest());
      this.logger.error(describeForLog(exception, requestId));
      if (requestId) body.requestId = requestId;
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

const requestIdOf = (request: unknown): string | undefined => (request as { id?: unknown } | undefined)?.id as string | undefined;

/**
 * What a server error may leave in the log: the request id, the error's class, and for a database error its
 * SQLSTATE, constraint and table, then the stack frames. Never the message: a driver's message carries the SQL
 * with its parameters, and PostgreSQL's `detail` the row's values ("Key (email)=(alice@example.org) already exists").
 */
export function describeForLog(exception: unknown, requestId: string | undefined): string {
  const error = exception instanceof Error ? exception : undefined;
  const database = (error as { code?: unknown; constraint?: unknown; table?: unknown } | undefined) ?? {};
  const facts = [
    `request ${requestId ?? '-'}`,
    error?.name ?? typeof exception,
    ...(typeof database.code === 'string' ? [`code ${database.code}`] : []),
    ...(typeof database.constraint === 'string' ? [`constraint ${database.constraint}`] : []),
    ...(typeof database.table === 'string' ? [`table ${database.table}`] : []),
  ];
  const frames = (error?.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
  return `${facts.join(' ')}${frames ? `\n${frames}` : ''}`;
}
