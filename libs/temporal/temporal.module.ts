import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';

/** The Temporal client the API uses to start and signal workflows; it connects on first use. */
@Injectable()
export class TemporalClient extends Client implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Reconnect within seconds after a Temporal restart instead of gRPC's default backoff of up to two minutes.
    const connection = Connection.lazy({ address: config.temporal.address, channelArgs: { 'grpc.max_reconnect_backoff_ms': 3000 } });
    super({ connection, namespace: config.temporal.namespace });
    this.grpcConnection = connection;
    this.workflowTaskQueue = config.temporal.taskQueue;
  }

  /** The concrete connection, for health checks. */
  readonly grpcConnection: Connection;

  /** Where Tidings' workers poll; every workflow the API starts goes here. */
  readonly workflowTaskQueue: string;

  async onApplicationShutdown(): Promise<void> {
    await this.grpcConnection.close().catch(() => undefined);
  }
}

@Global()
@Module({ providers: [TemporalClient], exports: [TemporalClient] })
export class TemporalModule {}
