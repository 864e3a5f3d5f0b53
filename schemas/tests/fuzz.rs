//! The validator never panics, whatever it is given: random bytes, mutated valid events,
//! huge and deeply nested values.

use proptest::prelude::*;
use safelake_schemas::{validate, validate_value};
use serde_json::Value;

fn examples() -> Vec<Value> {
    include_str!("../examples/valid.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "[psgv]_[0-9a-f]{16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = validate(&bytes, Some("sg.x.y.z"));
    }

    #[test]
    fn mutated_examples_never_panic_and_are_explained(
        which in 0usize..14,
        field in "[a-z_]{1,16}",
        replacement in arbitrary_json(),
        in_data in any::<bool>(),
    ) {
        let mut event = examples()[which].clone();
        let target = if in_data { &mut event["data"] } else { &mut event };
        target[field.as_str()] = replacement;
        if let Err(rejection) = validate_value(event, Some("sg.sch01.filter.blocked")) {
            prop_assert!(!rejection.reasons.is_empty());
            prop_assert!(rejection.reasons.iter().all(|r| r.contains(':')), "{:?}", rejection.reasons);
        }
    }
}

#[test]
fn huge_and_deep_inputs_are_refused_not_fatal() {
    let huge = format!("{{\"id\":\"{}\"}}", "x".repeat(50_000_000));
    assert!(validate(huge.as_bytes(), None).is_err());
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    assert!(validate(deep.as_bytes(), None).is_err());
    let mut event = examples()[5].clone();
    let mut nested = Value::from(1);
    for _ in 0..120 {
        nested = Value::Array(vec![nested]);
    }
    event["data"]["domain"] = nested;
    assert!(validate_value(event, None).is_err());
}
