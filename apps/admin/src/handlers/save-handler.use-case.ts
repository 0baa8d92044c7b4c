import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Rule } from '@app/core';
import { HandlersRepository, type HandlerFields } from '@app/persistence';

/**
 * Writes a handler and its rules, in the caller's transaction: the one write the handlers
 * API and connector provisioning share. Without `id` it creates the handler (with its
 * rules); with `id` it updates the row and, when `rules` is given, replaces its rules.
 * Checking the handler (rules, callback, forward targets) and auditing stay with the
 * caller, which knows what it is checking against.
 */
export interface SaveHandlerCommand {
  tenantId: string;
  /** The handler to update; absent to create one with `code` and `direction`. */
  id?: string;
  code: string;
  direction: 'inbound' | 'outbound';
  fields: HandlerFields;
  /** The whole new rule list; absent on an update: the rules are left as they are. */
  rules?: Rule[];
}

@Injectable()
export class SaveHandler {
  constructor(private readonly handlers: HandlersRepository) {}

  /** Answers the handler's id. */
  async execute(manager: EntityManager, command: SaveHandlerCommand): Promise<string> {
    const handlers = this.handlers.in(manager);
    const fields: HandlerFields = {
      ...command.fields,
      // Only callback mode names a callback (a CHECK enforces it).
      callback: command.fields.executionMode === 'callback' ? command.fields.callback : null,
    };
    if (command.id === undefined) {
      const id = await handlers.insert({
        tenantId: command.tenantId,
        code: command.code,
        direction: command.direction,
        ...fields,
      });
      await handlers.writeRules(id, command.rules ?? [], { replace: false });
      return id;
    }
    await handlers.update(command.tenantId, command.id, fields);
    if (command.rules) await handlers.writeRules(command.id, command.rules, { replace: true });
    return command.id;
  }
}
