/** A subscription that can be cancelled. */
export interface Disposable {
  dispose(): void;
}

/** Subscribe to an event; the returned disposable unsubscribes. */
export type Event<T> = (listener: (e: T) => void) => Disposable;

/**
 * A typed event source. Listener errors are caught and reported so one bad
 * listener cannot break the emitter's caller (a socket handler, typically).
 */
export class Emitter<T> {
  private listeners: Array<(e: T) => void> = [];

  constructor(private readonly onListenerError: (err: unknown) => void = (err) => console.error(err)) {}

  readonly event: Event<T> = (listener) => {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  fire(e: T): void {
    for (const l of this.listeners.slice()) {
      try {
        l(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  dispose(): void {
    this.listeners = [];
  }
}
