//! The real `voxanne` binary: organization, API key, user and key commands, their start-up
//! checks, and that nothing they print (even at trace level) contains a stored secret.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use secrecy::ExposeSecret;
use serde_json::Value;
use voxanne::api_key::ApiKey;
use voxanne::store::Store;
use voxanne::vault::{Keyring, MasterKey};

use crate::support::planted::plant;
use crate::support::{Sentinel, TestStore};

/// Runs the binary in an empty directory with a clean environment plus `env`.
fn voxanne(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_voxanne"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn key_env(keys: &[&MasterKey]) -> String {
    keys.iter()
        .map(|k| k.to_base64().expose_secret().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn org_create_prints_the_id_and_a_first_api_key_that_authenticates() {
    let t = TestStore::new().await;
    let key = key_env(&[&t.key]);

    let out = voxanne(
        &[
            "org",
            "create",
            "--name",
            "Sunrise Dental",
            "--json",
            "--database-url",
            &t.db.url,
        ],
        &[("VOXANNE_MASTER_KEY", &key)],
        None,
    );

    let created = json(&out);
    let org_id = created["organization"]["id"].as_str().unwrap();
    let api_key = ApiKey::parse(created["api_key"]["key"].as_str().unwrap()).unwrap();
    assert_eq!(
        t.store
            .authenticate_api_key(&api_key)
            .await
            .unwrap()
            .org_id
            .as_str(),
        org_id
    );
    let listed = json(&voxanne(
        &["org", "list", "--json"],
        &[
            ("VOXANNE_MASTER_KEY", &key),
            ("VOXANNE_DATABASE_URL", &t.db.url),
        ],
        None,
    ));
    assert_eq!(listed[0]["id"].as_str(), Some(org_id));
    assert!(
        !String::from_utf8_lossy(
            &voxanne(
                &["org", "list"],
                &[
                    ("VOXANNE_MASTER_KEY", &key),
                    ("VOXANNE_DATABASE_URL", &t.db.url)
                ],
                None
            )
            .stdout
        )
        .contains("vox_live_")
    );
}

#[tokio::test]
async fn database_commands_refuse_to_start_without_a_working_master_key() {
    let t = TestStore::new().await;
    let wrong = key_env(&[&MasterKey::generate()]);

    let missing = voxanne(&["org", "list", "--database-url", &t.db.url], &[], None);
    let mismatched = voxanne(
        &["migrate", "--database-url", &t.db.url],
        &[("VOXANNE_MASTER_KEY", &wrong)],
        None,
    );
    let garbage = voxanne(
        &["org", "list", "--database-url", &t.db.url],
        &[("VOXANNE_MASTER_KEY", "not a key")],
        None,
    );

    for (output, expected) in [
        (&missing, "VOXANNE_MASTER_KEY is not set"),
        (&mismatched, "set VOXANNE_MASTER_KEY"),
        (&garbage, "VOXANNE_MASTER_KEY is invalid"),
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    assert!(String::from_utf8_lossy(&missing.stderr).contains("voxanne keys generate"));
}

#[tokio::test]
async fn a_key_file_works_like_the_variable() {
    let t = TestStore::new().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys");
    std::fs::write(&file, format!("{}\n", key_env(&[&t.key]))).unwrap();

    let out = voxanne(
        &["org", "list", "--json", "--database-url", &t.db.url],
        &[("VOXANNE_MASTER_KEY_FILE", file.to_str().unwrap())],
        None,
    );

    assert_eq!(json(&out), serde_json::json!([]));
}

#[tokio::test]
async fn keys_rotate_drives_old_references_to_zero_and_status_counts_them_per_key() {
    let t = TestStore::new().await;
    for n in 0..3 {
        t.org(&format!("Clinic {n}")).await;
    }
    let new_key = MasterKey::generate();
    let both = key_env(&[&new_key, &t.key]);
    let env = [
        ("VOXANNE_MASTER_KEY", both.as_str()),
        ("VOXANNE_DATABASE_URL", t.db.url.as_str()),
    ];

    let before = json(&voxanne(&["keys", "status", "--json"], &env, None));
    let rotated = json(&voxanne(&["keys", "rotate", "--json"], &env, None));
    let after = json(&voxanne(&["keys", "status", "--json"], &env, None));

    assert_eq!(before["old_key_references"], 4);
    assert_eq!(rotated["rewrapped"], 3);
    assert_eq!(rotated["remaining_old"], 0);
    assert_eq!(after["old_key_references"], 0);
    let old = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == t.key.id().to_string())
        .unwrap();
    assert_eq!(old["data_keys"], 0);
    // The old key is retired: the new one alone opens the store.
    let alone = key_env(&[&new_key]);
    json(&voxanne(
        &["org", "list", "--json", "--database-url", &t.db.url],
        &[("VOXANNE_MASTER_KEY", &alone)],
        None,
    ));
}

#[tokio::test]
async fn keys_generate_prints_a_usable_key() {
    let out = json(&voxanne(&["keys", "generate", "--json"], &[], None));

    let key = MasterKey::from_base64(out["key"].as_str().unwrap(), 1).unwrap();
    assert_eq!(out["key_id"].as_str().unwrap(), key.id().to_string());
}

#[tokio::test]
async fn a_sqlite_url_in_a_folder_that_does_not_exist_yet_is_created_by_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir
        .path()
        .join("voxanne-data")
        .join("nested")
        .join("voxanne.db");
    let url = format!("sqlite://{}", file.display());
    let key = MasterKey::generate();
    let keys = key_env(&[&key]);
    let out = voxanne(
        &["migrate", "--json"],
        &[
            ("VOXANNE_DATABASE_URL", url.as_str()),
            ("VOXANNE_MASTER_KEY", keys.as_str()),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists());
}

#[tokio::test]
async fn user_create_reads_the_password_from_stdin_and_api_key_revoke_stops_a_key() {
    let (t, org) = TestStore::with_clinic().await;
    let key = key_env(&[&t.key]);
    let env = [
        ("VOXANNE_MASTER_KEY", key.as_str()),
        ("VOXANNE_DATABASE_URL", t.db.url.as_str()),
    ];
    let password = Sentinel::new();

    let user = json(&voxanne(
        &[
            "user",
            "create",
            "--org",
            org.id.as_str(),
            "--email",
            "desk@clinic.example",
            "--password-stdin",
            "--json",
        ],
        &env,
        Some(&format!("{}\n", password.text())),
    ));
    let created = json(&voxanne(
        &["api-key", "create", "--org", org.id.as_str(), "--json"],
        &env,
        None,
    ));
    let revoked = json(&voxanne(
        &[
            "api-key",
            "revoke",
            created["id"].as_str().unwrap(),
            "--json",
        ],
        &env,
        None,
    ));

    assert_eq!(user["email"], "desk@clinic.example");
    t.store
        .verify_user_password("desk@clinic.example", password.secret())
        .await
        .unwrap();
    assert!(revoked["revoked_at"].is_string());
    let api_key = ApiKey::parse(created["key"].as_str().unwrap()).unwrap();
    assert!(t.store.authenticate_api_key(&api_key).await.is_err());
    // Each change is in the organization's audit log, made by "CLI".
    let log = t.store.list_audit(&org.id, None, None, 10).await.unwrap();
    let entries: Vec<String> = log
        .iter()
        .map(|entry| format!("{} {}", entry.actor, entry.action))
        .collect();
    assert_eq!(
        entries,
        [
            "CLI api_key.revoked",
            "CLI api_key.created",
            "CLI admin.added"
        ]
    );
}

#[tokio::test]
async fn nothing_the_cli_prints_at_trace_level_contains_a_stored_secret_or_the_master_key() {
    let t = TestStore::new().await;
    let planted = plant(&t.store).await;
    let new_key = MasterKey::generate();
    let keys = key_env(&[&new_key, &t.key]);
    let env = [
        ("VOXANNE_MASTER_KEY", keys.as_str()),
        ("VOXANNE_DATABASE_URL", t.db.url.as_str()),
        ("VOXANNE_LOG", "trace"),
    ];
    let org = t.store.list_organizations().await.unwrap().remove(0);
    let user_password = Sentinel::new();

    let create_user = vec![
        "user",
        "create",
        "--org",
        org.id.as_str(),
        "--email",
        "second@clinic.example",
        "--password-stdin",
    ];
    let password_line = format!("{}\n", user_password.text());

    let mut printed = Vec::new();
    for (args, stdin) in [
        (vec!["org", "list"], None),
        (vec!["org", "list", "--json"], None),
        (vec!["keys", "status"], None),
        (vec!["keys", "rotate"], None),
        (vec!["migrate"], None),
        // Twice: the second create fails on the email already in use, and prints that.
        (create_user.clone(), Some(password_line.clone())),
        (create_user, Some(password_line)),
        (vec!["org", "delete", org.id.as_str()], None),
    ] {
        let out = voxanne(&args, &env, stdin.as_deref());
        printed.extend(out.stdout);
        printed.extend(out.stderr);
    }

    let text = String::from_utf8_lossy(&printed);
    assert!(
        text.contains("TRACE") || text.contains("DEBUG"),
        "trace logging was not on: {text}"
    );
    assert!(
        text.contains("already exists"),
        "the failing command ran: {text}"
    );
    planted.assert_absent(&printed, "CLI output");
    user_password.assert_absent(&printed, "CLI output");
    for key in [&new_key, &t.key] {
        Sentinel::from_text(key.to_base64().expose_secret()).assert_absent(&printed, "CLI output");
    }
    // The deletion really happened through the CLI.
    let reopened = Store::open(&t.db.url, Keyring::new(vec![new_key]).unwrap())
        .await
        .unwrap();
    assert!(
        reopened
            .list_organizations()
            .await
            .unwrap()
            .iter()
            .all(|o| o.id != org.id)
    );
}
