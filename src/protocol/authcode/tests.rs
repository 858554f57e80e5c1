use super::*;

#[test]
fn the_challenge_is_rfc_7636_appendix_b() {
    assert_eq!(
        challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn the_authorization_url_keeps_the_endpoint_query() {
    let url = authorization_url(
        "https://login.example/authorize?tenant=a",
        &[
            ("client_id".into(), "my app".into()),
            ("state".into(), "s&1".into()),
        ],
    )
    .unwrap();
    assert_eq!(
        url,
        "https://login.example/authorize?tenant=a&client_id=my+app&state=s%261"
    );
    assert!(authorization_url("not a url", &[]).is_err());
}

#[test]
fn the_redirect_is_read_only_with_the_right_state() {
    let code = read_callback("GET /callback?code=abc%2Fd&state=S1 HTTP/1.1", "S1");
    assert_eq!(code, Callback::Code(Secret::new("abc/d".to_string())));
    assert_eq!(
        read_callback("GET /callback?code=abc&state=S2 HTTP/1.1", "S1"),
        Callback::WrongState
    );
    assert_eq!(
        read_callback("GET /callback?code=abc HTTP/1.1", "S1"),
        Callback::WrongState
    );
    assert_eq!(
        read_callback("GET /favicon.ico HTTP/1.1", "S1"),
        Callback::Elsewhere
    );
    assert_eq!(read_callback("garbage", "S1"), Callback::Elsewhere);
    assert_eq!(read_callback("", "S1"), Callback::Elsewhere);
}

#[test]
fn a_denial_carries_the_servers_words() {
    let denied = read_callback(
        "GET /callback?error=access_denied&error_description=the+user+said+no&state=S1 HTTP/1.1",
        "S1",
    );
    assert_eq!(
        denied,
        Callback::Denied("access_denied: the user said no".into())
    );
    assert!(matches!(
        read_callback("GET /callback?state=S1 HTTP/1.1", "S1"),
        Callback::Denied(_)
    ));
}

#[test]
fn pages_escape_what_they_show() {
    let p = page(false, "<script>x</script> & more");
    assert!(
        p.contains("&lt;script&gt;x&lt;/script&gt; &amp; more"),
        "{p}"
    );
    assert!(p.contains("sign-in failed"));
    assert!(page(true, "ok").contains("signed in"));
}

#[test]
fn a_pasted_redirect_is_read_with_its_state_checked() {
    let at = "/oauth/cb";
    let url = "http://[::1]:8400/oauth/cb?code=c%2F1&state=S1";
    assert!(matches!(read_pasted(url, at, "S1"), Callback::Code(c) if c.expose() == "c/1"));
    assert!(
        matches!(read_pasted("  ?code=c2&state=S1\n", at, "S1"), Callback::Code(c) if c.expose() == "c2")
    );
    assert_eq!(read_pasted(url, at, "S2"), Callback::WrongState);
    assert_eq!(
        read_pasted("http://127.0.0.1/other?code=x&state=S1", at, "S1"),
        Callback::Elsewhere
    );
    assert_eq!(
        read_callback_at("GET /oauth/cb?code=c3&state=S1 HTTP/1.1", at, "S2"),
        Callback::WrongState
    );
    assert_eq!(
        read_callback_at("GET /callback?code=c3&state=S1 HTTP/1.1", at, "S1"),
        Callback::Elsewhere
    );
}
