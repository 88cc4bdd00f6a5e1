import type { IncomingMessage, ServerResponse } from 'node:http';
import { TidingsMetrics, UNMATCHED_ROUTE } from './tidings-metrics.js';

/** What Express adds to a request once a route has matched it. */
type RoutedRequest = IncomingMessage & { route?: { path?: unknown } };

/**
 * Times every request, labelled with the route pattern Express matched (`/v1/messages/:id`). Registered
 * before any route, it also sees requests that a guard, a pipe or the body parser turned away.
 */
export function httpMetricsMiddleware(metrics: TidingsMetrics) {
  return (request: RoutedRequest, response: ServerResponse, next: () => void): void => {
    const done = metrics.startHttpRequest();
    // `close` follows `finish`, and also comes when the client gives up before the answer is sent.
    response.once('close', () => {
      done({ method: request.method ?? 'UNKNOWN', route: routePattern(request), status: response.statusCode });
    });
    next();
  };
}

/**
 * Only the pattern: the request's path or base URL would carry the ids themselves. A wildcard is not one of
 * our routes but a catch-all middleware's (MikroORM's request context, `/{*all}`), left behind when no route matched.
 */
function routePattern(request: RoutedRequest): string {
  const path = request.route?.path;
  return typeof path === 'string' && path !== '' && !path.includes('*') ? path : UNMATCHED_ROUTE;
}
