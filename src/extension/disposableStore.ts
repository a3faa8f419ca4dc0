import type * as vscode from 'vscode';

/**
 * Owns disposables and releases them together, newest first, so something
 * registered later (a command using the session) goes before what it uses.
 * Adding to a store that was already disposed disposes the newcomer at once.
 */
export class DisposableStore implements vscode.Disposable {
  private readonly items: vscode.Disposable[] = [];
  private disposed = false;

  /** Keep `d` until the store is disposed; returns it, for `const x = store.add(new X())`. */
  add<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.items.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const d of this.items.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        // One failing dispose must not leave the rest holding sockets and timers.
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposables failed`);
  }
}
