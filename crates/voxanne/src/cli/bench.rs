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
    /// The dashboard's overview and activity pages of a clinic with a busy history (texts sent
    /// through the sandbox first), read by signed-in admins at once; SQLite or `--database-url`.
    Dashboard {
        #[arg(long)]
        database_url: Option<String>,
        /// Texts in the clinic's history.
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        /// Signed-in admins reading at once, each on its own connection.
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// Seconds each page is read for.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Voxanne against the naive inline server (Node, npm `twilio`: a fresh client per request,
    /// Twilio called inside the handler) on one sandbox: accepted req/s, accept p50/p99, texts
    /// delivered/s and the ratios; then the hot lead's service cost (carrier steps 0 ms) and the
    /// backlog drain next to the sandbox's Create Message rate. Run from a release build; needs
    /// Node.js 20+ and npm (it runs `npm ci` into target/bench-naive once).
    VsNaive {
        /// `postgres://…` of a server where the benchmark may create (and drop) its databases;
        /// unset runs on SQLite.
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// Hot leads per second in the service-cost phase.
        #[arg(long, default_value_t = 50)]
        rate: u32,
        /// Messages committed at once for the drain phase.
        #[arg(long, default_value_t = 20_000)]
        backlog: usize,
        /// Whole runs; with more than one, the median of each figure is printed last.
        #[arg(long, default_value_t = 1)]
        runs: usize,
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
                             p99 {} ms; request→Twilio accepted, the service's own cost: p50 {} ms, \
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
                            f.handoff_p50_ms,
                            f.handoff_p99_ms,
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
        What::Dashboard {
            database_url,
            messages,
            connections,
            seconds,
        } => {
            let plan = bench::dashboard::Plan {
                database_url,
                messages,
                connections,
                seconds,
            };
            match bench::dashboard::run(plan).await {
                Ok(f) => {
                    if args.json {
                        println!(
                            "{}",
                            serde_json::json!({ "benchmark": "dashboard", "result": f })
                        );
                    } else {
                        println!(
                            "dashboard ({}, {} texts sent in {:.1} s):",
                            f.backend, f.messages, f.history_seconds
                        );
                        for page in &f.pages {
                            print_load(
                                &format!(
                                    "  {} (first view {})",
                                    page.path,
                                    human_us(page.first_view_us)
                                ),
                                &page.load,
                                false,
                            );
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => fail("dashboard", err),
            }
        }
        What::VsNaive {
            database_url,
            seconds,
            connections,
            rate,
            backlog,
            runs,
        } => {
            let plan = bench::naive::Plan {
                database_url,
                seconds,
                connections,
                hot_lead_rate: rate,
                backlog,
            };
            let mut figures = Vec::new();
            for run in 1..=runs.max(1) {
                match bench::naive::run(&plan).await {
                    Ok(f) => {
                        print_vs_naive(&format!("run {run}"), &f, args.json);
                        figures.push(f);
                    }
                    Err(err) => return fail("vs-naive", err),
                }
            }
            if figures.len() > 1
                && let Some(median) = bench::naive::median(&figures)
            {
                print_vs_naive(&format!("median of {}", figures.len()), &median, args.json);
            }
            ExitCode::SUCCESS
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

fn print_vs_naive(label: &str, f: &bench::naive::Figures, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "benchmark": "vs-naive", "label": label, "result": f })
        );
        return;
    }
    println!(
        "vs-naive {label} ({}, {} connections, {} s, plain POST /api/messages):",
        f.backend, f.connections, f.seconds
    );
    for (name, s) in [("naive inline", &f.naive), ("voxanne", &f.voxanne)] {
        println!(
            "  {name:<13} accepted {:>6.0} req/s ({} errors), accept p50 {:.1} ms p99 {:.1} ms; \
             delivered {:>6.0}/s ({} until drained {:.1} s after the window opened, {} in the window); \
             server CPU {} ms a text",
            s.accepted_per_second,
            s.errors,
            s.accept_p50_ms,
            s.accept_p99_ms,
            s.delivered_per_second,
            s.delivered_until_drained,
            s.drained_after_seconds,
            s.delivered_in_window,
            s.server_cpu_ms_per_text
                .map_or("n/a".to_owned(), |ms| format!("{ms:.2}"))
        );
    }
    println!(
        "  ratios voxanne/naive: accepted {:.2}x (target >= 2.0), delivered {:.2}x (target >= 1.0); \
         voxanne accept p99 {:.1} ms (target <= 25)",
        f.accepted_ratio, f.delivered_ratio, f.voxanne.accept_p99_ms
    );
    println!(
        "  hot lead service cost (request -> Twilio accepted, carrier 0 ms): p50 {} ms, p99 {} ms \
         (targets <= 3, <= 10); to the phone p50 {} ms, p99 {} ms\n  \
         backlog {} drained at {:.0} msg/s vs sandbox Create Message {:.0}/s = {:.3}x (target >= 0.15)",
        f.hot_lead_p50_ms,
        f.hot_lead_p99_ms,
        f.hot_lead_phone_p50_ms,
        f.hot_lead_phone_p99_ms,
        f.backlog,
        f.backlog_per_second,
        f.sandbox_create_per_second,
        f.backlog_ratio
    );
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
