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

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
const SECRET_FIELD = /(^|_)(password|passwd|secret_string|secret_key|private_key|token|access_key)$/i;
const REFERENCE_ONLY = /^\$\{[^}]+\}$/;

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

/** Finds literal secrets anywhere in `value`, including JSON documents embedded as strings. */
export function scanForSecrets(value: unknown, path = "$"): Finding[] {
  if (typeof value === "string") {
    const findings: Finding[] = [];
    if (PEM_PRIVATE_KEY.test(value)) findings.push({ path, reason: "literal PEM private key" });
    if (AWS_ACCESS_KEY.test(value)) findings.push({ path, reason: "literal AWS access key id" });
    if (/^\s*[[{]/.test(value)) {
      try {
        findings.push(...scanForSecrets(JSON.parse(value), `${path}<json>`));
      } catch {
        // not JSON after all: the checks above covered it as text
      }
    }
    return findings;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => scanForSecrets(v, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) => {
      const here = `${path}.${key}`;
      const literal = typeof v === "string" && v !== "" && !REFERENCE_ONLY.test(v);
      const own = SECRET_FIELD.test(key) && literal ? [{ path: here, reason: `literal value in ${key}` }] : [];
      // ECS secrets/environment entries: {name: "X_PASSWORD", value: "literal"}
      const record = value as Record<string, unknown>;
      const namedSecret =
        key === "value" && typeof record.name === "string" && /PASSWORD|SECRET|TOKEN/i.test(record.name) && literal
          ? [{ path: here, reason: `literal value for ${record.name}` }]
          : [];
      return [...own, ...namedSecret, ...markedSensitive(record, key, v, here), ...scanForSecrets(v, here)];
    });
  }
  return [];
}
