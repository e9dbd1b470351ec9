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
