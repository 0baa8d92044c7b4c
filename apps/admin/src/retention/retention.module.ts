import { Module } from '@nestjs/common';
import { RetentionJob } from './retention.job';

/** Deletes what has outlived the configured retention. */
@Module({ providers: [RetentionJob] })
export class RetentionModule {}
