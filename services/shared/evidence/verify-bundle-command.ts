import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { EvidenceSchema } from '../../../schemas/evidence.ts';
import { loadPublicKeys } from './signing-key.ts';
import { verifyEvidence } from './verify.ts';

// `npm run verify-bundle -- <bundle.json> --public-key <key.pub.pem>`: checks
// an exported session bundle offline, with nothing but the public key. The
// file may be the evidence itself (GET /v1/sessions/{id}/evidence) or any
// JSON object with it under `evidence`, such as a session export.
// Prints the result as JSON. Exit status: 0 intact, 1 tampered, 3 incomplete,
// 2 when the arguments or the file are invalid.

const usage = 'usage: npm run verify-bundle -- <bundle.json> --public-key <public-key.pem> [--public-key <another.pem>]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let parsedArgs;
try {
  parsedArgs = parseArgs({ allowPositionals: true, options: { 'public-key': { type: 'string', multiple: true } } });
} catch (error) {
  fail((error as Error).message);
}
const [bundleFile] = parsedArgs.positionals;
const keyFiles = parsedArgs.values['public-key'] ?? [];
if (bundleFile === undefined || keyFiles.length === 0) fail('a bundle file and at least one --public-key are required');

let document: unknown;
try {
  document = JSON.parse(fs.readFileSync(bundleFile, 'utf8'));
} catch (error) {
  fail(`could not read ${bundleFile} as JSON: ${(error as Error).message}`);
}
const candidate = document !== null && typeof document === 'object' && 'evidence' in document ? (document as { evidence: unknown }).evidence : document;
const evidence = EvidenceSchema.safeParse(candidate);
if (!evidence.success) fail(`${bundleFile} holds no valid evidence section: ${evidence.error.issues[0]?.message ?? 'unknown problem'}`);

let keys;
try {
  keys = loadPublicKeys(keyFiles);
} catch (error) {
  fail(`could not read the public key: ${(error as Error).message}`);
}

// Offline there is no retention configuration, so a sealed span that is missing counts as missing.
const result = verifyEvidence(evidence.data, keys);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
const exitCodes = { intact: 0, tampered: 1, incomplete: 3 } as const;
process.exitCode = exitCodes[result.status];
