import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateUserDto, ListUsersQuery, UpdateUserDto } from './user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Roles('admin')
  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateUserDto) {
    return this.users.create(caller.organizationId, body);
  }

  /** The organisation's people in alphabetical order, a page at a time (`{ items, nextCursor }`). */
  @Roles('admin', 'staff')
  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListUsersQuery) {
    return this.users.list(caller.organizationId, query);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.users.get(caller, id);
  }

  @Roles('admin')
  @Patch(':id')
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateUserDto) {
    return this.users.update(caller, id, body);
  }
}
