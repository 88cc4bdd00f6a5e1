import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../auth/auth-user.js';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';

/** What the portal needs to know about this deployment, by who asks. */
@ApiTags('portal')
@ApiBearerAuth()
@Controller('v1/portal')
export class PortalController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * `temporalUi`: where staff open a message's workflow (`<url>/namespaces/<namespace>/workflows/<workflowId>`), when
   * TEMPORAL_UI_URL is set (development: the dev server's UI). Members get nothing of the engine.
   */
  @Get('settings')
  settings(@CurrentUser() caller: AuthUser) {
    const { uiUrl, namespace } = this.config.temporal;
    return { temporalUi: caller.role !== 'member' && uiUrl ? { url: uiUrl, namespace } : null };
  }
}
