//! JSON re-indented without being re-encoded: `serde_json::Value` would sort an object's keys
//! (no `preserve_order`) and rewrite numbers, and a payload should read as the provider sent it.

/// Valid JSON re-indented by two spaces, token by token: keys stay in the order they came
/// in, numbers and string escapes exactly as sent. `None` when `text` is not JSON.
pub fn pretty_json(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
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
                // An empty object or array stays on one line.
                while chars.peek().is_some_and(|n| n.is_ascii_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
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
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_reindented_in_its_own_order() {
        let got =
            pretty_json(r#"{"z":1,"a":[1, 2.50,{}],"s":"a,b:{\"c\"}","e":[ ],"n":null}"#).unwrap();
        assert_eq!(
            got,
            "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"s\": \"a,b:{\\\"c\\\"}\",\n  \"e\": [],\n  \"n\": null\n}"
        );
        assert_eq!(pretty_json("  42 ").as_deref(), Some("42"));
        assert_eq!(pretty_json("\"x\"").as_deref(), Some("\"x\""));
        assert!(pretty_json("{\"a\":}").is_none());
        assert!(pretty_json("{} trailing").is_none());
        assert!(pretty_json("").is_none());
        // Already pretty (the samples are): the same layout again.
        let sample = "{\n  \"type\": \"MESSAGE_CREATE\",\n  \"data\": {\n    \"content\": \"大家早安!\"\n  }\n}";
        assert_eq!(pretty_json(sample).unwrap(), sample);
    }
}
