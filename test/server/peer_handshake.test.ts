// The handshake bytes and the server's verdict, without sockets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NONCE_BYTES,
  PeerCloseCode,
  clientProof,
  decodeAccept,
  decodeChallenge,
  decodeProof,
  encodeAccept,
  encodeChallenge,
  encodeProof,
  judgeProof,
  newNonce,
  proofsEqual,
  serverProof,
} from '../../broker/server/peer_handshake.js';

const SECRET = 'cluster-secret';
const SERVER = 1;
const CLIENT = 2;
const PEERS = new Set([2, 3]);

function proofFrame(secret: string, nonce: Uint8Array, clientNodeId = CLIENT, serverNodeId = SERVER): Uint8Array {
  return encodeProof({ clientNodeId, proof: clientProof(secret, nonce, clientNodeId, serverNodeId), clientNonce: newNonce() });
}

describe('peer handshake frames', () => {
  it('round-trip through their encodings', () => {
    const nonce = newNonce();
    assert.equal(nonce.length, NONCE_BYTES);
    assert.deepEqual(decodeChallenge(encodeChallenge({ serverNodeId: 0xfffffffe, nonce })), { serverNodeId: 0xfffffffe, nonce });
    const proof = { clientNodeId: 7, proof: clientProof(SECRET, nonce, 7, 1), clientNonce: newNonce() };
    assert.deepEqual(decodeProof(encodeProof(proof)), proof);
    const accept = serverProof(SECRET, proof.clientNonce, 1, 7);
    assert.deepEqual(decodeAccept(encodeAccept(accept)), accept);
  });

  it('are not mistaken for each other, nor accepted truncated or from another version', () => {
    const challenge = encodeChallenge({ serverNodeId: 1, nonce: newNonce() });
    assert.equal(decodeProof(challenge), undefined);
    assert.equal(decodeAccept(challenge), undefined);
    assert.equal(decodeChallenge(challenge.subarray(0, challenge.length - 1)), undefined);
    const otherVersion = challenge.slice();
    otherVersion[1] = 2;
    assert.equal(decodeChallenge(otherVersion), undefined);
  });

  it('bind the proof to the nonce, both node ids and the secret', () => {
    const nonce = newNonce();
    const good = clientProof(SECRET, nonce, CLIENT, SERVER);
    assert.ok(proofsEqual(good, clientProof(SECRET, nonce, CLIENT, SERVER)));
    assert.ok(!proofsEqual(good, clientProof(SECRET, newNonce(), CLIENT, SERVER)));
    assert.ok(!proofsEqual(good, clientProof(SECRET, nonce, SERVER, CLIENT)));
    assert.ok(!proofsEqual(good, clientProof('other-secret', nonce, CLIENT, SERVER)));
    // The server's proof over the same bytes differs from the client's: one cannot be replayed as the other.
    assert.ok(!proofsEqual(serverProof(SECRET, nonce, SERVER, CLIENT), good));
  });
});

describe('judgeProof (the server side)', () => {
  it('accepts a peer that knows the secret', () => {
    const nonce = newNonce();
    const verdict = judgeProof(proofFrame(SECRET, nonce), SECRET, SERVER, nonce, PEERS);
    assert.equal(verdict.accepted, true);
    assert.equal(verdict.accepted && verdict.clientNodeId, CLIENT);
  });

  it('refuses a wrong secret with AUTH_FAILED', () => {
    const nonce = newNonce();
    const verdict = judgeProof(proofFrame('wrong', nonce), SECRET, SERVER, nonce, PEERS);
    assert.deepEqual(verdict.accepted ? undefined : [verdict.closeCode, /PEER_AUTH_FAILED/.test(verdict.reason)], [PeerCloseCode.AUTH_FAILED, true]);
  });

  it('refuses a proof made for another nonce (a replay)', () => {
    const verdict = judgeProof(proofFrame(SECRET, newNonce()), SECRET, SERVER, newNonce(), PEERS);
    assert.equal(!verdict.accepted && verdict.closeCode, PeerCloseCode.AUTH_FAILED);
  });

  it("refuses a peer claiming the server's own id, even with the right secret and even if listed", () => {
    const nonce = newNonce();
    const verdict = judgeProof(proofFrame(SECRET, nonce, SERVER), SECRET, SERVER, nonce, new Set([1, 2]));
    assert.equal(!verdict.accepted && verdict.closeCode, PeerCloseCode.NOT_ALLOWED);
  });

  it('refuses an id outside peerIds, even with the right secret', () => {
    const nonce = newNonce();
    const verdict = judgeProof(proofFrame(SECRET, nonce, 9), SECRET, SERVER, nonce, PEERS);
    assert.equal(!verdict.accepted && verdict.closeCode, PeerCloseCode.NOT_ALLOWED);
    assert.match(verdict.accepted ? '' : verdict.reason, /node 9 is not a peer of node 1/);
  });

  it('refuses a malformed frame', () => {
    const verdict = judgeProof(new Uint8Array([1, 2, 3]), SECRET, SERVER, newNonce(), PEERS);
    assert.equal(!verdict.accepted && verdict.closeCode, PeerCloseCode.MALFORMED);
  });

  it('keeps every close reason within the 123 bytes a close frame allows', () => {
    const nonce = newNonce();
    for (const frame of [proofFrame('wrong', nonce, 0xffffffff), proofFrame(SECRET, nonce, 0xffffffff), new Uint8Array(0)]) {
      const verdict = judgeProof(frame, SECRET, 0xfffffffe, nonce, PEERS);
      assert.ok(!verdict.accepted && Buffer.byteLength(verdict.reason) <= 123, verdict.accepted ? '' : verdict.reason);
    }
  });
});
