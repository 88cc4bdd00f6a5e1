import { Global, Module } from '@nestjs/common';
import { WorkflowGateway } from './workflow-gateway.js';

/** The one gateway to Temporal, for every module of the process. */
@Global()
@Module({ providers: [WorkflowGateway], exports: [WorkflowGateway] })
export class TemporalModule {}
