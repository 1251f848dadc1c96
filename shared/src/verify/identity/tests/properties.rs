//! Property tests of the identity rule (issue #11): generated events in the documented shapes,
//! few enough distinct values that many share a second, a channel or a member. For every
//! preset: two deliveries get one id exactly when they are the same event (for providers
//! without ids: the same bytes), and a byte-identical retry always gets the same id.

use super::super::*;
use proptest::prelude::*;
use serde_json::json;

/// Timestamps in three seconds: most generated events share one, as in a busy channel.
fn iso() -> impl Strategy<Value = String> {
    (0u8..3).prop_map(|s| format!("2025-01-15T08:30:0{s}Z"))
}

fn small_id(prefix: &'static str) -> impl Strategy<Value = String> {
    (0u32..4).prop_map(move |n| format!("{prefix}{n:03}"))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z ]{0,6}", "\\PC{0,4}"]
}

fn gm_user() -> impl Strategy<Value = serde_json::Value> {
    (small_id("U"), prop_oneof![Just("王小明"), Just("李小華")])
        .prop_map(|(id, name)| json!({"userId": id, "displayName": name}))
}

/// The group manager's four documented events.
fn groupgm_event() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        (iso(), small_id("C"), small_id("msg_"), gm_user(), text()).prop_map(
            |(ts, c, m, u, t)| json!({"event":"message.received","timestamp":ts,
                "data":{"channelId":c,"messageId":m,"sender":u,"type":"text","content":t}})
        ),
        (
            prop_oneof![Just("member.joined"), Just("member.left")],
            iso(),
            small_id("C"),
            gm_user()
        )
            .prop_map(|(e, ts, c, u)| json!({"event":e,"timestamp":ts,
                "data":{"channelId":c,"member":u}})),
        (iso(), small_id("C"), small_id("msg_"), gm_user(), 0u64..3).prop_map(|(ts, c, m, u, n)| {
            json!({"event":"file.uploaded","timestamp":ts,
                "data":{"channelId":c,"messageId":m,"sender":u,"fileType":"image","fileSize":n * 1024}})
        }),
    ]
}

/// Bubble: the documented MESSAGE_CREATE shape, under every listed type and an unlisted one.
fn bubble_event() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![
            Just("MESSAGE_CREATE"),
            Just("MESSAGE_UPDATE"),
            Just("DM_MESSAGE_CREATE"),
            Just("GUILD_MEMBER_ADD"),
            Just("CHANNEL_CREATE"),
        ],
        1000u64..1003,
        5u64..7,
        text(),
        1u64..3,
        iso(),
    )
        .prop_map(|(t, id, ch, content, author, ts)| {
            json!({"type":t,"data":{"id":id,"channelId":ch,"guildId":10,"content":content,
                "author":{"id":author,"name":"user"},"timestamp":ts}})
        })
}

/// Sendbird group channel messages (fields of its webhook reference).
fn sendbird_event() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![
            Just("group_channel:message_send"),
            Just("group_channel:message_update")
        ],
        small_id("ch_"),
        100u64..103,
        text(),
        0i64..2,
    )
        .prop_map(|(cat, ch, id, msg, t)| {
            json!({"category":cat,"sender":{"user_id":"alice"},"channel":{"channel_url":ch},
                "payload":{"message_id":id,"message":msg,"created_at":1_764_046_800_000i64 + t}})
        })
}

/// Compact or pretty: a provider's layout is its own, and both must work.
fn render(v: &serde_json::Value, pretty: bool) -> Vec<u8> {
    if pretty {
        serde_json::to_vec_pretty(v).unwrap()
    } else {
        serde_json::to_vec(v).unwrap()
    }
}

fn single(spec: &IdentitySpec, h: &dyn Fn(&str) -> Option<String>, body: &[u8]) -> String {
    match spec.identify(h, body).unwrap() {
        Found::Events(mut e) => {
            assert_eq!(e.len(), 1);
            e.remove(0).event_id
        }
        Found::Handshake(_) => panic!("handshake"),
    }
}

/// Same bytes <=> same id, and a retry (identify again) gives the same id.
fn same_bytes_same_id(preset: &str, bodies: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let spec = match preset {
        "generic" => IdentitySpec::generic(),
        p => IdentitySpec::preset(p).unwrap(),
    };
    let ids: Vec<String> = bodies.iter().map(|b| single(&spec, &|_| None, b)).collect();
    for (i, a) in bodies.iter().enumerate() {
        prop_assert_eq!(&single(&spec, &|_| None, a), &ids[i], "retry");
        for (j, b) in bodies.iter().enumerate().skip(i + 1) {
            prop_assert_eq!(
                a == b,
                ids[i] == ids[j],
                "{}: events {} and {}",
                preset,
                i,
                j
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn groupgm_ids_never_merge_events(evs in prop::collection::vec((groupgm_event(), any::<bool>()), 2..10)) {
        let bodies: Vec<_> = evs.iter().map(|(v, p)| render(v, *p)).collect();
        same_bytes_same_id("groupgm", &bodies)?;
    }

    #[test]
    fn bubble_ids_never_merge_events(evs in prop::collection::vec((bubble_event(), any::<bool>()), 2..10)) {
        let bodies: Vec<_> = evs.iter().map(|(v, p)| render(v, *p)).collect();
        same_bytes_same_id("bubble", &bodies)?;
    }

    #[test]
    fn sendbird_ids_never_merge_events(evs in prop::collection::vec((sendbird_event(), any::<bool>()), 2..10)) {
        let bodies: Vec<_> = evs.iter().map(|(v, p)| render(v, *p)).collect();
        same_bytes_same_id("sendbird", &bodies)?;
    }

    #[test]
    fn generic_ids_never_merge_bodies(bodies in prop::collection::vec(prop::collection::vec(0u8..4, 0..6), 2..10)) {
        same_bytes_same_id("generic", &bodies)?;
    }

    /// Providers with their own ids: one id per provider id, whatever the body, and distinct
    /// provider ids (plain or ones that must be hashed) never merge.
    #[test]
    fn provider_ids_map_one_to_one(
        deliveries in prop::collection::vec(
            (prop_oneof![small_id("evt_"), "\\PC{1,3}", "[a-z]{129,130}"], text()),
            2..8),
        preset in prop_oneof![
            Just("github"), Just("stripe"), Just("slack"), Just("shopify"), Just("standard")
        ],
    ) {
        let spec = IdentitySpec::preset(preset).unwrap();
        let id_of = |pid: &str, t: &str| {
            let body = match preset {
                "stripe" => json!({"id": pid, "type": "invoice.paid", "note": t}),
                "slack" => json!({"type":"event_callback","event_id": pid,
                    "event":{"type":"message","text": t}}),
                _ => json!({"type": "x", "note": t}),
            };
            let header = match preset {
                "github" => "x-github-delivery",
                "shopify" => "x-shopify-webhook-id",
                _ => "webhook-id",
            };
            single(&spec, &|n| (n == header).then(|| pid.to_owned()), &render(&body, false))
        };
        let ids: Vec<String> = deliveries.iter().map(|(p, t)| id_of(p, t)).collect();
        for (i, (pi, ti)) in deliveries.iter().enumerate() {
            // A retry, even one whose body changed (Stripe, Slack retries can), is one event.
            prop_assert_eq!(&id_of(pi, "retry"), &ids[i]);
            prop_assert_eq!(&id_of(pi, ti), &ids[i]);
            for (j, (pj, _)) in deliveries.iter().enumerate().skip(i + 1) {
                prop_assert_eq!(pi == pj, ids[i] == ids[j], "{}: {} vs {}", preset, i, j);
            }
        }
    }

    /// LINE: one event per element, each by its `webhookEventId`; an element without one is
    /// identified by its own bytes.
    #[test]
    fn line_event_ids_never_merge(
        evs in prop::collection::vec((prop::option::of(small_id("01H")), text()), 1..6)
    ) {
        let spec = IdentitySpec::preset("line").unwrap();
        let items: Vec<_> = evs.iter().map(|(id, t)| match id {
            Some(id) => json!({"type":"message","webhookEventId":id,"message":{"type":"text","text":t}}),
            None => json!({"type":"message","message":{"type":"text","text":t}}),
        }).collect();
        let body = render(&json!({"destination":"U1","events":items}), false);
        let Found::Events(found) = spec.identify(&|_| None, &body).unwrap() else {
            return Err(TestCaseError::fail("handshake"));
        };
        prop_assert_eq!(found.len(), evs.len());
        for (i, a) in found.iter().enumerate() {
            for (j, b) in found.iter().enumerate().skip(i + 1) {
                let same = match (&evs[i].0, &evs[j].0) {
                    (Some(x), Some(y)) => x == y,
                    (None, None) => a.payload == b.payload,
                    _ => false,
                };
                prop_assert_eq!(same, a.event_id == b.event_id, "{} vs {}", i, j);
            }
        }
    }
}
