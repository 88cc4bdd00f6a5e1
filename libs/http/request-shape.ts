import { HttpStatus } from '@nestjs/common';
import { fieldError } from './api-error.filter.js';

/** Deeper than any body of this API nests (settings go three levels down): deeper is not a request, it is a probe. */
export const MAX_BODY_DEPTH = 16;

/** The first problem with a parsed body or query, as the field it is in and why; null when there is none. */
export function shapeProblem(value: unknown, root: string): { field: string; message: string } | null {
  // Iterative: a body nested thousands deep must not take the stack with it.
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    if (typeof current === 'string') {
      // PostgreSQL refuses NUL in text: caught here, it is the caller's 400, not the database's 500.
      if (current.includes('\u0000')) return { field: path || root, message: 'must not contain NUL characters' };
      continue;
    }
    // A raw body (the SendGrid events route's Buffer) is bytes, not fields.
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current)) continue;
    if (depth >= MAX_BODY_DEPTH) return { field: path || root, message: `is nested more than ${MAX_BODY_DEPTH} levels deep` };
    const entries = Array.isArray(current)
      ? current.map((item, index) => [`[${index}]`, item] as const)
      : Object.entries(current).map(([key, item]) => [key, item] as const);
    for (const [key, item] of entries) {
      if (key.includes('\u0000')) return { field: path || root, message: 'must not have NUL characters in its keys' };
      pending.push({ value: item, path: key.startsWith('[') ? `${path || root}${key}` : path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Refuses, before any route sees them, bodies and query strings no validator expects: NUL characters anywhere, and
 * nesting past MAX_BODY_DEPTH. A 400 naming the field.
 */
export function requestShapeMiddleware() {
  return (request: { body?: unknown; query?: unknown }, _response: unknown, next: (error?: unknown) => void): void => {
    const problem = shapeProblem(request.body, 'body') ?? shapeProblem(request.query, 'query');
    next(problem ? fieldError(problem.field, problem.message, HttpStatus.BAD_REQUEST) : undefined);
  };
}
