import { createHash } from 'node:crypto';

// A Merkle tree hash in the style of RFC 6962 (Certificate Transparency):
// leaves and inner nodes are hashed with different one-byte prefixes, so a
// leaf can never pass for a node, and an odd subtree is split at the largest
// power of two below its size.

function sha256(...parts: (Buffer | string)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The leaf input of a sealed span: its key, its start time and its row hash. */
export function hashLeaf(spanKey: string, leafTime: string, rowHash: string): Buffer {
  return sha256(Buffer.from([0]), `${spanKey}\n${leafTime}\n${rowHash}`);
}

function treeHash(leaves: readonly Buffer[], start: number, end: number): Buffer {
  const size = end - start;
  if (size === 1) return leaves[start]!;
  let split = 1;
  while (split * 2 < size) split *= 2;
  return sha256(Buffer.from([1]), treeHash(leaves, start, start + split), treeHash(leaves, start + split, end));
}

/** The root over leaf hashes, as hex; the hash of the empty string for no leaves. */
export function merkleRoot(leaves: readonly Buffer[]): string {
  if (leaves.length === 0) return sha256('').toString('hex');
  return treeHash(leaves, 0, leaves.length).toString('hex');
}
