//! `voxanne migrate`: bring the database schema up to date (start-up does this too).

use std::process::ExitCode;

use serde_json::json;

use super::store_args::{CommandError, StoreArgs, finish};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(args: Args) -> ExitCode {
    finish(execute(args).await).await
}

async fn execute(args: Args) -> Result<(), CommandError> {
    // Opening the store runs the migrations, then proves the master keys open it.
    let store = args.store.open_store().await?;
    args.store.print(
        &json!({ "migrated": true, "backend": store.backend() }),
        || format!("database schema is up to date ({:?})\n", store.backend()),
    );
    store.close().await;
    Ok(())
}
