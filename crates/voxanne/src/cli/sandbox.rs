//! `voxanne sandbox`: serve the Twilio/Google stand-in on loopback.

use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the bound URL is printed).
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
}

pub async fn run(args: Args) -> ExitCode {
    let _ = args.listen;
    eprintln!("the sandbox is not wired in yet");
    ExitCode::FAILURE
}
