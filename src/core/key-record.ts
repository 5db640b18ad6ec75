/** An API key as stored and listed: the secret itself is never kept, only its SHA-256 hash. */
export interface ApiKeyRecord {
  id: string;
  /** First characters of the key, to recognise it in lists (`mn_ab12…`). */
  prefix: string;
  name: string;
  appId: string;
  tenantId: string;
  /** Admin keys manage stores and keys, and may act on any tenant they name. */
  admin: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** One recorded mutating request. */
export interface AuditEntry {
  id: string;
  appId: string;
  tenantId: string;
  keyId: string;
  method: string;
  path: string;
  status: number;
  store: string | null;
  createdAt: string;
}
