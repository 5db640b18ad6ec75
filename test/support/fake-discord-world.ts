/**
 * The fixed world of the fake Discord (test/support/fake-discord.ts): one guild with a text
 * channel and a thread in it, a DM channel, the bot, a user and another bot, as API objects with
 * real-looking snowflakes, and the MESSAGE_CREATE payload builder.
 */

/** A user object as the API sends it. */
export interface FakeDiscordUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: null;
  bot?: boolean;
}

const ids = {
  guild: '1100000000000000001',
  channel: '1100000000000000002',
  thread: '1100000000000000003',
  dm: '1100000000000000004',
  bot: '1100000000000000010',
  user: '1100000000000000011',
  otherBot: '1100000000000000012',
  /** The role Discord creates for the bot when it joins (managed, tagged with its id). */
  botRole: '1100000000000000020',
} as const;

const user = (id: string, username: string, globalName: string | null, bot = false) => ({
  id,
  username,
  discriminator: '0',
  global_name: globalName,
  avatar: null,
  ...(bot ? { bot: true } : {}),
});

const users = {
  bot: user(ids.bot, 'mnemos', null, true),
  user: user(ids.user, 'ada', 'Ada Lovelace'),
  otherBot: user(ids.otherBot, 'otherbot', null, true),
} satisfies Record<string, FakeDiscordUser>;

const textChannel = {
  id: ids.channel,
  type: 0,
  guild_id: ids.guild,
  name: 'general',
  position: 0,
  permission_overwrites: [],
  parent_id: null,
  topic: null,
  nsfw: false,
  last_message_id: null,
  rate_limit_per_user: 0,
};

const thread = {
  id: ids.thread,
  type: 11,
  guild_id: ids.guild,
  parent_id: ids.channel,
  owner_id: ids.user,
  name: 'a thread',
  last_message_id: null,
  message_count: 0,
  member_count: 1,
  rate_limit_per_user: 0,
  thread_metadata: {
    archived: false,
    auto_archive_duration: 1440,
    archive_timestamp: '2026-01-01T00:00:00.000Z',
    locked: false,
  },
};

const dmChannel = { id: ids.dm, type: 1, last_message_id: null, recipients: [users.user] };

const member = (who: FakeDiscordUser) => ({
  user: who,
  roles: who.id === ids.bot ? [ids.botRole] : [],
  joined_at: '2026-01-01T00:00:00.000Z',
  deaf: false,
  mute: false,
  nick: null,
  flags: 0,
});

const guild = {
  id: ids.guild,
  name: 'Test Guild',
  icon: null,
  owner_id: ids.user,
  unavailable: false,
  member_count: 3,
  large: false,
  joined_at: '2026-01-01T00:00:00.000Z',
  features: [],
  roles: [
    {
      id: ids.guild,
      name: '@everyone',
      color: 0,
      hoist: false,
      position: 0,
      permissions: '1071698660929',
      managed: false,
      mentionable: false,
      flags: 0,
    },
    {
      id: ids.botRole,
      name: 'mnemos',
      color: 0,
      hoist: false,
      position: 1,
      permissions: '274877910016',
      managed: true,
      mentionable: false,
      flags: 0,
      tags: { bot_id: ids.bot },
    },
  ],
  emojis: [],
  stickers: [],
  channels: [textChannel],
  threads: [thread],
  members: [member(users.bot), member(users.user)],
  voice_states: [],
  presences: [],
  stage_instances: [],
  guild_scheduled_events: [],
  soundboard_sounds: [],
  preferred_locale: 'en-US',
  system_channel_id: null,
  afk_channel_id: null,
  afk_timeout: 300,
  verification_level: 0,
  default_message_notifications: 0,
  explicit_content_filter: 0,
  mfa_level: 0,
  premium_tier: 0,
  nsfw_level: 0,
};

/** The fake's world: ids, users, the guild (as GUILD_CREATE sends it) and channels by id. */
export const fakeDiscordWorld = {
  ids,
  users,
  guild,
  channels: new Map<string, Record<string, unknown>>([
    [ids.channel, textChannel],
    [ids.thread, thread],
    [ids.dm, dmChannel],
  ]),
};

/** A message object as MESSAGE_CREATE carries it; mentions parsed from `<@id>` like Discord. */
export function messageObject(
  world: typeof fakeDiscordWorld,
  input: {
    id: string;
    channel: Record<string, unknown>;
    author: FakeDiscordUser;
    content: string;
    attachments?: unknown[];
    replied?: Record<string, unknown>;
  },
): Record<string, unknown> {
  const all: FakeDiscordUser[] = Object.values(world.users);
  const mentionIds = new Set([...input.content.matchAll(/<@!?(\d{17,20})>/gu)].map((m) => m[1]));
  const mentions = all.filter((u) => mentionIds.has(u.id));
  const repliedAuthor = input.replied?.author as FakeDiscordUser | undefined;
  if (repliedAuthor !== undefined && !mentions.some((u) => u.id === repliedAuthor.id))
    mentions.push(repliedAuthor);
  const guildId = input.channel.guild_id as string | undefined;
  return {
    id: input.id,
    type: input.replied !== undefined ? 19 : 0,
    channel_id: input.channel.id,
    channel_type: input.channel.type,
    ...(guildId !== undefined
      ? { guild_id: guildId, member: { ...member(input.author), user: undefined } }
      : {}),
    author: input.author,
    content: input.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions,
    mention_roles: [...input.content.matchAll(/<@&(\d{17,20})>/gu)].map((m) => m[1]),
    attachments: input.attachments ?? [],
    embeds: [],
    pinned: false,
    flags: 0,
    ...(input.replied !== undefined
      ? {
          message_reference: {
            type: 0,
            message_id: input.replied.id,
            channel_id: input.channel.id,
            ...(guildId !== undefined ? { guild_id: guildId } : {}),
          },
          referenced_message: input.replied,
        }
      : {}),
  };
}
