//! Typed payloads of the seed providers, for handlers: `let ev: bubble::BubbleEvent =
//! event.json()?`.
//!
//! The types follow the providers' own documentation (`shared/fixtures/providers/` holds the
//! documented bodies, byte for byte, and every one deserializes here): documented fields with
//! their documented types, ids as [`Id`] (a number or a string: the documents show both),
//! fields the documentation does not show as `Option`, unknown fields ignored, and event
//! types the documentation does not list reach an `Other` variant instead of failing.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// An identifier as a provider sends it: a JSON number (Bubble's `1001`) or a string (the
/// group manager's `"C1234567890"`). Kept as its decimal or string text, so comparing and
/// printing never depends on which of the two a provider chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// The id's text: a number's decimal digits, or the string as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The id as a number, when it is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Self(n.to_string())
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a string id")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// Parses a documented ISO 8601 timestamp (`2025-01-15T08:30:00Z`). The documents show only
/// the RFC 3339 form; anything else is `None` rather than a failed event.
pub fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// `{"<tag>": "...", ..., "data": {...}}`: the tag picks the variant, `data` its contents.
fn tagged<T: serde::de::DeserializeOwned, E: de::Error>(data: serde_json::Value) -> Result<T, E> {
    serde_json::from_value(data).map_err(E::custom)
}

mod platforms;
pub use platforms::{discord, meta, teams, telegram, zoom};

/// Bubble (Discord-like bot platform): `{"type": "...", "data": {...}}`, camelCase, numeric
/// ids. Only the `MESSAGE_CREATE` body is documented, so only it has required fields; the
/// other listed types are typed leniently, and unlisted types reach [`BubbleEvent::Other`].
pub mod bubble {
    use super::{tagged, Id};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A Bubble delivery, chosen by its `type`; each variant holds that type's `data`.
    #[derive(Debug, Clone, PartialEq)]
    pub enum BubbleEvent {
        /// The documented body (`examples/bubble-MESSAGE_CREATE.json`).
        MessageCreate(Message),
        /// `MESSAGE_UPDATE`: listed, but no body is documented, so every field is optional.
        MessageUpdate(MessageFields),
        /// `MESSAGE_DELETE`: listed, but no body is documented, so every field is optional.
        MessageDelete(MessageFields),
        /// `DM_MESSAGE_CREATE`: listed, but no body is documented, so every field is optional.
        DmMessageCreate(MessageFields),
        /// `DM_MESSAGE_UPDATE`: listed, but no body is documented, so every field is optional.
        DmMessageUpdate(MessageFields),
        /// `DM_MESSAGE_DELETE`: listed, but no body is documented, so every field is optional.
        DmMessageDelete(MessageFields),
        /// No member-event body is documented: `data` as sent.
        GuildMemberAdd(Value),
        /// `GUILD_MEMBER_REMOVE`: no body is documented either: `data` as sent.
        GuildMemberRemove(Value),
        /// A type the documentation does not list ("see the event reference for the
        /// complete list").
        Other {
            /// The `type` as sent.
            event_type: String,
            /// `data` as sent (`null` when absent).
            data: Value,
        },
    }

    impl BubbleEvent {
        /// The `type` as sent.
        pub fn event_type(&self) -> &str {
            match self {
                Self::MessageCreate(_) => "MESSAGE_CREATE",
                Self::MessageUpdate(_) => "MESSAGE_UPDATE",
                Self::MessageDelete(_) => "MESSAGE_DELETE",
                Self::DmMessageCreate(_) => "DM_MESSAGE_CREATE",
                Self::DmMessageUpdate(_) => "DM_MESSAGE_UPDATE",
                Self::DmMessageDelete(_) => "DM_MESSAGE_DELETE",
                Self::GuildMemberAdd(_) => "GUILD_MEMBER_ADD",
                Self::GuildMemberRemove(_) => "GUILD_MEMBER_REMOVE",
                Self::Other { event_type, .. } => event_type,
            }
        }
    }

    /// The undocumented message types: every field optional, and no `data` at all is an
    /// empty one rather than a failure.
    fn fields<E: serde::de::Error>(data: Value) -> Result<MessageFields, E> {
        if data.is_null() {
            return Ok(MessageFields::default());
        }
        tagged::<_, E>(data)
    }

    impl<'de> Deserialize<'de> for BubbleEvent {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            struct Raw {
                #[serde(rename = "type")]
                kind: String,
                #[serde(default)]
                data: Value,
            }
            let Raw { kind, data } = Raw::deserialize(d)?;
            Ok(match kind.as_str() {
                "MESSAGE_CREATE" => Self::MessageCreate(tagged::<_, D::Error>(data)?),
                "MESSAGE_UPDATE" => Self::MessageUpdate(fields::<D::Error>(data)?),
                "MESSAGE_DELETE" => Self::MessageDelete(fields::<D::Error>(data)?),
                "DM_MESSAGE_CREATE" => Self::DmMessageCreate(fields::<D::Error>(data)?),
                "DM_MESSAGE_UPDATE" => Self::DmMessageUpdate(fields::<D::Error>(data)?),
                "DM_MESSAGE_DELETE" => Self::DmMessageDelete(fields::<D::Error>(data)?),
                "GUILD_MEMBER_ADD" => Self::GuildMemberAdd(data),
                "GUILD_MEMBER_REMOVE" => Self::GuildMemberRemove(data),
                _ => Self::Other {
                    event_type: kind,
                    data,
                },
            })
        }
    }

    /// A `MESSAGE_CREATE`'s `data`, as documented.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Message {
        /// `data.id` (a number in the documented example).
        pub id: Id,
        /// `data.channelId` (a number in the documented example).
        pub channel_id: Id,
        /// `data.guildId` (a number in the documented example).
        pub guild_id: Id,
        /// `data.content`: the message text.
        pub content: String,
        /// `data.author`: who sent the message.
        pub author: Author,
        /// ISO 8601; [`super::parse_time`] reads it.
        pub timestamp: String,
    }

    /// A `MESSAGE_CREATE`'s `data.author`, as documented.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Author {
        /// `data.author.id` (a number in the documented example).
        pub id: Id,
        /// `data.author.name`.
        pub name: String,
    }

    /// The other message events' `data`: the documented message fields, each optional, since
    /// no body of these types is documented.
    #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MessageFields {
        /// `data.id`; `None` when absent.
        #[serde(default)]
        pub id: Option<Id>,
        /// `data.channelId`; `None` when absent.
        #[serde(default)]
        pub channel_id: Option<Id>,
        /// `data.guildId`; `None` when absent.
        #[serde(default)]
        pub guild_id: Option<Id>,
        /// `data.content`; `None` when absent.
        #[serde(default)]
        pub content: Option<String>,
        /// `data.author`; `None` when absent.
        #[serde(default)]
        pub author: Option<AuthorFields>,
        /// `data.timestamp`; `None` when absent. [`super::parse_time`] reads it.
        #[serde(default)]
        pub timestamp: Option<String>,
    }

    /// `data.author` of the undocumented message events: each field optional.
    #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
    pub struct AuthorFields {
        /// `data.author.id`; `None` when absent.
        #[serde(default)]
        pub id: Option<Id>,
        /// `data.author.name`; `None` when absent.
        #[serde(default)]
        pub name: Option<String>,
    }
}

/// The group manager (群組GM): `{"event": "...", "timestamp": "<ISO 8601>", "data": {...}}`,
/// four documented events. `timestamp` has one-second resolution: it never identifies an
/// event.
pub mod groupgm {
    use super::{tagged, Id};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A group manager delivery, chosen by its `event`; each variant holds the top-level
    /// `timestamp` and that event's `data`.
    #[derive(Debug, Clone, PartialEq)]
    pub enum GroupEvent {
        /// `message.received` (`examples/groupgm-message.received.json`).
        MessageReceived {
            /// The top-level `timestamp` (ISO 8601); empty when absent.
            timestamp: String,
            /// Its `data`.
            data: MessageReceived,
        },
        /// `member.joined` (`examples/groupgm-member.joined.json`).
        MemberJoined {
            /// The top-level `timestamp` (ISO 8601); empty when absent.
            timestamp: String,
            /// Its `data`.
            data: MemberChange,
        },
        /// `member.left` (`examples/groupgm-member.left.json`).
        MemberLeft {
            /// The top-level `timestamp` (ISO 8601); empty when absent.
            timestamp: String,
            /// Its `data`.
            data: MemberChange,
        },
        /// `file.uploaded` (`examples/groupgm-file.uploaded.json`).
        FileUploaded {
            /// The top-level `timestamp` (ISO 8601); empty when absent.
            timestamp: String,
            /// Its `data`.
            data: FileUploaded,
        },
        /// An event the documentation does not list.
        Other {
            /// The `event` as sent.
            event: String,
            /// The top-level `timestamp` as sent; empty when absent.
            timestamp: String,
            /// `data` as sent (`null` when absent).
            data: Value,
        },
    }

    impl GroupEvent {
        /// The `event` as sent.
        pub fn event(&self) -> &str {
            match self {
                Self::MessageReceived { .. } => "message.received",
                Self::MemberJoined { .. } => "member.joined",
                Self::MemberLeft { .. } => "member.left",
                Self::FileUploaded { .. } => "file.uploaded",
                Self::Other { event, .. } => event,
            }
        }
        /// The ISO 8601 `timestamp` (one-second resolution).
        pub fn timestamp(&self) -> &str {
            match self {
                Self::MessageReceived { timestamp, .. }
                | Self::MemberJoined { timestamp, .. }
                | Self::MemberLeft { timestamp, .. }
                | Self::FileUploaded { timestamp, .. }
                | Self::Other { timestamp, .. } => timestamp,
            }
        }
        /// The channel of a documented event.
        pub fn channel_id(&self) -> Option<&Id> {
            match self {
                Self::MessageReceived { data, .. } => Some(&data.channel_id),
                Self::MemberJoined { data, .. } | Self::MemberLeft { data, .. } => {
                    Some(&data.channel_id)
                }
                Self::FileUploaded { data, .. } => Some(&data.channel_id),
                Self::Other { .. } => None,
            }
        }
    }

    impl<'de> Deserialize<'de> for GroupEvent {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            struct Raw {
                event: String,
                #[serde(default)]
                timestamp: String,
                #[serde(default)]
                data: Value,
            }
            let Raw {
                event,
                timestamp,
                data,
            } = Raw::deserialize(d)?;
            Ok(match event.as_str() {
                "message.received" => Self::MessageReceived {
                    timestamp,
                    data: tagged::<_, D::Error>(data)?,
                },
                "member.joined" => Self::MemberJoined {
                    timestamp,
                    data: tagged::<_, D::Error>(data)?,
                },
                "member.left" => Self::MemberLeft {
                    timestamp,
                    data: tagged::<_, D::Error>(data)?,
                },
                "file.uploaded" => Self::FileUploaded {
                    timestamp,
                    data: tagged::<_, D::Error>(data)?,
                },
                _ => Self::Other {
                    event,
                    timestamp,
                    data,
                },
            })
        }
    }

    /// A group manager user: `data.sender` or `data.member`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct User {
        /// `userId` (a string in the documented examples).
        pub user_id: Id,
        /// `displayName`.
        pub display_name: String,
    }

    /// `message.received`'s `data`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MessageReceived {
        /// `data.channelId`.
        pub channel_id: Id,
        /// `data.messageId`.
        pub message_id: Id,
        /// `data.sender`: who sent the message.
        pub sender: User,
        /// `text` in the documented example; other kinds are not listed.
        #[serde(rename = "type")]
        pub message_type: String,
        /// `data.content`: the message text.
        pub content: String,
    }

    /// `member.joined` and `member.left`'s `data`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MemberChange {
        /// `data.channelId`.
        pub channel_id: Id,
        /// `data.member`: who joined or left.
        pub member: User,
    }

    /// `file.uploaded`'s `data`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct FileUploaded {
        /// `data.channelId`.
        pub channel_id: Id,
        /// `data.messageId`.
        pub message_id: Id,
        /// `data.sender`: who uploaded the file.
        pub sender: User,
        /// `data.fileType` (`image` in the documented example).
        pub file_type: String,
        /// Bytes.
        pub file_size: u64,
    }
}

/// Sendbird group channel message events (`group_channel:message_send`, `..._update`,
/// `..._delete`): the fields the Sendbird webhook reference documents.
pub mod sendbird {
    use serde::Deserialize;

    /// A group channel message event's body. The provider notes show no Sendbird body: here
    /// `category`, `sender`, `payload` and `channel` are required, the rest default when absent.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct GroupChannelMessage {
        /// `category`: the event, e.g. `group_channel:message_send`.
        pub category: String,
        /// `sender`: who sent the message.
        pub sender: User,
        /// `members`: the channel's members; empty when absent.
        #[serde(default)]
        pub members: Vec<Member>,
        /// `mentioned_users`; empty when absent.
        #[serde(default)]
        pub mentioned_users: Vec<User>,
        /// `type`: the message's kind; `None` when absent.
        #[serde(default, rename = "type")]
        pub message_type: Option<String>,
        /// `payload`: the message itself.
        pub payload: MessagePayload,
        /// `channel`: the group channel the message was sent in.
        pub channel: Channel,
        /// `app_id`; `None` when absent.
        #[serde(default)]
        pub app_id: Option<String>,
        /// `silent`; `false` when absent.
        #[serde(default)]
        pub silent: bool,
    }

    /// A Sendbird user: the `sender`, or one of the `mentioned_users`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct User {
        /// `user_id`.
        pub user_id: String,
        /// `nickname`; `None` when absent.
        #[serde(default)]
        pub nickname: Option<String>,
    }

    /// One of the channel's `members`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Member {
        /// `user_id`.
        pub user_id: String,
        /// `nickname`; `None` when absent.
        #[serde(default)]
        pub nickname: Option<String>,
        /// `is_online`; `false` when absent.
        #[serde(default)]
        pub is_online: bool,
        /// `is_active`; `true` when absent.
        #[serde(default = "yes")]
        pub is_active: bool,
    }

    fn yes() -> bool {
        true
    }

    /// The message event's `payload`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct MessagePayload {
        /// `payload.message_id`: required, a number.
        pub message_id: u64,
        /// `payload.message`: the message text; empty when absent.
        #[serde(default)]
        pub message: String,
        /// `payload.custom_type`; empty when absent.
        #[serde(default)]
        pub custom_type: String,
        /// `payload.created_at` as sent (the provider notes give no unit); `None` when absent.
        #[serde(default)]
        pub created_at: Option<i64>,
        /// `payload.updated_at` as sent (the provider notes give no unit); `None` when absent.
        #[serde(default)]
        pub updated_at: Option<i64>,
    }

    /// The message event's `channel`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Channel {
        /// `channel.channel_url`: required.
        pub channel_url: String,
        /// `channel.name`; `None` when absent.
        #[serde(default)]
        pub name: Option<String>,
        /// `channel.custom_type`; empty when absent.
        #[serde(default)]
        pub custom_type: String,
    }
}

#[cfg(test)]
mod tests;
