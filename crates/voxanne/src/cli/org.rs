//! `voxanne org create|list|delete`: manage organizations (clinics).

use std::process::ExitCode;

use secrecy::ExposeSecret;
use serde_json::json;

use super::store_args::{CommandError, StoreArgs, finish};
use crate::ids::OrgId;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: OrgCommand,
}

#[derive(Debug, clap::Subcommand)]
enum OrgCommand {
    /// Create an organization; prints its id and its first API key (shown only this once).
    Create {
        #[arg(long)]
        name: String,
    },
    /// List every organization.
    List,
    /// Delete an organization with its users, API keys, credentials and data key.
    Delete { id: OrgId },
}

pub async fn run(args: Args) -> ExitCode {
    finish(execute(args).await).await
}

async fn execute(args: Args) -> Result<(), CommandError> {
    let store = args.store.open_store().await?;
    match args.command {
        OrgCommand::Create { name } => {
            let org = store.create_organization(&name).await?;
            let (record, key) = store.create_api_key(&org.id).await?;
            // Shown once, on purpose: this is the only copy of the key.
            let key_text = key.secret().expose_secret();
            args.store.print(
                &json!({ "organization": org, "api_key": { "id": record.id, "key": key_text, "last4": record.last4 } }),
                || {
                    format!(
                        "organization {} ({}) created\nAPI key {} (shown once, store it now):\n{key_text}\n",
                        org.id, org.name, record.id
                    )
                },
            );
        }
        OrgCommand::List => {
            let orgs = store.list_organizations().await?;
            args.store.print(&orgs, || {
                if orgs.is_empty() {
                    return "no organizations yet: create one with voxanne org create --name NAME\n"
                        .to_owned();
                }
                orgs.iter()
                    .map(|org| {
                        format!(
                            "{}  {}  {}\n",
                            org.id,
                            org.created_at.to_rfc3339(),
                            org.name
                        )
                    })
                    .collect()
            });
        }
        OrgCommand::Delete { id } => {
            store.delete_organization(&id).await?;
            args.store.print(&json!({ "deleted": id }), || {
                format!("organization {id} deleted; its secrets can no longer be decrypted\n")
            });
        }
    }
    store.close().await;
    Ok(())
}
