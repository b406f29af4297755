//! `voxanne user create`: add a dashboard user to an organization.

use std::io::Read;
use std::process::ExitCode;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::store_args::{CommandError, StoreArgs, finish};
use crate::ids::OrgId;
use crate::store::{Role, StoreError};
use crate::team::{self, TeamError};
use crate::tenant::Caller;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Create a user; the password is prompted for (twice), or read from stdin.
    Create {
        #[arg(long)]
        org: OrgId,
        #[arg(long)]
        email: String,
        /// `owner` or `admin`.
        #[arg(long, default_value = "owner", value_parser = parse_role)]
        role: Role,
        /// Read the password from standard input (first line) instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).map_err(|err| err.to_string())
}

/// The use case's refusal as the command line has always worded it (same message, same exit code).
fn command_error(err: TeamError) -> CommandError {
    let store = match err {
        TeamError::InvalidEmail(message) => StoreError::Invalid {
            field: "email",
            message,
        },
        TeamError::EmailTaken => StoreError::Conflict {
            field: "email",
            message: "a user with this email already exists",
        },
        TeamError::NotFound => StoreError::NotFound {
            what: "organization",
        },
        TeamError::LastAdmin => return CommandError::Usage(err.to_string()),
        TeamError::Store(err) => err,
        TeamError::Activity(crate::activity::ActivityError::Store(err)) => err,
    };
    CommandError::Store(store)
}

pub async fn run(args: Args) -> ExitCode {
    finish(execute(args).await).await
}

fn read_password(from_stdin: bool) -> Result<SecretString, CommandError> {
    if from_stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| CommandError::Io {
                context: "cannot read the password from stdin",
                source,
            })?;
        let line = text.lines().next().unwrap_or_default();
        return Ok(SecretString::from(line));
    }
    let prompt = |label: &str| {
        rpassword::prompt_password(label)
            .map(|text| SecretString::from(Zeroizing::new(text).as_str()))
            .map_err(|source| CommandError::Io {
                context: "cannot prompt for a password (no terminal? use --password-stdin)",
                source,
            })
    };
    let first = prompt("Password: ")?;
    let second = prompt("Repeat password: ")?;
    if first.expose_secret() != second.expose_secret() {
        return Err(CommandError::Usage("the two passwords differ".into()));
    }
    Ok(first)
}

async fn execute(args: Args) -> Result<(), CommandError> {
    let store = args.store.open_store().await?;
    match args.command {
        UserCommand::Create {
            org,
            email,
            role,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let caller = Caller::operator(org.clone());
            let user = team::add_user_with_password(&store, &caller, &email, password, role)
                .await
                .map_err(command_error)?;
            args.store.print(&user, || {
                format!(
                    "user {} <{}> ({}) created in {org}\n",
                    user.id, user.email, user.role
                )
            });
        }
    }
    store.close().await;
    Ok(())
}
