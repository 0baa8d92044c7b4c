import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema (SPEC §3–§8), written as SQL so the DDL is reviewable and owned
 * here rather than derived from entities. Migrations are frozen once released: change the
 * schema with a new migration, never by editing this one.
 *
 * Soft references (no foreign key) on purpose: `deliveries.source_event_id`,
 * `records.created_by_event/updated_by_event` (retention purges events) and
 * `delivery_attempts.endpoint_id` (a denormalised statistics column).
 */
export class InitialSchema1732400000000 implements MigrationInterface {
  name = 'InitialSchema1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // DDL on a busy database may wait on locks; the pool's statement timeout must not cut it.
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);

    await queryRunner.query(`
      CREATE TABLE tenants (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name           text NOT NULL,
        retention_days integer NOT NULL DEFAULT 30 CHECK (retention_days > 0),
        created_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenants_name_key UNIQUE (name)
      )`);

    await queryRunner.query(`
      CREATE TABLE api_keys (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id    uuid NOT NULL REFERENCES tenants (id),
        name         text NOT NULL,
        role         text NOT NULL CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'operator')),
        key_hash     text NOT NULL,
        key_prefix   text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz,
        CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id)`);

    await queryRunner.query(`
      CREATE TABLE handlers (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id      uuid NOT NULL REFERENCES tenants (id),
        code           text NOT NULL,
        name           text NOT NULL,
        direction      text NOT NULL CONSTRAINT handlers_direction_check CHECK (direction IN ('inbound', 'outbound')),
        execution_mode text NOT NULL CONSTRAINT handlers_execution_mode_check CHECK (execution_mode IN ('rules', 'callback')),
        callback       text,
        active         boolean NOT NULL DEFAULT true,
        max_retries    integer NOT NULL DEFAULT 5 CHECK (max_retries >= 0),
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT handlers_tenant_code_key UNIQUE (tenant_id, code),
        CONSTRAINT handlers_callback_required CHECK (execution_mode <> 'callback' OR callback IS NOT NULL)
      )`);

    await queryRunner.query(`
      CREATE TABLE handler_rules (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        handler_id    uuid NOT NULL REFERENCES handlers (id) ON DELETE CASCADE,
        sequence      integer NOT NULL,
        name          text NOT NULL DEFAULT '',
        conditions    jsonb NOT NULL DEFAULT '[]',
        action        text NOT NULL,
        retry_seconds integer CHECK (retry_seconds >= 0),
        target_model  text,
        lookups       jsonb NOT NULL DEFAULT '[]',
        assignments   jsonb NOT NULL DEFAULT '[]',
        forward_to    text
      )`);
    await queryRunner.query(
      `CREATE INDEX handler_rules_handler_sequence_idx ON handler_rules (handler_id, sequence)`,
    );

    await queryRunner.query(`
      CREATE TABLE connectors (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id        uuid NOT NULL REFERENCES tenants (id),
        kind             text NOT NULL,
        code             text NOT NULL,
        name             text NOT NULL,
        active           boolean NOT NULL DEFAULT true,
        base_url         text,
        credentials      text,
        settings         jsonb NOT NULL DEFAULT '{}',
        technical_prefix text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT connectors_tenant_code_key UNIQUE (tenant_id, code)
      )`);

    await queryRunner.query(`
      CREATE TABLE inbound_endpoints (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id           uuid NOT NULL REFERENCES tenants (id),
        name                text NOT NULL,
        path                text NOT NULL,
        handler_id          uuid NOT NULL REFERENCES handlers (id),
        active              boolean NOT NULL DEFAULT true,
        connector_id        uuid REFERENCES connectors (id),
        code_suffix         text,
        max_body_bytes      integer NOT NULL DEFAULT 1048576 CHECK (max_body_bytes > 0),
        signature           jsonb NOT NULL DEFAULT '{"mode":"none"}',
        identity            jsonb NOT NULL DEFAULT '{}',
        timestamp           jsonb,
        semantic_bindings   jsonb NOT NULL DEFAULT '[]',
        handshakes          jsonb NOT NULL DEFAULT '{}',
        secrets             jsonb NOT NULL DEFAULT '{}',
        rejected_per_minute integer NOT NULL DEFAULT 60 CHECK (rejected_per_minute >= 0),
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT inbound_endpoints_path_key UNIQUE (path)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX inbound_endpoints_connector_key ON inbound_endpoints (connector_id)
        WHERE connector_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_endpoints_tenant_idx ON inbound_endpoints (tenant_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_endpoints_handler_idx ON inbound_endpoints (handler_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE inbound_events (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id         uuid NOT NULL REFERENCES tenants (id),
        endpoint_id       uuid NOT NULL REFERENCES inbound_endpoints (id),
        endpoint_path     text NOT NULL,
        state             text NOT NULL DEFAULT 'received' CONSTRAINT inbound_events_state_check
                            CHECK (state IN ('received', 'processing', 'done', 'error', 'dead_letter', 'rejected')),
        method            text NOT NULL,
        url               text NOT NULL,
        headers           jsonb NOT NULL DEFAULT '{}',
        query             jsonb NOT NULL DEFAULT '{}',
        raw_body          bytea NOT NULL,
        content_type      text,
        payload           jsonb,
        semantic          jsonb NOT NULL DEFAULT '{}',
        delivery_identity text,
        replay_identity   text,
        duplicate_count   integer NOT NULL DEFAULT 0,
        last_duplicate_at timestamptz,
        reject_reason     text,
        matched_rule      text,
        execution_log     jsonb,
        error             text,
        error_stack       text,
        attempts          integer NOT NULL DEFAULT 0,
        due_at            timestamptz,
        lease_until       timestamptz,
        received_at       timestamptz NOT NULL DEFAULT now(),
        processed_at      timestamptz,
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    // Rejected events never occupy identity keys, so a later genuine request is accepted.
    await queryRunner.query(
      `CREATE UNIQUE INDEX inbound_events_delivery_identity_key ON inbound_events (endpoint_id, delivery_identity)
        WHERE state <> 'rejected' AND delivery_identity IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX inbound_events_replay_identity_key ON inbound_events (endpoint_id, replay_identity)
        WHERE state <> 'rejected' AND replay_identity IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_endpoint_state_idx ON inbound_events (endpoint_id, state, received_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_tenant_cursor_idx ON inbound_events (tenant_id, received_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_tenant_state_idx ON inbound_events (tenant_id, state, received_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_due_idx ON inbound_events (due_at) WHERE state = 'received'`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_lease_idx ON inbound_events (lease_until) WHERE state = 'processing'`,
    );

    await queryRunner.query(`
      CREATE TABLE outbound_endpoints (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id             uuid NOT NULL REFERENCES tenants (id),
        code                  text NOT NULL,
        name                  text NOT NULL,
        state                 text NOT NULL DEFAULT 'draft' CONSTRAINT outbound_endpoints_state_check
                                CHECK (state IN ('draft', 'active', 'archived')),
        method                text NOT NULL DEFAULT 'POST' CONSTRAINT outbound_endpoints_method_check
                                CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
        body_mode             text NOT NULL DEFAULT 'json' CONSTRAINT outbound_endpoints_body_mode_check
                                CHECK (body_mode IN ('json', 'form', 'multipart')),
        target_host           text NOT NULL DEFAULT '',
        target_path           text NOT NULL DEFAULT '',
        timeout_ms            integer NOT NULL DEFAULT 10000 CHECK (timeout_ms > 0),
        handler_id            uuid REFERENCES handlers (id),
        header_rules          jsonb NOT NULL DEFAULT '[]',
        payload_rules         jsonb NOT NULL DEFAULT '[]',
        replace_payload       boolean NOT NULL DEFAULT false,
        event_types           text[] NOT NULL DEFAULT '{}',
        signing               jsonb NOT NULL DEFAULT '{"type":"none"}',
        auth                  jsonb NOT NULL DEFAULT '{"type":"none"}',
        secrets               jsonb NOT NULL DEFAULT '{}',
        retry_policy          jsonb NOT NULL
                                DEFAULT '{"maxAttempts":10,"initialDelaySeconds":60,"multiplier":2,"maxDelaySeconds":86400}',
        rate_limit_per_second integer CHECK (rate_limit_per_second > 0),
        health                jsonb NOT NULL DEFAULT '{}',
        consecutive_failures  integer NOT NULL DEFAULT 0,
        failing_since         timestamptz,
        disabled_reason       text,
        disabled_at           timestamptz,
        connector_id          uuid REFERENCES connectors (id),
        code_suffix           text,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT outbound_endpoints_tenant_code_key UNIQUE (tenant_id, code)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX outbound_endpoints_connector_suffix_key ON outbound_endpoints (connector_id, code_suffix)
        WHERE connector_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX outbound_endpoints_event_types_idx ON outbound_endpoints USING gin (event_types)`,
    );
    await queryRunner.query(
      `CREATE INDEX outbound_endpoints_handler_idx ON outbound_endpoints (handler_id) WHERE handler_id IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE deliveries (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id       uuid NOT NULL REFERENCES tenants (id),
        endpoint_id     uuid REFERENCES outbound_endpoints (id) ON DELETE SET NULL,
        endpoint_code   text NOT NULL,
        event_type      text,
        state           text NOT NULL CONSTRAINT deliveries_state_check
                          CHECK (state IN ('draft', 'queued', 'processing', 'done', 'error', 'dead_letter', 'canceled')),
        payload         jsonb,
        context         jsonb NOT NULL DEFAULT '{}',
        idempotency_key text,
        is_test         boolean NOT NULL DEFAULT false,
        source_event_id uuid,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        lease_until     timestamptz,
        last_error      text,
        error_stack     text,
        response_status integer,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        completed_at    timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX deliveries_idempotency_key ON deliveries (endpoint_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL AND endpoint_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_tenant_cursor_idx ON deliveries (tenant_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_tenant_state_idx ON deliveries (tenant_id, state, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_endpoint_state_idx ON deliveries (endpoint_id, state, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_next_attempt_idx ON deliveries (next_attempt_at) WHERE state = 'queued'`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_lease_idx ON deliveries (lease_until) WHERE state = 'processing'`,
    );

    await queryRunner.query(`
      CREATE TABLE delivery_attempts (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        delivery_id      uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        tenant_id        uuid NOT NULL REFERENCES tenants (id),
        endpoint_id      uuid,
        attempt_number   integer NOT NULL,
        started_at       timestamptz NOT NULL DEFAULT now(),
        finished_at      timestamptz,
        duration_ms      integer,
        request          jsonb,
        response_status  integer,
        response_headers jsonb,
        response_body    text,
        error            text,
        error_class      text,
        outcome          text NOT NULL CONSTRAINT delivery_attempts_outcome_check
                           CHECK (outcome IN ('success', 'retry', 'error', 'dead_letter', 'interrupted', 'refused')),
        CONSTRAINT delivery_attempts_delivery_number_key UNIQUE (delivery_id, attempt_number)
      )`);
    await queryRunner.query(
      `CREATE INDEX delivery_attempts_started_idx ON delivery_attempts (started_at)`,
    );

    await queryRunner.query(`
      CREATE TABLE records (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id        uuid NOT NULL REFERENCES tenants (id),
        model            text NOT NULL,
        data             jsonb NOT NULL DEFAULT '{}',
        created_by_event uuid,
        updated_by_event uuid,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX records_tenant_model_idx ON records (tenant_id, model, created_at)`,
    );
    // fastupdate off: record lookups run on every upsert, and scanning a GIN pending list
    // (up to 4 MB between vacuums) made each one milliseconds instead of microseconds.
    await queryRunner.query(
      `CREATE INDEX records_data_idx ON records USING gin (data jsonb_path_ops) WITH (fastupdate = off)`,
    );

    await queryRunner.query(`
      CREATE TABLE audit_entries (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id   uuid NOT NULL REFERENCES tenants (id),
        api_key_id  uuid REFERENCES api_keys (id) ON DELETE SET NULL,
        actor       text NOT NULL,
        action      text NOT NULL,
        entity_type text NOT NULL,
        entity_id   text,
        before      jsonb,
        after       jsonb,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX audit_entries_tenant_created_idx ON audit_entries (tenant_id, created_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_entries_tenant_entity_idx ON audit_entries (tenant_id, entity_type, created_at)`,
    );

    await queryRunner.query(
      `INSERT INTO tenants (name) VALUES ('default') ON CONFLICT (name) DO NOTHING`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_entries',
      'records',
      'delivery_attempts',
      'deliveries',
      'outbound_endpoints',
      'inbound_events',
      'inbound_endpoints',
      'connectors',
      'handler_rules',
      'handlers',
      'api_keys',
      'tenants',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
