//! `voxanne api-key create|revoke`: issue and revoke an organization's API keys.

use std::process::ExitCode;

use secrecy::ExposeSecret;
use serde_json::json;

use super::store_args::{CommandError, StoreArgs, finish};
use crate::activity::{self, AuditAction};
use crate::ids::{ApiKeyId, OrgId};
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
    },
    /// Revoke an API key by its id (`key_…`).
    Revoke { key_id: ApiKeyId },
}

/// Writes the operator's change to the organization's audit log (actor "CLI").
pub(super) async fn audit(
    store: &crate::store::Store,
    org: &OrgId,
    action: AuditAction,
    object: &str,
) -> Result<(), CommandError> {
    let caller = Caller::operator(org.clone());
    activity::record(store, &caller, action, object)
        .await
        .map_err(|activity::ActivityError::Store(err)| CommandError::Store(err))
}

pub async fn run(args: Args) -> ExitCode {
    finish(execute(args).await).await
}

async fn execute(args: Args) -> Result<(), CommandError> {
    let store = args.store.open_store().await?;
    match args.command {
        ApiKeyCommand::Create { org } => {
            let (record, key) = store.create_api_key(&org).await?;
            let object = format!("{} ({})", crate::api_keys::display_name(&record), record.id);
            audit(&store, &org, AuditAction::ApiKeyCreated, &object).await?;
            // Shown once, on purpose: this is the only copy of the key.
            let key_text = key.secret().expose_secret();
            args.store.print(
                &json!({ "id": record.id, "org_id": record.org_id, "key": key_text, "last4": record.last4 }),
                || format!("API key {} for {org} (shown once, store it now):\n{key_text}\n", record.id),
            );
        }
        ApiKeyCommand::Revoke { key_id } => {
            let record = store.revoke_api_key_by_id(&key_id).await?;
            let object = format!("{} ({})", crate::api_keys::display_name(&record), record.id);
            audit(&store, &record.org_id, AuditAction::ApiKeyRevoked, &object).await?;
            args.store.print(&record, || {
                format!("API key {key_id} of {} revoked\n", record.org_id)
            });
        }
    }
    store.close().await;
    Ok(())
}
