// The cluster-secret handshake of a peer link, as pure functions over bytes: the frames both sides
// exchange, the HMAC proofs, and the server's verdict. The sockets that carry them live in
// node_server.ts (server side) and peer_link.ts (client side); docs/protocol.md has the picture.
//
//   server -> client  CHALLENGE  kind 0xC1, version, u32 serverNodeId, 32-byte nonce
//   client -> server  PROOF      kind 0xC2, version, u32 clientNodeId, 32-byte proof, 32-byte clientNonce
//   server -> client  ACCEPT     kind 0xC3, version, 32-byte server proof
//
//   proof        = HMAC-SHA256(secret, nonce       || u32be(clientNodeId) || u32be(serverNodeId))
//   server proof = HMAC-SHA256(secret, clientNonce || u32be(serverNodeId) || u32be(clientNodeId))
//
// The server only sends its proof after the client proved itself, so nobody learns a proof for an
// id pair without the secret. The secret authenticates the handshake, not the frames that follow.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The WebSocket path peers connect to, on the same port as clients and HTTP. */
export const PEER_PATH = '/peer';
export const PEER_HANDSHAKE_VERSION = 1;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/** How long either side waits for the other's next handshake frame unless configured otherwise. */
export const DEFAULT_PEER_HANDSHAKE_TIMEOUT_MS = 5000;

const KIND_CHALLENGE = 0xc1;
const KIND_PROOF = 0xc2;
const KIND_ACCEPT = 0xc3;
const CHALLENGE_BYTES = 2 + 4 + NONCE_BYTES;
const PROOF_FRAME_BYTES = 2 + 4 + PROOF_BYTES + NONCE_BYTES;
const ACCEPT_BYTES = 2 + PROOF_BYTES;

/** WebSocket close codes (application range 4000-4999) a peer link ends with, and what each means. */
export const PeerCloseCode = {
  MALFORMED: 4400, // a handshake frame had the wrong kind, version or length
  AUTH_FAILED: 4401, // the proof did not match: the two nodes have different cluster secrets
  NOT_ALLOWED: 4403, // the claimed node id is the server's own, or not one of its peers
  HANDSHAKE_TIMEOUT: 4408, // no proof (or no challenge/accept) within the handshake timeout
  REPLACED: 4409, // the same peer connected again; the older connection is closed
} as const;

export interface Challenge {
  serverNodeId: number;
  nonce: Uint8Array;
}

export interface Proof {
  clientNodeId: number;
  proof: Uint8Array;
  clientNonce: Uint8Array;
}

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

export function encodeChallenge(c: Challenge): Uint8Array {
  const out = header(KIND_CHALLENGE, CHALLENGE_BYTES);
  new DataView(out.buffer).setUint32(2, c.serverNodeId);
  out.set(c.nonce, 6);
  return out;
}

export function decodeChallenge(frame: Uint8Array): Challenge | undefined {
  if (!hasHeader(frame, KIND_CHALLENGE, CHALLENGE_BYTES)) return undefined;
  return { serverNodeId: view(frame).getUint32(2), nonce: frame.slice(6, 6 + NONCE_BYTES) };
}

export function encodeProof(p: Proof): Uint8Array {
  const out = header(KIND_PROOF, PROOF_FRAME_BYTES);
  new DataView(out.buffer).setUint32(2, p.clientNodeId);
  out.set(p.proof, 6);
  out.set(p.clientNonce, 6 + PROOF_BYTES);
  return out;
}

export function decodeProof(frame: Uint8Array): Proof | undefined {
  if (!hasHeader(frame, KIND_PROOF, PROOF_FRAME_BYTES)) return undefined;
  return {
    clientNodeId: view(frame).getUint32(2),
    proof: frame.slice(6, 6 + PROOF_BYTES),
    clientNonce: frame.slice(6 + PROOF_BYTES, 6 + PROOF_BYTES + NONCE_BYTES),
  };
}

export function encodeAccept(serverProof: Uint8Array): Uint8Array {
  const out = header(KIND_ACCEPT, ACCEPT_BYTES);
  out.set(serverProof, 2);
  return out;
}

/** The server's proof carried by an ACCEPT frame, or undefined when the frame is not one. */
export function decodeAccept(frame: Uint8Array): Uint8Array | undefined {
  if (!hasHeader(frame, KIND_ACCEPT, ACCEPT_BYTES)) return undefined;
  return frame.slice(2, 2 + PROOF_BYTES);
}

/** What the connecting node sends to prove it knows the secret. */
export function clientProof(secret: string, nonce: Uint8Array, clientNodeId: number, serverNodeId: number): Uint8Array {
  return mac(secret, nonce, clientNodeId, serverNodeId);
}

/** What the accepting node sends back, so the connecting node knows it reached a cluster member. */
export function serverProof(secret: string, clientNonce: Uint8Array, serverNodeId: number, clientNodeId: number): Uint8Array {
  return mac(secret, clientNonce, serverNodeId, clientNodeId);
}

export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Close reasons follow the typed-error format `<CODE> what to do`, and stay under the 123 bytes a close frame allows. */
export type PeerVerdict =
  | { accepted: true; clientNodeId: number; clientNonce: Uint8Array }
  | { accepted: false; closeCode: number; reason: string };

/** The server's decision on a PROOF frame: who may connect, and whether they know the secret. */
export function judgeProof(
  frame: Uint8Array,
  secret: string,
  serverNodeId: number,
  nonce: Uint8Array,
  peerIds: ReadonlySet<number>,
): PeerVerdict {
  const proof = decodeProof(frame);
  if (proof === undefined) {
    return { accepted: false, closeCode: PeerCloseCode.MALFORMED, reason: '<PEER_MALFORMED> expected a handshake proof frame' };
  }
  if (proof.clientNodeId === serverNodeId) {
    return { accepted: false, closeCode: PeerCloseCode.NOT_ALLOWED, reason: `<PEER_NOT_ALLOWED> node ${serverNodeId} cannot be its own peer; check the node ids in the cluster nodes file` };
  }
  if (!peerIds.has(proof.clientNodeId)) {
    return { accepted: false, closeCode: PeerCloseCode.NOT_ALLOWED, reason: `<PEER_NOT_ALLOWED> node ${proof.clientNodeId} is not a peer of node ${serverNodeId}; check the cluster nodes file` };
  }
  const expected = clientProof(secret, nonce, proof.clientNodeId, serverNodeId);
  if (!proofsEqual(expected, proof.proof)) {
    return { accepted: false, closeCode: PeerCloseCode.AUTH_FAILED, reason: '<PEER_AUTH_FAILED> wrong proof; set the same clusterSecret on every node' };
  }
  return { accepted: true, clientNodeId: proof.clientNodeId, clientNonce: proof.clientNonce };
}

function mac(secret: string, nonce: Uint8Array, firstId: number, secondId: number): Uint8Array {
  const ids = new Uint8Array(8);
  const v = new DataView(ids.buffer);
  v.setUint32(0, firstId);
  v.setUint32(4, secondId);
  return new Uint8Array(createHmac('sha256', secret).update(nonce).update(ids).digest());
}

function header(kind: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out[0] = kind;
  out[1] = PEER_HANDSHAKE_VERSION;
  return out;
}

function hasHeader(frame: Uint8Array, kind: number, length: number): boolean {
  return frame.length === length && frame[0] === kind && frame[1] === PEER_HANDSHAKE_VERSION;
}

function view(frame: Uint8Array): DataView {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
}
