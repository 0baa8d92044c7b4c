import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';
import { BaseConfig, IsPort, IsPositiveInt, toBool, toInt } from '@app/platform';

/** The inbound gateway's configuration: SPEC §2 plus receiver and worker tuning. */
export class InboundGatewayConfig extends BaseConfig {
  @IsPort()
  INBOUND_PORT = 3000;

  /**
   * `/metrics` is served here, never on the public webhook port: it names every endpoint
   * and how each answers. 0 takes any free port (tests).
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a port number (0: any free port)' })
  @Min(0)
  @Max(65535)
  INBOUND_METRICS_PORT = 9464;

  /** Interface of the metrics listener: loopback unless the scraper is on another host. */
  @IsString()
  INBOUND_METRICS_HOST = '127.0.0.1';

  /** Concurrent jobs per inbound worker process. */
  @IsPositiveInt(1000)
  INBOUND_WORKER_CONCURRENCY = 64;

  /** How often the reconciler looks for received events whose job is missing. */
  @IsPositiveInt(3600)
  RECONCILE_INTERVAL_SECONDS = 30;

  /** A `processing` event whose worker has not finished within this is handed out again. */
  @IsPositiveInt(86400)
  PROCESSING_LEASE_SECONDS = 300;

  /** How long a looked-up endpoint configuration is reused before it is read again. */
  @IsPositiveInt(600_000)
  ENDPOINT_CACHE_TTL_MS = 5000;

  /**
   * At most this many endpoint configurations cached, and apart from them at most this many
   * unknown paths remembered as unknown (least recently used evicted first).
   */
  @IsPositiveInt(10_000_000)
  ENDPOINT_CACHE_MAX_ENTRIES = 10_000;

  /**
   * A client must send its request headers within this, and the whole request (body
   * included) within `INBOUND_REQUEST_TIMEOUT_MS`, or the connection is answered 408 and
   * closed: slow senders (slow loris) cannot hold connections for Node's default 5 min.
   */
  @IsPositiveInt(600_000)
  INBOUND_HEADERS_TIMEOUT_MS = 10_000;

  @IsPositiveInt(3_600_000)
  INBOUND_REQUEST_TIMEOUT_MS = 30_000;

  /**
   * Rejected requests (bad signature, stale, unreadable) stored per endpoint and minute,
   * across all gateway replicas: at most this many rows (a ceiling on each endpoint's own
   * `rejectedPerMinute`) and at most REJECTED_BYTES_PER_MINUTE bytes (stored body prefix,
   * headers, URL and query). The budget lives in Redis; while Redis is unavailable each
   * process stores at most REJECTED_LOCAL_BYTES_PER_MINUTE per endpoint.
   */
  @IsPositiveInt(1_000_000)
  REJECTED_EVENTS_PER_MINUTE = 60;

  @IsPositiveInt(1_073_741_824)
  REJECTED_BYTES_PER_MINUTE = 262_144;

  @IsPositiveInt(1_073_741_824)
  REJECTED_LOCAL_BYTES_PER_MINUTE = 32_768;

  /** A rejected request's body is stored up to this many bytes, with its size and SHA-256. */
  @IsPositiveInt(1_048_576)
  REJECTED_BODY_PREFIX_BYTES = 4096;

  /**
   * Run the group commit (inserts of received events and their enqueue) on a thread of
   * its own, with its own pool of 5 Postgres connections, so the main thread only answers
   * HTTP. Off: the inserts share the main thread and DB_POOL_SIZE's pool.
   */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  INBOUND_WRITER_THREAD = true;
}
