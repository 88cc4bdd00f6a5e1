import { Global, Module } from '@nestjs/common';
import { TidingsMetrics } from './tidings-metrics.js';

/** One TidingsMetrics per application, injectable anywhere in it. */
@Global()
@Module({ providers: [TidingsMetrics], exports: [TidingsMetrics] })
export class MetricsModule {}
