// Runs a callback supplied by the node runtime so that nothing it throws, synchronously or as a
// rejected promise, can escape into uWebSockets.js (where an exception would take the process down).

export function guardedCall(callback: () => unknown, onError: (err: unknown) => void): void {
  let result: unknown;
  try {
    result = callback();
  } catch (err) {
    onError(err);
    return;
  }
  // The handler interfaces return void, but an async implementation returns a promise: watch it too.
  if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
    (result as PromiseLike<unknown>).then(undefined, onError);
  }
}
