import { Body, Controller, HttpCode, Ip, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../http/validation.js';
import { CurrentUser, Public, Roles, type AuthUser } from './auth-user.js';
import { AuthService, type TokenResponse } from './auth.service.js';
import { ChangePasswordDto, LoginDto, RefreshDto, ResetPasswordDto } from './login.dto.js';
import { Passwords } from './passwords.js';

/** The refresh token's cookie, for the portal: out of reach of scripts, sent only to the auth routes of this site. */
const REFRESH_COOKIE = 'tidings_refresh';
const REFRESH_COOKIE_PATH = '/v1/auth';

interface CookieResponse {
  cookie(name: string, value: string, options: Record<string, unknown>): void;
  clearCookie(name: string, options: Record<string, unknown>): void;
}
interface CookieRequest {
  cookies?: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
}

function setRefreshCookie(response: CookieResponse, tokens: TokenResponse): TokenResponse {
  response.cookie(REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    expires: new Date(tokens.refreshExpiresAt),
  });
  return tokens;
}

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwords: Passwords,
  ) {}

  /** A session: a 15-minute access token and a refresh token (in the body, and as an HttpOnly cookie for browsers). */
  @Public()
  @Post('v1/auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Ip() ip: string, @Res({ passthrough: true }) response: CookieResponse) {
    return setRefreshCookie(response, await this.auth.login(body.email, body.password, ip));
  }

  /** Rotates the refresh token: the one given stops working, and using it again ends the session. */
  @Public()
  @Post('v1/auth/refresh')
  @HttpCode(200)
  async refresh(@Body() body: RefreshDto, @Req() request: CookieRequest, @Res({ passthrough: true }) response: CookieResponse) {
    return setRefreshCookie(response, await this.auth.refresh(body.refreshToken ?? request.cookies?.[REFRESH_COOKIE] ?? ''));
  }

  /** Ends the session of the access token given, or else of the refresh token (body or cookie). */
  @Public()
  @Post('v1/auth/logout')
  @HttpCode(204)
  async logout(@Body() body: RefreshDto, @Req() request: CookieRequest, @Res({ passthrough: true }) response: CookieResponse) {
    const authorization = typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
    await this.auth.logout(authorization, body.refreshToken ?? request.cookies?.[REFRESH_COOKIE]);
    response.clearCookie(REFRESH_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: REFRESH_COOKIE_PATH });
  }

  @Public()
  @Post('v1/auth/reset-password')
  @HttpCode(204)
  async resetPassword(@Body() body: ResetPasswordDto, @Ip() ip: string) {
    await this.passwords.reset(body.token, body.newPassword, ip);
  }

  /** Changing one's password ends one's other sessions; this one goes on. */
  @ApiBearerAuth()
  @Post('v1/me/password')
  @HttpCode(204)
  async changePassword(@CurrentUser() caller: AuthUser, @Body() body: ChangePasswordDto) {
    await this.passwords.changeOwn(caller, body.currentPassword, body.newPassword);
  }

  @ApiBearerAuth()
  @Roles('admin')
  @Post('v1/users/:id/password-reset')
  @HttpCode(202)
  sendResetLink(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.passwords.sendResetLink(caller, id);
  }
}
