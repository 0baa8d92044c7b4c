import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { RedisClient } from '../redis-connection';
import { DATABASE_PING, REDIS_CLIENT, type DatabasePing } from '../tokens';

/**
 * Liveness (`/health`: the process answers) and readiness (`/health/ready`: Postgres and
 * Redis both answer within a second; 503 with the failing dependency otherwise).
 */
const CHECK_TIMEOUT_MS = 1000;

async function withTimeout<T>(work: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const DEPENDENCY_CHECK = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    error: { type: 'string', example: 'postgres did not answer within 1000 ms' },
  },
};
const CHECKS_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: {
      type: 'object',
      properties: {
        postgres: DEPENDENCY_CHECK,
        redis: DEPENDENCY_CHECK,
      },
    },
  },
};

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE_PING) private readonly database: DatabasePing,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness',
    description: 'The process answers. No key needed.',
  })
  @ApiOkResponse({
    description: 'alive',
    schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness',
    description: 'Postgres and Redis both answer within a second. No key needed.',
  })
  @ApiOkResponse({
    description: 'ready',
    schema: {
      ...CHECKS_SCHEMA,
      example: { status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'a dependency is down',
    schema: {
      ...CHECKS_SCHEMA,
      example: {
        status: 'unavailable',
        checks: {
          postgres: { status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:5432' },
          redis: { status: 'up' },
        },
      },
    },
  })
  async ready(@Res() res: Response): Promise<void> {
    const [postgres, redis] = await Promise.all([
      this.check(() => this.database.ping(), 'postgres'),
      this.check(() => this.redis.ping(), 'redis'),
    ]);
    const ok = postgres.status === 'up' && redis.status === 'up';
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({
      status: ok ? 'ok' : 'unavailable',
      checks: { postgres, redis },
    });
  }

  private async check(
    run: () => Promise<unknown>,
    label: string,
  ): Promise<{ status: 'up' | 'down'; error?: string }> {
    try {
      await withTimeout(run(), label);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: error instanceof Error ? error.message : String(error) };
    }
  }
}
