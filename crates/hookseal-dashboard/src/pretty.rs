//! Bodies for reading: JSON re-indented without reordering or reformatting a single value.

/// `body` for a person to read: valid JSON re-indented (two spaces; keys in
/// their order, numbers and strings exactly as sent), anything else as
/// (lossily decoded) text. Always plain text, to be HTML-escaped by the caller.
///
/// ```
/// let text = hookseal_dashboard::pretty_json(br#"{"a":[1,2.50],"b":"x,{y}"}"#);
/// assert_eq!(text, "{\n  \"a\": [\n    1,\n    2.50\n  ],\n  \"b\": \"x,{y}\"\n}");
/// ```
#[must_use]
pub fn pretty_json(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.trim().chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Skip whitespace to see whether the container is empty.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty_json;

    #[test]
    fn reindents_and_keeps_values() {
        let body = br#" { "z" : 1e3, "a":{}, "l":[ ], "s":"a \"q\" , : [", "n":null } "#;
        let text = pretty_json(body);
        assert_eq!(
            text,
            "{\n  \"z\": 1e3,\n  \"a\": {},\n  \"l\": [],\n  \"s\": \"a \\\"q\\\" , : [\",\n  \"n\": null\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        let orig: serde_json::Value = serde_json::from_slice(body).expect("JSON");
        assert_eq!(back, orig);
    }

    #[test]
    fn not_json_is_text() {
        assert_eq!(pretty_json(b"<b>hi</b> {"), "<b>hi</b> {");
        assert_eq!(pretty_json(b"\xff{}"), "\u{fffd}{}");
    }
}
