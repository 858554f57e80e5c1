//! The keys of flavour `http`: the URL, the method, the body encoding and
//! the request fields as written (any TOML, secret sources included).

use super::{Result, bad, parse_url};
use crate::config::model::{Encoding, Field, Http};
use crate::config::raw::RawProfile;
use crate::secrets::{Source, Text};

pub(super) fn endpoint(
    name: &str,
    raw: &RawProfile,
    insecure: bool,
    sourced: &mut Vec<(String, Text)>,
) -> Result<Http> {
    let url_text = match raw.url.clone() {
        None => return Err(bad(name, "flavour \"http\" needs `url`")),
        Some(Text::Plain(url)) => {
            parse_url(name, "url", &url, insecure)?;
            url
        }
        // Read when fetching (`config/addresses.rs`).
        Some(text) => {
            sourced.push(("url".into(), text));
            String::new()
        }
    };
    let method_text = raw.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
        bad(
            name,
            format!("`method` \"{method_text}\" is not an HTTP method"),
        )
    })?;
    let body = raw.body.as_ref().map_or(Encoding::Json, |v| v.value);
    let fields = match &raw.fields {
        Some(table) => table_fields(name, "fields", &table.0)?,
        None => vec![],
    };
    if body == Encoding::None && !fields.is_empty() {
        return Err(bad(
            name,
            "`fields` are set but `body` is \"none\": choose json, form or query",
        ));
    }
    if matches!(body, Encoding::Form | Encoding::Query)
        && fields
            .iter()
            .any(|(_, f)| matches!(f, Field::Table(_) | Field::List(_)))
    {
        return Err(bad(name, "nested `fields` need `body = \"json\"`"));
    }
    let response = raw.response.as_ref();
    if response.and_then(|r| r.token.as_ref()).is_none()
        && !response
            .and_then(|r| r.format.as_deref())
            .is_some_and(|f| f.eq_ignore_ascii_case("text"))
    {
        return Err(bad(
            name,
            "flavour \"http\" needs `response.token`, the JSON Pointer to the token, e.g. \"/access_token\"",
        ));
    }
    let basic = match (&raw.basic_username, &raw.basic_password) {
        (Some(u), Some(p)) => Some((u.clone(), p.clone())),
        (None, None) => None,
        _ => {
            return Err(bad(
                name,
                "HTTP Basic needs both `basic_username` and `basic_password`",
            ));
        }
    };
    Ok(Http {
        url_text,
        method,
        body,
        fields,
        basic,
    })
}

fn table_fields(name: &str, path: &str, table: &toml::Table) -> Result<Vec<(String, Field)>> {
    table
        .iter()
        .map(|(k, v)| Ok((k.clone(), field(name, &format!("{path}.{k}"), v)?)))
        .collect()
}

fn field(name: &str, path: &str, value: &toml::Value) -> Result<Field> {
    use toml::Value as V;
    Ok(match value {
        V::String(s) => Field::Text(Text::Plain(s.clone())),
        V::Integer(i) => Field::Number((*i).into()),
        V::Float(f) => Field::Number(
            serde_json::Number::from_f64(*f)
                .ok_or_else(|| bad(name, format!("`{path}` is not a finite number")))?,
        ),
        V::Boolean(b) => Field::Bool(*b),
        V::Datetime(d) => Field::Text(Text::Plain(d.to_string())),
        V::Array(items) => Field::List(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| field(name, &format!("{path}[{i}]"), v))
                .collect::<Result<_>>()?,
        ),
        V::Table(t)
            if t.len() == 1
                && Source::KEYS.contains(&t.keys().next().map_or("", String::as_str)) =>
        {
            let source: Source = V::Table(t.clone())
                .try_into()
                .map_err(|e: toml::de::Error| bad(name, format!("`{path}`: {}", e.message())))?;
            Field::Text(Text::From(source))
        }
        V::Table(t) => Field::Table(table_fields(name, path, t)?),
    })
}
