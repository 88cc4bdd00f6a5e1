import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../libs/config/app-config.js';
import { ApiErrorFilter } from '../../libs/http/api-error.filter.js';
import { createValidationPipe } from '../../libs/http/validation.js';
import { httpMetricsMiddleware } from '../../libs/metrics/http-metrics.middleware.js';
import { TidingsMetrics } from '../../libs/metrics/tidings-metrics.js';
import { isSendgridEventsRequest, SENDGRID_EVENTS_BODY_LIMIT } from '../../libs/provider-events/sendgrid-signature.js';
import { CAMPAIGN_BODY_LIMIT, isCampaignCreateRequest } from '../../libs/campaigns/campaign-request.js';
import { ApiModule } from './app.module.js';

/** Big enough for a 64 KB message body in JSON escapes; anything larger is a 413 naming the body. */
const JSON_BODY_LIMIT = '512kb';

export async function createApi(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    logger: ['log', 'warn', 'error'],
  });
  // First, so a body too large or a request no route matches is timed too.
  app.use(httpMetricsMiddleware(app.get(TidingsMetrics)));
  // SendGrid signs its event posts over the exact bytes it sent: that route's body stays a Buffer for the
  // signature guard (and is parsed only once verified). Having read it, this parser leaves the JSON one nothing to do.
  app.useBodyParser('raw', { type: isSendgridEventsRequest, limit: SENDGRID_EVENTS_BODY_LIMIT });
  app.useBodyParser('json', { type: isCampaignCreateRequest, limit: CAMPAIGN_BODY_LIMIT });
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.useGlobalFilters(new ApiErrorFilter());
  app.useGlobalPipes(createValidationPipe());
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
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
