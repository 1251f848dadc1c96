//! Realistic sample deliveries for every built-in provider: what `hookwell send` posts, what
//! the tests and the sample Lambda events use. `{{id}}`, `{{num}}`, `{{now}}` (unix s),
//! `{{now_ms}}` and `{{iso}}` are filled per delivery so two sends are two events, while
//! `--repeat` resends the same bytes as a provider retry would.

/// (provider, event, body template, extra headers as (name, template)).
pub type Sample = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

pub const SAMPLES: &[Sample] = &[
    (
        "bubble",
        "MESSAGE_CREATE",
        r#"{"type":"MESSAGE_CREATE","timestamp":"{{iso}}","data":{"id":"msg_{{id}}","channel_id":"ch_general","guild_id":"g_1001","author":{"id":"u_alice","username":"alice"},"content":"Anyone up for lunch?","mentions":[{"id":"u_bob","username":"bob"}],"edited_timestamp":null}}"#,
        &[("X-Bubble-Event", "MESSAGE_CREATE")],
    ),
    (
        "bubble",
        "MESSAGE_UPDATE",
        r#"{"type":"MESSAGE_UPDATE","timestamp":"{{iso}}","data":{"id":"msg_{{id}}","channel_id":"ch_general","guild_id":"g_1001","author":{"id":"u_alice","username":"alice"},"content":"Anyone up for lunch at 12:30?","mentions":[],"edited_timestamp":"{{iso}}"}}"#,
        &[("X-Bubble-Event", "MESSAGE_UPDATE")],
    ),
    (
        "bubble",
        "DM_MESSAGE_CREATE",
        r#"{"type":"DM_MESSAGE_CREATE","timestamp":"{{iso}}","data":{"id":"dm_{{id}}","channel_id":"dm_alice_bob","author":{"id":"u_alice","username":"alice"},"recipient":{"id":"u_bob","username":"bob"},"content":"Psst","edited_timestamp":null}}"#,
        &[("X-Bubble-Event", "DM_MESSAGE_CREATE")],
    ),
    (
        "bubble",
        "GUILD_MEMBER_ADD",
        r#"{"type":"GUILD_MEMBER_ADD","timestamp":"{{iso}}","data":{"guild_id":"g_1001","user":{"id":"u_{{id}}","username":"newcomer"},"joined_at":"{{iso}}","roles":[]}}"#,
        &[("X-Bubble-Event", "GUILD_MEMBER_ADD")],
    ),
    (
        "bubble",
        "GUILD_MEMBER_REMOVE",
        r#"{"type":"GUILD_MEMBER_REMOVE","timestamp":"{{iso}}","data":{"guild_id":"g_1001","user":{"id":"u_{{id}}","username":"leaver"}}}"#,
        &[("X-Bubble-Event", "GUILD_MEMBER_REMOVE")],
    ),
    (
        "groupgm",
        "message.received",
        r#"{"event":"message.received","timestamp":{{now}},"group":{"id":"grp_42","name":"Hiking club"},"message":{"id":"m_{{id}}","text":"See you Saturday at 8","sender":{"user_id":"u_alice","display_name":"Alice"},"edited_at":null}}"#,
        &[],
    ),
    (
        "groupgm",
        "member.joined",
        r#"{"event":"member.joined","timestamp":{{now}},"group":{"id":"grp_42","name":"Hiking club"},"member":{"user_id":"u_{{id}}","display_name":"New hiker","role":"member"}}"#,
        &[],
    ),
    (
        "groupgm",
        "member.left",
        r#"{"event":"member.left","timestamp":{{now}},"group":{"id":"grp_42","name":"Hiking club"},"member":{"user_id":"u_{{id}}","display_name":"Former hiker","role":"member"}}"#,
        &[],
    ),
    (
        "groupgm",
        "file.uploaded",
        r#"{"event":"file.uploaded","timestamp":{{now}},"group":{"id":"grp_42","name":"Hiking club"},"file":{"id":"f_{{id}}","name":"route.gpx","size":48213,"mime_type":"application/gpx+xml","url":"https://files.example.invalid/f_{{id}}"},"uploader":{"user_id":"u_alice","display_name":"Alice"}}"#,
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

/// The samples for a provider scheme name (`bubble-token` uses Bubble's).
pub fn for_scheme(scheme: &str) -> impl Iterator<Item = &'static Sample> + '_ {
    SAMPLES.iter().filter(move |s| s.0 == scheme)
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
        .replace("{{now}}", &now_s.to_string())
        .replace("{{now_ms}}", &now_ms.to_string())
        .replace("{{iso}}", &iso)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Found, IdentitySpec};

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
