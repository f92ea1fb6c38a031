import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { Seal } from '../../../schemas/evidence.ts';
import { hashLeaf, merkleRoot } from './merkle.ts';

// Signing and checking one seal. The signed payload is a JSON array in a
// fixed order, so it serializes the same way everywhere.

export type UnsignedSeal = Omit<Seal, 'signature' | 'sealHash'>;

function signedPayload(seal: UnsignedSeal): Buffer {
  return Buffer.from(
    JSON.stringify([
      'agent-audit-seal-v1',
      seal.sessionId,
      seal.tenant,
      seal.sequence,
      seal.sealId,
      seal.createdAt,
      seal.previous,
      seal.root,
      seal.spanKeys.length,
      seal.keyId,
    ]),
    'utf8',
  );
}

function hashSeal(payload: Buffer, signature: string): string {
  return createHash('sha256').update(payload).update('.').update(signature).digest('hex');
}

export function computeRoot(seal: Pick<Seal, 'spanKeys' | 'leafTimes' | 'leafHashes'>): string {
  return merkleRoot(seal.spanKeys.map((key, index) => hashLeaf(key, seal.leafTimes[index] ?? '', seal.leafHashes[index] ?? '')));
}

export function signSeal(seal: UnsignedSeal, privateKey: KeyObject): Seal {
  const payload = signedPayload(seal);
  const signature = sign(null, payload, privateKey).toString('base64');
  return { ...seal, signature, sealHash: hashSeal(payload, signature) };
}

/** Returns why a seal is invalid, or null when its root, signature and hash check out. */
export function checkSeal(seal: Seal, keys: ReadonlyMap<string, KeyObject>): string | null {
  const label = `seal ${seal.sequence} (${seal.sealId}) of session "${seal.sessionId}"`;
  if (seal.spanKeys.length !== seal.leafHashes.length || seal.spanKeys.length !== seal.leafTimes.length) {
    return `${label} has leaf lists of different lengths`;
  }
  if (computeRoot(seal) !== seal.root) return `${label} does not match its Merkle root`;
  const key = keys.get(seal.keyId);
  if (key === undefined) return `${label} is signed by key ${seal.keyId}, which is not trusted`;
  const payload = signedPayload(seal);
  let valid = false;
  try {
    valid = verify(null, payload, key, Buffer.from(seal.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return `${label} has an invalid signature`;
  if (hashSeal(payload, seal.signature) !== seal.sealHash) return `${label} has a wrong seal hash`;
  return null;
}
