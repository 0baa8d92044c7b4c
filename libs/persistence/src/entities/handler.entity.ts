import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import type { Direction } from '@app/core/rules/rule.types';
import { HandlerRuleEntity } from './handler-rule.entity';

/** A handler: how events (inbound) or deliveries (outbound) are processed — rules or a callback. */
export type ExecutionMode = 'rules' | 'callback';
export const EXECUTION_MODES: readonly ExecutionMode[] = ['rules', 'callback'];

@Entity({ name: 'handlers' })
export class HandlerEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** Lowercase slug, unique per tenant. */
  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  direction: Direction;

  @Column({ name: 'execution_mode', type: 'text' })
  executionMode: ExecutionMode;

  /** Name registered in the handler registry; required in callback mode (a CHECK enforces it). */
  @Column({ type: 'text', nullable: true })
  callback: string | null;

  /** Archived handlers (false) stay visible on history but are not selectable for new endpoints. */
  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Inbound `retry` runs allowed before the event is dead-lettered. */
  @Column({ name: 'max_retries', type: 'integer', default: 5 })
  maxRetries: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** Loaded only when asked (`relations: { rules: true }`); order by `sequence` yourself. */
  @OneToMany(() => HandlerRuleEntity, (rule) => rule.handler)
  rules?: Relation<HandlerRuleEntity[]>;
}
