import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { MeController } from './me.controller';
import { RequestContextInterceptor } from './request-context';

/** API-key authentication (global: every controller is guarded), the principal for the audit log, `GET /me`. */
@Global()
@Module({
  controllers: [MeController],
  providers: [ApiKeyGuard, { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor }],
  exports: [ApiKeyGuard],
})
export class AuthModule {}
