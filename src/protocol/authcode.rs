//! The pure parts of the browser login (authorization code grant, RFC 6749
//! 4.1, with PKCE, RFC 7636, and a loopback redirect, RFC 8252): the code
//! challenge, the authorization URL, reading the redirect that comes back,
//! and the page the browser is shown.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;

use crate::secrets::Secret;

/// The path of the loopback redirect URI.
pub const CALLBACK_PATH: &str = "/callback";

/// The S256 code challenge of a verifier (RFC 7636 4.2).
pub fn challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The authorization endpoint with `query` added to any query it has.
pub fn authorization_url(endpoint: &str, query: &[(String, String)]) -> Result<String, String> {
    let mut url = Url::parse(endpoint).map_err(|e| format!("`{endpoint}` is not a URL: {e}"))?;
    url.query_pairs_mut().extend_pairs(query);
    Ok(url.to_string())
}

/// What a request to the loopback listener brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Callback {
    /// Not the redirect (another path, such as /favicon.ico).
    Elsewhere,
    /// A redirect whose `state` is not the one this login sent: a stale
    /// tab or a forgery. Refused; the login goes on waiting.
    WrongState,
    /// The server's answer: the code.
    Code(Secret),
    /// The server's answer: an error (`access_denied`, ...), in its words.
    Denied(String),
}

/// Reads the request line (`GET /callback?code=...&state=... HTTP/1.1`).
pub fn read_callback(request_line: &str, state: &str) -> Callback {
    read_callback_at(request_line, CALLBACK_PATH, state)
}

/// [`read_callback`] for a redirect at `path` (`redirect_uri`'s).
pub fn read_callback_at(request_line: &str, path: &str, state: &str) -> Callback {
    let mut parts = request_line.split_whitespace();
    let (Some(_method), Some(target)) = (parts.next(), parts.next()) else {
        return Callback::Elsewhere;
    };
    let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
        return Callback::Elsewhere;
    };
    read_redirect(&url, path, state)
}

/// Reads the address the user pasted (paste mode): the whole redirected
/// URL from the browser's address bar, or its query (`?code=...`).
pub fn read_pasted(pasted: &str, path: &str, state: &str) -> Callback {
    let pasted = pasted.trim();
    let url = if pasted.starts_with("http://") || pasted.starts_with("https://") {
        Url::parse(pasted).ok()
    } else {
        let query = pasted.trim_start_matches('?');
        Url::parse(&format!("http://127.0.0.1{path}?{query}")).ok()
    };
    match url {
        Some(url) => read_redirect(&url, path, state),
        None => Callback::Elsewhere,
    }
}

/// The redirect's answer in `url`, when it is at `path`.
fn read_redirect(url: &Url, path: &str, state: &str) -> Callback {
    if url.path() != path {
        return Callback::Elsewhere;
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state) {
        return Callback::WrongState;
    }
    match (param("code"), param("error")) {
        (Some(code), None) if !code.is_empty() => Callback::Code(Secret::new(code)),
        (_, Some(error)) => {
            let words: String = [Some(error), param("error_description")]
                .into_iter()
                .flatten()
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(": ")
                .chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect();
            Callback::Denied(words)
        }
        _ => Callback::Denied("the redirect carries neither a code nor an error".into()),
    }
}

/// The page shown in the browser at the end of the login.
pub fn page(ok: bool, text: &str) -> String {
    let title = if ok {
        "gettoken: signed in"
    } else {
        "gettoken: sign-in failed"
    };
    let next = if ok {
        "You can close this tab and go back to the terminal."
    } else {
        "Go back to the terminal for details."
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p><p>{next}</p></body></html>\n",
        escape(text)
    )
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
