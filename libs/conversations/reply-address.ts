import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

// Lower-case base32: mail systems may fold the case of a local part, and the whole address must stay
// within the 64 characters RFC 5321 allows a local part.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const SIGNATURE_BYTES = 12;
const TOKEN_LENGTH = Math.ceil(((16 + SIGNATURE_BYTES) * 8) / 5);

/**
 * The reply-to address of a convenience-mode notification: `reply+<token>@<reply domain>`, one per
 * conversation and recipient. The token carries the conversation id and an HMAC over the conversation
 * and the recipient, so only mail from that recipient, about that conversation, verifies.
 */
@Injectable()
export class ReplyAddresses {
  private readonly domain: string;
  private readonly secret: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.domain = config.email.replyDomain;
    this.secret = config.email.replySecret;
  }

  addressFor(conversationId: string, userId: string): string {
    return `reply+${encodeBase32(Buffer.concat([uuidBytes(conversationId), this.sign(conversationId, userId)]))}@${this.domain}`;
  }

  /** The conversation and token of the first of `addresses` that is one of our reply addresses. */
  find(addresses: string[]): { address: string; conversationId: string; token: string } | null {
    const pattern = new RegExp(`^reply\\+([a-z2-7]{${TOKEN_LENGTH}})@${this.domain.replace(/\./g, '\\.')}$`);
    for (const address of addresses) {
      const match = pattern.exec(address.toLowerCase());
      const bytes = match ? canonicalBytes(match[1]) : null;
      if (!match || !bytes) continue;
      return { address: address.toLowerCase(), conversationId: uuidFromBytes(bytes.subarray(0, 16)), token: match[1] };
    }
    return null;
  }

  /** Whether the token was issued to this user for this conversation. */
  verify(token: string, conversationId: string, userId: string): boolean {
    const bytes = canonicalBytes(token);
    if (!bytes) return false;
    const given = bytes.subarray(16, 16 + SIGNATURE_BYTES);
    return uuidFromBytes(bytes.subarray(0, 16)) === conversationId && timingSafeEqual(given, this.sign(conversationId, userId));
  }

  /**
   * RFC 5322 Message-ID of one notification to one recipient, unique per `key`. Hashed: mail headers
   * travel outside the platform, and the ids inside the key (e.g. who read a message) are nobody's business.
   */
  messageIdFor(key: string, userId: string): string {
    return `<${createHash('sha256').update(`${key}:${userId}`).digest('base64url').slice(0, 32)}@${this.domain}>`;
  }

  /** The thread root every notification of a conversation refers to, so mail clients group them. */
  threadIdFor(conversationId: string): string {
    return `<conversation.${conversationId}@${this.domain}>`;
  }

  private sign(conversationId: string, userId: string): Buffer {
    return createHmac('sha256', this.secret).update(`tidings-reply-v1:${conversationId}:${userId}`).digest().subarray(0, SIGNATURE_BYTES);
  }
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function uuidFromBytes(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A token's bytes, only if it is exactly how we would have written them (no spare bits changed). */
function canonicalBytes(token: string): Buffer | null {
  const bytes = decodeBase32(token);
  if (!bytes || bytes.length !== 16 + SIGNATURE_BYTES || encodeBase32(bytes) !== token) return null;
  return bytes;
}

function encodeBase32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function decodeBase32(text: string): Buffer | null {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) return null;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
