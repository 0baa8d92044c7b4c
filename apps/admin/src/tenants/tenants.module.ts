import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { TenantController, TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

/** Tenants: the admin tenant's list, and each tenant's own view. */
@Module({
  imports: [ApiKeysModule],
  controllers: [TenantsController, TenantController],
  providers: [TenantsService],
})
export class TenantsModule {}
