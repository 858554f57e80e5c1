//! `gettoken secret set|delete NAME`: the secrets that `{ keyring = NAME }`
//! sources read.

use std::io::{IsTerminal, Read};

use anyhow::Context;

use crate::cli::SecretCommand;
use crate::error::Failure;
use crate::store;

pub fn run(cmd: SecretCommand) -> anyhow::Result<()> {
    let keyring = store::os_keyring();
    match cmd {
        SecretCommand::Set { name } => {
            let value = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("Secret `{name}`: "))
                    .context("reading the secret from the terminal")?
            } else {
                let mut text = String::new();
                std::io::stdin()
                    .take(1024 * 1024)
                    .read_to_string(&mut text)
                    .context("reading the secret from stdin")?;
                let trimmed = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                trimmed.to_string()
            };
            let value = zeroize::Zeroizing::new(value);
            if value.is_empty() {
                return Err(Failure::usage("the secret is empty: nothing stored").into());
            }
            keyring
                .set(&store::secret_key(&name), &value)
                .with_context(|| format!("cannot store secret `{name}`"))?;
            crate::log::note(format!(
                "stored secret `{name}` in the {}",
                keyring.describe()
            ));
            Ok(())
        }
        SecretCommand::Delete { name } => {
            if keyring
                .delete(&store::secret_key(&name))
                .with_context(|| format!("cannot delete secret `{name}`"))?
            {
                crate::log::note(format!("deleted secret `{name}`"));
                Ok(())
            } else {
                Err(Failure::usage(format!("no secret `{name}` is stored")).into())
            }
        }
    }
}
