//! `voxanne bench <what>`: the repository's benchmarks (figures recorded in the README).

use std::process::ExitCode;

use clap::Subcommand;

use crate::bench::{self, human_us, load::LoadResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
    /// Print the figures as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Sandbox Create Message throughput and p50/p99 latency.
    Sandbox {
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Cost of opening a stored credential and of authenticating an API key (SQLite).
    Vault {
        #[arg(long, default_value_t = 2_000)]
        iterations: u32,
    },
}

pub async fn run(args: Args) -> ExitCode {
    match args.what {
        What::Sandbox {
            concurrency,
            seconds,
        } => match bench::sandbox::run(concurrency, seconds).await {
            Ok(result) => {
                print_load("sandbox Create Message", &result, args.json);
                ExitCode::SUCCESS
            }
            Err(err) => fail("sandbox", err),
        },
        What::Vault { iterations } => match bench::vault::run(iterations).await {
            Ok(f) => {
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({ "benchmark": "vault", "result": f })
                    );
                } else {
                    println!(
                        "vault ({} iterations, SQLite): credential open {:.1} µs/call \
                         (unwrap + decrypt alone {:.1} µs), API-key authentication {:.1} µs/call, \
                         malformed key rejected in {:.2} µs without a query",
                        f.iterations,
                        f.credential_open_us,
                        f.unwrap_and_decrypt_us,
                        f.api_key_auth_us,
                        f.api_key_reject_malformed_us
                    );
                }
                ExitCode::SUCCESS
            }
            Err(err) => fail("vault", err),
        },
    }
}

fn fail(name: &str, err: anyhow::Error) -> ExitCode {
    eprintln!("error: {name} benchmark failed: {err:#}");
    ExitCode::FAILURE
}

fn print_load(name: &str, r: &LoadResult, json: bool) {
    if json {
        println!("{}", serde_json::json!({ "benchmark": name, "result": r }));
        return;
    }
    println!(
        "{name}: {:.0}/s over {:.0}s at {} connections, p50 {}, p99 {}, max {} ({} ok, {} errors)",
        r.per_second,
        r.seconds,
        r.concurrency,
        human_us(r.latency.p50_us),
        human_us(r.latency.p99_us),
        human_us(r.latency.max_us),
        r.ok,
        r.errors
    );
}
