//! What makes two events the same: the hash of the id, and a hash of the content that
//! tells a re-send (the same event again) from a conflict (an id re-used for other
//! content).

use serde_json::Value;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// The hash of an event id.
pub fn id_hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// A hash of an event's content that ignores key order and white space, so that a
/// re-serialised re-send still counts as the same event.
pub fn content_hash(event: &Value) -> u64 {
    fn feed(value: &Value, h: &mut Xxh3) {
        match value {
            Value::Null => h.update(b"n"),
            Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
            Value::Number(n) => {
                h.update(b"#");
                h.update(n.to_string().as_bytes());
            }
            Value::String(s) => {
                h.update(b"\"");
                h.update(&(s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Array(items) => {
                h.update(b"[");
                items.iter().for_each(|i| feed(i, h));
                h.update(b"]");
            }
            Value::Object(map) => {
                // serde_json's map keeps keys sorted, so equal objects feed equally.
                h.update(b"{");
                for (k, v) in map {
                    h.update(&(k.len() as u64).to_le_bytes());
                    h.update(k.as_bytes());
                    feed(v, h);
                }
                h.update(b"}");
            }
        }
    }
    let mut h = Xxh3::new();
    feed(event, &mut h);
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_hash_ignores_key_order_but_not_values() {
        let a: Value = serde_json::from_str(r#"{"id":"x","data":{"a":1,"b":"c"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "data": {"b": "c", "a": 1}, "id": "x" }"#).unwrap();
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&json!({"id":"x","data":{"a":2,"b":"c"}})));
        assert_ne!(content_hash(&json!({"a":"bc"})), content_hash(&json!({"ab":"c"})));
    }
}
