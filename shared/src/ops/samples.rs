//! Sample deliveries for every built-in provider: what `hookwell send` posts, what the tests,
//! the soak and the sample Lambda events use. The seed providers' samples are their
//! documented bodies ([`DOCUMENTED`]); the others follow the providers' published examples.
//! `{{id}}` (hex), `{{seed}}`, `{{seq}}` (at least 3 digits), `{{d10}}` (10 digits), `{{num}}`,
//! `{{uuid}}`, `{{now}}` (unix s), `{{now_ms}}`, `{{iso}}` and `{{iso_s}}` (whole seconds, `Z`)
//! are filled per delivery so two sends are two events, while `--repeat` resends the same
//! bytes as a provider retry would.

/// (provider, event, body template, extra headers as (name, template)).
pub type Sample = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Every built-in sample delivery, grouped by provider; a provider's first is its default
/// (what [`find`] returns without an event).
pub const SAMPLES: &[Sample] = &[
    // The seed providers' samples are their documented bodies (`DOCUMENTED` below), with the
    // values that differ between two events filled per delivery; a test renders each with the
    // documented values and compares the bytes. Bubble documents only MESSAGE_CREATE's body.
    (
        "bubble",
        "MESSAGE_CREATE",
        "{\n  \"type\": \"MESSAGE_CREATE\",\n  \"data\": {\n    \"id\": {{seed}},\n    \"channelId\": 5,\n    \"guildId\": 10,\n    \"content\": \"Hello!\",\n    \"author\": {\n      \"id\": 1,\n      \"name\": \"user\"\n    },\n    \"timestamp\": \"{{iso_s}}\"\n  }\n}\n",
        &[("X-Bubble-Event", "MESSAGE_CREATE")],
    ),
    (
        "groupgm",
        "message.received",
        "{\n  \"event\": \"message.received\",\n  \"timestamp\": \"{{iso_s}}\",\n  \"data\": {\n    \"channelId\": \"C1234567890\",\n    \"messageId\": \"msg_{{seq}}\",\n    \"sender\": {\n      \"userId\": \"U1234567890\",\n      \"displayName\": \"王小明\"\n    },\n    \"type\": \"text\",\n    \"content\": \"大家早安!\"\n  }\n}\n",
        &[],
    ),
    (
        "groupgm",
        "member.joined",
        "{\n  \"event\": \"member.joined\",\n  \"timestamp\": \"{{iso_s}}\",\n  \"data\": {\n    \"channelId\": \"C1234567890\",\n    \"member\": {\n      \"userId\": \"U{{d10}}\",\n      \"displayName\": \"李小華\"\n    }\n  }\n}\n",
        &[],
    ),
    (
        "groupgm",
        "member.left",
        "{\n  \"event\": \"member.left\",\n  \"timestamp\": \"{{iso_s}}\",\n  \"data\": {\n    \"channelId\": \"C1234567890\",\n    \"member\": {\n      \"userId\": \"U{{d10}}\",\n      \"displayName\": \"李小華\"\n    }\n  }\n}\n",
        &[],
    ),
    (
        "groupgm",
        "file.uploaded",
        "{\n  \"event\": \"file.uploaded\",\n  \"timestamp\": \"{{iso_s}}\",\n  \"data\": {\n    \"channelId\": \"C1234567890\",\n    \"messageId\": \"msg_{{seq}}\",\n    \"sender\": {\n      \"userId\": \"U1234567890\",\n      \"displayName\": \"王小明\"\n    },\n    \"fileType\": \"image\",\n    \"fileSize\": 102400\n  }\n}\n",
        &[],
    ),
    (
        "sendbird",
        "group_channel:message_send",
        r#"{"category":"group_channel:message_send","sender":{"user_id":"alice","nickname":"Alice","profile_url":""},"silent":false,"sdk":"JavaScript","custom_type":"","mention_type":"users","mentioned_users":[],"members":[{"user_id":"alice","nickname":"Alice","is_online":true,"is_active":true},{"user_id":"bob","nickname":"Bob","is_online":false,"is_active":true},{"user_id":"carol","nickname":"Carol","is_online":false,"is_active":true}],"type":"MESG","payload":{"message_id":{{num}},"custom_type":"","message":"Dinner is ready!","translations":{},"created_at":{{now_ms}},"data":""},"channel":{"channel_url":"sendbird_group_channel_family","name":"Family","custom_type":"","is_distinct":false,"is_public":false,"is_super":false,"is_ephemeral":false,"is_discoverable":false,"data":""},"app_id":"6D5D7C0A-3F1E-4B7B-9E0C-000000000000"}"#,
        &[],
    ),
    (
        "github",
        "push",
        r#"{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"{{id}}","repository":{"id":1296269,"full_name":"octocat/Hello-World"},"pusher":{"name":"octocat"},"commits":[]}"#,
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "{{uuid}}"),
            ("X-GitHub-Hook-ID", "292430182"),
        ],
    ),
    (
        "stripe",
        "invoice.paid",
        r#"{"id":"evt_{{id}}","object":"event","api_version":"2024-06-20","created":{{now}},"type":"invoice.paid","livemode":false,"pending_webhooks":1,"data":{"object":{"id":"in_{{id}}","object":"invoice","amount_paid":2000,"currency":"usd","customer":"cus_123"}}}"#,
        &[],
    ),
    (
        "slack",
        "app_mention",
        r#"{"token":"unused","team_id":"T061EG9R6","api_app_id":"A0PNCHHK2","type":"event_callback","event_id":"Ev{{id}}","event_time":{{now}},"event":{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> is it everything a river should be?","ts":"{{now}}.000200","channel":"C0LAN2Q65","event_ts":"{{now}}.000200"}}"#,
        &[],
    ),
    (
        "shopify",
        "orders/create",
        r#"{"id":{{num}},"email":"jon@example.com","created_at":"{{iso}}","currency":"USD","total_price":"19.99","line_items":[{"id":1,"title":"Trail mix","quantity":1,"price":"19.99"}]}"#,
        &[
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Webhook-Id", "{{uuid}}"),
            ("X-Shopify-Shop-Domain", "hookwell-dev.myshopify.com"),
            ("X-Shopify-API-Version", "2025-10"),
        ],
    ),
    (
        "line",
        "message",
        r#"{"destination":"U0000000000000000000000000000dev","events":[{"type":"message","message":{"type":"text","id":"{{num}}","quoteToken":"q{{id}}","text":"Hello, hookwell"},"webhookEventId":"01{{ID}}","deliveryContext":{"isRedelivery":false},"timestamp":{{now_ms}},"source":{"type":"user","userId":"U4af4980629000000000000000000dev"},"replyToken":"r{{id}}","mode":"active"}]}"#,
        &[],
    ),
    (
        "standard",
        "user.created",
        r#"{"type":"user.created","timestamp":"{{iso}}","data":{"id":"user_{{id}}","email":"new.user@example.com"}}"#,
        &[],
    ),
    // The chat platforms' samples are their published examples (`PLATFORMS` below), with
    // the values that tell two events apart filled per delivery.
    (
        "meta",
        "messages",
        r#"{
  "object": "whatsapp_business_account",
  "entry": [
    {
      "id": "102290129340398",
      "changes": [
        {
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {
              "display_phone_number": "15550783881",
              "phone_number_id": "106540352242922"
            },
            "contacts": [
              {
                "profile": {
                  "name": "Sheena Nelson"
                },
                "wa_id": "16505551234"
              }
            ],
            "messages": [
              {
                "from": "16505551234",
                "id": "wamid.HBgL{{ID}}",
                "timestamp": "{{now}}",
                "type": "text",
                "text": {
                  "body": "Does it come in another color?"
                }
              }
            ]
          },
          "field": "messages"
        }
      ]
    }
  ]
}
"#,
        &[],
    ),
    (
        "meta",
        "statuses",
        r#"{
  "object": "whatsapp_business_account",
  "entry": [
    {
      "id": "102290129340398",
      "changes": [
        {
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {
              "display_phone_number": "15550783881",
              "phone_number_id": "106540352242922"
            },
            "statuses": [
              {
                "id": "wamid.HBgL{{ID}}",
                "status": "delivered",
                "timestamp": "{{now}}",
                "recipient_id": "16505551234",
                "conversation": {
                  "id": "6ceb9d929c9bdc4f90e967a32f8639b4",
                  "origin": {
                    "type": "service"
                  }
                },
                "pricing": {
                  "billable": true,
                  "pricing_model": "CBP",
                  "category": "service"
                }
              }
            ]
          },
          "field": "messages"
        }
      ]
    }
  ]
}
"#,
        &[],
    ),
    (
        "meta",
        "message",
        r#"{
  "object": "page",
  "entry": [
    {
      "id": "<PAGE_ID>",
      "time": {{now_ms}},
      "messaging": [
        {
          "sender": {
            "id": "<PSID>"
          },
          "recipient": {
            "id": "<PAGE_ID>"
          },
          "timestamp": {{now_ms}},
          "message": {
            "mid": "mid.{{now_ms}}:{{id}}",
            "text": "hello, world!"
          }
        }
      ]
    }
  ]
}
"#,
        &[],
    ),
    (
        "telegram",
        "message",
        r#"{
"update_id":{{seed}},
"message":{
  "date":{{now}},
  "chat":{
     "last_name":"Test Lastname",
     "id":1111111,
     "type": "private",
     "first_name":"Test Firstname",
     "username":"Testusername"
  },
  "message_id":1365,
  "from":{
     "last_name":"Test Lastname",
     "id":1111111,
     "first_name":"Test Firstname",
     "username":"Testusername"
  },
  "text":"/start"
}
}
"#,
        &[],
    ),
    (
        "discord",
        "APPLICATION_COMMAND",
        r#"{
    "type": 2,
    "token": "A_UNIQUE_TOKEN",
    "member": {
        "user": {
            "id": "53908232506183680",
            "username": "Mason",
            "avatar": "a_d5efa99b3eeaa7dd43acca82f5692432",
            "discriminator": "1337",
            "public_flags": 131141
        },
        "roles": ["539082325061836999"],
        "premium_since": null,
        "permissions": "2147483647",
        "pending": false,
        "nick": null,
        "mute": false,
        "joined_at": "2017-03-13T19:19:14.040000+00:00",
        "is_pending": false,
        "deaf": false
    },
    "id": "{{num}}",
    "guild_id": "290926798626357999",
    "app_permissions": "442368",
    "guild_locale": "en-US",
    "locale": "en-US",
    "data": {
        "options": [{
            "type": 3,
            "name": "cardname",
            "value": "The Gitrog Monster"
        }],
        "type": 1,
        "name": "cardsearch",
        "id": "771825006014889984"
    },
    "channel_id": "645027906669510667"
}
"#,
        &[],
    ),
    (
        "teams",
        "message",
        r#"{
    "type": "message",
    "id": "{{num}}",
    "timestamp": "{{iso}}",
    "localTimestamp": "2017-02-01T14:10:07.437-07:00",
    "serviceUrl": "https://smba.trafficmanager.net/amer/",
    "channelId": "msteams",
    "from": {
        "id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw",
        "name": "Megan Bowen",
        "aadObjectId": "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"
    },
    "conversation": {
        "conversationType": "personal",
        "id": "a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-"
    },
    "recipient": {
        "id": "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c",
        "name": "Teams TestBot"
    },
    "textFormat": "plain",
    "text": "Hello Teams TestBot",
    "entities": [
      { 
        "locale": "en-US",
        "country": "US",
        "platform": "Windows",
        "timezone": "America/Los_Angeles",
        "type": "clientInfo"
      }
    ],
    "channelData": {
        "tenant": {
            "id": "72f988bf-86f1-41af-91ab-2d7cd011db47"
        }
    },
    "locale": "en-US"
}
"#,
        &[],
    ),
    (
        "zoom",
        "meeting.started",
        r#"{
  "event": "meeting.started",
  "event_ts": {{now_ms}},
  "payload": {
    "account_id": "Wk9PTV9BQ0NPVU5UX0lE",
    "object": {
      "id": "{{d10}}",
      "uuid": "Wk9PTV9NRUVUSU5HX0lE",
      "host_id": "Wk9PTV9VU0VSX0lE",
      "topic": "My Meeting",
      "type": 8,
      "start_time": "2021-07-13T21:44:51Z",
      "timezone": "America/Los_Angeles",
      "duration": 60
    }
  }
}
"#,
        &[],
    ),
    (
        "zoom",
        "endpoint.url_validation",
        r#"{
  "payload": {
    "plainToken": "{{id}}"
  },
  "event_ts": {{now_ms}},
  "event": "endpoint.url_validation"
}
"#,
        &[],
    ),
    (
        "acme",
        "order.shipped",
        r#"{"order":"ord_{{id}}","status":"shipped"}"#,
        &[
            ("X-Acme-Event", "order.shipped"),
            ("X-Acme-Delivery", "dlv_{{id}}"),
        ],
    ),
];

/// The seed providers' documented bodies, byte for byte (copies of
/// `shared/providers/examples/`): (provider, event type, body).
pub const DOCUMENTED: &[(&str, &str, &str)] = &[
    (
        "bubble",
        "MESSAGE_CREATE",
        include_str!("../../fixtures/providers/bubble-MESSAGE_CREATE.json"),
    ),
    (
        "groupgm",
        "message.received",
        include_str!("../../fixtures/providers/groupgm-message.received.json"),
    ),
    (
        "groupgm",
        "member.joined",
        include_str!("../../fixtures/providers/groupgm-member.joined.json"),
    ),
    (
        "groupgm",
        "member.left",
        include_str!("../../fixtures/providers/groupgm-member.left.json"),
    ),
    (
        "groupgm",
        "file.uploaded",
        include_str!("../../fixtures/providers/groupgm-file.uploaded.json"),
    ),
];

/// A published example: (platform, event type, body, (placeholder, published value) pairs).
pub type Published = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The chat platforms' published examples, byte for byte (copies in
/// `shared/fixtures/platforms/`, sources in its README): (platform, event type, body, and the
/// (placeholder, published value) pairs that turn the sample's template back into it).
pub const PLATFORMS: &[Published] = &[
    (
        "meta",
        "messages",
        include_str!("../../fixtures/platforms/meta-whatsapp-messages.json"),
        &[
            (
                r#"wamid.HBgL{{ID}}"#,
                r#"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="#,
            ),
            (r#""{{now}}""#, r#""1749416383""#),
        ],
    ),
    (
        "meta",
        "statuses",
        include_str!("../../fixtures/platforms/meta-whatsapp-status.json"),
        &[
            (
                r#"wamid.HBgL{{ID}}"#,
                r#"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"#,
            ),
            (r#""{{now}}""#, r#""1750263773""#),
        ],
    ),
    (
        "meta",
        "message",
        include_str!("../../fixtures/platforms/meta-messenger-message.json"),
        &[
            (
                r#"mid.{{now_ms}}:{{id}}"#,
                r#"mid.1457764197618:41d102a3e1ae206a38"#,
            ),
            (r#"{{now_ms}}"#, r#"1458692752478"#),
        ],
    ),
    (
        "telegram",
        "message",
        include_str!("../../fixtures/platforms/telegram-message.json"),
        &[
            (r#""update_id":{{seed}}"#, r#""update_id":10000"#),
            (r#""date":{{now}}"#, r#""date":1441645532"#),
        ],
    ),
    (
        "discord",
        "APPLICATION_COMMAND",
        include_str!("../../fixtures/platforms/discord-application-command.json"),
        &[(r#""id": "{{num}}""#, r#""id": "786008729715212338""#)],
    ),
    (
        "teams",
        "message",
        include_str!("../../fixtures/platforms/teams-message.json"),
        &[
            (r#""id": "{{num}}""#, r#""id": "1485983408511""#),
            (
                r#""timestamp": "{{iso}}""#,
                r#""timestamp": "2017-02-01T21:10:07.437Z""#,
            ),
        ],
    ),
    (
        "zoom",
        "meeting.started",
        include_str!("../../fixtures/platforms/zoom-meeting.started.json"),
        &[
            (r#""event_ts": {{now_ms}}"#, r#""event_ts": 1626230691572"#),
            (r#""id": "{{d10}}""#, r#""id": "1234567890""#),
        ],
    ),
    (
        "zoom",
        "endpoint.url_validation",
        include_str!("../../fixtures/platforms/zoom-endpoint.url_validation.json"),
        &[
            (
                r#""plainToken": "{{id}}""#,
                r#""plainToken": "qgg8vlvZRS6UYooatFL8Aw""#,
            ),
            (r#""event_ts": {{now_ms}}"#, r#""event_ts": 1654503849680"#),
        ],
    ),
];

/// `2025-01-15T08:30:00Z`: the documented timestamp form (UTC, whole seconds).
fn iso_seconds(now: time::OffsetDateTime) -> String {
    // RFC 3339 leaves out a zero fraction of a second.
    now.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The samples for a provider or scheme name, exactly (a configured source gets its samples
/// through [`for_source`], which also tries its identity preset and scheme).
pub fn for_scheme(scheme: &str) -> impl Iterator<Item = &'static Sample> + '_ {
    SAMPLES.iter().filter(move |s| s.0 == scheme)
}

/// The samples that fit a configured source: its own name's, then its identity preset's,
/// then its scheme's (a URL-token source with the `bubble` preset gets Bubble's).
pub fn for_source<'a>(
    name: &'a str,
    source: &'a crate::config::Source,
) -> impl Iterator<Item = &'static Sample> + 'a {
    [
        Some(name),
        source.identity_preset(),
        Some(source.scheme_name()),
    ]
    .into_iter()
    .flatten()
    .flat_map(for_scheme)
}

/// One sample, by provider and event (first of the provider when `event` is None).
pub fn find(provider: &str, event: Option<&str>) -> Option<&'static Sample> {
    for_scheme(provider).find(|s| event.is_none_or(|e| s.1 == e))
}

/// Fills a template. `seed` makes ids unique per delivery; the same seed and `now` give the
/// same bytes.
pub fn render(template: &str, now: time::OffsetDateTime, seed: u64) -> String {
    let id = format!("{seed:016x}");
    let uuid = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        seed >> 32,
        (seed >> 16) & 0xffff,
        seed & 0xfff,
        (seed >> 4) & 0xfff,
        seed & 0xffff_ffff_ffff
    );
    let iso = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let now_s = now.unix_timestamp();
    let now_ms = now.unix_timestamp_nanos() / 1_000_000;
    template
        .replace("{{id}}", &id)
        .replace("{{ID}}", &id.to_ascii_uppercase())
        .replace("{{uuid}}", &uuid)
        .replace(
            "{{num}}",
            &(seed % 9_000_000_000_000 + 1_000_000_000_000).to_string(),
        )
        .replace("{{seed}}", &seed.to_string())
        .replace("{{seq}}", &format!("{seed:03}"))
        .replace("{{d10}}", &format!("{:010}", seed % 10_000_000_000))
        .replace("{{iso_s}}", &iso_seconds(now))
        .replace("{{now}}", &now_s.to_string())
        .replace("{{now_ms}}", &now_ms.to_string())
        .replace("{{iso}}", &iso)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Found, IdentitySpec};

    /// Rendered with the documented values, each seed sample is the documented body, byte for
    /// byte: `hookwell send` posts exactly the documented shape.
    #[test]
    fn platform_samples_are_their_published_examples() {
        for (platform, event, published, pairs) in PLATFORMS {
            let (_, _, tpl, _) = find(platform, Some(event)).unwrap();
            let mut back = (*tpl).to_owned();
            for (placeholder, value) in *pairs {
                back = back.replace(placeholder, value);
            }
            assert_eq!(back, *published, "{platform} {event}");
            // Two renders are two events; the same seed and time are a retry.
            let now = time::OffsetDateTime::now_utc();
            assert_ne!(
                render(tpl, now, 1),
                render(tpl, now, 2),
                "{platform} {event}"
            );
            assert_eq!(render(tpl, now, 1), render(tpl, now, 1));
            let v: serde_json::Value = serde_json::from_str(&render(tpl, now, 7)).unwrap();
            assert!(v.is_object(), "{platform} {event}");
        }
        for p in ["meta", "telegram", "discord", "teams", "zoom"] {
            assert!(
                SAMPLES
                    .iter()
                    .filter(|s| s.0 == p)
                    .all(|s| PLATFORMS.iter().any(|d| d.0 == s.0 && d.1 == s.1)),
                "every {p} sample is a published example"
            );
        }
    }

    #[test]
    fn seed_samples_render_to_the_documented_bodies() {
        let at = |iso: &str| {
            time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let cases = [
            ("bubble", "MESSAGE_CREATE", "2025-12-31T12:00:00Z", 1001),
            ("groupgm", "message.received", "2025-01-15T08:30:00Z", 1),
            (
                "groupgm",
                "member.joined",
                "2025-01-15T08:30:00Z",
                987_654_321,
            ),
            (
                "groupgm",
                "member.left",
                "2025-01-15T08:30:00Z",
                987_654_321,
            ),
            ("groupgm", "file.uploaded", "2025-01-15T08:30:00Z", 2),
        ];
        assert_eq!(cases.len(), DOCUMENTED.len());
        for (provider, event, iso, seed) in cases {
            let (_, _, tpl, _) = find(provider, Some(event)).unwrap();
            let doc = DOCUMENTED
                .iter()
                .find(|d| d.0 == provider && d.1 == event)
                .unwrap()
                .2;
            assert_eq!(render(tpl, at(iso), seed), doc, "{provider} {event}");
        }
        // Only documented bodies are samples for the seed providers.
        for (provider, event, _, _) in SAMPLES.iter().filter(|s| s.0 != "sendbird") {
            if matches!(*provider, "bubble" | "groupgm") {
                assert!(
                    DOCUMENTED.iter().any(|d| d.0 == *provider && d.1 == *event),
                    "{provider} {event} has no documented body"
                );
            }
        }
    }

    /// The repository's copies equal the provider documentation beside the checkout, where
    /// that is present (CI and the developers' machines have it; a user's clone may not).
    #[test]
    fn fixtures_are_byte_equal_to_the_documentation() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/providers/examples");
        let Ok(dir) = std::fs::read_dir(&docs) else {
            // CI always has the documents beside the checkout: there the comparison must run.
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is missing in CI",
                docs.display()
            );
            eprintln!("{} not present: comparison skipped", docs.display());
            return;
        };
        let mut n = 0;
        for entry in dir {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/providers")
                .join(&name);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(&ours).unwrap_or_default(),
                "{name} differs from the documentation"
            );
            let (provider, event) = name.trim_end_matches(".json").split_once('-').unwrap();
            assert!(
                DOCUMENTED.iter().any(|d| d.0 == provider && d.1 == event),
                "{name} is not in DOCUMENTED"
            );
            n += 1;
        }
        assert_eq!(n, DOCUMENTED.len());
    }

    #[test]
    fn every_sample_is_json_and_identifies_with_its_preset() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_764_046_800).unwrap();
        for (provider, event, body, headers) in SAMPLES {
            let a = render(body, now, 1);
            let b = render(body, now, 2);
            serde_json::from_str::<serde_json::Value>(&a)
                .unwrap_or_else(|e| panic!("{provider} {event}: {e}"));
            let Some(spec) = IdentitySpec::preset(provider) else {
                continue;
            };
            let hdrs: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), render(v, now, 1)))
                .collect();
            let hdrs2: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), render(v, now, 2)))
                .collect();
            let get = |h: &Vec<(String, String)>, n: &str| {
                h.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
            };
            // Handshake samples (Zoom's URL validation) enqueue nothing: tested with ingest.
            if let Found::Handshake(_) = spec.identify(&|_| None, a.as_bytes()).unwrap() {
                continue;
            }
            let one = |body: &str, h: &Vec<(String, String)>| match spec
                .identify(&|n| get(h, n), body.as_bytes())
                .unwrap()
            {
                Found::Events(mut e) => {
                    let e = e.remove(0);
                    (e.event_type, e.event_id)
                }
                Found::Handshake(_) => panic!(),
            };
            let (t1, id1) = one(&a, &hdrs);
            let (_, id2) = one(&b, &hdrs2);
            assert_eq!(&t1, event, "{provider}");
            assert_ne!(id1, id2, "{provider} {event}: two sends must be two events");
            assert_eq!(
                one(&a, &hdrs).1,
                id1,
                "{provider} {event}: a retry is the same event"
            );
        }
    }
}
