//! Shared by the load-generator benches (`harness = false`): whether this run is a real
//! `cargo bench` run. Test runners also build and run every bench target: `cargo test
//! --all-targets` runs it without `--bench`, and cargo-nextest first asks it to `--list` its
//! tests. A load run there would take minutes and print a table no runner can read, so both
//! get a quick, well-formed answer instead.

/// True under `cargo bench`; otherwise answers the test runner and returns false.
pub fn is_bench_run(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // nextest's listing format: one `name: test` line per test; this target has none.
        return false;
    }
    if args.iter().any(|a| a == "--bench") {
        return true;
    }
    println!("{name}: a load generator; run it with `cargo bench --bench {name}`");
    false
}
