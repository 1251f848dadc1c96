//! Typed payloads of the seed providers, for handlers: `let ev: bubble::BubbleEvent =
//! event.json()?`. Fields a provider may omit are `Option` or defaulted; unknown fields are
//! ignored so a provider adding fields never breaks a handler.

/// Bubble (Discord-like): `{"type": "...", "timestamp": "...", "data": {...}}`.
pub mod bubble {
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(tag = "type", content = "data")]
    pub enum BubbleEvent {
        #[serde(rename = "MESSAGE_CREATE")]
        MessageCreate(Message),
        #[serde(rename = "MESSAGE_UPDATE")]
        MessageUpdate(Message),
        #[serde(rename = "MESSAGE_DELETE")]
        MessageDelete(MessageRef),
        #[serde(rename = "DM_MESSAGE_CREATE")]
        DmMessageCreate(Message),
        #[serde(rename = "DM_MESSAGE_UPDATE")]
        DmMessageUpdate(Message),
        #[serde(rename = "DM_MESSAGE_DELETE")]
        DmMessageDelete(MessageRef),
        #[serde(rename = "GUILD_MEMBER_ADD")]
        GuildMemberAdd(Member),
        #[serde(rename = "GUILD_MEMBER_UPDATE")]
        GuildMemberUpdate(Member),
        #[serde(rename = "GUILD_MEMBER_REMOVE")]
        GuildMemberRemove(Member),
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct User {
        pub id: String,
        #[serde(default)]
        pub username: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Message {
        pub id: String,
        pub channel_id: String,
        #[serde(default)]
        pub guild_id: Option<String>,
        pub author: User,
        #[serde(default)]
        pub recipient: Option<User>,
        #[serde(default)]
        pub content: String,
        #[serde(default)]
        pub mentions: Vec<User>,
        #[serde(default)]
        pub edited_timestamp: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct MessageRef {
        pub id: String,
        pub channel_id: String,
        #[serde(default)]
        pub guild_id: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Member {
        pub guild_id: String,
        pub user: User,
        #[serde(default)]
        pub joined_at: Option<String>,
        #[serde(default)]
        pub roles: Vec<String>,
    }
}

/// The group manager: `{"event": "...", "timestamp": unix, "group": {...}, ...}`.
pub mod groupgm {
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(tag = "event")]
    pub enum GroupEvent {
        #[serde(rename = "message.received")]
        MessageReceived {
            timestamp: i64,
            group: Group,
            message: Message,
        },
        #[serde(rename = "member.joined")]
        MemberJoined {
            timestamp: i64,
            group: Group,
            member: Member,
        },
        #[serde(rename = "member.left")]
        MemberLeft {
            timestamp: i64,
            group: Group,
            member: Member,
        },
        #[serde(rename = "file.uploaded")]
        FileUploaded {
            timestamp: i64,
            group: Group,
            file: File,
            #[serde(default)]
            uploader: Option<Member>,
        },
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Group {
        pub id: String,
        #[serde(default)]
        pub name: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Member {
        pub user_id: String,
        #[serde(default)]
        pub display_name: Option<String>,
        #[serde(default)]
        pub role: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Message {
        pub id: String,
        #[serde(default)]
        pub text: String,
        #[serde(default)]
        pub sender: Option<Member>,
        #[serde(default)]
        pub edited_at: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct File {
        pub id: String,
        pub name: String,
        #[serde(default)]
        pub size: Option<u64>,
        #[serde(default)]
        pub mime_type: Option<String>,
        #[serde(default)]
        pub url: Option<String>,
    }
}

/// Sendbird group channel message events (`group_channel:message_send`, `..._update`,
/// `..._delete`): the fields the Sendbird webhook reference documents.
pub mod sendbird {
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct GroupChannelMessage {
        pub category: String,
        pub sender: User,
        #[serde(default)]
        pub members: Vec<Member>,
        #[serde(default)]
        pub mentioned_users: Vec<User>,
        #[serde(default, rename = "type")]
        pub message_type: Option<String>,
        pub payload: MessagePayload,
        pub channel: Channel,
        #[serde(default)]
        pub app_id: Option<String>,
        #[serde(default)]
        pub silent: bool,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct User {
        pub user_id: String,
        #[serde(default)]
        pub nickname: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Member {
        pub user_id: String,
        #[serde(default)]
        pub nickname: Option<String>,
        #[serde(default)]
        pub is_online: bool,
        #[serde(default = "yes")]
        pub is_active: bool,
    }

    fn yes() -> bool {
        true
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct MessagePayload {
        pub message_id: u64,
        #[serde(default)]
        pub message: String,
        #[serde(default)]
        pub custom_type: String,
        #[serde(default)]
        pub created_at: Option<i64>,
        #[serde(default)]
        pub updated_at: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Channel {
        pub channel_url: String,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub custom_type: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    #[test]
    fn every_seed_sample_parses_into_its_typed_payload() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_764_046_800).unwrap();
        for (provider, event, tpl, _) in samples::SAMPLES {
            let body = samples::render(tpl, now, 7);
            match *provider {
                "bubble" => {
                    let ev: bubble::BubbleEvent =
                        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{event}: {e}"));
                    if *event == "MESSAGE_CREATE" {
                        assert!(
                            matches!(ev, bubble::BubbleEvent::MessageCreate(m) if m.mentions.len() == 1)
                        );
                    }
                }
                "groupgm" => {
                    let _: groupgm::GroupEvent =
                        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{event}: {e}"));
                }
                "sendbird" => {
                    let m: sendbird::GroupChannelMessage = serde_json::from_str(&body).unwrap();
                    assert_eq!(m.members.len(), 3);
                }
                _ => {}
            }
        }
    }
}
