import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Public } from '../auth/auth-user.js';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { fieldError } from '../http/api-error.filter.js';
import { CreatePushSubscriptionDto } from './push-subscription.dto.js';
import { PushSubscriptionsService } from './push-subscriptions.service.js';

@ApiTags('push')
@ApiBearerAuth()
@Controller('v1')
export class PushSubscriptionsController {
  constructor(
    private readonly subscriptions: PushSubscriptionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The application server key a browser passes to pushManager.subscribe(). */
  @Public()
  @Get('push/vapid-public-key')
  vapidPublicKey() {
    return { publicKey: this.config.push.vapidPublicKey ?? null };
  }

  @Post('me/push-subscriptions')
  subscribe(@CurrentUser() caller: AuthUser, @Body() body: CreatePushSubscriptionDto) {
    return this.subscriptions.subscribe(caller, body);
  }

  @Delete('me/push-subscriptions')
  @HttpCode(204)
  unsubscribe(@CurrentUser() caller: AuthUser, @Query('endpoint') endpoint?: string) {
    if (!endpoint) throw fieldError('endpoint', 'is required');
    return this.subscriptions.unsubscribe(caller, endpoint);
  }
}
