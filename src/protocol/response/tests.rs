use std::time::Duration;

use super::*;
use crate::config::ResponseMap;
use crate::error::Kind;

const NOW: i64 = 1_700_000_000;

/// The response map of a plain oauth2 profile: the defaults.
fn oauth2_map() -> ResponseMap {
    let text = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\n";
    let config = crate::config::Config::parse(std::path::Path::new("t.toml"), text, &[]).unwrap();
    config.profile("p").unwrap().response
}

fn ok(body: &str, map: &ResponseMap) -> Token {
    map_reply(200, body.as_bytes(), map, NOW).unwrap()
}

fn err(status: u16, body: &str, map: &ResponseMap) -> Failure {
    map_reply(status, body.as_bytes(), map, NOW).unwrap_err()
}

#[test]
fn standard_reply() {
    let t = ok(
        r#"{"access_token":"at","token_type":"bearer","expires_in":43200,"refresh_token":"rt","scope":"adverts-write read"}"#,
        &oauth2_map(),
    );
    assert_eq!(t.access_token.expose(), "at");
    assert_eq!(t.token_type.as_deref(), Some("bearer"));
    assert_eq!(t.expires_at, Some(NOW + 43200));
    assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("rt"));
    assert_eq!(t.scope.as_deref(), Some("adverts-write read"));
}

#[test]
fn expires_in_as_string_negative_zero_huge() {
    let m = oauth2_map();
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":"3600"}"#, &m).expires_at,
        Some(NOW + 3600)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":-5}"#, &m).expires_at,
        Some(NOW - 5)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":0}"#, &m).expires_at,
        Some(NOW)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":1e300}"#, &m).expires_at,
        Some(NOW + MAX_LIFETIME)
    );
    let e = err(200, r#"{"access_token":"a","expires_in":"soon"}"#, &m);
    assert_eq!(e.kind, Kind::Unreachable);
    assert!(
        e.message.contains("not a number of seconds"),
        "{}",
        e.message
    );
}

#[test]
fn json_envelope_with_success_flag_and_fixed_lifetime() {
    let map = ResponseMap {
        token: "/Data/accessToken".into(),
        success: Some("/status".into()),
        error: vec!["/message".into()],
        lifetime: Some(Duration::from_secs(900)),
        ..oauth2_map()
    };
    let t = ok(
        r#"{"Data":{"accessToken":"tok"},"status":true,"message":null}"#,
        &map,
    );
    assert_eq!(t.access_token.expose(), "tok");
    assert_eq!(t.expires_at, Some(NOW + 900));
    let e = err(
        200,
        r#"{"Data":null,"status":false,"message":"Invalid account code"}"#,
        &map,
    );
    assert_eq!(e.kind, Kind::Refused);
    assert!(e.message.contains("Invalid account code"), "{}", e.message);
    let e = err(200, r#"{"Data":null,"status":"yes"}"#, &map);
    assert!(e.message.contains("`/status` is \"yes\""), "{}", e.message);
}

#[test]
fn absolute_expiry_unix_or_rfc3339() {
    let map = ResponseMap {
        token: "/data/access_token".into(),
        expires_at: Some("/data/expiry".into()),
        success: Some("/success".into()),
        error: vec!["/errors".into()],
        ..oauth2_map()
    };
    let t = ok(
        r#"{"success":true,"data":{"access_token":"t","expiry":1700086400}}"#,
        &map,
    );
    assert_eq!(t.expires_at, Some(1_700_086_400));
    let t = ok(
        r#"{"success":true,"data":{"access_token":"t","expiry":"2023-11-14T22:13:20Z"}}"#,
        &map,
    );
    assert_eq!(t.expires_at, Some(1_700_000_000));
    let ms = ResponseMap {
        expiry_ms: true,
        ..map.clone()
    };
    let t = ok(
        r#"{"success":true,"data":{"access_token":"t","expiry":1700086400000}}"#,
        &ms,
    );
    assert_eq!(
        t.expires_at,
        Some(1_700_086_400),
        "milliseconds when the profile says so"
    );
    let e = err(
        200,
        r#"{"success":false,"errors":{"password":"Invalid password"}}"#,
        &map,
    );
    assert_eq!(e.kind, Kind::Refused);
    assert!(
        e.message.contains("password: Invalid password"),
        "{}",
        e.message
    );
}

#[test]
fn jwt_exp_is_the_fallback_expiry() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"none"}"#),
        b64(r#"{"exp":1700000500}"#)
    );
    let t = ok(&format!(r#"{{"access_token":"{jwt}"}}"#), &oauth2_map());
    assert_eq!(t.expires_at, Some(1_700_000_500));
    assert_eq!(
        ok(r#"{"access_token":"opaque"}"#, &oauth2_map()).expires_at,
        None
    );
}

#[test]
fn oauth2_errors_carry_the_endpoints_words() {
    let m = oauth2_map();
    let e = err(
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid partner credentials parameter","error_human_title":"Błąd"}"#,
        &m,
    );
    assert_eq!(e.kind, Kind::Refused);
    assert!(e.message.contains("HTTP 400"), "{}", e.message);
    assert!(
        e.message
            .contains("invalid_grant: Invalid partner credentials parameter"),
        "{}",
        e.message
    );
    let e = err(
        400,
        r#"{"error":"invalid_request","message":"Missing","hint":"Check the `client_id` parameter"}"#,
        &m,
    );
    assert!(
        e.message
            .contains("invalid_request: Missing: Check the `client_id` parameter"),
        "{}",
        e.message
    );
}

#[test]
fn statuses_decide_the_kind() {
    let m = oauth2_map();
    assert_eq!(err(401, "{}", &m).kind, Kind::Refused);
    assert_eq!(
        err(404, r#"{"message":"client id not found"}"#, &m).kind,
        Kind::Refused
    );
    assert_eq!(err(412, "{}", &m).kind, Kind::Refused);
    assert_eq!(err(408, "", &m).kind, Kind::Unreachable);
    assert_eq!(err(429, "", &m).kind, Kind::Unreachable);
    let e = err(
        502,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        &m,
    );
    assert_eq!(e.kind, Kind::Unreachable);
    assert!(
        e.message.contains("502 Bad Gateway") && !e.message.contains("<h1>"),
        "{}",
        e.message
    );
}

#[test]
fn odd_success_replies_are_clear_errors() {
    let m = oauth2_map();
    assert!(err(200, "", &m).message.contains("empty body"));
    assert!(err(200, "hello", &m).message.contains("not JSON"));
    assert!(
        err(200, "{}", &m)
            .message
            .contains("no token at `/access_token`")
    );
    assert!(
        err(200, r#"{"access_token":42}"#, &m)
            .message
            .contains("a number, not a string")
    );
    assert!(
        err(200, r#"{"access_token":"  "}"#, &m)
            .message
            .contains("empty")
    );
    assert!(err(200, "[1,2]", &m).message.contains("no token"));
    let long = "x".repeat(5000);
    assert!(err(500, &long, &m).message.len() < 800);
}

#[test]
fn tokens_with_spaces_or_control_characters_are_refused() {
    let m = oauth2_map();
    for bad in [
        r#"{"access_token":"tok\r\nX-Evil: 1"}"#,
        r#"{"access_token":"a b"}"#,
        r#"{"access_token":"t\u001b]0;x\u0007"}"#,
    ] {
        let e = err(200, bad, &m);
        assert_eq!(e.kind, Kind::Unreachable);
        assert!(e.message.contains("control characters"), "{}", e.message);
    }
}

#[test]
fn error_text_has_its_control_characters_escaped() {
    let e = err(400, r#"{"error":"bad\u001b[31m red"}"#, &oauth2_map());
    assert!(!e.message.contains('\u{1b}'), "{:?}", e.message);
    // Found by the `reply` fuzz target: an object's keys kept theirs.
    let e = err(
        200,
        r#"{"error":{"access\u007ftoken\u001b":"x"}}"#,
        &oauth2_map(),
    );
    assert!(!e.message.chars().any(char::is_control), "{:?}", e.message);
    assert!(
        e.message.contains("access\\u{7f}token\\u{1b}: x"),
        "{:?}",
        e.message
    );
}

#[test]
fn a_device_authorization_reply_is_read_with_its_defaults() {
    let a = device_authorization(
        200,
        br#"{"device_code":"dc","user_code":"ABCD-EFGH","verification_url":"https://x/device"}"#,
        &[],
    )
    .unwrap();
    assert_eq!(a.device_code.expose(), "dc");
    assert_eq!(a.user_code, "ABCD-EFGH");
    assert_eq!(a.verification_uri, "https://x/device", "Google's spelling");
    assert_eq!(a.verification_uri_complete, None);
    assert_eq!(a.interval, 5, "RFC 8628's default");
    assert_eq!(a.expires_in, 1800);
    let slow = device_authorization(
        200,
        br#"{"device_code":"dc","user_code":"u","verification_uri":"https://x/d","interval":"600","expires_in":900}"#,
        &[],
    )
    .unwrap();
    assert_eq!(slow.interval, 600, "the server's interval is kept");
    assert_eq!(slow.expires_in, 900);
}

#[test]
fn a_device_authorization_reply_that_is_odd_is_refused_clearly() {
    let paths = oauth2_map().error;
    for (status, body, words, kind) in [
        (
            400,
            r#"{"error":"invalid_client"}"#,
            "invalid_client",
            Kind::Refused,
        ),
        (200, "<html>hi</html>", "not JSON", Kind::Unreachable),
        (
            200,
            r#"{"user_code":"u","verification_uri":"x"}"#,
            "no `device_code`",
            Kind::Unreachable,
        ),
        (
            200,
            r#"{"device_code":"d","verification_uri":"x"}"#,
            "no `user_code`",
            Kind::Unreachable,
        ),
        (
            200,
            r#"{"device_code":"d","user_code":"u"}"#,
            "no `verification_uri`",
            Kind::Unreachable,
        ),
        // A terminal escape in what would be shown to the user.
        (
            200,
            "{\"device_code\":\"d\",\"user_code\":\"u\\u001b[2J\",\"verification_uri\":\"x\"}",
            "no `user_code`",
            Kind::Unreachable,
        ),
        (200, r#"[1,2]"#, "no `device_code`", Kind::Unreachable),
    ] {
        let f = device_authorization(status, body.as_bytes(), &paths).unwrap_err();
        assert!(f.message.contains(words), "{body}: {}", f.message);
        assert_eq!(f.kind, kind, "{body}");
    }
}

#[test]
fn device_polls_read_the_error_code_whatever_the_status() {
    let m = oauth2_map();
    for status in [400, 200] {
        let poll = |body: &str| device_poll(status, body.as_bytes(), &m, NOW);
        assert!(matches!(
            poll(r#"{"error":"authorization_pending"}"#),
            Poll::Pending
        ));
        assert!(matches!(poll(r#"{"error":"slow_down"}"#), Poll::SlowDown));
        match poll(r#"{"error":"access_denied","error_description":"no"}"#) {
            Poll::Failed(f) => {
                assert_eq!(f.kind, Kind::Refused);
                assert!(f.message.contains("denied"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
        match poll(r#"{"error":"expired_token"}"#) {
            Poll::Failed(f) => assert!(f.message.contains("expired"), "{}", f.message),
            other => panic!("{other:?}"),
        }
    }
    match device_poll(200, br#"{"access_token":"at","expires_in":60}"#, &m, NOW) {
        Poll::Token(t) => assert_eq!(t.access_token.expose(), "at"),
        other => panic!("{other:?}"),
    }
    match device_poll(400, br#"{"error":"invalid_grant"}"#, &m, NOW) {
        Poll::Failed(f) => assert_eq!(f.kind, Kind::Refused),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        device_poll(503, b"busy", &m, NOW),
        Poll::Failed(Failure {
            kind: Kind::Unreachable,
            ..
        })
    ));
}

#[test]
fn debug_of_what_a_reply_gave_never_shows_a_token_or_code() {
    let t = ok(
        r#"{"access_token":"at-value-1","refresh_token":"rt-value-2"}"#,
        &oauth2_map(),
    );
    let a = device_authorization(
        200,
        br#"{"device_code":"dc-value-3","user_code":"ABCD","verification_uri":"https://x/d"}"#,
        &[],
    )
    .unwrap();
    let poll = device_poll(200, br#"{"access_token":"at-value-4"}"#, &oauth2_map(), NOW);
    let all = [
        format!("{t:?}"),
        format!("{t:#?}"),
        format!("{a:?}"),
        format!("{a:#?}"),
        format!("{poll:?}"),
        format!("{poll:#?}"),
    ]
    .join("\n");
    assert!(!all.contains("value-"), "{all}");
    assert!(all.contains("ABCD"), "{all}");
}

/// Found by the `reply` fuzz target: a JSON error reply without words at the
/// error paths was quoted whole, token and all.
#[test]
fn no_error_message_quotes_the_token() {
    let jwt = "eyJhbGciOiAibm9uZSJ9.eyJleHAiOiAxNzY0NDY0NDAwfQ.c2ln";
    let body = format!(r#"{{"access_token": "{jwt}", "id_token": "idt-value", "n": 1}}"#);
    let e = err(408, &body, &oauth2_map());
    assert!(
        !e.message.contains(jwt) && !e.message.contains("idt-value"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("(redacted)") && e.message.contains("\"n\":1"),
        "{}",
        e.message
    );

    let mut m = oauth2_map();
    m.success = Some("/access_token".into());
    let e = err(200, r#"{"access_token":"at-value-123"}"#, &m);
    assert!(!e.message.contains("at-value"), "{}", e.message);
    let long = "a-long-value-".repeat(4);
    let e = err(200, &format!(r#"{{"access_token":"{long}"}}"#), &m);
    assert!(!e.message.contains("a-long"), "{}", e.message);
    assert!(
        e.message.contains("`/access_token` is a string"),
        "{}",
        e.message
    );

    let mut m = oauth2_map();
    m.error = vec!["/access_token".into(), "/error".into()];
    let e = err(400, r#"{"access_token":"at-value-456","error":"bad"}"#, &m);
    assert!(!e.message.contains("at-value"), "{}", e.message);
    assert!(e.message.ends_with("(redacted): bad"), "{}", e.message);
}

/// Found by the `reply` fuzz target: a response map whose `token_type` (or
/// `scope`) points at the token put the token in `show` and the -H line.
#[test]
fn token_type_and_scope_never_hold_the_token() {
    let mut m = oauth2_map();
    m.token_type = Some("/access_token".into());
    m.scope = Some("/all".into());
    let t = ok(
        r#"{"access_token":"at-value-1","all":["x","at-value-1"]}"#,
        &m,
    );
    assert_eq!((t.token_type, t.scope), (None, None));
    let t = ok(
        r#"{"access_token":"ad","all":["read","adverts-write"]}"#,
        &m,
    );
    assert_eq!(
        t.scope.as_deref(),
        Some("read adverts-write"),
        "only the token, as a word"
    );
    let shown = format!(
        "{:?}",
        ok(r#"{"access_token":"at-value-1","all":["x"]}"#, &m)
    );
    assert!(
        !shown.contains("at-value") && shown.contains("\"x\""),
        "{shown}"
    );
}

/// Found by the `reply` fuzz target: a bad expiry was quoted with its DEL.
#[test]
fn a_bad_expiry_is_quoted_with_its_control_characters_escaped() {
    let mut m = oauth2_map();
    m.expires_at = Some("/expires_at".into());
    let e = err(
        200,
        r#"{"access_token":"a","expires_at":"soon\u007f\u0085!"}"#,
        &m,
    );
    assert!(!e.message.chars().any(char::is_control), "{:?}", e.message);
    assert!(
        e.message.contains(r#""soon\u{7f}\u{85}!""#),
        "{:?}",
        e.message
    );
}

#[test]
fn expiry_numbers_are_seconds_unless_the_profile_says_milliseconds() {
    let at = ResponseMap {
        expires_at: Some("/at".into()),
        ..oauth2_map()
    };
    // Year 9999 in seconds: far, clamped; never read as 1978 in ms.
    let t = ok(r#"{"access_token":"a","at":253402300799}"#, &at);
    assert_eq!(t.expires_at, Some(NOW + MAX_LIFETIME));
    let t = ok(r#"{"access_token":"a","at":1700086400000}"#, &at);
    assert_eq!(t.expires_at, Some(NOW + MAX_LIFETIME));
    let ms = ResponseMap {
        expiry_ms: true,
        ..at.clone()
    };
    let t = ok(r#"{"access_token":"a","at":"1700000500000"}"#, &ms);
    assert_eq!(t.expires_at, Some(NOW + 500));
    let t = ok(r#"{"access_token":"a","at":253402300799000}"#, &ms);
    assert_eq!(t.expires_at, Some(NOW + MAX_LIFETIME));
    let e = err(200, r#"{"access_token":"a","at":"soon"}"#, &ms);
    assert!(e.message.contains("in milliseconds"), "{}", e.message);
    // expires_in too.
    let t = ok(r#"{"access_token":"a","expires_in":90000}"#, &ms);
    assert_eq!(t.expires_at, Some(NOW + 90));
    let t = ok(r#"{"access_token":"a","expires_in":90000}"#, &oauth2_map());
    assert_eq!(t.expires_at, Some(NOW + 90000));
}

#[test]
fn rfc3339_up_to_the_end_of_year_9999() {
    assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(rfc3339_seconds("2023-11-14T22:13:20Z"), Some(1_700_000_000));
    assert_eq!(
        rfc3339_seconds("9999-12-31T23:59:59Z"),
        Some(253_402_300_799)
    );
    assert_eq!(
        rfc3339_seconds("9999-12-31T23:59:59.999Z"),
        Some(253_402_300_799)
    );
    assert_eq!(
        rfc3339_seconds("9999-12-31T23:59:59+01:00"),
        Some(253_402_297_199)
    );
    assert_eq!(
        rfc3339_seconds("9999-12-31T23:59:59-05:00"),
        Some(253_402_318_799)
    );
    for bad in [
        "next tuesday",
        "9999-12-31",
        "9999-12-31T23:59:59",
        "10000-01-01T00:00:00Z",
    ] {
        assert_eq!(rfc3339_seconds(bad), None, "{bad}");
    }
    let at = ResponseMap {
        expires_at: Some("/at".into()),
        ..oauth2_map()
    };
    let t = ok(r#"{"access_token":"a","at":"9999-12-31T23:59:59Z"}"#, &at);
    assert_eq!(t.expires_at, Some(NOW + MAX_LIFETIME));
}

#[test]
fn a_2xx_reply_without_a_token_is_described_not_quoted() {
    let m = oauth2_map();
    let e =
        map_typed_reply(200, Some("text/plain"), &[], b"opaque-token-value", &m, NOW).unwrap_err();
    assert_eq!(e.kind, Kind::Unreachable);
    assert!(
        e.message.contains("HTTP 200, text/plain, 18 bytes") && e.message.contains("not JSON"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("opaque"), "{}", e.message);
    let e = err(200, "opaque-token-value", &m);
    assert!(e.message.contains("no content type"), "{}", e.message);
    let e = err(200, " \n", &m);
    assert!(e.message.contains("empty body"), "{}", e.message);

    let e = err(200, r#"{"value":"opaque-token-value","kind":"x"}"#, &m);
    assert!(
        e.message.contains("its keys: kind, value") || e.message.contains("its keys: value, kind"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("opaque"), "{}", e.message);
    let long = "k".repeat(64);
    let e = err(200, &format!(r#"{{"{long}":1}}"#), &m);
    assert!(
        e.message.contains("(a key of 64 characters)") && !e.message.contains(&long),
        "{}",
        e.message
    );
    let e = err(200, r#""opaque-token-value""#, &m);
    assert!(
        e.message.contains("the reply is a string, not an object"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("opaque"), "{}", e.message);
    let many: String = (0..12)
        .map(|i| format!(r#""k{i:02}":1"#))
        .collect::<Vec<_>>()
        .join(",");
    let e = err(200, &format!("{{{many}}}"), &m);
    assert!(e.message.contains("and 4 more"), "{}", e.message);
    // The endpoint's words at the error paths are still said.
    let e = err(200, r#"{"error_description":"no token today"}"#, &m);
    assert!(e.message.contains("no token today"), "{}", e.message);
}

#[test]
fn tokens_with_invisible_or_bidi_characters_are_refused() {
    let m = oauth2_map();
    for t in [
        "a\u{202E}b",
        "a\u{200B}",
        "\u{FEFF}a",
        "a\u{2066}",
        "a\u{7f}",
        "a\u{85}b",
        "a\r\nb",
    ] {
        let body = serde_json::json!({"access_token": t}).to_string();
        let e = err(200, &body, &m);
        assert!(
            e.message.contains("control characters"),
            "{t:?}: {}",
            e.message
        );
    }
}

#[test]
fn a_token_type_that_is_not_an_auth_scheme_for_a_token_is_dropped() {
    let m = oauth2_map();
    for tt in [
        "Bearer\r\nX-Injected: 1",
        "Bearer x",
        "a:b",
        "Bea\u{202E}rer",
        "N_A",
        "user",
        "Basic",
    ] {
        let body = serde_json::json!({"access_token": "tok-7", "token_type": tt}).to_string();
        let t = ok(&body, &m);
        assert_eq!(t.token_type, None, "{tt:?}");
        assert_eq!(t.access_token.expose(), "tok-7");
    }
    let t = ok(r#"{"access_token":"tok","token_type":" DPoP "}"#, &m);
    assert_eq!(t.token_type.as_deref(), Some("DPoP"));
    let t = ok(r#"{"access_token":"tok","token_type":"mac"}"#, &m);
    assert_eq!(t.token_type.as_deref(), Some("mac"));
    let t = ok(r#"{"access_token":"tok","token_type":"  "}"#, &m);
    assert_eq!(t.token_type, None);
}

#[test]
fn error_text_is_escaped_for_the_terminal() {
    let m = oauth2_map();
    let body = serde_json::json!({"error": "invalid_grant",
        "error_description": "bad\u{1b}[2Jclient\r\nsee\u{7f}\u{202E}docs\t!"})
    .to_string();
    let e = err(400, &body, &m);
    assert!(
        e.message
            .ends_with(": invalid_grant: bad\\u{1b}[2Jclient  see\\u{7f}\\u{202e}docs !"),
        "{}",
        e.message
    );
    // A body that is not JSON, from a failing endpoint: quoted, escaped.
    let e = err(502, "<h1>Bad\u{9b}Gateway\u{2067}</h1>", &m);
    assert!(
        e.message.contains("Bad\\u{9b}Gateway\\u{2067}"),
        "{}",
        e.message
    );
    // Scope is kept escaped, for `show`.
    let t = ok(
        r#"{"access_token":"tok","scope":"read\u007f wr\u200bite"}"#,
        &m,
    );
    assert_eq!(t.scope.as_deref(), Some("read\\u{7f} wr\\u{200b}ite"));
}
