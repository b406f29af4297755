//! `voxanne demo`: the README's first command. Everything on loopback, nothing to install.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use secrecy::ExposeSecret;

use crate::app as server;
use crate::demo;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the service listens; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where the sandbox (Twilio and Google stand-ins, phone page) listens.
    #[arg(long, default_value = "127.0.0.1:8025")]
    sandbox_listen: SocketAddr,
    /// Data directory for this run (default: a new temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub async fn run(args: Args) -> ExitCode {
    server::init_logging(crate::config::LogFormat::Text);
    let data_dir = args.data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("voxanne-demo-{}", std::process::id()))
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stop_rx.await;
    };
    let (running, sandbox, serving) =
        match demo::start(args.listen, args.sandbox_listen, data_dir, shutdown).await {
            Ok(started) => started,
            Err(err) => {
                eprintln!("error: the demo could not start: {err:#}");
                return ExitCode::FAILURE;
            }
        };
    print_banner(&running);
    server::shutdown_signal().await;
    let _ = stop_tx.send(());
    let _ = serving.await;
    sandbox.shutdown().await;
    eprintln!(
        "demo stopped; its data stays in {}",
        running.data_dir.display()
    );
    ExitCode::SUCCESS
}

fn print_banner(r: &demo::Running) {
    // The demo API key is printed on purpose: it is the demo's only way in, and the demo's data
    // directory is throwaway.
    let key = r.api_key.expose_secret();
    println!(
        "\nVoxanne demo is running (Ctrl-C stops it).\n\n\
         service      {service}\n\
         dashboard    {service}/dashboard   (sign in as the admin below)\n\
         API docs     {service}/docs\n\
         phone page   {sandbox}/sandbox/phones   (what each phone received)\n\
         API key      {key}\n\
         admin        {email} / {password}\n\
         credential   {cred} (Twilio, verified against the sandbox)\n\
         calendar     {calendar} (Google Calendar of {calendar_email}, connected by OAuth)\n\
         data dir     {dir}\n\n\
         Send a hot lead to the clinic's staff phone {staff}:\n\n\
         curl -sS -X POST {service}/api/messages/hot-lead \\\n  \
           -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n  \
           -H 'Idempotency-Key: demo-1' \\\n  \
           -d '{{\"lead\":{{\"name\":\"Maria Lopez\",\"phone\":\"+14155550177\",\"reason\":\"Knee pain, wants a consult\",\"preferred_time\":\"today 3pm\"}}}}'\n\n\
         A sample appointment is booked into the demo calendar: {appt} at {appt_start}.\n\
         The clinic's free slots this week:\n\n\
         curl -sS -G {service}/api/calendar/availability -H 'Authorization: Bearer {key}' \\\n  \
           --data-urlencode 'from={from}' --data-urlencode 'to={to}'\n\n\
         Book one:\n\n\
         curl -sS -X POST {service}/api/calendar/appointments \\\n  \
           -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n  \
           -H 'Idempotency-Key: demo-booking-1' \\\n  \
           -d '{{\"start\":\"{next}\",\"duration_minutes\":30,\"lead\":{{\"name\":\"Sam Lee\",\"phone\":\"+14155550178\",\"reason\":\"Cleaning\"}}}}'\n",
        service = r.service_url,
        sandbox = r.sandbox_url,
        email = r.admin_email,
        password = r.admin_password.expose_secret(),
        cred = r.credential_id,
        calendar = r.calendar_credential_id,
        calendar_email = demo::CALENDAR_EMAIL,
        dir = r.data_dir.display(),
        staff = demo::STAFF_PHONE,
        appt = r.appointment.id,
        appt_start = r.appointment.start,
        from = r.appointment.from,
        to = r.appointment.to,
        next = r.appointment.next_free,
    );
}
