import type {
  ChatBinding,
  GatewayAccount,
  GatewayAccountStatus,
  GatewayApproval,
  PairingRequest,
} from '../../core/gateway-record.js';

/** A `gateway_pairings` row. */
export interface PairingRow {
  code_hash: string;
  platform: string;
  user_id: string;
  chat_id: string;
  user_name: string | null;
  created_at: number | string;
  expires_at: number | string;
}

/** Columns of a pairing row, in {@link pairingValues} order. */
export const pairingColumns =
  'code_hash, platform, user_id, chat_id, user_name, created_at, expires_at';

/** The row values of a pairing request, in {@link pairingColumns} order. */
export function pairingValues(request: PairingRequest): Array<string | number | null> {
  return [
    request.codeHash,
    request.platform,
    request.userId,
    request.chatId,
    request.userName,
    request.createdAt,
    request.expiresAt,
  ];
}

/** A pairing row as the spec's record. */
export function pairingFromRow(row: PairingRow): PairingRequest {
  return {
    platform: row.platform,
    userId: row.user_id,
    chatId: row.chat_id,
    userName: row.user_name,
    codeHash: row.code_hash,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

/** A `gateway_accounts` row. */
export interface AccountRow {
  platform: string;
  user_id: string;
  user_name: string | null;
  app_id: string;
  tenant_id: string;
  approved_by: string;
  status: string;
  updated_at: number | string;
}

/** Columns of an account row, in {@link accountValues} order. */
export const accountColumns =
  'platform, user_id, user_name, app_id, tenant_id, approved_by, status, updated_at';

/** The row values of an account, in {@link accountColumns} order. */
export function accountValues(account: GatewayAccount): Array<string | number | null> {
  return [
    account.platform,
    account.userId,
    account.userName,
    account.appId,
    account.tenantId,
    account.approvedBy,
    account.status,
    account.updatedAt,
  ];
}

/** An account row as the spec's record. */
export function accountFromRow(row: AccountRow): GatewayAccount {
  return {
    platform: row.platform,
    userId: row.user_id,
    userName: row.user_name,
    appId: row.app_id,
    tenantId: row.tenant_id,
    approvedBy: row.approved_by as GatewayApproval,
    status: row.status as GatewayAccountStatus,
    updatedAt: Number(row.updated_at),
  };
}

/** A `gateway_bindings` row (without its tenant). */
export interface BindingRow {
  chat_key: string;
  platform: string;
  session_id: string;
  updated_at: number | string;
}

/** A binding row as the spec's record. */
export function bindingFromRow(row: BindingRow): ChatBinding {
  return {
    chatKey: row.chat_key,
    platform: row.platform,
    sessionId: row.session_id,
    updatedAt: Number(row.updated_at),
  };
}
