//! What TAB offers for a PROFILE argument: the profile names of the
//! user's file as it is now, read loosely and with a size cap.

use std::path::PathBuf;
use std::sync::OnceLock;

use clap_complete::engine::CompletionCandidate;

use crate::config;

/// `--config` as written on the command line being completed.
pub(super) static CONFIG_FLAG: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The profile names of the user's file, each with its flavour as help.
/// A file that cannot be read or parsed offers nothing.
pub fn profile_names() -> Vec<CompletionCandidate> {
    let flag = CONFIG_FLAG.get().cloned().flatten();
    let Ok(path) = config::locate(flag.as_deref()) else {
        return vec![];
    };
    // A regular file only, and not all of a huge one: a FIFO or a device
    // named as the config must not hang or eat memory on TAB.
    let Ok(bytes) = crate::util::fs::read_regular(&path, config::PROFILES_CAP) else {
        return vec![];
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return vec![];
    };
    names_in(&text)
        .into_iter()
        .map(|(name, flavour)| {
            let help = match flavour {
                Some(f) => format!("{f} profile"),
                None => "profile".into(),
            };
            CompletionCandidate::new(name).help(Some(help.into()))
        })
        .collect()
}

/// The `[profiles.NAME]` tables of a profiles file and their flavours, read
/// loosely: a profile with a mistake in it is still offered.
fn names_in(text: &str) -> Vec<(String, Option<String>)> {
    let Ok(file) = text.parse::<toml::Table>() else {
        return vec![];
    };
    let Some(toml::Value::Table(profiles)) = file.get("profiles") else {
        return vec![];
    };
    profiles
        .iter()
        .map(|(name, value)| {
            let flavour = value
                .get("flavour")
                .or_else(|| value.get("flavor"))
                .and_then(|f| f.as_str())
                .map(str::to_string);
            (name.clone(), flavour)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::names_in;

    #[test]
    fn reads_profile_names_loosely() {
        let text = "[defaults]\ncache = \"none\"\n[profiles.a]\nflavour = \"oauth2\"\nbad_key = 1\n[profiles.b]\nflavor = \"http\"\n[profiles.c]\n";
        assert_eq!(
            names_in(text),
            vec![
                ("a".into(), Some("oauth2".into())),
                ("b".into(), Some("http".into())),
                ("c".into(), None)
            ]
        );
        assert!(names_in("not [toml").is_empty());
        assert!(names_in("").is_empty());
    }
}
