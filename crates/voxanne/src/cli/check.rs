//! `voxanne check twilio`: run the Phase 0 check suite against a Twilio account (or the sandbox).
//!
//! Exit codes: 0 when no check failed (the two SMS checks are skipped, not failed, without
//! `--to`: leaving it out is the operator's choice), 1 when a check failed, 2 for usage errors:
//! missing or malformed credentials or SIDs (nothing is sent to Twilio then; with `--json` the
//! error is printed as `{"error": {"code": "usage", "message"}}`). A From or To number that is not
//! E.164 is a failed check, not a usage error: the report still says what else is right.
//! A test text passes once Twilio reports it delivered within `--deliver-within` seconds; a
//! `--report` file that cannot be created is a usage error too, found before anything is sent.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use twilio::{AccountSid, ApiKeySid, Credentials, MessagingServiceSid};

use super::EXIT_USAGE;
use crate::check::{
    AuthKind, CheckPlan, CheckResult, CheckStatus, Delivery, LocalTime, Report, Sender, TestResults,
};
use crate::phone::PhoneNumber;

const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// Check Twilio credentials, the sender, and (with --to) send two test messages.
    Twilio(TwilioArgs),
}

#[derive(Debug, clap::Args)]
pub struct TwilioArgs {
    /// The Account SID (AC…); always in the request path, also with API keys.
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    account_sid: Option<String>,
    /// The account's Auth Token (prefer the environment variable over the flag).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true, value_parser = secret)]
    auth_token: Option<SecretString>,
    /// An API key SID (SK…); with --api-key-secret it is used instead of the Auth Token.
    #[arg(long, env = "TWILIO_API_KEY_SID")]
    api_key_sid: Option<String>,
    /// The API key's secret.
    #[arg(long, env = "TWILIO_API_KEY_SECRET", hide_env_values = true, value_parser = secret)]
    api_key_secret: Option<SecretString>,
    /// The sending number, E.164 (e.g. +14155552671).
    #[arg(long, env = "TWILIO_PHONE_NUMBER")]
    from: Option<String>,
    /// A Messaging Service (MG…) to send through instead of --from.
    #[arg(long, env = "TWILIO_MESSAGING_SERVICE_SID")]
    messaging_service_sid: Option<String>,
    /// A mobile number to send the two test messages to; without it they are skipped.
    #[arg(long)]
    to: Option<String>,
    /// The clinic name used in the test messages.
    #[arg(long, default_value = "Voxanne Test Clinic")]
    clinic_name: String,
    /// Twilio's REST origin; point it at `voxanne sandbox` to test offline.
    #[arg(long, env = "VOXANNE_TWILIO_BASE_URL", default_value = DEFAULT_BASE_URL)]
    twilio_base_url: String,
    /// Seconds to wait for each Twilio answer.
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
    /// Seconds each test text has, from its request, to be reported delivered (the plan's target
    /// is 5); a text still `sent` then fails as not confirmed.
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    deliver_within: u64,
    /// Stop at Twilio's acceptance instead of following the test texts to delivery.
    #[arg(long, conflicts_with = "deliver_within")]
    no_wait: bool,
    /// Also write the results as a Markdown document (date and time, account, numbers, each
    /// check, verdict; never a secret) to this file.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Print the results as JSON instead of one line per check.
    #[arg(long)]
    json: bool,
}

fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value))
}

pub async fn run(args: Args) -> ExitCode {
    match args.target {
        Target::Twilio(args) => run_twilio(args).await,
    }
}

async fn run_twilio(args: TwilioArgs) -> ExitCode {
    let prepared = prepare(&args).and_then(|(client, plan)| {
        // Created before anything is sent, so a wrong path costs no test texts.
        let file = args
            .report
            .as_ref()
            .map(|path| {
                File::create(path)
                    .map_err(|e| format!("--report: cannot create {}: {e}", path.display()))
            })
            .transpose()?;
        Ok((client, plan, file))
    });
    let (client, plan, file) = match prepared {
        Ok(ready) => ready,
        Err(usage) => {
            if args.json {
                let error = serde_json::json!({"error": {"code": "usage", "message": usage}});
                println!("{error:#}");
            }
            eprintln!("error: {usage}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let report = crate::check::run(&client, &plan).await;
    let results = TestResults::new(
        &report,
        &plan,
        client.account_sid().as_str(),
        local_time(report.started_at),
        env!("CARGO_PKG_VERSION"),
    );
    if args.json {
        match serde_json::to_string_pretty(&results) {
            Ok(json) => println!("{json}"),
            Err(err) => {
                eprintln!("error: cannot print the report as JSON: {err}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", render(&report));
    }
    if let (Some(mut file), Some(path)) = (file, args.report.as_ref()) {
        let written = file
            .write_all(results.to_markdown().as_bytes())
            .and_then(|()| file.sync_all());
        match written {
            Ok(()) => eprintln!("test results written to {}", path.display()),
            Err(err) => {
                eprintln!("error: cannot write {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Turns flags and environment into a client and a plan, or a usage message.
fn prepare(args: &TwilioArgs) -> Result<(twilio::Client, CheckPlan), String> {
    let account_sid = args
        .account_sid
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or("Missing TWILIO_ACCOUNT_SID: set it or pass --account-sid")?;
    let account_sid = AccountSid::parse(account_sid.trim())
        .map_err(|e| format!("The Account SID is invalid: {e}"))?;
    let (credentials, auth) = match (&args.api_key_sid, &args.api_key_secret) {
        (Some(key_sid), secret) => {
            let key_sid = ApiKeySid::parse(key_sid.trim())
                .map_err(|e| format!("The API key SID is invalid: {e}"))?;
            let key_secret = secret
                .clone()
                .ok_or("Missing TWILIO_API_KEY_SECRET: set it or pass --api-key-secret")?;
            (
                Credentials::ApiKey {
                    account_sid,
                    key_sid,
                    key_secret,
                },
                AuthKind::ApiKey,
            )
        }
        (None, _) => {
            let auth_token = args.auth_token.clone().ok_or(
                "Missing TWILIO_AUTH_TOKEN: set it or pass --auth-token (or use an API key with --api-key-sid and --api-key-secret)",
            )?;
            (
                Credentials::AuthToken {
                    account_sid,
                    auth_token,
                },
                AuthKind::AuthToken,
            )
        }
    };
    let sender = match (&args.messaging_service_sid, &args.from) {
        (Some(mg), _) => Sender::MessagingService(
            MessagingServiceSid::parse(mg.trim())
                .map_err(|e| format!("The Messaging Service SID is invalid: {e}"))?,
        ),
        (None, Some(from)) => match PhoneNumber::parse("From", from) {
            Ok(number) => Sender::From(number),
            Err(mistyped) => Sender::Mistyped(mistyped),
        },
        (None, None) => {
            return Err(
                "Missing TWILIO_PHONE_NUMBER: set it or pass --from (or --messaging-service-sid)"
                    .to_owned(),
            );
        }
    };
    let to = args.to.as_deref().map(|to| PhoneNumber::parse("To", to));
    let mut config = if args.twilio_base_url.trim_end_matches('/') == DEFAULT_BASE_URL {
        twilio::Config::default()
    } else {
        // A stand-in (the sandbox, a proxy) serves the Messaging API on the same origin.
        twilio::Config::for_base_url(&args.twilio_base_url)
            .map_err(|e| format!("--twilio-base-url: {e}"))?
    };
    config.timeout = Duration::from_secs(args.timeout_secs.max(1));
    let client = twilio::Client::new(credentials, config).map_err(|e| e.to_string())?;
    let mut plan = CheckPlan::new(auth, sender, to, args.clinic_name.clone());
    plan.delivery = if args.no_wait {
        Delivery::NoWait
    } else {
        Delivery::Within(Duration::from_secs(args.deliver_within))
    };
    Ok((client, plan))
}

/// `at` in the operator's time zone, named when the zone is known: `TZ`, else the
/// `/etc/localtime` link (what the C library reads too); otherwise just the local offset.
fn local_time(at: DateTime<Utc>) -> LocalTime {
    let named = zone_name().and_then(|name| name.parse::<chrono_tz::Tz>().ok());
    match named {
        Some(zone) => LocalTime {
            time: at.with_timezone(&zone).fixed_offset(),
            zone: Some(zone.name().to_owned()),
        },
        None => LocalTime {
            time: at.with_timezone(&chrono::Local).fixed_offset(),
            zone: None,
        },
    }
}

fn zone_name() -> Option<String> {
    if let Ok(tz) = std::env::var("TZ") {
        return Some(tz.trim_start_matches(':').to_owned());
    }
    let link = std::fs::read_link("/etc/localtime").ok()?;
    let (_, name) = link.to_str()?.split_once("zoneinfo/")?;
    Some(name.to_owned())
}

/// One line per check: `PASS account       …`; failures end with the fix and Twilio's code.
pub fn render(report: &Report) -> String {
    report
        .checks
        .iter()
        .map(|c| format!("{}\n", line(c)))
        .collect()
}

fn line(check: &CheckResult) -> String {
    let status = match check.status {
        CheckStatus::Pass => "PASS",
        CheckStatus::Fail => "FAIL",
        CheckStatus::Skip => "SKIP",
    };
    let mut text = format!("{status} {:<13} {}", check.id.as_str(), check.message);
    if let Some(hint) = &check.hint {
        text.push_str(": ");
        text.push_str(&lowercase_first(hint));
    }
    if let Some(code) = check.twilio_code {
        text.push_str(&format!(" [Twilio error {code}]"));
    }
    text
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms and SIDs ("API key", "MG…") as written.
        Some(first) if chars.next().is_some_and(|second| second.is_lowercase()) => {
            format!("{}{}", first.to_lowercase(), &text[first.len_utf8()..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckId;

    #[test]
    fn a_failure_line_has_the_reason_the_fix_and_the_code() {
        let check = CheckResult {
            twilio_code: Some(21608),
            ..CheckResult::fail(
                CheckId::GenericSms,
                "Trial accounts can only text verified numbers",
                "Verify +14155552671 in the Twilio console or upgrade",
            )
        };
        assert_eq!(
            line(&check),
            "FAIL generic_sms   Trial accounts can only text verified numbers: verify +14155552671 in the Twilio console or upgrade [Twilio error 21608]"
        );
    }

    #[test]
    fn acronyms_keep_their_case() {
        assert_eq!(lowercase_first("API keys"), "API keys");
        assert_eq!(lowercase_first("Use x"), "use x");
        assert_eq!(lowercase_first(""), "");
    }
}
