/**
 * Secret scan of synthesized Terraform JSON and of the plan a pull request publishes: no
 * literal password, private key or token, and no value Terraform marks sensitive.
 * The only key material is what the TLS provider generates, and Terraform itself holds it:
 * that may appear only as a reference (`${tls_private_key.X.private_key_pem}`).
 */
export interface Finding {
  readonly path: string;
  readonly reason: string;
}

/** Private keys in any armor: PEM (RSA, EC, OPENSSH, ENCRYPTED, ...), PGP, PuTTY. */
const PRIVATE_KEY_ARMOR = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|PuTTY-User-Key-File-\d/;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
/** Tokens with a vendor prefix: GitHub, Slack, GitLab, Stripe live keys. */
const PREFIXED_TOKEN = /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|xox[abpr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20}|sk_live_[A-Za-z0-9]{20,})\b/;
/** Attributes whose every literal value is a secret. */
const SECRET_FIELD = /(^|_)(password|passwd|passphrase|secret|secret_string|secret_key|client_secret|private_key|token|auth_token|access_key|api_key|apikey)$/i;
/** Attributes that name a secret somewhere in them: a literal that looks random there is one. */
const SENSITIVE_NAME = /password|passwd|passphrase|secret|token|credential|api_?key|private_?key|access_?key/i;
const REFERENCE_ONLY = /^\$\{[^}]+\}$/;
/** Attributes that point at a secret rather than hold one (`secret_id`, `kms_key_arn`), and ARNs anywhere. */
const POINTER_FIELD = /(_id|_ids|_arn|_arns|_name|_prefix)$/i;
const ARN = /^arn:aws[a-z-]*:/;

/** Shannon entropy per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts.values()].reduce((sum, n) => sum - (n / text.length) * Math.log2(n / text.length), 0);
}

/** A literal that looks generated: 16+ characters without spaces and over 3.5 bits of entropy per character. */
export function looksRandom(text: string): boolean {
  return text.length >= 16 && !/\s/.test(text) && !REFERENCE_ONLY.test(text) && entropy(text) > 3.5;
}

/**
 * Terraform's plan and state JSON keep sensitive values in clear and only mark them: an
 * output `{"sensitive": true, "value": ...}`, a change `{"before_sensitive": true, "before": ...}`.
 * Whatever the value looks like (a password is not recognisable), a marked value that is
 * there is a finding; a reference (synthesized JSON) or null (redacted) is not.
 */
const SENSITIVE_MARKS: Record<string, string> = { value: "sensitive", before: "before_sensitive", after: "after_sensitive" };

function markedSensitive(record: Record<string, unknown>, key: string, v: unknown, path: string): Finding[] {
  const mark = SENSITIVE_MARKS[key];
  const present = v !== null && v !== undefined && v !== "" && !(typeof v === "string" && REFERENCE_ONLY.test(v));
  return mark !== undefined && record[mark] === true && present ? [{ path, reason: `value marked ${mark} by Terraform` }] : [];
}

/**
 * Finds literal secrets anywhere in `value`, including JSON documents embedded as strings. A
 * plan's configuration gives an argument as `{"<name>": {"constant_value": ...}}` (resources,
 * provider_config, provisioners): a constant is judged by the argument's name, as a value is by its key.
 */
export function scanForSecrets(value: unknown, path = "$", field?: string): Finding[] {
  if (typeof value === "string") {
    const findings: Finding[] = [];
    if (PRIVATE_KEY_ARMOR.test(value)) findings.push({ path, reason: "literal PEM private key" });
    if (AWS_ACCESS_KEY.test(value)) findings.push({ path, reason: "literal AWS access key id" });
    if (PREFIXED_TOKEN.test(value)) findings.push({ path, reason: "literal token with a vendor prefix" });
    const pointer = field !== undefined && (POINTER_FIELD.test(field) || ARN.test(value));
    if (field !== undefined && !SECRET_FIELD.test(field) && SENSITIVE_NAME.test(field) && !pointer && looksRandom(value)) {
      findings.push({ path, reason: `random-looking literal in ${field}` });
    }
    if (/^\s*[[{]/.test(value)) {
      try {
        findings.push(...scanForSecrets(JSON.parse(value), `${path}<json>`));
      } catch {
        // not JSON after all: the checks above covered it as text
      }
    }
    return findings;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => scanForSecrets(v, `${path}[${i}]`, field));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) => {
      const here = `${path}.${key}`;
      // An expression's constant stands for the argument that holds it.
      const name = key === "constant_value" && field !== undefined ? field : key;
      const literal = (typeof v === "string" && v !== "" && !REFERENCE_ONLY.test(v));
      const own = SECRET_FIELD.test(name) && literal ? [{ path: here, reason: `literal value in ${name}` }] : [];
      // ECS secrets/environment entries: {name: "X_PASSWORD", value: "literal"}
      const record = value as Record<string, unknown>;
      const namedSecret =
        key === "value" && typeof record.name === "string" && /PASSWORD|SECRET|TOKEN/i.test(record.name) && literal
          ? [{ path: here, reason: `literal value for ${record.name}` }]
          : [];
      return [...own, ...namedSecret, ...markedSensitive(record, key, v, here), ...scanForSecrets(v, here, name)];
    });
  }
  return [];
}
