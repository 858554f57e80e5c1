//! The `[consumers]` table: which profile answers which tool (docker,
//! cargo, terraform, npm registries) for which host. The one place a
//! consumer protocol asks "whose token for this host?"; adding a protocol
//! is a field here and its [`Consumer`] variant.
//!
//! ```toml
//! [consumers.docker]
//! "registry.example.com" = "prod"
//! "*" = "fallback"          # any other host
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

/// The tools that ask gettoken for a token by host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    Docker,
    Cargo,
    Terraform,
    Npm,
}

impl Consumer {
    /// Its table: `[consumers.NAME]`.
    pub fn key(self) -> &'static str {
        match self {
            Consumer::Docker => "docker",
            Consumer::Cargo => "cargo",
            Consumer::Terraform => "terraform",
            Consumer::Npm => "npm",
        }
    }
}

/// `[consumers]` as written: per tool, host (or `"*"`) to profile name.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumers {
    #[serde(default)]
    docker: BTreeMap<String, String>,
    #[serde(default)]
    cargo: BTreeMap<String, String>,
    #[serde(default)]
    terraform: BTreeMap<String, String>,
    #[serde(default)]
    npm: BTreeMap<String, String>,
}

/// The key for any host a table does not name.
pub const ANY_HOST: &str = "*";

impl Consumers {
    fn table(&self, consumer: Consumer) -> &BTreeMap<String, String> {
        match consumer {
            Consumer::Docker => &self.docker,
            Consumer::Cargo => &self.cargo,
            Consumer::Terraform => &self.terraform,
            Consumer::Npm => &self.npm,
        }
    }

    /// The profile named for `host` (as the tool gave it: a host, a
    /// `host:port`, or a URL), else the table's `"*"`, else `None`.
    pub fn profile_name(&self, consumer: Consumer, host: &str) -> Option<&str> {
        let table = self.table(consumer);
        let wanted = host_key(host);
        table
            .iter()
            .find(|(k, _)| *k != ANY_HOST && host_key(k) == wanted)
            .or_else(|| table.get_key_value(ANY_HOST))
            .map(|(_, v)| v.as_str())
    }

    /// Every `(consumer, host, profile)` written, for `config check`.
    pub fn entries(&self) -> Vec<(&'static str, &str, &str)> {
        [
            Consumer::Docker,
            Consumer::Cargo,
            Consumer::Terraform,
            Consumer::Npm,
        ]
        .into_iter()
        .flat_map(|c| {
            self.table(c)
                .iter()
                .map(move |(h, p)| (c.key(), h.as_str(), p.as_str()))
        })
        .collect()
    }
}

/// A host as compared: lower case, without a scheme (`https://`,
/// `sparse+https://`), a path, a user or a final `/`.
/// `https://Registry.Example.com/v1/` and `registry.example.com` match;
/// ports are kept (`127.0.0.1:5000` is its own host).
pub fn host_key(text: &str) -> String {
    let text = text.trim();
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumers(text: &str) -> Consumers {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn hosts_match_however_the_tool_writes_them() {
        let c = consumers(
            "[docker]\n\"Registry.Example.com\" = \"prod\"\n\"127.0.0.1:5000\" = \"local\"\n",
        );
        for asked in [
            "registry.example.com",
            "https://registry.example.com",
            "https://registry.example.com/v1/",
            "REGISTRY.example.com/",
        ] {
            assert_eq!(
                c.profile_name(Consumer::Docker, asked),
                Some("prod"),
                "{asked}"
            );
        }
        assert_eq!(
            c.profile_name(Consumer::Docker, "http://127.0.0.1:5000"),
            Some("local")
        );
        assert_eq!(c.profile_name(Consumer::Docker, "127.0.0.1:5001"), None);
        assert_eq!(
            c.profile_name(Consumer::Cargo, "registry.example.com"),
            None
        );
        assert_eq!(
            host_key("sparse+https://u@Crates.Example/index/"),
            "crates.example"
        );
    }

    #[test]
    fn star_serves_any_other_host() {
        let c = consumers("[npm]\n\"*\" = \"any\"\n\"npm.example\" = \"one\"\n");
        assert_eq!(c.profile_name(Consumer::Npm, "npm.example"), Some("one"));
        assert_eq!(c.profile_name(Consumer::Npm, "other.example"), Some("any"));
        assert_eq!(c.entries().len(), 2);
    }

    #[test]
    fn an_unknown_tool_is_an_error() {
        let err = toml::from_str::<Consumers>("[dokcer]\n").unwrap_err();
        assert!(err.to_string().contains("dokcer"), "{err}");
    }
}
