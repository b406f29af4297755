//! `voxanne keys generate|rotate|status`: master key life cycle.
//!
//! Rotating: generate a new key, configure it *first* in VOXANNE_MASTER_KEY with the old key after
//! it (`NEW,OLD`), restart, run `voxanne keys rotate`, and once `keys status` shows 0 references
//! to the old key, remove it.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use secrecy::ExposeSecret;
use serde_json::json;

use super::store_args::{CommandError, StoreArgs, finish};
use crate::vault::MasterKey;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Print a new random master key (base64 of 32 bytes) and its key id.
    Generate,
    /// Re-wrap every organization's data key under the newest configured master key.
    Rotate,
    /// Show how many rows each master key still seals.
    Status,
}

pub async fn run(args: Args) -> ExitCode {
    finish(execute(args).await).await
}

async fn execute(args: Args) -> Result<(), CommandError> {
    match args.command {
        KeysCommand::Generate => {
            let key = MasterKey::generate();
            // Printed once for the operator to store in their secret manager.
            let text = key.to_base64();
            let text = text.expose_secret();
            args.store.print(&json!({ "key": text, "key_id": key.id().to_string() }), || {
                format!(
                    "{text}\n# key id {}: export VOXANNE_MASTER_KEY={text} (put it first, before older keys, when rotating)\n",
                    key.id()
                )
            });
            Ok(())
        }
        KeysCommand::Rotate => rotate(&args.store).await,
        KeysCommand::Status => status(&args.store).await,
    }
}

async fn rotate(args: &StoreArgs) -> Result<(), CommandError> {
    let store = args.open_store().await?;
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} data keys re-wrapped") {
        bar.set_style(style);
    }
    let report = store
        .rotate_data_keys(|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    args.print(&report, || {
        let mut text = format!(
            "re-wrapped {} data keys under key {} ({} changed concurrently and were skipped)\n",
            report.rewrapped, report.newest_key_id, report.skipped
        );
        for org in &report.unreadable {
            text.push_str(&format!(
                "cannot open the data key of {org}: its master key is not configured\n"
            ));
        }
        text.push_str(&format!(
            "{} rows still reference older keys{}\n",
            report.remaining_old,
            if report.remaining_old == 0 {
                ": older keys can be retired"
            } else {
                ""
            }
        ));
        text
    });
    store.close().await;
    if report.unreadable.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "{} organizations have data keys no configured master key opens: add the missing key to VOXANNE_MASTER_KEY and run again",
            report.unreadable.len()
        )))
    }
}

async fn status(args: &StoreArgs) -> Result<(), CommandError> {
    let store = args.open_store().await?;
    let usage = store.key_usage().await?;
    let old = store.old_key_references().await?;
    args.print(&json!({ "keys": usage, "old_key_references": old }), || {
        let mut text = String::from("key id    data keys  key check  configured\n");
        for key in &usage {
            text.push_str(&format!(
                "{}  {:>9}  {:>9}  {}{}\n",
                key.key_id,
                key.data_keys,
                if key.key_check { "yes" } else { "no" },
                if key.configured { "yes" } else { "no" },
                if key.newest { " (newest)" } else { "" },
            ));
        }
        text.push_str(&format!(
            "{old} rows reference keys other than the newest\n"
        ));
        text
    });
    store.close().await;
    Ok(())
}
