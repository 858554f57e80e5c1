//! Credential helpers that tools find by file name: a link named
//! `docker-credential-gettoken` to the binary runs the matching command. Pure: the caller passes argv.

use std::ffi::OsString;
use std::path::Path;

/// The helper names a tool looks for, and the command each runs.
pub const HELPERS: [(&str, &str); 3] = [
    ("docker-credential-gettoken", "docker-credential"),
    ("cargo-credential-gettoken", "cargo-credential"),
    ("terraform-credentials-gettoken", "terraform-credentials"),
];

/// The flag cargo runs every credential provider with.
pub const CARGO_PLUGIN: &str = "--cargo-plugin";

/// `args` with the command the program's name stands for put after it:
/// `docker-credential-gettoken get` becomes
/// `docker-credential-gettoken docker-credential get`. Any other name
/// (`gettoken`) leaves them as they are.
pub fn args_by_name(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(name) = args.first().and_then(|a| Path::new(a).file_stem()) else {
        return args;
    };
    let name = name.to_string_lossy().into_owned();
    // cargo runs a credential provider as `PROGRAM --cargo-plugin`, the
    // rest of its `credential-provider` words in the JSON it sends.
    if args.get(1).is_some_and(|a| a == CARGO_PLUGIN) && !HELPERS.iter().any(|(h, _)| *h == name) {
        args.insert(1, OsString::from("cargo-credential"));
        return args;
    }
    if let Some((_, command)) = HELPERS.iter().find(|(helper, _)| *helper == name) {
        args.insert(1, OsString::from(command));
    } else if let Some(profile) = name.strip_prefix(NPM_PREFIX).filter(|p| !p.is_empty()) {
        args.splice(1..1, [OsString::from("npm-token"), OsString::from(profile)]);
    }
    args
}

/// pnpm's helper for a profile is named `gettoken-npm-PROFILE`.
pub const NPM_PREFIX: &str = "gettoken-npm-";

/// The name of pnpm's helper for `profile`; an error for a name that
/// cannot be a file name.
pub fn npm_helper(profile: &str) -> Result<String, String> {
    if profile.is_empty()
        || profile.contains(['/', '\\', '.'])
        || profile.chars().any(char::is_control)
    {
        return Err(format!(
            "`{}` cannot be named in a file name: --npm takes a profile name",
            crate::util::text::escape_for_terminal(profile)
        ));
    }
    Ok(format!("{NPM_PREFIX}{profile}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_helper_name_runs_its_command() {
        assert_eq!(
            args_by_name(strings(&[
                "/usr/local/bin/docker-credential-gettoken",
                "get"
            ])),
            strings(&[
                "/usr/local/bin/docker-credential-gettoken",
                "docker-credential",
                "get"
            ])
        );
        assert_eq!(
            args_by_name(strings(&["gettoken", "get", "p"])),
            strings(&["gettoken", "get", "p"])
        );
        assert!(args_by_name(Vec::new()).is_empty());
        assert_eq!(
            args_by_name(strings(&["/home/u/bin/gettoken-npm-my-reg"])),
            strings(&["/home/u/bin/gettoken-npm-my-reg", "npm-token", "my-reg"])
        );
        assert_eq!(npm_helper("a_b").unwrap(), "gettoken-npm-a_b");
        assert!(npm_helper("../x").is_err());
        assert_eq!(
            args_by_name(strings(&["/bin/gettoken", "--cargo-plugin"])),
            strings(&["/bin/gettoken", "cargo-credential", "--cargo-plugin"])
        );
        assert_eq!(
            args_by_name(strings(&["cargo-credential-gettoken", "--cargo-plugin"])),
            strings(&[
                "cargo-credential-gettoken",
                "cargo-credential",
                "--cargo-plugin"
            ])
        );
    }
}
