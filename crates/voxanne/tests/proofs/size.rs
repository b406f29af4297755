//! How big a proof runs, and where its figure goes.

use std::io::Write;

/// `VOXANNE_PROOF_SIZE`: `small` (CI) or `full` (the sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Full,
}

impl Size {
    pub fn from_env() -> Size {
        match std::env::var("VOXANNE_PROOF_SIZE").as_deref() {
            Ok("full") => Size::Full,
            Ok("small") | Err(_) => Size::Small,
            Ok(other) => panic!("VOXANNE_PROOF_SIZE must be small or full, not {other}"),
        }
    }

    /// `small` or `full` value.
    pub fn pick<T>(self, small: T, full: T) -> T {
        match self {
            Size::Small => small,
            Size::Full => full,
        }
    }
}

/// `sqlite` or `postgres`, as the figures name the database.
pub fn database() -> &'static str {
    match std::env::var("VOXANNE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// Prints a proof's figure and appends it to `target/tmp/proofs.txt`.
pub fn report(line: &str) {
    let line = format!(
        "proof [{}, {}]: {line}",
        database(),
        match Size::from_env() {
            Size::Small => "small",
            Size::Full => "full",
        }
    );
    println!("{line}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("proofs.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{line}");
    }
}
