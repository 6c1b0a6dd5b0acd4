// The PII vocabulary shared by the engine, the API contract and the console (no Node imports: the renderer reads it).

/** The kinds of personal data Hearth recognises in a column. */
export const piiTypes = [
  'email',
  'phone',
  'payment-card',
  'iban',
  'us-ssn',
  'ipv4',
  'ipv6',
  'mac',
  'date-of-birth',
  'postcode',
  'person-name',
] as const;
export type PiiType = (typeof piiTypes)[number];

export const piiPolicies = ['keep', 'drop', 'mask', 'hash', 'generalise'] as const;
export type PiiPolicy = (typeof piiPolicies)[number];

export interface PiiDetection {
  column: string;
  type: PiiType;
  /** The share of sampled values the detector accepted, raised when the column's name says the same. */
  confidence: number;
  sampled: number;
  matched: number;
  suggested: PiiPolicy;
}

/** A column's policy and the type it was detected (or declared) as: generalising a date is not generalising an IP. */
export interface ColumnPolicy {
  policy: PiiPolicy;
  type: PiiType | null;
}
