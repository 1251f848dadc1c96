use super::*;
use serde_json::json;

mod properties;

fn no_headers(_: &str) -> Option<String> {
    None
}

fn ids(
    spec: &IdentitySpec,
    body: &[u8],
    hdr: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    match spec.identify(hdr, body).unwrap() {
        Found::Events(evs) => evs
            .into_iter()
            .map(|e| (e.event_type, e.event_id))
            .collect(),
        Found::Handshake(h) => panic!("unexpected handshake {h:?}"),
    }
}

fn one(preset: &str, body: &serde_json::Value) -> (String, String) {
    let spec = IdentitySpec::preset(preset).unwrap();
    ids(&spec, body.to_string().as_bytes(), &no_headers).remove(0)
}

fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn documented(provider: &str, event: &str) -> String {
    crate::samples::DOCUMENTED
        .iter()
        .find(|d| d.0 == provider && d.1 == event)
        .map(|d| d.2.to_owned())
        .unwrap()
}

fn id_of(preset: &str, body: &str) -> (String, String) {
    let spec = IdentitySpec::preset(preset).unwrap();
    ids(&spec, body.as_bytes(), &no_headers).remove(0)
}

/// The seed providers send no id: the event id is the SHA-256 of the body as sent.
#[test]
fn seed_providers_are_identified_by_their_body_hash() {
    for (provider, event, body) in crate::samples::DOCUMENTED {
        let spec = IdentitySpec::preset(provider).unwrap();
        match spec.identify(&no_headers, body.as_bytes()).unwrap() {
            Found::Events(evs) => {
                assert_eq!(evs.len(), 1);
                assert_eq!(evs[0].event_type, *event);
                assert_eq!(evs[0].event_id, body_hash(body.as_bytes()));
                assert_eq!(evs[0].id_basis, IdBasis::Body);
            }
            Found::Handshake(h) => panic!("{h:?}"),
        }
    }
}

/// Issue #11's cases, on the documented bodies: distinct group-manager events in one second
/// (the `timestamp` is shared) never share an id; a byte-identical retry always does.
#[test]
fn group_manager_events_in_one_second_stay_distinct() {
    let msg = documented("groupgm", "message.received");
    let joined = documented("groupgm", "member.joined");
    let file = documented("groupgm", "file.uploaded");
    let bodies = [
        msg.clone(),
        msg.replace("msg_001", "msg_002"),
        msg.replace("msg_001", "msg_003"),
        joined.clone(),
        joined.replace("U0987654321", "U0987654322"),
        documented("groupgm", "member.left"),
        file.clone(),
        file.replace("msg_002", "msg_004"),
        // The same sender saying the same thing twice in one second: two messages.
        msg.replace("msg_001", "msg_005"),
    ];
    let got: Vec<_> = bodies.iter().map(|b| id_of("groupgm", b)).collect();
    for i in 0..got.len() {
        for j in (i + 1)..got.len() {
            assert_ne!(got[i].1, got[j].1, "events {i} and {j} share an id");
        }
        assert_eq!(
            id_of("groupgm", &bodies[i]),
            got[i],
            "a retry is the same event"
        );
    }
    assert_eq!(got[0].0, "message.received");
    assert_eq!(got[3].0, "member.joined");
    assert_eq!(got[5].0, "member.left");
    assert_eq!(got[6].0, "file.uploaded");
}

#[test]
fn bubble_edits_and_same_id_messages_in_other_channels_stay_distinct() {
    let create = documented("bubble", "MESSAGE_CREATE");
    let bodies = [
        create.clone(),
        // The same message id in another channel (the documentation does not say ids are
        // global).
        create.replace("\"channelId\": 5", "\"channelId\": 6"),
        // Two edits of one message in the same second.
        create
            .replace("MESSAGE_CREATE", "MESSAGE_UPDATE")
            .replace("Hello!", "Hello, all!"),
        create
            .replace("MESSAGE_CREATE", "MESSAGE_UPDATE")
            .replace("Hello!", "Hello, everyone!"),
    ];
    let got: Vec<_> = bodies.iter().map(|b| id_of("bubble", b)).collect();
    for i in 0..got.len() {
        for j in (i + 1)..got.len() {
            assert_ne!(got[i].1, got[j].1, "events {i} and {j} share an id");
        }
    }
    assert_eq!(got[2].0, "MESSAGE_UPDATE");
}

#[test]
fn bubble_type_falls_back_to_header() {
    let spec = IdentitySpec::preset("bubble").unwrap();
    let h = |n: &str| (n == "x-bubble-event").then(|| "DM_MESSAGE_CREATE".to_owned());
    assert_eq!(
        ids(&spec, br#"{"data":{"id":1}}"#, &h)[0].0,
        "DM_MESSAGE_CREATE"
    );
}

#[test]
fn sendbird_messages() {
    let m1 = json!({"category":"group_channel:message_send","channel":{"channel_url":"ch1"},"payload":{"message_id":101,"created_at":1764046800000u64}});
    let m2 = json!({"category":"group_channel:message_send","channel":{"channel_url":"ch1"},"payload":{"message_id":102,"created_at":1764046800000u64}});
    let (t1, i1) = one("sendbird", &m1);
    assert_eq!(t1, "group_channel:message_send");
    assert_eq!(i1, body_hash(m1.to_string().as_bytes()));
    assert_ne!(i1, one("sendbird", &m2).1);
    assert_eq!(i1, one("sendbird", &m1).1);
}

/// A custom source's `id_fields`: used when present; when none is, the body hash (never a
/// hash of nothing), marked so ingest counts it.
#[test]
fn custom_id_fields_fall_back_to_the_body_hash_when_absent() {
    let spec: IdentitySpec = serde_json::from_value(json!({
        "event_type": [{"field": "/kind"}],
        "id_fields": ["/order/id", "/order/version"]
    }))
    .unwrap();
    let with = |b: &'static str| match spec.identify(&no_headers, b.as_bytes()).unwrap() {
        Found::Events(mut e) => e.remove(0),
        Found::Handshake(_) => panic!(),
    };
    let a = with(r#"{"kind":"order.paid","order":{"id":7,"version":1}}"#);
    assert_eq!(a.id_basis, IdBasis::Fields);
    let b = with(r#"{"kind":"order.paid","order":{"id":7,"version":2}}"#);
    assert_ne!(a.event_id, b.event_id);
    let none1 = with(r#"{"kind":"order.paid","note":"a"}"#);
    let none2 = with(r#"{"kind":"order.paid","note":"b"}"#);
    assert_eq!(none1.id_basis, IdBasis::BodyFallback);
    assert_eq!(
        none1.event_id,
        body_hash(br#"{"kind":"order.paid","note":"a"}"#)
    );
    assert_ne!(none1.event_id, none2.event_id, "never a hash of nothing");

    // A configured header id that is missing: the body hash too, counted.
    let spec: IdentitySpec =
        serde_json::from_value(json!({"event_id": [{"header": "x-acme-delivery"}]})).unwrap();
    match spec.identify(&no_headers, b"payload").unwrap() {
        Found::Events(e) => {
            assert_eq!(e[0].id_basis, IdBasis::BodyFallback);
            assert_eq!(e[0].event_id, body_hash(b"payload"));
        }
        Found::Handshake(_) => panic!(),
    }
}

#[test]
fn header_ids_for_github_shopify_standard() {
    let gh = IdentitySpec::preset("github").unwrap();
    let h = |n: &str| match n {
        "x-github-event" => Some("push".to_owned()),
        "x-github-delivery" => Some("72d3162e-cc78-11e3-81ab-4c9367dc0958".to_owned()),
        _ => None,
    };
    // GitHub bodies need not be JSON (form-encoded deliveries exist): never parsed.
    assert_eq!(
        ids(&gh, b"payload=%7B%7D", &h)[0],
        ("push".into(), "72d3162e-cc78-11e3-81ab-4c9367dc0958".into())
    );
    let std = IdentitySpec::preset("standard").unwrap();
    let h = |n: &str| (n == "webhook-id").then(|| "msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned());
    assert_eq!(
        ids(&std, br#"{"type":"user.created"}"#, &h)[0],
        ("user.created".into(), "msg_p5jXN8AQM9LWM0D4loKWxJek".into())
    );
}

#[test]
fn stripe_and_slack_use_body_ids() {
    assert_eq!(
        one("stripe", &json!({"id":"evt_1","type":"invoice.paid"})),
        ("invoice.paid".into(), "evt_1".into())
    );
    assert_eq!(
        one(
            "slack",
            &json!({"type":"event_callback","event_id":"Ev08","event":{"type":"app_mention"}})
        ),
        ("app_mention".into(), "Ev08".into())
    );
    // Slash commands are form posts: typed "form", identified by their bytes.
    let spec = IdentitySpec::preset("slack").unwrap();
    let got = ids(&spec, b"command=%2Fx&text=hi", &no_headers);
    assert_eq!(got[0].0, "form");
    assert_eq!(got[0].1, body_hash(b"command=%2Fx&text=hi"));
    match spec.identify(&no_headers, b"command=%2Fx&text=hi").unwrap() {
        Found::Events(e) => assert_eq!(e[0].id_basis, IdBasis::Body, "not a fallback"),
        Found::Handshake(_) => panic!(),
    }
}

#[test]
fn slack_url_verification_is_a_handshake() {
    let spec = IdentitySpec::preset("slack").unwrap();
    let body = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    match spec.identify(&no_headers, body).unwrap() {
        Found::Handshake(h) => assert_eq!(
            h,
            HandshakeAnswer::Json(
                r#"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#.into()
            )
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn line_splits_events_keeping_exact_bytes() {
    let spec = IdentitySpec::preset("line").unwrap();
    let body = br#"{"destination":"U1","events":[ {"type":"message","webhookEventId":"01H1","message":{"id":"1","text":"a\u00e9"}} ,{"type":"follow","webhookEventId":"01H2"}]}"#;
    match spec.identify(&no_headers, body).unwrap() {
        Found::Events(evs) => {
            assert_eq!(evs.len(), 2);
            assert_eq!(evs[0].event_id, "01H1");
            assert_eq!(&*evs[0].payload, br#"{"type":"message","webhookEventId":"01H1","message":{"id":"1","text":"a\u00e9"}}"#);
            assert_eq!(evs[1].event_type, "follow");
        }
        other => panic!("{other:?}"),
    }
    // The console's "Verify" sends no events: nothing to enqueue, not an error.
    assert_eq!(
        spec.identify(&no_headers, br#"{"destination":"U1","events":[]}"#)
            .unwrap(),
        Found::Events(vec![])
    );
    assert_eq!(
        spec.identify(&no_headers, br#"{"destination":"U1"}"#),
        Err(IdentityError::MissingSplit("/events".into()))
    );
}

#[test]
fn json_required_rejects_bad_json_and_deep_nesting() {
    let spec = IdentitySpec::preset("bubble").unwrap();
    assert_eq!(
        spec.identify(&no_headers, b"{not json"),
        Err(IdentityError::NotJson)
    );
    assert_eq!(
        spec.identify(&no_headers, &[0xff, 0xfe]),
        Err(IdentityError::NotJson)
    );
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_eq!(
        spec.identify(&no_headers, deep.as_bytes()),
        Err(IdentityError::NotJson)
    );
}

#[test]
fn generic_falls_back_to_body_hash() {
    let spec = IdentitySpec::generic();
    let a = ids(&spec, b"abc", &no_headers);
    assert_eq!(a[0].0, "webhook");
    assert_eq!(
        a[0].1,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_ne!(a, ids(&spec, b"abd", &no_headers));
}

#[test]
fn weird_ids_and_types_are_cleaned() {
    let spec = IdentitySpec::preset("stripe").unwrap();
    let long = "x".repeat(500);
    let got = one("stripe", &json!({"id": long, "type": "a\u{0}b\nc"}));
    assert_eq!(got.0, "abc");
    assert!(got.1.starts_with("h-") && got.1.len() == 66);
    let got2 = ids(
        &spec,
        json!({"id": "evt 1", "type": "t"}).to_string().as_bytes(),
        &no_headers,
    );
    assert!(got2[0].1.starts_with("h-"));
}

/// `order_by: /data/channelId` finds the channel in every documented seed body that has one
/// (Bubble's is a number, the group manager's a string); Sendbird's sample names its channel
/// at `/channel/channel_url`. An event without the field has no group (it blocks nothing).
#[test]
fn order_by_reads_the_channel_of_the_documented_bodies() {
    let by_channel = OrderBy::parse("/data/channelId").unwrap();
    assert_eq!(
        by_channel
            .group_of(&documented("bubble", "MESSAGE_CREATE").into_bytes())
            .as_deref(),
        Some("5")
    );
    for event in [
        "message.received",
        "member.joined",
        "member.left",
        "file.uploaded",
    ] {
        assert_eq!(
            by_channel
                .group_of(documented("groupgm", event).as_bytes())
                .as_deref(),
            Some("C1234567890"),
            "{event}"
        );
    }
    let (_, _, sendbird, _) = crate::samples::find("sendbird", None).unwrap();
    assert_eq!(
        OrderBy::parse("/channel/channel_url")
            .unwrap()
            .group_of(
                crate::samples::render(sendbird, time::OffsetDateTime::UNIX_EPOCH, 1).as_bytes()
            )
            .as_deref(),
        Some("sendbird_group_channel_family")
    );
    assert_eq!(by_channel.group_of(br#"{"data":{}}"#), None);
    assert_eq!(by_channel.group_of(b"not json"), None);
    assert!(OrderBy::parse("data.channelId")
        .unwrap_err()
        .contains("write `/data/channelId`"));
}
