import type { RedactionRuleSpec } from '../security-config.ts';

// The built-in redaction rules. Each pattern matches only the secret or the
// personal data itself; context such as "Bearer " or a URL's user name is
// matched by lookbehind and lookahead, so it stays readable in the stored text.
// A match is replaced by `[REDACTED:<rule id>]`.

export interface RedactionRule {
  id: string;
  category: 'secret' | 'pii';
  regex: RegExp;
  /** Extra check on a match, for patterns that alone give too many false positives. */
  accept?: (match: string) => boolean;
}

/** Luhn checksum, so that a long number is redacted as a card number only when it could be one. */
function passesLuhn(text: string): boolean {
  const digits = text.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const builtInRules: RedactionRule[] = [
  {
    id: 'private-key',
    category: 'secret',
    regex: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { id: 'aws-access-key-id', category: 'secret', regex: /\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[0-9A-Z]{16}\b/g },
  {
    id: 'aws-secret-access-key',
    category: 'secret',
    regex: /(?<=aws.{0,20}secret.{0,20}?["']?\s*[=:]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi,
  },
  { id: 'google-api-key', category: 'secret', regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { id: 'github-token', category: 'secret', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { id: 'gitlab-token', category: 'secret', regex: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { id: 'slack-token', category: 'secret', regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { id: 'stripe-key', category: 'secret', regex: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  // OpenAI, Anthropic and others issue keys of the form sk-..., sk-proj-..., sk-ant-...
  { id: 'api-key-sk', category: 'secret', regex: /\bsk-[A-Za-z0-9_-]{20,}/g },
  // The audit trail's own tokens.
  { id: 'audit-trail-token', category: 'secret', regex: /\baat_[a-z]+_[A-Za-z0-9_-]{20,}/g },
  { id: 'jwt', category: 'secret', regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { id: 'bearer-credential', category: 'secret', regex: /(?<=\bbearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi },
  { id: 'basic-credential', category: 'secret', regex: /(?<=\bbasic\s+)[A-Za-z0-9+/]{8,}={0,2}/gi },
  { id: 'url-password', category: 'secret', regex: /(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(?=@)/gi },
  {
    id: 'password-assignment',
    category: 'secret',
    regex:
      /(?<=\b(?:password|passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token)["']?\s*[=:]\s*["']?)[^\s"'&,;]{4,}/gi,
  },
  { id: 'email', category: 'pii', regex: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  { id: 'payment-card', category: 'pii', regex: /\b\d(?:[ -]?\d){12,18}\b/g, accept: passesLuhn },
  { id: 'us-ssn', category: 'pii', regex: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  { id: 'phone-number', category: 'pii', regex: /(?<![\w+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}\b/g },
  { id: 'iban', category: 'pii', regex: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g },
];

/** Every built-in rule id, for documentation and validation of REDACTION_DISABLED_RULES. */
export const builtInRuleIds: readonly string[] = builtInRules.map((rule) => rule.id);

export class RedactionRuleError extends Error {
  override name = 'RedactionRuleError';
}

/** Builds the active rule list: built-in rules not disabled, then the configured extra rules. */
export function compileRules(options: { disabledRules: readonly string[]; extraRules: readonly RedactionRuleSpec[] }): RedactionRule[] {
  const unknown = options.disabledRules.filter((id) => !builtInRuleIds.includes(id));
  if (unknown.length > 0) {
    throw new RedactionRuleError(`REDACTION_DISABLED_RULES names unknown rules ${unknown.join(', ')}; known: ${builtInRuleIds.join(', ')}`);
  }
  const rules = builtInRules.filter((rule) => !options.disabledRules.includes(rule.id));
  for (const spec of options.extraRules) {
    let regex: RegExp;
    try {
      regex = new RegExp(spec.pattern, `${spec.flags}g`);
    } catch (error) {
      throw new RedactionRuleError(`redaction rule "${spec.id}" has an invalid pattern: ${(error as Error).message}`);
    }
    if (regex.test('')) throw new RedactionRuleError(`redaction rule "${spec.id}" matches the empty string`);
    rules.push({ id: spec.id, category: spec.category, regex });
  }
  return rules;
}
