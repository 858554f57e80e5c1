//! `gettoken config check`: every profile of the file validated offline,
//! with every problem found, not only the first. No secret is resolved and
//! no request is made.

use std::path::Path;

use super::Config;
use crate::error::Failure;

/// What a check found.
#[derive(Debug)]
pub struct Report {
    /// The profiles' names.
    pub names: Vec<String>,
    /// One message per problem, each naming its profile.
    pub problems: Vec<String>,
    /// What is not wrong but unsafe: a secret written out in a file other
    /// users can read.
    pub warnings: Vec<String>,
}

/// Checks the file at `path`. A file that cannot be read or parsed at all
/// is an error; problems in profiles are listed in the report.
/// `reserved` are the names no profile may take.
pub fn check(path: &Path, reserved: &[&str]) -> Result<Report, Failure> {
    let config = Config::load(path, &[])?;
    Ok(check_config(&config, reserved))
}

fn check_config(config: &Config, reserved: &[&str]) -> Report {
    let path = config.path.as_path();
    let mut problems = Vec::new();
    let names: Vec<&str> = config.names().collect();
    if names.is_empty() {
        problems.push(format!(
            "{} has no profiles: add a [profiles.NAME] table",
            path.display()
        ));
    }
    for (tool, host, profile) in config.consumer_entries() {
        if !names.contains(&profile) {
            problems.push(format!(
                "[consumers.{tool}] \"{}\" names no profile of the file: `{}`{}",
                crate::util::text::escape_for_terminal(host),
                crate::util::text::escape_for_terminal(profile),
                crate::util::suggest::hint(profile, names.iter().copied())
            ));
        }
    }
    for name in &names {
        if reserved.contains(name) {
            problems.push(format!(
                "profile `{name}`: the name is a gettoken command: rename [profiles.{name}]"
            ));
            continue;
        }
        match config.profile(name) {
            Err(e) => problems.push(e.message),
            Ok(profile) => {
                if let Some(ca) = &profile.ca_file
                    && let Err(e) =
                        crate::util::fs::open_regular(ca, crate::util::fs::Links::Follow)
                {
                    problems.push(format!(
                        "profile `{name}`: `ca_file` {} cannot be read: {e}",
                        ca.display()
                    ));
                }
                if let super::Endpoint::OAuth2(o) = &profile.endpoint
                    && let Some(from) = &o.refresh_from
                    && !names.contains(&from.as_str())
                {
                    problems.push(format!(
                        "profile `{name}`: `refresh_from` names no profile of the file: `{}`{}",
                        crate::util::text::escape_for_terminal(from),
                        crate::util::suggest::hint(from, names.iter().copied())
                    ));
                }
            }
        }
    }
    Report {
        names: names.iter().map(|n| n.to_string()).collect(),
        problems,
        warnings: config.exposure_warning().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Report {
        let config = Config::parse(Path::new("p.toml"), text, &[]).unwrap();
        check_config(&config, &["list", "show"])
    }

    #[test]
    fn the_starter_file_passes() {
        let report = run(super::super::starter::TEXT);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.names.len(), 1);
    }

    #[test]
    fn every_problem_is_listed() {
        let text = r#"
[profiles.ok]
flavour = "oauth2"
token_url = "https://a.example/t"
[profiles.noflavour]
url = "https://a.example/t"
[profiles.list]
flavour = "oauth2"
token_url = "https://a.example/t"
[profiles.badttl]
flavour = "oauth2"
token_url = "https://a.example/t"
min_ttl = "5"
[profiles.noca]
flavour = "oauth2"
token_url = "https://a.example/t"
ca_file = "/nonexistent/ca.pem"
"#;
        let report = run(text);
        assert_eq!(report.names.len(), 5);
        let all = report.problems.join("\n");
        assert_eq!(report.problems.len(), 4, "{all}");
        for name in ["noflavour", "list", "badttl", "noca"] {
            assert!(all.contains(&format!("profile `{name}`")), "{all}");
        }
        assert!(!all.contains("`ok`"), "{all}");
    }

    #[test]
    fn a_refresh_from_naming_no_profile_is_a_problem() {
        let text = "[profiles.login]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\n[profiles.api]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\nrefresh_from = \"logn\"\n";
        let report = run(text);
        assert_eq!(
            report.problems,
            [
                "profile `api`: `refresh_from` names no profile of the file: `logn`; did you mean `login`?"
            ]
        );
        assert!(
            run(&text.replace("\"logn\"", "\"login\""))
                .problems
                .is_empty()
        );
    }

    #[test]
    fn no_profiles_is_a_problem_and_bad_toml_an_error() {
        assert_eq!(run("[defaults]\nmin_ttl = \"1m\"\n").problems.len(), 1);
        let err = Config::parse(Path::new("p.toml"), "[profiles.a\n", &[]).unwrap_err();
        assert!(err.message.contains("p.toml:1:"), "{}", err.message);
    }
}
