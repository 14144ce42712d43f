// How uWebSockets.js reports, in its close handler, that it closed a socket itself because a message
// exceeded maxPayloadLength (measured on the 20.30 build: code 1006, this exact text).

const TOO_BIG_MESSAGE = 'Received too big message';

export function isOversizedClose(code: number, message: ArrayBuffer): boolean {
  return code === 1006 && Buffer.from(message).toString() === TOO_BIG_MESSAGE;
}
