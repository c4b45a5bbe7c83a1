//! The one place text brickci did not write (notebook output, traces, test and task names,
//! bundle values) becomes markdown. Every renderer (step summary, check run, PR comments,
//! the plan table) goes through these, so such text stays inside its table cell, code span
//! or code block: no headings, links, images, HTML, `@mentions`, or ANSI colour codes.

/// Terminal escapes and control characters removed (`util::strip_ansi`), and CR too: in
/// markdown a lone CR ends a line, which would let text leave its table cell.
pub fn strip_ansi(text: &str) -> String {
    crate::util::strip_ansi(text).replace('\r', "")
}

/// One line of markdown text (a table cell, a list item, a summary line): markdown and
/// HTML are shown as written, never interpreted, and `@name` notifies nobody.
pub fn text(raw: &str) -> String {
    let clean = strip_ansi(raw);
    let mut out = String::with_capacity(clean.len() + 16);
    let mut chars = clean.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A zero-width space after @ keeps GitHub and Azure DevOps from mentioning.
            '@' => out.push_str("@&#8203;"),
            // Autolinks (`http://x`, `www.x`) need the literal `:` / `.` run; a `:`
            // entity breaks `://` without changing what is shown.
            ':' if chars.peek() == Some(&'/') => out.push_str("&#58;"),
            // `www.` starts an autolink too.
            '.' if out.len() >= 3
                && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www") =>
            {
                out.push_str("&#46;")
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside raw HTML (a `<summary>` line): HTML blocks are not markdown, so HTML
/// escaping alone, plus the mention guard.
pub fn html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in strip_ansi(raw).chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '@' => out.push_str("@&#8203;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline code: the text as written, between backtick runs longer than any inside.
/// In a table, `|` must still be escaped (the table splits cells before code spans).
pub fn code(raw: &str, in_table: bool) -> String {
    let mut body: String = strip_ansi(raw)
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if in_table {
        body = body.replace('|', "\\|");
    }
    if body.trim().is_empty() {
        return String::new();
    }
    let ticks = "`".repeat(longest_run(&body, '`') + 1);
    // A leading or trailing backtick would merge with the delimiter; a space keeps them apart
    // (one space each side is stripped when rendering).
    if body.starts_with('`') || body.ends_with('`') || body.starts_with(' ') {
        format!("{ticks} {body} {ticks}")
    } else {
        format!("{ticks}{body}{ticks}")
    }
}

/// A fenced code block: the fence is longer than any run of backticks or tildes inside, so
/// no line of `raw` can close it. Ends with a newline.
pub fn fenced(raw: &str, info: &str) -> String {
    let body = strip_ansi(raw);
    let body = body.trim_end();
    let len = 3
        .max(longest_run(body, '`') + 1)
        .max(longest_run(body, '~') + 1);
    let fence = "`".repeat(len);
    format!("{fence}{info}\n{body}\n{fence}\n")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut now) = (0, 0);
    for c in s.chars() {
        if c == ch {
            now += 1;
            best = best.max(now);
        } else {
            now = 0;
        }
    }
    best
}

/// `[text](url)` for an http(s) URL, with the URL percent-encoded where markdown would
/// end or break it; any other URL is left out and only the text shown.
pub fn link(label: &str, url: &str) -> String {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return text(label);
    }
    format!("[{}]({})", text(label), url_safe(url))
}

/// A URL with the characters that would end a markdown link destination (or start HTML)
/// percent-encoded; the URL's own `%` escapes are kept.
pub fn url_safe(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic()
            && !matches!(
                c,
                '(' | ')' | '<' | '>' | '"' | '\'' | '`' | '|' | '\\' | '[' | ']'
            )
        {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A name inside a mermaid diagram: no characters that end a statement or the block.
pub fn mermaid(raw: &str) -> String {
    strip_ansi(raw)
        .chars()
        .map(|c| {
            if matches!(
                c,
                ':' | '#' | ';' | '\n' | '\r' | '\t' | '`' | '%' | '<' | '>'
            ) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// At most `max` characters of `raw`, with a note of how much was left out.
pub fn clip(raw: &str, max: usize) -> String {
    match raw.char_indices().nth(max) {
        None => raw.to_string(),
        Some((cut, _)) => {
            let rest = raw[cut..].chars().count();
            format!("{}… ({rest} more characters)", &raw[..cut])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_and_controls_are_removed() {
        assert_eq!(
            strip_ansi(
                "\u{1b}[31;1mred\u{1b}[0m \u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\ ok\u{8}\r\n"
            ),
            "red link ok\n"
        );
        assert_eq!(strip_ansi("\u{9b}2Jclear\u{1b}(B"), "clearB");
    }

    #[test]
    fn text_neutralises_markdown_html_and_mentions() {
        let t = text("</details>\n# H ![i](http://e/x.png) [l](u) @octocat `c` | *b* WWW.evil.com");
        assert!(!t.contains("</details>"));
        assert!(!t.contains('\n'));
        assert!(!t.contains("@octocat"));
        assert!(!t.contains("]("));
        assert!(!t.contains("http://"));
        assert!(t.contains("\\|"));
        assert!(!t.contains("WWW.evil"));
    }

    #[test]
    fn html_text_stays_text() {
        assert_eq!(
            html("</summary></details>\n@team a_b"),
            "&lt;/summary&gt;&lt;/details&gt; @&#8203;team a_b"
        );
    }

    #[test]
    fn code_spans_and_fences_outgrow_the_text() {
        assert_eq!(code("a``b", false), "```a``b```");
        assert_eq!(code("`x`", false), "`` `x` ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
        let f = fenced("x\n````\n~~~~~\ny", "");
        assert!(f.starts_with("``````\n"));
        assert!(f.ends_with("\n``````\n"));
    }

    #[test]
    fn links_take_only_http_and_are_encoded() {
        assert_eq!(link("run", "javascript:alert(1)"), "run");
        assert_eq!(
            link("run", "https://h/x?a=(1) <b>"),
            "[run](https://h/x?a=%281%29%20%3Cb%3E)"
        );
    }

    #[test]
    fn clip_says_how_much_is_left_out() {
        assert_eq!(clip("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(clip("abc", 3), "abc");
    }
}
