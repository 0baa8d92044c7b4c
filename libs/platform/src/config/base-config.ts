import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { hashTagOf } from '../redis-connection';

/**
 * The variables every app shares (SPEC §2). Each app's config extends this with its port
 * and worker settings. Property names are the variable names so errors name them exactly.
 */
export const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
export const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

export class BaseConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/hookgate';

  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Redis Cluster nodes (`host:port`, comma-separated): every Redis client becomes an
   * ioredis Cluster over them; REDIS_URL then only gives credentials and TLS.
   */
  @IsOptional()
  @Matches(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, {
    message: 'must be host:port, comma-separated (127.0.0.1:7001,127.0.0.1:7002)',
  })
  REDIS_CLUSTER_NODES?: string;

  @Matches(/^[A-Za-z0-9_{}.-]+$/, {
    message: 'may hold letters, digits, _ . - and {} (for a hash tag)',
  })
  @ValidateBy({
    name: 'hashTagOnCluster',
    validator: {
      // On a cluster, every key of a queue must hash to one slot (BullMQ's scripts).
      validate: (value: unknown, args) =>
        !(args?.object as BaseConfig).REDIS_CLUSTER_NODES ||
        (typeof value === 'string' && hashTagOf(value) !== undefined),
      defaultMessage: () =>
        'must hold a hash tag, such as {hookgate}, when REDIS_CLUSTER_NODES is set',
    },
  })
  QUEUE_PREFIX = 'hookgate';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_API_KEY?: string;

  /**
   * Required in production, refused here with the other variables: before any app
   * creates or migrates its database, and with a message rather than a stack trace.
   */
  @ValidateIf(
    (config: BaseConfig, value) => value !== undefined || config.NODE_ENV === 'production',
  )
  @IsDefined({ message: 'is required when NODE_ENV=production' })
  @Matches(/^[A-Za-z0-9+/]{43}=$/, {
    message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  })
  SECRETS_KEY?: string;

  /** Old keys, comma-separated, still accepted for decryption while re-encrypting. */
  @IsOptional()
  @Matches(/^([A-Za-z0-9+/]{43}=)(,[A-Za-z0-9+/]{43}=)*$/, {
    message: 'must be base64 32-byte keys, comma-separated',
  })
  SECRETS_KEY_PREVIOUS?: string;

  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  OUTBOUND_ALLOW_PRIVATE_NETWORKS = false;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /**
   * Hot statements are prepared by name on each connection (protocol-level prepared
   * statements). Turn off behind a pooler that does not track them, such as PgBouncer
   * before 1.21 or with `max_prepared_statements = 0` in transaction mode.
   */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  DB_PREPARED_STATEMENTS = true;

  @IsString()
  HOST = '0.0.0.0';

  /**
   * Create and migrate the database at boot (under an advisory lock). false: a deploy runs
   * the one-shot migrate command first, and an app refuses to start on an older schema.
   */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  MIGRATE_ON_BOOT = true;

  /**
   * Decoded bytes of one file part of a `deliver` request, and of all of them together
   * (docs/outbound.md "Files"). Checked by the admin API (400) and the dispatcher's intake
   * (refused `too_large`); the admin's body limit on `POST /deliveries` follows the total.
   * Bounded so a job stays a reasonable Redis value and a delivery's files a reasonable
   * row set: at most 16 MiB per file, 32 MiB together.
   */
  @IsPositiveInt(16 * 1_048_576)
  DELIVER_FILE_MAX_BYTES = 1_048_576;

  @IsPositiveInt(32 * 1_048_576)
  DELIVER_FILES_MAX_TOTAL_BYTES = 5 * 1_048_576;
}

/** A TCP port variable: a whole number from 1 to 65535. */
export function IsPort(): PropertyDecorator {
  return (target, key) => {
    Transform(toInt)(target, key);
    IsInt({ message: 'must be a port number' })(target, key as string);
    Min(1)(target, key as string);
    Max(65535)(target, key as string);
  };
}

/** A positive whole-number variable. */
export function IsPositiveInt(max = Number.MAX_SAFE_INTEGER): PropertyDecorator {
  return (target, key) => {
    Transform(toInt)(target, key);
    IsInt({ message: 'must be a whole number' })(target, key as string);
    Min(1)(target, key as string);
    Max(max)(target, key as string);
  };
}
