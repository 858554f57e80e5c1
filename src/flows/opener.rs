//! How the browser login's URL reaches a browser: the profile's `browser`
//! command, `$BROWSER`, WSL's opener (`wslview`, else `cmd.exe /c start`),
//! the desktop's; over SSH none is tried (the URL is printed, and with no
//! display the user pastes the redirected address back). [`choose`] is
//! the rule, pure; [`look`] reads this machine; [`open`] starts the
//! program, without a shell.

use crate::config::Browser;

/// What the machine says, for [`choose`].
#[derive(Debug, Default, Clone)]
pub struct Machine {
    /// `SSH_CONNECTION` is set: the browser, if any, is elsewhere.
    pub ssh: bool,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    pub display: bool,
    /// `/proc/version` mentions Microsoft: WSL, the browser is Windows'.
    pub wsl: bool,
    /// `wslview` (wslu) is on the PATH.
    pub wslview: bool,
    /// `$BROWSER`'s first entry.
    pub browser_var: Option<String>,
}

/// What the login does with its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Way {
    /// Starts this program with the URL.
    Open(Vec<String>),
    /// Prints it; the redirect comes to the listener.
    Print,
    /// Prints it and reads the redirected address pasted on stdin too.
    Paste,
}

/// The rule: the profile's choice first; in `auto`, over SSH nothing is
/// opened (paste mode without a display), then `$BROWSER`, the system's
/// opener (macOS, Windows), WSL's without a display, the desktop's.
pub fn choose(choice: &Browser, m: &Machine) -> Way {
    match choice {
        Browser::Command(argv) => return Way::Open(argv.clone()),
        Browser::Paste => return Way::Paste,
        Browser::Print => return Way::Print,
        Browser::Auto => {}
    }
    if m.ssh {
        return if m.display { Way::Print } else { Way::Paste };
    }
    if let Some(b) = &m.browser_var {
        return Way::Open(b.split_whitespace().map(str::to_string).collect());
    }
    let argv: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else if m.wsl && !m.display {
        if m.wslview {
            &["wslview"]
        } else {
            &["cmd.exe", "/c", "start"]
        }
    } else if m.display {
        &["xdg-open"]
    } else {
        return Way::Print;
    };
    Way::Open(argv.iter().map(|s| s.to_string()).collect())
}

/// The command line for `url`: `%s` replaced by it, else it is appended;
/// for `cmd.exe` its `&` are escaped (`^&`), or `start` would cut the URL.
pub fn command_line(argv: &[String], url: &str) -> Vec<String> {
    let cmd = argv
        .first()
        .is_some_and(|a| a.to_ascii_lowercase().ends_with("cmd.exe"));
    let url = if cmd {
        url.replace('&', "^&")
    } else {
        url.to_string()
    };
    let mut argv = argv.to_vec();
    match argv.iter_mut().find(|a| a.contains("%s")) {
        Some(arg) => *arg = arg.replace("%s", &url),
        None => argv.push(url),
    }
    argv
}

/// This machine, as [`choose`] needs it.
pub fn look() -> Machine {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    let wsl = cfg!(target_os = "linux")
        && std::fs::read_to_string("/proc/version")
            .is_ok_and(|v| v.to_ascii_lowercase().contains("microsoft"));
    Machine {
        ssh: set("SSH_CONNECTION"),
        display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
        wsl,
        wslview: wsl && on_path("wslview"),
        browser_var: std::env::var("BROWSER")
            .ok()
            .and_then(|b| b.split(':').next().map(str::to_string))
            .filter(|b| !b.trim().is_empty()),
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// Starts `argv` with `url` (see [`command_line`]), not waiting for it;
/// `false` when it could not be started.
pub fn open(argv: &[String], url: &str) -> bool {
    let argv = command_line(argv, url);
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    let spawned = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reaped in the background; the login does not wait for it.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(e) => {
            crate::log::debug!("could not start the browser `{program}`: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_profile_s_choice_comes_first() {
        let m = Machine {
            ssh: true,
            ..Machine::default()
        };
        let cmd = Browser::Command(argv(&["my-open", "--new"]));
        assert_eq!(choose(&cmd, &m), Way::Open(argv(&["my-open", "--new"])));
        assert_eq!(choose(&Browser::Paste, &Machine::default()), Way::Paste);
        assert_eq!(choose(&Browser::Print, &Machine::default()), Way::Print);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn auto_over_ssh_wsl_and_desktops() {
        let ssh = Machine {
            ssh: true,
            browser_var: Some("firefox".into()),
            ..Machine::default()
        };
        assert_eq!(choose(&Browser::Auto, &ssh), Way::Paste);
        let ssh_x = Machine {
            display: true,
            ..ssh.clone()
        };
        assert_eq!(choose(&Browser::Auto, &ssh_x), Way::Print);
        let wsl = Machine {
            wsl: true,
            ..Machine::default()
        };
        assert_eq!(
            choose(&Browser::Auto, &wsl),
            Way::Open(argv(&["cmd.exe", "/c", "start"]))
        );
        let wslview = Machine {
            wslview: true,
            ..wsl.clone()
        };
        assert_eq!(
            choose(&Browser::Auto, &wslview),
            Way::Open(argv(&["wslview"]))
        );
        let desktop = Machine {
            display: true,
            ..Machine::default()
        };
        assert_eq!(
            choose(&Browser::Auto, &desktop),
            Way::Open(argv(&["xdg-open"]))
        );
        assert_eq!(choose(&Browser::Auto, &Machine::default()), Way::Print);
    }

    #[test]
    fn the_url_goes_in_once_and_cmd_gets_its_ampersands_escaped() {
        let url = "https://a.example/auth?x=1&y=2";
        assert_eq!(command_line(&argv(&["o"]), url), argv(&["o", url]));
        assert_eq!(
            command_line(&argv(&["o", "--url=%s", "-n"]), url),
            argv(&["o", &format!("--url={url}"), "-n"])
        );
        assert_eq!(
            command_line(&argv(&["cmd.exe", "/c", "start"]), url),
            argv(&["cmd.exe", "/c", "start", "https://a.example/auth?x=1^&y=2"])
        );
    }
}
