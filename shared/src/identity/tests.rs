use super::*;
use serde_json::json;

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
        Found::Handshake(h) => panic!("unexpected handshake {h}"),
    }
}

fn one(preset: &str, body: &serde_json::Value) -> (String, String) {
    let spec = IdentitySpec::preset(preset).unwrap();
    ids(&spec, body.to_string().as_bytes(), &no_headers).remove(0)
}

#[test]
fn bubble_messages_and_edits_and_members() {
    let create = json!({"type":"MESSAGE_CREATE","timestamp":"2026-11-25T05:00:00Z","data":{"id":"m1","channel_id":"c1","content":"hi"}});
    let other = json!({"type":"MESSAGE_CREATE","timestamp":"2026-11-25T05:00:00Z","data":{"id":"m2","channel_id":"c1","content":"hi"}});
    let edit1 = json!({"type":"MESSAGE_UPDATE","timestamp":"2026-11-25T05:01:00Z","data":{"id":"m1","edited_timestamp":"2026-11-25T05:01:00Z","content":"a"}});
    let edit2 = json!({"type":"MESSAGE_UPDATE","timestamp":"2026-11-25T05:02:00Z","data":{"id":"m1","edited_timestamp":"2026-11-25T05:02:00Z","content":"b"}});
    let join_a = json!({"type":"GUILD_MEMBER_ADD","timestamp":"2026-11-25T05:00:00Z","data":{"guild_id":"g1","user":{"id":"u1"}}});
    let join_b = json!({"type":"GUILD_MEMBER_ADD","timestamp":"2026-11-25T05:00:00Z","data":{"guild_id":"g1","user":{"id":"u2"}}});
    let all = [&create, &other, &edit1, &edit2, &join_a, &join_b];
    let got: Vec<_> = all.iter().map(|b| one("bubble", b)).collect();
    assert_eq!(got[0].0, "MESSAGE_CREATE");
    assert_eq!(got[4].0, "GUILD_MEMBER_ADD");
    for i in 0..got.len() {
        for j in (i + 1)..got.len() {
            assert_ne!(got[i].1, got[j].1, "events {i} and {j} collide");
        }
        // A retry is the same bytes: the same id.
        assert_eq!(one("bubble", all[i]), got[i]);
    }
    // Same message, re-serialised with another key order: still the same event.
    let reordered = r#"{"data":{"content":"hi","channel_id":"c1","id":"m1"},"timestamp":"2026-11-25T05:00:00Z","type":"MESSAGE_CREATE"}"#;
    let spec = IdentitySpec::preset("bubble").unwrap();
    assert_eq!(ids(&spec, reordered.as_bytes(), &no_headers)[0], got[0]);
}

#[test]
fn bubble_type_falls_back_to_header() {
    let spec = IdentitySpec::preset("bubble").unwrap();
    let h = |n: &str| (n == "x-bubble-event").then(|| "DM_MESSAGE_CREATE".to_owned());
    assert_eq!(
        ids(&spec, br#"{"data":{"id":"1"}}"#, &h)[0].0,
        "DM_MESSAGE_CREATE"
    );
}

#[test]
fn groupgm_two_members_joining_in_one_second_do_not_collide() {
    let a = json!({"event":"member.joined","timestamp":1764046800,"group":{"id":"g1"},"member":{"user_id":"u1"}});
    let b = json!({"event":"member.joined","timestamp":1764046800,"group":{"id":"g1"},"member":{"user_id":"u2"}});
    let left = json!({"event":"member.left","timestamp":1764046800,"group":{"id":"g1"},"member":{"user_id":"u1"}});
    let msg = json!({"event":"message.received","timestamp":1764046800,"group":{"id":"g1"},"message":{"id":"m1","text":"x"}});
    let edited = json!({"event":"message.received","timestamp":1764046800,"group":{"id":"g1"},"message":{"id":"m1","text":"y","edited_at":1764046900}});
    let file = json!({"event":"file.uploaded","timestamp":1764046800,"group":{"id":"g1"},"file":{"id":"f1"}});
    let got: Vec<_> = [&a, &b, &left, &msg, &edited, &file]
        .iter()
        .map(|x| one("groupgm", x))
        .collect();
    assert_eq!(got[0].0, "member.joined");
    assert_eq!(got[5].0, "file.uploaded");
    for i in 0..got.len() {
        for j in (i + 1)..got.len() {
            assert_ne!(got[i].1, got[j].1, "{i} vs {j}");
        }
    }
    assert_eq!(one("groupgm", &a), got[0]);
}

#[test]
fn sendbird_messages() {
    let m1 = json!({"category":"group_channel:message_send","channel":{"channel_url":"ch1"},"payload":{"message_id":101,"created_at":1764046800000u64}});
    let m2 = json!({"category":"group_channel:message_send","channel":{"channel_url":"ch1"},"payload":{"message_id":102,"created_at":1764046800000u64}});
    let upd = json!({"category":"group_channel:message_update","channel":{"channel_url":"ch1"},"payload":{"message_id":101,"created_at":1764046800000u64,"updated_at":1764046900000u64}});
    let (t1, i1) = one("sendbird", &m1);
    assert_eq!(t1, "group_channel:message_send");
    assert_ne!(i1, one("sendbird", &m2).1);
    assert_ne!(i1, one("sendbird", &upd).1);
    assert_eq!(i1, one("sendbird", &m1).1);
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
    assert_eq!(got[0].1.len(), 64);
}

#[test]
fn slack_url_verification_is_a_handshake() {
    let spec = IdentitySpec::preset("slack").unwrap();
    let body = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    match spec.identify(&no_headers, body).unwrap() {
        Found::Handshake(h) => assert_eq!(
            h,
            r#"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#
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
            assert_eq!(evs[0].payload, br#"{"type":"message","webhookEventId":"01H1","message":{"id":"1","text":"a\u00e9"}}"#);
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
