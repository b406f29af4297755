//! `voxanne api-key create|revoke`: issue and revoke an organization's API keys.

use std::process::ExitCode;

use secrecy::ExposeSecret;
use serde_json::json;

use super::store_args::{CommandError, StoreArgs, finish};
use crate::api_keys::{self, ApiKeysError, CreatedKey};
use crate::ids::{ApiKeyId, OrgId};
use crate::store::StoreError;
use crate::tenant::Caller;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: ApiKeyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ApiKeyCommand {
    /// Create an API key for an organization (printed only this once).
    Create {
        #[arg(long)]
        org: OrgId,
        /// What the key is for, shown on the dashboard and in the audit log.
        #[arg(long, default_value = "CLI")]
        name: String,
    },
    /// Revoke an API key by its id (`key_…`).
    Revoke { key_id: ApiKeyId },
}

/// The use case's refusal as the command line has always worded it (same message, same exit code).
pub(super) fn command_error(err: ApiKeysError) -> CommandError {
    match err {
        ApiKeysError::Store(err) => CommandError::Store(err),
        ApiKeysError::Activity(crate::activity::ActivityError::Store(err)) => {
            CommandError::Store(err)
        }
        ApiKeysError::NotFound => CommandError::Store(StoreError::NotFound { what: "API key" }),
        other @ (ApiKeysError::NameMissing
        | ApiKeysError::NameTooLong
        | ApiKeysError::NameInvalid) => CommandError::Usage(other.to_string()),
    }
}

pub async fn run(args: Args) -> ExitCode {
    finish(execute(args).await).await
}

async fn execute(args: Args) -> Result<(), CommandError> {
    let store = args.store.open_store().await?;
    match args.command {
        ApiKeyCommand::Create { org, name } => {
            let caller = Caller::operator(org.clone());
            let CreatedKey { record, key } = api_keys::create(&store, &caller, &name)
                .await
                .map_err(command_error)?;
            // Shown once, on purpose: this is the only copy of the key.
            let key_text = key.secret().expose_secret();
            args.store.print(
                &json!({ "id": record.id, "org_id": record.org_id, "key": key_text, "last4": record.last4 }),
                || format!("API key {} for {org} (shown once, store it now):\n{key_text}\n", record.id),
            );
        }
        ApiKeyCommand::Revoke { key_id } => {
            let record = api_keys::revoke_as_operator(&store, &key_id)
                .await
                .map_err(command_error)?;
            args.store.print(&record, || {
                format!("API key {key_id} of {} revoked\n", record.org_id)
            });
        }
    }
    store.close().await;
    Ok(())
}
