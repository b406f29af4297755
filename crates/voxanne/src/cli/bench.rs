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
    /// Hot-lead latency (API accept → sandbox phone) at a steady rate, then dispatch throughput
    /// draining a backlog; the service runs in-process on SQLite or `--database-url`.
    Delivery {
        #[arg(long)]
        database_url: Option<String>,
        /// Hot leads per second in the latency phase.
        #[arg(long, default_value_t = 50)]
        rate: u32,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Messages committed at once for the throughput phase.
        #[arg(long, default_value_t = 20_000)]
        backlog: usize,
        /// The sandbox's simulated carrier: milliseconds between life-cycle steps.
        #[arg(long, default_value_t = 5)]
        step_delay_ms: u64,
    },
    /// Availability over 7 days with existing events (p50/p99), then bookings per second from
    /// concurrent clients, into the Google stand-in; SQLite or `--database-url`.
    Booking {
        #[arg(long)]
        database_url: Option<String>,
        /// Existing events in the calendar's coming week.
        #[arg(long, default_value_t = 200)]
        events: usize,
        /// Availability requests measured (one at a time).
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Bookings made in the throughput phase.
        #[arg(long, default_value_t = 1_000)]
        bookings: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
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
        What::Delivery {
            database_url,
            rate,
            seconds,
            backlog,
            step_delay_ms,
        } => {
            let plan = bench::delivery::Plan {
                database_url,
                rate,
                seconds,
                backlog,
                step_delay: std::time::Duration::from_millis(step_delay_ms),
            };
            match bench::delivery::run(plan).await {
                Ok(f) => {
                    if args.json {
                        println!(
                            "{}",
                            serde_json::json!({ "benchmark": "delivery", "result": f })
                        );
                    } else {
                        let mib = |k: Option<u64>| {
                            k.map_or("n/a".to_owned(), |k| format!("{} MiB", k / 1024))
                        };
                        println!(
                            "delivery ({}, sandbox step {} ms): hot lead accept→phone at {}/s: \
                             p50 {} ms, p99 {} ms, max {} ms (from the client's request: p50 {} ms, \
                             p99 {} ms) ({}/{} received); backlog {} drained \
                             {} in {:.1} s = {:.0} msg/s; RSS idle {}, peak {}",
                            f.backend,
                            f.step_delay_ms,
                            f.rate_per_second,
                            f.latency_p50_ms,
                            f.latency_p99_ms,
                            f.latency_max_ms,
                            f.request_latency_p50_ms,
                            f.request_latency_p99_ms,
                            f.received,
                            f.sent,
                            f.backlog,
                            f.backlog_drained,
                            f.backlog_seconds,
                            f.dispatch_per_second,
                            mib(f.rss_idle_kib),
                            mib(f.rss_peak_kib)
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => fail("delivery", err),
            }
        }
        What::Booking {
            database_url,
            events,
            queries,
            bookings,
            concurrency,
        } => {
            let plan = bench::booking::Plan {
                database_url,
                events,
                queries,
                bookings,
                concurrency,
            };
            match bench::booking::run(plan).await {
                Ok(f) => {
                    if args.json {
                        println!(
                            "{}",
                            serde_json::json!({ "benchmark": "booking", "result": f })
                        );
                    } else {
                        println!(
                            "booking ({}): availability over 7 days with {} events: p50 {}, p99 {} \
                             ({} requests, {} free slots); bookings at {} clients: {:.0}/s, p50 {}, \
                             p99 {} ({} booked, {} refused)",
                            f.backend,
                            f.events,
                            human_us(f.availability.p50_us),
                            human_us(f.availability.p99_us),
                            f.availability.count,
                            f.slots_found,
                            f.concurrency,
                            f.bookings_per_second,
                            human_us(f.booking.p50_us),
                            human_us(f.booking.p99_us),
                            f.booked,
                            f.refused
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => fail("booking", err),
            }
        }
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
