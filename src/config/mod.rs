//! The profiles file: where it is, reading and parsing it, and turning a
//! profile name into a validated [`Profile`].

mod addresses;
pub mod check;
mod choice;
pub mod consumers;
mod fingerprint;
mod keys;
mod literal;
mod model;
mod overrides;
mod raw;
mod scan;
pub mod starter;
mod urls;
mod validate;

use std::path::{Path, PathBuf};

pub use model::{Browser, Redirect};
pub use model::{
    CacheKind, ClientAuth, DEFAULT_ERROR_PATHS, Encoding, Endpoint, Field, Format, Grant,
    HEADER_PATH, Http, JWT_BEARER_GRANT, OAuth2, Profile, ReplyFormat, ResponseMap, SigningAlg,
    Thumbprint,
};
pub use model::{Dpop, Exchange, TOKEN_EXCHANGE_GRANT};
pub use overrides::Overrides;
pub use urls::{check_transport, url_for_humans};

use crate::error::Failure;
use crate::util::suggest;

/// The parsed profiles file.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    file: raw::File,
    /// Whether users other than the owner may read the file.
    shared: bool,
}

/// Where the profiles file is: `--config`, else `$GETTOKEN_CONFIG`, else
/// `<user config dir>/gettoken/profiles.toml`.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("GETTOKEN_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    dirs::config_dir()
        .map(|dir| dir.join("gettoken").join("profiles.toml"))
        .ok_or_else(|| {
            Failure::usage("no config directory is known for this user: pass --config PATH or set GETTOKEN_CONFIG")
        })
}

impl Config {
    /// Reads and parses the file at `path`. `reserved` are the names no
    /// profile may take (the subcommands).
    pub fn load(path: &Path, reserved: &[&str]) -> Result<Config, Failure> {
        let (bytes, shared) = read(path)?;
        Config::from_bytes(path, bytes, shared, reserved)
    }

    fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        shared: bool,
        reserved: &[&str],
    ) -> Result<Config, Failure> {
        let text = utf8(path, bytes)?;
        let mut config = Config::parse(path, &text, reserved)?;
        config.shared = shared;
        Ok(config)
    }

    /// The profile `name` of the file at `path`, as
    /// `Config::load(path, reserved)?.profile(name)` gives it, parsing only
    /// the tables it needs when the file allows (config/scan.rs); the
    /// exposure warning is said here. A file others may read is parsed
    /// whole: the warning looks at every table.
    pub fn load_profile(path: &Path, name: &str, reserved: &[&str]) -> Result<Profile, Failure> {
        use crate::util::fs::{Links, open_regular, read_capped};
        let failed = |e: std::io::Error| read_failure(path, &e);
        let (mut file, meta) = open_regular(path, Links::Follow).map_err(failed)?;
        let shared = readable_by_others(&meta);
        if !shared
            && meta.len() <= PROFILES_CAP
            && let Some(text) = scan_file(&mut file, name, reserved)
            && let Ok(config) = Config::parse(path, &text, reserved)
        {
            return config.profile(name);
        }
        use std::io::Seek as _;
        file.rewind().map_err(failed)?;
        let bytes = read_capped(file, &meta, PROFILES_CAP).map_err(failed)?;
        let config = Config::from_bytes(path, bytes, shared, reserved)?;
        if let Some(warning) = config.exposure_warning() {
            crate::log::warn(warning);
        }
        config.profile(name)
    }

    /// The profile `name` of `text` as a cache hit reads it: from only its
    /// own tables and `[defaults]` (config/scan.rs), parsed; `None` when the
    /// scan leaves it to the full parse. For the `config` fuzz target,
    /// which checks it is the whole file's profile.
    #[doc(hidden)]
    pub fn profile_from_its_tables(
        path: &Path,
        text: &str,
        name: &str,
        reserved: &[&str],
    ) -> Option<Result<Profile, Failure>> {
        let mut scan = scan::Scan::new(name, reserved);
        scan.feed(text.as_bytes())?;
        let tables = scan.finish()?;
        Some(Config::parse(path, &tables, reserved).and_then(|c| c.profile(name)))
    }

    pub fn parse(path: &Path, text: &str, reserved: &[&str]) -> Result<Config, Failure> {
        let file: raw::File = toml::from_str(text).map_err(|e| parse_error(path, text, &e))?;
        if let Some(defaults) = &file.defaults
            && let Some(key) = defaults.set_keys().into_iter().find(|key| {
                raw::RawProfile::KEYS
                    .iter()
                    .any(|k| k.name == *key && !k.in_defaults)
            })
        {
            return Err(Failure::usage(format!(
                "{}: `{key}` cannot be set in [defaults]: set it in each profile",
                path.display()
            )));
        }
        if let Some(name) = file
            .profiles
            .keys()
            .find(|n| reserved.contains(&n.as_str()))
        {
            return Err(Failure::usage(format!(
                "{}: a profile cannot be named `{name}`, which is a gettoken command: rename [profiles.{name}]",
                path.display()
            )));
        }
        Ok(Config {
            path: path.to_path_buf(),
            file,
            shared: false,
        })
    }

    /// The warning for a file that other users may read and that holds a
    /// secret written out; `None` when there is nothing to warn of.
    pub fn exposure_warning(&self) -> Option<String> {
        if !self.shared {
            return None;
        }
        literal::warning(&self.path, &literal::find(&self.file))
    }

    /// The profile names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.file.profiles.keys().map(String::as_str)
    }

    /// The named profile with `[defaults]` applied, validated.
    pub fn profile(&self, name: &str) -> Result<Profile, Failure> {
        self.require(name)?;
        let raw = &self.file.profiles[name];
        Profile::resolve(name, self.merged(raw))
    }

    /// `Ok` when the file has a profile `name` (valid or not), else the
    /// "no profile" error every command gives (exit 2, did-you-mean).
    pub fn require(&self, name: &str) -> Result<(), Failure> {
        self.file.profiles.get(name).map(|_| ()).ok_or_else(|| {
            let hint = suggest::hint(name, self.names());
            let known = if self.file.profiles.is_empty() {
                " (the file has no [profiles.NAME] tables)".to_string()
            } else if hint.is_empty() {
                format!(
                    " (profiles: {})",
                    self.names().collect::<Vec<_>>().join(", ")
                )
            } else {
                String::new()
            };
            Failure::usage(format!(
                "no profile `{name}` in {}{hint}{known}",
                self.path.display()
            ))
        })
    }

    /// `raw` with the `[defaults]` of its flavour applied.
    fn merged(&self, raw: &raw::RawProfile) -> raw::RawProfile {
        match &self.file.defaults {
            Some(defaults) => raw
                .clone()
                .merged_with(&defaults.for_flavour(raw.flavour.as_deref())),
            None => raw.clone(),
        }
    }

    /// The profile `[consumers.TOOL]` names for `host` (or its `"*"`),
    /// validated; `None` when the table names none.
    pub fn profile_for(
        &self,
        consumer: consumers::Consumer,
        host: &str,
    ) -> Result<Option<Profile>, Failure> {
        match self.file.consumers.profile_name(consumer, host) {
            None => Ok(None),
            Some(name) => self.profile(name).map(Some).map_err(|e| {
                Failure::usage(format!(
                    "[consumers.{}] names for `{}`: {}",
                    consumer.key(),
                    crate::util::text::escape_for_terminal(host),
                    e.message
                ))
            }),
        }
    }

    /// Every `(tool, host, profile)` of `[consumers]`.
    pub fn consumer_entries(&self) -> Vec<(&'static str, &str, &str)> {
        self.file.consumers.entries()
    }

    /// The flavour written in a profile, without validating the rest.
    pub fn flavour_of(&self, name: &str) -> Option<&str> {
        self.file.profiles.get(name)?.flavour.as_deref()
    }
}

/// The most of a profiles file gettoken reads: far more than any real one.
pub const PROFILES_CAP: u64 = 16 * 1024 * 1024;

/// The bytes of the profiles file, and whether users other than its owner
/// may read it (the mode of the file as opened: no second look-up).
fn read(path: &Path) -> Result<(Vec<u8>, bool), Failure> {
    use crate::util::fs::{Links, open_regular, read_capped};
    let failed = |e: std::io::Error| read_failure(path, &e);
    let (file, meta) = open_regular(path, Links::Follow).map_err(failed)?;
    let bytes = read_capped(file, &meta, PROFILES_CAP).map_err(failed)?;
    Ok((bytes, readable_by_others(&meta)))
}

/// The text of the file at `path`, and whether others can read it.
fn read_text(path: &Path) -> Result<(String, bool), Failure> {
    let (bytes, shared) = read(path)?;
    Ok((utf8(path, bytes)?, shared))
}

/// `bytes` read from `path` as text.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|_| {
        read_failure(
            path,
            &std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ),
        )
    })
}

/// The tables of profile `name` of `file` (config/scan.rs), read through a
/// buffer of 64 KiB: a large file is neither held whole nor faulted into
/// memory page by page (and each read asks for all the room left, so a
/// piece is one read). `None` to parse the whole file (a read error
/// included: the full read says what it is); at most [`PROFILES_CAP`]
/// bytes are read.
fn scan_file(file: &mut std::fs::File, name: &str, reserved: &[&str]) -> Option<String> {
    use std::io::Read as _;
    const PIECE: usize = 64 * 1024;
    let mut scan = scan::Scan::new(name, reserved);
    let mut buf = vec![0; PIECE];
    // The bytes of `buf` read and not yet given to the scan.
    let mut len = 0;
    let mut total = 0u64;
    loop {
        if len == buf.len() {
            // A line longer than the buffer.
            buf.resize(2 * len, 0);
        }
        let n = match file.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        total += n as u64;
        if total > PROFILES_CAP {
            return None;
        }
        len += n;
        if n == 0 {
            scan.feed(&buf[..len])?;
            return scan.finish();
        }
        // Whole lines to the scan; a line begun stays for the next read.
        // (The last line's end is near the buffer's end: a plain search
        // back, not memchr's, which asks the CPU for its features first.)
        if let Some(end) = buf[..len].iter().rposition(|b| *b == b'\n') {
            scan.feed(&buf[..=end])?;
            buf.copy_within(end + 1..len, 0);
            len -= end + 1;
        }
    }
}

fn read_failure(path: &Path, e: &std::io::Error) -> Failure {
    let hint = if e.kind() == std::io::ErrorKind::NotFound {
        " (create one with `gettoken init`, or pass --config PATH)"
    } else {
        ""
    };
    Failure::usage(format!(
        "cannot read profiles file {}: {e}{hint}",
        path.display()
    ))
}

#[cfg(unix)]
fn readable_by_others(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o044 != 0
}

#[cfg(not(unix))]
fn readable_by_others(_: &std::fs::Metadata) -> bool {
    false
}

/// A TOML or schema error as `file:line:column: message`, with a suggestion
/// for an unknown key. The offending line itself is not quoted: it may hold
/// a secret.
fn parse_error(path: &Path, text: &str, err: &toml::de::Error) -> Failure {
    let position = err
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(":{line}:{column}")
        })
        .unwrap_or_default();
    let message = without_values(err.message().trim_end());
    Failure::usage(format!(
        "{}{position}: {}",
        path.display(),
        explain_unknown(&message).unwrap_or_else(|| message.clone())
    ))
}

/// serde's "invalid type: string \"x\", expected ..." quotes the value,
/// which may be a secret: keep only what was expected.
fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if message.starts_with(prefix)
            && let Some((_, expected)) = message.split_once(", expected ")
        {
            return format!(
                "{}: expected {expected}",
                prefix.trim_end().trim_end_matches(':')
            );
        }
    }
    message.to_string()
}

/// serde's "unknown field `x`, expected one of `a`, `b`" as
/// "unknown key `x`; did you mean `a`?".
fn explain_unknown(message: &str) -> Option<String> {
    let (what, rest) = if let Some(rest) = message.strip_prefix("unknown field `") {
        ("key", rest)
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        ("value", rest)
    } else {
        return None;
    };
    let (name, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let hint = suggest::hint(name, expected.iter().copied());
    let hint = if hint.is_empty() && !expected.is_empty() {
        format!("; expected one of: {}", expected.join(", "))
    } else {
        hint
    };
    Some(format!("unknown {what} `{name}`{hint}"))
}

#[cfg(test)]
mod tests;
