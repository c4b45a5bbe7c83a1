//! Text brickci did not write (notebook exit values, traces, log tails, file names, bundle
//! values, documents holding them): ANSI escapes removed, split into the lines a runner
//! reads. Each platform then makes those lines inert for its own command parser.

pub use crate::util::strip_ansi;

/// The lines a runner reads: .NET's line reader ends a line at LF, CR or CR LF.
pub fn lines(text: &str) -> Vec<String> {
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push(std::mem::take(&mut current));
            }
            '\n' => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out
}

/// Finds `needle` (ASCII) in `hay` ignoring ASCII case, as both runners match prefixes.
pub fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_and_controls_are_removed() {
        assert_eq!(
            strip_ansi(
                "\u{1b}[31mred\u{1b}[0m \u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\ ok\u{8}\tx\n"
            ),
            "red link ok\tx\n"
        );
    }

    #[test]
    fn lines_end_at_lf_cr_and_crlf() {
        assert_eq!(lines("a\rb\r\nc\nd\n"), ["a", "b", "c", "d"]);
        assert_eq!(lines(""), [""]);
    }
}
