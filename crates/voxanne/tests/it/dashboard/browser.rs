//! Headless Chromium driven through Debian's chromedriver, with helpers that find fields by their
//! `<label>` and buttons by their text (as a person would), screenshots and an axe-core audit.
//!
//! Skips (returns `None` with a printed reason) only when Chromium is absent on a developer
//! machine; under `CI=true` a missing browser fails the test. Chromedriver runs in its own process
//! group, killed with everything it started when the [`Browser`] drops, even after a panic.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use thirtyfour::prelude::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where axe-core's `axe.min.js` is: `VOXANNE_AXE_JS`, or where `.ci/run` installs it.
pub fn axe_path() -> PathBuf {
    if let Ok(path) = std::env::var("VOXANNE_AXE_JS") {
        return PathBuf::from(path);
    }
    workspace().join("target/axe-core/node_modules/axe-core/axe.min.js")
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Kills chromedriver's process group (chromedriver, Chromium and its helpers) on drop.
struct DriverProcess(Child);

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Browser {
    pub driver: WebDriver,
    /// The service's base URL (`http://127.0.0.1:PORT`).
    pub base: String,
    _profile: tempfile::TempDir,
    // Declared last: dropped after the driver handle.
    _process: DriverProcess,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A fresh headless Chromium for `base`, or `None` (after saying why) when this developer
    /// machine has no Chromium.
    pub async fn start(base: &str) -> Option<Self> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|path| !Path::new(path).exists())
            .collect();
        if !missing.is_empty() {
            let reason = format!(
                "{} not installed (apt-get install -y chromium chromium-driver)",
                missing.join(" and ")
            );
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("browser tests need Chromium in CI: {reason}");
            }
            eprintln!("skipping browser test: {reason}");
            return None;
        }
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let process = DriverProcess(command.spawn().unwrap());
        let profile = tempfile::tempdir().unwrap();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-extensions",
            "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1280,1100",
            "--force-device-scale-factor=1",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .unwrap();
        let server = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let driver = loop {
            match WebDriver::new(&server, caps.clone()).await {
                Ok(driver) => break driver,
                Err(err) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => panic!("chromedriver did not start: {err}"),
            }
        };
        Some(Self {
            driver,
            base: base.trim_end_matches('/').to_owned(),
            _profile: profile,
            _process: process,
        })
    }

    pub async fn goto(&self, path: &str) {
        self.driver
            .goto(format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The current path and query (`/dashboard/team`).
    pub async fn path(&self) -> String {
        let url = self.driver.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The visible text of the page's `<main>`.
    pub async fn main_text(&self) -> String {
        self.text_of(By::Tag("main")).await
    }

    /// The visible text of the first element `by` finds.
    pub async fn text_of(&self, by: By) -> String {
        self.driver.find(by).await.unwrap().text().await.unwrap()
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text_of(By::Tag("body")).await
    }

    /// The input labelled `label` (by the label's text and its `for`).
    pub async fn field(&self, label: &str) -> WebElement {
        let xpath = format!("//label[normalize-space()={}]", xpath_literal(label));
        let label_element = self
            .driver
            .find(By::XPath(xpath))
            .await
            .unwrap_or_else(|err| panic!("no label \"{label}\": {err}"));
        let id = label_element
            .attr("for")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("label \"{label}\" names no field"));
        self.driver.find(By::Id(id)).await.unwrap()
    }

    /// Types `value` into the field labelled `label`, replacing what was there.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// The button whose text is `text` (inside `scope`'s XPath when given, e.g. a table row).
    pub async fn button(&self, text: &str) -> WebElement {
        let xpath = format!("//button[normalize-space()={}]", xpath_literal(text));
        self.driver
            .find(By::XPath(xpath))
            .await
            .unwrap_or_else(|err| panic!("no button \"{text}\": {err}"))
    }

    /// Presses the button `text` and waits for the next page to load.
    pub async fn press(&self, text: &str) {
        let button = self.button(text).await;
        self.navigating(button.click()).await;
    }

    /// Runs `action` (a click, a key press) that leaves the page, and waits until the next page
    /// has replaced it and loaded.
    pub async fn navigating(&self, action: impl std::future::Future<Output = WebDriverResult<()>>) {
        let old = self.driver.find(By::Tag("html")).await.unwrap();
        action.await.unwrap();
        let started = Instant::now();
        // The old document's root goes stale once the browser has moved on.
        while old.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the page did not change"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.settle().await;
    }

    /// Presses the button `text` in the table row that mentions `row`.
    pub async fn press_in_row(&self, row: &str, text: &str) {
        let xpath = format!(
            "//tr[contains(normalize-space(), {})]//button[normalize-space()={}]",
            xpath_literal(row),
            xpath_literal(text)
        );
        let button = self
            .driver
            .find(By::XPath(xpath))
            .await
            .unwrap_or_else(|err| panic!("no button \"{text}\" in a row with \"{row}\": {err}"));
        self.navigating(button.click()).await;
    }

    /// Waits until the document has loaded.
    pub async fn settle(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let state = self
                .driver
                .execute("return document.readyState", Vec::new())
                .await
                .map(|ret| ret.json().clone());
            if matches!(state, Ok(Value::String(ref s)) if s == "complete") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the page under `docs/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let file = workspace().join(format!("docs/screenshots/{name}.png"));
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder).unwrap();
        }
        let png = self.driver.screenshot_as_png().await.unwrap();
        std::fs::write(file, png).unwrap();
    }

    /// Runs axe-core on the page; fails on any serious or critical violation.
    pub async fn audit(&self, page: &str) {
        let path = axe_path();
        let source = std::fs::read_to_string(&path).unwrap_or_else(|err| {
            panic!(
                "axe-core not found at {} ({err}): run `npm install --prefix target/axe-core axe-core` in the workspace or set VOXANNE_AXE_JS",
                path.display()
            )
        });
        self.driver.execute(source, Vec::new()).await.unwrap();
        let ret = self
            .driver
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] })
                  .then(r => done(r.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.map(n => n.target.join(" ")) }))))
                  .catch(e => done([{ id: "axe-error", help: String(e) }]));"#,
                Vec::new(),
            )
            .await
            .unwrap();
        let violations = ret.json().as_array().cloned().unwrap_or_default();
        assert!(
            violations.is_empty(),
            "axe found serious or critical violations on {page}: {}",
            serde_json::to_string_pretty(&violations).unwrap()
        );
    }

    /// Screenshot and accessibility audit of the current page, on a desktop window and on a
    /// phone's width (saved under `phone/`), where nothing may stick out sideways: a table too
    /// wide for a phone scrolls inside its own box, the page itself does not.
    pub async fn check_page(&self, name: &str) {
        self.audit(name).await;
        self.screenshot(name).await;
        self.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
        let overflow = self
            .driver
            .execute(
                r##"const width = document.documentElement.clientWidth;
                const wide = [...document.querySelectorAll("body *")]
                  .filter(e => !e.parentElement.closest(".table-scroll"))
                  .map(e => [e.getBoundingClientRect().right, e.tagName.toLowerCase()
                    + (e.id ? "#" + e.id : "")
                    + (e.className && typeof e.className === "string" ? "." + e.className : "")])
                  .sort((a, b) => b[0] - a[0])
                  .map(([right, name]) => name + " to " + Math.round(right) + " px");
                return [document.documentElement.scrollWidth - width, wide.slice(0, 5).join(", ")];"##,
                Vec::new(),
            )
            .await
            .unwrap()
            .json()
            .clone();
        let (overflow, culprits) = (
            overflow[0].as_i64().unwrap_or_default(),
            overflow[1].as_str().unwrap_or_default().to_owned(),
        );
        // The whole page at a phone's width, not just its first screen: what wraps or stacks
        // there (rows of buttons, tables, forms) shows in the screenshot.
        let height = self
            .driver
            .execute(
                // The window's frame included: the viewport must hold the whole page.
                "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
                Vec::new(),
            )
            .await
            .unwrap()
            .json()
            .as_u64()
            .unwrap_or(844)
            .clamp(844, 4000);
        self.driver
            .set_window_rect(0, 0, 390, u32::try_from(height).unwrap_or(844))
            .await
            .unwrap();
        self.screenshot(&format!("phone/{name}")).await;
        self.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
        self.audit(&format!("{name} (phone width)")).await;
        self.driver.set_window_rect(0, 0, 1280, 1100).await.unwrap();
        assert!(
            overflow <= 0,
            "{name} is {overflow} px wider than a phone's screen ({culprits}; docs/screenshots/phone/{name}.png)"
        );
    }

    pub async fn quit(self) {
        let Self {
            driver, _process, ..
        } = self;
        let _ = driver.quit().await;
        drop(_process);
    }
}

/// `text` as an XPath string literal (handles both quote kinds).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
