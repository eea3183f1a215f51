import type { ServiceName } from '../../contracts';

/** A state change, for invariant checkers that watch every step of a workflow. */
export interface Mutation {
  readonly service: ServiceName;
  readonly operation: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
  readonly secretId?: string;
  /** `seed` when made by the emulator's setup helpers rather than a request. */
  readonly source: 'api' | 'seed';
  /** Who made a request's change (see principalName); absent for `seed`. */
  readonly principal?: string;
}

export type MutationListener = (mutation: Mutation) => void;

export class MutationBus {
  private readonly listeners = new Set<MutationListener>();

  subscribe(listener: MutationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Synchronous, so a listener sees the state exactly as the change left it. */
  emit(mutation: Mutation): void {
    for (const listener of [...this.listeners]) listener(mutation);
  }
}
