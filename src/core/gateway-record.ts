/** Messaging platforms the gateway connects to. */
export const gatewayPlatforms = ['telegram', 'slack', 'discord', 'email'] as const;

/** One messaging platform. */
export type GatewayPlatform = (typeof gatewayPlatforms)[number];

/** How a messaging account came to be allowed. */
export type GatewayApproval = 'allowlist' | 'pairing' | 'identity';

/** Where an account stands: allowed, allowed no more (may pair again), or refused for good. */
export type GatewayAccountStatus = 'approved' | 'revoked' | 'denied';

/** An unknown person's request to talk to the agent, waiting for the owner's `gateway pair CODE`. */
export interface PairingRequest {
  platform: string;
  userId: string;
  chatId: string;
  userName: string | null;
  /** SHA-256 (hex) of the code; the code itself is never stored. */
  codeHash: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms after which the code no longer pairs. */
  expiresAt: number;
}

/** A messaging account (platform + user id) and the tenant it speaks for. */
export interface GatewayAccount {
  platform: string;
  userId: string;
  userName: string | null;
  appId: string;
  tenantId: string;
  approvedBy: GatewayApproval;
  status: GatewayAccountStatus;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

/** The session a chat (or thread) of one tenant continues. */
export interface ChatBinding {
  /** `<platform>:<dm|group>:<chatId>[:<threadId>]`. */
  chatKey: string;
  platform: string;
  sessionId: string;
  /** Epoch ms. */
  updatedAt: number;
}
