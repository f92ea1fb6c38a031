import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';

// Secrets and personal data made up at run time, one of each kind the
// redaction rules know, so that no test secret sits in the repository.

const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(alphabet: string, length: number): string {
  let text = '';
  for (let index = 0; index < length; index += 1) text += alphabet[randomInt(alphabet.length)];
  return text;
}

function luhnCompleted(prefix: string): string {
  let sum = 0;
  for (let index = 0; index < prefix.length; index += 1) {
    let digit = Number(prefix[prefix.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return `${prefix}${(10 - (sum % 10)) % 10}`;
}

export function generateSecrets() {
  const awsSecret = randomText(alnum, 40);
  return {
    awsAccessKeyId: `AKIA${randomText(upper, 16)}`,
    awsSecret,
    awsSecretLine: `aws_secret_access_key = ${awsSecret}`,
    privateKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
    bearerToken: randomBytes(24).toString('base64url'),
    basicCredential: Buffer.from(`svc:${randomText(alnum, 12)}`).toString('base64'),
    urlPassword: randomText(alnum, 14),
    apiKey: `sk-${randomText(alnum, 32)}`,
    githubToken: `ghp_${randomText(alnum, 36)}`,
    slackToken: `xoxb-${randomText(alnum, 24)}`,
    email: `person.${randomText('abcdefghijklmnopqrstuvwxyz', 8)}@example.com`,
    cardNumber: luhnCompleted(`4${randomText('0123456789', 14)}`),
  };
}
