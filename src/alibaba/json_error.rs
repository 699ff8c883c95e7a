//! What serde_json found wrong in a text, and where, without echoing the text: it may be an
//! answer full of someone else's data, or a credentials file.

/// What serde_json found wrong, and where, without echoing the input; for a number out of range,
/// also the field it belongs to.
pub(crate) fn describe_json_error(e: &serde_json::Error, body: &[u8]) -> String {
    let text = e.to_string();
    let position = format!("line {} column {}", e.line(), e.column());
    if text.contains("recursion limit exceeded") {
        return format!("it nests more than 128 levels deep (at {position})");
    }
    if text.contains("number out of range") {
        return match field_before(body, e.line(), e.column()) {
            Some(field) => format!("the number of `{field}` is out of range (at {position})"),
            None => format!("a number is out of range (at {position})"),
        };
    }
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    };
    format!("{what} at {position}")
}

/// The object key closest before `line`:`column` of `body`, if it looks like a field name.
fn field_before(body: &[u8], line: usize, column: usize) -> Option<String> {
    let mut offset = 0;
    for (number, text) in body.split(|b| *b == b'\n').enumerate() {
        if number + 1 == line {
            offset += column.min(text.len());
            break;
        }
        offset += text.len() + 1;
    }
    let start = offset.saturating_sub(256);
    let before = String::from_utf8_lossy(&body[start..offset.min(body.len())]);
    static KEY: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""([A-Za-z][A-Za-z0-9_]{0,63})"\s*:"#).ok()
    });
    KEY.as_ref()?
        .captures_iter(&before)
        .last()
        .map(|c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn json_errors_say_what_and_which_field() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = serde_json::from_slice::<Value>(deep.as_bytes()).unwrap_err();
        assert!(describe_json_error(&e, deep.as_bytes()).contains("nests more than 128 levels"));
        let big = br#"{"RequestId":"R","TotalElements":1e400}"#;
        let e = serde_json::from_slice::<Value>(big).unwrap_err();
        assert_eq!(
            describe_json_error(&e, big),
            "the number of `TotalElements` is out of range (at line 1 column 38)"
        );
        let cut = br#"{"RequestId":"R","Items":{"#;
        let e = serde_json::from_slice::<Value>(cut).unwrap_err();
        assert_eq!(
            describe_json_error(&e, cut),
            "unexpected end of input at line 1 column 26"
        );
    }
}
