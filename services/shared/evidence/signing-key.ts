import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.ts';

// The Ed25519 key that signs evidence seals. It lives in a PEM file
// (EVIDENCE_KEY_FILE, by default DATA_DIR/evidence-key.pem), created on the
// first start with mode 0600, with the public key beside it for verifiers.

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** First 16 hex digits of the SHA-256 of the key's SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function publicKeyFileOf(keyFile: string): string {
  return keyFile.replace(/(\.pem)?$/, '.pub.pem');
}

/** Loads the signing key, creating it (and its public key file) when the file does not exist. */
export function loadOrCreateSigningKey(keyFile: string, logger: Logger): SigningKey {
  if (!fs.existsSync(keyFile)) {
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    const pair = generateKeyPairSync('ed25519');
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      // wx: two processes starting at once must not overwrite each other's key.
      fs.writeFileSync(keyFile, pem, { mode: 0o600, flag: 'wx' });
      fs.writeFileSync(publicKeyFileOf(keyFile), pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), { mode: 0o644 });
      logger.info({ keyFile, publicKeyFile: publicKeyFileOf(keyFile) }, 'created evidence signing key');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const privateKey = createPrivateKey(fs.readFileSync(keyFile));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`evidence key file ${keyFile} does not hold an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

/** Reads public keys (SPKI PEM) and indexes them by key id. */
export function loadPublicKeys(files: readonly string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const file of files) {
    const key = createPublicKey(fs.readFileSync(file));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} does not hold an Ed25519 public key`);
    keys.set(keyIdOf(key), key);
  }
  return keys;
}
