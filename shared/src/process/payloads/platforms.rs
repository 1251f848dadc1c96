//! Typed payloads of the chat platforms' message events, from their published examples
//! (`shared/fixtures/platforms/`, every one of which deserializes here) and reference pages.
//! Fields the examples do not always carry are `Option`; unknown fields are ignored.

/// Meta (WhatsApp Cloud API, Messenger, Instagram). hookwell hands each event as its own
/// notification: `object`, one entry, and in it one change or one messaging event.
pub mod meta {
    use super::super::Id;
    use serde::Deserialize;
    use serde_json::Value;

    /// A notification: `{"object": "...", "entry": [...]}`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Notification {
        /// `whatsapp_business_account`, `page` (Messenger), `instagram`, `user`, ...
        pub object: String,
        /// The entries; one per event as hookwell enqueues them.
        pub entry: Vec<Entry>,
    }

    /// An entry: the account, page or business the events are for.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Entry {
        /// The WhatsApp Business Account, page or Instagram account id.
        pub id: Id,
        /// When Meta sent it, unix milliseconds (Messenger's envelope; absent in WhatsApp's).
        #[serde(default)]
        pub time: Option<i64>,
        /// Field changes (WhatsApp, Page and Instagram subscriptions).
        #[serde(default)]
        pub changes: Vec<Change>,
        /// Messenger and Instagram messaging events.
        #[serde(default)]
        pub messaging: Vec<Messaging>,
    }

    /// One change of a subscribed field.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Change {
        /// The subscription field (`messages` for WhatsApp messages and statuses).
        pub field: String,
        /// The field's value; for WhatsApp, [`Change::whatsapp`] types it.
        pub value: Value,
    }

    impl Change {
        /// The value of a WhatsApp `messages` change, typed; `None` for other fields.
        pub fn whatsapp(&self) -> Option<WhatsAppValue> {
            serde_json::from_value(self.value.clone()).ok()
        }
    }

    /// WhatsApp's `messages` field value: incoming messages, or statuses of sent ones.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct WhatsAppValue {
        /// Always `whatsapp`.
        pub messaging_product: String,
        /// The business phone number the change is about.
        pub metadata: Metadata,
        /// The senders' profiles.
        #[serde(default)]
        pub contacts: Vec<Contact>,
        /// Incoming messages.
        #[serde(default)]
        pub messages: Vec<WhatsAppMessage>,
        /// Status updates (sent, delivered, read) of messages the business sent.
        #[serde(default)]
        pub statuses: Vec<Status>,
    }

    /// The business phone number.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Metadata {
        /// As displayed, e.g. `15550783881`.
        pub display_phone_number: String,
        /// The id to send replies from.
        pub phone_number_id: String,
    }

    /// A sender's profile.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Contact {
        /// The sender's WhatsApp id (their number).
        pub wa_id: String,
        /// Their profile, with `name`.
        #[serde(default)]
        pub profile: Option<Profile>,
    }

    /// A WhatsApp profile.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Profile {
        /// The profile name.
        pub name: String,
    }

    /// An incoming WhatsApp message.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct WhatsAppMessage {
        /// The sender's number.
        pub from: String,
        /// The message id (`wamid....`).
        pub id: String,
        /// Unix seconds, as a string.
        pub timestamp: String,
        /// `text`, `image`, `reaction`, ... (the field named after it holds the content).
        #[serde(rename = "type")]
        pub kind: String,
        /// For `text` messages.
        #[serde(default)]
        pub text: Option<Text>,
    }

    /// A text message's content.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Text {
        /// The text.
        pub body: String,
    }

    /// A status update of a message the business sent.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Status {
        /// The message's id (`wamid....`); up to three statuses share it.
        pub id: String,
        /// `sent`, `delivered`, `read`, `failed`.
        pub status: String,
        /// Unix seconds, as a string.
        pub timestamp: String,
        /// The recipient's number.
        pub recipient_id: String,
    }

    /// A Messenger or Instagram messaging event.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Messaging {
        /// Who sent it (a page-scoped id).
        pub sender: Party,
        /// The page (or Instagram account).
        pub recipient: Party,
        /// Unix milliseconds.
        pub timestamp: i64,
        /// A message, for `message` events.
        #[serde(default)]
        pub message: Option<Message>,
        /// A postback, for `postback` events.
        #[serde(default)]
        pub postback: Option<Postback>,
    }

    /// A sender or recipient.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Party {
        /// Its id.
        pub id: Id,
    }

    /// A Messenger message.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Message {
        /// The message id.
        pub mid: String,
        /// The text, for text messages.
        #[serde(default)]
        pub text: Option<String>,
        /// Attachments, as sent.
        #[serde(default)]
        pub attachments: Vec<Value>,
    }

    /// A postback: a button, Get Started or menu item was clicked.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Postback {
        /// The button's title.
        #[serde(default)]
        pub title: Option<String>,
        /// The developer-defined payload.
        #[serde(default)]
        pub payload: Option<String>,
    }
}

/// Telegram Bot API: one `Update` per POST.
pub mod telegram {
    use serde::Deserialize;
    use serde_json::Value;

    /// An update; at most one of its optional members is present.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Update {
        /// The update's unique identifier (per bot), increasing.
        pub update_id: i64,
        /// A new incoming message.
        #[serde(default)]
        pub message: Option<Message>,
        /// A new version of a message the bot knows.
        #[serde(default)]
        pub edited_message: Option<Message>,
        /// A new channel post.
        #[serde(default)]
        pub channel_post: Option<Message>,
        /// A button of an inline keyboard was pressed.
        #[serde(default)]
        pub callback_query: Option<CallbackQuery>,
    }

    /// A message.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Message {
        /// Unique inside its chat.
        pub message_id: i64,
        /// The sender; absent for channel posts.
        #[serde(default)]
        pub from: Option<User>,
        /// Unix seconds.
        pub date: i64,
        /// The chat it belongs to.
        pub chat: Chat,
        /// The text, for text messages.
        #[serde(default)]
        pub text: Option<String>,
    }

    /// A user or bot.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct User {
        /// Up to 52 significant bits.
        pub id: i64,
        /// Required by the reference; the published test updates leave it out.
        #[serde(default)]
        pub is_bot: Option<bool>,
        /// First name.
        pub first_name: String,
        /// Last name.
        #[serde(default)]
        pub last_name: Option<String>,
        /// `@username`, without the `@`.
        #[serde(default)]
        pub username: Option<String>,
    }

    /// A chat.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Chat {
        /// Up to 52 significant bits; negative for groups.
        pub id: i64,
        /// `private`, `group`, `supergroup` or `channel` (required by the reference; one
        /// published test update leaves it out).
        #[serde(rename = "type", default)]
        pub kind: Option<String>,
        /// For groups and channels.
        #[serde(default)]
        pub title: Option<String>,
        /// For private chats and some others.
        #[serde(default)]
        pub username: Option<String>,
    }

    /// An inline keyboard button press.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct CallbackQuery {
        /// The query's id (answer it with `answerCallbackQuery`).
        pub id: String,
        /// Who pressed.
        pub from: User,
        /// The message with the button, as sent.
        #[serde(default)]
        pub message: Option<Value>,
        /// The button's data.
        #[serde(default)]
        pub data: Option<String>,
    }
}

/// Discord interactions.
pub mod discord {
    use serde::Deserialize;
    use serde_json::Value;

    /// An interaction (`type` 2 = APPLICATION_COMMAND, 3 = MESSAGE_COMPONENT,
    /// 4 = APPLICATION_COMMAND_AUTOCOMPLETE, 5 = MODAL_SUBMIT; PINGs never reach handlers).
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Interaction {
        /// The interaction's id (a snowflake).
        pub id: String,
        /// The interaction type.
        #[serde(rename = "type")]
        pub kind: u8,
        /// The application's id (listed as required; the published slash-command example
        /// leaves it out).
        #[serde(default)]
        pub application_id: Option<String>,
        /// The token for follow-ups, valid 15 minutes.
        pub token: String,
        /// The command, component or modal data.
        #[serde(default)]
        pub data: Option<Value>,
        /// In a guild.
        #[serde(default)]
        pub guild_id: Option<String>,
        /// Where it was invoked.
        #[serde(default)]
        pub channel_id: Option<String>,
        /// The invoking member, in a guild.
        #[serde(default)]
        pub member: Option<Member>,
        /// The invoking user, in a DM.
        #[serde(default)]
        pub user: Option<User>,
    }

    impl Interaction {
        /// Who invoked it: the guild member's user, or the DM's user.
        pub fn invoker(&self) -> Option<&User> {
            self.member
                .as_ref()
                .and_then(|m| m.user.as_ref())
                .or(self.user.as_ref())
        }

        /// Where to `PATCH` the deferred answer hookwell gave
        /// (`/webhooks/{application.id}/{interaction.token}/messages/@original`), when the
        /// interaction names its application.
        pub fn original_response_url(&self) -> Option<String> {
            let app = self.application_id.as_deref()?;
            Some(format!(
                "https://discord.com/api/v10/webhooks/{app}/{}/messages/@original",
                self.token
            ))
        }

        /// The command's name, for APPLICATION_COMMAND and autocomplete interactions.
        pub fn command_name(&self) -> Option<&str> {
            self.data.as_ref()?.get("name")?.as_str()
        }
    }

    /// A guild member.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Member {
        /// The member's user.
        #[serde(default)]
        pub user: Option<User>,
        /// Their nickname in the guild.
        #[serde(default)]
        pub nick: Option<String>,
    }

    /// A user.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct User {
        /// A snowflake.
        pub id: String,
        /// The username.
        pub username: String,
    }
}

/// Microsoft Teams outgoing webhooks: a Bot Framework message activity.
pub mod teams {
    use serde::Deserialize;
    use serde_json::Value;

    /// An activity; outgoing webhooks receive `message` activities that @mention them.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Activity {
        /// `message`.
        #[serde(rename = "type")]
        pub kind: String,
        /// The activity's id (not documented as unique for outgoing webhooks).
        #[serde(default)]
        pub id: Option<String>,
        /// UTC, RFC 3339.
        #[serde(default)]
        pub timestamp: Option<String>,
        /// Who wrote it.
        #[serde(default)]
        pub from: Option<Account>,
        /// The conversation.
        #[serde(default)]
        pub conversation: Option<Conversation>,
        /// The text, with the webhook's @mention in it.
        #[serde(default)]
        pub text: Option<String>,
        /// `msteams`.
        #[serde(default)]
        pub channel_id: Option<String>,
        /// Teams' own data (tenant, team, channel), as sent.
        #[serde(default)]
        pub channel_data: Option<Value>,
    }

    /// A user or bot account.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Account {
        /// The account id.
        pub id: String,
        /// The display name.
        #[serde(default)]
        pub name: Option<String>,
        /// The Entra ID (Azure AD) object id.
        #[serde(default)]
        pub aad_object_id: Option<String>,
    }

    /// A conversation.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Conversation {
        /// The conversation id.
        pub id: String,
        /// `personal`, `groupChat` or `channel`.
        #[serde(default)]
        pub conversation_type: Option<String>,
    }
}

/// Zoom: `{"event": "...", "event_ts": ..., "payload": {...}}`.
pub mod zoom {
    use serde::Deserialize;
    use serde_json::Value;

    /// An event notification.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct ZoomEvent {
        /// `meeting.started`, `chat_message.sent`, ...
        pub event: String,
        /// When the event happened, unix milliseconds.
        pub event_ts: i64,
        /// The account and the event's object.
        pub payload: Payload,
    }

    /// An event's payload.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct Payload {
        /// The Zoom account.
        #[serde(default)]
        pub account_id: Option<String>,
        /// The meeting, message, ... the event is about, as sent.
        #[serde(default)]
        pub object: Value,
    }
}
