//! Headless Chromium for the page tests, driven over W3C WebDriver: Debian's `chromium` and
//! `chromium-driver` (`.ci/run` installs them), through `fantoccini` — a small, maintained
//! async WebDriver client on tokio, which needs no browser-specific protocol bindings (the
//! CDP crates generate thousands of types and take minutes to build). The tests read what a
//! person sees (text, order, boxes through `getBoundingClientRect`), never pixels.
//!
//! Without Chromium the tests are skipped with a printed reason, except with `CI=true`, where
//! a missing browser is a failure. Waiting is done inside the page: a script resolves once
//! its condition holds (checked on every DOM change), bounded by WebDriver's script timeout.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// How long a page condition may take before the test fails (a bound, not a pause).
pub const WAIT: Duration = Duration::from_secs(20);

/// A browser session and the chromedriver behind it (killed on drop).
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium with a `width`×`height` window, or `None` (after saying why) when it is not
/// installed outside CI.
pub async fn launch(width: u32, height: u32) -> Option<Browser> {
    let found = on_path("chromium").zip(on_path("chromedriver"));
    let Some((chromium, chromedriver)) = found else {
        let why =
            "chromium or chromedriver is not installed (apt-get install chromium chromium-driver)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{why}; with CI=true the browser tests must run, not skip"
        );
        eprintln!("skipped: {why}");
        return None;
    };
    let mut driver = Command::new(chromedriver)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    // chromedriver says which port it took once it listens.
    let mut lines = BufReader::new(driver.stdout.take().expect("stdout")).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("chromedriver exited before listening")
            .expect("read chromedriver");
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            break rest.trim_end_matches('.').trim().to_owned();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let profile = tempfile::tempdir().expect("profile dir");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.path().display()),
                format!("--window-size={width},{height}"),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session on chromium");
    client
        .update_timeouts(TimeoutConfiguration::new(Some(WAIT), Some(WAIT), None))
        .await
        .expect("timeouts");
    Some(Browser {
        client,
        driver,
        _profile: profile,
    })
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// The value of a JS expression in the page.
    pub async fn eval(&self, expression: &str) -> Value {
        self.client
            .execute(&format!("return ({expression});"), Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.eval("document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Returns once the JS `condition` is true, re-checked on every change to the page;
    /// fails after [`WAIT`].
    pub async fn wait_until(&self, condition: &str) {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const ok = () => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }};
             if (ok()) {{ done(true); return; }}
             const seen = new MutationObserver(() => {{ if (ok()) {{ seen.disconnect(); done(true); }} }});
             seen.observe(document, {{ subtree: true, childList: true, characterData: true, attributes: true }});"
        );
        if let Err(e) = self.client.execute_async(&script, Vec::new()).await {
            let text = self.text().await;
            panic!(
                "the page never showed {condition} (within {WAIT:?}): {e}\n--- page ---\n{text}"
            );
        }
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
