/** One message of a conversation given to ingestion. */
export interface ConversationMessage {
  /** Who said it. */
  role: 'user' | 'assistant' | 'system' | 'tool';
  /** What was said. */
  content: string;
  /** When it was said (ISO 8601), if known. */
  createdAt?: string;
  /** Display name of the speaker, if known. */
  name?: string;
}
