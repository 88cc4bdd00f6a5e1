import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateClientAccountDto, GrantClientAccountAccessDto } from './client-account.dto.js';
import { ClientAccountsService } from './client-accounts.service.js';

@ApiTags('client accounts')
@ApiBearerAuth()
@Controller('v1/client-accounts')
export class ClientAccountsController {
  constructor(private readonly clientAccounts: ClientAccountsService) {}

  /** Admins see every account with who has access; everyone else sees the accounts they were granted. */
  @Get()
  list(@CurrentUser() caller: AuthUser) {
    return this.clientAccounts.list(caller);
  }

  /** Who has access to the account: the people a message about it can go to (New message, client account first). */
  @Roles('admin', 'staff')
  @Get(':id/users')
  users(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.clientAccounts.addressableUsers(caller, id);
  }

  @Roles('admin')
  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateClientAccountDto) {
    return this.clientAccounts.create(caller, body);
  }

  @Roles('admin')
  @Post(':id/access')
  @HttpCode(200)
  grant(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: GrantClientAccountAccessDto) {
    return this.clientAccounts.grant(caller, id, body);
  }

  @Roles('admin')
  @Delete(':id/access/:userId')
  @HttpCode(204)
  async revoke(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Param('userId', uuidParam('userId')) userId: string) {
    await this.clientAccounts.revoke(caller, id, userId);
  }
}
