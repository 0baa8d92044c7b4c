import type { DataSource, EntityManager } from 'typeorm';
import type { UnitOfWork } from '@app/core/ports/worker-ports';
import { DeliveriesRepository } from './deliveries.repository';
import { InboundEventsRepository } from './inbound-events.repository';

/**
 * The repositories of one transaction, as the unit of work hands them out. `manager` is
 * the transaction itself, for the collaborators that take one (the intake, the records
 * store, the handler cache's read inside the transaction).
 */
export interface WorkerTransaction {
  manager: EntityManager;
  inboundEvents: InboundEventsRepository;
  deliveries: DeliveriesRepository;
}

/** core's UnitOfWork over a TypeORM DataSource: one transaction per `transaction` call. */
export class TypeormUnitOfWork implements UnitOfWork<WorkerTransaction> {
  private unscoped?: WorkerTransaction;

  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: WorkerTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(this.scope(manager)));
  }

  /** The repositories outside any explicit transaction (each statement its own). */
  get outside(): WorkerTransaction {
    this.unscoped ??= this.scope(this.dataSource.manager);
    return this.unscoped;
  }

  private scope(manager: EntityManager): WorkerTransaction {
    return {
      manager,
      inboundEvents: new InboundEventsRepository(manager),
      deliveries: new DeliveriesRepository(manager),
    };
  }
}
