import { Module } from '@nestjs/common';
import { CapabilitiesController } from './capabilities.controller';

/** What this build can do, as core describes it (read-only). */
@Module({ controllers: [CapabilitiesController] })
export class CapabilitiesModule {}
