//! Running the real `scorekeeper` binary, as an admin would (the `cli_*` and `pay_cli` tests).

use std::process::{Command, Output};

/// Runs the binary with `args`, the admin password in `SCOREKEEPER_ODOO_PASSWORD` and no log
/// filter from the environment, and waits for it.
pub fn sk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(args)
        .env("SCOREKEEPER_ODOO_PASSWORD", "admin")
        .env_remove("SCOREKEEPER_LOG")
        .output()
        .unwrap()
}

/// Runs the binary with `args` on a pseudo-terminal, as a person at a terminal would, and
/// returns what the terminal received (stdout and stderr together, escapes included). The
/// pseudo-terminal comes from util-linux's `script`, part of every Debian system (package
/// bsdutils, priority required).
pub fn sk_on_terminal(args: &[&str]) -> Output {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_scorekeeper"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    Command::new("script")
        .args([
            "--quiet",
            "--return",
            "--command",
            &quoted.join(" "),
            "/dev/null",
        ])
        .env("SCOREKEEPER_ODOO_PASSWORD", "admin")
        .env_remove("SCOREKEEPER_LOG")
        .env("TERM", "xterm")
        .output()
        .unwrap()
}

/// [`sk`] off the async runtime's threads (the simulator serving the binary runs on them).
pub async fn sk_async<S: AsRef<str>>(args: &[S]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        sk(&refs)
    })
    .await
    .unwrap()
}

/// A finished command as a failed assertion shows it: status, stdout, stderr.
pub fn cmd_text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
