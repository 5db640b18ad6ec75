/**
 * Who a request acts for, decided by its API key: a tenant key is bound to one (app, tenant) and can
 * never reach another; an admin key manages stores and keys, and names the tenant it acts on.
 */
export interface TenantContext {
  /** Id of the API key (never the key itself). */
  keyId: string;
  appId: string;
  tenantId: string;
  admin: boolean;
}
