//! Turns JSON Schema errors into reasons a person can act on: the field, the value, and
//! what was expected, in the words of the schema's own `description`s.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::Value;

use crate::contract::SCHEMA_FILES;

/// `prefix` is where the validated value sits in the event (`""` or `"data"`).
pub(crate) fn reason(prefix: &str, error: &ValidationError<'_>) -> String {
    let path = join_path(prefix, error.instance_path().as_str());
    let instance = error.instance();
    let message = match error.kind() {
        ValidationErrorKind::Enum { options } => {
            format!("{} is not one of {}", show(instance), list(options))
        }
        ValidationErrorKind::Required { property } => {
            let field = property.as_str().unwrap_or_default();
            return format!("{}: is required but missing", join_path(&path, field));
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|field| {
                    format!(
                        "{}: is not a field of this event type (no field beyond the contract is accepted)",
                        join_path(&path, field)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => format!("{set:?}"),
            };
            format!("{} is {}, expected {expected}", show(instance), json_type(instance))
        }
        ValidationErrorKind::Format { format } => match format.as_str() {
            "date-time" => {
                format!("{} is not an RFC 3339 date-time with an offset (e.g. 2025-10-03T10:15:00Z)", show(instance))
            }
            "date" => format!("{} is not a date written YYYY-MM-DD", show(instance)),
            other => format!("{} is not a valid {other}", show(instance)),
        },
        ValidationErrorKind::Constant { expected_value } => {
            format!("{} must be {} here", show(instance), expected_value)
        }
        ValidationErrorKind::Minimum { limit } => format!("{} is below the minimum {limit}", show(instance)),
        ValidationErrorKind::Maximum { limit } => format!("{} is above the maximum {limit}", show(instance)),
        ValidationErrorKind::MaxLength { limit } => format!("is longer than {limit} characters"),
        ValidationErrorKind::MinLength { limit } => format!("is shorter than {limit} characters"),
        ValidationErrorKind::Not { schema } => return forbidden(&path, schema),
        ValidationErrorKind::AnyOf { .. } => match keyword_node(error) {
            Some(node) if all_required(node.get("anyOf")).is_some() => {
                let fields = all_required(node.get("anyOf")).unwrap_or_default();
                format!("needs at least one of {}", fields.join(", "))
            }
            _ => expected_description(error, instance),
        },
        ValidationErrorKind::Pattern { .. } => expected_description(error, instance),
        _ => format!("{error}"),
    };
    format!("{path}: {message}")
}

/// A `not` that forbids fields names them.
fn forbidden(path: &str, schema: &Value) -> String {
    let single = schema.get("required").and_then(Value::as_array).cloned();
    let fields = single
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>())
        .or_else(|| all_required(schema.get("anyOf")))
        .unwrap_or_default();
    if fields.is_empty() {
        format!("{path}: is not allowed here")
    } else {
        fields.iter().map(|f| format!("{}: is not allowed here", join_path(path, f))).collect::<Vec<_>>().join("; ")
    }
}

/// The fields of an `anyOf` whose branches are all `{"required": [...]}`.
fn all_required(any_of: Option<&Value>) -> Option<Vec<String>> {
    any_of?
        .as_array()?
        .iter()
        .map(|branch| {
            let required = branch.get("required")?.as_array()?;
            Some(required.iter().filter_map(|f| f.as_str().map(str::to_string)).collect::<Vec<_>>())
        })
        .collect::<Option<Vec<Vec<String>>>>()
        .map(|v| v.concat())
}

fn expected_description(error: &ValidationError<'_>, instance: &Value) -> String {
    match keyword_node(error).and_then(|node| node.get("description")).and_then(Value::as_str) {
        Some(description) => format!("{} is not {description}", show(instance)),
        None => format!("{error}"),
    }
}

/// The schema object that holds the failing keyword, found through its absolute location
/// in the embedded documents, so that messages reuse the schema's own descriptions.
fn keyword_node(error: &ValidationError<'_>) -> Option<&'static Value> {
    use std::sync::OnceLock;
    static DOCS: OnceLock<Vec<(&'static str, Value)>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        SCHEMA_FILES.iter().map(|(path, text)| (*path, serde_json::from_str(text).unwrap_or(Value::Null))).collect()
    });
    let location = error.absolute_keyword_location()?.as_str().to_string();
    let (uri, fragment) = location.split_once('#')?;
    let (_, doc) = docs.iter().find(|(path, _)| uri.ends_with(path))?;
    let (parent, _keyword) = fragment.rsplit_once('/')?;
    doc.pointer(&unescape_pointer(parent))
}

fn unescape_pointer(pointer: &str) -> String {
    pointer.replace("%24", "$")
}

fn join_path(prefix: &str, pointer: &str) -> String {
    let tail: Vec<&str> = pointer.split('/').filter(|s| !s.is_empty()).collect();
    let mut path = prefix.to_string();
    for segment in tail {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&segment.replace("~1", "/").replace("~0", "~"));
    }
    if path.is_empty() {
        "event".to_string()
    } else {
        path
    }
}

/// Shows a value as JSON, cut short so a huge bad value cannot flood a report.
pub(crate) fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn list(options: &Value) -> String {
    options
        .as_array()
        .map(|values| {
            values
                .iter()
                .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
