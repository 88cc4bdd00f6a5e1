import { fieldError } from '../http/api-error.filter.js';
import { MAX_RICH_TEXT_BYTES, sanitizeRichText, TooMuchMarkupError } from './rich-text.js';

/**
 * A body from the API, sanitized with the allowlist: over `maxBytes` is a 413, too much markup
 * (TooMuchMarkupError) or nothing left once sanitized a 422, each naming `body`. Call it only once the caller
 * may post where the body goes: sanitizing is the costly part of a post.
 */
export function sanitizedBody(body: string, maxBytes: number = MAX_RICH_TEXT_BYTES): { html: string; text: string } {
  if (Buffer.byteLength(body, 'utf8') > maxBytes) throw fieldError('body', `must be at most ${maxBytes} bytes`, 413);
  let sanitized: { html: string; text: string };
  try {
    sanitized = sanitizeRichText(body, { tooMuchMarkup: 'refuse' });
  } catch (error) {
    if (error instanceof TooMuchMarkupError) throw fieldError('body', error.message, 422);
    throw error;
  }
  if (!sanitized.text.trim()) throw fieldError('body', 'must contain some text once unsafe markup is removed', 422);
  return sanitized;
}
