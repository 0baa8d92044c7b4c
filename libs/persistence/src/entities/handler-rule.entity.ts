import {
  Column,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type {
  Assignment,
  Condition,
  InboundAction,
  Lookup,
  OutboundAction,
} from '@app/core/rules/rule.types';
import { HandlerEntity } from './handler.entity';

/** One rule of a rules-mode handler. Rules run in ascending `sequence`; first match wins. */
@Entity({ name: 'handler_rules' })
export class HandlerRuleEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'handler_id', type: 'uuid' })
  handlerId: string;

  @ManyToOne(() => HandlerEntity, (handler) => handler.rules, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'handler_id' })
  handler?: Relation<HandlerEntity>;

  @Column({ type: 'integer' })
  sequence: number;

  @Column({ type: 'text', default: '' })
  name: string;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  conditions: Condition[];

  @Column({ type: 'text' })
  action: InboundAction | OutboundAction;

  @Column({ name: 'retry_seconds', type: 'integer', nullable: true })
  retrySeconds: number | null;

  @Column({ name: 'target_model', type: 'text', nullable: true })
  targetModel: string | null;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  lookups: Lookup[];

  @Column({ type: 'jsonb', default: () => `'[]'` })
  assignments: Assignment[];

  /** Outbound endpoint code for the inbound `forward` action. */
  @Column({ name: 'forward_to', type: 'text', nullable: true })
  forwardTo: string | null;
}
