use super::*;
use crate::samples::{self, DOCUMENTED};

fn documented(provider: &str, event: &str) -> &'static str {
    DOCUMENTED
        .iter()
        .find(|d| d.0 == provider && d.1 == event)
        .map(|d| d.2)
        .unwrap()
}

#[test]
fn every_documented_example_deserializes_into_its_typed_payload() {
    for (provider, event, body) in DOCUMENTED {
        match *provider {
            "bubble" => {
                let ev: bubble::BubbleEvent = serde_json::from_str(body).unwrap();
                assert_eq!(ev.event_type(), *event);
            }
            "groupgm" => {
                let ev: groupgm::GroupEvent = serde_json::from_str(body).unwrap();
                assert_eq!(ev.event(), *event);
                assert!(!matches!(ev, groupgm::GroupEvent::Other { .. }), "{event}");
                assert_eq!(ev.channel_id().unwrap(), &"C1234567890");
                assert!(parse_time(ev.timestamp()).is_some());
            }
            other => panic!("no typed payload for {other}"),
        }
    }
}

#[test]
fn bubble_message_create_as_documented() {
    let ev: bubble::BubbleEvent =
        serde_json::from_str(documented("bubble", "MESSAGE_CREATE")).unwrap();
    let bubble::BubbleEvent::MessageCreate(m) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(m.id.as_u64(), Some(1001));
    assert_eq!(m.channel_id, Id::from(5));
    assert_eq!(m.guild_id, Id::from(10));
    assert_eq!(m.content, "Hello!");
    assert_eq!(
        (m.author.id.as_str(), m.author.name.as_str()),
        ("1", "user")
    );
    assert_eq!(
        parse_time(&m.timestamp).map(time::OffsetDateTime::unix_timestamp),
        Some(1_767_182_400)
    );
}

#[test]
fn group_manager_events_as_documented() {
    use groupgm::GroupEvent;
    let msg: GroupEvent = serde_json::from_str(documented("groupgm", "message.received")).unwrap();
    let GroupEvent::MessageReceived { data, timestamp } = msg else {
        panic!()
    };
    assert_eq!(timestamp, "2025-01-15T08:30:00Z");
    assert_eq!(data.message_id, "msg_001");
    assert_eq!(data.sender.user_id, "U1234567890");
    assert_eq!(data.sender.display_name, "王小明");
    assert_eq!(
        (data.message_type.as_str(), data.content.as_str()),
        ("text", "大家早安!")
    );

    for event in ["member.joined", "member.left"] {
        let ev: GroupEvent = serde_json::from_str(documented("groupgm", event)).unwrap();
        let (GroupEvent::MemberJoined { data, .. } | GroupEvent::MemberLeft { data, .. }) = ev
        else {
            panic!("{event}")
        };
        assert_eq!(data.member.user_id, "U0987654321");
        assert_eq!(data.member.display_name, "李小華");
    }

    let file: GroupEvent = serde_json::from_str(documented("groupgm", "file.uploaded")).unwrap();
    let GroupEvent::FileUploaded { data, .. } = file else {
        panic!()
    };
    assert_eq!(data.message_id, "msg_002");
    assert_eq!(
        (data.file_type.as_str(), data.file_size),
        ("image", 102_400)
    );
}

#[test]
fn ids_may_be_numbers_or_strings_and_nothing_else() {
    #[derive(serde::Deserialize)]
    struct W {
        id: Id,
    }
    let n: W = serde_json::from_str(r#"{"id":1001}"#).unwrap();
    let s: W = serde_json::from_str(r#"{"id":"1001"}"#).unwrap();
    assert_eq!(n.id, s.id);
    assert_eq!(serde_json::from_str::<W>(r#"{"id":-3}"#).unwrap().id, "-3");
    for bad in [
        r#"{"id":1.5}"#,
        r#"{"id":null}"#,
        r#"{"id":{}}"#,
        r#"{"id":[1]}"#,
    ] {
        assert!(serde_json::from_str::<W>(bad).is_err(), "{bad}");
    }
}

#[test]
fn unknown_fields_are_ignored_and_unlisted_types_reach_other() {
    // The documented body plus a field the documentation does not show.
    let mut v: serde_json::Value =
        serde_json::from_str(documented("bubble", "MESSAGE_CREATE")).unwrap();
    v["data"]["attachments"] = serde_json::json!([]);
    v["extra"] = serde_json::json!(true);
    let ev: bubble::BubbleEvent = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(ev.event_type(), "MESSAGE_CREATE");

    // Types the documentation lists without a body: lenient, never a failure.
    for t in ["MESSAGE_UPDATE", "DM_MESSAGE_DELETE", "GUILD_MEMBER_ADD"] {
        v["type"] = serde_json::json!(t);
        let ev: bubble::BubbleEvent = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(ev.event_type(), t);
    }
    v["type"] = serde_json::json!("MESSAGE_UPDATE");
    v["data"] = serde_json::json!({});
    let ev: bubble::BubbleEvent = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(ev, bubble::BubbleEvent::MessageUpdate(Default::default()));
    // No `data` at all: still the type, with nothing in it.
    for t in ["MESSAGE_DELETE", "DM_MESSAGE_UPDATE", "GUILD_MEMBER_REMOVE"] {
        let ev: bubble::BubbleEvent =
            serde_json::from_value(serde_json::json!({ "type": t })).unwrap();
        assert_eq!(ev.event_type(), t);
    }

    // "See the event reference for the complete list": more types exist.
    v["type"] = serde_json::json!("CHANNEL_CREATE");
    let ev: bubble::BubbleEvent = serde_json::from_value(v).unwrap();
    assert!(
        matches!(ev, bubble::BubbleEvent::Other { ref event_type, .. } if event_type == "CHANNEL_CREATE")
    );

    let mut g: serde_json::Value =
        serde_json::from_str(documented("groupgm", "member.joined")).unwrap();
    g["event"] = serde_json::json!("channel.archived");
    let ev: groupgm::GroupEvent = serde_json::from_value(g).unwrap();
    assert_eq!(ev.event(), "channel.archived");
    assert!(ev.channel_id().is_none());
}

#[test]
fn a_documented_field_of_the_wrong_type_is_an_error() {
    let body = documented("groupgm", "file.uploaded").replace("102400", "\"big\"");
    assert!(serde_json::from_str::<groupgm::GroupEvent>(&body).is_err());
    let body = documented("bubble", "MESSAGE_CREATE").replace("\"Hello!\"", "7");
    assert!(serde_json::from_str::<bubble::BubbleEvent>(&body).is_err());
}

#[test]
fn every_seed_sample_parses_into_its_typed_payload() {
    let now = time::OffsetDateTime::from_unix_timestamp(1_764_046_800).unwrap();
    for (provider, event, tpl, _) in samples::SAMPLES {
        let body = samples::render(tpl, now, 7);
        match *provider {
            "bubble" => {
                let ev: bubble::BubbleEvent = serde_json::from_str(&body).unwrap();
                assert_eq!(ev.event_type(), *event);
            }
            "groupgm" => {
                let ev: groupgm::GroupEvent = serde_json::from_str(&body).unwrap();
                assert_eq!(ev.event(), *event);
            }
            "sendbird" => {
                let m: sendbird::GroupChannelMessage = serde_json::from_str(&body).unwrap();
                assert_eq!(m.members.len(), 3);
            }
            _ => {}
        }
    }
}

#[test]
fn every_platform_example_deserializes_into_its_typed_payload() {
    for (platform, event, body, _) in samples::PLATFORMS {
        match (*platform, *event) {
            ("meta", "messages") => {
                let n: meta::Notification = serde_json::from_str(body).unwrap();
                let v = n.entry[0].changes[0].whatsapp().unwrap();
                assert_eq!(v.metadata.phone_number_id, "106540352242922");
                let m = &v.messages[0];
                assert_eq!((m.kind.as_str(), m.from.as_str()), ("text", "16505551234"));
                assert_eq!(
                    m.text.as_ref().unwrap().body,
                    "Does it come in another color?"
                );
            }
            ("meta", "statuses") => {
                let n: meta::Notification = serde_json::from_str(body).unwrap();
                let v = n.entry[0].changes[0].whatsapp().unwrap();
                assert_eq!(v.statuses[0].status, "delivered");
                assert!(v.messages.is_empty());
            }
            ("meta", "message") => {
                let n: meta::Notification = serde_json::from_str(body).unwrap();
                assert_eq!(n.object, "page");
                let m = &n.entry[0].messaging[0];
                assert_eq!(
                    m.message.as_ref().unwrap().text.as_deref(),
                    Some("hello, world!")
                );
                assert_eq!(m.recipient.id, "<PAGE_ID>");
            }
            ("telegram", "message") => {
                let u: telegram::Update = serde_json::from_str(body).unwrap();
                let m = u.message.unwrap();
                assert_eq!((u.update_id, m.text.as_deref()), (10000, Some("/start")));
                assert_eq!(m.chat.kind.as_deref(), Some("private"));
            }
            ("discord", "APPLICATION_COMMAND") => {
                let i: discord::Interaction = serde_json::from_str(body).unwrap();
                assert_eq!((i.kind, i.command_name()), (2, Some("cardsearch")));
                assert_eq!(i.invoker().unwrap().username, "Mason");
                // The published example names no application: no follow-up URL to guess.
                assert_eq!(i.original_response_url(), None);
            }
            ("teams", "message") => {
                let a: teams::Activity = serde_json::from_str(body).unwrap();
                assert_eq!(a.text.as_deref(), Some("Hello Teams TestBot"));
                assert_eq!(a.from.unwrap().name.as_deref(), Some("Megan Bowen"));
            }
            ("zoom", _) => {
                let e: zoom::ZoomEvent = serde_json::from_str(body).unwrap();
                assert_eq!(e.event, *event);
            }
            other => panic!("no typed payload for {other:?}"),
        }
    }
}
