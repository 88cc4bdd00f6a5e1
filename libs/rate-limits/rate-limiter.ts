import { EntityManager } from '@mikro-orm/postgresql';
import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** How many hits a key may take in each fixed window. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Hits counted in this window so far, this one included. */
  hits: number;
  /** Seconds until the window ends and the count starts over. */
  retryAfterSeconds: number;
}

/** Expired windows are swept once in this many hits per instance: the table stays small without a job of its own. */
const SWEEP_EVERY_HITS = 1000;

/**
 * Fixed-window counters in PostgreSQL, shared by every API instance (PostgreSQL rather than Redis: the API already
 * depends on it and nothing else, and a limit needs one upsert per request). Each hit is one atomic upsert that
 * counts it and reads the count back, on the database's clock, so parallel requests on any number of instances take
 * distinct places in the count: exactly `limit` are allowed per window. A fixed window lets a client spend one
 * window's allowance at its end and the next at the start of the next: at most twice the limit in a short burst.
 */
@Injectable()
export class RateLimiter {
  private hitsSinceSweep = 0;

  constructor(private readonly em: EntityManager) {}

  async hit(key: string, { limit, windowSeconds }: RateLimit): Promise<RateLimitDecision> {
    if (++this.hitsSinceSweep >= SWEEP_EVERY_HITS) {
      this.hitsSinceSweep = 0;
      await this.em.execute('delete from rate_limit_window where expires_at < now()');
    }
    const [row] = await this.em.execute<Array<{ hits: number; retry_after: number }>>(
      `with window_bounds as (
         select to_timestamp(floor(extract(epoch from clock_timestamp()) / ?) * ?) as start
       )
       insert into rate_limit_window (key, window_start, hits, expires_at)
       select ?, start, 1, start + make_interval(secs => ?) from window_bounds
       on conflict (key, window_start) do update set hits = rate_limit_window.hits + 1
       returning hits, greatest(1, ceil(extract(epoch from expires_at - clock_timestamp())))::int as retry_after`,
      [windowSeconds, windowSeconds, key, windowSeconds],
    );
    return { allowed: row.hits <= limit, hits: row.hits, retryAfterSeconds: row.retry_after };
  }

  /** Takes a hit, and refuses with 429 (Retry-After) once over the limit; `field` names what was limited. */
  async take(key: string, rateLimit: RateLimit, field: string, what: string): Promise<void> {
    const decision = await this.hit(key, rateLimit);
    if (!decision.allowed) throw tooManyRequests(field, what, decision.retryAfterSeconds);
  }

  /** Gives back a hit of the current window (a login that succeeded counts no failure). */
  async giveBack(key: string): Promise<void> {
    await this.em.execute(
      `update rate_limit_window set hits = greatest(0, hits - 1)
        where key = ? and window_start = (select max(window_start) from rate_limit_window where key = ?)`,
      [key, key],
    );
  }

  /** Forgets every count of `key`. */
  async reset(key: string): Promise<void> {
    await this.em.execute('delete from rate_limit_window where key = ?', [key]);
  }
}

/** 429 in the API's error shape, naming what was limited; the filter turns `retryAfterSeconds` into Retry-After. */
export function tooManyRequests(field: string, what: string, retryAfterSeconds: number): HttpException {
  const message = `${what}; try again in ${retryAfterSeconds} s`;
  return new HttpException(
    { statusCode: 429, error: STATUS_CODES[429], message: `${field}: ${message}`, details: [{ field, message }], retryAfterSeconds },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
