//! A small, bounded reader for Python pickles (protocols 2 to 5) that builds plain data
//! instead of running code: class instances become `{"__class__": ..., "__args__": [...],
//! <state>}`. Enough for nutter's serialized `TestResults` (objects, lists, exceptions).

use serde_json::{Map, Value, json};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PickleError {
    #[error("pickle ends early at byte {0}")]
    Truncated(usize),
    #[error("unsupported pickle opcode 0x{0:02x} at byte {1}")]
    Opcode(u8, usize),
    #[error("malformed pickle at byte {0}: {1}")]
    Malformed(usize, &'static str),
    #[error("pickle is too large or too deep to read")]
    TooLarge,
    /// Shared references (memo GETs) let a few bytes stand for an exponential tree.
    #[error(
        "pickle expands to more than {MAX_VALUES} values or {MAX_TEXT} bytes of text when read (shared references repeated): refused"
    )]
    Expands,
}

/// Objects the opcodes may create (bounds the reader's own memory by the input).
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 64;
/// Values materialised into the result, counting every visit through a shared reference:
/// the work and the memory of the decoded result are bounded, not only the input.
pub const MAX_VALUES: usize = 200_000;
/// Bytes of text materialised into the result, shared strings counted at every use.
pub const MAX_TEXT: usize = 32 * 1024 * 1024;

/// What materialising may still spend.
struct Budget {
    values: usize,
    text: usize,
}

impl Budget {
    fn spend(&mut self, text: usize) -> Result<(), PickleError> {
        self.values = self.values.checked_sub(1).ok_or(PickleError::Expands)?;
        self.text = self.text.checked_sub(text).ok_or(PickleError::Expands)?;
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Node {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(usize),
    List(Vec<usize>),
    Tuple(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    Set(Vec<usize>),
    Global(String),
    Object {
        class: String,
        args: Vec<usize>,
        state: Option<usize>,
    },
    Mark,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    stack: Vec<usize>,
    memo: std::collections::HashMap<u64, usize>,
}

/// Reads a pickle into JSON-like data.
pub fn read(data: &[u8]) -> Result<Value, PickleError> {
    let mut r = Reader {
        data,
        pos: 0,
        nodes: Vec::new(),
        stack: Vec::new(),
        memo: Default::default(),
    };
    let root = r.run()?;
    let mut budget = Budget {
        values: MAX_VALUES,
        text: MAX_TEXT,
    };
    r.to_json(root, 0, &mut budget)
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or(PickleError::Truncated(self.pos))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn uint(&mut self, n: usize) -> Result<u64, PickleError> {
        let b = self.take(n)?;
        Ok(b.iter()
            .rev()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let rest = &self.data[self.pos..];
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or(PickleError::Truncated(self.pos))?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(s)
    }

    fn push(&mut self, n: Node) -> Result<(), PickleError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(PickleError::TooLarge);
        }
        self.nodes.push(n);
        self.stack.push(self.nodes.len() - 1);
        Ok(())
    }

    fn pop(&mut self) -> Result<usize, PickleError> {
        self.stack
            .pop()
            .ok_or(PickleError::Malformed(self.pos, "stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<usize>, PickleError> {
        let at = self
            .stack
            .iter()
            .rposition(|i| matches!(self.nodes[*i], Node::Mark))
            .ok_or(PickleError::Malformed(self.pos, "no mark"))?;
        let items = self.stack.split_off(at + 1);
        self.stack.pop();
        Ok(items)
    }

    fn top(&self) -> Result<usize, PickleError> {
        self.stack
            .last()
            .copied()
            .ok_or(PickleError::Malformed(self.pos, "empty stack"))
    }

    fn str_of(&self, i: usize) -> Option<String> {
        match &self.nodes[i] {
            Node::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn text(&mut self, n: usize) -> Result<(), PickleError> {
        let s = String::from_utf8_lossy(self.take(n)?).into_owned();
        self.push(Node::Str(s))
    }

    fn run(&mut self) -> Result<usize, PickleError> {
        loop {
            let at = self.pos;
            let op = self.byte()?;
            match op {
                0x80 => {
                    self.byte()?;
                }
                0x95 => {
                    self.take(8)?;
                }
                b'.' => return self.pop(),
                b'N' => self.push(Node::None)?,
                0x88 => self.push(Node::Bool(true))?,
                0x89 => self.push(Node::Bool(false))?,
                b'J' => {
                    let v = self.uint(4)? as u32 as i32;
                    self.push(Node::Int(i64::from(v)))?
                }
                b'K' => {
                    let v = self.uint(1)?;
                    self.push(Node::Int(v as i64))?
                }
                b'M' => {
                    let v = self.uint(2)?;
                    self.push(Node::Int(v as i64))?
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        self.uint(1)?
                    } else {
                        self.uint(4)?
                    } as usize;
                    let bytes = self.take(n)?;
                    let mut v: i64 = 0;
                    for (i, b) in bytes.iter().enumerate().take(8) {
                        v |= i64::from(*b) << (8 * i);
                    }
                    if n > 0 && n < 8 && bytes[n - 1] & 0x80 != 0 {
                        v -= 1i64 << (8 * n);
                    }
                    self.push(Node::Int(v))?
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    self.push(Node::Float(f64::from_be_bytes(a)))?
                }
                0x8c => {
                    let n = self.uint(1)? as usize;
                    self.text(n)?
                }
                b'X' => {
                    let n = self.uint(4)? as usize;
                    self.text(n)?
                }
                0x8d => {
                    let n = self.uint(8)? as usize;
                    self.text(n)?
                }
                b'U' => {
                    let n = self.uint(1)? as usize;
                    self.text(n)?
                }
                b'T' => {
                    let n = self.uint(4)? as usize;
                    self.text(n)?
                }
                b'C' | b'B' | 0x8e => {
                    let n = match op {
                        b'C' => self.uint(1)?,
                        b'B' => self.uint(4)?,
                        _ => self.uint(8)?,
                    } as usize;
                    self.take(n)?;
                    self.push(Node::Bytes(n))?
                }
                b']' => self.push(Node::List(Vec::new()))?,
                b'}' => self.push(Node::Dict(Vec::new()))?,
                b')' => self.push(Node::Tuple(Vec::new()))?,
                0x8f => self.push(Node::Set(Vec::new()))?,
                b'(' => self.push(Node::Mark)?,
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Node::Tuple(items))?
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    if self.stack.len() < n {
                        return Err(PickleError::Malformed(at, "short tuple"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push(Node::Tuple(items))?
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Node::List(items))?
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push(Node::Set(items))?
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = items
                        .chunks(2)
                        .filter(|c| c.len() == 2)
                        .map(|c| (c[0], c[1]))
                        .collect();
                    self.push(Node::Dict(pairs))?
                }
                b'a' => {
                    let v = self.pop()?;
                    let list = self.top()?;
                    if let Node::List(l) = &mut self.nodes[list] {
                        l.push(v);
                    }
                }
                b'e' | 0x90 => {
                    let items = self.pop_mark()?;
                    let target = self.top()?;
                    match &mut self.nodes[target] {
                        Node::List(l) | Node::Set(l) => l.extend(items),
                        _ => return Err(PickleError::Malformed(at, "append to a non-list")),
                    }
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let d = self.top()?;
                    if let Node::Dict(m) = &mut self.nodes[d] {
                        m.push((k, v));
                    }
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let d = self.top()?;
                    if let Node::Dict(m) = &mut self.nodes[d] {
                        m.extend(
                            items
                                .chunks(2)
                                .filter(|c| c.len() == 2)
                                .map(|c| (c[0], c[1])),
                        );
                    }
                }
                0x94 => {
                    let top = self.top()?;
                    let key = self.memo.len() as u64;
                    self.memo.insert(key, top);
                }
                b'q' | b'r' => {
                    let key = if op == b'q' {
                        self.uint(1)?
                    } else {
                        self.uint(4)?
                    };
                    let top = self.top()?;
                    self.memo.insert(key, top);
                }
                b'p' => {
                    let key: u64 = self
                        .line()?
                        .trim()
                        .parse()
                        .map_err(|_| PickleError::Malformed(at, "bad PUT"))?;
                    let top = self.top()?;
                    self.memo.insert(key, top);
                }
                b'h' | b'j' | b'g' => {
                    let key = match op {
                        b'h' => self.uint(1)?,
                        b'j' => self.uint(4)?,
                        _ => self
                            .line()?
                            .trim()
                            .parse()
                            .map_err(|_| PickleError::Malformed(at, "bad GET"))?,
                    };
                    let i = *self
                        .memo
                        .get(&key)
                        .ok_or(PickleError::Malformed(at, "unknown memo key"))?;
                    self.stack.push(i);
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push(Node::Global(format!("{module}.{name}")))?
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Some(m), Some(n)) = (self.str_of(module), self.str_of(name)) else {
                        return Err(PickleError::Malformed(at, "STACK_GLOBAL without strings"));
                    };
                    self.push(Node::Global(format!("{m}.{n}")))?
                }
                b'R' | 0x81 | 0x92 => {
                    if op == 0x92 {
                        self.pop()?; // keyword arguments
                    }
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let args = match &self.nodes[args] {
                        Node::Tuple(a) => a.clone(),
                        _ => Vec::new(),
                    };
                    let class = match &self.nodes[callable] {
                        Node::Global(g)
                            if g == "copyreg._reconstructor" || g == "copy_reg._reconstructor" =>
                        {
                            match args.first().map(|a| &self.nodes[*a]) {
                                Some(Node::Global(c)) => c.clone(),
                                _ => g.clone(),
                            }
                        }
                        Node::Global(g) => g.clone(),
                        _ => "?".into(),
                    };
                    self.push(Node::Object {
                        class,
                        args,
                        state: None,
                    })?
                }
                b'b' => {
                    let state = self.pop()?;
                    let obj = self.top()?;
                    // (dict, slotstate) pairs come as a tuple: keep the dict.
                    let state = match &self.nodes[state] {
                        Node::Tuple(t) if !t.is_empty() => t[0],
                        _ => state,
                    };
                    if let Node::Object { state: s, .. } = &mut self.nodes[obj] {
                        *s = Some(state);
                    }
                }
                b'0' => {
                    self.pop()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.stack.push(top);
                }
                0x97 => {}
                _ => return Err(PickleError::Opcode(op, at)),
            }
        }
    }

    fn to_json(&self, i: usize, depth: usize, b: &mut Budget) -> Result<Value, PickleError> {
        if depth > MAX_DEPTH {
            return Err(PickleError::TooLarge);
        }
        let text = match &self.nodes[i] {
            Node::Str(s) | Node::Global(s) => s.len(),
            Node::Object { class, .. } => class.len(),
            _ => 0,
        };
        b.spend(text)?;
        let all = |items: &[usize], b: &mut Budget| {
            items
                .iter()
                .map(|x| self.to_json(*x, depth + 1, b))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(match &self.nodes[i] {
            Node::None | Node::Mark => Value::Null,
            Node::Bool(v) => json!(v),
            Node::Int(n) => json!(n),
            Node::Float(f) => json!(f),
            Node::Str(s) => json!(s),
            Node::Bytes(n) => json!(format!("<{n} bytes>")),
            Node::List(l) | Node::Tuple(l) | Node::Set(l) => Value::Array(all(l, b)?),
            Node::Dict(pairs) => {
                let mut m = Map::new();
                for (k, v) in pairs {
                    let key = match self.to_json(*k, depth + 1, b)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    m.insert(key, self.to_json(*v, depth + 1, b)?);
                }
                Value::Object(m)
            }
            Node::Global(g) => json!({ "__global__": g }),
            Node::Object { class, args, state } => {
                let mut m = Map::new();
                m.insert("__class__".into(), json!(class));
                m.insert("__args__".into(), Value::Array(all(args, b)?));
                if let Some(s) = state
                    && let Value::Object(fields) = self.to_json(*s, depth + 1, b)?
                {
                    m.extend(fields);
                }
                Value::Object(m)
            }
        })
    }
}

#[cfg(test)]
/// A protocol-4 pickle: a list holding one string, then `doublings` times a list holding
/// the previous list twice (two memo GETs), so it reads as 2^doublings leaves.
pub(crate) fn bomb(doublings: u32) -> Vec<u8> {
    let mut p = b"\x80\x04\x8c\x04leaf\x94".to_vec(); // memo 0 = "leaf"
    p.extend(b"]\x94h\x00a"); // memo 1 = ["leaf"]
    for i in 1..=doublings {
        // [memo[i], memo[i]] -> memo i+1
        p.extend(b"]\x94(h");
        p.push(i as u8);
        p.push(b'h');
        p.push(i as u8);
        p.extend(b"e");
    }
    p.push(b'.');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_basic_protocol_4_values() {
        // pickle.dumps({"a": [1, 2.5, None, True], "b": "x"}, protocol=4)
        let data: &[u8] = b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00N\x88e\x8c\x01b\x94\x8c\x01x\x94u.";
        let v = read(data).unwrap();
        assert_eq!(v, json!({ "a": [1, 2.5, null, true], "b": "x" }));
    }

    #[test]
    fn shared_reference_bombs_are_refused_at_every_depth_without_materialising() {
        assert_eq!(
            read(&bomb(3)).unwrap().to_string().matches("leaf").count(),
            8
        );
        for depth in [18, 24, 39, 62] {
            let data = bomb(depth);
            assert!(data.len() < 700, "{depth}: {} bytes", data.len());
            assert_eq!(read(&data), Err(PickleError::Expands), "depth {depth}");
        }
    }

    #[test]
    fn a_string_shared_many_times_is_bounded_by_its_text() {
        // "x" * 1 MB once, then a list of 100 references to it: small values, huge text.
        let mut p = b"\x80\x04\x8d".to_vec();
        p.extend((1u64 << 20).to_le_bytes());
        p.extend(std::iter::repeat_n(b'x', 1 << 20));
        p.extend(b"\x94](");
        for _ in 0..100 {
            p.extend(b"h\x00");
        }
        p.extend(b"e.");
        assert_eq!(read(&p), Err(PickleError::Expands));
    }

    #[test]
    fn refuses_garbage_without_panicking() {
        assert!(read(b"").is_err());
        assert!(read(b"\x80\x04\xff").is_err());
        assert!(read(b"\x80\x04]\x94(K\x01").is_err());
        assert!(read(b"h\x05.").is_err());
    }
}
