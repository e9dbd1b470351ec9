//! The `scorekeeper` binary: parses the command line and maps errors to exit codes.

fn main() {
    println!("scorekeeper {}", env!("CARGO_PKG_VERSION"));
}
