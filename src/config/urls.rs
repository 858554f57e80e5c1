//! URL policy: which URLs a profile may send to (`https`, or plain `http`
//! to loopback or when allowed), and how a URL is shown to people.

use reqwest::Url;

/// `https` is required, except to a loopback host or when the profile sets
/// `insecure_http = true`.
pub fn check_transport(url: &Url, insecure_http: bool) -> std::result::Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "`{}` is plain http to a host that is not loopback: use https, or set `insecure_http = true` if you must",
            url_for_humans(url)
        )),
        other => Err(format!("unsupported URL scheme `{other}` (use https)")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A URL without its query, fragment and user info, which may hold
/// credentials.
pub fn url_for_humans(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}
