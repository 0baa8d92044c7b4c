import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The file parts of a `deliver` request (docs/outbound.md "Files"), kept beside the
 * delivery rather than in it: every attempt (retries, an operator's reset) rebuilds the
 * multipart body from them, while the delivery row, its list and its detail stay as small
 * as before. Written in the statement that inserts the delivery, deleted with it (retention
 * included) by the cascade. Sizes are bounded at the doors (DELIVER_FILE_MAX_BYTES,
 * DELIVER_FILES_MAX_TOTAL_BYTES), so a delivery holds at most that many bytes here.
 */
export class DeliveryFiles1764630001000 implements MigrationInterface {
  name = 'DeliveryFiles1764630001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE delivery_files (
        delivery_id   uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        position      integer NOT NULL,
        field         text NOT NULL,
        filename      text NOT NULL,
        content_type  text NOT NULL,
        content       bytea NOT NULL,
        PRIMARY KEY (delivery_id, position)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS delivery_files`);
  }
}
