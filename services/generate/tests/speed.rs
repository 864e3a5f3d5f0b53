//! How long a million filter events take: run with `cargo test -p safelake-generate
//! --test speed -- --ignored --nocapture` (this crate is unoptimised in dev builds).

use std::time::Instant;

use safelake_generate::{events, Options};

#[test]
#[ignore = "a timing, not a check: run on demand"]
fn a_million_filter_events() {
    let options = Options { filter_events: 1_000_000, ..Options::default() };
    let start = Instant::now();
    let (mut all, mut blocked) = (0u64, 0u64);
    for event in events(&options) {
        all += 1;
        blocked += u64::from(event.data.type_name() == "uk.safeguarding.filter.blocked.v1");
    }
    println!("{all} events ({blocked} filter.blocked) in {:.2?}", start.elapsed());
    assert_eq!(blocked, 1_000_000);
}
