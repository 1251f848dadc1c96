//! Picks the values at a few JSON pointers in one pass over a document, skipping everything
//! else without building it: identity needs three or four fields of a payload, and building a
//! whole `serde_json::Value` for each delivery cost more than verifying its signature.
//! The whole document is still checked to be valid JSON (serde_json's depth limit applies).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    children: Vec<(String, Node)>,
    leaf: Option<usize>,
}

impl Node {
    fn insert(&mut self, segs: &[String], idx: usize) {
        match segs.split_first() {
            None => self.leaf = Some(idx),
            Some((first, rest)) => {
                let pos = match self.children.iter().position(|(k, _)| k == first) {
                    Some(p) => p,
                    None => {
                        self.children.push((first.clone(), Node::default()));
                        self.children.len() - 1
                    }
                };
                if let Some((_, child)) = self.children.get_mut(pos) {
                    child.insert(rest, idx);
                }
            }
        }
    }
}

/// RFC 6901 segments of a pointer (`/a/b~1c` -> `a`, `b/c`).
fn segments(ptr: &str) -> Option<Vec<String>> {
    let rest = ptr.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// The pointers to pick, prepared once (per source) as a trie.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    root: Node,
    whole: Vec<usize>,
    len: usize,
}

impl Picker {
    pub fn new(pointers: &[&str]) -> Self {
        let mut root = Node::default();
        let mut whole = Vec::new();
        for (i, p) in pointers.iter().enumerate() {
            match segments(p) {
                Some(segs) => root.insert(&segs, i),
                None if p.is_empty() => whole.push(i),
                None => {}
            }
        }
        Self {
            root,
            whole,
            len: pointers.len(),
        }
    }

    /// The values at the pointers (None where absent), or an error when `body` is not JSON
    /// or nests deeper than serde_json's limit (128).
    pub fn pick(&self, body: &[u8]) -> Result<Vec<Option<Value>>, serde_json::Error> {
        // One UTF-8 check of the whole document rather than one per string, which is what
        // serde_json's slice reader does; a body that is not UTF-8 is not JSON either way.
        let text = std::str::from_utf8(body)
            .map_err(|_| <serde_json::Error as serde::de::Error>::custom("not UTF-8"))?;
        self.pick_str(text)
    }

    /// [`Picker::pick`] on text already known to be UTF-8 (a split event, a checked body).
    pub fn pick_str(&self, text: &str) -> Result<Vec<Option<Value>>, serde_json::Error> {
        let mut out = vec![None; self.len];
        let mut de = serde_json::Deserializer::from_str(text);
        Seed {
            node: &self.root,
            out: &mut out,
        }
        .deserialize(&mut de)?;
        de.end()?;
        if !self.whole.is_empty() {
            let v: Value = serde_json::from_str(text)?;
            for &i in &self.whole {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(v.clone());
                }
            }
        }
        Ok(out)
    }
}

/// Picks once, without keeping a prepared picker (the tests' shorthand).
#[cfg(test)]
fn pick(body: &[u8], pointers: &[&str]) -> Result<Vec<Option<Value>>, serde_json::Error> {
    Picker::new(pointers).pick(body)
}

/// Skips a value while letting serde_json count its depth (its `IgnoredAny` path does not,
/// and 10 000 nested arrays must be refused, not walked).
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

struct Seed<'n, 'o> {
    node: &'n Node,
    out: &'o mut Vec<Option<Value>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Some(i) = self.node.leaf {
            // Wanted whole; descendants (rare) are read from the built value.
            let v = Value::deserialize(d)?;
            fill_from_value(self.node, &v, self.out);
            if let Some(slot) = self.out.get_mut(i) {
                *slot = Some(v);
            }
            return Ok(());
        }
        if self.node.children.is_empty() {
            return Skip.deserialize(d);
        }
        d.deserialize_any(self)
    }
}

fn fill_from_value(node: &Node, v: &Value, out: &mut [Option<Value>]) {
    for (k, child) in &node.children {
        let next = match v {
            Value::Object(m) => m.get(k),
            Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        if let Some(n) = next {
            if let Some(i) = child.leaf {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(n.clone());
                }
            }
            fill_from_value(child, n, out);
        }
    }
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match self.node.children.iter().find(|(name, _)| *name == k) {
                Some((_, child)) => map.next_value_seed(Seed {
                    node: child,
                    out: self.out,
                })?,
                None => map.next_value_seed(Skip)?,
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let child = self
                .node
                .children
                .iter()
                .find(|(name, _)| name.parse::<usize>().ok() == Some(i));
            let more = match child {
                Some((_, c)) => seq
                    .next_element_seed(Seed {
                        node: c,
                        out: self.out,
                    })?
                    .is_some(),
                None => seq.next_element_seed(Skip)?.is_some(),
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_like_value_pointer() {
        let doc = json!({"type":"T","data":{"id":"m1","user":{"id":7},"list":[1,{"x":"y"}]},"a/b":1,"e\"k":2});
        let text = doc.to_string();
        let ptrs = [
            "/type",
            "/data/id",
            "/data/user/id",
            "/data/list/1/x",
            "/missing",
            "/data/user",
            "/a~1b",
            "",
        ];
        let got = pick(text.as_bytes(), &ptrs).unwrap();
        for (p, g) in ptrs.iter().zip(&got) {
            assert_eq!(g.as_ref(), doc.pointer(p), "{p}");
        }
        // Escaped keys in the document are matched by their decoded text.
        let got = pick(br#"{"\u0074ype":"T"}"#, &["/type"]).unwrap();
        assert_eq!(got[0], Some(json!("T")));
    }

    #[test]
    fn rejects_what_is_not_json() {
        // Not UTF-8 inside a string, picked or skipped, is refused like any other non-JSON.
        for bad in [
            &b"{"[..],
            b"{\"a\":1} trailing",
            b"",
            b"\xff",
            b"[1,]",
            b"{\"a\":\"\xff\"}",
            b"{\"b\":\"\xc3\"}",
        ] {
            assert!(pick(bad, &["/a"]).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(pick(deep.as_bytes(), &["/a"]).is_err());
        let deep_obj = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
        assert!(pick(deep_obj.as_bytes(), &["/a/a/a"]).is_err());
    }

    #[test]
    fn duplicate_keys_last_wins_like_value() {
        let got = pick(br#"{"id":"first","id":"second"}"#, &["/id"]).unwrap();
        assert_eq!(got[0], Some(json!("second")));
    }
}
