import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../libs/config/app-config.js';
import { ApiErrorFilter } from '../../libs/http/api-error.filter.js';
import { requestIdMiddleware } from '../../libs/http/request-id.js';
import { requestShapeMiddleware } from '../../libs/http/request-shape.js';
import { createValidationPipe } from '../../libs/http/validation.js';
import { portalMiddleware } from '../../libs/portal/portal-assets.js';
import { httpMetricsMiddleware } from '../../libs/metrics/http-metrics.middleware.js';
import { TidingsMetrics } from '../../libs/metrics/tidings-metrics.js';
import { isSendgridEventsRequest, SENDGRID_EVENTS_BODY_LIMIT } from '../../libs/provider-events/sendgrid-signature.js';
import { CAMPAIGN_BODY_LIMIT, isCampaignCreateRequest } from '../../libs/campaigns/campaign-request.js';
import { ApiModule } from './app.module.js';

/**
 * helmet's defaults, spelled out where they matter: scripts (the portal's and its service worker's) only from this
 * origin (no inline scripts, no eval), so markup that slipped past both sanitizers still could not run; no framing
 * (clickjacking); no plugins. Styles may be inline (Swagger UI at /docs, and the editor's positioning) and images
 * data: or blob: URLs (Swagger UI; an attachment previewed before it is sent).
 */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  workerSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
};

export async function createApi(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    logger: ['log', 'warn', 'error'],
  });
  app.use(requestIdMiddleware());
  // The refresh token's cookie (/v1/auth/refresh and /logout).
  app.use(cookieParser());
  // Early, so a body too large or a request no route matches is timed too.
  app.use(httpMetricsMiddleware(app.get(TidingsMetrics)));
  // SendGrid signs its event posts over the exact bytes it sent: that route's body stays a Buffer for the
  // signature guard (and is parsed only once verified). Having read it, this parser leaves the JSON one nothing to do.
  app.useBodyParser('raw', { type: isSendgridEventsRequest, limit: SENDGRID_EVENTS_BODY_LIMIT });
  app.useBodyParser('json', { type: isCampaignCreateRequest, limit: CAMPAIGN_BODY_LIMIT });
  // 1 MB by default: a 256 KiB message body even in \u escapes; anything larger is a 413 naming `body`.
  app.useBodyParser('json', { limit: config.http.jsonBodyLimitBytes });
  // After the body parsers: what they parsed is checked before any route reads it.
  app.use(requestShapeMiddleware());
  app.useGlobalFilters(new ApiErrorFilter());
  app.useGlobalPipes(createValidationPipe());
  // Whose X-Forwarded-For names the client (login limits key on it): behind a real proxy, 'loopback' alone would
  // make every client the proxy, and one attacker's failed logins would lock everybody out.
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(helmet({ contentSecurityPolicy: { directives: CONTENT_SECURITY_POLICY } }));
  // Same-origin needs no CORS; other origins (a portal served elsewhere, Vite in development) only when listed.
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      credentials: true,
      exposedHeaders: ['Retry-After', 'X-Request-Id'],
      maxAge: 600,
    });
  }
  // The portal (dist/web), after helmet so its page carries the CSP; API paths pass through to the routes.
  app.use(...portalMiddleware());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tidings API')
      .setDescription('Durable, secure messaging: scheduled messages to users over message center, push, email and SMS.')
      .setVersion('1')
      .addBearerAuth()
      // The inbound email webhook: SendGrid presents INBOUND_EMAIL_SECRET as the basic-auth password.
      .addBasicAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
