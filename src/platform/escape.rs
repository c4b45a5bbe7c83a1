//! Escaping for the runners' stdout command protocols.

/// GitHub workflow command message data (`@actions/core` rules).
pub fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow command property values: data rules plus `:` and `,`.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Azure DevOps logging command values and messages (agent rules).
pub fn azure_devops(s: &str) -> String {
    s.replace('%', "%AZP25")
        .replace(';', "%3B")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(']', "%5D")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_runner() {
        assert_eq!(github_data("50%\r\nok"), "50%25%0D%0Aok");
        assert_eq!(github_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(azure_devops("a;b]c%\nd"), "a%3Bb%5Dc%AZP25%0Ad");
    }
}
